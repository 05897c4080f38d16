//! User activity over time through the API, against SQLite and PostgreSQL: a user's history per
//! server per day, the top users over a window (and the latest moment without one, as before),
//! the users spreadsheet's sheets read back with openpyxl, and bad windows refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fleetwatch_api::AppState;
use fleetwatch_common::{Sample, Thresholds};
use fleetwatch_store::{Store, UserUsage};
use fleetwatch_testkit::PgTestDb;
use serde_json::Value;

mod common;
use common::{Api, bytes, meta, read_xlsx};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn user(name: &str, cpu: f64, disk: Option<f64>) -> UserUsage {
    UserUsage {
        username: name.into(),
        cpu,
        mem: 2.0,
        rss_bytes: 1 << 20,
        process_count: 2,
        top_process: "job".into(),
        disk_bytes: disk,
    }
}

async fn record(store: &dyn Store, server: &str, at: &str, users: &[UserUsage]) {
    let sample = Sample { server_name: server.into(), timestamp: t(at), cpu_percent: Some(5.0), ..Sample::default() };
    store.record_success(&sample, users, None, 1).await.unwrap();
}

/// web-1: alice at 10:00 (first sample: no interval), 10:10 (60 % for 10 minutes: 360 s) and
/// the next day at 09:00 (50 %, the interval capped at an hour: 1,800 s); bob at 10:10 (100 %:
/// 600 s). db-1: alice at 12:00 and 12:30 (20 % for 30 minutes: 360 s).
async fn seed(store: &dyn Store) {
    store.migrate().await.unwrap();
    record(store, "web-1", "2026-01-01T10:00:00Z", &[user("alice", 10.0, None)]).await;
    record(store, "web-1", "2026-01-01T10:10:00Z", &[user("alice", 60.0, None), user("bob", 100.0, None)]).await;
    record(store, "web-1", "2026-01-02T09:00:00Z", &[user("alice", 50.0, Some(1.0e6))]).await;
    record(store, "db-1", "2026-01-01T12:00:00Z", &[user("alice", 5.0, None)]).await;
    record(store, "db-1", "2026-01-01T12:30:00Z", &[user("alice", 20.0, None)]).await;
    store.record_user_disk("web-1", t("2026-01-02T09:00:00Z"), &[("alice".into(), 5_000_000)]).await.unwrap();
}

async fn start(store: Arc<dyn Store>) -> Api {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>fleetwatch</html>").unwrap();
    let servers = vec![meta("web-1", &["web"]), meta("db-1", &["db"])];
    let state = AppState::new(store, servers, Thresholds::default(), Duration::from_secs(3600), 30);
    Api::serve(state, dir).await
}

const WINDOW: &str = "from=2026-01-01T00:00:00Z&to=2026-01-02T23:59:59Z";

/// (day, server, CPU seconds, samples) of each row.
fn rows(v: &Value) -> Vec<(String, String, f64, i64)> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|r| {
            (
                r["day"].as_str().unwrap().to_owned(),
                r["server_name"].as_str().unwrap().to_owned(),
                r["cpu_seconds"].as_f64().unwrap(),
                r["samples"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn row(day: &str, server: &str, cpu: f64, samples: i64) -> (String, String, f64, i64) {
    (day.into(), server.into(), cpu, samples)
}

async fn history(api: &Api) {
    let (s, b) = api.get(&format!("/api/users/alice/history?{WINDOW}")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        rows(&b),
        [
            row("2026-01-01", "db-1", 360.0, 2),
            row("2026-01-01", "web-1", 360.0, 2),
            row("2026-01-02", "web-1", 1800.0, 1)
        ]
    );
    assert_eq!(b[0]["username"], "alice");
    assert_eq!((b[0]["cpu_percent_max"].as_f64(), b[0]["rss_bytes_max"].as_i64()), (Some(20.0), Some(1 << 20)));
    assert_eq!(b[2]["disk_bytes"].as_f64(), Some(1.0e6));
    assert_eq!(b[0]["sessions"], Value::Null, "no details: sessions unknown");

    let (s, b) = api.get(&format!("/api/users/alice/history?{WINDOW}&server=db-1")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(rows(&b), [row("2026-01-01", "db-1", 360.0, 2)]);
    let (s, b) = api.get("/api/users/alice/history?from=2026-01-02T08:00:00Z&to=2026-01-02T10:00:00Z").await;
    assert_eq!((s, rows(&b)), (200, vec![row("2026-01-02", "web-1", 1800.0, 1)]), "whole days of the window");
    let (s, b) = api.get(&format!("/api/users/nobody/history?{WINDOW}")).await;
    assert_eq!((s, b), (200, Value::Array(vec![])));
    assert_eq!(api.get(&format!("/api/users/alice/history?{WINDOW}&server=ghost")).await.0, 404);
}

async fn top(api: &Api) {
    let (s, b) = api.get(&format!("/api/users/top?{WINDOW}")).await;
    assert_eq!(s, 200, "{b}");
    let users: Vec<(&str, f64, i64)> = b
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["username"].as_str().unwrap(), u["cpu_seconds"].as_f64().unwrap(), u["days"].as_i64().unwrap()))
        .collect();
    assert_eq!(users, [("alice", 2520.0, 2), ("bob", 600.0, 1)], "most CPU time first");
    assert_eq!(b[0]["servers"], serde_json::json!(["db-1", "web-1"]));
    let (_, b) = api.get(&format!("/api/users/top?{WINDOW}&tag=db")).await;
    assert_eq!((b[0]["username"].as_str(), b[0]["cpu_seconds"].as_f64()), (Some("alice"), Some(360.0)));
    assert_eq!(b.as_array().unwrap().len(), 1);
    let (_, b) = api.get(&format!("/api/users/top?{WINDOW}&limit=1")).await;
    assert_eq!(b.as_array().unwrap().len(), 1);

    // Without a window: the latest samples' users, as before.
    let (s, b) = api.get("/api/users/top").await;
    assert_eq!(s, 200);
    let latest: Vec<(&str, &str, f64)> = b
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["username"].as_str().unwrap(), u["server_name"].as_str().unwrap(), u["cpu"].as_f64().unwrap()))
        .collect();
    assert_eq!(latest, [("alice", "web-1", 50.0), ("alice", "db-1", 20.0)]);
    assert_eq!(b[0]["disk"].as_f64(), Some(5.0e6));
}

