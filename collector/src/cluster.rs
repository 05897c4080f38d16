//! Several collector processes on one database split the fleet between them.
//!
//! Each member heartbeats into the store. Before a cycle a member computes, by rendezvous
//! hashing over the live members, which servers are its own, gives back the leases of servers
//! that are no longer its own, and takes the leases of its servers. It collects only servers
//! whose lease it holds, so no server is polled twice; a member that stops heartbeating loses its
//! leases to the others after `member_timeout`. A member that exits cleanly leaves at once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fleetwatch_store::Store;

use crate::spool::{Held, HeldFile};

/// This process's membership.
pub struct Cluster {
    id: String,
    store: Arc<dyn Store>,
    member_timeout: Duration,
    /// What the last successful claim saw, for cycles while the database is unreachable.
    last: std::sync::Mutex<LastClaim>,
    /// Where `last` is kept across restarts.
    held_file: Option<HeldFile>,
}

/// The servers this member held and how many members it knew at its last successful claim.
#[derive(Default)]
struct LastClaim {
    held: HashSet<String>,
    members: usize,
}

impl Cluster {
    /// Membership under `id` (see [`crate::identity::member_id`]; hold its
    /// [`crate::identity::MemberLock`] while this lives).
    pub fn new(store: Arc<dyn Store>, member_timeout: Duration, id: String) -> Self {
        Self { id, store, member_timeout, last: Default::default(), held_file: None }
    }

    /// Keeps what each claim saw in `file`, and starts from what it kept: a member restarted
    /// while the database is down polls the servers it held before.
    pub fn with_held_file(mut self, file: HeldFile) -> Self {
        if let Some(held) = file.load() {
            tracing::info!(servers = held.servers.len(), members = held.members, "servers held before the restart");
            self.last = std::sync::Mutex::new(LastClaim { held: held.servers, members: held.members });
        }
        self.held_file = Some(file);
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// How often to heartbeat: a third of the timeout, so two missed beats are survived.
    pub fn heartbeat_every(&self) -> Duration {
        (self.member_timeout / 3).max(Duration::from_millis(200))
    }

    pub async fn heartbeat(&self) -> Result<(), fleetwatch_store::Error> {
        self.store.heartbeat(&self.id, Utc::now()).await
    }

    fn alive_since(&self) -> chrono::DateTime<Utc> {
        Utc::now() - chrono::Duration::from_std(self.member_timeout).unwrap_or(chrono::Duration::seconds(30))
    }

    /// The servers this member may collect in this cycle (those whose lease it holds).
    pub async fn claim(&self, servers: &[String]) -> Result<HashSet<String>, fleetwatch_store::Error> {
        self.heartbeat().await?;
        let mut members = self.store.live_members(self.alive_since()).await?;
        if !members.contains(&self.id) {
            members.push(self.id.clone());
        }
        let now = Utc::now();
        let alive_since = self.alive_since();
        let mut mine = HashSet::new();
        for server in servers {
            if owner(server, &members) == self.id {
                if self.store.acquire_lease(server, &self.id, now, alive_since).await? {
                    mine.insert(server.clone());
                }
            } else {
                self.store.release_lease(server, &self.id).await?;
            }
        }
        if let Ok(mut last) = self.last.lock() {
            let changed = last.held != mine || last.members != members.len();
            *last = LastClaim { held: mine.clone(), members: members.len() };
            if let Some(file) = self.held_file.as_ref().filter(|_| changed) {
                file.save(&Held { servers: mine.clone(), members: members.len() });
            }
        }
        Ok(mine)
    }

    /// The servers to collect when the leases cannot be read (the database is unreachable): those
    /// this member held at its last claim; or, if it held none and knew no other member (or never
    /// claimed), all of `servers`. No other member can take a server over without the database,
    /// so at worst a server is polled by its old holder and by one that took it just before the
    /// outage.
    pub fn fallback(&self, servers: &[String]) -> HashSet<String> {
        let Ok(last) = self.last.lock() else { return HashSet::new() };
        if !last.held.is_empty() {
            last.held.clone()
        } else if last.members <= 1 {
            servers.iter().cloned().collect()
        } else {
            HashSet::new()
        }
    }

    /// Leaves the cluster: the others take this member's servers at their next cycle.
    pub async fn leave(&self) {
        if let Err(e) = self.store.leave(&self.id).await {
            tracing::warn!(error = ?e, "cannot leave the collector cluster cleanly; leases expire instead");
        }
    }
}

/// The member with the highest rendezvous score for `server`.
pub fn owner<'a>(server: &str, members: &'a [String]) -> &'a str {
    members.iter().max_by_key(|m| score(m, server)).map(String::as_str).unwrap_or("")
}

/// FNV-1a over "member\0server": stable across processes, builds and platforms.
fn score(member: &str, server: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in member.bytes().chain([0]).chain(server.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // FNV's low bits mix poorly for short keys: finish with a multiply-xorshift.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// This machine's (or container's) host name, the first part of its member ids.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "collector".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendezvous_splits_and_moves_only_the_dead_members_servers() {
        let members: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let servers: Vec<String> = (0..300).map(|i| format!("web-{i}")).collect();
        let owners: Vec<&str> = servers.iter().map(|s| owner(s, &members)).collect();
        for m in ["a", "b", "c"] {
            let n = owners.iter().filter(|o| **o == m).count();
            assert!((60..=140).contains(&n), "{m} owns {n} of 300");
        }
        let survivors: Vec<String> = vec!["a".into(), "c".into()];
        for (s, before) in servers.iter().zip(&owners) {
            let after = owner(s, &survivors);
            if *before != "b" {
                assert_eq!(after, *before, "{s} moved although its owner lives");
            }
        }
    }
}
