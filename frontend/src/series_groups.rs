//! The server page's charts of every stored series, grouped as a sysadmin reads them: the CPU
//! breakdown, each core, memory, each mount, each block device, each interface, TCP states,
//! processes and open files, and the containers. Pure: from the series names the API lists
//! (`/api/servers/{name}/metrics/series`, named as `Details::series` names them) to the charts.

use std::collections::BTreeMap;

/// What a chart's figures are; the chart formats its axis and tooltip by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupUnit {
    Percent,
    Bytes,
    BytesPerSec,
    PerSec,
    Count,
}

impl GroupUnit {
    /// As `js/chart.js` reads it.
    pub fn as_js(self) -> &'static str {
        match self {
            Self::Percent => "%",
            Self::Bytes => "bytes",
            Self::BytesPerSec => "bytes/s",
            Self::PerSec => "/s",
            Self::Count => "count",
        }
    }
}

/// A chart's lines as (label, series name).
type Lines = Vec<(String, String)>;

/// One chart: its test key, title, unit, and its lines as (label, series name).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub key: String,
    pub title: String,
    pub unit: GroupUnit,
    pub lines: Vec<(String, String)>,
}

/// `prefix[inner].rest` → (`inner`, `rest`).
fn bracketed<'a>(name: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = name.strip_prefix(prefix)?.strip_prefix('[')?;
    let (inner, after) = rest.rsplit_once(']')?;
    Some((inner, after.strip_prefix('.').unwrap_or(after)))
}

/// A key usable in a `data-testid`: letters and digits kept, the rest `-`.
fn slug(s: &str) -> String {
    let out: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() { "root".to_owned() } else { out }
}

fn core_number(name: &str) -> Option<u32> {
    name.strip_prefix("cpu")?.strip_suffix(".busy")?.parse().ok()
}

