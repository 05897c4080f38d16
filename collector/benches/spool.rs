//! A simulated 24-hour database outage at 100 servers every minute through the spool: 1,440
//! cycles of 100 samples (real samples, built from the `debian12` fixture) appended as the
//! collector appends them (one write and one `fsync` per cycle), the spool's size on disk, and the
//! replay into a SQLite store (or the empty database `--database URL` names, e.g. PostgreSQL) by
//! the collector's own replay (`Collector::replay_spool`).
//!
//! ```text
//! cargo bench -p fleetwatch-collector --bench spool -- [--servers 100] [--minutes 1440] [--dir DIR]
//!       [--database URL]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use fleetwatch_collector::Collector;
use fleetwatch_collector::parse::{ParseOptions, parse_output};
use fleetwatch_collector::sample::build;
use fleetwatch_collector::spool::{Spool, SpoolLimits};
use fleetwatch_config::{CollectorSettings, SpoolSettings};
use fleetwatch_store::{Store, Success};

const BASELINE: &str = include_str!("../tests/fixtures/debian12/baseline.txt");
const NEXT: &str = include_str!("../tests/fixtures/debian12/next.txt");

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum()
}

#[tokio::main]
async fn main() {
    let servers: usize = arg("--servers").map_or(100, |s| s.parse().unwrap());
    let minutes: i64 = arg("--minutes").map_or(1440, |s| s.parse().unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let root = arg("--dir").map_or_else(|| tmp.path().to_path_buf(), std::path::PathBuf::from);
    let spool_dir = root.join("spool");
    std::fs::create_dir_all(&root).unwrap();

    let t0 = Utc::now() - chrono::Duration::minutes(minutes + 1);
    let first = build("web", t0, &parse_output(BASELINE, &ParseOptions::default()), None).unwrap();
    let built = build("web", t0, &parse_output(NEXT, &ParseOptions::default()), Some(&first.carried)).unwrap();
    let settings = SpoolSettings::default();
    let limits = SpoolLimits { max_bytes: settings.max_bytes(), max_age: settings.max_age() };
    let mut spool = Spool::open(&spool_dir, limits).unwrap();

    // The cycles, appended as the collector appends them.
    let mut append = Duration::ZERO;
    let mut worst = Duration::ZERO;
    let mut cycle: Vec<fleetwatch_common::Sample> = Vec::with_capacity(servers);
    for m in 0..minutes {
        cycle.clear();
        for s in 0..servers {
            let mut sample = built.sample.clone();
            sample.server_name = format!("web-{s:03}");
            sample.timestamp = t0 + chrono::Duration::minutes(m) + chrono::Duration::milliseconds(s as i64);
            sample.cpu_percent = Some((m as f64 * 7.0 + s as f64) % 100.0);
            cycle.push(sample);
        }
        let batch: Vec<Success<'_>> = cycle
            .iter()
            .map(|s| Success { sample: s, users: &built.users, details: Some(&built.details), duration_ms: 80 })
            .collect();
        let started = Instant::now();
        spool.append(&batch).unwrap();
        let took = started.elapsed();
        append += took;
        worst = worst.max(took);
    }
    let samples = servers as u64 * minutes as u64;
    let stats = spool.stats();
    assert_eq!(stats.depth, samples);
    assert_eq!(stats.dropped, 0);
    let on_disk = dir_bytes(&spool_dir);
    println!("samples spooled: {samples} ({servers} servers x {minutes} one-minute cycles)");
    println!(
        "spool on disk: {:.1} MiB ({:.0} B per sample; default bound {} MiB)",
        on_disk as f64 / 1_048_576.0,
        on_disk as f64 / samples as f64,
        settings.max_size_mb
    );
    println!(
        "append: {:.1} s in all, {:.1} ms per cycle of {servers} (one fsync), worst cycle {:.1} ms, {:.0} us per sample",
        append.as_secs_f64(),
        append.as_secs_f64() * 1000.0 / minutes as f64,
        worst.as_secs_f64() * 1000.0,
        append.as_secs_f64() * 1e6 / samples as f64
    );
    drop(spool);

    // Reopen (as after a restart: every frame checked), then the replay into the database.
    let started = Instant::now();
    let spool = Spool::open(&spool_dir, limits).unwrap();
    println!("reopen (every frame checked): {:.2} s", started.elapsed().as_secs_f64());
    let url = arg("--database").unwrap_or_else(|| format!("sqlite://{}", root.join("fw.db").display()));
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    let collector = Collector::new(Vec::new(), store.clone(), CollectorSettings::default()).with_spool(spool);
    let started = Instant::now();
    let outcome = collector.replay_spool().await;
    let replay = started.elapsed();
    let stored: i64 = store.stats().await.unwrap().tables.iter().find(|t| t.table == "samples").map_or(0, |t| t.rows);
    println!(
        "replay into {}: {:.1} s ({:.0} samples/s), {outcome:?}, {stored} samples stored, spool left: {}",
        url.split(':').next().unwrap_or("?"),
        replay.as_secs_f64(),
        samples as f64 / replay.as_secs_f64(),
        collector.spool_stats().depth
    );
    assert_eq!(stored as u64, samples);
    println!("spool on disk after the replay: {} B", dir_bytes(&spool_dir));
}
