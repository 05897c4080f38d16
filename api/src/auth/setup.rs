//! The one-time setup token: made at start when login is required and no user exists, logged
//! as a link, good for one first admin until it expires. Only its digest is kept.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use fleetwatch_store::auth::{digest, random_hex};

use crate::error::Result;

#[derive(Default)]
pub struct SetupToken {
    current: Mutex<Option<(String, Instant)>>,
}

impl SetupToken {
    /// A new token valid for `valid_for`; the previous one stops working.
    pub fn issue(&self, valid_for: Duration) -> Result<String> {
        let token = random_hex()?;
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some((digest(&token), Instant::now() + valid_for));
        Ok(token)
    }

    /// Whether `token` is the live one; if so it is used up.
    pub fn redeem(&self, token: &str) -> bool {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let ok = current.as_ref().is_some_and(|(hash, until)| *hash == digest(token) && Instant::now() < *until);
        if ok {
            *current = None;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_token_works_once_and_not_after_it_expired() {
        let setup = SetupToken::default();
        assert!(!setup.redeem(""));
        let token = setup.issue(Duration::from_secs(60)).unwrap_or_default();
        assert!(!setup.redeem("wrong"));
        assert!(setup.redeem(&token));
        assert!(!setup.redeem(&token), "single use");
        let expired = setup.issue(Duration::ZERO).unwrap_or_default();
        assert!(!setup.redeem(&expired));
    }
}
