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
fn needs_both_parts() {
    assert!(parse_mounts("Filesystem 1024-blocks\n/dev/a 1 1 0 100% /\n", &[]).is_err());
    assert!(parse_mounts("@@mounts\n/dev/a / ext4 rw 0 0\n", &[]).is_err());
}
