//! The server itself: its facts (OS, kernel, uptime, process and file counts) and who is
//! logged in.

use chrono::{DateTime, Utc};
use fleetwatch_common::details::{Session as SessionInfo, SystemInfo};

use super::to_i64;
use crate::parse::{Inventory, Snapshot};

/// The logged-in sessions, their login times in UTC.
pub(super) fn sessions(snap: &Snapshot, now: DateTime<Utc>) -> Vec<SessionInfo> {
    snap.users
        .iter()
        .flatten()
        .map(|s| SessionInfo {
            user: s.user.clone(),
            tty: s.tty.clone(),
            from: s.host.clone(),
            login_time: s.login_time(now),
        })
        .collect()
}

/// The facts of the server; `None` when not one is known.
pub(super) fn system_info(snap: &Snapshot, inventory: Option<&Inventory>) -> Option<SystemInfo> {
    let inv = inventory.cloned().unwrap_or_default();
    let info = SystemInfo {
        hostname: snap.hostname.clone(),
        os: inv.os_name,
        os_id: inv.os_id,
        os_version: inv.os_version,
        kernel: inv.kernel,
        architecture: inv.arch,
        uptime_seconds: snap.uptime.map(|u| u.seconds.floor() as i64),
        boot_time: snap
            .stat
            .as_ref()
            .and_then(|s| s.boot_time)
            .and_then(|t| DateTime::<Utc>::from_timestamp(i64::try_from(t).ok()?, 0)),
        processes: snap.procs.as_ref().map(|p| to_i64(p.len() as u64)),
        threads: snap
            .procs
            .as_ref()
            .map(|p| to_i64(p.iter().fold(0u64, |acc, p| acc.saturating_add(p.threads))))
            .or_else(|| snap.loadavg.and_then(|l| l.threads).map(i64::from)),
        open_files: snap.file_nr.map(|f| to_i64(f.open)),
        max_files: snap.file_nr.map(|f| to_i64(f.max)),
    };
    (info != SystemInfo::default()).then_some(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{FileNr, LoadAvg, Session, Uptime};
    use crate::sample::fixtures::{at, proc, snapshot};

    #[test]
    fn facts_come_from_the_inventory_and_the_counters() {
        let mut snap = snapshot(1000, vec![proc(1, "init", 0, 1, 1), proc(2, "web", 0, 1, 1)], &[]);
        snap.uptime = Some(Uptime { seconds: 99.9, idle_seconds: None });
        snap.file_nr = Some(FileNr { open: 12, max: 100 });
        snap.loadavg = Some(LoadAvg { threads: Some(40), ..LoadAvg::default() });
        let inv = Inventory { kernel: Some("6.1.0".into()), os_name: Some("Debian".into()), ..Inventory::default() };
        let info = system_info(&snap, Some(&inv)).unwrap_or_else(|| panic!("facts are known"));
        assert_eq!((info.kernel.as_deref(), info.os.as_deref()), (Some("6.1.0"), Some("Debian")));
        assert_eq!((info.uptime_seconds, info.processes, info.threads), (Some(99), Some(2), Some(2)));
        assert_eq!((info.open_files, info.max_files), (Some(12), Some(100)));
        assert_eq!(info.boot_time.map(|t| t.timestamp()), Some(1_700_000_000));
        snap.procs = None;
        let info = system_info(&snap, None).unwrap_or_else(|| panic!("facts are known"));
        assert_eq!(info.threads, Some(40), "from /proc/loadavg without the process table");
        assert!(system_info(&Snapshot::default(), None).is_none());
    }

    #[test]
    fn sessions_keep_where_they_come_from() {
        let snap = Snapshot {
            users: Some(vec![Session {
                user: "ann".into(),
                tty: "pts/0".into(),
                login: "2025-11-21 10:00".into(),
                host: Some("10.0.0.1".into()),
            }]),
            ..Snapshot::default()
        };
        let s = sessions(&snap, at());
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].user.as_str(), s[0].tty.as_str(), s[0].from.as_deref()), ("ann", "pts/0", Some("10.0.0.1")));
        assert_eq!(s[0].login_time.map(|t| t.timestamp()), Some(1_763_719_200), "read as UTC");
        assert!(sessions(&Snapshot::default(), at()).is_empty());
    }
}
