//! `[retention]`: how long each tier of samples is kept (raw samples, 5-minute, hourly and daily
//! rollups; `"forever"` keeps a tier for good) and how often the collector enforces it.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::duration;
use crate::error::{ConfigError, Result};

const DAY: u64 = 86_400;

/// The checked `[retention]` section. `None` keeps a tier forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    #[serde(deserialize_with = "keep")]
    pub raw: Option<Duration>,
    #[serde(deserialize_with = "keep")]
    pub five_min: Option<Duration>,
    #[serde(deserialize_with = "keep")]
    pub hour: Option<Duration>,
    #[serde(deserialize_with = "keep")]
    pub day: Option<Duration>,
    /// How often the collector rolls up and deletes.
    #[serde(deserialize_with = "every")]
    pub every: Duration,
}

impl Default for RetentionSettings {
    /// Raw 7 days, 5 minutes 90 days, 1 hour 2 years, 1 day forever; every 5 minutes.
    fn default() -> Self {
        let days = |n: u64| Some(Duration::from_secs(n * DAY));
        Self { raw: days(7), five_min: days(90), hour: days(730), day: None, every: Duration::from_secs(300) }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Text {
    Secs(u64),
    Text(String),
}

fn parse<E: serde::de::Error>(t: Text, forever: bool) -> std::result::Result<Option<Duration>, E> {
    match t {
        Text::Secs(s) => Ok(Some(Duration::from_secs(s))),
        Text::Text(s) if forever && s.trim().eq_ignore_ascii_case("forever") => Ok(None),
        Text::Text(s) => duration::parse(&s).map(Some).map_err(E::custom),
    }
}

/// A tier's age: a duration (`"90d"`, or whole seconds) or `"forever"`.
fn keep<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Duration>, D::Error> {
    parse(Text::deserialize(d)?, true)
}

fn every<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Duration, D::Error> {
    Ok(parse(Text::deserialize(d)?, false)?.unwrap_or_default())
}

/// Ages must be positive; the pass runs at least every 10 seconds apart; a coarser tier never
/// goes before a finer one (it is made from it, and a chart reaching back falls back on it).
pub(crate) fn validate(r: &RetentionSettings) -> Result<()> {
    let tiers = [("raw", r.raw), ("five_min", r.five_min), ("hour", r.hour), ("day", r.day)];
    for (key, age) in tiers {
        if age.is_some_and(|a| a.is_zero()) {
            return Err(ConfigError::invalid(format!("retention.{key}"), "must be a positive duration or \"forever\""));
        }
    }
    for pair in tiers.windows(2) {
        let ((fine, a), (coarse, b)) = (pair[0], pair[1]);
        if let (Some(a), Some(b)) = (a, b)
            && b < a
        {
            return Err(ConfigError::invalid(
                format!("retention.{coarse}"),
                format!("must be at least retention.{fine} ({}s)", a.as_secs()),
            ));
        }
        if a.is_none() && b.is_some() {
            return Err(ConfigError::invalid(
                format!("retention.{coarse}"),
                format!("must be \"forever\" when retention.{fine} is"),
            ));
        }
    }
    if r.every < Duration::from_secs(10) {
        return Err(ConfigError::invalid("retention.every", "must be at least 10s"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        retention: RetentionSettings,
    }

    fn load(text: &str) -> std::result::Result<RetentionSettings, String> {
        let r = toml::from_str::<File>(text).map_err(|e| e.to_string())?.retention;
        validate(&r).map_err(|e| e.to_string())?;
        Ok(r)
    }

    #[test]
    fn defaults_keep_raw_a_week_and_days_forever() {
        let r = load("").unwrap();
        assert_eq!(r.raw, Some(Duration::from_secs(7 * DAY)));
        assert_eq!(r.five_min, Some(Duration::from_secs(90 * DAY)));
        assert_eq!(r.hour, Some(Duration::from_secs(730 * DAY)));
        assert_eq!(r.day, None);
    }

    #[test]
    fn tiers_take_durations_seconds_and_forever() {
        let r = load("[retention]\nraw = \"2d\"\nfive_min = 864000\nhour = \"forever\"\nevery = \"1m\"").unwrap();
        assert_eq!(r.raw, Some(Duration::from_secs(2 * DAY)));
        assert_eq!(r.five_min, Some(Duration::from_secs(10 * DAY)));
        assert_eq!((r.hour, r.day, r.every), (None, None, Duration::from_secs(60)));
    }

    #[test]
    fn bad_values_name_their_key() {
        let e = load("[retention]\nraw = \"soon\"").unwrap_err();
        assert!(e.contains("soon"), "{e}");
        let e = load("[retention]\nraw = \"30d\"\nfive_min = \"7d\"").unwrap_err();
        assert!(e.contains("retention.five_min"), "{e}");
        let e = load("[retention]\nhour = \"forever\"\nday = \"30d\"").unwrap_err();
        assert!(e.contains("retention.day"), "{e}");
        let e = load("[retention]\nevery = \"1s\"").unwrap_err();
        assert!(e.contains("retention.every"), "{e}");
        assert!(load("[retention]\nkeep = \"1d\"").unwrap_err().contains("keep"));
    }
}