/// The charts for `names`, in reading order; a group whose series are absent is left out.
pub fn groups(names: &[String]) -> Vec<Group> {
    let has = |n: &str| names.iter().any(|x| x == n);
    let mut out = Vec::new();
    let mut push = |key: String, title: String, unit: GroupUnit, lines: Vec<(String, String)>| {
        if !lines.is_empty() {
            out.push(Group { key, title, unit, lines });
        }
    };
    let pick = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().filter(|(_, n)| has(n)).map(|(l, n)| (l.to_string(), n.to_string())).collect()
    };

    push(
        "cpu-breakdown".into(),
        "CPU by kind".into(),
        GroupUnit::Percent,
        pick(&[
            ("user", "cpu.user"),
            ("system", "cpu.system"),
            ("iowait", "cpu.iowait"),
            ("steal", "cpu.steal"),
            ("nice", "cpu.nice"),
            ("irq", "cpu.irq"),
            ("softirq", "cpu.softirq"),
        ]),
    );
    let mut cores: Vec<(u32, &String)> = names.iter().filter_map(|n| core_number(n).map(|c| (c, n))).collect();
    cores.sort();
    push(
        "cpu-cores".into(),
        "CPU per core".into(),
        GroupUnit::Percent,
        cores.into_iter().map(|(c, n)| (format!("cpu{c}"), n.clone())).collect(),
    );
    push(
        "memory-bytes".into(),
        "Memory".into(),
        GroupUnit::Bytes,
        pick(&[
            ("used", "mem.used_bytes"),
            ("available", "mem.available_bytes"),
            ("cache", "mem.cached_bytes"),
            ("buffers", "mem.buffers_bytes"),
            ("swap used", "mem.swap_used_bytes"),
        ]),
    );

    // Per mount, per device, per interface, per container: in name order.
    let mut mounts: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    let mut devices: BTreeMap<&str, (Lines, Lines)> = BTreeMap::new();
    let mut busy = Vec::new();
    let mut interfaces: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    let mut faults = Vec::new();
    let mut tcp = Vec::new();
    let mut container_cpu = Vec::new();
    let mut container_mem = Vec::new();
    let mut container_net = Vec::new();
    let mut container_block = Vec::new();
    for n in names {
        if let Some((mount, field)) = bracketed(n, "disk") {
            let label = match field {
                "used_percent" => "space",
                "inodes_percent" => "inodes",
                _ => continue,
            };
            mounts.entry(mount).or_default().push((label.into(), n.clone()));
        } else if let Some((dev, field)) = bracketed(n, "diskio") {
            let e = devices.entry(dev).or_default();
            match field {
                "read_bytes_per_sec" => e.0.push(("read".into(), n.clone())),
                "write_bytes_per_sec" => e.0.push(("written".into(), n.clone())),
                "reads_per_sec" => e.1.push(("reads".into(), n.clone())),
                "writes_per_sec" => e.1.push(("writes".into(), n.clone())),
                "busy_percent" => busy.push((dev.to_owned(), n.clone())),
                _ => {}
            }
        } else if let Some((iface, field)) = bracketed(n, "net") {
            match field {
                "rx_bytes_per_sec" => interfaces.entry(iface).or_default().push(("in".into(), n.clone())),
                "tx_bytes_per_sec" => interfaces.entry(iface).or_default().push(("out".into(), n.clone())),
                "rx_errors" | "tx_errors" | "rx_drops" | "tx_drops" => {
                    faults.push((format!("{iface} {}", field.replace('_', " ")), n.clone()));
                }
                _ => {}
            }
        } else if let Some((state, _)) = bracketed(n, "tcp") {
            tcp.push((state.to_owned(), n.clone()));
        } else if let Some((c, field)) = bracketed(n, "container") {
            match field {
                "cpu_percent" => container_cpu.push((c.to_owned(), n.clone())),
                "memory_bytes" => container_mem.push((c.to_owned(), n.clone())),
                "net_rx_bytes" => container_net.push((format!("{c} in"), n.clone())),
                "net_tx_bytes" => container_net.push((format!("{c} out"), n.clone())),
                "block_read_bytes" => container_block.push((format!("{c} read"), n.clone())),
                "block_write_bytes" => container_block.push((format!("{c} written"), n.clone())),
                _ => {}
            }
        }
    }
    for (mount, mut lines) in mounts {
        lines.sort();
        lines.reverse(); // space before inodes
        push(format!("disk-{}", slug(mount)), format!("Mount {mount}"), GroupUnit::Percent, lines);
    }
    for (dev, (throughput, ops)) in devices {
        push(format!("diskio-{}", slug(dev)), format!("Disk {dev}: throughput"), GroupUnit::BytesPerSec, throughput);
        push(format!("diskops-{}", slug(dev)), format!("Disk {dev}: operations"), GroupUnit::PerSec, ops);
    }
    push("disk-busy".into(), "Disk utilisation".into(), GroupUnit::Percent, busy);
    for (iface, lines) in interfaces {
        push(format!("net-{}", slug(iface)), format!("Interface {iface}"), GroupUnit::BytesPerSec, lines);
    }
    push("net-faults".into(), "Interface errors and drops (since boot)".into(), GroupUnit::Count, faults);
    push("tcp-states".into(), "TCP states".into(), GroupUnit::Count, tcp);
    push(
        "system".into(),
        "Processes, threads, open files".into(),
        GroupUnit::Count,
        pick(&[("processes", "system.processes"), ("threads", "system.threads"), ("open files", "system.open_files")]),
    );
    push("container-cpu".into(), "Containers: CPU".into(), GroupUnit::Percent, container_cpu);
    push("container-memory".into(), "Containers: memory".into(), GroupUnit::Bytes, container_mem);
    push("container-net".into(), "Containers: network (since start)".into(), GroupUnit::Bytes, container_net);
    push("container-block".into(), "Containers: block I/O (since start)".into(), GroupUnit::Bytes, container_block);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_kind_of_series_lands_in_its_chart() {
        let g = groups(&names(&[
            "cpu.busy",
            "cpu.user",
            "cpu.system",
            "cpu10.busy",
            "cpu2.busy",
            "mem.used_bytes",
            "mem.cached_bytes",
            "disk[/].used_percent",
            "disk[/].inodes_percent",
            "disk[/var/lib/docker].used_percent",
            "diskio[sda].read_bytes_per_sec",
            "diskio[sda].write_bytes_per_sec",
            "diskio[sda].reads_per_sec",
            "diskio[sda].busy_percent",
            "net[eth0].rx_bytes_per_sec",
            "net[eth0].tx_bytes_per_sec",
            "net[eth0].rx_drops",
            "tcp[ESTABLISHED]",
            "tcp[TIME_WAIT]",
            "system.open_files",
            "container[web].cpu_percent",
            "container[web].memory_bytes",
            "container[web].net_rx_bytes",
            "container[web].net_tx_bytes",
            "container[web].block_read_bytes",
            "container[web].block_write_bytes",
        ]));
        let keys: Vec<&str> = g.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "cpu-breakdown",
                "cpu-cores",
                "memory-bytes",
                "disk-root",
                "disk-var-lib-docker",
                "diskio-sda",
                "diskops-sda",
                "disk-busy",
                "net-eth0",
                "net-faults",
                "tcp-states",
                "system",
                "container-cpu",
                "container-memory",
                "container-net",
                "container-block",
            ]
        );
        let cores = &g[1].lines;
        assert_eq!(cores.iter().map(|l| l.0.as_str()).collect::<Vec<_>>(), ["cpu2", "cpu10"], "numeric order");
        assert_eq!(
            g[3].lines,
            [("space".into(), "disk[/].used_percent".into()), ("inodes".into(), "disk[/].inodes_percent".into())]
        );
        assert_eq!(g[3].title, "Mount /");
        assert_eq!(g[9].lines, [("eth0 rx drops".to_owned(), "net[eth0].rx_drops".to_owned())]);
        assert_eq!(g[0].unit, GroupUnit::Percent);
        assert_eq!(g[5].unit, GroupUnit::BytesPerSec);
        assert_eq!(
            g[14].lines,
            [
                ("web in".to_owned(), "container[web].net_rx_bytes".to_owned()),
                ("web out".to_owned(), "container[web].net_tx_bytes".to_owned())
            ]
        );
        assert_eq!(g[15].lines[1], ("web written".to_owned(), "container[web].block_write_bytes".to_owned()));
    }

    #[test]
    fn nothing_stored_gives_no_chart() {
        assert!(groups(&[]).is_empty());
        assert!(groups(&names(&["cpu.busy", "cpu.load_1"])).is_empty(), "the headline charts have those");
    }
}
