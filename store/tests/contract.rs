//! The contract of [`Store`]: one backend-agnostic story that drives every method and checks
//! the values that come back, run against a fresh SQLite file, an in-memory SQLite database and
//! a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use fleetwatch_common::{
    ContainerInfo, CpuBreakdown, CpuStats, Details, DiskUsage, HistoryPoint, MemoryStats, NetInterface, OfflineReason,
    ProcessInfo, Sample, Session, SystemInfo, TcpStats, TopUser,
};
use fleetwatch_store::{
    DbStats, Error, HostKeyRecord, Ranking, ServerState, Store, Success, TableStats, TimeRange, UserUsage, connect,
};
use sqlx::Connection;

use fleetwatch_testkit::PgTestDb;

#[path = "contract/alerts.rs"]
mod alerts;
#[path = "contract/auth.rs"]
mod auth;
#[path = "contract/tiers.rs"]
mod tiers;
#[path = "contract/user_days.rs"]
mod user_days;

// ---------------------------------------------------------------------------------------------
// Runners

#[tokio::test]
async fn sqlite_file_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    // The parent directories do not exist yet: connect must create them.
    let path = dir.path().join("nested/deeper/fleetwatch.db");
    let url = format!("sqlite://{}", path.display());

    let store = connect(&url).await.expect("open SQLite file");
    story(store.as_ref(), "sqlite").await;
    drop(store);

    assert!(path.is_file(), "database file created at {}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut conn).await.unwrap();
    assert_eq!(mode, "wal");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn sqlite_in_memory_keeps_the_contract() {
    let store = connect("sqlite::memory:").await.expect("open in-memory SQLite");
    story(store.as_ref(), "sqlite").await;
}

#[tokio::test]
async fn postgres_keeps_the_contract() {
    on_postgres(|store, _| async move {
        story(store.as_ref(), "postgres").await;
    })
    .await;
}

/// A store in a new SQLite file named `name`, in a directory removed when the first value drops.
async fn sqlite_file(name: &str) -> (tempfile::TempDir, Box<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = connect(&format!("sqlite://{}", dir.path().join(name).display())).await.unwrap();
    (dir, store)
}

/// Runs `scenario` on a store in a fresh PostgreSQL database (and its URL), in a task of its own so that the
/// database is dropped even when an assertion fails.
async fn on_postgres<F, Fut>(scenario: F)
where
    F: FnOnce(Box<dyn Store>, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let db = PgTestDb::create().await;
    let url = db.url.clone();
    let outcome = tokio::spawn(async move {
        scenario(connect(&url).await.expect("connect to the test database"), url).await;
    })
    .await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Waits (at most 10 s) until `signal` satisfies `ready`, on its moves rather than on a clock.
async fn wait_for_signal(signal: &fleetwatch_store::LatestSignal, what: &str, ready: impl Fn() -> bool) {
    let mut moves = signal.subscribe();
    let waited = tokio::time::timeout(StdDuration::from_secs(10), async {
        while !ready() {
            moves.changed().await.expect("the signal's sender lives with the store");
        }
    })
    .await;
    assert!(waited.is_ok(), "the latest signal never {what}");
}

#[tokio::test]
async fn postgres_tells_a_reader_of_samples_another_process_stored_and_listens_again_after_a_kill() {
    let db = PgTestDb::create().await;
    let url = db.url.clone();
    let name = db.name().to_owned();
    let outcome = tokio::spawn(async move {
        // Two pools: to PostgreSQL, two processes (the API and a collector).
        let reader = connect(&url).await.unwrap();
        let writer = connect(&url).await.unwrap();
        reader.migrate().await.unwrap();
        let signal = reader.latest_signal().expect("PostgreSQL tells changes");
        wait_for_signal(&signal, "started listening", || signal.is_live()).await;

        let before = signal.epoch().unwrap();
        let generation = reader.latest_generation().await.unwrap();
        writer.record_success(&full_sample("web-1", t(0)), &web_users(), None, 10).await.unwrap();
        wait_for_signal(&signal, "moved for another pool's sample", || signal.epoch() != Some(before)).await;
        assert_ne!(reader.latest_generation().await.unwrap(), generation, "and the sample is there");

        // Reading and failures do not notify: the epoch stays while nothing new is stored.
        let quiet = signal.epoch();
        writer.record_failure("db-1", t(5), OfflineReason::Timeout, "timeout", 5).await.unwrap();
        let _ = writer.latest_samples().await.unwrap();
        let mut probe = sqlx::PgConnection::connect(&url).await.unwrap();
        // A notification sent after the two calls above is delivered after theirs would be.
        sqlx::query("NOTIFY fleetwatch_latest").execute(&mut probe).await.unwrap();
        wait_for_signal(&signal, "saw the probe", || signal.epoch() != quiet).await;
        assert_eq!(signal.epoch(), quiet.map(|e| e + 1), "only the probe moved it");

        // The listening connection is killed: the epoch moves (what was sent meanwhile is
        // lost), and the reader listens again.
        let killed = signal.epoch().unwrap();
        let n: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = $1 AND query LIKE 'LISTEN%'",
        )
        .bind(&name)
        .fetch_one(&mut probe)
        .await
        .unwrap();
        assert_eq!(n, 1, "one listening connection");
        wait_for_signal(&signal, "moved and listened again after the kill", || {
            signal.epoch().is_some_and(|e| e > killed)
        })
        .await;
        // Live again only once `LISTEN` ran on a new connection.
        let after = signal.epoch().unwrap();
        writer.record_success(&full_sample("web-1", t(60)), &web_users(), None, 10).await.unwrap();
        wait_for_signal(&signal, "moved for a sample after the kill", || signal.epoch().is_some_and(|e| e > after))
            .await;
        // The reader's own samples move its epoch before `record_success` returns, without
        // waiting for PostgreSQL to deliver their notification.
        let own = signal.epoch().unwrap();
        reader.record_success(&full_sample("web-1", t(120)), &web_users(), None, 10).await.unwrap();
        assert!(signal.epoch().is_some_and(|e| e > own), "its own sample moved it at once");
        probe.close().await.unwrap();
    })
    .await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_opened_by_several_at_once_open_for_all() {
    // As `fleetwatch serve` and `fleetwatch collector` started together on a new file: whoever
    // switches it to WAL first holds a lock the others must wait out, not fail on.
    let dir = tempfile::tempdir().unwrap();
    for round in 0..20 {
        let url = format!("sqlite://{}", dir.path().join(format!("at-once-{round}.db")).display());
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move {
                    let store = connect(&url).await.map_err(|e| format!("connect: {e}"))?;
                    store.migrate().await.map_err(|e| format!("migrate: {e}"))?;
                    store.server_states().await.map_err(|e| format!("read: {e}")).map(|_| ())
                })
            })
            .collect();
        for (i, open) in opens.into_iter().enumerate() {
            open.await.unwrap().unwrap_or_else(|e| panic!("round {round}, store {i}: {e}"));
        }
    }
}

