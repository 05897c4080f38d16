//! Which file system types are real disks, and which can hang `df`.

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
/// `df` (see `NEVER_HANG_FSTYPES`). Lines that cannot be read count as such a mount. The one
/// `autofs` mount systemd puts on every host, `/proc/sys/fs/binfmt_misc`, mounts a kernel file
/// system and is not counted; any other automount point may stand for a network share.
pub fn mounts_may_hang(proc_mounts: &str) -> bool {
    proc_mounts.lines().filter(|l| !l.trim().is_empty()).any(|line| {
        let mut fields = line.split_whitespace();
        match (fields.next(), fields.next(), fields.next()) {
            (Some(_), Some("/proc/sys/fs/binfmt_misc"), Some("autofs")) => false,
            (Some(_), Some(_), Some(fstype)) => !NEVER_HANG_FSTYPES.contains(&fstype),
            _ => true,
        }
    })
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
}
