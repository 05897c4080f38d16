//! The delivery worker: one task per channel (a slow or failing channel never holds another
//! back) claims that channel's due notifications from the outbox under a lease, renders each
//! with the channel's secrets, sends it, and marks it delivered, or schedules a retry with
//! exponential backoff, giving up after `max_attempts`. A row whose lease runs out (a killed
//! process) is claimed again by whoever runs next, so nothing queued is lost across restarts.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fleetwatch_alerts::{Channel, Notification, RenderContext, render};
use fleetwatch_store::{Attempt, ChannelResult, Claim, OutboxItem, Store};
use tokio::task::JoinHandle;

use super::send::{SendError, send};

/// Timing of delivery.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// How often each channel looks for due notifications.
    pub poll: Duration,
    /// Per request.
    pub timeout: Duration,
    /// The wait after the first failure; doubled after each further one, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Attempts before a notification is given up (and recorded so).
    pub max_attempts: i32,
    /// How long a claim holds a row; past it another process may send it.
    pub lease: Duration,
    /// Rows claimed at once per channel.
    pub batch: i64,
    /// Delivered and given-up rows are deleted once this old.
    pub keep: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3_600),
            max_attempts: 12,
            lease: Duration::from_secs(300),
            batch: 20,
            keep: Duration::from_secs(7 * 86_400),
        }
    }
}

impl DeliverySettings {
    /// These settings with the retries of `[alerts.delivery]`.
    pub fn with(self, d: &fleetwatch_alerts::Delivery) -> Self {
        Self {
            backoff: Duration::from_secs(d.retry_secs),
            max_backoff: Duration::from_secs(d.max_retry_secs),
            max_attempts: i32::try_from(d.max_attempts).unwrap_or(i32::MAX),
            ..self
        }
    }

    /// The wait before attempt `attempts + 1`.
    pub fn backoff_after(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(30);
        self.backoff.saturating_mul(2u32.saturating_pow(doublings)).min(self.max_backoff)
    }
}

/// Sends the outbox's notifications for the configured channels.
pub struct Delivery {
    store: Arc<dyn Store>,
    channels: Vec<Channel>,
    public_url: Option<String>,
    member: String,
    settings: DeliverySettings,
    http: reqwest::Client,
}

impl Delivery {
    /// `member` names this process in the outbox's claims (the cluster member id).
    pub fn new(
        store: Arc<dyn Store>,
        channels: Vec<Channel>,
        public_url: Option<String>,
        member: String,
        settings: DeliverySettings,
    ) -> Self {
        Self { store, channels, public_url, member, settings, http: reqwest::Client::new() }
    }

    /// Starts one task per channel, and one that purges old finished rows hourly; abort the
    /// handles to stop.
    pub fn spawn(self: Arc<Self>) -> Vec<JoinHandle<()>> {
        let mut tasks: Vec<JoinHandle<()>> = (0..self.channels.len())
            .map(|i| {
                let me = self.clone();
                tokio::spawn(async move {
                    loop {
                        me.run_once(&me.channels[i]).await;
                        tokio::time::sleep(me.settings.poll).await;
                    }
                })
            })
            .collect();
        let me = self.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                me.purge().await;
                tokio::time::sleep(Duration::from_secs(3_600)).await;
            }
        }));
        tasks
    }

    /// Deletes delivered and given-up rows older than `keep`.
    pub async fn purge(&self) {
        let keep = chrono::Duration::from_std(self.settings.keep).unwrap_or(chrono::Duration::days(7));
        match self.store.purge_notifications(Utc::now() - keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "old notifications purged from the outbox"),
            Err(e) => tracing::warn!(error = %e, "cannot purge the notification outbox"),
        }
    }

    /// Claims and sends what is due for `channel`; returns how many were delivered.
    pub async fn run_once(&self, channel: &Channel) -> usize {
        let now = Utc::now();
        let lease = chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::minutes(5));
        let claim = Claim {
            channel: &channel.name,
            member: &self.member,
            now,
            lease_until: now + lease,
            limit: self.settings.batch,
        };
        let claimed = self.store.claim_notifications(claim).await;
        let items = match claimed {
            Ok(items) => items,
            Err(e) => {
                tracing::error!(channel = %channel.name, error = %e, "cannot read the notification outbox");
                return 0;
            }
        };
        let mut delivered = 0;
        for item in items {
            delivered += usize::from(self.deliver(channel, &item).await);
        }
        delivered
    }

    #[tracing::instrument(skip_all, fields(channel = %channel.name, id = item.id, attempt = item.attempts))]
    async fn deliver(&self, channel: &Channel, item: &OutboxItem) -> bool {
        let result = match serde_json::from_str::<Notification>(&item.payload) {
            Ok(n) => {
                let ctx = RenderContext { public_url: self.public_url.as_deref(), ..RenderContext::default() };
                send(&self.http, channel, render(channel, &n, &ctx), self.settings.timeout).await
            }
            Err(e) => Err(SendError::Request(format!("stored notification cannot be read: {e}"))),
        };
        let now = Utc::now();
        let outcome = ChannelResult {
            channel: channel.name.clone(),
            ok: result.is_ok(),
            at: now,
            error: result.as_ref().err().map(ToString::to_string),
        };
        if let Err(e) = self.store.record_channel_result(&outcome).await {
            tracing::warn!(error = %e, "cannot record the channel's delivery result");
        }
        let stored = match &result {
            Ok(answer) => {
                tracing::info!(status = answer.status, "notification delivered");
                self.store.notification_delivered(item.id, &self.member, now).await
            }
            Err(e) => {
                let retry_at = (item.attempts < self.settings.max_attempts).then(|| {
                    now + chrono::Duration::from_std(self.settings.backoff_after(item.attempts))
                        .unwrap_or(chrono::Duration::hours(1))
                });
                match retry_at {
                    Some(at) => tracing::warn!(error = %e, retry_at = %at, "notification not delivered; will retry"),
                    None => tracing::error!(error = %e, "notification not delivered; giving up after the last attempt"),
                }
                let error = e.to_string();
                let attempt = Attempt { error: &error, retry_at, at: now };
                self.store.notification_failed(item.id, &self.member, attempt).await
            }
        };
        if let Err(e) = stored {
            tracing::error!(error = %e, "cannot record the delivery; the row is tried again when its lease ends");
        }
        result.is_ok()
    }
}