#[tokio::test]
async fn sqlite_writes_that_read_first_wait_for_another_writer() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("wait.db").display());
    let store = connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    alerts::an_evaluation_waits_for_another_writer(store.as_ref(), &url).await;
}

#[tokio::test]
async fn sqlite_has_no_latest_signal_so_readers_ask() {
    // Another process may write the same file and nothing would tell.
    let store = connect("sqlite::memory:").await.unwrap();
    assert!(store.latest_signal().is_none());
}

#[tokio::test]
async fn sqlite_rolls_up_and_keeps_each_tier_its_age() {
    let (_dir, store) = sqlite_file("tiers.db").await;
    tiers::tiers_and_retention(store.as_ref()).await;
}

#[tokio::test]
async fn sqlite_writes_the_five_minute_tier_as_raw_samples_age() {
    let (_dir, store) = sqlite_file("lazy.db").await;
    tiers::five_minute_tier_waits_for_raw_to_age(store.as_ref()).await;
}

#[tokio::test]
async fn postgres_writes_the_five_minute_tier_as_raw_samples_age() {
    on_postgres(|store, _| async move {
        tiers::five_minute_tier_waits_for_raw_to_age(store.as_ref()).await;
    })
    .await;
}

/// How many rows PostgreSQL's planner believes `servers` has.
async fn servers_counted(conn: &mut sqlx::PgConnection) -> f32 {
    sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = 'servers'").fetch_one(conn).await.unwrap()
}

