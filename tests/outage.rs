//! A database outage while a `fleetwatch collector` runs on PostgreSQL: the collector finds it
//! once, keeps polling the servers it held, spools their samples to disk, and writes them,
//! with the times they were taken, when the database is back. The outage is made on the test's
//! own database (connections refused and terminated), never on the shared server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use fleetwatch_store::TimeRange;
use fleetwatch_testkit::{PgTestDb, Proc, run, text, wait_until};

const SERVERS: usize = 3;

fn config(dir: &Path, url: &str) -> PathBuf {
    let mut toml = format!(
        "database_url = \"{url}\"\n[collector]\nschedule = \"* * * * * *\"\ncollect_on_start = true\nretries = 1\n\
         member_timeout_secs = 4\nstate_dir = \"{}\"\n",
        dir.join("state").display()
    );
    for i in 0..SERVERS {
        toml += &format!("[[servers]]\nname = \"node-{i}\"\ntransport = \"local\"\n");
    }
    let path = dir.join("fw.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// Runs SQL on the server's `postgres` database as the admin.
fn admin_sql(db: &PgTestDb, sql: &str) {
    let admin = fleetwatch_testkit::pg::with_database(&db.url, "postgres");
    let out = run(Command::new("psql").arg(&admin).args(["-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]));
    assert!(out.status.success(), "psql {sql}: {}", text(&out));
}

/// The test database refuses new connections and loses the open ones.
fn break_database(db: &PgTestDb) {
    let name = db.name();
    admin_sql(db, &format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"));
    admin_sql(
        db,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ),
    );
}

fn mend_database(db: &PgTestDb) {
    admin_sql(db, &format!("ALTER DATABASE \"{}\" ALLOW_CONNECTIONS true", db.name()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_taken_while_the_database_is_down_are_stored_when_it_returns() {
    let db = PgTestDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &db.url);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetwatch"));
    cmd.arg("--config").arg(&cfg).arg("collector").env_remove("DATABASE_URL").env("RUST_BACKTRACE", "0");
    let mut collector = Proc::spawn("collector", &mut cmd, dir.path());
    let store = wait_until("the collector to migrate the database", Duration::from_secs(30), || async {
        let store = fleetwatch_store::connect(&db.url).await.map_err(|e| e.to_string())?;
        store.server_states().await.map_err(|e| e.to_string())?;
        Ok(store)
    })
    .await;
    wait_until("every server collected once", Duration::from_secs(60), || {
        collector.assert_running();
        let store = store.as_ref();
        async move {
            let n = store.latest_samples().await.map_err(|e| e.to_string())?.len();
            if n == SERVERS { Ok(()) } else { Err(format!("{n} servers collected")) }
        }
    })
    .await;

    break_database(&db);
    let down_at = Utc::now();
    // Three cycles' samples spooled. The outage is found once; after that no cycle waits on the
    // database (at most one lease read fails, in the cycle that found it).
    wait_until("three cycles spooled during the outage", Duration::from_secs(60), || {
        collector.assert_running();
        let cycles = collector.log_text().matches("samples spooled to disk").count();
        std::future::ready(if cycles >= 3 { Ok(()) } else { Err(format!("{cycles} cycles so far")) })
    })
    .await;
    let log = collector.log_text();
    assert_eq!(log.matches("database unreachable: cycles go on without it").count(), 1, "{log}");
    assert!(log.matches("cannot read the collector leases").count() <= 1, "{log}");
    let up_at = Utc::now();
    mend_database(&db);

    // Every server's samples taken during the outage are stored, stamped within it.
    wait_until("the outage's samples stored", Duration::from_secs(60), || {
        collector.assert_running();
        let store = store.as_ref();
        async move {
            for i in 0..SERVERS {
                let name = format!("node-{i}");
                let pts = store.history(&name, TimeRange::since(down_at)).await.map_err(|e| e.to_string())?;
                let during = pts.iter().filter(|p| p.timestamp > down_at && p.timestamp < up_at).count();
                if during < 2 {
                    return Err(format!("{name}: {during} samples stamped within the outage"));
                }
            }
            Ok(())
        }
    })
    .await;
    assert!(collector.log_text().contains("database reachable again"), "{}", collector.log_text());
    assert!(collector.stop(Duration::from_secs(30)).await.success(), "{}", collector.log_text());
    drop(store);
    db.drop_db().await;
}
