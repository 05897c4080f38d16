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

mod cgroup;
mod list;

pub use cgroup::CgroupUsage;
use cgroup::add_usage;
use list::{from_socket, http_body};

use super::{Parsed, Problem, numbered_lines};
use crate::protocol::ContainerClient;

/// The line between the container list and the files.
pub const FILES_SEPARATOR: &str = "@@files";

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
        /// The client that asked the daemon this cycle; `None` when the daemon was not asked
        /// (or by an older program).
        asked: Option<ContainerClient>,
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
    let socket_answer = match part {
        Part::Http => Some(http_body(&json)),
        Part::Json => Some(json.as_str()),
        Part::Head | Part::Ps => None,
    };
    if let Some(answer) = socket_answer {
        match from_socket(answer) {
            Ok(list) => containers.extend(list),
            Err(what) => {
                failed = true;
                warnings.push(Problem::whole(format!("the container list from the daemon's socket: {what}")));
            }
        }
    }
    let asked = match part {
        Part::Head => None,
        Part::Ps => Some(ContainerClient::Cli),
        Part::Json => Some(ContainerClient::Curl),
        Part::Http => Some(ContainerClient::Nc),
    };
    // Not listed: this cycle knows the running containers by id only.
    let listed = !cached && !failed;
    if !listed {
        containers = running
            .iter()
            .map(|(id, _)| Container { id: id.clone(), state: "running".to_owned(), ..Container::default() })
            .collect();
    }
    add_usage(files, &running, &mut containers, &mut warnings);
    let running = running.into_iter().map(|(id, _)| id).collect();
    Ok(Parsed { value: ContainerSection::Present { tool, containers, listed, running, asked }, warnings })
}

#[cfg(test)]
mod tests;