/// A fleet added at once to a store whose statistics were taken while it was small: the store
/// counts the servers for PostgreSQL's planner, which otherwise checks each frame's server with
/// a scan of `servers` (a 1,000-server cycle on a year's database: 165 ms instead of 94).
#[tokio::test]
async fn postgres_counts_a_fleet_added_at_once_for_the_planner() {
    on_postgres(|store, url| async move {
        store.migrate().await.unwrap();
        let mut probe = sqlx::PgConnection::connect(&url).await.unwrap();
        let record = |names: std::ops::Range<usize>, at: DateTime<Utc>| {
            let samples: Vec<Sample> = names.map(|i| full_sample(&format!("node-{i:03}"), at)).collect();
            let store = &store;
            async move {
                let users = web_users();
                let batch: Vec<Success<'_>> = samples
                    .iter()
                    .map(|s| Success { sample: s, users: &users, details: None, duration_ms: 10 })
                    .collect();
                store.record_successes(&batch).await.unwrap();
            }
        };
        record(0..10, t(0)).await;
        sqlx::query("ANALYZE servers").execute(&mut probe).await.unwrap();
        assert_eq!(servers_counted(&mut probe).await, 10.0, "the planner counted the first ten");

        // Nine more: not enough to count again.
        record(10..19, t(60)).await;
        assert_eq!(servers_counted(&mut probe).await, 10.0);
        // Then a fleet of a hundred: counted by the time the write returns.
        record(19..119, t(120)).await;
        assert_eq!(servers_counted(&mut probe).await, 119.0, "the planner counts the fleet");
        assert_eq!(store.latest_samples().await.unwrap().len(), 119, "and every sample is stored");
        probe.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn sqlite_seals_complete_spans_of_a_tier() {
    let (_dir, store) = sqlite_file("seal.db").await;
    tiers::sealing_keeps_every_bucket(store.as_ref()).await;
}

#[tokio::test]
async fn sqlite_seals_complete_spans_of_raw_blocks() {
    let (_dir, store) = sqlite_file("seal-raw.db").await;
    tiers::raw_sealing_keeps_every_frame(store.as_ref()).await;
}

#[tokio::test]
async fn postgres_seals_complete_spans_of_raw_blocks() {
    on_postgres(|store, _| async move {
        tiers::raw_sealing_keeps_every_frame(store.as_ref()).await;
    })
    .await;
}

#[tokio::test]
async fn postgres_seals_complete_spans_of_a_tier() {
    on_postgres(|store, _| async move {
        tiers::sealing_keeps_every_bucket(store.as_ref()).await;
    })
    .await;
}

#[tokio::test]
async fn postgres_rolls_up_and_keeps_each_tier_its_age() {
    on_postgres(|store, _| async move {
        tiers::tiers_and_retention(store.as_ref()).await;
    })
    .await;
}

#[tokio::test]
async fn sqlite_keeps_user_activity_per_server_and_day() {
    let (_dir, store) = sqlite_file("users.db").await;
    user_days::user_days_per_server_and_day(store.as_ref()).await;
}

#[tokio::test]
async fn postgres_keeps_user_activity_per_server_and_day() {
    on_postgres(|store, _| async move {
        user_days::user_days_per_server_and_day(store.as_ref()).await;
    })
    .await;
}

#[tokio::test]
async fn an_unknown_scheme_is_refused_without_echoing_the_url() {
    let result = connect("mysql://fleet:s3cr3t-pw@db.example.org:3306/fleet").await;
    let Err(err) = result else {
        panic!("a mysql:// URL must be refused");
    };
    assert!(matches!(&err, Error::UnsupportedScheme(s) if s == "mysql"), "{err:?}");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(text.contains("mysql"), "{text}");
        assert!(!text.contains("s3cr3t"), "password leaked: {text}");
        assert!(!text.contains("db.example.org"), "URL leaked: {text}");
    }
}

#[tokio::test]
async fn an_unreachable_postgres_is_a_prompt_error_without_the_password() {
    let started = Instant::now();
    let result = connect("postgres://fleet:s3cr3t-pw@127.0.0.1:1/fleet").await;
    let Err(err) = result else {
        panic!("nothing listens on port 1");
    };
    assert!(started.elapsed() < StdDuration::from_secs(15), "took {:?}", started.elapsed());
    assert!(matches!(err, Error::Database(_)), "{err:?}");
    assert!(!err.to_string().contains("s3cr3t"), "password leaked: {err}");
}

#[tokio::test]
async fn a_silent_postgres_is_a_timeout_not_a_hang() {
    // Accepts TCP connections (the kernel does) but never says a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let url = format!("postgres://fleet:s3cr3t-pw@127.0.0.1:{port}/fleet");
    let result = tokio::time::timeout(StdDuration::from_secs(30), connect(&url)).await;
    let Ok(Err(err)) = result else {
        panic!("connect must fail on its own within seconds");
    };
    assert!(started.elapsed() < StdDuration::from_secs(15), "took {:?}", started.elapsed());
    assert!(!err.to_string().contains("s3cr3t"), "password leaked: {err}");
    drop(listener);
}

// ---------------------------------------------------------------------------------------------
// The story

/// An arbitrary instant with a millisecond part, which storage must keep.
fn t(secs: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00.250Z").unwrap().with_timezone(&Utc) + Duration::seconds(secs)
}

const NS: Duration = Duration::nanoseconds(1);

async fn story(store: &dyn Store, backend: &str) {
    store.migrate().await.unwrap();
    store.migrate().await.expect("migrating twice is a no-op");
    store.ping().await.unwrap();

    an_empty_store_has_nothing(store, backend).await;
    samples_round_trip(store).await;
    failures_keep_the_last_sample(store).await;
    a_failed_write_stores_nothing(store).await;
    history_is_oldest_first_from_since(store).await;
    history_downsamples_into_buckets(store).await;
    leases_are_exclusive_and_taken_over(store).await;
    top_users_come_from_latest_samples(store).await;
    host_keys_are_trusted_on_first_use(store).await;
    stats_count_rows(store, backend).await;
    cleanup_deletes_old_samples_but_not_latest(store, backend).await;
    details_series_and_processes_round_trip(store).await;
    user_disk_is_replaced_and_joined_to_top_users(store).await;
    alerts::alerts_book_history_and_outbox(store).await;
    auth::users_sessions_tokens_and_audit(store).await;
}

async fn an_empty_store_has_nothing(store: &dyn Store, backend: &str) {
    assert_eq!(store.server_states().await.unwrap(), vec![]);
    assert_eq!(store.latest_samples().await.unwrap(), vec![]);
    assert_eq!(store.latest_sample("web-1").await.unwrap(), None);
    assert_eq!(store.history("web-1", TimeRange::since(t(-1000))).await.unwrap(), vec![]);
    assert_eq!(store.top_users(None, 10).await.unwrap(), vec![]);
    assert_eq!(store.host_key("web-1").await.unwrap(), None);
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.backend, backend);
    assert_eq!(
        stats.tables,
        ["samples", "sample_users", "server_state", "host_keys"]
            .map(|name| TableStats { table: name.into(), rows: 0, oldest: None, newest: None })
            .to_vec()
    );
    let tiers: Vec<(String, i64, i64)> = stats.tiers.iter().map(|t| (t.tier.clone(), t.points, t.bytes)).collect();
    let empty = ["raw", "5m", "1h", "1d"].map(|t| (t.to_owned(), 0, 0)).to_vec();
    assert_eq!(tiers, empty, "raw samples and the rollup tiers, finest first");
    assert_eq!(stats.servers, vec![]);
    assert_eq!(store.cleanup(t(1_000_000)).await.unwrap(), 0);
}

/// Every field set, with values that catch truncation: zeros that must stay `Some`, integers
/// beyond 32 bits, fractions, quotes and non-ASCII text.
fn full_sample(server: &str, at: DateTime<Utc>) -> Sample {
    Sample {
        server_name: server.into(),
        cpu_percent: Some(12.5),
        cpu_load_1min: Some(0.25),
        cpu_load_5min: Some(1.5),
        cpu_load_15min: Some(3.75),
        ram_percentage: Some(45.678_9),
        swap_percentage: Some(0.0),
        disk_percentage: Some(91.2),
        logged_users: Some(0),
        tcp_connections: Some(1234),
        uptime_seconds: Some(1_234_567_890),
        timestamp: at,
        cpu_cores: Some(64),
        ram_total_bytes: Some(137_438_953_472),
        ram_used_bytes: Some(62_813_896_704),
        disk_total_bytes: Some(4_000_787_030_016),
        disk_used_bytes: Some(3_648_717_796_147),
        disk_mount: Some("/srv/dätä 'x'".into()),
        hostname: Some("web-1.example.org".into()),
    }
}

/// Nothing known but the name and the time.
fn sparse_sample(server: &str, at: DateTime<Utc>) -> Sample {
    Sample { server_name: server.into(), timestamp: at, ..Sample::default() }
}

fn user(name: &str, cpu: f64, disk_bytes: Option<f64>) -> UserUsage {
    UserUsage {
        username: name.into(),
        cpu,
        mem: cpu / 10.0,
        rss_bytes: 5_000_000_000 + (cpu * 1000.0) as i64,
        process_count: 3,
        top_process: format!("{name}-worker"),
        disk_bytes,
    }
}

/// web-1 at 0, 60, 120 s (latest); db-1 at 30 s after a failure at 10 s.
async fn samples_round_trip(store: &dyn Store) {
    store.record_failure("db-1", t(10), OfflineReason::ConnectionRefused, "connection refused", 5).await.unwrap();
    assert_eq!(store.latest_sample("db-1").await.unwrap(), None);

    let w1 = Sample { cpu_percent: Some(99.0), ..full_sample("web-1", t(0)) };
    let old_users = [user("alice", 900.0, None), user("bob", 5.0, None)];
    let before = store.latest_generation().await.unwrap();
    store.record_success(&w1, &old_users, None, 700).await.unwrap();
    assert_eq!(store.latest_sample("web-1").await.unwrap(), Some(w1));
    let one = store.latest_generation().await.unwrap();
    assert_ne!(one, before, "a first sample moves the latest's generation");
    assert_eq!(store.latest_generation().await.unwrap(), one, "reading does not");

    let d1 = sparse_sample("db-1", t(30));
    let db_users = [user("postgres", 88.0, Some(2.5e9)), user("backup", 0.0, None)];
    store.record_success(&d1, &db_users, None, 420).await.unwrap();

    let w2 = Sample { cpu_percent: Some(50.0), disk_mount: None, ..full_sample("web-1", t(60)) };
    let mid_users = [user("alice", 50.5, None), user("bob", 12.25, None), user("carol", 3.0, None)];
    store.record_success(&w2, &mid_users, None, 800).await.unwrap();

    let w3 = full_sample("web-1", t(120));
    let two = store.latest_generation().await.unwrap();
    store.record_success(&w3, &web_users(), None, 850).await.unwrap();
    assert_ne!(store.latest_generation().await.unwrap(), two, "a newer sample of a known server moves it too");

    assert_eq!(store.latest_sample("web-1").await.unwrap(), Some(w3.clone()));
    assert_eq!(store.latest_sample("db-1").await.unwrap(), Some(d1.clone()));
    assert_eq!(store.latest_sample("nobody").await.unwrap(), None);
    assert_eq!(store.latest_samples().await.unwrap(), vec![d1, w3]);

    // Success clears the earlier failure of db-1.
    let states = store.server_states().await.unwrap();
    assert_eq!(
        states,
        vec![
            ServerState {
                server_name: "db-1".into(),
                ok: true,
                last_attempt: t(30),
                last_success: Some(t(30)),
                reason: None,
                detail: None,
                duration_ms: 420,
            },
            ServerState {
                server_name: "web-1".into(),
                ok: true,
                last_attempt: t(120),
                last_success: Some(t(120)),
                reason: None,
                detail: None,
                duration_ms: 850,
            },
        ]
    );
}

fn web_users() -> [UserUsage; 3] {
    [user("alice", 75.0, Some(1.0e9)), user("bob", 20.0, Some(0.0)), user("carol", 1.5, None)]
}

async fn failures_keep_the_last_sample(store: &dyn Store) {
    store.record_failure("web-1", t(180), OfflineReason::Timeout, "no answer within 10 s", 10_000).await.unwrap();
    store.record_failure("ghost", t(185), OfflineReason::Dns, "no such host", 3).await.unwrap();
    store.record_failure("ghost", t(190), OfflineReason::AuthenticationFailed, "key refused", 7).await.unwrap();

    let states = store.server_states().await.unwrap();
    let names: Vec<&str> = states.iter().map(|s| s.server_name.as_str()).collect();
    assert_eq!(names, ["db-1", "ghost", "web-1"]);
    assert_eq!(
        states[1],
        ServerState {
            server_name: "ghost".into(),
            ok: false,
            last_attempt: t(190),
            last_success: None,
            reason: Some(OfflineReason::AuthenticationFailed),
            detail: Some("key refused".into()),
            duration_ms: 7,
        }
    );
    assert_eq!(
        states[2],
        ServerState {
            server_name: "web-1".into(),
            ok: false,
            last_attempt: t(180),
            last_success: Some(t(120)),
            reason: Some(OfflineReason::Timeout),
            detail: Some("no answer within 10 s".into()),
            duration_ms: 10_000,
        }
    );
    assert_eq!(store.latest_sample("web-1").await.unwrap(), Some(full_sample("web-1", t(120))));
    assert_eq!(store.latest_sample("ghost").await.unwrap(), None);
    assert_eq!(store.latest_samples().await.unwrap().len(), 2);
}

/// A sample whose user rows violate a constraint leaves no trace: one transaction.
async fn a_failed_write_stores_nothing(store: &dyn Store) {
    let before = store.stats().await.unwrap();
    let states = store.server_states().await.unwrap();
    let dup = [user("alice", 1.0, None), user("alice", 2.0, None)];
    let result = store.record_success(&full_sample("web-1", t(150)), &dup, None, 1).await;
    assert!(matches!(result, Err(Error::Database(_))), "{result:?}");
    assert_eq!(store.stats().await.unwrap().tables, before.tables);
    assert_eq!(store.server_states().await.unwrap(), states);
    assert_eq!(store.latest_sample("web-1").await.unwrap(), Some(full_sample("web-1", t(120))));
}

fn point(secs: i64, cpu: Option<f64>) -> HistoryPoint {
    HistoryPoint {
        timestamp: t(secs),
        cpu_percent: cpu,
        cpu_load_5min: Some(secs as f64 / 100.0),
        ram_percentage: Some(40.0),
        disk_percentage: None,
        samples: 1,
        ..Default::default()
    }
}

fn hist_sample(secs: i64, cpu: Option<f64>) -> Sample {
    Sample {
        cpu_percent: cpu,
        cpu_load_5min: Some(secs as f64 / 100.0),
        ram_percentage: Some(40.0),
        ..sparse_sample("hist-1", t(secs))
    }
}

/// hist-1 is recorded out of order (300, 100, 200 s): history sorts by time, and the last
/// recorded sample (200 s) is the latest.
async fn history_is_oldest_first_from_since(store: &dyn Store) {
    for (secs, cpu) in [(300, Some(30.0)), (100, Some(f64::NAN)), (200, Some(20.0))] {
        store.record_success(&hist_sample(secs, cpu), &[], None, 1).await.unwrap();
    }
    let all = vec![
        point(100, None), // NaN is stored as "not available"
        point(200, Some(20.0)),
        point(300, Some(30.0)),
    ];
    assert_eq!(store.history("hist-1", TimeRange::since(t(0))).await.unwrap(), all);
    assert_eq!(store.history("hist-1", TimeRange::since(t(100))).await.unwrap(), all);
    assert_eq!(store.history("hist-1", TimeRange::since(t(200))).await.unwrap(), all[1..]);
    assert_eq!(store.history("hist-1", TimeRange::since(t(200) + NS)).await.unwrap(), all[2..]);
    assert_eq!(store.history("hist-1", TimeRange::since(t(300) + NS)).await.unwrap(), vec![]);
    assert_eq!(store.history("nobody", TimeRange::since(t(0))).await.unwrap(), vec![]);
    assert_eq!(store.latest_sample("hist-1").await.unwrap(), Some(hist_sample(200, Some(20.0))));

    let web: Vec<DateTime<Utc>> =
        store.history("web-1", TimeRange::since(t(-1))).await.unwrap().into_iter().map(|p| p.timestamp).collect();
    assert_eq!(web, [t(0), t(60), t(120)]);
    assert_eq!(
        store.history("web-1", TimeRange::since(t(120))).await.unwrap(),
        vec![HistoryPoint {
            timestamp: t(120),
            cpu_percent: Some(12.5),
            cpu_load_5min: Some(1.5),
            ram_percentage: Some(45.678_9),
            disk_percentage: Some(91.2),
            ..full_point(store, t(120)).await
        }]
    );
}

/// The extra fields of web-1's point at `at`, as stored (checked against the sample below).
async fn full_point(store: &dyn Store, at: DateTime<Utc>) -> HistoryPoint {
    let s = full_sample("web-1", at);
    let p = HistoryPoint {
        cpu_load_1min: s.cpu_load_1min,
        cpu_load_15min: s.cpu_load_15min,
        swap_percentage: s.swap_percentage,
        tcp_connections: s.tcp_connections.map(|v| v as f64),
        logged_users: s.logged_users.map(|v| v as f64),
        samples: 1,
        timestamp: at,
        ..Default::default()
    };
    let got = store.history("web-1", TimeRange { from: at, to: at, max_points: Some(1) }).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (
            got[0].cpu_load_1min,
            got[0].cpu_load_15min,
            got[0].swap_percentage,
            got[0].tcp_connections,
            got[0].logged_users
        ),
        (p.cpu_load_1min, p.cpu_load_15min, p.swap_percentage, p.tcp_connections, p.logged_users)
    );
    p
}

