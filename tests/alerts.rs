//! Alerting with the real `fleetwatch` binary: `collect-once` evaluates and queues, and a
//! notification queued by a collector that is then killed with SIGKILL arrives once, from the
//! collector started after it, at a real HTTP receiver that was down meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../collector/tests/alerting/receiver.rs"]
#[allow(dead_code)]
mod receiver;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fleetwatch_store::Store;
use fleetwatch_testkit::{Proc, run, signal, text, wait_for};
use receiver::Receiver;
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

/// Built-in rules that a busy test machine could fire; switched off so that `up` is the only
/// alert.
const QUIET: [&str; 7] =
    ["cpu-high", "ram-high", "disk-full", "swap-used", "section-failing", "container-unhealthy", "server-stale"];

/// A local server, the rule `up` (fires at once on any running host) told to the webhook `ops`.
fn config(dir: &Path, hook: &str, extra: &str) -> PathBuf {
    let mut toml = format!(
        "database_url = \"sqlite://{}/fw.db\"\n{extra}\n[[servers]]\nname = \"here\"\ntransport = \"local\"\n\
         [[alerts.channels]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{hook}\"\n\
         [[alerts.rules]]\nname = \"up\"\nmetric = \"uptime_seconds\"\nwarning = 1\nchannels = [\"ops\"]\n",
        dir.display()
    );
    for rule in QUIET {
        toml += &format!("[[alerts.rules]]\nname = \"{rule}\"\nenabled = false\n");
    }
    let path = dir.join("fw.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

fn fleetwatch(config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetwatch"));
    cmd.arg("--config").arg(config).env_remove("DATABASE_URL").env("RUST_BACKTRACE", "0");
    cmd
}

async fn store(dir: &Path) -> Box<dyn Store> {
    fleetwatch_store::connect(&format!("sqlite://{}/fw.db", dir.display())).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_once_evaluates_and_says_what_it_queued() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "http://127.0.0.1:9/hook", "");
    let out = run(fleetwatch(&cfg).arg("collect-once"));
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("here\tok"), "{said}");
    assert!(said.contains("alerts: 1 change(s), 1 notification(s) queued"), "{said}");
    let out = run(fleetwatch(&cfg).arg("collect-once"));
    assert!(text(&out).contains("alerts: 0 change(s), 0 notification(s) queued"), "nothing new: {}", text(&out));
    let store = store(dir.path()).await;
    let outbox = store.outbox(Some("ops")).await.unwrap();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert!(outbox[0].payload.contains("\"rule\":\"up\""), "{}", outbox[0].payload);
    assert!(store.alerts().await.unwrap().iter().any(|(s, a)| s == "here" && a.rule == "up"));
}

/// The delivered messages that tell `up` firing on `here`.
fn ups(log: &receiver::Log) -> usize {
    log.delivered()
        .iter()
        .filter(|m| m["status"] == "firing")
        .flat_map(|m| m["alerts"].as_array().cloned().unwrap_or_default())
        .filter(|a: &Value| a["rule"] == "up" && a["server"] == "here")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_queued_before_a_kill_9_arrives_once_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    // The receiver's port is known, and nothing listens on it yet.
    let hook = Receiver::start(&[]).await;
    hook.stop();
    let quick = "[collector]\nschedule = \"*/2 * * * * *\"\ncollect_on_start = true\nretries = 1\n\
                 [alerts.delivery]\nretry_secs = 1\nmax_retry_secs = 2\nmax_attempts = 1000\n";
    let cfg = config(dir.path(), &hook.url(), quick);
    assert!(run(fleetwatch(&cfg).arg("migrate")).status.success());
    let store = store(dir.path()).await;

    let mut first = Proc::spawn("collector-1", fleetwatch(&cfg).arg("collector"), dir.path());
    wait_for("a failed attempt at the queued message", LIMIT, || async {
        let outbox = store.outbox(Some("ops")).await.unwrap();
        outbox.iter().any(|r| r.payload.contains("\"rule\":\"up\"") && r.last_error.is_some()).then_some(())
    })
    .await;
    first.assert_running();
    signal(first.child.id(), "KILL");
    first.child.wait().unwrap();
    let queued = store.outbox(Some("ops")).await.unwrap();
    assert!(queued.iter().all(|r| r.delivered.is_none()), "nothing delivered before the kill: {queued:?}");

    // The receiver comes back, then a new collector process: the message arrives.
    let hook = hook.restart().await;
    let mut second = Proc::spawn("collector-2", fleetwatch(&cfg).arg("collector"), dir.path());
    wait_for("the message at the receiver", LIMIT, || async { (ups(&hook.log) > 0).then_some(()) }).await;
    second.assert_running();
    // Once: the outbox is drained and two further cycles (the killed process ends none, and a
    // restarted collector keeps its member id) tell nothing again.
    let last_cycle_end = || async { store.collector_stats().await.unwrap().into_iter().map(|s| s.at).max() };
    let mut seen = last_cycle_end().await;
    for _ in 0..2 {
        seen = Some(
            wait_for("another cycle of the restarted collector", LIMIT, || async {
                last_cycle_end().await.filter(|at| Some(*at) > seen)
            })
            .await,
        );
    }
    wait_for("an empty outbox", LIMIT, || async {
        store.outbox(Some("ops")).await.unwrap().iter().all(|r| r.delivered.is_some()).then_some(())
    })
    .await;
    assert_eq!(ups(&hook.log), 1, "exactly once: {:?}\n{}", hook.log.delivered(), second.log_text());
    assert_eq!(store.outbox(Some("ops")).await.unwrap().len(), 1, "one message was ever queued");
    second.stop(Duration::from_secs(30)).await;
}
