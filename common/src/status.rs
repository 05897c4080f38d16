//! Status rules: how a percentage and a threshold pair become `normal`, `warning` or `critical`,
//! and how a server's figures and reachability become its overall status.

use serde::{Deserialize, Serialize};

/// A warning/critical pair, in percent. A value at or above `critical` is critical, at or
/// above `warning` is a warning.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub warning: f64,
    pub critical: f64,
}

impl Threshold {
    pub const fn new(warning: f64, critical: f64) -> Self {
        Self { warning, critical }
    }

    /// Classifies a value; an unknown value (`None`) is `Normal` since there is nothing to warn about.
    pub fn level(&self, value: Option<f64>) -> Level {
        match value {
            Some(v) if v >= self.critical => Level::Critical,
            Some(v) if v >= self.warning => Level::Warning,
            _ => Level::Normal,
        }
    }
}

/// The thresholds for each resource, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub cpu: Threshold,
    pub ram: Threshold,
    pub disk: Threshold,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { cpu: Threshold::new(70.0, 85.0), ram: Threshold::new(75.0, 90.0), disk: Threshold::new(80.0, 90.0) }
    }
}

/// The level of one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Normal,
    Warning,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Normal => "normal",
            Level::Warning => "warning",
            Level::Critical => "critical",
        }
    }
}

/// A server's overall status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Healthy,
    Warning,
    Critical,
    #[default]
    Offline,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Warning => "warning",
            Status::Critical => "critical",
            Status::Offline => "offline",
        }
    }

    /// The overall status of a reachable server: its worst resource level.
    pub fn from_levels(levels: &[Level]) -> Self {
        match levels.iter().max().copied().unwrap_or_default() {
            Level::Normal => Status::Healthy,
            Level::Warning => Status::Warning,
            Level::Critical => Status::Critical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_edges_are_inclusive() {
        let t = Threshold::new(70.0, 85.0);
        assert_eq!(t.level(Some(69.9)), Level::Normal);
        assert_eq!(t.level(Some(70.0)), Level::Warning);
        assert_eq!(t.level(Some(84.9)), Level::Warning);
        assert_eq!(t.level(Some(85.0)), Level::Critical);
        assert_eq!(t.level(None), Level::Normal);
    }

    #[test]
    fn overall_status_is_the_worst_level() {
        assert_eq!(Status::from_levels(&[]), Status::Healthy);
        assert_eq!(Status::from_levels(&[Level::Normal, Level::Warning]), Status::Warning);
        assert_eq!(Status::from_levels(&[Level::Critical, Level::Warning, Level::Normal]), Status::Critical);
    }
}
