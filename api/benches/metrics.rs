//! How long `GET /metrics` takes for 1,000 servers (issue #12 budget: ≤ 50 ms), on SQLite and
//! on PostgreSQL: each store holds 1,000 servers (three samples each, 50 of them failing now),
//! 400 open alerts, three channels and two collector processes' figures. The API runs on a real
//! listener and is asked over HTTP, as Prometheus asks it.
//!
//! `cargo bench -p fleetwatch-api --bench metrics` (release build; PostgreSQL at 127.0.0.1:5432,
//! as for the tests). Prints one line per backend; on a shared machine the minimum is the cost of
//! the work, the median and p90 add waiting for a core.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Duration as Age, Utc};
use fleetwatch_alerts::{Alert, AlertBook, AlertState, Severity};
use fleetwatch_api::{AppState, ServerMeta};
use fleetwatch_common::{OfflineReason, Sample, Thresholds, Transport};
use fleetwatch_store::{ChannelResult, CollectorStats, Evaluation, NewNotification, Store};
use fleetwatch_testkit::PgTestDb;

const SERVERS: usize = 1_000;
const SAMPLES_EACH: i64 = 3;
const ALERTS: usize = 400;
const WARMUP: usize = 5;
const RUNS: usize = 60;

fn name(i: usize) -> String {
    format!("web-{i:04}")
}

fn sample(i: usize, age: Age) -> Sample {
    let f = i as f64;
    Sample {
        server_name: name(i),
        cpu_percent: Some(f % 97.0),
        cpu_load_1min: Some(f % 7.0),
        cpu_load_5min: Some(f % 5.0),
        cpu_load_15min: Some(f % 3.0),
        ram_percentage: Some(f % 89.0),
        swap_percentage: Some(f % 11.0),
        disk_percentage: Some(f % 93.0),
        logged_users: Some((i % 5) as i64),
        tcp_connections: Some((i % 400) as i64),
        uptime_seconds: Some(86_400 + i as i64),
        timestamp: Utc::now() - age,
        cpu_cores: Some(8),
        ram_total_bytes: Some(16 << 30),
        ram_used_bytes: Some(8 << 30),
        disk_total_bytes: Some(500 << 30),
        disk_used_bytes: Some(300 << 30),
        disk_mount: Some("/".into()),
        hostname: Some(name(i)),
    }
}

fn alert(i: usize) -> (String, Alert) {
    let at = Utc::now() - Age::minutes(30);
    let firing = !i.is_multiple_of(4);
    let rule = ["disk-full", "cpu-high", "ram-high", "server-offline"][i % 4];
    let alert = Alert {
        rule: rule.into(),
        instance: if rule == "disk-full" { "/var".into() } else { String::new() },
        state: if firing { AlertState::Firing } else { AlertState::Pending },
        severity: if i.is_multiple_of(3) { Severity::Critical } else { Severity::Warning },
        since: at,
        firing_since: firing.then_some(at),
        fired_value: Some(91.0),
        value: Some(92.5),
        detail: None,
        acknowledged: None,
        notified: firing,
        last_notified: firing.then_some(at),
    };
    (name(i * SERVERS / ALERTS), alert)
}

async fn fill(store: &dyn Store) {
    store.migrate().await.unwrap();
    for i in 0..SERVERS {
        for k in (0..SAMPLES_EACH).rev() {
            store.record_success(&sample(i, Age::minutes(15 * k)), &[], None, 120).await.unwrap();
        }
        if i.is_multiple_of(20) {
            store
                .record_failure(&name(i), Utc::now(), OfflineReason::Timeout, "no answer in 10 s", 10_000)
                .await
                .unwrap();
        }
    }
    let servers: Vec<String> = (0..SERVERS).map(name).collect();
    let book = AlertBook::from_alerts((0..ALERTS).map(alert));
    let notes = [NewNotification { channel: "ops".into(), payload: "{}".into() }];
    let e = Evaluation { servers: &servers, book: &book, transitions: &[], notifications: &notes, member: None };
    store.save_evaluation(e, Utc::now()).await.unwrap();
    for (channel, ok) in [("ops", true), ("chat", false), ("mail", true)] {
        let r = ChannelResult { channel: channel.into(), ok, at: Utc::now(), error: (!ok).then(|| "HTTP 500".into()) };
        store.record_channel_result(&r).await.unwrap();
    }
    for member in ["box-1-100", "box-2-200"] {
        let stats = CollectorStats {
            member: member.into(),
            at: Utc::now(),
            last_cycle_ms: 3_200,
            servers_ok: 475,
            servers_failed: 25,
            cycles: 40,
            cycle_secs_sum: 130.0,
            buckets: vec![(0.5, 0), (1.0, 0), (2.5, 10), (5.0, 40)],
        };
        store.record_collector_stats(&stats, Utc::now() - Age::days(1)).await.unwrap();
    }
}

fn metas() -> Vec<ServerMeta> {
    (0..SERVERS)
        .map(|i| ServerMeta {
            name: name(i),
            transport: Transport::Ssh,
            host: Some(format!("10.0.{}.{}", i / 250, i % 250)),
            port: Some(22),
            tags: vec![if i.is_multiple_of(2) { "prod" } else { "staging" }.into(), format!("rack-{}", i % 10)],
        })
        .collect()
}

/// Serves the API on a free port and asks `/metrics` `WARMUP + RUNS` times.
async fn measure(label: &str, store: Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(store, metas(), Thresholds::default(), Duration::from_secs(2_400), 30);
    let app = fleetwatch_api::router(state, dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { fleetwatch_api::serve(listener, app, std::future::pending()).await });
    let client = reqwest::Client::new();
    let mut times = Vec::with_capacity(RUNS);
    let mut size = 0;
    for run in 0..WARMUP + RUNS {
        let start = Instant::now();
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let body = r.bytes().await.unwrap();
        let took = start.elapsed();
        size = body.len();
        if run >= WARMUP {
            times.push(took);
        }
    }
    server.abort();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "metrics {label}: {SERVERS} servers, {ALERTS} alerts, {} KB; min {:.1} ms, median {:.1} ms, p90 {:.1} ms, max {:.1} ms ({RUNS} requests)",
        size / 1024,
        ms(times[0]),
        ms(times[RUNS / 2]),
        ms(times[RUNS * 9 / 10]),
        ms(times[RUNS - 1]),
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let sqlite: Arc<dyn Store> = Arc::from(
            fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("bench.db").display())).await.unwrap(),
        );
        fill(sqlite.as_ref()).await;
        measure("sqlite", sqlite).await;

        let db = PgTestDb::create().await;
        let pg: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&db.url).await.unwrap());
        fill(pg.as_ref()).await;
        measure("postgres", pg.clone()).await;
        drop(pg);
        db.drop_db().await;
    });
}
