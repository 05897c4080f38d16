//! A collector killed with `kill -9` and started again takes its own servers back at once: its
//! member identity is stable across restarts, so its leases are its own again although the dead
//! process's heartbeat has not expired (`member_timeout_secs = 600` here). And two live processes
//! never share one identity: a second one with the same config refuses to start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use fleetwatch_store::Store;
use fleetwatch_testkit::{Proc, Sshd, wait_until};

fn config(dir: &Path, sshd: &Sshd) -> PathBuf {
    let toml = format!(
        "database_url = \"sqlite://{d}/fw.db\"\n[collector]\nschedule = \"* * * * * *\"\ncollect_on_start = true\n\
         retries = 1\nmember_timeout_secs = 600\nstate_dir = \"{d}/state\"\n{}",
        sshd.server_toml("web-1"),
        d = dir.display(),
    );
    let path = dir.join("fw.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

fn collector(name: &str, cfg: &Path, dir: &Path) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetwatch"));
    cmd.arg("--config").arg(cfg).arg("collector").env_remove("DATABASE_URL").env("RUST_BACKTRACE", "0");
    Proc::spawn(name, &mut cmd, dir)
}

async fn sample_after(store: &dyn Store, after: DateTime<Utc>) -> Result<(), String> {
    match store.latest_sample("web-1").await {
        Ok(Some(s)) if s.timestamp > after => Ok(()),
        Ok(s) => Err(format!("latest sample: {:?}", s.map(|s| s.timestamp))),
        Err(e) => Err(e.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_restarted_after_kill_9_collects_again_at_once() {
    let sshd = Sshd::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &sshd);
    let started = Utc::now();
    let mut first = collector("first", &cfg, dir.path());
    let url = format!("sqlite://{}/fw.db", dir.path().display());
    let store = wait_until("the database to be created", Duration::from_secs(30), || async {
        fleetwatch_store::connect(&url).await.map_err(|e| e.to_string())
    })
    .await;
    wait_until("a first sample", Duration::from_secs(60), || {
        first.assert_running();
        sample_after(store.as_ref(), started)
    })
    .await;

    // The same identity twice at once: the second process refuses, saying why.
    let mut twin = collector("twin", &cfg, dir.path());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = twin.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "a second collector with the same identity kept running");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!status.success());
    let said = twin.log_text();
    assert!(said.contains("already running"), "{said}");
    first.assert_running();

    // kill -9, then the same collector again: it holds its lease again and collects, long before
    // the dead process's heartbeat (600 s) would have expired.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let killed_at = Utc::now();
    let mut again = collector("again", &cfg, dir.path());
    wait_until("a sample from the restarted collector", Duration::from_secs(60), || {
        again.assert_running();
        sample_after(store.as_ref(), killed_at)
    })
    .await;
    assert!(again.stop(Duration::from_secs(30)).await.success(), "{}", again.log_text());
}
