//! User activity per user, per server, per UTC day: how a server's raw samples become the
//! figures of its users' days. No I/O: `user_day_store.rs` reads the samples and keeps the days.
//!
//! **CPU-seconds.** The collector reports a user's CPU as the percent of one core their
//! processes used *over the interval since the previous reading* (the ticks of `/proc/<pid>/stat`
//! between two readings, divided by the ticks one core could run; see
//! `collector/src/sample/processes.rs`). The ticks themselves are not stored, so a sample's rate
//! is credited over the time since the server's previous stored sample: `cpu / 100 × (t − t₀)`
//! seconds, split at midnight when the interval spans it. The interval is capped at
//! [`MAX_INTERVAL_MS`]: after a gap (the collector stopped, the server was unreachable) the
//! first rate is measured over a fresh one-second baseline, and stretching it over the gap would
//! invent CPU time. A server's first sample ever credits nothing (it has no interval).
//!
//! **Memory and processes**: the average and peak of each sample's figures (percent of the
//! server's memory, resident bytes, process count) over the day's samples with the user.
//!
//! **Sessions** (where the sample has the server's details): the distinct sessions (terminal
//! and login time) of the user seen during the day, and the time they were open: each session
//! present at a sample is credited with the sample's interval (not before its login time).

use std::collections::{BTreeMap, BTreeSet};

use fleetwatch_common::Session;

use crate::types::UserUsage;

pub(crate) const DAY_MS: i64 = 86_400_000;

/// The longest interval a sample's CPU rate (and its sessions) is credited over.
pub(crate) const MAX_INTERVAL_MS: i64 = 3_600_000;

/// The start of the UTC day holding `ms`.
pub(crate) fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// One raw sample as the days need it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Point {
    pub(crate) ts: i64,
    pub(crate) users: Vec<UserUsage>,
    /// `None` when the sample had no details.
    pub(crate) sessions: Option<Vec<Session>>,
}

/// One user's day on one server, as stored: averages as sums over `samples`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct DayRow {
    pub(crate) samples: i64,
    pub(crate) cpu_seconds: f64,
    pub(crate) cpu_percent_max: Option<f64>,
    pub(crate) mem_percent_sum: f64,
    pub(crate) mem_percent_max: Option<f64>,
    pub(crate) rss_bytes_sum: i64,
    pub(crate) rss_bytes_max: Option<i64>,
    pub(crate) processes_sum: i64,
    pub(crate) processes_max: Option<i64>,
    pub(crate) sessions: Option<i64>,
    pub(crate) session_seconds: Option<f64>,
    pub(crate) disk_bytes: Option<f64>,
    pub(crate) disk_ms: Option<i64>,
}

impl DayRow {
    /// Adds what a later summary carried back into this day (its CPU and session time).
    pub(crate) fn add_carried(&mut self, c: &Carried) {
        self.cpu_seconds += c.cpu_seconds;
        if let Some(s) = c.session_seconds {
            self.session_seconds = Some(self.session_seconds.unwrap_or(0.0) + s);
        }
    }
}

/// CPU and session time that a summary found for a day before the summarised range: the part
/// of the range's first interval before its start.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Carried {
    pub(crate) cpu_seconds: f64,
    pub(crate) session_seconds: Option<f64>,
}

/// A user's day, keyed by (day start, user name).
pub(crate) type DayKey = (i64, String);

/// What [`summarise`] makes of a server's samples.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    /// The days in the range.
    pub(crate) days: BTreeMap<DayKey, DayRow>,
    /// Time that belongs to days before the range.
    pub(crate) carried: BTreeMap<DayKey, Carried>,
    /// The last sample's time before the range's end.
    pub(crate) last_ms: Option<i64>,
}

#[derive(Default)]
struct Acc {
    row: DayRow,
    sessions: BTreeSet<(String, Option<i64>)>,
    session_ms: i64,
}

/// Calls `f(day, ms)` for each UTC day `[start, end)` overlaps.
fn split(start: i64, end: i64, mut f: impl FnMut(i64, i64)) {
    let mut t = start;
    while t < end {
        let next = (day_of(t) + DAY_MS).min(end);
        f(day_of(t), next - t);
        t = next;
    }
}

fn max_of<T: PartialOrd + Copy>(a: Option<T>, b: T) -> Option<T> {
    Some(match a {
        Some(a) if a >= b => a,
        _ => b,
    })
}

