//! Storage benchmark (issue #11): bytes on disk per host-cycle and the speed of the store's
//! writes and reads, on SQLite and PostgreSQL, with realistic generated cycles (`fleet.rs`)
//! written through the real `Store` API as the collector writes them (one `record_success` per
//! server, a whole fleet per cycle).
//!
//! ```sh
//! cargo bench -p fleetwatch-store --bench storage -- --servers 100 --cycles 200 --backend both
//! cargo bench -p fleetwatch-store --bench storage -- --servers 100 --days 365 --every 60 --backend both
//! ```
//!
//! With `--days`, a year (or any span) under the default retention instead: see `year.rs`.
//!
//! Sizes: SQLite's file after `PRAGMA wal_checkpoint(TRUNCATE)`, less its free pages (which later
//! writes reuse); PostgreSQL's
//! `pg_total_relation_size` of every table after a `VACUUM FULL` (the free space a `VACUUM`
//! leaves is printed apart), in a fresh database dropped
//! afterwards; on PostgreSQL the hot frames are vacuumed every simulated minute during the run,
//! as autovacuum would. "Marginal" is the growth over the second
//! half of the run divided by the host-cycles written in it: what each further cycle costs once
//! the store is in its steady state. Prints the results and adds a row to docs/benchmarks.md
//! (`--no-record` to skip that).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fleet;
mod year;

use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use fleetwatch_store::{Success, TimeRange, connect};
use sqlx::Connection;

#[derive(Debug, Clone)]
struct Args {
    servers: usize,
    cycles: usize,
    backends: Vec<String>,
    interval: i64,
    record: bool,
    /// One `record_successes` per cycle instead of one `record_success` per server.
    batch: bool,
    /// `--days`: the year mode.
    days: Option<i64>,
    raw_days: i64,
    per_bucket: usize,
    /// `--profile WINDOW`: where the bytes of blocks of WINDOW cycles and of a 5-minute chunk go.
    profile: Option<usize>,
}

