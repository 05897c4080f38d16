//! The servers as the whole app sees them: one signal per server, so that a live update redraws
//! one card and not five hundred. Filled by a full load (`/api/servers`) and kept current by
//! [`crate::live`].

use std::collections::HashMap;

use fleetwatch_common::{ServerInfo, Status};
use leptos::prelude::*;

use crate::api::ApiError;

/// How the page gets its news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Opening the live stream.
    Connecting,
    /// The live stream is open: updates arrive as they happen.
    Live,
    /// The stream is down: the page asks every `refresh_secs` and keeps trying the stream.
    Polling,
    /// The tab is hidden: nothing is asked until it is shown again.
    Paused,
}

impl Link {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Polling => "polling",
            Self::Paused => "paused",
        }
    }
}

/// The shared state of the fleet. `Copy`: every field is an arena handle.
#[derive(Debug, Clone, Copy)]
pub struct Fleet {
    /// Server names, sorted; changes only when a server appears or goes.
    names: RwSignal<Vec<String>>,
    servers: StoredValue<HashMap<String, RwSignal<ServerInfo>>>,
    /// When the page last received data (epoch ms); `None` before the first load.
    pub updated: RwSignal<Option<f64>>,
    /// The last failed full load; cleared by the next good one.
    pub failure: RwSignal<Option<ApiError>>,
    pub loading: RwSignal<bool>,
    pub link: RwSignal<Link>,
    /// Seconds between polls while the live stream is down (`/api/ui-config`).
    pub refresh_secs: RwSignal<u64>,
    pub version: RwSignal<Option<String>>,
    /// The browser's clock, ticking so that "2 min ago" stays true.
    pub now: RwSignal<f64>,
}

impl Fleet {
    pub fn new(now: f64) -> Self {
        Self {
            names: RwSignal::new(Vec::new()),
            servers: StoredValue::new(HashMap::new()),
            updated: RwSignal::new(None),
            failure: RwSignal::new(None),
            loading: RwSignal::new(false),
            link: RwSignal::new(Link::Connecting),
            refresh_secs: RwSignal::new(30),
            version: RwSignal::new(None),
            now: RwSignal::new(now),
        }
    }

    pub fn names(&self) -> Signal<Vec<String>> {
        self.names.into()
    }

    /// Whether a full load has succeeded at least once.
    pub fn loaded(&self) -> bool {
        self.updated.with(Option::is_some)
    }

    /// The signal of one server, if it is known.
    pub fn server(&self, name: &str) -> Option<RwSignal<ServerInfo>> {
        self.servers.with_value(|m| m.get(name).copied())
    }

    /// Calls `f` on every server in name order, tracking each (use inside memos).
    pub fn each(&self, mut f: impl FnMut(&ServerInfo)) {
        self.names.with(|names| {
            for name in names {
                if let Some(s) = self.server(name) {
                    s.with(&mut f);
                }
            }
        });
    }

    /// Replaces everything with a full load: known servers are updated in place (and redraw only
    /// if they changed), new ones added, vanished ones dropped.
    pub fn replace_all(&self, list: Vec<ServerInfo>, now: f64) {
        let mut names: Vec<String> = list.iter().map(|s| s.name.clone()).collect();
        names.sort();
        names.dedup();
        for info in list {
            self.upsert(info);
        }
        let gone: Vec<String> = self
            .servers
            .with_value(|m| m.keys().filter(|k| names.binary_search(k).is_err()).cloned().collect::<Vec<_>>());
        if self.names.with_untracked(|n| *n != names) {
            self.names.set(names);
        }
        for name in gone {
            if let Some(sig) = self.servers.try_update_value(|m| m.remove(&name)).flatten() {
                sig.dispose();
            }
        }
        self.updated.set(Some(now));
        self.failure.set(None);
    }

    /// Applies a batch of live updates.
    pub fn apply(&self, events: Vec<ServerInfo>, now: f64) {
        let mut added = Vec::new();
        for info in events {
            let name = info.name.clone();
            if self.upsert(info) {
                added.push(name);
            }
        }
        if !added.is_empty() {
            self.names.update(|n| {
                n.extend(added);
                n.sort();
                n.dedup();
            });
        }
        self.updated.set(Some(now));
    }

    /// Stores one server; true when it was not known before.
    fn upsert(&self, info: ServerInfo) -> bool {
        match self.server(&info.name) {
            Some(sig) => {
                if sig.with_untracked(|old| *old != info) {
                    sig.set(info);
                }
                false
            }
            None => {
                let name = info.name.clone();
                let sig = RwSignal::new(info);
                self.servers.update_value(|m| {
                    m.insert(name, sig);
                });
                true
            }
        }
    }

    /// Every tag of the fleet, sorted (tracked).
    pub fn tags(&self) -> Vec<String> {
        let mut tags = Vec::new();
        self.each(|s| tags.extend(s.tags.iter().cloned()));
        tags.sort();
        tags.dedup();
        tags
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        self.each(|s| {
            t.all += 1;
            match s.status.status {
                Status::Healthy => t.healthy += 1,
                Status::Warning => t.warning += 1,
                Status::Critical => t.critical += 1,
                Status::Offline => t.offline += 1,
            }
        });
        t
    }
}

/// Servers per status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub all: usize,
    pub healthy: usize,
    pub warning: usize,
    pub critical: usize,
    pub offline: usize,
}

impl Totals {
    pub fn online(&self) -> usize {
        self.all - self.offline
    }
}

/// What the dashboard's filters ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// A name substring, any case.
    pub query: String,
    pub tag: String,
    /// `healthy`, `warning`, `critical`, `offline`, or empty for all.
    pub status: String,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.query.is_empty() && self.tag.is_empty() && self.status.is_empty()
    }

    pub fn matches(&self, s: &ServerInfo) -> bool {
        let query = self.query.trim().to_lowercase();
        (query.is_empty()
            || s.name.to_lowercase().contains(&query)
            || s.host.as_deref().is_some_and(|h| h.to_lowercase().contains(&query)))
            && (self.tag.is_empty() || s.tags.contains(&self.tag))
            && (self.status.is_empty() || s.status.status.as_str() == self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetwatch_common::ServerStatus;

    fn server(name: &str, tags: &[&str], status: Status) -> ServerInfo {
        ServerInfo {
            name: name.into(),
            transport: fleetwatch_common::Transport::Ssh,
            host: Some(format!("{name}.example")),
            port: Some(22),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            status: ServerStatus {
                server_name: name.into(),
                status,
                cpu_status: Default::default(),
                ram_status: Default::default(),
                disk_status: Default::default(),
                last_seen: None,
                reason: None,
                detail: None,
            },
            latest: None,
        }
    }

    #[test]
    fn filters_combine_name_tag_and_status() {
        let web = server("Web-1", &["prod", "web"], Status::Healthy);
        let db = server("db-1", &["prod"], Status::Offline);
        let f = |query: &str, tag: &str, status: &str| Filter {
            query: query.into(),
            tag: tag.into(),
            status: status.into(),
        };
        assert!(f("", "", "").matches(&web) && f("", "", "").is_empty());
        assert!(f("web", "", "").matches(&web), "any case");
        assert!(!f("web", "", "").matches(&db));
        assert!(f("db-1.example", "", "").matches(&db), "the host counts too");
        assert!(f("", "prod", "offline").matches(&db));
        assert!(!f("", "web", "").matches(&db));
        assert!(!f("", "prod", "offline").matches(&web));
    }
}
