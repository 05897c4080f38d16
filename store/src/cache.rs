//! What the store remembers between calls: server ids, each server's current facts, and decoded
//! facts by id. Everything here can be read again from the database; a write that fails clears
//! the server's entries, so a stale entry is never trusted twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::compact::cycle::{Facts, names};

/// Decoded facts, with the names of the figures they imply (in walk order).
#[derive(Debug)]
pub(crate) struct StoredFacts {
    pub(crate) facts: Facts,
    pub(crate) names: Vec<(String, bool, bool)>,
}

impl StoredFacts {
    pub(crate) fn new(facts: Facts) -> Self {
        let names = names(&facts);
        Self { facts, names }
    }
}

/// A server's recent facts and their ids, most recent first.
type Recent = Vec<(Arc<Facts>, i64)>;

/// Facts remembered per server for [`Cache::same_facts`].
const RECENT_FACTS: usize = 8;

/// Decoded facts kept at most; beyond, the map starts again.
const MAX_FACTS: usize = 20_000;

#[derive(Debug, Default)]
pub(crate) struct Cache {
    servers: Mutex<HashMap<String, i64>>,
    /// Server id → (hash, id) of the facts its last write used.
    current: Mutex<HashMap<i64, (i64, i64)>>,
    /// Server id → the facts its last writes used and their ids, most recent first: most cycles
    /// repeat one of them (facts flip between a few states, such as a TCP state that comes and
    /// goes), and comparing is cheaper than encoding, hashing and looking up.
    last: Mutex<HashMap<i64, Recent>>,
    facts: Mutex<HashMap<i64, Arc<StoredFacts>>>,
}

impl Cache {
    pub(crate) fn server(&self, name: &str) -> Option<i64> {
        self.servers.lock().ok()?.get(name).copied()
    }

    pub(crate) fn set_server(&self, name: &str, id: i64) {
        if let Ok(mut m) = self.servers.lock() {
            m.insert(name.to_owned(), id);
        }
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
        let i = recent.iter().position(|(f, _)| **f == *facts)?;
        let hit = recent.remove(i);
        let id = hit.1;
        recent.insert(0, hit);
        Some(id)
    }

    pub(crate) fn set_last(&self, server_id: i64, facts: Facts, id: i64) {
        if let Ok(mut m) = self.last.lock() {
            let recent = m.entry(server_id).or_default();
            recent.insert(0, (Arc::new(facts), id));
            recent.truncate(RECENT_FACTS);
        }
    }

    pub(crate) fn facts(&self, id: i64) -> Option<Arc<StoredFacts>> {
        self.facts.lock().ok()?.get(&id).cloned()
    }

    pub(crate) fn set_facts(&self, id: i64, f: Arc<StoredFacts>) {
        if let Ok(mut m) = self.facts.lock() {
            if m.len() >= MAX_FACTS {
                m.clear();
            }
            m.insert(id, f);
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
        if let Ok(mut m) = self.facts.lock() {
            m.clear();
        }
    }
}
