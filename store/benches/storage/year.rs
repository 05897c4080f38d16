//! A year of history (issue #11): `--days D --every S` builds what `D` days of a fleet
//! collected every `S` seconds leave in the store under the default retention, then measures
//! its size and the charts' read times.
//!
//! How it is built (writing a real year of raw samples through the store would take days on
//! 2 cores, and retention would delete all but the last week of them anyway):
//! 1. the tiers older than the raw week are generated at their real density, straight into
//!    their chunks (`SqlStore::bench_write_tier`): 5-minute buckets for the 90 days before
//!    the week (or the whole span if shorter), hourly and daily buckets for the whole span
//!    before the week; each bucket summarises `--per-bucket` generated cycles of the host
//!    (same generator as the raw samples), so its average, minimum, maximum and last differ as
//!    real ones do;
//! 2. the last `--raw-days` (default 7) are written as raw samples through the store, a whole
//!    fleet per `record_successes`, as the collector writes them;
//! 3. `Store::maintain` with the default retention rolls the raw week up into the tiers (the
//!    5-minute tier only up to an hour before the raw samples expire: until then they are its
//!    data) and deletes what is past its age, as the collector's maintenance task does.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use fleetwatch_store::{PostgresStore, Retention, SqliteStore, Store, Success, TimeRange};

use crate::{Db, fleet, median, time_ms};

#[derive(Debug, Clone)]
pub struct YearArgs {
    pub servers: usize,
    pub days: i64,
    pub every: i64,
    pub raw_days: i64,
    pub per_bucket: usize,
}

pub enum Concrete {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Concrete {
    async fn open(url: &str) -> Self {
        if url.starts_with("sqlite") {
            Concrete::Sqlite(SqliteStore::connect(url).await.unwrap())
        } else {
            Concrete::Postgres(PostgresStore::connect(url).await.unwrap())
        }
    }

    fn store(&self) -> &dyn Store {
        match self {
            Concrete::Sqlite(s) => s,
            Concrete::Postgres(s) => s,
        }
    }

