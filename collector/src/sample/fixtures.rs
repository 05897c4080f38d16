//! Readings shared by the unit tests of `sample`.

use chrono::{DateTime, Utc};

use crate::parse::{CpuStat, CpuTimes, Inodes, MemInfo, Mount, OwnerAnswers, ProcStat, Snapshot};

pub(super) fn times(busy: u64, idle: u64, iowait: u64) -> CpuTimes {
    CpuTimes { user: busy, idle, iowait, ..CpuTimes::default() }
}

pub(super) fn proc(pid: u32, comm: &str, ticks: u64, start: u64, rss_pages: u64) -> ProcStat {
    ProcStat {
        pid,
        comm: comm.into(),
        state: 'S',
        ppid: 1,
        utime: ticks,
        stime: 0,
        starttime: start,
        rss_pages,
        threads: 1,
    }
}

pub(super) fn snapshot(stat_total: u64, procs: Vec<ProcStat>, owners: &[(u32, u32)]) -> Snapshot {
    Snapshot {
        stat: Some(CpuStat {
            all: times(stat_total / 2, stat_total - stat_total / 2, 0),
            cores: 2,
            per_cpu: vec![(0, times(stat_total / 4, stat_total / 4, 0)), (1, times(stat_total / 4, stat_total / 4, 0))],
            boot_time: Some(1_700_000_000),
        }),
        procs: Some(procs),
        owners: Some(OwnerAnswers { uids: owners.iter().copied().collect(), self_pid: None }),
        passwd: Some([(0, "root".to_owned()), (1000, "a.b1".to_owned())].into_iter().collect()),
        pagesize: Some(4096),
        meminfo: Some(MemInfo {
            total: 4096 * 1000,
            available: Some(4096 * 250),
            swap_total: Some(0),
            swap_free: Some(0),
            ..MemInfo::default()
        }),
        mounts: Some(vec![
            Mount {
                device: "/dev/a".into(),
                mount_point: "/".into(),
                fstype: Some("ext4".into()),
                total_bytes: 100,
                used_bytes: 40,
                available_bytes: 60,
                inodes: None,
            },
            Mount {
                device: "/dev/b".into(),
                mount_point: "/data".into(),
                fstype: Some("xfs".into()),
                total_bytes: 1000,
                used_bytes: 900,
                available_bytes: 100,
                inodes: Some(Inodes { total: 100, used: 25, free: 75 }),
            },
        ]),
        ..Snapshot::default()
    }
}

pub(super) fn at() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}