fn args() -> Args {
    let mut a = Args {
        servers: 100,
        cycles: 200,
        backends: vec!["sqlite".into()],
        interval: 60,
        record: true,
        batch: false,
        days: None,
        raw_days: 7,
        per_bucket: 2,
        profile: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--servers" => a.servers = value().parse().expect("--servers N"),
            "--cycles" => a.cycles = value().parse().expect("--cycles N"),
            "--interval" | "--every" => {
                a.interval = value().trim_end_matches('s').parse().expect("--every SECONDS (e.g. 60 or 60s)")
            }
            "--days" => a.days = Some(value().parse().expect("--days N")),
            "--raw-days" => a.raw_days = value().parse().expect("--raw-days N"),
            "--per-bucket" => a.per_bucket = value().parse().expect("--per-bucket N"),
            "--backend" => {
                a.backends = match value().as_str() {
                    "both" => vec!["sqlite".into(), "postgres".into()],
                    b @ ("sqlite" | "postgres") => vec![b.into()],
                    other => panic!("--backend sqlite|postgres|both, not {other}"),
                }
            }
            "--profile" => a.profile = Some(value().parse().expect("--profile WINDOW")),
            "--no-record" => a.record = false,
            "--batch" => a.batch = true,
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(a.cycles >= 2 && a.servers >= 1, "at least 2 cycles and 1 server");
    a
}

#[derive(Debug, Default)]
struct Report {
    backend: String,
    half_bytes: u64,
    end_bytes: u64,
    host_cycles: u64,
    marginal: f64,
    write_ms: Vec<f64>,
    /// Packing the windows each cycle closed, which the store does after the write returns
    /// (waited for with `Store::flush` right after it here).
    pack_ms: Vec<f64>,
    latest_ms: f64,
    history_ms: f64,
    series_ms: f64,
    details_ms: f64,
    tables: Vec<(String, i64)>,
    /// Packed frames, and the bytes of their figures and lists blobs.
    blobs: (i64, i64, i64),
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(f64::NAN)
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T00:00:00Z").unwrap().with_timezone(&Utc)
}

enum Db {
    Sqlite { _dir: tempfile::TempDir, path: PathBuf, url: String },
    Postgres { db: fleetwatch_testkit::PgTestDb },
}

impl Db {
    async fn open(backend: &str) -> Self {
        match backend {
            "sqlite" => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("bench.db");
                let url = format!("sqlite://{}", path.display());
                Db::Sqlite { _dir: dir, path, url }
            }
            _ => Db::Postgres { db: fleetwatch_testkit::PgTestDb::create().await },
        }
    }

    fn url(&self) -> &str {
        match self {
            Db::Sqlite { url, .. } => url,
            Db::Postgres { db } => &db.url,
        }
    }

    /// Bytes on disk now, and per table.
    async fn size(&self) -> (u64, Vec<(String, i64)>) {
        match self {
            Db::Sqlite { path, url, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await.unwrap();
                let tables: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT name, CAST(SUM(pgsize) AS INTEGER) FROM dbstat GROUP BY name ORDER BY 2 DESC",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap_or_default();
                // Pages freed by deletes and by sealing are reused by later writes, as in a store
                // that runs for a year; the file keeps them until then. Counted apart.
                let facts: (i64, Option<i64>) = sqlx::query_as("SELECT COUNT(*), SUM(LENGTH(body)) FROM sample_facts")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                eprintln!("sqlite: {} facts rows, {} B of bodies", facts.0, facts.1.unwrap_or(0));
                let free: i64 = sqlx::query_scalar("PRAGMA freelist_count").fetch_one(&mut conn).await.unwrap();
                let page: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(&mut conn).await.unwrap();
                conn.close().await.unwrap();
                let file = file_size(path);
                let free = (free * page) as u64;
                eprintln!("sqlite: file {file} B, of which {free} B in free pages (reused by later writes)");
                (file - free.min(file), tables)
            }
            Db::Postgres { db } => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                let sizes = "SELECT relname::TEXT, pg_total_relation_size(relid)::BIGINT FROM pg_stat_user_tables \
                     ORDER BY 2 DESC";
                sqlx::query("VACUUM").execute(&mut conn).await.unwrap();
                let tables: Vec<(String, i64)> = sqlx::query_as(sizes).fetch_all(&mut conn).await.unwrap();
                let vacuumed: u64 = tables.iter().map(|(_, b)| *b as u64).sum();
                // Space freed by deletes and by sealing stays in the tables after a VACUUM and
                // is reused by later writes, as in a store that runs for a year; counted apart.
                sqlx::query("VACUUM FULL").execute(&mut conn).await.unwrap();
                let tables: Vec<(String, i64)> = sqlx::query_as(sizes).fetch_all(&mut conn).await.unwrap();
                let parts: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
                    "SELECT c.relname::TEXT, pg_relation_size(c.oid), COALESCE(pg_relation_size(c.reltoastrelid), 0), \
                     COALESCE(pg_indexes_size(c.reltoastrelid), 0), pg_indexes_size(c.oid) \
                     FROM pg_class c WHERE c.relname IN ('sample_blocks', 'sample_rollups', 'sample_facts')",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for (t, heap, toast, toast_idx, idx) in parts {
                    eprintln!(
                        "postgres: {t}: heap {heap} B, toast {toast} B, toast index {toast_idx} B, indexes {idx} B"
                    );
                }
                let bodies: Vec<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT COUNT(*), SUM(pg_column_size(figures))::BIGINT, SUM(LENGTH(figures))::BIGINT FROM sample_blocks",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap_or_default();
                eprintln!("postgres: blocks (rows, stored, raw length of figures): {bodies:?}");
                conn.close().await.unwrap();
                let total: u64 = tables.iter().map(|(_, b)| *b as u64).sum();
                eprintln!(
                    "postgres: {vacuumed} B after VACUUM, of which {} B free (reused by later writes)",
                    vacuumed.saturating_sub(total)
                );
                (total, tables)
            }
        }
    }

    /// PostgreSQL: what autovacuum does in a running system (its default naptime is a minute, and
    /// hot frames are deleted at every compaction), which a benchmark writing hours of cycles in
    /// seconds would otherwise never see: `VACUUM sample_frames` once per simulated minute (at
    /// most every cycle, at least every 16).
    async fn vacuum_now_and_then(&self, cycle: usize, interval: i64) {
        let every = (60 / interval.max(1)).clamp(1, 16) as usize;
        if let Db::Postgres { db } = self
            && cycle % every == every - 1
        {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query("VACUUM sample_frames").execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }

    /// Frames in blocks, and the bytes of the blocks' figures and lists.
    async fn blobs(&self) -> (i64, i64, i64) {
        const SQL: &str = "SELECT CAST(COALESCE(SUM(frames), 0) AS BIGINT), \
             CAST(COALESCE(SUM(LENGTH(figures)), 0) AS BIGINT), CAST(COALESCE(SUM(LENGTH(lists)), 0) AS BIGINT) \
             FROM sample_blocks";
        let row = match self {
            Db::Sqlite { url, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::query_as(SQL).fetch_one(&mut conn).await
            }
            Db::Postgres { db } => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query_as(SQL).fetch_one(&mut conn).await
            }
        };
        row.unwrap_or((0, 0, 0))
    }

    async fn close(self) {
        if let Db::Postgres { db } = self {
            db.drop_db().await;
        }
    }
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