/// hist-1 has samples at 100, 200 and 300 s (cpu none, 20, 30): one bucket averages them all,
/// two buckets split them by time, and `to` is inclusive.
async fn history_downsamples_into_buckets(store: &dyn Store) {
    let range = |from, to, max_points| TimeRange { from: t(from), to: t(to), max_points: Some(max_points) };
    let one = store.history("hist-1", range(0, 400, 1)).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].timestamp, one[0].samples, one[0].cpu_percent), (t(100), 3, Some(25.0)));
    assert_eq!(one[0].cpu_load_5min, Some(2.0));
    let two = store.history("hist-1", range(100, 300, 2)).await.unwrap();
    let shape: Vec<_> = two.iter().map(|p| (p.timestamp, p.samples)).collect();
    assert_eq!(shape, [(t(100), 2), (t(300), 1)]);
    assert_eq!(two[0].cpu_percent, Some(20.0), "the mean skips missing values");
    assert_eq!(store.history("hist-1", range(100, 200, 1000)).await.unwrap().len(), 2, "to is inclusive");
}

fn top(server: &str, at: DateTime<Utc>, u: &UserUsage) -> TopUser {
    TopUser {
        username: u.username.clone(),
        server_name: server.into(),
        cpu: u.cpu,
        mem: u.mem,
        disk: u.disk_bytes,
        process_count: u.process_count,
        top_process: u.top_process.clone(),
        timestamp: at,
        rss_bytes: u.rss_bytes,
    }
}

