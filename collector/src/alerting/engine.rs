//! Evaluation: the book is read from the store each time (so a restart neither re-sends nor
//! forgets, and acknowledgements made through the API count), the servers' latest samples,
//! details and failures are read back, the silences made through the API join the configured
//! ones, and the outcome is saved in one transaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use fleetwatch_alerts::{AlertBook, Alerting, Failure, ServerView, Silence, Transition, evaluate, group};
use fleetwatch_common::{Details, Sample};
use fleetwatch_config::Server;
use fleetwatch_store::{Evaluation, NewNotification, ServerState, Store};
use tokio::sync::Mutex;

/// Why an evaluation could not be done or saved.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    #[error("store: {0}")]
    Store(#[from] fleetwatch_store::Error),
    #[error("a notification cannot be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Evaluates the configured rules for the servers this process collects.
pub struct AlertEngine {
    store: Arc<dyn Store>,
    alerting: Alerting,
    tags: HashMap<String, Vec<String>>,
    /// One evaluation at a time (the cycle's and the timer's).
    running: Mutex<()>,
    errors: AtomicU64,
}

impl AlertEngine {
    pub fn new(store: Arc<dyn Store>, alerting: Alerting, servers: &[Server]) -> Self {
        let tags = servers.iter().map(|s| (s.name.clone(), s.tags.clone())).collect();
        Self { store, alerting, tags, running: Mutex::new(()), errors: AtomicU64::new(0) }
    }

    /// Evaluations that failed since start.
    pub fn error_count(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// [`Self::evaluate`], with a failure logged and counted instead of returned.
    pub async fn evaluate_logged(&self, servers: &[String], member: Option<&str>, now: DateTime<Utc>) {
        match self.evaluate(servers, member, now).await {
            Ok(changes) if !changes.is_empty() => tracing::info!(changes = changes.len(), "alerts changed"),
            Ok(_) => {}
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "alert evaluation failed; the next one starts from the stored state");
            }
        }
    }

    /// Evaluates `servers` (configured ones; others are skipped) at `now`; returns the changes,
    /// which are stored with the queued notifications before this returns. In a cluster,
    /// `member` is this process's id: nothing is saved unless it still holds every server's lease.
    pub async fn evaluate(
        &self,
        servers: &[String],
        member: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Transition>, EvaluateError> {
        let _one = self.running.lock().await;
        let servers: Vec<String> = servers.iter().filter(|s| self.tags.contains_key(*s)).cloned().collect();
        let mut book = AlertBook::from_alerts(self.store.alerts().await?);
        let states: HashMap<String, ServerState> =
            self.store.server_states().await?.into_iter().map(|s| (s.server_name.clone(), s)).collect();
        let samples: HashMap<String, Sample> =
            self.store.latest_samples().await?.into_iter().map(|s| (s.server_name.clone(), s)).collect();
        let mut details: HashMap<&str, Details> = HashMap::new();
        for name in &servers {
            if states.get(name).is_some_and(|s| s.ok)
                && let Some(d) = self.store.details(name, None).await?
            {
                details.insert(name, d);
            }
        }
        let views: Vec<ServerView<'_>> = servers
            .iter()
            .map(|name| {
                let state = states.get(name);
                ServerView {
                    name,
                    tags: self.tags.get(name).map_or(&[], Vec::as_slice),
                    latest: samples.get(name),
                    details: details.get(name.as_str()),
                    failure: state
                        .filter(|s| !s.ok)
                        .and_then(|s| s.reason.map(|reason| Failure { reason, detail: s.detail.as_deref() })),
                }
            })
            .collect();
        let a = &self.alerting;
        let mut silences = a.silences.clone();
        for stored in self.store.silences().await? {
            match Silence::new(stored.spec) {
                Ok(s) => silences.push(s),
                Err(e) => tracing::warn!(silence = stored.id, error = %e, "stored silence ignored"),
            }
        }
        let transitions = evaluate(&mut book, &a.rules, &views, &silences, now);
        let notifications = group(&a.rules, &transitions)
            .iter()
            .map(|n| Ok(NewNotification { channel: n.channel.clone(), payload: serde_json::to_string(n)? }))
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        let evaluation = Evaluation {
            servers: &servers,
            book: &book,
            transitions: &transitions,
            notifications: &notifications,
            member,
        };
        self.store.save_evaluation(evaluation, now).await?;
        Ok(transitions)
    }
}