async fn time_ms<F, Fut, T>(runs: usize, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut v = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f().await);
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    median(&v)
}

async fn run(backend: &str, a: &Args) -> Report {
    let db = Db::open(backend).await;
    let store = connect(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    let mut hosts = fleet::fleet(42, a.servers);
    let mut report = Report { backend: backend.into(), ..Report::default() };
    let half = a.cycles / 2;
    let started = Instant::now();
    for c in 0..a.cycles {
        if c == half {
            report.half_bytes = db.size().await.0;
        }
        let now = start() + Duration::seconds(a.interval * c as i64);
        let cycles: Vec<fleet::Cycle> = hosts.iter_mut().map(|h| h.cycle(now, a.interval as f64)).collect();
        let t = Instant::now();
        if a.batch {
            let batch: Vec<Success<'_>> = cycles
                .iter()
                .map(|c| Success { sample: &c.sample, users: &c.users, details: Some(&c.details), duration_ms: 800 })
                .collect();
            store.record_successes(&batch).await.unwrap();
        } else {
            for cy in &cycles {
                store.record_success(&cy.sample, &cy.users, Some(&cy.details), 800).await.unwrap();
            }
        }
        report.write_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        store.flush().await.unwrap();
        report.pack_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        db.vacuum_now_and_then(c, a.interval).await;
        if started.elapsed() > StdDuration::from_secs(5) && c % 20 == 0 {
            eprintln!("{backend}: cycle {c}/{}", a.cycles);
        }
    }
    let (end, tables) = db.size().await;
    report.blobs = db.blobs().await;
    report.end_bytes = end;
    report.tables = tables;
    report.host_cycles = (a.servers * a.cycles) as u64;
    let second_half = (a.servers * (a.cycles - half)) as f64;
    report.marginal = (report.end_bytes as f64 - report.half_bytes as f64) / second_half;

    let server = hosts[0].name.clone();
    let end_t = start() + Duration::seconds(a.interval * a.cycles as i64);
    let range = TimeRange { from: start(), to: end_t, max_points: Some(1000) };
    report.latest_ms = time_ms(20, || store.latest_samples()).await;
    report.history_ms = time_ms(10, || store.history(&server, range)).await;
    report.series_ms = time_ms(10, || store.series(&server, "cpu.busy", range)).await;
    let mid = start() + Duration::seconds(a.interval * half as i64 + 1);
    report.details_ms = time_ms(10, || store.details(&server, Some(mid))).await;
    assert_eq!(store.latest_samples().await.unwrap().len(), a.servers);
    drop(store);
    db.close().await;
    report
}

fn print(r: &Report, a: &Args) {
    let how = if a.batch { "one record_successes per cycle" } else { "one record_success per server" };
    println!("== {} ({} servers × {} cycles, every {} s, {how})", r.backend, a.servers, a.cycles, a.interval);
    println!(
        "size: {:.1} MiB at the half, {:.1} MiB at the end",
        r.half_bytes as f64 / 1_048_576.0,
        r.end_bytes as f64 / 1_048_576.0
    );
    println!(
        "bytes per host-cycle: {:.0} marginal (second half), {:.0} overall",
        r.marginal,
        r.end_bytes as f64 / r.host_cycles as f64
    );
    let max = r.write_ms.iter().copied().fold(0.0, f64::max);
    println!("store one {}-server cycle: median {:.1} ms, max {:.1} ms", a.servers, median(&r.write_ms), max);
    let pack_max = r.pack_ms.iter().copied().fold(0.0, f64::max);
    println!(
        "then packing the windows it closed, after it returned: median {:.1} ms, max {:.1} ms",
        median(&r.pack_ms),
        pack_max
    );
    println!(
        "latest of {} servers {:.2} ms; one server's history {:.2} ms, series {:.2} ms, details(at) {:.2} ms",
        a.servers, r.latest_ms, r.history_ms, r.series_ms, r.details_ms
    );
    let (frames, figures, lists) = r.blobs;
    if frames > 0 {
        println!(
            "blocks: {frames} frames, figures {:.0} B and lists {:.0} B per frame",
            figures as f64 / frames as f64,
            lists as f64 / frames as f64
        );
    }
    for (t, b) in r.tables.iter().filter(|(_, b)| *b >= 65_536) {
        println!("  {t:<32} {:>12} bytes  {:>8.1} per host-cycle", b, *b as f64 / r.host_cycles as f64);
    }
}

/// Adds a row under the marker of the storage section in docs/benchmarks.md.
fn record(r: &Report, a: &Args) {
    const MARKER: &str = "<!-- storage-bench rows: newest first, added by the bench -->";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/benchmarks.md");
    let Ok(text) = std::fs::read_to_string(&path) else { return };
    let Some(at) = text.find(MARKER) else {
        eprintln!("no storage marker in {}: not recorded", path.display());
        return;
    };
    // The marker, then the table's header and separator lines.
    let after_marker = at + MARKER.len() + 1;
    let mut insert_at = after_marker;
    for _ in 0..2 {
        insert_at += text[insert_at..].find('\n').map_or(0, |i| i + 1);
    }
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let max = r.write_ms.iter().copied().fold(0.0, f64::max);
    let row = format!(
        "| {} | {} | {} | {} × {} every {} s{} | {:.0} | {:.0} | {:.1} / {:.1} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
        Utc::now().format("%Y-%m-%d"),
        commit,
        r.backend,
        a.servers,
        a.cycles,
        a.interval,
        if a.batch { ", batched" } else { "" },
        r.marginal,
        r.end_bytes as f64 / r.host_cycles as f64,
        median(&r.write_ms),
        max,
        r.latest_ms,
        r.history_ms,
        r.series_ms,
        r.details_ms,
    );
    let mut out = text.clone();
    out.insert_str(insert_at, &row);
    if let Err(e) = std::fs::write(&path, out) {
        eprintln!("cannot write {}: {e}", path.display());
    }
}

fn main() {
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if let Some(window) = a.profile {
        profile(&a, window);
        return;
    }
    if let Some(days) = a.days {
        let y = year::YearArgs {
            servers: a.servers,
            days,
            every: a.interval,
            raw_days: a.raw_days,
            per_bucket: a.per_bucket.max(1),
        };
        for backend in a.backends.clone() {
            let r = rt.block_on(year::run(&backend, &y));
            year::print(&r, &y);
        }
        return;
    }
    for backend in a.backends.clone() {
        let r = rt.block_on(run(&backend, &a));
        print(&r, &a);
        if a.record {
            record(&r, &a);
        }
    }
}

/// `--profile`: `--cycles` cycles of `--servers` hosts packed as the store packs them, bytes by
/// part per host-cycle.
fn profile(a: &Args, window: usize) {
    let mut total: std::collections::BTreeMap<String, usize> = Default::default();
    for mut host in fleet::fleet(42, a.servers) {
        let cycles: Vec<_> = (0..a.cycles)
            .map(|c| {
                let c = host.cycle(start() + Duration::seconds(a.interval * c as i64), a.interval as f64);
                (c.sample, c.users, c.details)
            })
            .collect();
        for (part, bytes) in fleetwatch_store::bench_profile(&cycles, window, 300_000) {
            *total.entry(part).or_default() += bytes;
        }
    }
    let host_cycles = (a.servers * a.cycles) as f64;
    println!("== profile: {} servers × {} cycles, blocks of {window}", a.servers, a.cycles);
    for (part, bytes) in total {
        if part.ends_with("(count)") {
            println!("  {part:<40} {bytes:>10}");
        } else {
            println!("  {part:<40} {bytes:>10} B  {:>8.1} B per host-cycle", bytes as f64 / host_cycles);
        }
    }
}
