//! `[spool]`: the collector's on-disk queue of samples taken while the database cannot store
//! them, replayed in order when it can. Bounded by size and by age; past either bound the oldest
//! samples are dropped (counted and logged).

use std::time::Duration;

use serde::Deserialize;

use crate::duration;
use crate::error::{ConfigError, Result};

/// `[spool]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpoolSettings {
    /// At most this many MiB of spooled samples on disk (`<collector.state_dir>/spool-<member>/`).
    /// The default, 2048, holds a 24-hour outage at 100 servers every minute (362 MiB) five times over.
    pub max_size_mb: u64,
    /// Samples older than this are dropped instead of replayed. Default: 7 days.
    #[serde(deserialize_with = "duration::secs")]
    pub max_age_secs: u64,
}

impl Default for SpoolSettings {
    fn default() -> Self {
        Self { max_size_mb: 2048, max_age_secs: 7 * 24 * 3600 }
    }
}

impl SpoolSettings {
    pub fn max_bytes(&self) -> u64 {
        self.max_size_mb.saturating_mul(1024 * 1024)
    }

    pub fn max_age(&self) -> Duration {
        Duration::from_secs(self.max_age_secs)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.max_size_mb < 16 {
            return Err(ConfigError::invalid("spool.max_size_mb", "must be at least 16 (MiB)"));
        }
        if self.max_age_secs < 60 {
            return Err(ConfigError::invalid("spool.max_age_secs", "must be at least one minute"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn bounds_read_as_sizes_and_durations_and_nonsense_is_refused() {
        let s: SpoolSettings = toml::from_str("max_size_mb = 512\nmax_age_secs = \"36h\"").unwrap();
        assert_eq!((s.max_bytes(), s.max_age()), (512 << 20, Duration::from_secs(36 * 3600)));
        s.validate().unwrap();
        let d = SpoolSettings::default();
        d.validate().unwrap();
        assert_eq!(d.max_age(), Duration::from_secs(7 * 86_400));
        let small: SpoolSettings = toml::from_str("max_size_mb = 1").unwrap();
        assert!(small.validate().unwrap_err().to_string().contains("spool.max_size_mb"));
        assert!(toml::from_str::<SpoolSettings>("max_size = 1").is_err(), "unknown keys are refused");
    }
}
