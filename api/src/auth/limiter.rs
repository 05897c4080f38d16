//! Failed logins counted per client address and per user name, in this process: after
//! [`PER_USER`] failures for one name or [`PER_ADDRESS`] from one address within [`WINDOW`],
//! further attempts are refused (429) without a password check until the oldest failure ages
//! out. A success clears the name's count, not the address's.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const PER_USER: usize = 5;
pub const PER_ADDRESS: usize = 20;
/// Keys kept at most; beyond, the ones with no recent failure are dropped first.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Limiter {
    /// `Some(seconds to wait)` when `address` or `user` is blocked at `now`.
    pub fn blocked(&self, address: &str, user: &str, now: Instant) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for (key, limit) in [(addr_key(address), PER_ADDRESS), (user_key(user), PER_USER)] {
            if let Some(times) = map.get_mut(&key) {
                prune(times, now);
                if times.len() >= limit {
                    let oldest = times.front().copied().unwrap_or(now);
                    let secs = (oldest + WINDOW).saturating_duration_since(now).as_secs().max(1);
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    pub fn failed(&self, address: &str, user: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| {
                prune(times, now);
                !times.is_empty()
            });
        }
        for key in [addr_key(address), user_key(user)] {
            map.entry(key).or_default().push_back(now);
        }
    }

    pub fn succeeded(&self, user: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&user_key(user));
    }
}

fn addr_key(address: &str) -> String {
    format!("a:{address}")
}

fn user_key(user: &str) -> String {
    format!("u:{}", user.to_lowercase())
}

fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_blocked_after_its_failures_until_they_age_out() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for i in 0..PER_USER {
            assert_eq!(limiter.blocked("10.0.0.1", "root", t0), None, "attempt {i}");
            limiter.failed(&format!("10.0.0.{i}"), "root", t0);
        }
        assert!(limiter.blocked("10.9.9.9", "ROOT", t0).is_some(), "per name, from any address");
        assert_eq!(limiter.blocked("10.9.9.9", "ann", t0), None);
        assert_eq!(limiter.blocked("10.9.9.9", "root", t0 + WINDOW), None, "aged out");
    }

    #[test]
    fn an_address_is_blocked_after_its_failures_whatever_the_names() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for i in 0..PER_ADDRESS {
            limiter.failed("10.0.0.1", &format!("user{i}"), t0);
        }
        assert!(limiter.blocked("10.0.0.1", "someone", t0).is_some());
        assert_eq!(limiter.blocked("10.0.0.2", "someone", t0), None);
        limiter.succeeded("user1");
        assert!(limiter.blocked("10.0.0.1", "someone", t0).is_some(), "a success clears the name only");
    }
}
