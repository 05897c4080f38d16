//! User activity over time: one user's figures on one server on one UTC day ([`UserDay`], from
//! `GET /api/users/{user}/history`), and a user's totals over a window ([`UserTotal`], from
//! `GET /api/users/top?from=&to=`), with [`totals`] that makes the second from the first.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One user on one server on one UTC day. Averages are over the day's samples in which the
/// user had a process; they are `None` for a day whose only figure is CPU time or session time
/// carried over from the previous day's last interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDay {
    pub username: String,
    pub server_name: String,
    /// The UTC day.
    pub day: NaiveDate,
    /// Samples of the day in which the user had a process.
    pub samples: i64,
    /// CPU time in seconds: each sample's CPU rate (percent of one core since the previous
    /// sample) times the time since that sample, split at midnight.
    pub cpu_seconds: f64,
    /// The highest CPU rate of a sample, percent of one core.
    pub cpu_percent_max: Option<f64>,
    /// Percent of the server's memory.
    pub mem_percent_avg: Option<f64>,
    pub mem_percent_max: Option<f64>,
    /// Resident memory in bytes.
    pub rss_bytes_avg: Option<f64>,
    pub rss_bytes_max: Option<i64>,
    pub processes_avg: Option<f64>,
    pub processes_max: Option<i64>,
    /// Distinct login sessions (terminal and login time) seen during the day; `None` when no
    /// sample of the day had the server's sessions.
    pub sessions: Option<i64>,
    /// Time the user's sessions were open, summed over the sessions, in seconds.
    pub session_seconds: Option<f64>,
    /// The day's last measurement of the user's disk usage in bytes, where it is measured.
    pub disk_bytes: Option<f64>,
}

/// One user over a window: the sum (CPU time, sessions, disk) or the highest (peaks) of their
/// days on every server, averages weighted by samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserTotal {
    pub username: String,
    /// The servers the user was seen on, sorted.
    pub servers: Vec<String>,
    /// Distinct UTC days with a sample of the user.
    pub days: i64,
    pub samples: i64,
    pub cpu_seconds: f64,
    pub cpu_percent_max: Option<f64>,
    pub mem_percent_avg: Option<f64>,
    pub mem_percent_max: Option<f64>,
    pub rss_bytes_avg: Option<f64>,
    pub rss_bytes_max: Option<i64>,
    pub processes_avg: Option<f64>,
    pub processes_max: Option<i64>,
    pub sessions: Option<i64>,
    pub session_seconds: Option<f64>,
    /// The sum over servers of each server's last measurement within the window.
    pub disk_bytes: Option<f64>,
    /// The window asked for; the totals cover its whole UTC days.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

