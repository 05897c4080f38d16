//! How values are stored: timestamps as unix epoch milliseconds in both backends, and readings
//! that are NaN or infinite as "not available".

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

/// The millisecond a stored timestamp is rounded to (down: sub-millisecond digits are dropped).
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The first whole millisecond at or after `t`: the bound to compare stored timestamps with, so
/// that `ts_ms >= bound` means "at or after `t`" and `ts_ms < bound` means "before `t`".
pub(crate) fn to_ms_ceil(t: DateTime<Utc>) -> i64 {
    let floor = t.timestamp_millis();
    if t.timestamp_subsec_nanos().is_multiple_of(1_000_000) { floor } else { floor.saturating_add(1) }
}

/// A stored timestamp read back; out of range is [`Error::Corrupt`].
pub(crate) fn from_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| Error::Corrupt(format!("timestamp {ms} ms is out of range")))
}

pub(crate) fn from_ms_opt(ms: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    ms.map(from_ms).transpose()
}

/// The bucket width (ms, at least 1) that splits `[from, to]` into at most `max_points` buckets;
/// 1 ms (one point per sample) without a limit.
pub(crate) fn bucket_width(from: i64, to: i64, max_points: Option<u32>) -> i64 {
    let Some(max_points) = max_points else { return 1 };
    let span = to.saturating_sub(from).saturating_add(1).max(1);
    let n = i64::from(max_points.max(1));
    (span + n - 1) / n
}

/// `None` for NaN and infinities, which the backends would store differently (SQLite turns
/// NaN into NULL): "not available" is what such a reading means.
pub(crate) fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// A required measurement that is NaN or infinite is stored as 0, with a warning.
pub(crate) fn finite_or_zero(v: f64, field: &str, server: &str, username: &str) -> f64 {
    if v.is_finite() {
        v
    } else {
        tracing::warn!(server = %server, user = %username, field, value = %v,
            "non-finite user measurement stored as 0");
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_round_up_to_the_next_whole_millisecond() {
        let whole = DateTime::from_timestamp_millis(1_700_000_000_123).unwrap_or_default();
        assert_eq!(to_ms(whole), 1_700_000_000_123);
        assert_eq!(to_ms_ceil(whole), 1_700_000_000_123);
        let later = whole + chrono::Duration::nanoseconds(1);
        assert_eq!(to_ms(later), 1_700_000_000_123);
        assert_eq!(to_ms_ceil(later), 1_700_000_000_124);
        let before_epoch =
            DateTime::from_timestamp_millis(-5).unwrap_or_default() + chrono::Duration::nanoseconds(500_000);
        assert_eq!(to_ms(before_epoch), -5);
        assert_eq!(to_ms_ceil(before_epoch), -4);
    }

    #[test]
    fn non_finite_readings_are_not_available() {
        assert_eq!(finite(Some(f64::NAN)), None);
        assert_eq!(finite(Some(f64::INFINITY)), None);
        assert_eq!(finite(Some(1.5)), Some(1.5));
        assert_eq!(finite_or_zero(f64::NAN, "cpu", "s", "u"), 0.0);
        assert_eq!(finite_or_zero(2.5, "cpu", "s", "u"), 2.5);
    }
}
