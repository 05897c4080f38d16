//! Runs collection cycles on the configured cron schedule, and the servers with a `schedule` of
//! their own on theirs (one job per distinct schedule). A cycle still running when the next one
//! of the same servers is due makes that one skip (logged and counted:
//! `Collector::skipped_cycles`), never pile up.

use std::sync::Arc;

use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::cycle::Collector;

/// The scheduler could not be started (the cron expressions are validated with the config, so
/// this is rare).
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("scheduler: {0}")]
    Scheduler(#[from] JobSchedulerError),
    #[error("scheduler: invalid {job} {expr:?}: {source}")]
    InvalidSchedule {
        job: &'static str,
        expr: String,
        #[source]
        source: JobSchedulerError,
    },
}

/// A running schedule; [`Schedule::stop`] waits for the cycle in flight.
pub struct Schedule {
    scheduler: JobScheduler,
    groups: Vec<Arc<Group>>,
    collector: Arc<Collector>,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
    /// The alert staleness timer, when alerts are on.
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// How often alerts are evaluated between cycles (for staleness).
const ALERT_TIMER: std::time::Duration = std::time::Duration::from_secs(60);

impl Schedule {
    /// Starts the schedule (and a first cycle at once when `collect_on_start`).
    pub async fn start(collector: Arc<Collector>) -> Result<Self, ScheduleError> {
        let scheduler = JobScheduler::new().await?;
        let expr = collector.settings().schedule.clone();
        // One job and one guard per schedule: the default one (`None`) guards `running`, which
        // `stop` waits for with the others.
        let mut groups = Vec::new();
        for own in collector.schedules() {
            let group =
                Arc::new(Group { expr: own.clone().unwrap_or_else(|| expr.clone()), own, running: Mutex::new(()) });
            let (c, g) = (collector.clone(), group.clone());
            let job = Job::new_async(group.expr.as_str(), move |_id, _sched| {
                let (c, g) = (c.clone(), g.clone());
                Box::pin(async move { g.run(&c).await })
            })
            .map_err(|source| ScheduleError::InvalidSchedule {
                job: "schedule",
                expr: group.expr.clone(),
                source,
            })?;
            scheduler.add(job).await?;
            groups.push(group);
        }
        let disk = &collector.settings().user_disk;
        if disk.enabled {
            let expr = disk.schedule.clone();
            let (c, busy) = (collector.clone(), Arc::new(Mutex::new(())));
            let job = Job::new_async(expr.as_str(), move |_id, _sched| {
                let (c, busy) = (c.clone(), busy.clone());
                Box::pin(async move {
                    match busy.try_lock() {
                        Ok(_guard) => {
                            c.run_user_disk().await;
                        }
                        Err(_) => tracing::warn!("previous per-user disk usage run still going; skipped"),
                    }
                })
            })
            .map_err(|source| ScheduleError::InvalidSchedule {
                job: "user_disk schedule",
                expr: expr.clone(),
                source,
            })?;
            scheduler.add(job).await?;
            tracing::info!(schedule = %expr, "per-user disk usage scheduled");
        }
        scheduler.start().await?;
        let mut tasks = Vec::new();
        let heartbeat = collector.cluster().cloned().map(|cluster| {
            tracing::info!(member = %cluster.id(), "collector member of a cluster; servers are split by lease");
            tokio::spawn(async move {
                loop {
                    if let Err(e) = cluster.heartbeat().await {
                        tracing::warn!(error = ?e, "collector heartbeat failed");
                    }
                    tokio::time::sleep(cluster.heartbeat_every()).await;
                }
            })
        });
        if collector.alerts().is_some() {
            // Staleness: servers whose collection stopped (a dead collector, a hung cycle).
            let (c, every) = (collector.clone(), ALERT_TIMER);
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    c.evaluate_alerts().await;
                }
            }));
        }
        if collector.settings().collect_on_start {
            for g in &groups {
                let (c, g) = (collector.clone(), g.clone());
                // At once, not spread: the first figures are wanted now.
                tokio::spawn(async move { g.run_now(&c).await });
            }
        }
        tracing::info!(schedule = %expr, schedules = groups.len(), "collector scheduled");
        Ok(Self { scheduler, groups, collector, heartbeat, tasks })
    }

    /// Stops scheduling and waits for the cycle in flight to finish and be stored.
    pub async fn stop(mut self) {
        if let Err(e) = self.scheduler.shutdown().await {
            tracing::warn!(error = %e, "scheduler shutdown");
        }
        for g in &self.groups {
            let _finished = g.running.lock().await;
        }
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        for t in self.tasks.drain(..) {
            t.abort();
        }
        if let Some(cluster) = self.collector.cluster() {
            cluster.leave().await;
        }
    }
}

/// The servers of one schedule and the guard that keeps their cycles from overlapping.
struct Group {
    /// The cron expression.
    expr: String,
    /// The servers' own `schedule`; `None`: `collector.schedule`.
    own: Option<String>,
    running: Mutex<()>,
}

impl Group {
    /// A scheduled cycle, starts spread over `collector.spread` of the interval; skipped and
    /// counted when the previous one still runs.
    async fn run(&self, collector: &Collector) {
        let interval = fleetwatch_config::cron_interval(&self.expr);
        self.guarded(collector, interval).await;
    }

    /// A cycle at once (collect on start), not spread.
    async fn run_now(&self, collector: &Collector) {
        self.guarded(collector, None).await;
    }

    async fn guarded(&self, collector: &Collector, interval: Option<std::time::Duration>) {
        match self.running.try_lock() {
            Ok(_guard) => {
                collector.run_scheduled(self.own.as_deref(), interval).await;
            }
            Err(_) => {
                let skipped = collector.count_skipped_cycle();
                tracing::warn!(
                    schedule = %self.expr,
                    skipped_total = skipped,
                    "previous cycle still running; this one is skipped"
                );
            }
        }
    }
}