fn max_opt<T: PartialOrd + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y > x { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

fn add_opt<T: std::ops::Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x + y),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Each user's totals over `days` (any order), highest CPU time first, then by name.
pub fn totals(days: &[UserDay], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<UserTotal> {
    use std::collections::BTreeMap;
    struct Acc<'a> {
        servers: std::collections::BTreeSet<&'a str>,
        days: std::collections::BTreeSet<NaiveDate>,
        samples: i64,
        cpu_seconds: f64,
        cpu_max: Option<f64>,
        mem_sum: f64,
        mem_max: Option<f64>,
        rss_sum: f64,
        rss_max: Option<i64>,
        procs_sum: f64,
        procs_max: Option<i64>,
        sessions: Option<i64>,
        session_seconds: Option<f64>,
        /// Per server: the last day with a disk measurement and its value.
        disk: BTreeMap<&'a str, (NaiveDate, f64)>,
    }
    let mut by_user: BTreeMap<&str, Acc<'_>> = BTreeMap::new();
    for d in days {
        let a = by_user.entry(d.username.as_str()).or_insert_with(|| Acc {
            servers: Default::default(),
            days: Default::default(),
            samples: 0,
            cpu_seconds: 0.0,
            cpu_max: None,
            mem_sum: 0.0,
            mem_max: None,
            rss_sum: 0.0,
            rss_max: None,
            procs_sum: 0.0,
            procs_max: None,
            sessions: None,
            session_seconds: None,
            disk: BTreeMap::new(),
        });
        a.servers.insert(d.server_name.as_str());
        if d.samples > 0 {
            a.days.insert(d.day);
        }
        let n = d.samples as f64;
        a.samples += d.samples;
        a.cpu_seconds += d.cpu_seconds;
        a.cpu_max = max_opt(a.cpu_max, d.cpu_percent_max);
        a.mem_sum += d.mem_percent_avg.unwrap_or(0.0) * n;
        a.mem_max = max_opt(a.mem_max, d.mem_percent_max);
        a.rss_sum += d.rss_bytes_avg.unwrap_or(0.0) * n;
        a.rss_max = max_opt(a.rss_max, d.rss_bytes_max);
        a.procs_sum += d.processes_avg.unwrap_or(0.0) * n;
        a.procs_max = max_opt(a.procs_max, d.processes_max);
        a.sessions = add_opt(a.sessions, d.sessions);
        a.session_seconds = add_opt(a.session_seconds, d.session_seconds);
        if let Some(bytes) = d.disk_bytes {
            let e = a.disk.entry(d.server_name.as_str()).or_insert((d.day, bytes));
            if d.day >= e.0 {
                *e = (d.day, bytes);
            }
        }
    }
    let mut out: Vec<UserTotal> = by_user
        .into_iter()
        .map(|(username, a)| {
            let avg = |sum: f64| (a.samples > 0).then(|| sum / a.samples as f64);
            UserTotal {
                username: username.to_owned(),
                servers: a.servers.iter().map(|s| (*s).to_owned()).collect(),
                days: a.days.len() as i64,
                samples: a.samples,
                cpu_seconds: a.cpu_seconds,
                cpu_percent_max: a.cpu_max,
                mem_percent_avg: avg(a.mem_sum),
                mem_percent_max: a.mem_max,
                rss_bytes_avg: avg(a.rss_sum),
                rss_bytes_max: a.rss_max,
                processes_avg: avg(a.procs_sum),
                processes_max: a.procs_max,
                sessions: a.sessions,
                session_seconds: a.session_seconds,
                disk_bytes: (!a.disk.is_empty()).then(|| a.disk.values().map(|(_, b)| b).sum()),
                from,
                to,
            }
        })
        .collect();
    out.sort_by(|a, b| b.cpu_seconds.total_cmp(&a.cpu_seconds).then_with(|| a.username.cmp(&b.username)));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn day(user: &str, server: &str, d: u32, samples: i64, cpu: f64, rss: f64, disk: Option<f64>) -> UserDay {
        UserDay {
            username: user.into(),
            server_name: server.into(),
            day: NaiveDate::from_ymd_opt(2026, 1, d).unwrap(),
            samples,
            cpu_seconds: cpu,
            cpu_percent_max: Some(cpu / 10.0),
            mem_percent_avg: Some(1.0),
            mem_percent_max: Some(2.0),
            rss_bytes_avg: (samples > 0).then_some(rss),
            rss_bytes_max: Some(rss as i64),
            processes_avg: Some(3.0),
            processes_max: Some(4),
            sessions: Some(1),
            session_seconds: None,
            disk_bytes: disk,
        }
    }

    #[test]
    fn totals_sum_weigh_and_rank() {
        let days = [
            day("ann", "a", 1, 1, 10.0, 100.0, Some(5.0)),
            day("ann", "a", 2, 3, 20.0, 200.0, Some(7.0)),
            day("ann", "b", 2, 0, 5.0, 0.0, Some(1.0)),
            day("bob", "a", 1, 2, 50.0, 10.0, None),
        ];
        let t = totals(&days, DateTime::UNIX_EPOCH, DateTime::UNIX_EPOCH);
        assert_eq!(t.iter().map(|t| t.username.as_str()).collect::<Vec<_>>(), ["bob", "ann"]);
        let ann = &t[1];
        assert_eq!((ann.samples, ann.days, ann.cpu_seconds), (4, 2, 35.0));
        assert_eq!(ann.servers, ["a", "b"]);
        assert_eq!(ann.rss_bytes_avg, Some((100.0 + 3.0 * 200.0) / 4.0));
        assert_eq!((ann.rss_bytes_max, ann.cpu_percent_max, ann.sessions), (Some(200), Some(2.0), Some(3)));
        assert_eq!(ann.disk_bytes, Some(7.0 + 1.0), "the last of each server, summed");
        assert_eq!(t[0].disk_bytes, None);
    }
}
