//! Mounted file systems: either an `@@output` line and GNU `df -k --output=source,fstype,size,
//! used,avail,itotal,iused,iavail,target` (blocks, inodes and type in one run), or the POSIX
//! `df -P -k`, an `@@inodes` line and `df -P -i` (optional); then a `@@mounts` line and
//! `/proc/mounts` (see
//! [proc_pid_mounts(5)](https://man7.org/linux/man-pages/man5/proc_pid_mounts.5.html) and
//! [df(1p)](https://man7.org/linux/man-pages/man1/df.1p.html)). The program prints the two
//! `df`; [`crate::parse::parse_output`] appends `/proc/mounts` from the `files` section.
//!
//! Only real mounts are returned: pseudo file systems (by type, from `/proc/mounts`), empty
//! file systems and second views of one file system (bind mounts, btrfs subvolumes) are dropped.

use std::borrow::Cow;

use crate::fast_map::FastMap;

mod fstypes;
mod rows;

pub use fstypes::{DEFAULT_EXCLUDED_FSTYPES, mounts_may_hang};
use rows::{df_row, header_block_size, inode_row, output_row, unescape};

use super::{Parsed, Problem, numbered_lines};

/// The line before `/proc/mounts`.
pub const SEPARATOR: &str = "@@mounts";
/// The line between `df -P -k` and `df -P -i`.
pub const INODES_SEPARATOR: &str = "@@inodes";
/// The line before GNU `df --output` lines.
pub const OUTPUT_SEPARATOR: &str = "@@output";

/// One real mounted file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub device: String,
    pub mount_point: String,
    /// From `/proc/mounts`; `None` when the mount point was not found there.
    pub fstype: Option<String>,
    pub total_bytes: u64,
    pub used_bytes: u64,
    /// Available to unprivileged users (blocks reserved for root are not).
    pub available_bytes: u64,
    /// From `df -P -i`; `None` where df could not tell or the file system has no fixed number
    /// of inodes (btrfs, vfat and others report 0).
    pub inodes: Option<Inodes>,
}

/// Inodes of one file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inodes {
    pub total: u64,
    pub used: u64,
    pub free: u64,
}

impl Inodes {
    /// `used / (used + free)` in percent, as df's IUse% column (rounded differently: df rounds up).
    pub fn used_percent(&self) -> Option<f64> {
        let usable = self.used.saturating_add(self.free);
        if usable == 0 {
            return None;
        }
        Some((self.used as f64 / usable as f64 * 100.0).clamp(0.0, 100.0))
    }
}

impl Mount {
    /// `used / (used + available)` in percent, as `df` computes its Capacity column: the blocks
    /// reserved for root do not count, so a disk is 100 % full when users can write no more.
    pub fn used_percent(&self) -> Option<f64> {
        let usable = self.used_bytes.saturating_add(self.available_bytes);
        if usable == 0 {
            return None;
        }
        Some((self.used_bytes as f64 / usable as f64 * 100.0).clamp(0.0, 100.0))
    }
}

/// Parses the section; `excluded_fstypes` lists the types to drop (see
/// [`DEFAULT_EXCLUDED_FSTYPES`]). A mount missing from `/proc/mounts` is judged by its device
/// name instead (`tmpfs`, `proc`, … name both).
pub fn parse_mounts(body: &str, excluded_fstypes: &[String]) -> Result<Parsed<Vec<Mount>>, Problem> {
    let mut warnings = Vec::new();
    let mut rows: Vec<Mount> = Vec::new();
    // Mount point → type, borrowed from `body`: /proc/mounts has many more lines than df.
    let mut types: FastMap<Cow<'_, str>, &str> = FastMap::default();
    let mut inodes: FastMap<String, Inodes> = FastMap::default();
    let mut block_size: u64 = 1024;
    #[derive(PartialEq)]
    enum Part {
        Blocks,
        Inodes,
        Output,
        Mounts,
    }
    let mut part = Part::Blocks;
    let mut saw_separator = false;
    for (n, line) in numbered_lines(body) {
        if line.trim() == SEPARATOR {
            part = Part::Mounts;
            saw_separator = true;
            continue;
        }
        if line.trim() == INODES_SEPARATOR && part == Part::Blocks {
            part = Part::Inodes;
            continue;
        }
        if line.trim() == OUTPUT_SEPARATOR && part == Part::Blocks {
            part = Part::Output;
            continue;
        }
        if part == Part::Output {
            if line.starts_with("Filesystem") {
                continue;
            }
            match output_row(line) {
                Ok(Some(m)) => rows.push(m),
                Ok(None) => {}
                Err(msg) => warnings.push(Problem::at(n, msg)),
            }
            continue;
        }
        if part == Part::Blocks {
            if line.starts_with("Filesystem") {
                if let Some(size) = header_block_size(line) {
                    block_size = size;
                }
                continue;
            }
            match df_row(line, block_size) {
                Ok(Some(m)) => rows.push(m),
                Ok(None) => {}
                Err(msg) => warnings.push(Problem::at(n, msg)),
            }
        } else if part == Part::Inodes {
            if line.starts_with("Filesystem") {
                continue;
            }
            match inode_row(line) {
                Ok(Some((point, i))) => {
                    inodes.insert(point, i);
                }
                Ok(None) => {}
                Err(msg) => warnings.push(Problem::at(n, msg)),
            }
        } else {
            let mut fields = line.split_whitespace();
            match (fields.next(), fields.next(), fields.next()) {
                (Some(_), Some(point), Some(fstype)) => {
                    // The last mount on a point is the visible one: later lines win.
                    types.insert(unescape(point), fstype);
                }
                _ => warnings.push(Problem::at(n, "a /proc/mounts line has fewer than 3 fields")),
            }
        }
    }
    if !saw_separator {
        return Err(Problem::whole(format!("no {SEPARATOR} line: /proc/mounts is missing")));
    }
    if rows.is_empty() {
        // Every row skipped: say why, rather than that df printed nothing.
        return Err(match warnings.first() {
            Some(w) => Problem::whole(format!("no usable df row ({w})")),
            None => Problem::whole("no df output"),
        });
    }

    let mut kept: Vec<Mount> = Vec::new();
    // (device, size) → index in `kept`: one file system seen through several mount points.
    let mut by_fs: FastMap<(String, u64), usize> = FastMap::default();
    for mut m in rows {
        m.fstype = types.get(m.mount_point.as_str()).map(|t| (*t).to_owned()).or(m.fstype.take());
        if m.inodes.is_none() {
            m.inodes = inodes.get(&m.mount_point).copied();
        }
        let kind = m.fstype.as_deref().unwrap_or(&m.device);
        if m.total_bytes == 0 || excluded_fstypes.iter().any(|t| t == kind) {
            continue;
        }
        match by_fs.get(&(m.device.clone(), m.total_bytes)) {
            Some(&i) => {
                // Keep the shortest mount point: `/` rather than `/var/lib/docker/...`.
                if let Some(k) = kept.get_mut(i)
                    && m.mount_point.len() < k.mount_point.len()
                {
                    *k = m;
                }
            }
            None => {
                by_fs.insert((m.device.clone(), m.total_bytes), kept.len());
                kept.push(m);
            }
        }
    }
    Ok(Parsed { value: kept, warnings })
}

#[cfg(test)]
mod tests;
