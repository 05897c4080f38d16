//! Containers: the daemon's list (or the last one kept, on the cycles that do not ask for it)
//! with each running container's CPU over the interval and its cgroup figures.

use fleetwatch_common::details::ContainerInfo;

use super::{CarriedState, Timed, to_i64};
use crate::parse::{CgroupUsage, Container, ContainerSection, Snapshot};
use crate::protocol::{ContainerClient, ContainersSeen};

/// What the next cycle remembers of the containers: the running ones and when the daemon last
/// listed them, and that list. A cycle that was not given the list keeps the earlier one; without
/// any list, the next program asks again.
pub(super) fn remember_containers(
    snap: &Snapshot,
    earlier: Option<&CarriedState>,
) -> (Option<ContainersSeen>, Option<Vec<Container>>) {
    let Some(ContainerSection::Present { containers, listed, running, .. }) = snap.containers.as_ref() else {
        return (None, None);
    };
    if *listed {
        let uptime = snap.uptime.map_or(0, |u| u.seconds.max(0.0) as u64);
        let list: Vec<Container> =
            containers.iter().map(|c| Container { usage: CgroupUsage::default(), ..c.clone() }).collect();
        let health_checks = list.iter().any(|c| c.health.is_some());
        (Some(ContainersSeen { running: running.clone(), listed_at: uptime, health_checks }), Some(list))
    } else {
        let kept = earlier.and_then(|e| Some((e.containers_seen.as_ref()?, e.container_list.clone()?)));
        match kept {
            Some((seen, list)) => (Some(ContainersSeen { running: running.clone(), ..seen.clone() }), Some(list)),
            None => (None, None),
        }
    }
}

/// When the program last found no container tool: this cycle if it found none, the kept time
/// if this program did not look (the script was left out), `None` once it found one.
pub(super) fn no_containers_at(snap: &Snapshot, kept: Option<&CarriedState>) -> Option<f64> {
    match snap.containers {
        Some(ContainerSection::Absent) => snap.uptime.map(|u| u.seconds),
        Some(ContainerSection::Present { .. }) => None,
        None => kept.and_then(|k| k.no_containers_at),
    }
}

/// The socket clients not to try again: the earlier ones, and this cycle's if it gave no list.
/// The docker CLI is never given up (it is the last resort; its failures are the daemon's).
pub(super) fn clients_failed(snap: &Snapshot, earlier: Option<&CarriedState>) -> Vec<ContainerClient> {
    let mut failed = earlier.map(|e| e.container_clients_failed.clone()).unwrap_or_default();
    if let Some(ContainerSection::Present { listed: false, asked: Some(client), .. }) = snap.containers.as_ref()
        && *client != ContainerClient::Cli
        && !failed.contains(client)
    {
        failed.push(*client);
    }
    failed
}

/// The containers of this cycle: the daemon's list when it gave one, else the last list with
/// this cycle's usage (a running container missing from that list, which only happens when the
/// daemon did not answer, is shown by its short id).
fn current_containers(snap: &Snapshot, earlier: Option<&CarriedState>) -> Option<Vec<Container>> {
    let ContainerSection::Present { containers, listed, .. } = snap.containers.as_ref()? else {
        return None;
    };
    if *listed {
        return Some(containers.clone());
    }
    let mut out: Vec<Container> = earlier.and_then(|e| e.container_list.clone()).unwrap_or_default();
    for found in containers {
        match out.iter_mut().find(|c| c.id == found.id) {
            Some(c) => c.usage = found.usage,
            None => out.push(Container { name: found.id.chars().take(12).collect(), ..found.clone() }),
        }
    }
    Some(out)
}

