//! Containers, as `containers.sh` prints them: `none`, or the runtime, one `docker ps -a` line
//! per container, the first pid of the running ones, then their cgroup files (v2 or v1) and
//! `/proc/PID/net/dev`, each after a `head` header:
//!
//! ```text
//! tool docker
//! 3f4e…<TAB>web<TAB>nginx:1.25<TAB>running<TAB>Up 2 hours (healthy)
//! 9a0b…<TAB>job<TAB>busybox<TAB>exited<TAB>Exited (137) 5 minutes ago
//! pid 3f4e… 4242
//! @@files
//! ==> /sys/fs/cgroup/system.slice/docker-3f4e….scope/cpu.stat <==
//! usage_usec 123456
//! ```
//!
//! Memory is counted as `docker stats` does: usage minus inactive page cache
//! (`inactive_file` of memory.stat in v2, `total_inactive_file` in v1). See the kernel's
//! [cgroup v2](https://docs.kernel.org/admin-guide/cgroup-v2.html) and v1 memory/blkio/cpuacct
//! documentation.

use std::collections::HashMap;

use super::files::split_files;
use super::{Parsed, Problem, numbered_lines};

/// The line between the container list and the files.
pub const FILES_SEPARATOR: &str = "@@files";

/// v1 limits at or above this mean "no limit" (the kernel prints 9223372036854771712).
const UNLIMITED: u64 = 1 << 60;

/// What the section found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerSection {
    /// Neither docker nor podman is usable by the SSH user.
    Absent,
    Present {
        tool: String,
        containers: Vec<Container>,
    },
}

/// One container.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    /// `running`, `exited`, `paused`, `restarting`, `created`, `dead`.
    pub state: String,
    /// The status text of `docker ps` (`Up 2 hours (healthy)`).
    pub status: String,
    /// `healthy`, `unhealthy` or `starting`, for containers with a health check.
    pub health: Option<String>,
    /// Of the last run, for exited (and restarting) containers.
    pub exit_code: Option<i64>,
    pub usage: CgroupUsage,
}

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

