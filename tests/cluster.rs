//! Two `fleetwatch collector` processes on one PostgreSQL database split the fleet without
//! polling a server twice; when one is killed the other takes its servers over; SIGTERM makes a
//! collector leave cleanly and exit 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use fleetwatch_store::{Store, TimeRange};
use fleetwatch_testkit::{KillOnDrop, PgTestDb, wait_for};

const SERVERS: usize = 16;

/// A config file of its own for `member`: the path is part of the default member identity, so
/// the two collectors on this machine are two members.
fn config(dir: &std::path::Path, url: &str, member: &str) -> std::path::PathBuf {
    let mut toml = format!(
        "database_url = \"{url}\"\n[collector]\nschedule = \"*/2 * * * * *\"\ncollect_on_start = false\nretries = 1\nmember_timeout_secs = 4\nstate_dir = \"{}\"\n",
        dir.join("state").display()
    );
    for i in 0..SERVERS {
        toml += &format!("[[servers]]\nname = \"node-{i:02}\"\ntransport = \"local\"\n");
    }
    let path = dir.join(format!("fleetwatch-{member}.toml"));
    std::fs::write(&path, toml).unwrap();
    path
}

fn collector(config: &std::path::Path) -> KillOnDrop {
    KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
            .arg("--config")
            .arg(config)
            .arg("collector")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

async fn holders(store: &dyn Store) -> HashMap<String, String> {
    store.leases().await.unwrap().into_iter().collect()
}

/// At most one sample per server per 2-second tick. Cycles start on even seconds in every
/// process (there is no collection at start in this config), so two members polling the same
/// server would leave two samples in the same tick window.
async fn assert_no_double_polling(store: &dyn Store) {
    for i in 0..SERVERS {
        let name = format!("node-{i:02}");
        let pts = store.history(&name, TimeRange::since(Utc::now() - chrono::Duration::hours(1))).await.unwrap();
        let mut ticks = HashSet::new();
        for p in &pts {
            let tick = p.timestamp.timestamp().div_euclid(2);
            assert!(ticks.insert(tick), "{name} polled twice in the tick of {}: {pts:?}", p.timestamp);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_split_the_fleet_and_take_over_a_dead_ones_servers() {
    let db = PgTestDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &db.url, "a");
    let cfg_b = config(dir.path(), &db.url, "b");
    let status =
        Command::new(env!("CARGO_BIN_EXE_fleetwatch")).arg("--config").arg(&cfg).arg("migrate").status().unwrap();
    assert!(status.success());
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&db.url).await.unwrap());

    let mut a = collector(&cfg);
    let first = wait_for("member A to hold every lease", Duration::from_secs(60), || async {
        let h = holders(store.as_ref()).await;
        let members: HashSet<_> = h.values().cloned().collect();
        (h.len() == SERVERS && members.len() == 1).then(|| members.into_iter().next().unwrap())
    })
    .await;

    let health = |cfg: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
            .arg("--config")
            .arg(cfg)
            .args(["healthcheck", "--collector"])
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    assert!(health(&cfg), "a live collector on this host is healthy");

    let mut b = collector(&cfg_b);
    let second = wait_for("the fleet to be split between A and B", Duration::from_secs(60), || async {
        let h = holders(store.as_ref()).await;
        let members: HashSet<_> = h.values().cloned().collect();
        (h.len() == SERVERS && members.len() == 2).then(|| members.into_iter().find(|m| *m != first).unwrap())
    })
    .await;
    // Let both collect a few cycles side by side.
    let split_at = Utc::now();
    wait_for("every server collected again after the split", Duration::from_secs(60), || async {
        let latest = store.latest_samples().await.unwrap();
        (latest.len() == SERVERS && latest.iter().all(|s| s.timestamp > split_at + chrono::Duration::seconds(4)))
            .then_some(())
    })
    .await;
    assert_no_double_polling(store.as_ref()).await;

    // A dies without a word: B takes every server over and collects it.
    a.0.kill().unwrap();
    a.0.wait().unwrap();
    let killed_at = Utc::now();
    wait_for("B to hold every lease", Duration::from_secs(60), || async {
        let h = holders(store.as_ref()).await;
        (h.len() == SERVERS && h.values().all(|m| *m == second)).then_some(())
    })
    .await;
    wait_for("every server collected after the takeover", Duration::from_secs(60), || async {
        let latest = store.latest_samples().await.unwrap();
        (latest.iter().filter(|s| s.timestamp > killed_at).count() == SERVERS).then_some(())
    })
    .await;
    assert_no_double_polling(store.as_ref()).await;

    // SIGTERM: B finishes its cycle, leaves (its leases go at once) and exits 0.
    let pid = b.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(status) = b.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "collector did not exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(code.success(), "exit status after SIGTERM: {code:?}");
    assert!(holders(store.as_ref()).await.is_empty(), "a leaving member gives its leases back");
    assert!(!health(&cfg_b), "B is gone");
    drop(store);
}