/// Containers as listed, with CPU over the interval (percent of one core, as `docker stats`).
pub(super) fn containers(
    snap: &Snapshot,
    earlier: Option<&CarriedState>,
    current: &CarriedState,
) -> Option<Vec<ContainerInfo>> {
    let containers = current_containers(snap, earlier)?;
    let before = earlier.and_then(|e| e.containers.as_ref());
    let interval = Timed::interval(before, current.containers.as_ref());
    Some(
        containers
            .iter()
            .map(|c| {
                let used_before = interval.and_then(|(b, _, dt)| Some((*b.value.get(&c.id)?, dt)));
                let cpu_percent = match (used_before, c.usage.cpu_usec) {
                    (Some((a, dt)), Some(b)) if b >= a => Some((b - a) as f64 / (dt * 1e6) * 100.0),
                    _ => None,
                };
                let u = c.usage;
                ContainerInfo {
                    name: c.name.clone(),
                    image: c.image.clone(),
                    state: c.state.clone(),
                    health: c.health.clone(),
                    exit_code: c.exit_code,
                    cpu_percent,
                    memory_bytes: u.memory_bytes.map(to_i64),
                    memory_limit_bytes: u.memory_limit_bytes.map(to_i64),
                    net_rx_bytes: u.net_rx_bytes.map(to_i64),
                    net_tx_bytes: u.net_tx_bytes.map(to_i64),
                    block_read_bytes: u.block_read_bytes.map(to_i64),
                    block_write_bytes: u.block_write_bytes.map(to_i64),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Uptime;
    use crate::sample::build;
    use crate::sample::fixtures::{at, snapshot};

    #[test]
    fn cycles_without_the_container_list_keep_the_last_one() {
        let id = "ab".repeat(32);
        let running = |cpu_usec: u64| Container {
            id: id.clone(),
            state: "running".into(),
            usage: CgroupUsage { cpu_usec: Some(cpu_usec), ..CgroupUsage::default() },
            ..Container::default()
        };
        let with = |uptime: f64, containers: Vec<Container>, listed: bool| Snapshot {
            uptime: Some(Uptime { seconds: uptime, idle_seconds: None }),
            containers: Some(ContainerSection::Present {
                tool: "docker".into(),
                containers,
                listed,
                running: vec![id.clone()],
                asked: None,
            }),
            ..snapshot(1000, vec![], &[])
        };
        let web = Container { name: "web".into(), image: "nginx".into(), ..running(1_000_000) };
        let job = Container {
            id: "cd".repeat(32),
            name: "job".into(),
            state: "exited".into(),
            exit_code: Some(3),
            ..Container::default()
        };
        let first = build("s", at(), &with(100.7, vec![web, job], true), None).unwrap_or_else(|e| panic!("{e}"));
        let seen = first.carried.containers_seen.clone();
        assert_eq!(seen, Some(ContainersSeen { running: vec![id.clone()], listed_at: 100, health_checks: false }));
        // Ten seconds later, half a core, and the daemon not asked: names and states come from
        // the first list, the usage from this cycle.
        let second = build("s", at(), &with(110.7, vec![running(6_000_000)], false), Some(&first.carried))
            .unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<_> = second
            .details
            .containers
            .iter()
            .flatten()
            .map(|c| (c.name.as_str(), c.state.as_str(), c.exit_code, c.cpu_percent.map(|p| p.round())))
            .collect();
        assert_eq!(got, [("web", "running", None, Some(50.0)), ("job", "exited", Some(3), None)]);
        assert_eq!(
            second.carried.containers_seen.as_ref().map(|s| s.listed_at),
            Some(100),
            "still the first list's time"
        );
        // Without any list to keep, the next program must ask the daemon.
        let orphan =
            build("s", at(), &with(120.0, vec![running(7_000_000)], false), None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(orphan.carried.containers_seen, None);
        assert_eq!(orphan.details.containers.unwrap_or_default()[0].name, id[..12], "shown by its short id");
        // A socket client that gave no list is not tried again; the CLI always is.
        let failed = |asked: ContainerClient| {
            let mut snap = with(130.0, vec![running(8_000_000)], false);
            if let Some(ContainerSection::Present { asked: a, .. }) = snap.containers.as_mut() {
                *a = Some(asked);
            }
            build("s", at(), &snap, Some(&second.carried)).unwrap_or_else(|e| panic!("{e}")).carried
        };
        assert_eq!(failed(ContainerClient::Nc).container_clients_failed, [ContainerClient::Nc]);
        assert!(failed(ContainerClient::Cli).container_clients_failed.is_empty());
    }

    #[test]
    fn no_container_tool_is_remembered_until_a_program_finds_one() {
        let snap_at = |uptime: f64, containers: Option<ContainerSection>| Snapshot {
            uptime: Some(Uptime { seconds: uptime, idle_seconds: None }),
            containers,
            ..snapshot(1000, vec![], &[])
        };
        let built = |snap: &Snapshot, prev: Option<&CarriedState>| {
            build("s", at(), snap, prev).unwrap_or_else(|e| panic!("{e}")).carried
        };
        let none = built(&snap_at(100.0, Some(ContainerSection::Absent)), None);
        assert_eq!(none.no_containers_at, Some(100.0));
        // The next programs leave the script out: the time is kept, and no container is shown.
        let skipped = build("s", at(), &snap_at(110.0, None), Some(&none)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(skipped.carried.no_containers_at, Some(100.0));
        assert!(skipped.details.containers.is_none());
        assert!(skipped.carried.no_containers_lately());
        let found = ContainerSection::Present {
            tool: "docker".into(),
            containers: vec![],
            listed: true,
            running: vec![],
            asked: None,
        };
        assert_eq!(built(&snap_at(700.0, Some(found)), Some(&skipped.carried)).no_containers_at, None);
    }
}
