#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::DateTime;
use fleetwatch_config::CollectorSettings;
use fleetwatch_store::UserUsage;

use super::*;
use crate::spool::SpoolLimits;

const LIMITS: SpoolLimits = SpoolLimits { max_bytes: 64 << 20, max_age: Duration::from_secs(86_400) };

fn report_at(name: &str, users: &[&str], at: DateTime<Utc>) -> ServerReport {
    let sample = fleetwatch_common::Sample {
        server_name: name.into(),
        cpu_percent: Some(1.0),
        timestamp: at,
        ..Default::default()
    };
    let users = users.iter().map(|u| UserUsage { username: (*u).into(), ..Default::default() }).collect();
    let collected = Collected { sample, users, details: None, warnings: Vec::new(), host_key: None, first_use: false };
    ServerReport { name: name.into(), result: Ok(collected), duration: Duration::from_millis(5), attempts: 1 }
}

fn report(name: &str, users: &[&str]) -> ServerReport {
    report_at(name, users, Utc::now())
}

async fn sqlite(dir: &std::path::Path) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", dir.join("f.db").display());
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    store
}

/// How many samples the store holds.
async fn stored(store: &dyn Store) -> u64 {
    let stats = store.stats().await.unwrap();
    stats.tables.iter().find(|t| t.table == "samples").map_or(0, |t| t.rows as u64)
}

/// A sample the database refuses (the same user twice) fails its batch's transaction; the
/// others are stored one by one, and nothing is kept for later since the database answers.
#[tokio::test]
async fn one_refused_sample_never_loses_the_others_of_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(dir.path()).await;
    let spool = Spool::open(&dir.path().join("spool"), LIMITS).unwrap();
    let collector = Collector::new(Vec::new(), store.clone(), CollectorSettings::default()).with_spool(spool);
    let reports = [report("a", &["root"]), report("bad", &["root", "root"]), report("c", &["alice", "bob"])];
    collector.store_batch(&reports.iter().collect::<Vec<_>>()).await;
    let mut stored: Vec<String> = store.latest_samples().await.unwrap().into_iter().map(|s| s.server_name).collect();
    stored.sort();
    assert_eq!(stored, ["a", "c"]);
    assert_eq!(collector.pending_samples(), 0);
}

/// A crash after a replayed batch was stored and before it left the spool: the next replay
/// finds those samples at or before their server's latest stored one and stores only the rest.
#[tokio::test]
async fn a_crash_between_storing_and_leaving_the_spool_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(dir.path()).await;
    let t0 = Utc::now() - chrono::Duration::minutes(10);
    let reports: Vec<ServerReport> = (0..6)
        .map(|i| report_at(if i % 2 == 0 { "a" } else { "b" }, &["root"], t0 + chrono::Duration::minutes(i)))
        .collect();
    let successes: Vec<Success<'_>> = reports
        .iter()
        .map(|r| {
            let c = r.result.as_ref().unwrap();
            Success { sample: &c.sample, users: &c.users, details: None, duration_ms: 5 }
        })
        .collect();
    let mut spool = Spool::open(&dir.path().join("spool"), LIMITS).unwrap();
    spool.append(&successes).unwrap();
    drop(spool);
    // The first three were stored before the "crash".
    store.record_successes(&successes[..3]).await.unwrap();
    assert_eq!(stored(store.as_ref()).await, 3);

    let spool = Spool::open(&dir.path().join("spool"), LIMITS).unwrap();
    let collector = Collector::new(Vec::new(), store.clone(), CollectorSettings::default()).with_spool(spool);
    assert_eq!(collector.pending_samples(), 6);
    assert_eq!(collector.replay_spool().await, Replay::Drained);
    assert_eq!(stored(store.as_ref()).await, 6, "each sample stored exactly once");
    assert_eq!(collector.pending_samples(), 0);
    let latest = store.latest_sample("b").await.unwrap().unwrap();
    assert_eq!(latest.timestamp.timestamp_millis(), (t0 + chrono::Duration::minutes(5)).timestamp_millis());
}

/// Until the database is ready, samples go to the spool; once it is, newer samples still queue
/// behind the spooled ones, and the replay stores them all, oldest first.
#[tokio::test]
async fn new_samples_queue_behind_the_spooled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(dir.path()).await;
    let ready = Arc::new(AtomicBool::new(false));
    let spool = Spool::open(&dir.path().join("spool"), LIMITS).unwrap();
    let collector = Collector::new(Vec::new(), store.clone(), CollectorSettings::default())
        .with_spool(spool)
        .with_readiness(ready.clone());
    let t0 = Utc::now() - chrono::Duration::minutes(5);
    let first = [report_at("a", &[], t0), report_at("b", &[], t0)];
    collector.store_batch(&first.iter().collect::<Vec<_>>()).await;
    assert_eq!((collector.pending_samples(), stored(store.as_ref()).await), (2, 0));
    assert_eq!(collector.replay_spool().await, Replay::Unreachable);

    ready.store(true, Ordering::Release);
    let second = [report_at("a", &[], t0 + chrono::Duration::minutes(1))];
    collector.store_batch(&second.iter().collect::<Vec<_>>()).await;
    assert_eq!((collector.pending_samples(), stored(store.as_ref()).await), (3, 0));
    assert_eq!(collector.replay_spool().await, Replay::Drained);
    assert_eq!((collector.pending_samples(), stored(store.as_ref()).await), (0, 3));
    let a = store.latest_sample("a").await.unwrap().unwrap();
    assert_eq!(a.timestamp.timestamp_millis(), (t0 + chrono::Duration::minutes(1)).timestamp_millis());

    // With the spool empty, a sample goes straight to the database.
    let third = [report("a", &[])];
    collector.store_batch(&third.iter().collect::<Vec<_>>()).await;
    assert_eq!((collector.pending_samples(), stored(store.as_ref()).await), (0, 4));
}

/// A write that finds the database gone spools its batch and marks the database unreachable:
/// later batches go to the spool without waiting on it, and the replay's probe (bounded by
/// `PROBE_TIMEOUT`) finds it still gone.
#[tokio::test]
async fn a_database_found_gone_is_not_waited_on_again() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on loopback port 1: connections refused.
    let store: Arc<dyn Store> =
        Arc::from(fleetwatch_store::connect_lazy("postgres://fleetwatch@127.0.0.1:1/none").unwrap().unwrap());
    let spool = Spool::open(&dir.path().join("spool"), LIMITS).unwrap();
    let collector = Collector::new(Vec::new(), store, CollectorSettings::default()).with_spool(spool);
    assert!(collector.database_ready());
    let first = [report("a", &[]), report("b", &[])];
    collector.store_batch(&first.iter().collect::<Vec<_>>()).await;
    assert!(!collector.database_ready(), "the failed write marks the database unreachable");
    assert_eq!(collector.pending_samples(), 2);
    let second = [report("a", &[])];
    collector.store_batch(&second.iter().collect::<Vec<_>>()).await;
    assert_eq!(collector.pending_samples(), 3);
    assert_eq!(collector.replay_spool().await, Replay::Unreachable);
    assert!(!collector.database_ready());
}
