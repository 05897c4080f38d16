//! Containers, as `containers.sh` prints them: `none`, or the runtime, a line per running
//! container found in the cgroups (with its first pid where readable), then either `cached`
//! (the daemon was not asked this cycle) or the daemon's list: the HTTP answer to
//! `GET /containers/json?all=1` after `@@http` (nc), its JSON body after `@@json` (curl), or
//! `docker ps -a` lines after `@@ps`. Then the
//! cgroup files (v2 or v1) and `/proc/PID/net/dev`, each after a `head` header:
//!
//! ```text
//! tool docker
//! pid 3f4e… 4242
//! @@ps
//! 3f4e…<TAB>web<TAB>nginx:1.25<TAB>running<TAB>Up 2 hours (healthy)
//! 9a0b…<TAB>job<TAB>busybox<TAB>exited<TAB>Exited (137) 5 minutes ago
//! @@files
//! ==> /sys/fs/cgroup/system.slice/docker-3f4e….scope/cpu.stat <==
//! usage_usec 123456
//! ```
//!
//! Output of older programs (the `docker ps` lines first, without `@@ps`) is read too.
//!
//! Memory is counted as `docker stats` does: usage minus inactive page cache
//! (`inactive_file` of memory.stat in v2, `total_inactive_file` in v1). See the kernel's
//! [cgroup v2](https://docs.kernel.org/admin-guide/cgroup-v2.html) and v1 memory/blkio/cpuacct
//! documentation, and the Docker Engine API's
//! [ContainerList](https://docs.docker.com/reference/api/engine/version/v1.43/#tag/Container/operation/ContainerList).

use std::collections::HashMap;

use serde::Deserialize;

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
        /// With `listed`, every container the daemon knows; without, the running ones found in
        /// the cgroups, known by id only (the collector fills in the rest from its last list).
        containers: Vec<Container>,
        /// Whether the daemon gave its list this cycle.
        listed: bool,
        /// Ids of the running containers found in the cgroups, in the order printed: the next
        /// program compares them with what it finds then.
        running: Vec<String>,
        /// The client that asked the daemon this cycle (`nc`, `curl`, `cli`); `None` when the
        /// daemon was not asked (or by an older program).
        asked: Option<String>,
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

impl Container {
    /// A container from the daemon's list: `status` is the `docker ps` status text.
    fn listed(id: &str, name: &str, image: &str, state: &str, status: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            image: image.to_owned(),
            state: state.trim().to_ascii_lowercase(),
            status: status.to_owned(),
            health: health(status),
            exit_code: exit_code(status),
            usage: CgroupUsage::default(),
        }
    }
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

/// One entry of `GET /containers/json` (only the fields used).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiContainer {
    id: String,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    image: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    status: String,
}

/// How the list part of the section reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Before any marker: `tool`, `pid`, `cached`, and (older programs) `docker ps` lines.
    Head,
    Ps,
    Json,
    Http,
}

