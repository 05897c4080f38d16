//! What the store remembers between calls: server ids, each server's current facts, and decoded
//! facts by id. Everything here can be read again from the database; a write that fails clears
//! the server's entries, so a stale entry is never trusted twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::compact::cycle::{Facts, Name, names};

/// Decoded facts, with the names of the figures they imply (in walk order).
#[derive(Debug)]
pub(crate) struct StoredFacts {
    pub(crate) facts: Facts,
    pub(crate) names: Vec<(Name, bool, bool)>,
}

impl StoredFacts {
    pub(crate) fn new(facts: Facts) -> Self {
        let names = names(&facts);
        Self { facts, names }
    }
}

/// A server's recent facts, their ids and their encoded sizes, most recent first.
type Recent = Vec<(Arc<Facts>, i64, usize)>;

/// Facts remembered per server for [`Cache::same_facts`]...
const RECENT_FACTS: usize = 8;
/// ...as long as their encoded sizes add up to at most this (the latest is always kept): a
/// host with thousands of listening sockets or mounts has facts of hundreds of KB, and 1,000
/// such servers would otherwise hold gigabytes here.
const RECENT_BYTES: usize = 128 << 10;

/// Decoded facts kept at most, by count and by encoded size; beyond, the map starts again.
const MAX_FACTS: usize = 20_000;
const MAX_FACTS_BYTES: usize = 64 << 20;

#[derive(Debug, Default)]
pub(crate) struct Cache {
    servers: Mutex<HashMap<String, i64>>,
    /// Servers added to `servers` since [`Cache::fleet_grew`] last said yes.
    met: AtomicUsize,
    /// Server id → (hash, id) of the facts its last write used.
    current: Mutex<HashMap<i64, (i64, i64)>>,
    /// Server id → the facts its last writes used and their ids, most recent first: most cycles
    /// repeat one of them (facts flip between a few states, such as a TCP state that comes and
    /// goes), and comparing is cheaper than encoding, hashing and looking up.
    last: Mutex<HashMap<i64, Recent>>,
    /// Decoded facts by id, and the sum of their encoded sizes.
    facts: Mutex<(HashMap<i64, Arc<StoredFacts>>, usize)>,
}

impl Cache {
    pub(crate) fn server(&self, name: &str) -> Option<i64> {
        self.servers.lock().ok()?.get(name).copied()
    }

