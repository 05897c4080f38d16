//! Disks: the usage of each mounted file system and the I/O rates of each device (see
//! [df(1p)](https://man7.org/linux/man-pages/man1/df.1p.html) and the kernel's
//! [iostats](https://docs.kernel.org/admin-guide/iostats.html)).

use fleetwatch_common::details::{DiskIo, DiskUsage};

use super::{CarriedState, Timed, deltas, to_i64};
use crate::parse::{DiskStat, Mount, SECTOR_BYTES, Snapshot};

/// The fullest mount (the larger one on a tie), with its used percent: the headline's disk.
pub(super) fn fullest_mount(snap: &Snapshot) -> Option<(f64, &Mount)> {
    snap.mounts.as_ref().and_then(|mounts| {
        mounts
            .iter()
            .filter_map(|m| Some((m.used_percent()?, m)))
            .max_by(|(pa, a), (pb, b)| pa.total_cmp(pb).then(a.total_bytes.cmp(&b.total_bytes)))
    })
}

pub(super) fn disk_usage(m: &Mount) -> DiskUsage {
    DiskUsage {
        mount: m.mount_point.clone(),
        device: m.device.clone(),
        fstype: m.fstype.clone().unwrap_or_default(),
        size_bytes: to_i64(m.total_bytes),
        used_bytes: to_i64(m.used_bytes),
        available_bytes: to_i64(m.available_bytes),
        used_percent: m.used_percent().unwrap_or(0.0),
        inodes_total: m.inodes.map(|i| to_i64(i.total)),
        inodes_used: m.inodes.map(|i| to_i64(i.used)),
        inodes_percent: m.inodes.and_then(|i| i.used_percent()),
    }
}

/// Per-device I/O over the interval: whole disks only (see [`DiskStat::is_reported`]), and
/// only devices that have ever done I/O (an empty CD drive is noise).
pub(super) fn disk_io(
    earlier: Option<&CarriedState>,
    current: &CarriedState,
    warnings: &mut Vec<String>,
) -> Vec<DiskIo> {
    let before = earlier.and_then(|e| e.disks.as_ref());
    let Some((before, now, dt)) = Timed::interval(before, current.disks.as_ref()) else { return Vec::new() };
    let all: Vec<DiskStat> = now.value.values().cloned().collect();
    let mut out: Vec<DiskIo> = Vec::new();
    for d in &all {
        if !d.is_reported(&all) || (d.reads == 0 && d.writes == 0) {
            continue;
        }
        let Some(b) = before.value.get(&d.name) else { continue };
        let field = |x: &DiskStat| [x.reads, x.sectors_read, x.writes, x.sectors_written, x.busy_ms];
        let Some([reads, sectors_read, writes, sectors_written, busy_ms]) = deltas(field(b), field(d)) else {
            warnings.push(format!("diskstats: counters of {} went backwards; no rate this cycle", d.name));
            continue;
        };
        out.push(DiskIo {
            device: d.name.clone(),
            read_bytes_per_sec: sectors_read.saturating_mul(SECTOR_BYTES) as f64 / dt,
            write_bytes_per_sec: sectors_written.saturating_mul(SECTOR_BYTES) as f64 / dt,
            reads_per_sec: reads as f64 / dt,
            writes_per_sec: writes as f64 / dt,
            busy_percent: (busy_ms as f64 / (dt * 1000.0) * 100.0).clamp(0.0, 100.0),
        });
    }
    out.sort_by(|a, b| a.device.cmp(&b.device));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::fixtures::snapshot;

    fn disk(name: &str, io: u64) -> DiskStat {
        DiskStat {
            name: name.into(),
            reads: io,
            sectors_read: io * 8,
            writes: io * 2,
            sectors_written: io * 16,
            busy_ms: io * 10,
        }
    }

    fn reading(uptime: f64, disks: &[DiskStat]) -> CarriedState {
        let value = disks.iter().map(|d| (d.name.clone(), d.clone())).collect();
        CarriedState { disks: Some(Timed { uptime, value }), ..CarriedState::default() }
    }

    #[test]
    fn whole_disks_that_did_io_get_rates_over_the_uptime_interval() {
        let before = reading(100.0, &[disk("sda", 100), disk("sda1", 100), disk("sr0", 0), disk("loop0", 5)]);
        let now = reading(102.0, &[disk("sda", 300), disk("sda1", 300), disk("sr0", 0), disk("loop0", 9)]);
        let mut warnings = Vec::new();
        let io = disk_io(Some(&before), &now, &mut warnings);
        assert_eq!(io.len(), 1, "partitions, loop devices and idle drives are left out: {io:?}");
        let sda = &io[0];
        assert_eq!((sda.device.as_str(), sda.reads_per_sec, sda.writes_per_sec), ("sda", 100.0, 200.0));
        assert_eq!(sda.read_bytes_per_sec, (800 * SECTOR_BYTES) as f64);
        assert_eq!(sda.busy_percent, 100.0, "2,000 ms busy in 2 s");
        assert!(warnings.is_empty());
        assert!(disk_io(None, &now, &mut warnings).is_empty(), "one reading, no rate");
        assert!(disk_io(Some(&now), &before, &mut warnings).is_empty(), "time went backwards");
    }

    #[test]
    fn a_disk_whose_counters_went_backwards_gets_no_rate_and_a_warning() {
        let before = reading(100.0, &[disk("sda", 100), disk("sdb", 100)]);
        let now = reading(110.0, &[disk("sda", 50), disk("sdb", 200)]);
        let mut warnings = Vec::new();
        let io = disk_io(Some(&before), &now, &mut warnings);
        assert_eq!(io.iter().map(|d| d.device.as_str()).collect::<Vec<_>>(), ["sdb"]);
        assert_eq!(warnings, ["diskstats: counters of sda went backwards; no rate this cycle"]);
    }

    #[test]
    fn the_fullest_mount_is_the_headline_and_every_mount_is_listed() {
        let snap = snapshot(1000, vec![], &[]);
        let (pct, m) = fullest_mount(&snap).unwrap_or_else(|| panic!("two mounts"));
        assert_eq!((pct, m.mount_point.as_str()), (90.0, "/data"));
        let usage = disk_usage(m);
        assert_eq!((usage.size_bytes, usage.used_bytes, usage.available_bytes), (1000, 900, 100));
        assert_eq!((usage.inodes_total, usage.inodes_percent), (Some(100), Some(25.0)));
        assert_eq!(usage.fstype, "xfs");
        assert!(fullest_mount(&Snapshot::default()).is_none());
    }
}
