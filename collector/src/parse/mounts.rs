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

use std::collections::HashMap;

use super::{Parsed, Problem, numbered_lines, split_fields};

/// The line before `/proc/mounts`.
pub const SEPARATOR: &str = "@@mounts";
/// The line between `df -P -k` and `df -P -i`.
pub const INODES_SEPARATOR: &str = "@@inodes";
/// The line before GNU `df --output` lines.
pub const OUTPUT_SEPARATOR: &str = "@@output";

/// File system types that are not "real" disks, dropped by default:
/// - kernel pseudo file systems and memory-backed ones (`tmpfs` is RAM, counted by RAM);
/// - images that are full by design (`squashfs` snaps, `iso9660` CD-ROMs, `erofs`);
/// - container layers (`overlay`, `aufs`), which show the host disk again;
/// - desktop and container helpers on FUSE;
/// - network file systems, whose fullness belongs to the server exporting them.
pub const DEFAULT_EXCLUDED_FSTYPES: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "proc",
    "pstore",
    "ramfs",
    "rootfs",
    "rpc_pipefs",
    "nfsd",
    "securityfs",
    "selinuxfs",
    "sysfs",
    "tmpfs",
    "tracefs",
    "squashfs",
    "iso9660",
    "udf",
    "erofs",
    "overlay",
    "aufs",
    "fuse.gvfsd-fuse",
    "fuse.portal",
    "fuse.lxcfs",
    "fuse.snapfuse",
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "fuse.sshfs",
    "ceph",
    "glusterfs",
];

/// File system types `df` can always stat at once: local disks, memory and kernel pseudo file
/// systems. Any other type in the mount table (NFS, CIFS, FUSE, autofs, Ceph, or one unknown
/// here) can leave `df` waiting for ever on a server that does not answer, so the program then
/// runs `df` under `timeout` (see `scripts/mounts.sh`).
const NEVER_HANG_FSTYPES: &[&str] = &[
    "ext2",
    "ext3",
    "ext4",
    "xfs",
    "btrfs",
    "zfs",
    "f2fs",
    "jfs",
    "reiserfs",
    "nilfs2",
    "bcachefs",
    "vfat",
    "msdos",
    "exfat",
    "ntfs",
    "ntfs3",
    "hfs",
    "hfsplus",
    "udf",
    "iso9660",
    "squashfs",
    "erofs",
    "overlay",
    "aufs",
    "tmpfs",
    "ramfs",
    "rootfs",
    "devtmpfs",
    "devfs",
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "devpts",
    "mqueue",
    "hugetlbfs",
    "debugfs",
    "tracefs",
    "securityfs",
    "pstore",
    "bpf",
    "configfs",
    "efivarfs",
    "fusectl",
    "binfmt_misc",
    "selinuxfs",
    "nsfs",
    "rpc_pipefs",
    "nfsd",
    "zonefs",
];

