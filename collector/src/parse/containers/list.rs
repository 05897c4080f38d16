//! The daemon's container list: `docker ps -a` lines, or `GET /containers/json` from its socket.

use serde::Deserialize;

use super::Container;
use super::cgroup::CgroupUsage;

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

impl Container {
    /// A container from the daemon's list: `status` is the `docker ps` status text.
    pub(super) fn listed(id: &str, name: &str, image: &str, state: &str, status: &str) -> Self {
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

/// The body of the daemon's HTTP answer (as `nc` prints it): after `HTTP/1.0 200 OK` and the
/// headers, from the first line that opens JSON; empty when the status is not 200.
pub(super) fn http_body(answer: &str) -> &str {
    let ok =
        answer.lines().next().is_some_and(|l| l.starts_with("HTTP/1.") && l.split_whitespace().nth(1) == Some("200"));
    match (ok, answer.find("\n[").or_else(|| answer.find("\n{"))) {
        (true, Some(at)) => &answer[at + 1..],
        _ => "",
    }
}

/// The containers of a `GET /containers/json` body; the error says why there are none.
pub(super) fn from_socket(json: &str) -> Result<Vec<Container>, String> {
    match serde_json::from_str::<Vec<ApiContainer>>(json.trim()) {
        Ok(list) => Ok(list
            .iter()
            .map(|c| {
                let name = c.names.first().map_or("", |n| n.trim_start_matches('/'));
                Container::listed(&c.id, name, &c.image, &c.state, &c.status)
            })
            .collect()),
        Err(_) if json.trim().is_empty() => Err("no answer".to_owned()),
        Err(e) => Err(e.to_string()),
    }
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
