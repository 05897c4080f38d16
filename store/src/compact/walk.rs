//! Every number of a cycle that changes from one collection to the next, named: the walk that
//! splits a cycle into facts and figures, and puts them back together.
//!
//! The names of [`Details::series`]'s figures are kept as they are, in its order, and marked as
//! series; the other figures (the headline's, per-core breakdowns, free memory, …) are named
//! with a leading `~`, so they never answer for a series. What the walk does not visit (names,
//! sizes, models, inventories) is a fact.

use fleetwatch_common::{Details, Sample};

/// A number the walk visits, to read or to set.
pub(crate) enum Slot<'a> {
    /// A reading that is always there (NaN when not finite).
    F(&'a mut f64),
    OptF(&'a mut Option<f64>),
    I(&'a mut i64),
    OptI(&'a mut Option<i64>),
}

impl Slot<'_> {
    pub(crate) fn is_float(&self) -> bool {
        matches!(self, Slot::F(_) | Slot::OptF(_))
    }
}

/// What a visitor is told about each slot: its name, and whether it is one of
/// [`Details::series`].
pub(crate) trait Visit {
    fn slot(&mut self, name: &str, series: bool, slot: Slot<'_>);
    /// Whether it needs the names: a visitor that goes by position does not, and the walk then
    /// skips making them (most of its cost).
    fn named(&self) -> bool {
        true
    }
}

/// A slot's name, made only for a visitor that wants it.
fn nm(v: &dyn Visit, name: std::fmt::Arguments<'_>) -> String {
    if v.named() { name.to_string() } else { String::new() }
}

/// Visits the headline's figures, then the details' (if any), in a fixed order.
pub(crate) fn walk(sample: &mut Sample, details: Option<&mut Details>, v: &mut dyn Visit) {
    headline(sample, v);
    if let Some(d) = details {
        if v.named() {
            walk_details(d, &mut Dedup { inner: v, seen: std::collections::HashSet::new() });
        } else {
            walk_details(d, v);
        }
    }
}

/// Series names repeat where a list repeats a name (two mounts of one path): the first keeps the
/// name (as `Details::series` keeps the first), the others get `#n` and are not series.
struct Dedup<'a> {
    inner: &'a mut dyn Visit,
    seen: std::collections::HashSet<String>,
}

impl Visit for Dedup<'_> {
    fn slot(&mut self, name: &str, series: bool, slot: Slot<'_>) {
        if self.seen.insert(name.to_owned()) {
            return self.inner.slot(name, series, slot);
        }
        let mut n = 2;
        loop {
            let alt = format!("~{name}#{n}");
            if self.seen.insert(alt.clone()) {
                return self.inner.slot(&alt, false, slot);
            }
            n += 1;
        }
    }
}

fn headline(s: &mut Sample, v: &mut dyn Visit) {
    for (name, slot) in [
        ("~cpu_percent", Slot::OptF(&mut s.cpu_percent)),
        ("~cpu_load_1min", Slot::OptF(&mut s.cpu_load_1min)),
        ("~cpu_load_5min", Slot::OptF(&mut s.cpu_load_5min)),
        ("~cpu_load_15min", Slot::OptF(&mut s.cpu_load_15min)),
        ("~ram_percentage", Slot::OptF(&mut s.ram_percentage)),
        ("~swap_percentage", Slot::OptF(&mut s.swap_percentage)),
        ("~disk_percentage", Slot::OptF(&mut s.disk_percentage)),
        ("~logged_users", Slot::OptI(&mut s.logged_users)),
        ("~tcp_connections", Slot::OptI(&mut s.tcp_connections)),
        ("~uptime_seconds", Slot::OptI(&mut s.uptime_seconds)),
        ("~cpu_cores", Slot::OptI(&mut s.cpu_cores)),
        ("~ram_total_bytes", Slot::OptI(&mut s.ram_total_bytes)),
        ("~ram_used_bytes", Slot::OptI(&mut s.ram_used_bytes)),
        ("~disk_total_bytes", Slot::OptI(&mut s.disk_total_bytes)),
        ("~disk_used_bytes", Slot::OptI(&mut s.disk_used_bytes)),
    ] {
        v.slot(name, false, slot);
    }
}

/// The same order as [`Details::series`], with the other figures beside theirs.
fn walk_details(d: &mut Details, v: &mut dyn Visit) {
    if let Some(cpu) = &mut d.cpu {
        if let Some(t) = &mut cpu.total {
            breakdown("cpu", t, true, v);
        }
        for core in &mut cpu.cores {
            let name = core.name.clone();
            v.slot(&nm(v, format_args!("{name}.busy")), true, Slot::F(&mut core.busy));
            breakdown(&nm(v, format_args!("~{name}")), core, false, v);
        }
        for (k, slot) in [
            ("load_1", &mut cpu.load_1),
            ("load_5", &mut cpu.load_5),
            ("load_15", &mut cpu.load_15),
            ("mhz", &mut cpu.mhz),
        ] {
            v.slot(&nm(v, format_args!("cpu.{k}")), true, Slot::OptF(slot));
        }
    }
    if let Some(m) = &mut d.memory {
        for (k, slot) in [
            ("used_bytes", Slot::I(&mut m.used)),
            ("available_bytes", Slot::I(&mut m.available)),
            ("buffers_bytes", Slot::I(&mut m.buffers)),
            ("cached_bytes", Slot::I(&mut m.cached)),
            ("swap_used_bytes", Slot::I(&mut m.swap_used)),
            ("used_percent", Slot::F(&mut m.used_percent)),
            ("swap_percent", Slot::F(&mut m.swap_percent)),
        ] {
            v.slot(&nm(v, format_args!("mem.{k}")), true, slot);
        }
        v.slot("~mem.free", false, Slot::I(&mut m.free));
    }
    for x in &mut d.disks {
        let n = format!("disk[{}]", x.mount);
        v.slot(&nm(v, format_args!("{n}.used_percent")), true, Slot::F(&mut x.used_percent));
        v.slot(&nm(v, format_args!("{n}.used_bytes")), true, Slot::I(&mut x.used_bytes));
        v.slot(&nm(v, format_args!("{n}.inodes_percent")), true, Slot::OptF(&mut x.inodes_percent));
        v.slot(&nm(v, format_args!("~{n}.available_bytes")), false, Slot::I(&mut x.available_bytes));
        v.slot(&nm(v, format_args!("~{n}.inodes_used")), false, Slot::OptI(&mut x.inodes_used));
    }
    for x in &mut d.disk_io {
        let n = format!("diskio[{}]", x.device);
        for (k, slot) in [
            ("read_bytes_per_sec", &mut x.read_bytes_per_sec),
            ("write_bytes_per_sec", &mut x.write_bytes_per_sec),
            ("reads_per_sec", &mut x.reads_per_sec),
            ("writes_per_sec", &mut x.writes_per_sec),
            ("busy_percent", &mut x.busy_percent),
        ] {
            v.slot(&nm(v, format_args!("{n}.{k}")), true, Slot::F(slot));
        }
    }
    for x in &mut d.network {
        let n = format!("net[{}]", x.name);
        for (k, slot) in [
            ("rx_bytes_per_sec", Slot::F(&mut x.rx_bytes_per_sec)),
            ("tx_bytes_per_sec", Slot::F(&mut x.tx_bytes_per_sec)),
            ("rx_packets_per_sec", Slot::F(&mut x.rx_packets_per_sec)),
            ("tx_packets_per_sec", Slot::F(&mut x.tx_packets_per_sec)),
            ("rx_errors", Slot::I(&mut x.rx_errors)),
            ("tx_errors", Slot::I(&mut x.tx_errors)),
            ("rx_drops", Slot::I(&mut x.rx_drops)),
            ("tx_drops", Slot::I(&mut x.tx_drops)),
        ] {
            v.slot(&nm(v, format_args!("{n}.{k}")), true, slot);
        }
    }
    if let Some(tcp) = &mut d.tcp {
        for (state, n) in &mut tcp.states {
            v.slot(&nm(v, format_args!("tcp[{state}]")), true, Slot::I(n));
        }
    }
    if let Some(s) = &mut d.system {
        for (k, slot) in
            [("processes", &mut s.processes), ("threads", &mut s.threads), ("open_files", &mut s.open_files)]
        {
            v.slot(&nm(v, format_args!("system.{k}")), true, Slot::OptI(slot));
        }
        v.slot("~system.uptime_seconds", false, Slot::OptI(&mut s.uptime_seconds));
    }
    for c in d.containers.iter_mut().flatten() {
        let n = format!("container[{}]", c.name);
        v.slot(&nm(v, format_args!("{n}.cpu_percent")), true, Slot::OptF(&mut c.cpu_percent));
        v.slot(&nm(v, format_args!("{n}.memory_bytes")), true, Slot::OptI(&mut c.memory_bytes));
        for (k, slot) in [
            ("net_rx_bytes", &mut c.net_rx_bytes),
            ("net_tx_bytes", &mut c.net_tx_bytes),
            ("block_read_bytes", &mut c.block_read_bytes),
            ("block_write_bytes", &mut c.block_write_bytes),
        ] {
            v.slot(&nm(v, format_args!("{n}.{k}")), true, Slot::OptI(slot));
        }
    }
}

fn breakdown(prefix: &str, t: &mut fleetwatch_common::CpuBreakdown, series: bool, v: &mut dyn Visit) {
    let fields: [(&str, &mut f64); 9] = [
        ("busy", &mut t.busy),
        ("user", &mut t.user),
        ("nice", &mut t.nice),
        ("system", &mut t.system),
        ("iowait", &mut t.iowait),
        ("irq", &mut t.irq),
        ("softirq", &mut t.softirq),
        ("steal", &mut t.steal),
        ("idle", &mut t.idle),
    ];
    for (k, slot) in fields {
        // A core's busy share is a series of its own, visited before its breakdown.
        if !series && k == "busy" {
            continue;
        }
        v.slot(&nm(v, format_args!("{prefix}.{k}")), series, Slot::F(slot));
    }
}
