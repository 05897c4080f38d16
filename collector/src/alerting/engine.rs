//! Evaluation. After a cycle the engine evaluates what the cycle itself holds (its samples,
//! details and failures, handed in as [`Observed`]): nothing is read back but the alert book and
//! the silences. The staleness timer has no cycle at hand and reads the servers' states and
//! latest samples from the store (two queries, no details). Either way the book is read from
//! the store each time (so a restart neither re-sends nor forgets, and acknowledgements made
//! through the API count), the silences made through the API join the configured ones, and the
//! outcome is saved in one transaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use fleetwatch_alerts::builtin::HOST_KEY_CHANGED;
use fleetwatch_alerts::{AlertBook, Alerting, Failure, ServerView, Silence, Transition, evaluate, group};
use fleetwatch_common::{Details, OfflineReason, Sample};
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

/// What one cycle found on one server, as the cycle holds it.
#[derive(Debug, Clone, Copy)]
pub enum Observation<'a> {
    Collected {
        sample: &'a Sample,
        details: Option<&'a Details>,
    },
    /// `detail` is the safe sentence stored with the failure.
    Failed {
        reason: OfflineReason,
        detail: &'a str,
    },
}

/// One server's outcome in a cycle.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    pub server: &'a str,
    pub observation: Observation<'a>,
}

/// What an evaluation changed and queued.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub transitions: Vec<Transition>,
    /// Notifications queued in the outbox (one per channel and group).
    pub queued: usize,
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

    /// A result logged (and a failure counted) rather than returned.
    pub fn log(&self, result: Result<Outcome, EvaluateError>) -> Option<Outcome> {
        match result {
            Ok(o) => {
                if !o.transitions.is_empty() {
                    tracing::info!(changes = o.transitions.len(), queued = o.queued, "alerts changed");
                }
                Some(o)
            }
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "alert evaluation failed; the next one starts from the stored state");
                None
            }
        }
    }

    /// Evaluates what a cycle just found (configured servers only) at `now`. In a cluster,
    /// `member` is this process's id: nothing is saved unless it still holds every server's lease.
    pub async fn evaluate_cycle(
        &self,
        observed: &[Observed<'_>],
        member: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EvaluateError> {
        let views: Vec<ServerView<'_>> = observed
            .iter()
            .filter_map(|o| {
                let tags = self.tags.get(o.server)?;
                let (latest, details, failure) = match o.observation {
                    Observation::Collected { sample, details } => (Some(sample), details, None),
                    Observation::Failed { reason, detail } => {
                        (None, None, Some(Failure { reason, detail: Some(detail) }))
                    }
                };
                Some(ServerView { name: o.server, tags, latest, details, failure, host_key_accepted: None })
            })
            .collect();
        self.run(views, member, now).await
    }

    /// Evaluates `servers` (configured ones; others are skipped) from what the store holds: the
    /// staleness timer's evaluation. Details are not read, so the rules that need them
    /// (series, sections, containers) keep their alerts as they are until the next cycle.
    pub async fn evaluate_stored(
        &self,
        servers: &[String],
        member: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EvaluateError> {
        let states: HashMap<String, ServerState> =
            self.store.server_states().await?.into_iter().map(|s| (s.server_name.clone(), s)).collect();
        let samples: HashMap<String, Sample> =
            self.store.latest_samples().await?.into_iter().map(|s| (s.server_name.clone(), s)).collect();
        let views: Vec<ServerView<'_>> = servers
            .iter()
            .filter_map(|name| {
                let tags = self.tags.get(name)?;
                let failure = states
                    .get(name)
                    .filter(|s| !s.ok)
                    .and_then(|s| s.reason.map(|reason| Failure { reason, detail: s.detail.as_deref() }));
                Some(ServerView {
                    name,
                    tags,
                    latest: samples.get(name),
                    details: None,
                    failure,
                    host_key_accepted: None,
                })
            })
            .collect();
        self.run(views, member, now).await
    }

    async fn run(
        &self,
        mut views: Vec<ServerView<'_>>,
        member: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, EvaluateError> {
        let _one = self.running.lock().await;
        let servers: Vec<String> = views.iter().map(|v| v.name.to_owned()).collect();
        let mut book = AlertBook::from_alerts(self.store.alerts().await?);
        // Only a changed host key waits for someone to accept the new one.
        if views.iter().any(|v| book.get(v.name, HOST_KEY_CHANGED, "").is_some()) {
            let accepted: HashMap<String, DateTime<Utc>> = self
                .store
                .host_key_offers()
                .await?
                .into_iter()
                .filter_map(|o| Some((o.server_name, o.accepted?)))
                .collect();
            for v in &mut views {
                v.host_key_accepted = accepted.get(v.name).copied();
            }
        }
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
        Ok(Outcome { transitions, queued: notifications.len() })
    }
}
