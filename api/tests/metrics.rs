//! `GET /metrics` on a real listener, against SQLite and PostgreSQL, read by the real peer:
//! `promtool check metrics` (Debian's `prometheus` package) must accept the answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as Age, Utc};
use fleetwatch_alerts::{AlertBook, AlertState, Severity};
use fleetwatch_api::AppState;
use fleetwatch_common::{OfflineReason, Sample, Thresholds};
use fleetwatch_store::{ChannelResult, CollectorStats, Evaluation, NewNotification, Store};
use fleetwatch_testkit::PgTestDb;

mod common;
use common::{Api, alert, meta};

/// `web-1` healthy with a full sample, `db-1` failing authentication, `odd` (a tag that needs
/// escaping) never collected; `web-1` has a firing alert, `db-1` a pending one; one
/// notification waits; channel `ops` works, `chat` fails.
async fn seed(store: &dyn Store) {
    store.migrate().await.unwrap();
    let now = Utc::now();
    let web = Sample {
        server_name: "web-1".into(),
        cpu_percent: Some(42.5),
        cpu_load_1min: Some(0.25),
        cpu_load_5min: Some(0.5),
        cpu_load_15min: Some(0.75),
        ram_percentage: Some(61.0),
        swap_percentage: None,
        disk_percentage: Some(70.5),
        logged_users: Some(2),
        tcp_connections: Some(17),
        uptime_seconds: Some(86400),
        timestamp: now - Age::seconds(30),
        ..Sample::default()
    };
    store.record_success(&web, &[], None, 5).await.unwrap();
    let db = Sample { server_name: "db-1".into(), cpu_percent: Some(99.0), timestamp: now - Age::hours(2), ..web };
    store.record_success(&db, &[], None, 5).await.unwrap();
    store.record_failure("db-1", now, OfflineReason::AuthenticationFailed, "denied", 5).await.unwrap();

    let at = now - Age::minutes(30);
    let servers = ["web-1", "db-1"].map(String::from);
    let book = AlertBook::from_alerts([
        ("web-1".to_string(), alert("disk-full", "/var", AlertState::Firing, Severity::Critical, at)),
        ("db-1".to_string(), alert("cpu-high", "", AlertState::Pending, Severity::Warning, at)),
    ]);
    let notes = [NewNotification { channel: "ops".into(), payload: "{}".into() }];
    let e = Evaluation { servers: &servers, book: &book, transitions: &[], notifications: &notes, member: None };
    store.save_evaluation(e, now).await.unwrap();
    for (channel, ok) in [("ops", true), ("chat", false), ("chat", false)] {
        let r = ChannelResult { channel: channel.into(), ok, at: now, error: (!ok).then(|| "HTTP 500".into()) };
        store.record_channel_result(&r).await.unwrap();
    }
    // A collector process (any, anywhere) after its third cycle.
    let stats = CollectorStats {
        member: "box-7-123".into(),
        at: now,
        last_cycle_ms: 2_250,
        servers_ok: 1,
        servers_failed: 1,
        cycles: 3,
        cycle_secs_sum: 6.5,
        buckets: vec![(0.5, 0), (1.0, 0), (2.5, 2), (5.0, 3)],
    };
    store.record_collector_stats(&stats, now - Age::days(1)).await.unwrap();
}

/// Runs `promtool check metrics` on `text`: its exit success and its output.
fn promtool(text: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus, see .ci/test-deps.sh)");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), said)
}

async fn scrape(store: Arc<dyn Store>) {
    seed(store.as_ref()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>fleetwatch</html>").unwrap();
    let servers = vec![meta("web-1", &["prod", "web"]), meta("db-1", &["db"]), meta("odd", &["a\"b\\c"])];
    let state = AppState::new(store, servers, Thresholds::default(), Duration::from_secs(3600), 30);
    let api = Api::serve(state, dir).await;

    let r = api.client.get(format!("{}/metrics", api.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ctype = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    let text = r.text().await.unwrap();

    let (ok, said) = promtool(&text);
    assert!(ok, "promtool rejects the answer: {said}\n{text}");
    // Lint findings (not errors) are printed but allowed; none is expected.
    assert_eq!(said.trim(), "", "promtool's lint findings:\n{said}");

    for line in [
        r#"fleetwatch_cpu_percent{server="web-1",tags="prod,web"} 42.5"#,
        r#"fleetwatch_load15{server="web-1",tags="prod,web"} 0.75"#,
        r#"fleetwatch_tcp_connections{server="web-1",tags="prod,web"} 17"#,
        r#"fleetwatch_uptime_seconds{server="web-1",tags="prod,web"} 86400"#,
        r#"fleetwatch_cpu_percent{server="db-1",tags="db"} 99"#,
        r#"fleetwatch_server_up{server="web-1",tags="prod,web"} 1"#,
        r#"fleetwatch_server_up{server="db-1",tags="db"} 0"#,
        r#"fleetwatch_server_up{server="odd",tags="a\"b\\c"} 0"#,
        r#"fleetwatch_alerts{state="firing",severity="critical"} 1"#,
        r#"fleetwatch_alerts{state="pending",severity="warning"} 1"#,
        r#"fleetwatch_alerts{state="firing",severity="warning"} 0"#,
        r#"fleetwatch_alert_firing{server="web-1",rule="disk-full",instance="/var",severity="critical"} 1"#,
        "fleetwatch_notification_outbox_depth 1",
        r#"fleetwatch_channel_up{channel="ops"} 1"#,
        r#"fleetwatch_channel_up{channel="chat"} 0"#,
        r#"fleetwatch_notifications_total{channel="ops",result="sent"} 1"#,
        r#"fleetwatch_notifications_total{channel="chat",result="failed"} 2"#,
        r#"fleetwatch_collector_last_cycle_seconds{member="box-7-123"} 2.25"#,
        r#"fleetwatch_collector_servers{member="box-7-123",result="failed"} 1"#,
        r#"fleetwatch_collector_cycle_duration_seconds_bucket{member="box-7-123",le="2.5"} 2"#,
        r#"fleetwatch_collector_cycle_duration_seconds_bucket{member="box-7-123",le="+Inf"} 3"#,
        r#"fleetwatch_collector_cycle_duration_seconds_count{member="box-7-123"} 3"#,
        r#"fleetwatch_collector_cycle_duration_seconds_sum{member="box-7-123"} 6.5"#,
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
    }
    assert!(!text.contains("fleetwatch_swap_percent{"), "a missing reading is left out:\n{text}");
    assert!(!text.contains("cpu-high"), "a pending alert is not firing:\n{text}");
    assert!(text.contains("fleetwatch_server_last_sample_timestamp_seconds{server=\"web-1\""), "{text}");
}

#[tokio::test]
async fn metrics_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::from(fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("m.db").display())).await.unwrap());
    scrape(store).await;
}

#[tokio::test]
async fn metrics_on_postgres() {
    let db = PgTestDb::create().await;
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&db.url).await.unwrap());
    scrape(store).await;
}

/// The checker itself catches a broken exposition, so the test above can fail.
#[test]
fn promtool_rejects_a_broken_exposition() {
    let (ok, said) = promtool("# TYPE x gauge\nx{a=\"unterminated} 1\n");
    assert!(!ok, "{said}");
}