/// Whether `/proc/mounts` (`proc_mounts`) lists a mount whose type is not known to never hang
/// `df` (see [`NEVER_HANG_FSTYPES`]). Lines that cannot be read count as such a mount. The one
/// `autofs` mount systemd puts on every host, `/proc/sys/fs/binfmt_misc`, mounts a kernel file
/// system and is not counted; any other automount point may stand for a network share.
pub fn mounts_may_hang(proc_mounts: &str) -> bool {
    proc_mounts.lines().filter(|l| !l.trim().is_empty()).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, "/proc/sys/fs/binfmt_misc", "autofs", ..] => false,
            [_, _, fstype, ..] => !NEVER_HANG_FSTYPES.contains(fstype),
            _ => true,
        }
    })
}

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
    let mut types: HashMap<String, String> = HashMap::new();
    let mut inodes: HashMap<String, Inodes> = HashMap::new();
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
                    types.insert(unescape(point), fstype.to_owned());
                }
                _ => warnings.push(Problem::at(n, "a /proc/mounts line has fewer than 3 fields")),
            }
        }
    }
    if !saw_separator {
        return Err(Problem::whole(format!("no {SEPARATOR} line: /proc/mounts is missing")));
    }
    if rows.is_empty() {
        return Err(Problem::whole("no df output"));
    }

    let mut kept: Vec<Mount> = Vec::new();
    // (device, size) → index in `kept`: one file system seen through several mount points.
    let mut by_fs: HashMap<(String, u64), usize> = HashMap::new();
    for mut m in rows {
        m.fstype = types.get(&m.mount_point).cloned().or(m.fstype.take());
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

/// `1024-blocks` (POSIX), `1K-blocks` (GNU without -P), `512-blocks`.
fn header_block_size(header: &str) -> Option<u64> {
    let word = header.split_whitespace().nth(1)?;
    let size = word.strip_suffix("-blocks")?;
    match size.strip_suffix(['K', 'k']) {
        Some(k) => k.parse::<u64>().ok()?.checked_mul(1024),
        None => size.parse().ok(),
    }
}

/// One `df -P` line: device, total, used, available, capacity, mount point (which may hold
/// spaces). `Ok(None)` for a file system df could not size (`-`).
fn df_row(line: &str, block_size: u64) -> Result<Option<Mount>, String> {
    let Some((f, mount_point)) = split_fields(line, 5) else {
        return Err("a df line has fewer than 6 fields".to_owned());
    };
    if mount_point.is_empty() {
        return Err("a df line has no mount point".to_owned());
    }
    if f[1] == "-" {
        return Ok(None);
    }
    let num = |s: &str, what: &str| {
        s.parse::<u64>()
            .map(|v| v.saturating_mul(block_size))
            .map_err(|_| format!("{what} {s:?} of {mount_point} is not a number"))
    };
    Ok(Some(Mount {
        device: f[0].to_owned(),
        mount_point: mount_point.to_owned(),
        fstype: None,
        total_bytes: num(f[1], "size")?,
        used_bytes: num(f[2], "used")?,
        available_bytes: num(f[3], "available")?,
        inodes: None,
    }))
}

/// One GNU `df --output` line: source, type, size, used, avail (KiB), inodes, iused, ifree,
/// mount point (which may hold spaces). `Ok(None)` for a file system df could not size.
fn output_row(line: &str) -> Result<Option<Mount>, String> {
    let Some((f, mount_point)) = split_fields(line, 8) else {
        return Err("a df --output line has fewer than 9 fields".to_owned());
    };
    if mount_point.is_empty() {
        return Err("a df --output line has no mount point".to_owned());
    }
    if f[2] == "-" {
        return Ok(None);
    }
    let num =
        |s: &str, what: &str| s.parse::<u64>().map_err(|_| format!("{what} {s:?} of {mount_point} is not a number"));
    let inodes = match (f[5], f[6], f[7]) {
        ("-" | "0", _, _) => None,
        (t, u, fr) => {
            Some(Inodes { total: num(t, "inodes")?, used: num(u, "used inodes")?, free: num(fr, "free inodes")? })
        }
    };
    Ok(Some(Mount {
        device: f[0].to_owned(),
        mount_point: mount_point.to_owned(),
        fstype: Some(f[1].to_owned()),
        total_bytes: num(f[2], "size")?.saturating_mul(1024),
        used_bytes: num(f[3], "used")?.saturating_mul(1024),
        available_bytes: num(f[4], "available")?.saturating_mul(1024),
        inodes,
    }))
}

/// One `df -P -i` line: device, inodes, used, free, IUse%, mount point. `Ok(None)` where df
/// shows no inode count (`-` or a total of 0).
fn inode_row(line: &str) -> Result<Option<(String, Inodes)>, String> {
    let Some((f, mount_point)) = split_fields(line, 5) else {
        return Err("a df -i line has fewer than 6 fields".to_owned());
    };
    if mount_point.is_empty() {
        return Err("a df -i line has no mount point".to_owned());
    }
    if f[1] == "-" || f[1] == "0" {
        return Ok(None);
    }
    let num =
        |s: &str, what: &str| s.parse::<u64>().map_err(|_| format!("{what} {s:?} of {mount_point} is not a number"));
    let i = Inodes { total: num(f[1], "inodes")?, used: num(f[2], "used inodes")?, free: num(f[3], "free inodes")? };
    Ok(Some((mount_point.to_owned(), i)))
}

/// Undoes the octal escapes of `/proc/mounts` (`\040` space, `\011` tab, `\012` newline,
/// `\134` backslash).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && let Some(&[d0, d1, d2]) = b.get(i + 1..i + 4)
            && [d0, d1, d2].iter().all(|d| (b'0'..=b'7').contains(d))
            && d0 <= b'3'
        {
            out.push((d0 - b'0') * 64 + (d1 - b'0') * 8 + (d2 - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_mounts_that_can_hang_df_ask_for_the_timeout() {
        let local = "/dev/sda1 / ext4 rw 0 0\nproc /proc proc rw 0 0\ntmpfs /run tmpfs rw 0 0\n\
                     systemd-1 /proc/sys/fs/binfmt_misc autofs rw 0 0\noverlay /var/lib/docker/x overlay rw 0 0\n";
        assert!(!super::mounts_may_hang(local));
        for risky in [
            "srv:/export /mnt/nfs nfs4 rw 0 0",
            "//nas/share /mnt/smb cifs rw 0 0",
            "sshfs#u@h: /mnt/s fuse.sshfs rw 0 0",
            "auto.home /home autofs rw 0 0",
            "dev /mnt/x brandnewfs rw 0 0",
            "garbage",
        ] {
            assert!(super::mounts_may_hang(&format!("{local}{risky}\n")), "{risky}");
        }
    }

    use super::*;

    fn defaults() -> Vec<String> {
        DEFAULT_EXCLUDED_FSTYPES.iter().map(|s| (*s).to_owned()).collect()
    }

    const BODY: &str = "\
Filesystem     1024-blocks     Used Available Capacity Mounted on
udev               4008336        0   4008336       0% /dev
tmpfs               806324     1544    804780       1% /run
/dev/sda1         61665068 45123456  13379360      78% /
/dev/sda1         61665068 45123456  13379360      78% /var/lib/docker/bind
/dev/sdb1        103080888 97000000   800000      100% /mnt/my disk
/dev/loop0           64768    64768         0     100% /snap/core20/2015
overlay           61665068 45123456  13379360      78% /var/lib/docker/overlay2/abc/merged
fuse                     -        -         -        - /run/user/1000/doc
@@inodes
Filesystem          Inodes   IUsed   IFree IUse% Mounted on
/dev/sda1          3932160  412345 3519815   11% /
/dev/sdb1                0       0       0     - /mnt/my disk
fuse                     -       -       -     - /run/user/1000/doc
@@mounts
/dev/sda1 / ext4 rw,relatime 0 0
udev /dev devtmpfs rw 0 0
tmpfs /run tmpfs rw 0 0
/dev/sda1 /var/lib/docker/bind ext4 rw 0 0
/dev/sdb1 /mnt/my\\040disk xfs rw 0 0
/dev/loop0 /snap/core20/2015 squashfs ro 0 0
overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0
";

    #[test]
    fn keeps_real_mounts_once() {
        let p = parse_mounts(BODY, &defaults()).unwrap_or_else(|e| panic!("{e}"));
        let points: Vec<&str> = p.value.iter().map(|m| m.mount_point.as_str()).collect();
        assert_eq!(points, ["/", "/mnt/my disk"]);
        assert_eq!(p.value[1].fstype.as_deref(), Some("xfs"));
        assert_eq!(p.value[0].total_bytes, 61_665_068 * 1024);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let i = p.value[0].inodes.unwrap_or_else(|| panic!("inodes of /"));
        assert_eq!((i.total, i.used, i.free), (3_932_160, 412_345, 3_519_815));
        assert!((i.used_percent().unwrap_or_default() - 412_345.0 / 3_932_160.0 * 100.0).abs() < 1e-9);
        assert_eq!(p.value[1].inodes, None, "xfs shown with 0 inodes: unknown");
    }

    #[test]
    fn gnu_df_output_in_one_run() {
        let body = "@@output\n\
Filesystem     Type     1K-blocks     Used Available  Inodes  IUsed   IFree Mounted on\n\
/dev/vda       ext4     264212084 41928676  53357212 16777216 511245 16265971 /\n\
tmpfs          tmpfs     24684092     1052  24683040 3085511      3 3085508 /dev/shm\n\
/dev/vdb       btrfs      1000000   500000    500000       0      0       0 /srv/my data\n\
fuse           fuse.x           -        -         -       -      -       - /run/user/1000/doc\n\
/dev/vdc       xfs            100       10        90       x      1       1 /bad\n\
@@mounts\n/dev/vda / ext4 rw 0 0\ntmpfs /dev/shm tmpfs rw 0 0\n";
        let p = parse_mounts(body, &defaults()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        let points: Vec<(&str, Option<&str>)> =
            p.value.iter().map(|m| (m.mount_point.as_str(), m.fstype.as_deref())).collect();
        assert_eq!(
            points,
            [("/", Some("ext4")), ("/srv/my data", Some("btrfs"))],
            "type from df where /proc/mounts lacks it"
        );
        assert_eq!(p.value[0].total_bytes, 264_212_084 * 1024);
        assert_eq!(p.value[0].inodes, Some(Inodes { total: 16_777_216, used: 511_245, free: 16_265_971 }));
        assert_eq!(p.value[1].inodes, None);
    }

    #[test]
    fn busybox_df_i_header_and_a_bad_inode_line() {
        let body = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 100 40 60 40% /\n\
                    @@inodes\nFilesystem Inodes Used Available Capacity Mounted on\n/dev/vda 1000 x 990 1% /\n\
                    @@mounts\n/dev/vda / ext4 rw 0 0\n";
        let p = parse_mounts(body, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.value[0].inodes, None);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    }

    #[test]
    fn the_exclusion_list_is_a_parameter() {
        let p = parse_mounts(BODY, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.value.iter().any(|m| m.mount_point == "/snap/core20/2015"));
        assert!(p.value.iter().any(|m| m.mount_point == "/run"));
    }

    #[test]
    fn percent_is_dfs_capacity() {
        let m = Mount {
            device: "d".into(),
            mount_point: "/".into(),
            fstype: None,
            total_bytes: 100,
            used_bytes: 45,
            available_bytes: 50,
            inodes: None,
        };
        assert!((m.used_percent().unwrap_or_default() - 47.368).abs() < 0.01);
        assert_eq!(Mount { used_bytes: 0, available_bytes: 0, ..m }.used_percent(), None);
    }

    #[test]
    fn unescapes_octal() {
        assert_eq!(unescape(r"/a\040b\011c\134d\\"), "/a b\tc\\d\\\\");
        assert_eq!(unescape(r"\999\04"), r"\999\04");
    }

    #[test]
    fn header_sizes() {
        assert_eq!(header_block_size("Filesystem 1024-blocks Used"), Some(1024));
        assert_eq!(header_block_size("Filesystem 1K-blocks Used"), Some(1024));
        assert_eq!(header_block_size("Filesystem 512-blocks Used"), Some(512));
        assert_eq!(header_block_size("Filesystem Size Used"), None);
    }

    #[test]
    fn needs_both_parts() {
        assert!(parse_mounts("Filesystem 1024-blocks\n/dev/a 1 1 0 100% /\n", &[]).is_err());
        assert!(parse_mounts("@@mounts\n/dev/a / ext4 rw 0 0\n", &[]).is_err());
    }
}
