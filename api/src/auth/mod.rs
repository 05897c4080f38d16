//! Who is calling, and what they may do: the auth runtime the middleware and the
//! `/api/auth/…` handlers share. Settings come from the binary as values ([`AuthSettings`]);
//! users, sessions, tokens and the audit log live in the store (`fleetwatch_store::auth`).
//!
//! When login is needed: always when [`AuthSettings::required`] (the listener is not
//! loopback-only, or the config says `mode = "required"`); otherwise only once a user exists.
//! With no user where login is required, only the setup page works, through a one-time link
//! ([`Auth::setup_link`]).

mod caller;
mod cookie;
mod limiter;
mod middleware;
mod recent;
mod setup;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use fleetwatch_common::auth::AuthMode;
use fleetwatch_store::Store;
use fleetwatch_store::auth::{AuditEntry, SessionUser, TokenRecord};

pub use caller::{Caller, Principal};
pub use cookie::{SESSION_COOKIE, clear_cookie, session_cookie};
pub use limiter::Limiter;
pub use middleware::require;

use crate::error::Result;

/// How the API asks who is calling, decided by the binary from the config and the listener.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Login even when no user exists yet (then: the setup link).
    pub required: bool,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after login, however much it is used.
    pub session_max: Duration,
}

impl Default for AuthSettings {
    /// Open on loopback until a user exists; 12 hours idle, 7 days at most.
    fn default() -> Self {
        Self {
            required: false,
            session_idle: Duration::from_secs(12 * 3600),
            session_max: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The auth runtime of one API process.
pub struct Auth {
    pub(crate) settings: AuthSettings,
    pub(crate) store: Arc<dyn Store>,
    /// Latched once a user is seen: users never all go (the last admin cannot be removed).
    users_exist: AtomicBool,
    /// Until then, whether one exists is asked of the store for every request (a user may be
    /// added by `fleetwatch user add`, another process), but by one query shared by the
    /// requests waiting at that moment: how many checks have started, and the number and
    /// answer of the last one that finished. A request takes only the answer of a check that
    /// started after it arrived, so it never misses a user added before it came. Under load
    /// that is a query per burst, not one per request (the query per request was most of an
    /// open API's cost: docs/benchmarks.md, "The API under load").
    user_checks_started: AtomicU64,
    user_check: tokio::sync::Mutex<(u64, bool)>,
    pub(crate) setup: setup::SetupToken,
    pub(crate) limiter: Limiter,
    /// Tokens and sessions the store accepted less than a second ago (`recent.rs`).
    pub(crate) tokens: recent::Recent<TokenRecord>,
    pub(crate) sessions: recent::Recent<SessionUser>,
}

impl Auth {
    pub fn new(store: Arc<dyn Store>, settings: AuthSettings) -> Self {
        Self {
            settings,
            store,
            users_exist: AtomicBool::new(false),
            user_checks_started: AtomicU64::new(0),
            user_check: tokio::sync::Mutex::new((0, false)),
            setup: setup::SetupToken::default(),
            limiter: Limiter::default(),
            tokens: recent::Recent::default(),
            sessions: recent::Recent::default(),
        }
    }

    /// A credential may have changed: the next request of every client asks the store again.
    pub(crate) fn forget_credentials(&self) {
        self.tokens.clear();
        self.sessions.clear();
    }

    /// Whether login is asked now.
    pub async fn mode(&self) -> Result<AuthMode> {
        if self.users_exist.load(Ordering::SeqCst) || self.any_user().await? {
            return Ok(AuthMode::Required);
        }
        Ok(if self.settings.required { AuthMode::Setup } else { AuthMode::Open })
    }

    /// Whether a user exists, from a check that started after this call (see `user_check`).
    async fn any_user(&self) -> Result<bool> {
        let arrived_after = self.user_checks_started.load(Ordering::SeqCst);
        let mut last = self.user_check.lock().await;
        if last.0 <= arrived_after {
            let check = self.user_checks_started.fetch_add(1, Ordering::SeqCst) + 1;
            *last = (check, self.store.user_count().await? > 0);
        }
        if last.1 {
            self.users_exist.store(true, Ordering::SeqCst);
        }
        Ok(last.1)
    }

    /// In setup mode (login required, no user yet): a new one-time link under `base` to make
    /// the first admin, valid for `valid_for`; any earlier link stops working. `None` otherwise.
    pub async fn setup_link(&self, base: &str, valid_for: Duration) -> Result<Option<String>> {
        if self.mode().await? != AuthMode::Setup {
            return Ok(None);
        }
        let token = self.setup.issue(valid_for)?;
        Ok(Some(format!("{}/setup?token={token}", base.trim_end_matches('/'))))
    }

    pub(crate) fn session_idle(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.settings.session_idle).unwrap_or(chrono::Duration::hours(12))
    }

    pub(crate) fn session_max(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.settings.session_max).unwrap_or(chrono::Duration::days(7))
    }

    /// Appends to the audit log; a failure to do so is logged, never fails the request.
    pub(crate) async fn audit(&self, caller: &Caller, action: &str, target: Option<&str>, detail: Option<String>) {
        self.audit_as(caller.principal.actor(), caller, action, target, detail).await;
    }

    /// As [`Auth::audit`], naming the actor (a login names the user it tried).
    pub(crate) async fn audit_as(
        &self,
        actor: String,
        caller: &Caller,
        action: &str,
        target: Option<&str>,
        detail: Option<String>,
    ) {
        let entry = AuditEntry {
            id: 0,
            at: Utc::now(),
            actor,
            action: action.into(),
            target: target.map(str::to_owned),
            source: Some(caller.address.clone()),
            detail,
        };
        if let Err(e) = self.store.record_audit(&entry).await {
            tracing::error!(error = ?e, action, "cannot write the audit log");
        }
    }
}
