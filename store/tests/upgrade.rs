//! A database written by the schema before migration 0007 (one row per sample, details as JSON,
//! series in long form) upgrades without losing a figure: `Store::migrate` converts the old
//! rows to the compact format and deletes them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/approx.rs"]
mod approx;
#[path = "../benches/storage/fleet.rs"]
mod fleet;

use approx::{close, json};

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use fleetwatch_store::{Ranking, Store, TimeRange, connect};
use fleetwatch_testkit::PgTestDb;
use sqlx::migrate::{Migrate, Migrator};
use sqlx::pool::PoolOptions;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Postgres, Row, Sqlite, Type};

/// What the old rows' SQL needs of a database (both drivers have it).
trait Db: Database {}
impl Db for Sqlite {}
impl Db for Postgres {}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-02-01T00:00:00.125Z").unwrap().with_timezone(&Utc)
}

/// The migrations of `backend` before 0007, applied to `url`.
async fn old_schema<DB: Db>(backend: &str, url: &str) -> Pool<DB>
where
    DB::Connection: Migrate,
{
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(backend);
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < "0007" {
            std::fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    let pool = PoolOptions::<DB>::new().max_connections(1).connect(url).await.unwrap();
    Migrator::new(dir.path()).await.unwrap().run(&pool).await.unwrap();
    pool
}

/// Writes a cycle the way the store did before 0007, with plain SQL.
async fn write_old<DB: Db>(pool: &Pool<DB>, c: &fleet::Cycle)
where
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> &'a String: Encode<'a, DB> + Type<DB>,
    for<'a> Option<String>: Encode<'a, DB> + Type<DB>,
{
    let s = &c.sample;
    let ts = s.timestamp.timestamp_millis();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO samples (server_name, ts_ms, cpu_percent, cpu_load_1min, cpu_load_5min, cpu_load_15min, \
         ram_percentage, swap_percentage, disk_percentage, logged_users, tcp_connections, uptime_seconds, \
         cpu_cores, ram_total_bytes, ram_used_bytes, disk_total_bytes, disk_used_bytes, disk_mount, hostname) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
    )
    .bind(&s.server_name)
    .bind(ts)
    .bind(s.cpu_percent)
    .bind(s.cpu_load_1min)
    .bind(s.cpu_load_5min)
    .bind(s.cpu_load_15min)
    .bind(s.ram_percentage)
    .bind(s.swap_percentage)
    .bind(s.disk_percentage)
    .bind(s.logged_users)
    .bind(s.tcp_connections)
    .bind(s.uptime_seconds)
    .bind(s.cpu_cores)
    .bind(s.ram_total_bytes)
    .bind(s.ram_used_bytes)
    .bind(s.disk_total_bytes)
    .bind(s.disk_used_bytes)
    .bind(s.disk_mount.clone())
    .bind(s.hostname.clone())
    .fetch_one(pool)
    .await
    .unwrap();
    for u in &c.users {
        sqlx::query(
            "INSERT INTO sample_users (sample_id, server_name, ts_ms, username, cpu, mem, rss_bytes, \
             process_count, top_process, disk_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(&s.server_name)
        .bind(ts)
        .bind(&u.username)
        .bind(u.cpu)
        .bind(u.mem)
        .bind(u.rss_bytes)
        .bind(u.process_count)
        .bind(&u.top_process)
        .bind(u.disk_bytes)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query("INSERT INTO sample_details (sample_id, server_name, ts_ms, details_json) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(&s.server_name)
        .bind(ts)
        .bind(serde_json::to_string(&c.details).unwrap())
        .execute(pool)
        .await
        .unwrap();
    for (name, value) in c.details.series().into_iter().take(5) {
        sqlx::query(
            "INSERT INTO sample_series (sample_id, server_name, ts_ms, name, value) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(&s.server_name)
        .bind(ts)
        .bind(name)
        .bind(value)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO server_state (server_name, ok, last_attempt_ms, last_success_ms, reason, detail, \
         duration_ms, last_sample_id) VALUES ($1, TRUE, $2, $2, NULL, NULL, 5, $3) \
         ON CONFLICT (server_name) DO UPDATE SET last_attempt_ms = excluded.last_attempt_ms, \
         last_success_ms = excluded.last_success_ms, last_sample_id = excluded.last_sample_id",
    )
    .bind(&s.server_name)
    .bind(ts)
    .bind(id)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn an_old_sqlite_database_upgrades_without_losing_figures() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let pool = old_schema::<Sqlite>("sqlite", &url).await;
    let written = write_fleet(&pool).await;
    pool.close().await;
    upgrade(&url, written).await;
}

#[tokio::test]
async fn an_old_postgres_database_upgrades_without_losing_figures() {
    let db = PgTestDb::create().await;
    let url = db.url.clone();
    let outcome = tokio::spawn(async move {
        let pool = old_schema::<Postgres>("postgres", &url).await;
        let written = write_fleet(&pool).await;
        pool.close().await;
        upgrade(&url, written).await;
    })
    .await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

type Written = (Vec<fleet::Host>, Vec<Vec<fleet::Cycle>>);

/// Two servers, 70 cycles each (more than a window), written the old way.
async fn write_fleet<DB: Db>(pool: &Pool<DB>) -> Written
where
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> &'a String: Encode<'a, DB> + Type<DB>,
    for<'a> Option<String>: Encode<'a, DB> + Type<DB>,
{
    let mut hosts = fleet::fleet(11, 2);
    let mut written: Vec<Vec<fleet::Cycle>> = vec![Vec::new(); 2];
    for c in 0..70 {
        let now = start() + Duration::seconds(60 * c);
        for (h, host) in hosts.iter_mut().enumerate() {
            let cy = host.cycle(now, 60.0);
            write_old(pool, &cy).await;
            written[h].push(cy);
        }
    }
    (hosts, written)
}

async fn upgrade(url: &str, (hosts, written): Written) {
    let store = connect(url).await.unwrap();
    store.migrate().await.unwrap();
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.tables[1].rows, written.iter().flatten().map(|c| c.users.len() as i64).sum::<i64>());
    for table in ["samples", "sample_users", "sample_details", "sample_series"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = if url.starts_with("sqlite") {
            let p = PoolOptions::<Sqlite>::new().connect(url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(&p).await.unwrap().get(0)
        } else {
            let p = PoolOptions::<Postgres>::new().connect(url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(&p).await.unwrap().get(0)
        };
        assert_eq!(n, 0, "{table} converted and emptied");
    }
    verify(store.as_ref(), &hosts, &written).await;
    store.migrate().await.expect("migrating again is a no-op");
    verify(store.as_ref(), &hosts, &written).await;
}

async fn verify(store: &dyn Store, hosts: &[fleet::Host], written: &[Vec<fleet::Cycle>]) {
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.tables[0].rows, 140);
    assert_eq!(stats.tables[0].oldest, Some(start()));
    let latest: Vec<_> = written.iter().map(|w| w.last().unwrap().sample.clone()).collect();
    assert_eq!(store.latest_samples().await.unwrap(), latest, "exact: the latest stays a hot frame");
    for (host, mine) in hosts.iter().zip(written) {
        let name = host.name.as_str();
        let last = mine.last().unwrap();
        // The old rows held JSON, whose floats read back within a unit in the last place.
        let latest = store.details(name, None).await.unwrap().expect("latest details");
        close(name, &json(&last.details), &json(&latest));
        let procs = store.latest_processes(Some(name), Ranking::Memory).await.unwrap();
        let procs: Vec<_> = procs.into_iter().map(|p| p.process).collect();
        close("processes", &json(&last.details.processes_by_memory), &json(&procs));
        let mut users: Vec<String> =
            store.top_users(Some(name), 100).await.unwrap().into_iter().map(|u| u.username).collect();
        let mut want: Vec<String> = last.users.iter().map(|u| u.username.clone()).collect();
        users.sort();
        want.sort();
        assert_eq!(users, want);
        let range = TimeRange { from: start(), to: start() + Duration::days(1), max_points: None };
        let history = store.history(name, range).await.unwrap();
        assert_eq!(history.len(), mine.len());
        for (p, c) in history.iter().zip(mine) {
            assert_eq!(p.timestamp, c.sample.timestamp);
            assert_eq!(p.logged_users, c.sample.logged_users.map(|v| v as f64));
            let (a, b) = (c.sample.cpu_percent.unwrap(), p.cpu_percent.unwrap());
            assert!((a - b).abs() <= 5e-7 * a.abs(), "{a} vs {b}");
        }
        for c in [&mine[0], &mine[40]] {
            let got = store.details(name, Some(c.sample.timestamp)).await.unwrap().expect("details");
            close(name, &json(&c.details), &json(&got));
        }
    }
}
