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

use fleetwatch_api::AppState;
use fleetwatch_common::Thresholds;
use fleetwatch_store::Store;
use fleetwatch_testkit::PgTestDb;

#[path = "support/fleet.rs"]
mod fleet;
use fleet::{ALERTS, SERVERS, fill, metas};

const WARMUP: usize = 5;
const RUNS: usize = 60;

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