    pub(crate) fn set_server(&self, name: &str, id: i64) {
        if let Ok(mut m) = self.servers.lock()
            && m.insert(name.to_owned(), id).is_none()
        {
            self.met.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether the servers met since this last said yes are at least 50 and a tenth of all
    /// those known (autovacuum's rule for an analyze); if so, counting starts again.
    pub(crate) fn fleet_grew(&self) -> bool {
        let known = self.servers.lock().map(|m| m.len()).unwrap_or(0);
        let met = self.met.load(Ordering::Relaxed);
        if met >= 50 && met * 10 >= known {
            self.met.fetch_sub(met, Ordering::Relaxed);
            return true;
        }
        false
    }

    pub(crate) fn current(&self, server_id: i64, hash: i64) -> Option<i64> {
        let m = self.current.lock().ok()?;
        m.get(&server_id).filter(|(h, _)| *h == hash).map(|(_, id)| *id)
    }

    pub(crate) fn set_current(&self, server_id: i64, hash: i64, facts_id: i64) {
        if let Ok(mut m) = self.current.lock() {
            m.insert(server_id, (hash, facts_id));
        }
    }

    /// The id of `facts` if they are among the server's recent ones (which it moves first).
    pub(crate) fn same_facts(&self, server_id: i64, facts: &Facts) -> Option<i64> {
        let mut m = self.last.lock().ok()?;
        let recent = m.get_mut(&server_id)?;
        let i = recent.iter().position(|(f, _, _)| **f == *facts)?;
        let hit = recent.remove(i);
        let id = hit.1;
        recent.insert(0, hit);
        Some(id)
    }

    /// Remembers `facts` (`bytes` encoded) as the server's latest.
    pub(crate) fn set_last(&self, server_id: i64, facts: Facts, id: i64, bytes: usize) {
        if let Ok(mut m) = self.last.lock() {
            let recent = m.entry(server_id).or_default();
            recent.insert(0, (Arc::new(facts), id, bytes));
            recent.truncate(kept(recent));
        }
    }

    pub(crate) fn facts(&self, id: i64) -> Option<Arc<StoredFacts>> {
        self.facts.lock().ok()?.0.get(&id).cloned()
    }

    /// Remembers decoded facts (`bytes` encoded).
    pub(crate) fn set_facts(&self, id: i64, f: Arc<StoredFacts>, bytes: usize) {
        if let Ok(mut g) = self.facts.lock() {
            let (m, total) = &mut *g;
            if m.len() >= MAX_FACTS || *total + bytes > MAX_FACTS_BYTES {
                m.clear();
                *total = 0;
            }
            if m.insert(id, f).is_none() {
                *total += bytes;
            }
        }
    }

    /// Forgets everything about a server's writes (after a failed one).
    pub(crate) fn forget(&self, name: &str) {
        let id = self.servers.lock().ok().and_then(|mut m| m.remove(name));
        if let (Some(id), Ok(mut m)) = (id, self.current.lock()) {
            m.remove(&id);
        }
        if let (Some(id), Ok(mut m)) = (id, self.last.lock()) {
            m.remove(&id);
        }
    }

    /// Forgets every server's current facts (after cleanup deleted unused ones).
    pub(crate) fn forget_facts(&self) {
        if let Ok(mut m) = self.current.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.last.lock() {
            m.clear();
        }
        if let Ok(mut g) = self.facts.lock() {
            g.0.clear();
            g.1 = 0;
        }
    }
}

/// How many of a server's recent facts (most recent first) to keep: at most [`RECENT_FACTS`],
/// within [`RECENT_BYTES`], and always the latest.
fn kept(recent: &Recent) -> usize {
    let mut total = 0;
    let within = recent
        .iter()
        .take(RECENT_FACTS)
        .take_while(|(_, _, bytes)| {
            total += bytes;
            total <= RECENT_BYTES
        })
        .count();
    within.max(1).min(recent.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recent(sizes: &[usize]) -> Recent {
        sizes.iter().enumerate().map(|(i, b)| (Arc::new(Facts::default()), i as i64, *b)).collect()
    }

    #[test]
    fn recent_facts_are_bounded_by_count_and_by_size_keeping_the_latest() {
        assert_eq!(kept(&recent(&[100; 12])), RECENT_FACTS);
        assert_eq!(kept(&recent(&[60 << 10, 60 << 10, 60 << 10])), 2);
        assert_eq!(kept(&recent(&[1 << 20, 10])), 1, "the latest, however large");
        assert_eq!(kept(&recent(&[])), 0);
    }

    #[test]
    fn decoded_facts_start_again_past_their_byte_budget() {
        let cache = Cache::default();
        let f = || Arc::new(StoredFacts::new(Facts::default()));
        cache.set_facts(1, f(), MAX_FACTS_BYTES - 10);
        cache.set_facts(1, f(), MAX_FACTS_BYTES - 10);
        assert!(cache.facts(1).is_some(), "the same id again is not counted twice");
        cache.set_facts(2, f(), 20);
        assert!(cache.facts(1).is_none() && cache.facts(2).is_some(), "over the budget: only the newest");
    }

    #[test]
    fn the_fleet_grew_after_fifty_new_servers_and_a_tenth_of_the_fleet() {
        let cache = Cache::default();
        let meet = |from: usize, n: usize| (from..from + n).for_each(|i| cache.set_server(&format!("s{i}"), i as i64));
        meet(0, 49);
        assert!(!cache.fleet_grew(), "49 servers");
        meet(0, 49);
        assert!(!cache.fleet_grew(), "the same servers again are not new");
        meet(49, 1);
        assert!(cache.fleet_grew(), "50 servers, all new");
        assert!(!cache.fleet_grew(), "counted again from zero");
        meet(50, 950);
        assert!(cache.fleet_grew(), "950 more");
        meet(1000, 99);
        assert!(!cache.fleet_grew(), "99 is less than a tenth of 1,099");
        meet(1099, 20);
        assert!(cache.fleet_grew(), "119 new of 1,119");
    }
}
