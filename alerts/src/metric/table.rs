//! The figures a metric can name, each with the function that reads it. Names follow
//! `Sample`'s fields and `Details::series()`; `tests.rs` holds the two together.

use fleetwatch_common::{ContainerInfo, Details, DiskIo, DiskUsage, NetInterface, Sample};

pub(super) type SampleFn = fn(&Sample) -> Option<f64>;
/// Reads one figure of a `T`.
pub(super) type Reader<T> = fn(&T) -> Option<f64>;
/// A field name and its reader.
pub(super) type Field<T> = (&'static str, Reader<T>);

fn int(v: Option<i64>) -> Option<f64> {
    v.map(|v| v as f64)
}

/// Headline fields of [`Sample`]: (field name, accepted aliases, reader).
pub(super) const HEADLINES: &[(&str, &[&str], SampleFn)] = &[
    ("cpu_percent", &[], |s| s.cpu_percent),
    ("cpu_load_1min", &[], |s| s.cpu_load_1min),
    ("cpu_load_5min", &[], |s| s.cpu_load_5min),
    ("cpu_load_15min", &[], |s| s.cpu_load_15min),
    ("ram_percentage", &["ram_percent"], |s| s.ram_percentage),
    ("swap_percentage", &["swap_percent"], |s| s.swap_percentage),
    ("disk_percentage", &["disk_percent"], |s| s.disk_percentage),
    ("logged_users", &[], |s| int(s.logged_users)),
    ("tcp_connections", &[], |s| int(s.tcp_connections)),
    ("uptime_seconds", &[], |s| int(s.uptime_seconds)),
    ("cpu_cores", &[], |s| int(s.cpu_cores)),
    ("ram_total_bytes", &[], |s| int(s.ram_total_bytes)),
    ("ram_used_bytes", &[], |s| int(s.ram_used_bytes)),
    ("disk_total_bytes", &[], |s| int(s.disk_total_bytes)),
    ("disk_used_bytes", &[], |s| int(s.disk_used_bytes)),
];

/// Single series of [`Details`]: `cpu.*` of the total, `mem.*`, `system.*`.
pub(super) const DETAILS: &[Field<Details>] = &[
    ("cpu.busy", |d| Some(d.cpu.as_ref()?.total.as_ref()?.busy)),
    ("cpu.user", |d| Some(d.cpu.as_ref()?.total.as_ref()?.user)),
    ("cpu.nice", |d| Some(d.cpu.as_ref()?.total.as_ref()?.nice)),
    ("cpu.system", |d| Some(d.cpu.as_ref()?.total.as_ref()?.system)),
    ("cpu.iowait", |d| Some(d.cpu.as_ref()?.total.as_ref()?.iowait)),
    ("cpu.irq", |d| Some(d.cpu.as_ref()?.total.as_ref()?.irq)),
    ("cpu.softirq", |d| Some(d.cpu.as_ref()?.total.as_ref()?.softirq)),
    ("cpu.steal", |d| Some(d.cpu.as_ref()?.total.as_ref()?.steal)),
    ("cpu.idle", |d| Some(d.cpu.as_ref()?.total.as_ref()?.idle)),
    ("cpu.load_1", |d| d.cpu.as_ref()?.load_1),
    ("cpu.load_5", |d| d.cpu.as_ref()?.load_5),
    ("cpu.load_15", |d| d.cpu.as_ref()?.load_15),
    ("cpu.mhz", |d| d.cpu.as_ref()?.mhz),
    ("mem.used_bytes", |d| Some(d.memory.as_ref()?.used as f64)),
    ("mem.available_bytes", |d| Some(d.memory.as_ref()?.available as f64)),
    ("mem.buffers_bytes", |d| Some(d.memory.as_ref()?.buffers as f64)),
    ("mem.cached_bytes", |d| Some(d.memory.as_ref()?.cached as f64)),
    ("mem.swap_used_bytes", |d| Some(d.memory.as_ref()?.swap_used as f64)),
    ("mem.used_percent", |d| Some(d.memory.as_ref()?.used_percent)),
    ("mem.swap_percent", |d| Some(d.memory.as_ref()?.swap_percent)),
    ("system.processes", |d| int(d.system.as_ref()?.processes)),
    ("system.threads", |d| int(d.system.as_ref()?.threads)),
    ("system.open_files", |d| int(d.system.as_ref()?.open_files)),
];

/// Fields of `disk[<mount>]`.
pub(super) const DISK: &[Field<DiskUsage>] = &[
    ("used_percent", |d| Some(d.used_percent)),
    ("used_bytes", |d| Some(d.used_bytes as f64)),
    ("inodes_percent", |d| d.inodes_percent),
];

/// Fields of `diskio[<device>]`.
pub(super) const DISKIO: &[Field<DiskIo>] = &[
    ("read_bytes_per_sec", |d| Some(d.read_bytes_per_sec)),
    ("write_bytes_per_sec", |d| Some(d.write_bytes_per_sec)),
    ("reads_per_sec", |d| Some(d.reads_per_sec)),
    ("writes_per_sec", |d| Some(d.writes_per_sec)),
    ("busy_percent", |d| Some(d.busy_percent)),
];

/// Fields of `net[<interface>]`.
pub(super) const NET: &[Field<NetInterface>] = &[
    ("rx_bytes_per_sec", |n| Some(n.rx_bytes_per_sec)),
    ("tx_bytes_per_sec", |n| Some(n.tx_bytes_per_sec)),
    ("rx_packets_per_sec", |n| Some(n.rx_packets_per_sec)),
    ("tx_packets_per_sec", |n| Some(n.tx_packets_per_sec)),
    ("rx_errors", |n| Some(n.rx_errors as f64)),
    ("tx_errors", |n| Some(n.tx_errors as f64)),
    ("rx_drops", |n| Some(n.rx_drops as f64)),
    ("tx_drops", |n| Some(n.tx_drops as f64)),
];

/// Fields of `container[<name>]`.
pub(super) const CONTAINER: &[Field<ContainerInfo>] =
    &[("cpu_percent", |c| c.cpu_percent), ("memory_bytes", |c| c.memory_bytes.map(|v| v as f64))];

/// The reader of `field` in a family's table.
pub(super) fn family_field<T>(table: &[Field<T>], field: &str) -> Option<Reader<T>> {
    table.iter().find(|f| f.0 == field).map(|f| f.1)
}
