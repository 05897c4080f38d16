//! Durations in the config and on the command line: the whole number accepted since the start
//! (seconds, or milliseconds for `*_ms` keys) or a [`humantime`] text such as `"30s"`, `"15m"`,
//! `"90d"`. The keys keep their names and units, so every existing config still loads.

use std::fmt;
use std::time::Duration;

use serde::Deserializer;
use serde::de::{self, Unexpected, Visitor};

/// The examples every duration error shows.
const EXAMPLES: &str = "e.g. \"30s\", \"15m\", \"12h\", \"90d\"";

/// A text that is neither a whole number of seconds nor a humantime duration.
#[derive(Debug, thiserror::Error)]
#[error("{text:?} is not a duration ({EXAMPLES}, or a whole number of seconds): {reason}")]
pub struct DurationError {
    text: String,
    #[source]
    reason: humantime::DurationError,
}

/// Parses a duration given on the command line or in the environment: a whole number of
/// seconds, or a humantime text (`90d`, `12h`, `30m`, `45s`, `1h 30m`).
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(text).map_err(|reason| DurationError { text: text.to_owned(), reason })
}

/// The unit a config key counts in when given a bare number.
#[derive(Clone, Copy)]
enum Unit {
    Secs,
    Millis,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Secs => "seconds",
            Unit::Millis => "milliseconds",
        }
    }

    /// The duration as a whole number of this unit; `None` when it has a remainder.
    fn count(self, d: Duration) -> Option<u64> {
        match self {
            Unit::Secs => (d.subsec_nanos() == 0).then_some(d.as_secs()),
            Unit::Millis => {
                d.subsec_nanos().is_multiple_of(1_000_000).then(|| u64::try_from(d.as_millis()).ok()).flatten()
            }
        }
    }
}

struct Whole(Unit);

impl Visitor<'_> for Whole {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a whole number of {} or a duration ({EXAMPLES})", self.0.name())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        let d = humantime::parse_duration(v.trim()).map_err(|e| {
            E::custom(format!("{v:?} is not a duration ({EXAMPLES}, or a number of {}): {e}", self.0.name()))
        })?;
        self.0.count(d).ok_or_else(|| E::custom(format!("{v:?} is not a whole number of {}", self.0.name())))
    }
}

/// `serde(deserialize_with)` for a `*_secs` key.
pub(crate) fn secs<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(Whole(Unit::Secs))
}

/// `serde(deserialize_with)` for an optional `*_secs` key (with `serde(default)`).
pub(crate) fn opt_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    secs(d).map(Some)
}

/// `serde(deserialize_with)` for a `*_ms` key.
pub(crate) fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(Whole(Unit::Millis))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_command_line_takes_seconds_and_humantime() {
        assert_eq!(parse("45").unwrap(), Duration::from_secs(45));
        assert_eq!(parse("90d").unwrap(), Duration::from_secs(90 * 86_400));
        assert_eq!(parse("12h").unwrap(), Duration::from_secs(12 * 3600));
        assert_eq!(parse("1h 30m").unwrap(), Duration::from_secs(5400));
        let e = parse("soon").unwrap_err().to_string();
        assert!(e.contains("soon") && e.contains("90d"), "{e}");
    }

    #[test]
    fn whole_units_refuse_remainders() {
        assert_eq!(Unit::Secs.count(Duration::from_millis(1500)), None);
        assert_eq!(Unit::Secs.count(Duration::from_secs(90)), Some(90));
        assert_eq!(Unit::Millis.count(Duration::from_micros(1500)), None);
        assert_eq!(Unit::Millis.count(Duration::from_secs(2)), Some(2000));
    }
}