/// Summarises a server's samples (sorted by time) into the days of `[from, to)` (day starts):
/// `prev_ms` is the time of the sample before the first one, if known. Samples at or after
/// `to` only credit their interval's part before `to`; parts before `from` go to
/// [`Summary::carried`].
pub(crate) fn summarise(points: &[Point], prev_ms: Option<i64>, from: i64, to: i64) -> Summary {
    let mut accs: BTreeMap<DayKey, Acc> = BTreeMap::new();
    let mut carried: BTreeMap<DayKey, (f64, i64)> = BTreeMap::new();
    let mut known_days: BTreeSet<i64> = BTreeSet::new();
    let mut prev = prev_ms;
    let mut last_ms = None;
    for p in points {
        let start = prev.map_or(p.ts, |t| t.max(p.ts - MAX_INTERVAL_MS));
        prev = Some(p.ts);
        let day = day_of(p.ts);
        let counted = p.ts >= from && p.ts < to;
        if p.ts < to {
            last_ms = Some(p.ts);
        }
        if counted && p.sessions.is_some() {
            known_days.insert(day);
        }
        for u in &p.users {
            split(start, p.ts.min(to), |d, ms| {
                let secs = u.cpu / 100.0 * ms as f64 / 1000.0;
                if d < from {
                    carried.entry((d, u.username.clone())).or_default().0 += secs;
                } else {
                    accs.entry((d, u.username.clone())).or_default().row.cpu_seconds += secs;
                }
            });
            if !counted {
                continue;
            }
            let r = &mut accs.entry((day, u.username.clone())).or_default().row;
            r.samples += 1;
            r.cpu_percent_max = max_of(r.cpu_percent_max, u.cpu);
            r.mem_percent_sum += u.mem;
            r.mem_percent_max = max_of(r.mem_percent_max, u.mem);
            r.rss_bytes_sum = r.rss_bytes_sum.saturating_add(u.rss_bytes);
            r.rss_bytes_max = max_of(r.rss_bytes_max, u.rss_bytes);
            r.processes_sum = r.processes_sum.saturating_add(u.process_count);
            r.processes_max = max_of(r.processes_max, u.process_count);
            if let Some(disk) = u.disk_bytes {
                r.disk_bytes = Some(disk);
                r.disk_ms = Some(p.ts);
            }
        }
        for s in p.sessions.iter().flatten() {
            let login = s.login_time.map(|t| t.timestamp_millis());
            let opened = start.max(login.unwrap_or(i64::MIN)).min(p.ts);
            split(opened, p.ts.min(to), |d, ms| {
                if d < from {
                    carried.entry((d, s.user.clone())).or_default().1 += ms;
                } else {
                    accs.entry((d, s.user.clone())).or_default().session_ms += ms;
                }
            });
            if counted {
                accs.entry((day, s.user.clone())).or_default().sessions.insert((s.tty.clone(), login));
            }
        }
    }
    let days = accs
        .into_iter()
        .map(|((day, user), a)| {
            let mut row = a.row;
            if known_days.contains(&day) {
                row.sessions = Some(a.sessions.len() as i64);
                row.session_seconds = Some(a.session_ms as f64 / 1000.0);
            } else if a.session_ms > 0 {
                row.session_seconds = Some(a.session_ms as f64 / 1000.0);
            }
            ((day, user), row)
        })
        .collect();
    let carried = carried
        .into_iter()
        .map(|(k, (cpu, ms))| (k, Carried { cpu_seconds: cpu, session_seconds: (ms > 0).then(|| ms as f64 / 1000.0) }))
        .collect();
    Summary { days, carried, last_ms }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const H: i64 = 3_600_000;

    fn user(name: &str, cpu: f64, rss: i64) -> UserUsage {
        UserUsage { username: name.into(), cpu, mem: 1.0, rss_bytes: rss, process_count: 2, ..UserUsage::default() }
    }

    fn point(ts: i64, users: Vec<UserUsage>) -> Point {
        Point { ts, users, sessions: None }
    }

    #[test]
    fn cpu_time_is_the_rate_over_the_interval_split_at_midnight() {
        let d1 = DAY_MS;
        // 23:30 (first: nothing), 00:30 next day at 50 %: half an hour on each day.
        let pts = [point(d1 - H / 2, vec![user("a", 10.0, 1)]), point(d1 + H / 2, vec![user("a", 50.0, 3)])];
        let s = summarise(&pts, None, 0, 2 * DAY_MS);
        let day0 = &s.days[&(0, "a".to_string())];
        let day1 = &s.days[&(d1, "a".to_string())];
        assert_eq!((day0.samples, day0.cpu_seconds), (1, 0.5 * 1800.0));
        assert_eq!((day1.samples, day1.cpu_seconds), (1, 0.5 * 1800.0));
        assert_eq!((day1.rss_bytes_sum, day1.rss_bytes_max), (3, Some(3)));
        // Summarising the second day alone carries the first half hour back.
        let s = summarise(&pts[1..], Some(d1 - H / 2), d1, 2 * DAY_MS);
        assert_eq!(s.carried[&(0, "a".to_string())].cpu_seconds, 900.0);
        assert_eq!(s.days[&(d1, "a".to_string())].cpu_seconds, 900.0);
        assert_eq!(s.last_ms, Some(d1 + H / 2));
    }

    #[test]
    fn a_long_gap_credits_at_most_the_cap() {
        let pts = [point(0, vec![user("a", 100.0, 1)]), point(5 * H, vec![user("a", 100.0, 1)])];
        let s = summarise(&pts, None, 0, DAY_MS);
        assert_eq!(s.days[&(0, "a".to_string())].cpu_seconds, 3600.0);
    }
}