async fn top_users_come_from_latest_samples(store: &dyn Store) {
    let names = |users: Vec<TopUser>| -> Vec<(String, String)> {
        users.into_iter().map(|u| (u.server_name, u.username)).collect()
    };
    let pair = |s: &str, u: &str| (s.to_string(), u.to_string());

    // alice's 900 % on web-1's first sample is history, not "top".
    assert_eq!(
        names(store.top_users(None, 100).await.unwrap()),
        vec![
            pair("db-1", "postgres"),
            pair("web-1", "alice"),
            pair("web-1", "bob"),
            pair("web-1", "carol"),
            pair("db-1", "backup"),
        ]
    );
    assert_eq!(names(store.top_users(None, 2).await.unwrap()), vec![pair("db-1", "postgres"), pair("web-1", "alice")]);
    let expected: Vec<TopUser> = web_users().iter().map(|u| top("web-1", t(120), u)).collect();
    assert_eq!(store.top_users(Some("web-1"), 10).await.unwrap(), expected);
    assert_eq!(
        store.top_users(Some("db-1"), 1).await.unwrap(),
        vec![top("db-1", t(30), &user("postgres", 88.0, Some(2.5e9)))]
    );
    assert_eq!(store.top_users(Some("hist-1"), 10).await.unwrap(), vec![]);
    assert_eq!(store.top_users(Some("nobody"), 10).await.unwrap(), vec![]);
    assert_eq!(store.top_users(None, 0).await.unwrap(), vec![]);
    assert_eq!(store.top_users(None, -1).await.unwrap(), vec![]);
}