async fn spreadsheet(api: &Api) {
    let (s, ctype, body) = bytes(api, &format!("/api/export/users.xlsx?{WINDOW}")).await;
    assert_eq!(s, 200);
    assert!(ctype.contains("spreadsheetml"), "{ctype}");
    let book = read_xlsx(&body);
    let sheets: Vec<&String> = book.as_object().unwrap().keys().collect();
    for name in ["Top users", "User days", "User totals", "Overview"] {
        assert!(sheets.iter().any(|s| *s == name), "no sheet {name}: {sheets:?}");
    }
    let latest = book["Top users"]["rows"].as_array().unwrap();
    let disk = latest[0].as_array().unwrap().iter().position(|c| c == "Disk").expect("a disk column");
    assert_eq!((latest[1][0].as_str(), latest[1][disk].as_f64()), (Some("alice"), Some(5.0e6)));

    let days = book["User days"]["rows"].as_array().unwrap();
    assert_eq!(days[0][0], "Day (UTC)");
    let col = |name: &str| days[0].as_array().unwrap().iter().position(|c| c == name).unwrap();
    let (cpu, user, server) = (col("CPU time (s)"), col("User"), col("Server"));
    let got: Vec<(&str, &str, &str, f64)> = days[1..]
        .iter()
        .map(|r| {
            (r[0].as_str().unwrap(), r[user].as_str().unwrap(), r[server].as_str().unwrap(), r[cpu].as_f64().unwrap())
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2026-01-01T00:00:00", "alice", "db-1", 360.0),
            ("2026-01-01T00:00:00", "alice", "web-1", 360.0),
            ("2026-01-01T00:00:00", "bob", "web-1", 600.0),
            ("2026-01-02T00:00:00", "alice", "web-1", 1800.0),
        ]
    );
    assert_eq!(book["User days"]["freeze"], "A2");

    let totals = book["User totals"]["rows"].as_array().unwrap();
    let col = |name: &str| totals[0].as_array().unwrap().iter().position(|c| c == name).unwrap();
    assert_eq!(totals.len(), 3, "header, alice, bob");
    assert_eq!((totals[1][0].as_str(), totals[1][col("CPU time (s)")].as_f64()), (Some("alice"), Some(2520.0)));
    assert_eq!(totals[1][col("Servers")], "db-1, web-1");
    assert_eq!(totals[1][col("Disk")].as_f64(), Some(1.0e6), "the day's own measurement, per server");
    assert_eq!(totals[2][col("Disk")], Value::Null);

    let (_, b) = api.get(&format!("/api/export/users.json?{WINDOW}&q=bo")).await;
    assert_eq!(b["User totals"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b["User totals"][0]["username"], "bob");
}

async fn bad_windows(api: &Api) {
    let cases = [
        "/api/users/alice/history?from=yesterday",
        "/api/users/alice/history?to=2026-13-01",
        "/api/users/alice/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "/api/users/top?from=nope",
        "/api/users/top?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "/api/export/users.xlsx?from=nope",
        "/api/export/users.json?to=x",
    ];
    for path in cases {
        let (s, b) = api.get(path).await;
        assert_eq!(s, 400, "{path}: {b}");
        assert_eq!((b["success"].as_bool(), b["details"]["code"].as_str()), (Some(false), Some("BAD_REQUEST")), "{b}");
        let message = b["error"].as_str().unwrap();
        assert!(message.contains("from") || message.contains("to:"), "{path}: {message:?} names the parameter");
    }
}

async fn story(store: Arc<dyn Store>) {
    seed(store.as_ref()).await;
    let api = start(store).await;
    history(&api).await;
    top(&api).await;
    spreadsheet(&api).await;
    bad_windows(&api).await;
}

#[tokio::test]
async fn user_activity_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("a.db").display());
    story(Arc::from(fleetwatch_store::connect(&url).await.unwrap())).await;
}

#[tokio::test]
async fn user_activity_on_postgres() {
    let db = PgTestDb::create().await;
    let url = db.url.clone();
    let outcome = tokio::spawn(async move {
        story(Arc::from(fleetwatch_store::connect(&url).await.unwrap())).await;
    })
    .await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
