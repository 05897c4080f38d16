//! What the alerting tables hold, as the store hands it out and takes it in.

use chrono::{DateTime, Utc};
use fleetwatch_alerts::{Acknowledgement, AlertBook, SilenceSpec, Transition};

/// A notification to queue: the channel's name and the rendered-later message as JSON text
/// (a `fleetwatch_alerts::Notification`). Never a secret: secrets are read at send time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub channel: String,
    pub payload: String,
}

/// One row of the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: i64,
    pub channel: String,
    pub payload: String,
    pub created: DateTime<Utc>,
    /// Attempts so far, counting the one a claim starts.
    pub attempts: i32,
    pub next_attempt: DateTime<Utc>,
    pub last_error: Option<String>,
    pub delivered: Option<DateTime<Utc>>,
    /// Set when delivery was given up after the last attempt allowed.
    pub gave_up: Option<DateTime<Utc>>,
}

/// The last delivery result of a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelResult {
    pub channel: String,
    pub ok: bool,
    pub at: DateTime<Utc>,
    /// Why the last attempt failed (already free of secrets).
    pub error: Option<String>,
}

/// One stored transition.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub id: i64,
    pub transition: Transition,
    /// Who acknowledged, and why, for an acknowledgement (`TransitionKind::Acknowledged`).
    pub acknowledged: Option<Acknowledgement>,
}

/// Which history to read: transitions seen within `[from, to]`, of one server or all, newest
/// first, at most `limit`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub server: Option<String>,
    pub limit: i64,
}

/// What one evaluation changed, written in one transaction by
/// [`crate::AlertStore::save_evaluation`].
#[derive(Debug, Clone, Copy)]
pub struct Evaluation<'a> {
    /// The servers evaluated: their stored alerts become those of `book`.
    pub servers: &'a [String],
    pub book: &'a AlertBook,
    /// Appended to the history.
    pub transitions: &'a [Transition],
    /// Queued in the outbox.
    pub notifications: &'a [NewNotification],
    /// In a collector cluster: the member that evaluated. Nothing is written unless it still
    /// holds the lease of every server in `servers` (the whole save fails with
    /// `Error::Conflict`), so a server is evaluated and notified by one member only.
    pub member: Option<&'a str>,
}

/// What [`crate::AlertStore::claim_notifications`] asks for: up to `limit` notifications of
/// `channel` due at `now`, for `member` until `lease_until`.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub channel: &'a str,
    pub member: &'a str,
    pub now: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    pub limit: i64,
}

/// A failed delivery attempt: tried again at `retry_at`, or given up (at `at`) without one.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// Why it failed; must hold no secret.
    pub error: &'a str,
    pub retry_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// A silence made at run time, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSilence {
    pub id: i64,
    pub spec: SilenceSpec,
    pub created_by: String,
    pub created: DateTime<Utc>,
}

/// A host key a server offered that did not match the fingerprint recorded on first use, as
/// the collector last saw it, and its acceptance.
#[derive(Debug, Clone, PartialEq)]
pub struct HostKeyOffer {
    pub server_name: String,
    /// `SHA256:…`, what the server offered.
    pub fingerprint: String,
    /// `SHA256:…`, the recorded key it did not match.
    pub expected: String,
    /// When it was last seen offered.
    pub seen: DateTime<Utc>,
    /// When it was accepted (it is then the recorded key), and by whom.
    pub accepted: Option<DateTime<Utc>>,
    pub accepted_by: Option<String>,
}

/// What [`crate::AlertStore::accept_host_key`] is asked: make `fingerprint` the recorded host
/// key of `server` (trusted on first use), on behalf of `by`.
#[derive(Debug, Clone, Copy)]
pub struct KeyAcceptance<'a> {
    pub server: &'a str,
    /// `SHA256:…`.
    pub fingerprint: &'a str,
    pub by: &'a str,
    pub at: DateTime<Utc>,
    /// Accept it only if it is the key the collector last saw the server offer (the API, which
    /// cannot look itself); the CLI connects and sees the key it accepts.
    pub only_offered: bool,
}

/// How an acceptance ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAccepted {
    /// The fingerprint is now the recorded key; `previous` was.
    Accepted { previous: String },
    /// No key is recorded for the server: the collector trusts the first one it sees.
    NothingRecorded,
    /// `only_offered`, and the collector last saw another key offered, or none.
    NotOffered { offered: Option<String> },
}

/// How many notifications a channel delivered and how many attempts failed, since the start
/// (every process's deliveries together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelTotals {
    pub channel: String,
    pub sent: i64,
    pub failed: i64,
}

/// One collector process's own figures, as of its last cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectorStats {
    /// The process's member id (see the collector's cluster).
    pub member: String,
    /// When its last cycle ended.
    pub at: DateTime<Utc>,
    pub last_cycle_ms: i64,
    /// Servers collected and failed in the last cycle.
    pub servers_ok: i64,
    pub servers_failed: i64,
    /// Cycles since the process started, and their total duration.
    pub cycles: i64,
    pub cycle_secs_sum: f64,
    /// The cycle durations as a histogram: (upper bound in seconds, cycles at or under it),
    /// cumulative, bounds ascending; `cycles` is the `+Inf` bucket.
    pub buckets: Vec<(f64, i64)>,
}
