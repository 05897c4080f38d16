//! Runs collection cycles on the configured cron schedule. A cycle still running when the next
//! one is due makes that one skip (logged), never pile up.

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
    running: Arc<Mutex<()>>,
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
        let running = Arc::new(Mutex::new(()));
        let scheduler = JobScheduler::new().await?;
        let expr = collector.settings().schedule.clone();
        let (c, r) = (collector.clone(), running.clone());
        let job = Job::new_async(expr.as_str(), move |_id, _sched| {
            let (c, r) = (c.clone(), r.clone());
            Box::pin(async move { run_guarded(&c, &r).await })
        })
        .map_err(|source| ScheduleError::InvalidSchedule { job: "schedule", expr: expr.clone(), source })?;
        scheduler.add(job).await?;
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
            let (c, r) = (collector.clone(), running.clone());
            tokio::spawn(async move { run_guarded(&c, &r).await });
        }
        tracing::info!(schedule = %expr, "collector scheduled");
        Ok(Self { scheduler, running, collector, heartbeat, tasks })
    }

    /// Stops scheduling and waits for the cycle in flight to finish and be stored.
    pub async fn stop(mut self) {
        if let Err(e) = self.scheduler.shutdown().await {
            tracing::warn!(error = %e, "scheduler shutdown");
        }
        let _finished = self.running.lock().await;
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

async fn run_guarded(collector: &Collector, running: &Mutex<()>) {
    match running.try_lock() {
        Ok(_guard) => {
            collector.run_cycle().await;
        }
        Err(_) => tracing::warn!("previous cycle still running; this one is skipped"),
    }
}
