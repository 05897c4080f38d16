//! Credentials the store vouched for a moment ago, so that a client sending requests back to back
//! costs one lookup per second, not one per request.
//!
//! Looking a token up writes its `last_used` and a session's lookup extends it (an `UPDATE` each:
//! on PostgreSQL a commit per request); at 64 connections that was most of the API's cost (p99
//! 31 ms on PostgreSQL with a token, docs/benchmarks.md, "The API under load"). What is kept:
//! - only credentials the store accepted, keyed by their digest (an unknown or refused one is
//!   asked every time);
//! - for at most [`FRESH`], and never past the credential's own expiry;
//! - all of it dropped when this process changes any credential (a mutating request under
//!   `/api/auth/`: logout, password, users, tokens, setup), so a revocation through the API
//!   holds from the next request. One made by another process (`fleetwatch token revoke`,
//!   `fleetwatch user del`) holds within [`FRESH`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// How long the store's word on a credential is taken without asking again.
pub const FRESH: Duration = Duration::from_secs(1);

/// More distinct credentials than this within [`FRESH`] and the table starts over.
const MOST: usize = 4096;

/// See the module. `V` is what the store answered.
#[derive(Debug)]
pub struct Recent<V> {
    entries: Mutex<HashMap<String, (V, Instant)>>,
}

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Self { entries: Mutex::new(HashMap::new()) }
    }
}

impl<V: Clone> Recent<V> {
    /// What the store said of `key` less than [`FRESH`] ago, if it has not expired since.
    pub fn get(&self, key: &str, now: DateTime<Utc>, expires: impl Fn(&V) -> Option<DateTime<Utc>>) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (value, at) = entries.get(key)?;
        (at.elapsed() < FRESH && expires(value).is_none_or(|e| e > now)).then(|| value.clone())
    }

    /// What the store said of `key` a moment ago, else what `ask` says now (kept if accepted).
    pub async fn get_or_ask<E, Fut>(
        &self,
        key: String,
        now: DateTime<Utc>,
        expires: impl Fn(&V) -> Option<DateTime<Utc>>,
        ask: impl FnOnce() -> Fut,
    ) -> Result<Option<V>, E>
    where
        Fut: Future<Output = Result<Option<V>, E>>,
    {
        if let Some(v) = self.get(&key, now, expires) {
            return Ok(Some(v));
        }
        let asked = Instant::now();
        let found = ask().await?;
        if let Some(v) = &found {
            self.put(key, v.clone(), asked);
        }
        Ok(found)
    }

    /// Keeps the store's answer for `key`, read at `asked` (before the store was asked).
    pub fn put(&self, key: String, value: V, asked: Instant) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MOST {
                entries.retain(|_, (_, at)| at.elapsed() < FRESH);
                if entries.len() >= MOST {
                    entries.clear();
                }
            }
            entries.insert(key, (value, asked));
        }
    }

    /// Forgets everything: a credential changed.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_for_a_moment_never_past_expiry_and_forgotten_on_a_change() {
        let recent: Recent<(&str, Option<DateTime<Utc>>)> = Recent::default();
        let now = Utc::now();
        let expiry = |v: &(&str, Option<DateTime<Utc>>)| v.1;
        recent.put("a".into(), ("alice", None), Instant::now());
        recent.put("b".into(), ("bob", Some(now + chrono::Duration::seconds(1))), Instant::now());
        assert_eq!(recent.get("a", now, expiry).map(|v| v.0), Some("alice"));
        assert_eq!(recent.get("b", now, expiry).map(|v| v.0), Some("bob"));
        assert_eq!(recent.get("b", now + chrono::Duration::seconds(1), expiry), None, "expired");
        assert_eq!(recent.get("c", now, expiry), None, "never seen");
        // Asked longer ago than FRESH: asked again.
        if let Some(long_ago) = Instant::now().checked_sub(FRESH) {
            recent.put("old".into(), ("old", None), long_ago);
            assert_eq!(recent.get("old", now, expiry), None);
        }
        recent.clear();
        assert_eq!(recent.get("a", now, expiry), None, "a change forgets all");
    }

    #[test]
    fn a_flood_of_credentials_does_not_grow_it_without_end() {
        let recent: Recent<u32> = Recent::default();
        for i in 0..(MOST as u32 * 3) {
            recent.put(format!("k{i}"), i, Instant::now());
        }
        let len = recent.entries.lock().map(|e| e.len()).unwrap_or(usize::MAX);
        assert!(len <= MOST, "{len}");
    }
}
