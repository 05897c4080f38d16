//! `/proc/diskstats`: I/O counters per block device, see the kernel's
//! [iostats](https://www.kernel.org/doc/html/latest/admin-guide/iostats.html).
//!
//! ```text
//!    8       0 sda 1016 0 58296 301 4 0 8 1 0 344 302 0 0 0 0 0 0
//! ```
//!
//! Fields 4–14 exist since 2.6.25 (15–18 discards since 4.18, 19–20 flushes since 5.5); older
//! kernels print partitions with 7 fields, which are skipped. Sectors are 512 bytes whatever
//! the device's own sector size. The counters are `unsigned long`: 32 bits on 32-bit kernels,
//! so they wrap, which the rate computation treats like a reset.

use super::{Parsed, Problem, leading_fields, numbered_lines};

/// Bytes per sector in `/proc/diskstats`, for every device.
pub const SECTOR_BYTES: u64 = 512;

/// One device's counters since boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskStat {
    pub name: String,
    /// Reads completed.
    pub reads: u64,
    pub sectors_read: u64,
    /// Writes completed.
    pub writes: u64,
    pub sectors_written: u64,
    /// Milliseconds the device had I/O in flight (`io_ticks`, field 13).
    pub busy_ms: u64,
}

impl DiskStat {
    /// Whole devices worth reporting: not a partition of another listed device (its I/O is
    /// already counted there), not a loop, RAM or zram device (memory and images, not disks).
    /// Device-mapper and md devices are kept: they are what LVM and RAID users look at.
    pub fn is_reported(&self, all: &[DiskStat]) -> bool {
        let n = self.name.as_str();
        if ["loop", "ram", "zram"]
            .iter()
            .any(|p| n.strip_prefix(p).is_some_and(|r| r.bytes().all(|b| b.is_ascii_digit())))
        {
            return false;
        }
        !all.iter().any(|parent| is_partition_of(n, &parent.name))
    }
}

/// The kernel names partitions after their disk: `sda` → `sda1`, and with a `p` when the disk
/// name ends in a digit: `nvme0n1` → `nvme0n1p1`, `mmcblk0` → `mmcblk0p2`, `md0` → `md0p1`.
/// So `md1` is not a partition of `md12`'s disk, nor `dm-1` of `dm-10`.
fn is_partition_of(name: &str, disk: &str) -> bool {
    let Some(rest) = name.strip_prefix(disk) else { return false };
    let digits = match disk.bytes().last() {
        Some(b) if b.is_ascii_digit() => rest.strip_prefix('p'),
        Some(_) => Some(rest),
        None => None,
    };
    digits.is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses every device line; a line without the 14 fields of 2.6.25+ is skipped with a warning
/// (7-field partition lines of older kernels silently).
pub fn parse_diskstats(body: &str) -> Result<Parsed<Vec<DiskStat>>, Problem> {
    let mut disks = Vec::new();
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(body) {
        let (f, got, more) = leading_fields::<13>(line);
        if got + more.count() == 7 {
            continue;
        }
        let num = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok());
        match (f.get(2).filter(|s| !s.is_empty()), num(3), num(5), num(7), num(9), num(12)) {
            (Some(name), Some(reads), Some(sectors_read), Some(writes), Some(sectors_written), Some(busy_ms)) => {
                disks.push(DiskStat {
                    name: (*name).to_owned(),
                    reads,
                    sectors_read,
                    writes,
                    sectors_written,
                    busy_ms,
                });
            }
            _ => warnings.push(Problem::at(n, "not a diskstats line of 14 or more fields")),
        }
    }
    Ok(Parsed { value: disks, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "\
   8       0 sda 1016 0 58296 301 4 0 8 1 0 344 302 0 0 0 0 0 0
   8       1 sda1 900 0 50000 250 4 0 8 1 0 300 251 0 0 0 0
 259       0 nvme0n1 10 0 80 1 2 0 16 1 0 4 2
 259       1 nvme0n1p1 5 0 40 1 2 0 16 1 0 4 2
   7       0 loop0 3 0 8 0 0 0 0 0 0 1 0
 253       1 dm-1 1 0 8 0 0 0 0 0 0 1 0
 253      10 dm-10 1 0 8 0 0 0 0 0 0 1 0
   3       1 hda1 6 12 8 24
   8      16 sdb x 0 0 0 0 0 0 0 0 0 0
";

    #[test]
    fn reads_devices_and_keeps_whole_disks() {
        let p = parse_diskstats(BODY).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        let sda = &p.value[0];
        assert_eq!(
            (sda.name.as_str(), sda.reads, sda.sectors_read, sda.writes, sda.sectors_written, sda.busy_ms),
            ("sda", 1016, 58296, 4, 8, 344)
        );
        let kept: Vec<&str> = p.value.iter().filter(|d| d.is_reported(&p.value)).map(|d| d.name.as_str()).collect();
        assert_eq!(kept, ["sda", "nvme0n1", "dm-1", "dm-10"]);
    }

    #[test]
    fn partition_names() {
        assert!(is_partition_of("sda1", "sda"));
        assert!(is_partition_of("xvda12", "xvda"));
        assert!(is_partition_of("mmcblk0p2", "mmcblk0"));
        assert!(!is_partition_of("sdaa", "sda"));
        assert!(!is_partition_of("sda", "sda"));
        assert!(!is_partition_of("md12", "md1"));
        assert!(!is_partition_of("nvme0n10", "nvme0n1"));
        assert!(!is_partition_of("mmcblk0boot0", "mmcblk0"));
    }

    #[test]
    fn empty_is_no_device() {
        assert_eq!(parse_diskstats("").map(|p| p.value.len()), Ok(0));
    }
}