async fn host_keys_are_trusted_on_first_use(store: &dyn Store) {
    let web = HostKeyRecord {
        server_name: "web-1".into(),
        host: "192.0.2.10".into(),
        port: 2222,
        fingerprint: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s".into(),
        first_seen: t(5),
    };
    assert_eq!(store.host_key("web-1").await.unwrap(), None);
    store.save_host_key(&web).await.unwrap();
    assert_eq!(store.host_key("web-1").await.unwrap(), Some(web.clone()));

    // The same key again is fine and changes nothing.
    let again = HostKeyRecord { host: "web-1.example.org".into(), first_seen: t(500), ..web.clone() };
    store.save_host_key(&again).await.unwrap();
    assert_eq!(store.host_key("web-1").await.unwrap(), Some(web.clone()));

    // A different key is a conflict naming both fingerprints, and is not stored.
    let other = HostKeyRecord {
        fingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
        first_seen: t(600),
        ..web.clone()
    };
    match store.save_host_key(&other).await {
        Err(Error::Conflict(msg)) => {
            assert!(msg.contains(&web.fingerprint), "{msg}");
            assert!(msg.contains(&other.fingerprint), "{msg}");
        }
        result => panic!("expected a conflict, got {result:?}"),
    }
    assert_eq!(store.host_key("web-1").await.unwrap(), Some(web));

    let db = HostKeyRecord {
        server_name: "db-1".into(),
        host: "db-1.internal".into(),
        port: u16::MAX,
        fingerprint: "SHA256:ZGItMQ".into(),
        first_seen: t(6),
    };
    store.save_host_key(&db).await.unwrap();
    assert_eq!(store.host_key("db-1").await.unwrap(), Some(db));
}

fn table(name: &str, rows: i64, oldest: i64, newest: i64) -> TableStats {
    TableStats { table: name.into(), rows, oldest: Some(t(oldest)), newest: Some(t(newest)) }
}

/// samples: web-1 ×3, db-1 ×1, hist-1 ×3; users: 2 + 3 + 3 on web-1, 2 on db-1.
async fn stats_count_rows(store: &dyn Store, backend: &str) {
    let DbStats { backend: name, tables, size_bytes, .. } = store.stats().await.unwrap();
    assert_eq!(name, backend);
    assert_eq!(
        tables,
        vec![
            table("samples", 7, 0, 300),
            table("sample_users", 10, 0, 120),
            table("server_state", 4, 30, 200),
            table("host_keys", 2, 5, 6),
        ]
    );
    assert!(size_bytes.unwrap() > 0, "{size_bytes:?}");
}

async fn cleanup_deletes_old_samples_but_not_latest(store: &dyn Store, backend: &str) {
    let latest = store.latest_samples().await.unwrap();
    assert_eq!(latest.len(), 3);

    // Before 150 s: web-1's 0 and 60 s samples (and their 5 user rows) and hist-1's 100 s go;
    // web-1's 120 s and db-1's 30 s samples are their servers' latest and stay.
    assert_eq!(store.cleanup(t(150)).await.unwrap(), 3);
    assert_eq!(store.cleanup(t(150)).await.unwrap(), 0);
    assert_eq!(store.latest_samples().await.unwrap(), latest);
    let web: Vec<DateTime<Utc>> =
        store.history("web-1", TimeRange::since(t(-1))).await.unwrap().into_iter().map(|p| p.timestamp).collect();
    assert_eq!(web, [t(120)]);
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.backend, backend);
    assert_eq!(stats.tables[..2], [table("samples", 4, 30, 300), table("sample_users", 5, 30, 120)]);

    // `before` is exclusive, to the nanosecond: 300 s goes only when `before` is after it.
    assert_eq!(store.cleanup(t(300)).await.unwrap(), 0);
    assert_eq!(store.cleanup(t(300) + NS).await.unwrap(), 1);
    // The sample of 300 s was summarised into its 5-minute bucket (00:05) before it went.
    let bucket = HistoryPoint { timestamp: t(300) - Duration::milliseconds(250), ..point(300, Some(30.0)) };
    assert_eq!(store.history("hist-1", TimeRange::since(t(0))).await.unwrap(), vec![point(200, Some(20.0)), bucket]);
    // Everything left is some server's latest sample.
    assert_eq!(store.cleanup(t(1_000_000)).await.unwrap(), 0);
    assert_eq!(store.latest_samples().await.unwrap(), latest);
    let stats = store.stats().await.unwrap();
    assert_eq!(
        stats.tables,
        vec![
            table("samples", 3, 30, 200),
            table("sample_users", 5, 30, 120),
            table("server_state", 4, 30, 200),
            table("host_keys", 2, 5, 6),
        ]
    );
}

