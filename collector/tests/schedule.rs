//! The schedule at fleet scale, against real `sshd` processes on loopback: per-server
//! `schedule` overrides, and backpressure (a cycle still running when the next is due is
//! skipped and counted, never stacked).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use fleetwatch_collector::{Collector, Schedule};
use fleetwatch_config::{CollectorSettings, Config};
use fleetwatch_store::Store;
use fleetwatch_testkit::Sshd;

/// A schedule that does not fire while a test runs (New Year's midnight of 2099).
const NEVER: &str = "0 0 0 1 1 * 2099";
/// Every second.
const EVERY_SECOND: &str = "* * * * * *";

async fn sqlite(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", dir.path().join("fw.db").display());
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    store
}

fn settings(schedule: &str) -> CollectorSettings {
    CollectorSettings {
        schedule: schedule.into(),
        connect_timeout_secs: 10,
        command_timeout_secs: 30,
        retries: 1,
        retry_backoff_ms: 10,
        collect_on_start: false,
        ..Default::default()
    }
}

/// Polls `check` every 50 ms until it holds, for at most `secs`.
async fn wait_until<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_its_own_schedule_is_collected_on_it_and_the_others_on_theirs() {
    let sshd = Sshd::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir).await;
    // Both are the same sshd under two names: one on its own schedule (every second), the
    // other on `collector.schedule`, which does not fire during the test.
    let toml = format!("{}schedule = \"{EVERY_SECOND}\"\n{}", sshd.server_toml("own"), sshd.server_toml("default"));
    let servers = Config::from_toml(&toml, &BTreeMap::new()).unwrap().servers;
    assert_eq!(servers[0].schedule.as_deref(), Some(EVERY_SECOND));
    assert_eq!(servers[1].schedule, None);
    let collector = Arc::new(Collector::new(servers, store.clone(), settings(NEVER)));
    assert_eq!(collector.schedules(), [Some(EVERY_SECOND.to_owned()), None]);
    let schedule = Schedule::start(collector.clone()).await.unwrap();

    // Two samples of `own` at different times: its schedule fires again and again.
    let sample_time =
        |store: Arc<dyn Store>| async move { store.latest_sample("own").await.unwrap().map(|s| s.timestamp) };
    let s1 = store.clone();
    wait_until(30, "a first cycle of the server on its own schedule", || {
        let s = s1.clone();
        async move { sample_time(s).await.is_some() }
    })
    .await;
    let first = sample_time(store.clone()).await;
    wait_until(30, "a second cycle of the server on its own schedule", || {
        let s = s1.clone();
        async move { sample_time(s).await > first }
    })
    .await;
    schedule.stop().await;
    assert!(store.latest_sample("default").await.unwrap().is_none(), "the default schedule never fired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_still_running_when_the_next_is_due_is_skipped_and_counted() {
    // A server that takes 3 s to answer, on a schedule of every second.
    let sshd = Sshd::start_with("ForceCommand sleep 3; exec sh -s").await;
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir).await;
    let servers = Config::from_toml(&sshd.server_toml("slow"), &BTreeMap::new()).unwrap().servers;
    let collector = Arc::new(Collector::new(servers, store.clone(), settings(EVERY_SECOND)));
    let schedule = Schedule::start(collector.clone()).await.unwrap();
    wait_until(30, "two skipped cycles", || {
        let c = collector.clone();
        async move { c.skipped_cycles() >= 2 }
    })
    .await;
    // The cycle in flight still finishes and is stored: skipping never stacks or drops it.
    schedule.stop().await;
    let sample = store.latest_sample("slow").await.unwrap();
    assert!(sample.is_some(), "the running cycle was stored; sshd log:\n{}", sshd.log_text());
    // Never stacked: one connection, and no exec ran while another was running.
    let log = sshd.log_text();
    assert_eq!(log.matches("Accepted publickey").count(), 1, "{log}");
}
