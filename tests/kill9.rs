//! `kill -9` of a `fleetwatch collector` in a loop while it writes, on SQLite and on a PostgreSQL
//! of the test's own, with real sshd hosts: the database passes its integrity check (`PRAGMA
//! integrity_check`; `pg_amcheck`), no sample is stored twice, and at most the cycle in flight
//! at each kill is lost: every cycle a process finished (per its log) is stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/collector_log.rs"]
mod collector_log;
#[path = "support/collector_proc.rs"]
mod collector_proc;
#[path = "support/own_pg.rs"]
mod own_pg;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};
use collector_proc::{collector, config};
use fleetwatch_store::{Store, TimeRange};
use fleetwatch_testkit::{Proc, Sshd, run, text, wait_until};
use own_pg::OwnPg;

const EVERY_SECOND: &str = "* * * * * *";
const KILLS: u64 = 4;
const SERVERS: usize = 2;

async fn cycles_done(p: &mut Proc, n: usize) {
    wait_until(&format!("{n} cycles of {}", p.name), Duration::from_secs(120), || {
        p.assert_running();
        let seen = collector_log::cycles(&p.stderr).len();
        std::future::ready(if seen >= n { Ok(()) } else { Err(format!("{seen} so far")) })
    })
    .await;
}

/// Starts, lets it write, kills with SIGKILL at a different moment of a cycle each round
/// (`check` runs after each kill), then one last run stopped gracefully. Returns every process.
async fn kill_loop(cfg: &Path, dir: &Path, check: impl Fn()) -> Vec<Proc> {
    let mut procs = Vec::new();
    for round in 0..KILLS {
        let mut p = collector(&format!("run-{round}"), cfg, dir);
        cycles_done(&mut p, 2).await;
        // Fault injection, not synchronisation: land the kill at another point of the cycle.
        tokio::time::sleep(Duration::from_millis(150 + 230 * round)).await;
        p.assert_running();
        p.child.kill().unwrap();
        p.child.wait().unwrap();
        check();
        procs.push(p);
    }
    let mut last = collector("last", cfg, dir);
    cycles_done(&mut last, 2).await;
    assert!(last.stop(Duration::from_secs(30)).await.success(), "{}", last.log_text());
    procs.push(last);
    procs
}

async fn assert_at_most_the_cycles_in_flight_lost(store: &dyn Store, procs: &[Proc]) {
    let cycles: Vec<collector_log::Cycle> = procs.iter().flat_map(|p| collector_log::cycles(&p.stderr)).collect();
    let finished: u64 = cycles.iter().map(|c| c.servers - c.failed).sum();
    let all = TimeRange { from: DateTime::<Utc>::UNIX_EPOCH, to: Utc::now(), max_points: None };
    let mut total = 0u64;
    for i in 0..SERVERS {
        let name = format!("web-{i}");
        let times: Vec<i64> =
            store.history(&name, all).await.unwrap().iter().map(|p| p.timestamp.timestamp_millis()).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{name}: a time stored twice: {times:?}");
        let latest = store.latest_sample(&name).await.unwrap().unwrap().timestamp.timestamp_millis();
        assert_eq!(Some(&latest), times.last(), "{name}: the latest sample is not the newest");
        total += times.len() as u64;
    }
    assert!(total >= finished, "finished cycles collected {finished} samples, only {total} stored");
    assert!(
        total <= finished + KILLS * SERVERS as u64,
        "{total} stored, more than the {finished} of finished cycles and those in flight at {KILLS} kills"
    );
}

fn sqlite_integrity(db: &Path) {
    let out = run(Command::new("sqlite3").arg(db).arg("PRAGMA integrity_check;"));
    assert!(out.status.success(), "sqlite3: {}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok", "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_a_loop_on_sqlite_keeps_the_database_whole_and_loses_at_most_the_cycle_in_flight() {
    let hosts = [Sshd::start().await, Sshd::start().await];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fw.db");
    let url = format!("sqlite://{}", db.display());
    let cfg = config(dir.path(), &url, &hosts, EVERY_SECOND);
    let procs = kill_loop(&cfg, dir.path(), || sqlite_integrity(&db)).await;
    sqlite_integrity(&db);
    let store = fleetwatch_store::connect(&url).await.unwrap();
    assert_at_most_the_cycles_in_flight_lost(store.as_ref(), &procs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_a_loop_on_postgresql_keeps_the_database_whole_and_loses_at_most_the_cycle_in_flight() {
    let mut pg = OwnPg::init();
    pg.start();
    let hosts = [Sshd::start().await, Sshd::start().await];
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &pg.url(), &hosts, EVERY_SECOND);
    let procs = kill_loop(&cfg, dir.path(), || {}).await;
    pg.amcheck();
    let store = fleetwatch_store::connect(&pg.url()).await.unwrap();
    assert_at_most_the_cycles_in_flight_lost(store.as_ref(), &procs).await;
}