/// Two collector members share servers through leases: one holder at a time, a dead member's
/// leases are taken over, a leaving member frees its leases at once.
async fn leases_are_exclusive_and_taken_over(store: &dyn Store) {
    let now = Utc::now();
    let alive_since = now - Duration::seconds(30);
    store.heartbeat("member-a", now).await.unwrap();
    store.heartbeat("member-b", now).await.unwrap();
    assert_eq!(store.live_members(alive_since).await.unwrap(), ["member-a", "member-b"]);

    assert!(store.acquire_lease("srv-1", "member-a", now, alive_since).await.unwrap());
    assert!(store.acquire_lease("srv-1", "member-a", now, alive_since).await.unwrap(), "renewal");
    assert!(!store.acquire_lease("srv-1", "member-b", now, alive_since).await.unwrap(), "held by a live member");
    assert!(store.acquire_lease("srv-2", "member-b", now, alive_since).await.unwrap());
    let leases = store.leases().await.unwrap();
    assert_eq!(leases, [("srv-1".to_string(), "member-a".to_string()), ("srv-2".into(), "member-b".into())]);

    // member-a stops heartbeating: after the cutoff passes, member-b takes srv-1 over.
    let later = now + Duration::seconds(60);
    store.heartbeat("member-b", later).await.unwrap();
    let later_cutoff = later - Duration::seconds(30);
    assert_eq!(store.live_members(later_cutoff).await.unwrap(), ["member-b"]);
    assert!(store.acquire_lease("srv-1", "member-b", later, later_cutoff).await.unwrap(), "takeover");
    assert!(!store.acquire_lease("srv-1", "member-a", later, later_cutoff).await.unwrap());

    // Release only works for the holder; leaving frees everything.
    store.release_lease("srv-1", "member-a").await.unwrap();
    assert_eq!(store.leases().await.unwrap().len(), 2);
    store.release_lease("srv-2", "member-b").await.unwrap();
    assert_eq!(store.leases().await.unwrap(), [("srv-1".to_string(), "member-b".to_string())]);
    store.leave("member-b").await.unwrap();
    assert!(store.leases().await.unwrap().is_empty());
    assert!(store.live_members(later_cutoff).await.unwrap().is_empty());
    store.leave("member-a").await.unwrap();
}

fn details(server: &str, at: DateTime<Utc>, busy: f64) -> Details {
    let proc = |pid: i64, cpu: f64, rss: i64| ProcessInfo {
        pid,
        user: "alice.b2".into(),
        command: "my (odd) cmd".into(),
        cpu_percent: cpu,
        rss_bytes: rss,
        mem_percent: 1.5,
        threads: 3,
        open_fds: if pid % 2 == 0 { Some(12) } else { None },
    };
    Details {
        server_name: server.into(),
        timestamp: at,
        cpu: Some(CpuStats {
            total: Some(CpuBreakdown {
                name: "cpu".into(),
                busy,
                user: busy,
                idle: 100.0 - busy,
                ..Default::default()
            }),
            cores: vec![CpuBreakdown { name: "cpu0".into(), busy, ..Default::default() }],
            core_count: 1,
            load_1: Some(0.25),
            model: Some("Test CPU".into()),
            ..Default::default()
        }),
        memory: Some(MemoryStats { total: 8 << 30, used: 2 << 30, used_percent: 25.0, ..Default::default() }),
        disks: vec![DiskUsage {
            mount: "/".into(),
            device: "/dev/vda".into(),
            fstype: "ext4".into(),
            used_percent: 42.0,
            inodes_percent: Some(3.0),
            ..Default::default()
        }],
        network: vec![NetInterface { name: "eth0".into(), rx_bytes_per_sec: 1234.5, ..Default::default() }],
        tcp: Some(TcpStats {
            states: [("ESTABLISHED".to_string(), 7), ("LISTEN".to_string(), 2)].into(),
            listening: vec![],
        }),
        sessions: vec![Session {
            user: "bob".into(),
            tty: "pts/0".into(),
            from: Some("192.0.2.1".into()),
            login_time: Some(at),
        }],
        system: Some(SystemInfo { hostname: Some("h".into()), processes: Some(120), ..Default::default() }),
        processes_by_cpu: vec![proc(10, 90.0, 100), proc(11, 5.0, 200)],
        processes_by_memory: vec![proc(11, 5.0, 200)],
        containers: Some(vec![ContainerInfo {
            name: "web".into(),
            image: "nginx".into(),
            state: "running".into(),
            cpu_percent: Some(2.0),
            net_rx_bytes: Some(4096),
            block_write_bytes: Some(8192),
            ..Default::default()
        }]),
        section_errors: vec!["users: exit status 1".into()],
        ..Default::default()
    }
}