/// Parses the section; a `tool` line without any container is an empty list.
pub fn parse_containers(body: &str) -> Result<Parsed<ContainerSection>, Problem> {
    let (list, files) = match body.find(&format!("\n{FILES_SEPARATOR}\n")) {
        Some(at) => (&body[..at + 1], body.get(at + FILES_SEPARATOR.len() + 2..).unwrap_or("")),
        None => (body, ""),
    };
    let mut tool = None;
    let mut containers: Vec<Container> = Vec::new();
    // Running containers found in the cgroups, in order, with their first pid.
    let mut running: Vec<(String, Option<String>)> = Vec::new();
    let mut cached = false;
    let mut failed = false;
    let mut json = String::new();
    let mut part = Part::Head;
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(list) {
        if line.trim() == "none" && tool.is_none() {
            return Ok(Parsed::clean(ContainerSection::Absent));
        }
        if part == Part::Json || part == Part::Http {
            json.push_str(line);
            json.push('\n');
        } else if let Some(t) = line.strip_prefix("tool ") {
            tool = Some(t.trim().to_owned());
        } else if line.trim() == "cached" {
            cached = true;
        } else if line.trim() == "@@ps" {
            part = Part::Ps;
        } else if line.trim() == "@@json" {
            part = Part::Json;
        } else if line.trim() == "@@http" {
            part = Part::Http;
        } else if let Some(rc) = line.strip_prefix("@@failed") {
            failed = true;
            warnings.push(Problem::at(n, format!("the container list failed (exit status {})", rc.trim())));
        } else if let Some(rest) = line.strip_prefix("pid ") {
            match rest.split_whitespace().collect::<Vec<_>>().as_slice() {
                [id] => running.push(((*id).to_owned(), None)),
                [id, pid] if pid.bytes().all(|b| b.is_ascii_digit()) => {
                    running.push(((*id).to_owned(), Some((*pid).to_owned())));
                }
                _ => warnings.push(Problem::at(n, "not a \"pid ID [PID]\" line")),
            }
        } else {
            match line.split('\t').collect::<Vec<_>>().as_slice() {
                [id, name, image, state, status] if !id.is_empty() => {
                    containers.push(Container::listed(id, name, image, state, status));
                }
                _ => warnings.push(Problem::at(n, format!("not a container line: {line:?}"))),
            }
        }
    }
    let tool = tool.ok_or_else(|| Problem::whole("neither \"none\" nor a \"tool\" line"))?;
    if part == Part::Http {
        // `HTTP/1.0 200 OK`, headers, then the body: the first line that opens JSON.
        let ok =
            json.lines().next().is_some_and(|l| l.starts_with("HTTP/1.") && l.split_whitespace().nth(1) == Some("200"));
        json = match (ok, json.find("\n[").or_else(|| json.find("\n{"))) {
            (true, Some(at)) => json[at + 1..].to_owned(),
            _ => String::new(),
        };
    }
    if part == Part::Json || part == Part::Http {
        match serde_json::from_str::<Vec<ApiContainer>>(json.trim()) {
            Ok(list) => containers.extend(list.iter().map(|c| {
                let name = c.names.first().map_or("", |n| n.trim_start_matches('/'));
                Container::listed(&c.id, name, &c.image, &c.state, &c.status)
            })),
            Err(e) => {
                failed = true;
                let what = if json.trim().is_empty() { "no answer".to_owned() } else { e.to_string() };
                warnings.push(Problem::whole(format!("the container list from the daemon's socket: {what}")));
            }
        }
    }
    let asked = match part {
        Part::Head => None,
        Part::Ps => Some("cli"),
        Part::Json => Some("curl"),
        Part::Http => Some("nc"),
    };
    // Not listed: this cycle knows the running containers by id only.
    let listed = !cached && !failed;
    if !listed {
        containers = running
            .iter()
            .map(|(id, _)| Container { id: id.clone(), state: "running".to_owned(), ..Container::default() })
            .collect();
    }
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
    for c in &mut containers {
        if let (Some(used), Some(cache)) = (c.usage.memory_bytes, inactive.get(&c.id)) {
            c.usage.memory_bytes = Some(used.saturating_sub(*cache));
        }
    }
    let running = running.into_iter().map(|(id, _)| id).collect();
    let asked = asked.map(str::to_owned);
    Ok(Parsed { value: ContainerSection::Present { tool, containers, listed, running, asked }, warnings })
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
        let ContainerSection::Present { tool, containers, .. } = p.value else { panic!("absent") };
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
    fn the_daemon_list_as_json_from_its_socket() {
        let body = format!(
            "tool docker\npid {ID1} 4242\n@@json\n[{{\"Id\":\"{ID1}\",\"Names\":[\"/web\"],\"Image\":\"nginx:1.25\",\
             \"State\":\"running\",\"Status\":\"Up 2 hours (unhealthy)\",\"Ports\":[]}},\
             {{\"Id\":\"{ID2}\",\"Names\":[\"/job\"],\"Image\":\"busybox\",\"State\":\"exited\",\
             \"Status\":\"Exited (3) 1 minute ago\"}}]\n\n@@files\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/cpu.stat <==\nusage_usec 42\n"
        );
        let p = parse_containers(&body).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let ContainerSection::Present { containers, listed, running, .. } = p.value else { panic!("absent") };
        assert!(listed);
        assert_eq!(running, [ID1]);
        let got: Vec<_> = containers
            .iter()
            .map(|c| (c.name.as_str(), c.state.as_str(), c.health.as_deref(), c.exit_code, c.usage.cpu_usec))
            .collect();
        assert_eq!(
            got,
            [("web", "running", Some("unhealthy"), None, Some(42)), ("job", "exited", None, Some(3), None)]
        );
    }

    #[test]
    fn the_daemon_list_as_nc_gets_it_headers_and_all() {
        let answer = format!(
            "HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n\r\n\
             [{{\"Id\":\"{ID1}\",\"Names\":[\"/web\"],\"Image\":\"nginx\",\"State\":\"running\",\"Status\":\"Up 1 hour\"}}]\n"
        );
        let body = format!("tool docker\npid {ID1} 4242\n@@http\n{answer}\n@@files\n");
        let p = parse_containers(&body).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let ContainerSection::Present { containers, listed, asked, .. } = p.value else { panic!("absent") };
        assert!(listed);
        assert_eq!(asked.as_deref(), Some("nc"));
        assert_eq!((containers[0].name.as_str(), containers[0].state.as_str()), ("web", "running"));
        // An nc without -U prints nothing; an error answer is no list either.
        for bad in ["@@http\n\n", "@@http\nHTTP/1.0 500 Internal Server Error\r\n\r\n{\"message\":\"x\"}\n"] {
            let p = parse_containers(&format!("tool docker\npid {ID1} 4242\n{bad}@@files\n"))
                .unwrap_or_else(|e| panic!("{e}"));
            let ContainerSection::Present { listed, asked, .. } = p.value else { panic!("absent") };
            assert!(!listed && asked.as_deref() == Some("nc"), "{bad}");
            assert_eq!(p.warnings.len(), 1, "{bad}: {:?}", p.warnings);
        }
    }

    #[test]
    fn without_the_list_the_running_containers_are_known_by_id() {
        let body = format!(
            "tool docker\npid {ID1} 4242\npid {ID2}\ncached\n@@files\n\
             ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/cpu.stat <==\nusage_usec 42\n\
             ==> /proc/4242/net/dev <==\nInter-|\n face |\n  eth0: 7 1 0 0 0 0 0 0 9 1 0 0 0 0 0 0\n"
        );
        let p = parse_containers(&body).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let ContainerSection::Present { containers, listed, running, .. } = p.value else { panic!("absent") };
        assert!(!listed);
        assert_eq!(running, [ID1, ID2]);
        assert_eq!(containers.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [ID1, ID2]);
        assert_eq!((containers[0].usage.cpu_usec, containers[0].usage.net_rx_bytes), (Some(42), Some(7)));
        assert!(containers[0].name.is_empty() && containers[0].state == "running");
    }

    #[test]
    fn a_failed_list_is_a_warning_and_keeps_the_usage() {
        for answer in ["@@json\n\n", "@@json\n{\"message\":\"client version too new\"}\n", "@@ps\n@@failed 1\n"] {
            let body = format!(
                "tool docker\npid {ID1} 4242\n{answer}@@files\n\
                 ==> /sys/fs/cgroup/system.slice/docker-{ID1}.scope/cpu.stat <==\nusage_usec 42\n"
            );
            let p = parse_containers(&body).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.warnings.len(), 1, "{answer}: {:?}", p.warnings);
            let ContainerSection::Present { containers, listed, .. } = p.value else { panic!("absent") };
            assert!(!listed, "{answer}");
            assert_eq!(containers[0].usage.cpu_usec, Some(42), "{answer}");
        }
    }

    #[test]
    fn none_empty_and_broken() {
        assert_eq!(parse_containers("none\n").map(|p| p.value), Ok(ContainerSection::Absent));
        assert_eq!(
            parse_containers("tool podman\n@@files\n").map(|p| p.value),
            Ok(ContainerSection::Present {
                tool: "podman".into(),
                containers: vec![],
                listed: true,
                running: vec![],
                asked: None
            })
        );
        assert!(parse_containers("").is_err());
        let p = parse_containers("tool docker\nnot a row\npid x 12 y\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.warnings.len(), 2);
    }
}