    async fn write_tier(&self, tier: i64, samples: &[(fleetwatch_common::Sample, fleetwatch_common::Details)]) {
        match self {
            Concrete::Sqlite(s) => s.bench_write_tier(tier, samples).await.unwrap(),
            Concrete::Postgres(s) => s.bench_write_tier(tier, samples).await.unwrap(),
        };
    }
}

#[derive(Debug, Default)]
pub struct YearReport {
    pub backend: String,
    pub bytes: u64,
    /// The same database just migrated, before any sample: paid once, whatever the fleet.
    pub empty_bytes: u64,
    pub tables: Vec<(String, i64)>,
    pub tiers: Vec<(String, i64, i64)>,
    pub build_secs: f64,
    pub raw_write_ms: Vec<f64>,
    pub chart_7d_ms: f64,
    pub chart_30d_ms: f64,
    pub chart_365d_ms: f64,
    pub history_365d_ms: f64,
    pub latest_1000_ms: f64,
    /// A 1,000-server cycle stored in one call: the first (new servers), then the next ones.
    pub fleet_cycle_ms: Vec<f64>,
    pub maintain_ms: f64,
    pub steady_ms: Vec<f64>,
}

const DAY_MS: i64 = 86_400_000;

fn end_of(a: &YearArgs) -> DateTime<Utc> {
    crate::start() + Duration::days(a.days)
}

pub async fn run(backend: &str, a: &YearArgs) -> YearReport {
    let db = Db::open(backend).await;
    let store = Concrete::open(db.url()).await;
    store.store().migrate().await.unwrap();
    let mut report = YearReport { backend: backend.into(), ..YearReport::default() };
    report.empty_bytes = db.size().await.0;
    let started = Instant::now();
    let end = end_of(a);
    let begin = crate::start();
    let raw_from = end - Duration::days(a.raw_days.min(a.days));
    // 1. Tiers before the raw week, at their density.
    for (tier_ms, keep_days) in [(300_000i64, 90i64), (3_600_000, 730), (86_400_000, i64::MAX / DAY_MS)] {
        let from = (end - Duration::days(keep_days.min(a.days))).max(begin);
        let buckets = (raw_from - from).num_milliseconds().max(0) / tier_ms;
        let mut hosts = fleet::fleet(42, a.servers);
        for host in &mut hosts {
            let mut batch = Vec::new();
            for b in 0..buckets {
                let t0 = from + Duration::milliseconds(b * tier_ms);
                for k in 0..a.per_bucket {
                    let at = t0 + Duration::milliseconds(tier_ms * k as i64 / a.per_bucket as i64);
                    let c = host.cycle(at, a.every as f64);
                    batch.push((c.sample, c.details));
                }
                if batch.len() >= 288 * a.per_bucket {
                    store.write_tier(tier_ms, &batch).await;
                    batch.clear();
                }
            }
            store.write_tier(tier_ms, &batch).await;
        }
        eprintln!("{backend}: tier {tier_ms} ms written ({:.0} s)", started.elapsed().as_secs_f64());
    }
    // 2. The raw week through the store.
    let mut hosts = fleet::fleet(42, a.servers);
    let cycles = (end - raw_from).num_seconds() / a.every;
    for c in 0..cycles {
        let now = raw_from + Duration::seconds(a.every * c);
        report.raw_write_ms.push(store_cycle(store.store(), &mut hosts, now, a.every).await);
        db.vacuum_now_and_then(c as usize, a.every).await;
        if c % 1440 == 0 {
            eprintln!("{backend}: raw cycle {c}/{cycles} ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    // 3. The maintenance pass, as the collector runs it.
    let t = Instant::now();
    let m = store.store().maintain(&Retention::default(), end).await.unwrap();
    report.maintain_ms = t.elapsed().as_secs_f64() * 1000.0;
    eprintln!("{backend}: maintenance {m:?} in {:.0} ms", report.maintain_ms);
    // Sealing merges a bounded number of spans per pass: later passes (every few minutes in
    // the collector) seal the rest of the generated year.
    let mut sealed = m.sealed;
    while sealed > 0 {
        let t = Instant::now();
        let m = store.store().maintain(&Retention::default(), end).await.unwrap();
        sealed = m.sealed;
        eprintln!("{backend}: maintenance {m:?} in {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
    }
    report.build_secs = started.elapsed().as_secs_f64();
    let (bytes, tables) = db.size().await;
    report.bytes = bytes;
    report.tables = tables;
    let stats = store.store().stats().await.unwrap();
    report.tiers = stats.tiers.iter().map(|t| (t.tier.clone(), t.points, t.bytes)).collect();
    // An hour of passes, as the collector runs them every 5 minutes: each trims every server's
    // oldest raw block and 5-minute chunk by 5 minutes (the first pass cuts sealed ones back
    // into windows and days).
    for k in 1..=12 {
        let t = Instant::now();
        let m = store.store().maintain(&Retention::default(), end + Duration::minutes(5 * k)).await.unwrap();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        report.steady_ms.push(ms);
        eprintln!("{backend}: steady maintenance {m:?} in {ms:.0} ms");
    }

    // Reads on the year.
    let server = fleet::fleet(42, 1)[0].name.clone();
    let chart = |days: i64| TimeRange { from: end - Duration::days(days), to: end, max_points: Some(1000) };
    let (month, year) = (chart(30), chart(a.days));
    let s = store.store();
    report.chart_7d_ms = time_ms(10, || s.series(&server, "cpu.busy", chart(7))).await;
    report.chart_30d_ms = time_ms(10, || s.series(&server, "cpu.busy", month)).await;
    report.chart_365d_ms = time_ms(10, || s.series(&server, "cpu.busy", year)).await;
    report.history_365d_ms = time_ms(10, || s.history(&server, year)).await;
    let points = s.series(&server, "cpu.busy", year).await.unwrap();
    assert!(!points.is_empty() && points.len() <= 1000, "{} points", points.len());
    // A cycle of a fleet of 1,000 stored in one call, as the collector stores it: 16 cycles, the
    // first making the servers and their facts; then the fleet's latest.
    let mut big = fleet::fleet(42, 1000);
    for k in 0..16 {
        let at = end + Duration::seconds(a.every * k);
        report.fleet_cycle_ms.push(store_cycle(s, &mut big, at, a.every).await);
    }
    report.latest_1000_ms = time_ms(20, || s.latest_samples()).await;
    assert!(s.latest_samples().await.unwrap().len() >= 1000);
    drop(store);
    db.close().await;
    report
}

/// Generates one cycle of `hosts` at `at` and stores it in one `record_successes`, as the
/// collector does; returns how long storing took, in ms.
async fn store_cycle(store: &dyn Store, hosts: &mut [fleet::Host], at: DateTime<Utc>, every: i64) -> f64 {
    let generated: Vec<fleet::Cycle> = hosts.iter_mut().map(|h| h.cycle(at, every as f64)).collect();
    let batch: Vec<Success<'_>> = generated
        .iter()
        .map(|c| Success { sample: &c.sample, users: &c.users, details: Some(&c.details), duration_ms: 800 })
        .collect();
    let t = Instant::now();
    store.record_successes(&batch).await.unwrap();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    // The packing it left running, before the next cycle (not timed: see main.rs's pack_ms).
    store.flush().await.unwrap();
    ms
}

pub fn print(r: &YearReport, a: &YearArgs) {
    let mib = |b: f64| b / 1_048_576.0;
    println!(
        "== {} year: {} servers × {} days every {} s (raw {} days through the store, older tiers generated, {} cycles per bucket)",
        r.backend, a.servers, a.days, a.every, a.raw_days, a.per_bucket
    );
    println!(
        "size after default retention: {:.1} MiB ({:.2} GB) — built in {:.0} s",
        mib(r.bytes as f64),
        r.bytes as f64 / 1e9,
        r.build_secs
    );
    // Each server's samples are rows of its own; the schema (tables, indexes, the pages of the
    // small tables) is paid once, so 100 servers are the empty database plus 100 servers' rows.
    let per_server = r.bytes.saturating_sub(r.empty_bytes) as f64 / a.servers.max(1) as f64;
    let hundred = r.empty_bytes as f64 + 100.0 * per_server;
    println!(
        "of which the empty database {:.2} MiB; per server {:.2} MiB; 100 servers: {:.3} GB ({:.3} GiB)",
        mib(r.empty_bytes as f64),
        mib(per_server),
        hundred / 1e9,
        hundred / (1u64 << 30) as f64
    );
    for (tier, points, bytes) in &r.tiers {
        println!("  {tier:<4} {points:>10} points {:>10.1} MiB of bodies", mib(*bytes as f64));
    }
    for (t, b) in r.tables.iter().filter(|(_, b)| *b >= 1 << 16) {
        println!("  table {t:<28} {:>10.1} MiB", mib(*b as f64));
    }
    let max = r.raw_write_ms.iter().copied().fold(0.0, f64::max);
    println!(
        "raw {}-server cycle: median {:.1} ms, max {:.1} ms; maintenance pass {:.0} ms",
        a.servers,
        median(&r.raw_write_ms),
        max,
        r.maintain_ms
    );
    println!(
        "maintenance passes every 5 minutes for an hour after (each trimming raw and 5-minute data): median {:.1} ms, \
         max {:.1} ms",
        median(&r.steady_ms),
        r.steady_ms.iter().copied().fold(0.0, f64::max)
    );
    let next: Vec<f64> = r.fleet_cycle_ms.iter().skip(1).copied().collect();
    let shown: Vec<String> = next.iter().map(|ms| format!("{ms:.0}")).collect();
    println!(
        "a 1,000-server cycle stored in one call: {:.0} ms the first (new servers), then median {:.0} ms, max {:.0} ms ({} ms)",
        r.fleet_cycle_ms.first().copied().unwrap_or(0.0),
        median(&next),
        next.iter().copied().fold(0.0, f64::max),
        shown.join(", ")
    );
    println!(
        "one server's chart: 7 days {:.1} ms (5-minute points from raw samples), 30 days {:.1} ms, {} days {:.1} ms \
         (history {:.1} ms); latest of 1,000 servers {:.1} ms",
        r.chart_7d_ms, r.chart_30d_ms, a.days, r.chart_365d_ms, r.history_365d_ms, r.latest_1000_ms
    );
}