/// Details are stored whole and per series, and top processes typed; all three come back.
async fn details_series_and_processes_round_trip(store: &dyn Store) {
    let (t1, t2) = (t(1000), t(1060));
    let d1 = details("det-1", t1, 10.0);
    let d2 = details("det-1", t2, 30.0);
    let (u1, u2) = ([user("alice", 10.0, None)], [user("bob", 30.0, Some(4096.0)), user("alice", 1.0, None)]);
    store.record_success(&sparse_sample("det-1", t1), &u1, Some(&d1), 1).await.unwrap();
    store.record_success(&sparse_sample("det-1", t2), &u2, Some(&d2), 1).await.unwrap();

    assert_eq!(store.details("det-1", None).await.unwrap(), Some(d2.clone()), "latest, every field");
    assert_eq!(
        store.details("det-1", Some(t1 + Duration::seconds(30))).await.unwrap(),
        Some(d1.clone()),
        "as of a time"
    );
    assert_eq!(store.details("det-1", Some(t1 - Duration::seconds(1))).await.unwrap(), None);
    assert_eq!(store.details("nobody", None).await.unwrap(), None);
    // The users of the same sample, at a moment: each with that sample's time.
    let at = |u: &[UserUsage], when| u.iter().map(|u| top("det-1", when, u)).collect::<Vec<_>>();
    assert_eq!(store.users_at("det-1", t1 + Duration::seconds(30)).await.unwrap(), at(&u1, t1), "users as of a time");
    assert_eq!(store.users_at("det-1", t2).await.unwrap(), at(&u2, t2), "highest CPU first");
    assert!(store.users_at("det-1", t1 - Duration::seconds(1)).await.unwrap().is_empty(), "nothing before");
    assert!(store.users_at("nobody", t2).await.unwrap().is_empty());

    let names = store.series_names("det-1").await.unwrap();
    for n in [
        "cpu.busy",
        "cpu0.busy",
        "mem.used_percent",
        "disk[/].used_percent",
        "net[eth0].rx_bytes_per_sec",
        "tcp[LISTEN]",
        "system.processes",
        "container[web].cpu_percent",
        "container[web].net_rx_bytes",
        "container[web].block_write_bytes",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    let range = TimeRange { from: t1, to: t2, max_points: None };
    let rx = store.series("det-1", "container[web].net_rx_bytes", range).await.unwrap();
    assert_eq!(rx.iter().map(|p| p.value).collect::<Vec<_>>(), [4096.0, 4096.0], "a container's traffic over time");
    let range = TimeRange { from: t1, to: t2, max_points: None };
    let busy: Vec<(DateTime<Utc>, f64)> =
        store.series("det-1", "cpu.busy", range).await.unwrap().into_iter().map(|p| (p.timestamp, p.value)).collect();
    assert_eq!(busy, [(t1, 10.0), (t2, 30.0)]);
    let one = store.series("det-1", "cpu.busy", TimeRange { max_points: Some(1), ..range }).await.unwrap();
    assert_eq!((one.len(), one[0].value, one[0].samples), (1, 20.0, 2));
    assert!(store.series("det-1", "no.such.series", range).await.unwrap().is_empty());

    let by_cpu = store.latest_processes(Some("det-1"), Ranking::Cpu).await.unwrap();
    assert_eq!(by_cpu.iter().map(|p| (p.rank, p.process.pid)).collect::<Vec<_>>(), [(1, 10), (2, 11)]);
    assert_eq!(by_cpu[0].process, d2.processes_by_cpu[0]);
    assert_eq!(by_cpu[0].timestamp, t2);
    assert_eq!(store.latest_processes(None, Ranking::Memory).await.unwrap().len(), 1);

    // A sample without details (an old collector) leaves the latest details empty.
    store.record_success(&sparse_sample("det-1", t(1120)), &[], None, 1).await.unwrap();
    assert_eq!(store.details("det-1", None).await.unwrap(), None);
    assert_eq!(store.details("det-1", Some(t(1120))).await.unwrap(), Some(d2), "the last one before");
}

/// A per-user disk measurement replaces the previous one and shows as the users' `disk`.
async fn user_disk_is_replaced_and_joined_to_top_users(store: &dyn Store) {
    let at = t(2000);
    let user = UserUsage {
        username: "carol.9".into(),
        cpu: 1.0,
        mem: 1.0,
        rss_bytes: 1,
        process_count: 1,
        top_process: "sh".into(),
        disk_bytes: None,
    };
    store.record_success(&sparse_sample("disk-1", at), &[user], None, 1).await.unwrap();
    assert_eq!(store.top_users(Some("disk-1"), 10).await.unwrap()[0].disk, None);
    store.record_user_disk("disk-1", at, &[("carol.9".into(), 5 << 20), ("gone".into(), 1)]).await.unwrap();
    store.record_user_disk("disk-1", at, &[("carol.9".into(), 7 << 20)]).await.unwrap();
    let rows = store.user_disk(Some("disk-1")).await.unwrap();
    assert_eq!(rows.iter().map(|r| (r.username.as_str(), r.bytes)).collect::<Vec<_>>(), [("carol.9", 7 << 20)]);
    assert_eq!(rows[0].timestamp, at);
    assert_eq!(store.top_users(Some("disk-1"), 10).await.unwrap()[0].disk, Some((7 << 20) as f64));
    assert!(store.user_disk(Some("nobody")).await.unwrap().is_empty());
}
