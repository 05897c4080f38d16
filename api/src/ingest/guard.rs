//! Per-server rate limit and replay refusal for pushes, in memory: at most one accepted push
//! per `min_interval`; a body identical to the last accepted one, or a sequence number not above
//! the last one of the same boot, is refused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::{ApiError, Result};

/// The push script's `X-Fleetwatch-Boot` (the host's boot id) and `X-Fleetwatch-Seq` (its
/// uptime in hundredths of a second): strictly increasing within one boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    pub boot: String,
    pub seq: u64,
}

/// What was last accepted for one server.
#[derive(Debug, Clone)]
struct Last {
    at: Instant,
    digest: [u8; 32],
    sequence: Option<Sequence>,
}

/// A reservation of a server's slot, made by [`PushGuard::admit`]: [`PushGuard::confirm`] it
/// once stored, or [`PushGuard::release`] it when nothing was stored.
#[derive(Debug)]
pub struct Admission {
    server: String,
    previous: Option<Last>,
}

#[derive(Debug)]
pub struct PushGuard {
    min_interval: Duration,
    last: Mutex<HashMap<String, Last>>,
}

impl PushGuard {
    pub fn new(min_interval: Duration) -> Self {
        Self { min_interval, last: Mutex::default() }
    }

    /// Admits a push of `body` for `server` now, or refuses it: 409 for a replay (the body last
    /// accepted, or a sequence not above the last one of the same boot), 429 with `Retry-After`
    /// when the last accepted push is more recent than the interval. An admitted push holds the
    /// server's slot until confirmed or released.
    pub fn admit(&self, server: &str, body: &[u8], sequence: Option<Sequence>, now: Instant) -> Result<Admission> {
        let digest: [u8; 32] = Sha256::digest(body).into();
        let mut last = self.last.lock().map_err(|_| ApiError::Internal("push guard poisoned".into()))?;
        let previous = last.get(server).cloned();
        if let Some(p) = &previous {
            if p.digest == digest {
                return Err(ApiError::Conflict("replayed push: this body was accepted already".into()));
            }
            if let (Some(old), Some(new)) = (&p.sequence, &sequence)
                && old.boot == new.boot
                && new.seq <= old.seq
            {
                return Err(ApiError::Conflict(format!(
                    "replayed push: sequence {} is not above the last accepted {} of this boot",
                    new.seq, old.seq
                )));
            }
            let since = now.saturating_duration_since(p.at);
            if since < self.min_interval {
                let wait = self.min_interval - since;
                let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                return Err(ApiError::TooManyRequests {
                    message: format!(
                        "too many pushes for this server: at most one every {} s",
                        self.min_interval.as_secs_f64()
                    ),
                    retry_after_secs: retry_after_secs.max(1),
                });
            }
        }
        last.insert(server.to_owned(), Last { at: now, digest, sequence });
        Ok(Admission { server: server.to_owned(), previous })
    }

    /// The admitted push was stored.
    pub fn confirm(&self, admission: Admission) {
        drop(admission);
    }

    /// The admitted push stored nothing: the server's slot is as it was before.
    pub fn release(&self, admission: Admission) {
        let Ok(mut last) = self.last.lock() else { return };
        match admission.previous {
            Some(p) => last.insert(admission.server, p),
            None => last.remove(&admission.server),
        };
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn seq(boot: &str, seq: u64) -> Option<Sequence> {
        Some(Sequence { boot: boot.into(), seq })
    }

    #[test]
    fn replays_rates_and_releases() {
        let g = PushGuard::new(Duration::from_secs(5));
        let t0 = Instant::now();
        let a = g.admit("a", b"one", seq("b1", 10), t0).unwrap();
        g.confirm(a);
        let replay = g.admit("a", b"one", seq("b1", 11), t0 + Duration::from_secs(60)).unwrap_err();
        assert_eq!(replay.status_code(), 409);
        let old = g.admit("a", b"two", seq("b1", 10), t0 + Duration::from_secs(60)).unwrap_err();
        assert_eq!(old.status_code(), 409);
        let soon = g.admit("a", b"two", seq("b1", 11), t0 + Duration::from_millis(1500)).unwrap_err();
        assert!(matches!(soon, ApiError::TooManyRequests { retry_after_secs: 4, .. }), "{soon:?}");
        assert!(g.admit("b", b"one", None, t0).is_ok(), "another server has its own slot");
        let rebooted = g.admit("a", b"two", seq("b2", 1), t0 + Duration::from_secs(6)).unwrap();
        g.release(rebooted);
        let again = g.admit("a", b"two", seq("b2", 1), t0 + Duration::from_secs(7)).unwrap();
        g.confirm(again);
    }
}
