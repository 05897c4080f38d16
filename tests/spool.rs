//! A PostgreSQL outage with a collector restart in the middle, and a collector started while the
//! database is down, on a PostgreSQL server of the test's own (stopped and started by the test)
//! with real sshd hosts and the real `fleetwatch collector` binary: every sample a cycle took is
//! stored exactly once, in order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/collector_log.rs"]
mod collector_log;
#[path = "support/collector_proc.rs"]
mod collector_proc;
#[path = "support/own_pg.rs"]
mod own_pg;

use std::time::Duration;

use chrono::{DateTime, Utc};
use collector_proc::{collector, config};
use fleetwatch_store::{Store, TimeRange};
use fleetwatch_testkit::{Proc, Sshd, wait_until};
use own_pg::OwnPg;

const EVERY_TWO_SECONDS: &str = "*/2 * * * * *";
const SPOOLED: &str = "database unavailable: samples spooled to disk";
const UNREACHABLE: &str = "database unreachable: cycles go on without it";
/// What a cycle logs when a store call timed out on a database that is gone.
const WAITED_ON_THE_DATABASE: [&str; 3] =
    ["cannot read the collector leases", "alert evaluation failed", "cannot store the collector's own figures"];

/// Waits until `p`'s log has said `message` (its start) at least `n` times.
async fn said(p: &mut Proc, message: &str, n: usize) {
    wait_until(&format!("{n} × {message:?} from {}", p.name), Duration::from_secs(120), || {
        p.assert_running();
        let seen = collector_log::count(&p.stderr, message);
        std::future::ready(if seen >= n { Ok(()) } else { Err(format!("{seen} so far")) })
    })
    .await;
}

async fn connect(url: &str) -> Box<dyn Store> {
    wait_until("the test's database", Duration::from_secs(60), || async {
        let store = fleetwatch_store::connect(url).await.map_err(|e| e.to_string())?;
        store.server_states().await.map_err(|e| e.to_string())?;
        Ok(store)
    })
    .await
}

/// Times (ms) of every stored sample of `server`, oldest first.
async fn stored(store: &dyn Store, server: &str) -> Vec<i64> {
    let all = TimeRange { from: DateTime::<Utc>::UNIX_EPOCH, to: Utc::now(), max_points: None };
    store.history(server, all).await.unwrap().iter().map(|p| p.timestamp.timestamp_millis()).collect()
}

/// Every sample the cycles of `procs` took (per their logs) is stored once: as many stored as
/// collected, no time twice, and each server's latest is its newest (written in order).
async fn assert_each_sample_stored_once(store: &dyn Store, procs: &[&Proc], servers: usize) {
    let cycles: Vec<collector_log::Cycle> = procs.iter().flat_map(|p| collector_log::cycles(&p.stderr)).collect();
    assert!(cycles.iter().all(|c| c.servers == servers as u64), "{cycles:?}");
    let collected: u64 = cycles.iter().map(|c| c.servers - c.failed).sum();
    let mut total = 0;
    for i in 0..servers {
        let name = format!("web-{i}");
        let times = stored(store, &name).await;
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{name}: a time stored twice: {times:?}");
        let latest = store.latest_sample(&name).await.unwrap().unwrap().timestamp.timestamp_millis();
        assert_eq!(Some(&latest), times.last(), "{name}: the latest sample is not the newest");
        total += times.len() as u64;
    }
    assert_eq!(total, collected, "{} cycles collected {collected} samples, {total} stored", cycles.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_with_a_collector_restart_in_the_middle_loses_no_sample() {
    let mut pg = OwnPg::init();
    pg.start();
    let hosts = [Sshd::start().await, Sshd::start().await];
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &pg.url(), &hosts, EVERY_TWO_SECONDS);
    let mut first = collector("first", &cfg, dir.path());
    let store = connect(&pg.url()).await;
    let n_hosts = hosts.len();
    wait_until("both servers collected", Duration::from_secs(60), || {
        first.assert_running();
        let store = store.as_ref();
        async move {
            let n = store.latest_samples().await.map_err(|e| e.to_string())?.len();
            if n == n_hosts { Ok(()) } else { Err(format!("{n} collected")) }
        }
    })
    .await;
    drop(store);

    pg.stop();
    let down_at = Utc::now();
    said(&mut first, SPOOLED, 3).await;
    assert!(first.stop(Duration::from_secs(30)).await.success(), "{}", first.log_text());

    // Restarted while the database is still down: it starts, finds the spool of the first, and
    // polls the servers it held (kept in state_dir), spooling their samples behind the others.
    let mut second = collector("second", &cfg, dir.path());
    said(&mut second, "cannot open the database; collecting anyway", 1).await;
    said(&mut second, "spool: samples kept from an earlier run", 1).await;
    said(&mut second, SPOOLED, 3).await;
    let up_at = Utc::now();
    pg.start();
    said(&mut second, "database reachable", 1).await;
    said(&mut second, "spool replayed", 1).await;
    let before = collector_log::cycles(&second.stderr).len();
    said(&mut second, "collection cycle finished", before + 2).await;
    assert!(second.stop(Duration::from_secs(30)).await.success(), "{}", second.log_text());

    let store = connect(&pg.url()).await;
    assert_each_sample_stored_once(store.as_ref(), &[&first, &second], hosts.len()).await;
    // And the outage is no gap: each server has samples taken while the database was down, from
    // both processes.
    for i in 0..hosts.len() {
        let times = stored(store.as_ref(), &format!("web-{i}")).await;
        let during =
            times.iter().filter(|t| **t > down_at.timestamp_millis() && **t < up_at.timestamp_millis()).count();
        assert!(during >= 6, "web-{i}: {during} samples from the outage");
    }
    let log = second.log_text();
    assert!(!log.contains("spool full"), "{log}");
    // Once the outage is found, cycles stop waiting on the database: no more store calls that
    // time out (at most one of each, from a cycle running as the database went away).
    assert_eq!(collector_log::count(&first.stderr, UNREACHABLE), 1, "{}", first.log_text());
    for p in [&first, &second] {
        for waited in WAITED_ON_THE_DATABASE {
            let n = collector_log::count(&p.stderr, waited);
            assert!(n <= 1, "{}: {n} × {waited:?}\n{}", p.name, p.log_text());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_started_while_postgresql_is_down_collects_and_connects_when_it_returns() {
    // Initialised, never started yet: no connection, no schema.
    let mut pg = OwnPg::init();
    let hosts = [Sshd::start().await];
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &pg.url(), &hosts, EVERY_TWO_SECONDS);
    let mut c = collector("collector", &cfg, dir.path());
    said(&mut c, "cannot open the database; collecting anyway", 1).await;
    said(&mut c, SPOOLED, 2).await;
    let up_at = Utc::now();
    pg.start();
    said(&mut c, "database reachable", 1).await;
    said(&mut c, "spool replayed", 1).await;
    let before = collector_log::cycles(&c.stderr).len();
    said(&mut c, "collection cycle finished", before + 1).await;
    assert!(c.stop(Duration::from_secs(30)).await.success(), "{}", c.log_text());

    for waited in WAITED_ON_THE_DATABASE {
        assert_eq!(collector_log::count(&c.stderr, waited), 0, "{waited:?}\n{}", c.log_text());
    }

    let store = connect(&pg.url()).await;
    assert_each_sample_stored_once(store.as_ref(), &[&c], 1).await;
    let times = stored(store.as_ref(), "web-0").await;
    let before_up = times.iter().filter(|t| **t < up_at.timestamp_millis()).count();
    assert!(before_up >= 2, "{before_up} samples taken before the database started: {times:?}");
}