/// Parses the section; a `tool` line without any container is an empty list.
pub fn parse_containers(body: &str) -> Result<Parsed<ContainerSection>, Problem> {
    let (list, files) = match body.find(&format!("\n{FILES_SEPARATOR}\n")) {
        Some(at) => (&body[..at + 1], body.get(at + FILES_SEPARATOR.len() + 2..).unwrap_or("")),
        None => (body, ""),
    };
    let mut tool = None;
    let mut containers: Vec<Container> = Vec::new();
    let mut pids: HashMap<String, String> = HashMap::new();
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(list) {
        if line.trim() == "none" && tool.is_none() {
            return Ok(Parsed::clean(ContainerSection::Absent));
        }
        if let Some(t) = line.strip_prefix("tool ") {
            tool = Some(t.trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("pid ") {
            match rest.split_whitespace().collect::<Vec<_>>().as_slice() {
                [id, pid] if pid.bytes().all(|b| b.is_ascii_digit()) => {
                    pids.insert((*pid).to_owned(), (*id).to_owned());
                }
                _ => warnings.push(Problem::at(n, "not a \"pid ID PID\" line")),
            }
        } else {
            match line.split('\t').collect::<Vec<_>>().as_slice() {
                [id, name, image, state, status] if !id.is_empty() => {
                    containers.push(Container {
                        id: (*id).to_owned(),
                        name: (*name).to_owned(),
                        image: (*image).to_owned(),
                        state: state.trim().to_ascii_lowercase(),
                        status: (*status).to_owned(),
                        health: health(status),
                        exit_code: exit_code(status),
                        usage: CgroupUsage::default(),
                    });
                }
                _ => warnings.push(Problem::at(n, format!("not a container line: {line:?}"))),
            }
        }
    }
    let tool = tool.ok_or_else(|| Problem::whole("neither \"none\" nor a \"tool\" line"))?;

    let files = split_files(files, |p| {
        p.starts_with("/sys/fs/cgroup/") || (p.starts_with("/proc/") && p.ends_with("/net/dev"))
    });
    let mut inactive: HashMap<String, u64> = HashMap::new();
    for (path, content) in &files.files {
        let owner = if let Some(pid) = path.strip_prefix("/proc/").and_then(|p| p.strip_suffix("/net/dev")) {
            pids.get(pid).cloned()
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
    for c in &mut containers {
        if let (Some(used), Some(cache)) = (c.usage.memory_bytes, inactive.get(&c.id)) {
            c.usage.memory_bytes = Some(used.saturating_sub(*cache));
        }
    }
    Ok(Parsed { value: ContainerSection::Present { tool, containers }, warnings })
}

/// `(healthy)`, `(unhealthy)`, `(health: starting)` in the status text.
fn health(status: &str) -> Option<String> {
    if status.contains("(healthy)") {
        Some("healthy".to_owned())
    } else if status.contains("(unhealthy)") {
        Some("unhealthy".to_owned())
    } else if status.contains("(health: starting)") {
        Some("starting".to_owned())
    } else {
        None
    }
}

/// `Exited (137) 5 minutes ago`, `Restarting (1) 3 seconds ago`.
fn exit_code(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (").or_else(|| status.strip_prefix("Restarting ("))?;
    rest.split_once(')')?.0.parse().ok()
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
    match super::netdev::parse_netdev(content) {
        Ok(p) => {
            let devs = p.value.into_iter().filter(|d| d.name != "lo");
            let (rx, tx) =
                devs.fold((0u64, 0u64), |(r, t), d| (r.saturating_add(d.rx_bytes), t.saturating_add(d.tx_bytes)));
            (Some(rx), Some(tx))
        }
        Err(_) => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID1: &str = "3f4e000000000000000000000000000000000000000000000000000000000001";
    const ID2: &str = "9a0b000000000000000000000000000000000000000000000000000000000002";

    fn body() -> String {
        format!(
            "tool docker\n{ID1}\tweb\tnginx:1.25\trunning\tUp 2 hours (healthy)\n\
             {ID2}\tjob\tbusybox\texited\tExited (137) 5 minutes ago\npid {ID1} 4242\n@@files\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/cpu.stat <==\nusage_usec 2500000\nuser_usec 2000000\n\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/memory.current <==\n104857600\n\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/memory.max <==\nmax\n\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/memory.stat <==\nanon 1\ninactive_file 4857600\n\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/io.stat <==\n8:0 rbytes=100 wbytes=200 rios=1 wios=2\n\
             253:0 rbytes=1 wbytes=2 rios=1 wios=1\n\n\
             ==> /proc/4242/net/dev <==\nInter-|\n face |\n    lo: 9 9 0 0 0 0 0 0 9 9 0 0 0 0 0 0\n  \
             eth0: 1000 5 0 0 0 0 0 0 2000 6 0 0 0 0 0 0\n"
        )
    }

    #[test]
    fn docker_on_cgroup_v2() {
        let p = parse_containers(&body()).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let ContainerSection::Present { tool, containers } = p.value else { panic!("absent") };
        assert_eq!(tool, "docker");
        let web = &containers[0];
        assert_eq!((web.name.as_str(), web.state.as_str(), web.health.as_deref()), ("web", "running", Some("healthy")));
        let u = web.usage;
        assert_eq!(u.cpu_usec, Some(2_500_000));
        assert_eq!(u.memory_bytes, Some(100_000_000));
        assert_eq!(u.memory_limit_bytes, None);
        assert_eq!((u.block_read_bytes, u.block_write_bytes), (Some(101), Some(202)));
        assert_eq!((u.net_rx_bytes, u.net_tx_bytes), (Some(1000), Some(2000)));
        let job = &containers[1];
        assert_eq!((job.exit_code, job.health.as_deref()), (Some(137), None));
        assert_eq!(job.usage, CgroupUsage::default());
    }

    #[test]
    fn cgroup_v1_files() {
        let body = format!(
            "tool docker\n{ID1}\tweb\tnginx\trunning\tUp 1 second (health: starting)\n@@files\n\
             ==> /sys/fs/cgroup/cpuacct/docker/{ID1}/cpuacct.usage <==\n7000000\n\
             ==> /sys/fs/cgroup/memory/docker/{ID1}/memory.usage_in_bytes <==\n5000\n\
             ==> /sys/fs/cgroup/memory/docker/{ID1}/memory.limit_in_bytes <==\n9223372036854771712\n\
             ==> /sys/fs/cgroup/memory/docker/{ID1}/memory.stat <==\ncache 10\ninactive_file 7\ntotal_inactive_file 1000\n\
             ==> /sys/fs/cgroup/blkio/docker/{ID1}/blkio.throttle.io_service_bytes <==\n8:0 Read 10\n8:0 Write 20\n\
             8:0 Total 30\n8:16 Read 1\nTotal 31\n"
        );
        let p = parse_containers(&body).unwrap_or_else(|e| panic!("{e}"));
        let ContainerSection::Present { containers, .. } = p.value else { panic!("absent") };
        let c = &containers[0];
        assert_eq!(c.health.as_deref(), Some("starting"));
        assert_eq!(c.usage.cpu_usec, Some(7000));
        assert_eq!((c.usage.memory_bytes, c.usage.memory_limit_bytes), (Some(4000), None));
        assert_eq!((c.usage.block_read_bytes, c.usage.block_write_bytes), (Some(11), Some(20)));
        assert_eq!(c.usage.net_rx_bytes, None);
    }

    #[test]
    fn none_empty_and_broken() {
        assert_eq!(parse_containers("none\n").map(|p| p.value), Ok(ContainerSection::Absent));
        assert_eq!(
            parse_containers("tool podman\n@@files\n").map(|p| p.value),
            Ok(ContainerSection::Present { tool: "podman".into(), containers: vec![] })
        );
        assert!(parse_containers("").is_err());
        let p = parse_containers("tool docker\nnot a row\npid x\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.warnings.len(), 2);
    }
}
