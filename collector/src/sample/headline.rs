//! The headline [`Sample`]: the few figures of a server's card and of its history.

use chrono::{DateTime, Utc};
use fleetwatch_common::Sample;

use super::disks::fullest_mount;
use super::memory::{mem_total, ram_used, swap_percent};
use super::{percent, to_i64};
use crate::parse::Snapshot;

/// The sample of one cycle; `cpu_percent` comes from the two readings of the counters.
pub(super) fn headline(server_name: &str, now: DateTime<Utc>, snap: &Snapshot, cpu_percent: Option<f64>) -> Sample {
    let cores = snap.stat.as_ref().map(|s| s.cores).filter(|&c| c > 0);
    let mem_total = mem_total(snap);
    let ram_used = ram_used(snap);
    let fullest = fullest_mount(snap);
    Sample {
        server_name: server_name.to_owned(),
        cpu_percent,
        cpu_load_1min: snap.loadavg.map(|l| l.one),
        cpu_load_5min: snap.loadavg.map(|l| l.five),
        cpu_load_15min: snap.loadavg.map(|l| l.fifteen),
        ram_percentage: mem_total.zip(ram_used).map(|(t, u)| percent(u, t)),
        swap_percentage: snap.meminfo.and_then(|m| swap_percent(m.swap_total?, m.swap_free)),
        disk_percentage: fullest.map(|(p, _)| p),
        logged_users: snap.users.as_ref().map(|u| to_i64(u.len() as u64)),
        tcp_connections: snap.tcp.as_ref().map(|t| to_i64(t.established())),
        uptime_seconds: snap.uptime.map(|u| u.seconds.floor() as i64),
        timestamp: now,
        cpu_cores: cores.map(i64::from),
        ram_total_bytes: mem_total.map(to_i64),
        ram_used_bytes: mem_total.and(ram_used).map(to_i64),
        disk_total_bytes: fullest.map(|(_, m)| to_i64(m.total_bytes)),
        disk_used_bytes: fullest.map(|(_, m)| to_i64(m.used_bytes)),
        disk_mount: fullest.map(|(_, m)| m.mount_point.clone()),
        hostname: snap.hostname.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::fixtures::at;

    #[test]
    fn an_empty_snapshot_gives_an_empty_sample() {
        let s = headline("s", at(), &Snapshot::default(), Some(12.5));
        assert_eq!((s.cpu_percent, s.server_name.as_str()), (Some(12.5), "s"));
        assert!(s.ram_percentage.is_none() && s.disk_percentage.is_none() && s.cpu_cores.is_none());
        assert!(s.logged_users.is_none() && s.tcp_connections.is_none() && s.hostname.is_none());
    }
}
