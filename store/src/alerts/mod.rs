//! Alerting's storage: the alert book (pending and firing alerts), the history of their
//! transitions, the notification outbox, each channel's last delivery result and counts, the
//! silences made at run time, the host keys servers offered after a change, and each collector
//! process's own figures (for `/metrics`).
//!
//! [`AlertStore`] is a supertrait of [`crate::Store`], so every store has it; `store.rs`
//! implements it once for both backends.

mod diff;
mod rows;
mod sql;
mod store;
mod types;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fleetwatch_alerts::{Acknowledgement, Alert, SilenceSpec};

pub use types::{
    Attempt, ChannelResult, ChannelTotals, Claim, CollectorStats, Evaluation, HistoryEntry, HistoryQuery, HostKeyOffer,
    KeyAcceptance, KeyAccepted, NewNotification, OutboxItem, StoredSilence,
};

use crate::error::Result;

/// The alerting part of the [`crate::Store`].
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Every pending and firing alert with its server, by server, rule and instance.
    async fn alerts(&self) -> Result<Vec<(String, Alert)>>;

    /// One evaluation's outcome, in ONE transaction, so each transition is recorded and
    /// notified exactly once: the stored alerts of `servers` become the book's (only the alerts
    /// that changed are written; an acknowledgement stored meanwhile, e.g. through the API, is
    /// kept while the alert lives), the transitions join the history and the notifications the
    /// outbox.
    async fn save_evaluation(&self, evaluation: Evaluation<'_>, now: DateTime<Utc>) -> Result<()>;

    /// Acknowledges a firing alert (stops re-notification until it resolves) and adds the
    /// acknowledgement to its history (kind `acknowledged`, with who and why), in one
    /// transaction. Acknowledging again replaces who and why. Returns whether a firing alert
    /// was found.
    async fn acknowledge_alert(&self, server: &str, rule: &str, instance: &str, ack: &Acknowledgement) -> Result<bool>;

    /// Stored transitions, newest first.
    async fn alert_history(&self, query: &HistoryQuery) -> Result<Vec<HistoryEntry>>;

    /// Stored transitions with an id above `after`, oldest first, at most `limit`: what the
    /// live stream tells. (On PostgreSQL, ids are handed out before the commit: a transaction
    /// that commits late can show a lower id than one already read.)
    async fn alert_history_after(&self, after: i64, limit: i64) -> Result<Vec<HistoryEntry>>;

    /// The id of the newest stored transition; 0 when there is none.
    async fn last_alert_history_id(&self) -> Result<i64>;

    /// Claims up to `limit` notifications of `channel` that are due at `now` and not delivered,
    /// given up or claimed by a live lease, for `member` until `lease_until`; counts the attempt.
    /// Returns them by id.
    /// Safe with several collectors on one database: a row is claimed by one of them at a time
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite serialises writers).
    async fn claim_notifications(&self, claim: Claim<'_>) -> Result<Vec<OutboxItem>>;

    /// Marks a claimed notification delivered. False when `member` no longer held it.
    async fn notification_delivered(&self, id: i64, member: &str, at: DateTime<Utc>) -> Result<bool>;

    /// Records a failed attempt of a claimed notification: tried again at `retry_at`, or given
    /// up when it has none. False when `member` no longer held it.
    async fn notification_failed(&self, id: i64, member: &str, attempt: Attempt<'_>) -> Result<bool>;

    /// The outbox (of one channel or all), oldest first, delivered rows included.
    async fn outbox(&self, channel: Option<&str>) -> Result<Vec<OutboxItem>>;

    /// How many notifications wait (neither delivered nor given up), for `/metrics`.
    async fn outbox_depth(&self) -> Result<i64>;

    /// Deletes delivered and given-up notifications finished before `before`; returns how many.
    async fn purge_notifications(&self, before: DateTime<Utc>) -> Result<u64>;

    /// Keeps a channel's last delivery result, and counts it as one notification sent or one
    /// attempt failed.
    async fn record_channel_result(&self, result: &ChannelResult) -> Result<()>;

    /// Every channel's last delivery result, by name.
    async fn channel_results(&self) -> Result<Vec<ChannelResult>>;

    /// Every channel's counts of notifications sent and attempts failed, by name.
    async fn channel_totals(&self) -> Result<Vec<ChannelTotals>>;

    /// Replaces a collector process's own figures (once per cycle), and forgets those of
    /// processes whose last cycle ended before `forget_before`.
    async fn record_collector_stats(&self, stats: &CollectorStats, forget_before: DateTime<Utc>) -> Result<()>;

    /// Every collector process's figures, by member.
    async fn collector_stats(&self) -> Result<Vec<CollectorStats>>;

    /// Stores a silence made at run time; returns its id. The caller checks it first
    /// (`fleetwatch_alerts::Silence::new`).
    async fn create_silence(&self, spec: &SilenceSpec, by: &str, at: DateTime<Utc>) -> Result<i64>;

    /// The silences made at run time, oldest first (expired ones included until deleted).
    async fn silences(&self) -> Result<Vec<StoredSilence>>;

    /// Deletes a silence; returns whether it existed.
    async fn delete_silence(&self, id: i64) -> Result<bool>;

    /// Keeps the host key a server offered when it did not match the one recorded on first use
    /// (`expected`), so that someone can accept it (the API checks against it).
    async fn record_host_key_offer(
        &self,
        server: &str,
        fingerprint: &str,
        expected: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;

    /// Every kept offer, by server.
    async fn host_key_offers(&self) -> Result<Vec<HostKeyOffer>>;

    /// Replaces the recorded (first-use) host key of a server with an accepted one, notes the
    /// acceptance on the offer and in the alert history (kind `host_key_accepted`, rule
    /// `host-key-changed`), in one transaction. The alert itself resolves at the next
    /// successful collection, not here.
    async fn accept_host_key(&self, acceptance: &KeyAcceptance<'_>) -> Result<KeyAccepted>;
}
