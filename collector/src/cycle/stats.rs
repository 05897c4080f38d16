//! The collector's own figures, kept per process and written to the store after each cycle
//! (one row per member, replaced), so that `/metrics` shows them wherever the API runs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fleetwatch_store::CollectorStats;

/// Upper bounds, in seconds, of the cycle-duration histogram.
pub const BUCKETS: [f64; 10] = [0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0];

/// How long the row of a process that stopped cycling is kept.
pub const FORGET_AFTER: chrono::Duration = chrono::Duration::days(1);

/// What this process has seen since it started.
#[derive(Debug, Default)]
pub(super) struct CycleStats {
    cycles: i64,
    secs_sum: f64,
    /// Cycles at or under each bound of [`BUCKETS`].
    at_or_under: [i64; BUCKETS.len()],
}

impl CycleStats {
    /// Counts one cycle, and returns the figures to store for `member`.
    pub(super) fn record(
        &mut self,
        member: &str,
        took: Duration,
        ok: usize,
        failed: usize,
        at: DateTime<Utc>,
    ) -> CollectorStats {
        let secs = took.as_secs_f64();
        self.cycles += 1;
        self.secs_sum += secs;
        for (bound, n) in BUCKETS.iter().zip(&mut self.at_or_under) {
            if secs <= *bound {
                *n += 1;
            }
        }
        CollectorStats {
            member: member.to_owned(),
            at,
            last_cycle_ms: i64::try_from(took.as_millis()).unwrap_or(i64::MAX),
            servers_ok: i64::try_from(ok).unwrap_or(i64::MAX),
            servers_failed: i64::try_from(failed).unwrap_or(i64::MAX),
            cycles: self.cycles,
            cycle_secs_sum: self.secs_sum,
            buckets: BUCKETS.iter().copied().zip(self.at_or_under.iter().copied()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_the_last_cycle_is_kept() {
        let mut s = CycleStats::default();
        let at = Utc::now();
        s.record("m", Duration::from_millis(300), 5, 0, at);
        s.record("m", Duration::from_secs(4), 4, 1, at);
        let last = s.record("m", Duration::from_secs(2_000), 3, 2, at);
        assert_eq!((last.cycles, last.last_cycle_ms, last.servers_ok, last.servers_failed), (3, 2_000_000, 3, 2));
        assert!((last.cycle_secs_sum - 2_004.3).abs() < 1e-9, "{}", last.cycle_secs_sum);
        let counts: Vec<i64> = last.buckets.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [1, 1, 1, 2, 2, 2, 2, 2, 2, 2], "the 2,000 s cycle is only in +Inf");
        assert!(last.buckets.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
    }
}
