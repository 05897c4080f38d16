//! `[alerts.delivery]`: how hard a notification is tried. The first retry waits `retry_secs`,
//! each further one twice as long up to `max_retry_secs`; after `max_attempts` attempts the
//! notification is given up (and recorded so).

use serde::{Deserialize, Serialize};

use crate::error::ConfigErrors;

/// The section as written; every key optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    pub retry_secs: Option<u64>,
    pub max_retry_secs: Option<u64>,
    pub max_attempts: Option<u32>,
}

/// The checked section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub retry_secs: u64,
    pub max_retry_secs: u64,
    pub max_attempts: u32,
}

impl Default for Delivery {
    fn default() -> Self {
        Self { retry_secs: 30, max_retry_secs: 3_600, max_attempts: 12 }
    }
}

impl DeliveryConfig {
    /// The defaults overlaid with what is set; errors name `alerts.delivery.<key>`.
    pub(crate) fn check(&self, errors: &mut ConfigErrors) -> Delivery {
        let d = Delivery::default();
        let out = Delivery {
            retry_secs: self.retry_secs.unwrap_or(d.retry_secs),
            max_retry_secs: self.max_retry_secs.unwrap_or(d.max_retry_secs.max(self.retry_secs.unwrap_or(0))),
            max_attempts: self.max_attempts.unwrap_or(d.max_attempts),
        };
        if out.retry_secs == 0 {
            errors.push("alerts.delivery.retry_secs", "must be at least 1");
        }
        if out.max_retry_secs < out.retry_secs {
            errors.push(
                "alerts.delivery.max_retry_secs",
                format!("{} is below retry_secs {}", out.max_retry_secs, out.retry_secs),
            );
        }
        if out.max_attempts == 0 {
            errors.push("alerts.delivery.max_attempts", "must be at least 1");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overlaid_and_nonsense_refused_by_key() {
        let mut errors = ConfigErrors(Vec::new());
        assert_eq!(DeliveryConfig::default().check(&mut errors), Delivery::default());
        let quick = DeliveryConfig { retry_secs: Some(1), max_retry_secs: Some(5), max_attempts: None };
        assert_eq!(quick.check(&mut errors), Delivery { retry_secs: 1, max_retry_secs: 5, max_attempts: 12 });
        let long = DeliveryConfig { retry_secs: Some(7_200), ..Default::default() };
        assert_eq!(long.check(&mut errors).max_retry_secs, 7_200, "the ceiling follows a long first wait");
        assert!(errors.0.is_empty(), "{errors}");
        let bad = DeliveryConfig { retry_secs: Some(0), max_retry_secs: None, max_attempts: Some(0) };
        bad.check(&mut errors);
        let wrong = DeliveryConfig { retry_secs: Some(60), max_retry_secs: Some(10), max_attempts: None };
        wrong.check(&mut errors);
        assert_eq!(
            errors.keys(),
            ["alerts.delivery.retry_secs", "alerts.delivery.max_attempts", "alerts.delivery.max_retry_secs"]
        );
    }
}
