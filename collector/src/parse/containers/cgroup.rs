//! A running container's figures from its cgroup files (v2 or v1) and network namespace.
//!
//! Memory is counted as `docker stats` does: usage minus inactive page cache
//! (`inactive_file` of memory.stat in v2, `total_inactive_file` in v1).

use std::collections::HashMap;

use super::Container;
use crate::parse::Problem;
use crate::parse::files::split_files;

/// v1 limits at or above this mean "no limit" (the kernel prints 9223372036854771712).
const UNLIMITED: u64 = 1 << 60;

/// Counters of a running container, from its cgroup and network namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CgroupUsage {
    /// CPU time used since the container started, in microseconds.
    pub cpu_usec: Option<u64>,
    /// Memory in use without the inactive page cache.
    pub memory_bytes: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    pub block_read_bytes: Option<u64>,
    pub block_write_bytes: Option<u64>,
    /// All interfaces but `lo` of the container's network namespace.
    pub net_rx_bytes: Option<u64>,
    pub net_tx_bytes: Option<u64>,
}

/// Adds the figures of the cgroup files and `/proc/PID/net/dev` (after `@@files`) to the
/// container each belongs to: by id in the cgroup path, or by the first pid of a `running` one.
pub(super) fn add_usage(
    files: &str,
    running: &[(String, Option<String>)],
    containers: &mut [Container],
    warnings: &mut Vec<Problem>,
) {
    let pids: HashMap<&str, &str> =
        running.iter().filter_map(|(id, pid)| Some((pid.as_deref()?, id.as_str()))).collect();

    let files = split_files(files, |p| {
        p.starts_with("/sys/fs/cgroup/") || (p.starts_with("/proc/") && p.ends_with("/net/dev"))
    });
    let mut inactive: HashMap<String, u64> = HashMap::new();
    for (path, content) in &files.files {
        let owner = if let Some(pid) = path.strip_prefix("/proc/").and_then(|p| p.strip_suffix("/net/dev")) {
            pids.get(pid).map(|id| (*id).to_owned())
        } else {
            containers.iter().find(|c| path.contains(c.id.as_str())).map(|c| c.id.clone())
        };
        let Some(id) = owner else {
            warnings.push(Problem::whole(format!("{path} belongs to no listed container")));
            continue;
        };
        let Some(c) = containers.iter_mut().find(|c| c.id == id) else { continue };
        let u = &mut c.usage;
        let file = path.rsplit('/').next().unwrap_or("");
        match file {
            "cpu.stat" => u.cpu_usec = keyed(content, "usage_usec"),
            "cpuacct.usage" => u.cpu_usec = number(content).map(|ns| ns / 1000),
            "memory.current" | "memory.usage_in_bytes" => u.memory_bytes = number(content),
            "memory.max" | "memory.limit_in_bytes" => u.memory_limit_bytes = number(content).filter(|&l| l < UNLIMITED),
            "memory.stat" => {
                // v1 prints the cgroup's own `inactive_file` and the hierarchy's `total_…`.
                if let Some(v) = keyed(content, "total_inactive_file").or_else(|| keyed(content, "inactive_file")) {
                    inactive.insert(id.clone(), v);
                }
            }
            "io.stat" => {
                u.block_read_bytes = Some(io_stat_sum(content, "rbytes="));
                u.block_write_bytes = Some(io_stat_sum(content, "wbytes="));
            }
            "blkio.throttle.io_service_bytes" => {
                u.block_read_bytes = Some(blkio_sum(content, "Read"));
                u.block_write_bytes = Some(blkio_sum(content, "Write"));
            }
            "dev" => {
                let (rx, tx) = net_sum(content);
                u.net_rx_bytes = rx;
                u.net_tx_bytes = tx;
            }
            _ => {}
        }
    }
    for c in containers.iter_mut() {
        if let (Some(used), Some(cache)) = (c.usage.memory_bytes, inactive.get(&c.id)) {
            c.usage.memory_bytes = Some(used.saturating_sub(*cache));
        }
    }
}

fn number(content: &str) -> Option<u64> {
    content.split_whitespace().next()?.parse().ok()
}

/// `key value` lines (cpu.stat, memory.stat).
fn keyed(content: &str, key: &str) -> Option<u64> {
    content.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        (f.next() == Some(key)).then(|| f.next()?.parse().ok()).flatten()
    })
}

/// io.stat: `8:0 rbytes=1 wbytes=2 rios=3 …` per device.
fn io_stat_sum(content: &str, key: &str) -> u64 {
    content.split_whitespace().filter_map(|w| w.strip_prefix(key)?.parse::<u64>().ok()).fold(0, u64::saturating_add)
}

/// blkio.throttle.io_service_bytes: `8:0 Read 1234` per device, then `Total 1234`.
fn blkio_sum(content: &str, op: &str) -> u64 {
    content
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>().as_slice() {
            [dev, o, v] if dev.contains(':') && *o == op => v.parse::<u64>().ok(),
            _ => None,
        })
        .fold(0, u64::saturating_add)
}

/// Received and sent bytes of every interface but `lo`.
fn net_sum(content: &str) -> (Option<u64>, Option<u64>) {
    match crate::parse::parse_netdev(content) {
        Ok(p) => {
            let devs = p.value.into_iter().filter(|d| d.name != "lo");
            let (rx, tx) =
                devs.fold((0u64, 0u64), |(r, t), d| (r.saturating_add(d.rx_bytes), t.saturating_add(d.tx_bytes)));
            (Some(rx), Some(tx))
        }
        Err(_) => (None, None),
    }
}
