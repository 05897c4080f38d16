//! The API on a real listener, against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as Age, Utc};
use fleetwatch_api::AppState;
use fleetwatch_common::{CpuBreakdown, CpuStats, Details, OfflineReason, ProcessInfo, Sample, Thresholds};
use fleetwatch_store::{Store, UserUsage};
use fleetwatch_testkit::PgTestDb;
use serde_json::Value;

mod common;
use common::{Api, bytes, meta, read_xlsx};

fn sample(name: &str, minutes_ago: i64, cpu: f64, ram: f64, disk: f64) -> Sample {
    Sample {
        server_name: name.into(),
        cpu_percent: Some(cpu),
        cpu_load_1min: Some(0.5),
        cpu_load_5min: Some(0.4),
        cpu_load_15min: Some(0.3),
        ram_percentage: Some(ram),
        swap_percentage: Some(0.0),
        disk_percentage: Some(disk),
        logged_users: Some(2),
        tcp_connections: Some(7),
        uptime_seconds: Some(3600),
        timestamp: Utc::now() - Age::minutes(minutes_ago),
        ..Default::default()
    }
}

fn user(name: &str, cpu: f64) -> UserUsage {
    UserUsage {
        username: name.into(),
        cpu,
        mem: 1.0,
        rss_bytes: 1 << 20,
        process_count: 3,
        top_process: "x".into(),
        disk_bytes: None,
    }
}

/// Three servers: `web-1` healthy with history, `db-1` critical CPU, `down` failing auth.
async fn seed(store: &dyn Store) {
    store.migrate().await.unwrap();
    for m in [30, 20, 10] {
        store
            .record_success(
                &sample("web-1", m, 10.0 + m as f64, 40.0, 50.0),
                &[user("alice", 5.0), user("bob", 50.0)],
                None,
                5,
            )
            .await
            .unwrap();
    }
    let details = Details {
        server_name: "db-1".into(),
        timestamp: Utc::now() - Age::minutes(1),
        cpu: Some(CpuStats {
            total: Some(CpuBreakdown { name: "cpu".into(), busy: 95.0, user: 90.0, system: 5.0, ..Default::default() }),
            core_count: 4,
            ..Default::default()
        }),
        processes_by_cpu: vec![ProcessInfo {
            pid: 42,
            user: "postgres".into(),
            command: "postgres: vacuum".into(),
            cpu_percent: 88.0,
            ..Default::default()
        }],
        ..Default::default()
    };
    let db = sample("db-1", 1, 95.0, 80.0, 30.0);
    store.record_success(&db, &[user("postgres", 90.0)], Some(&details), 5).await.unwrap();
    store
        .record_failure(
            "down",
            Utc::now(),
            OfflineReason::AuthenticationFailed,
            "authentication failed for user monitor",
            3,
        )
        .await
        .unwrap();
}

async fn start(store: Arc<dyn Store>) -> Api {
    start_with(store, Duration::from_secs(3600)).await
}

async fn start_with(store: Arc<dyn Store>, stale_after: Duration) -> Api {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>fleetwatch</html>").unwrap();
    // A dashboard file with the gzipped copy frontend/build.sh writes next to it.
    std::fs::write(dir.path().join("app.js"), APP_JS).unwrap();
    std::fs::write(dir.path().join("app.js.gz"), gzip(APP_JS.as_bytes())).unwrap();
    let servers = vec![meta("web-1", &["web"]), meta("db-1", &["db"]), meta("down", &[])];
    let state = AppState::new(store, servers, Thresholds::default(), stale_after, 30);
    state.start_events(Duration::from_millis(50));
    Api::serve(state, dir).await
}

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["success"], false, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    assert_eq!(body["details"]["code"], code, "{body}");
    assert!(chrono::DateTime::parse_from_rfc3339(body["details"]["timestamp"].as_str().unwrap()).is_ok());
}

async fn story(api: &Api) {
    let (s, b) = api.get("/api/health").await;
    assert_eq!((s, b["status"].as_str()), (200, Some("healthy")));
    assert_eq!(api.get("/readyz").await.0, 200);
    assert_eq!(api.get("/healthz").await.0, 200);
    // Seed 000's probes are JSON endpoints of their own, not the page.
    let (s, b) = api.get("/health").await;
    assert_eq!((s, b["status"].as_str()), (200, Some("healthy")), "{b}");
    assert!(chrono::DateTime::parse_from_rfc3339(b["timestamp"].as_str().unwrap()).is_ok(), "{b}");
    let (s, b) = api.get("/ready").await;
    assert_eq!((s, b["status"].as_str(), b["database"].as_str()), (200, Some("ready"), Some("ok")), "{b}");

    let (s, latest) = api.get("/api/servers/metrics/latest").await;
    assert_eq!(s, 200);
    let latest = latest.as_array().unwrap();
    assert_eq!(latest.len(), 2);
    let web = latest.iter().find(|l| l["server_name"] == "web-1").unwrap();
    for f in [
        "server_name",
        "cpu_percent",
        "cpu_load_1min",
        "cpu_load_5min",
        "cpu_load_15min",
        "ram_percentage",
        "swap_percentage",
        "disk_percentage",
        "logged_users",
        "tcp_connections",
        "uptime_seconds",
        "timestamp",
    ] {
        assert!(web.get(f).is_some(), "latest lacks {f}: {web}");
    }
    assert_eq!(web["cpu_percent"], 20.0, "the newest of three samples");

    let (s, hist) = api.get("/api/servers/web-1/metrics/historical/1").await;
    assert_eq!(s, 200);
    let cpus: Vec<f64> = hist.as_array().unwrap().iter().map(|p| p["cpu_percent"].as_f64().unwrap()).collect();
    assert_eq!(cpus, vec![40.0, 30.0, 20.0], "oldest first");
    for bad in ["0", "8761", "abc", "-1"] {
        let (s, b) = api.get(&format!("/api/servers/web-1/metrics/historical/{bad}")).await;
        assert_eq!(s, 400, "hours={bad} {b}");
        assert_error(&b, "BAD_REQUEST");
    }
    let (s, b) = api.get("/api/servers/nope/metrics/historical/1").await;
    assert_eq!(s, 404);
    assert_error(&b, "NOT_FOUND");

    let (_, st) = api.get("/api/servers/db-1/status").await;
    assert_eq!((st["status"].as_str(), st["cpu_status"].as_str()), (Some("critical"), Some("critical")));
    assert_eq!(st["ram_status"], "warning");
    let (_, st) = api.get("/api/servers/down/status").await;
    assert_eq!((st["status"].as_str(), st["reason"].as_str()), (Some("offline"), Some("authentication failed")));
    let (s, b) = api.get("/api/servers/ghost/status").await;
    assert_eq!(s, 404);
    assert_error(&b, "NOT_FOUND");

    let (_, list) = api.get("/api/servers").await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["web-1", "db-1", "down"]);
    assert_eq!(list[0]["tags"][0], "web");
    assert_eq!(list[0]["status"]["status"], "healthy");

    let (_, top) = api.get("/api/users/top?limit=2").await;
    let top = top.as_array().unwrap();
    assert_eq!(top.len(), 2);
    assert_eq!((top[0]["username"].as_str(), top[0]["server_name"].as_str()), (Some("postgres"), Some("db-1")));
    assert_eq!(top[1]["username"], "bob");
    for f in ["username", "server_name", "cpu", "mem", "disk", "process_count", "top_process", "timestamp"] {
        assert!(top[0].get(f).is_some(), "top user lacks {f}");
    }
    let (_, only) = api.get("/api/users/top?server=web-1").await;
    assert!(only.as_array().unwrap().iter().all(|u| u["server_name"] == "web-1"));
    assert_eq!(only.as_array().unwrap().len(), 2);
    let (s, b) = api.get("/api/users/top?limit=0").await;
    assert_eq!(s, 400);
    assert_error(&b, "BAD_REQUEST");

    let (_, ov) = api.get("/api/system/overview").await;
    assert_eq!(
        (ov["total_servers"].as_i64(), ov["online_servers"].as_i64(), ov["offline_servers"].as_i64()),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(ov["avg_cpu"].as_f64(), Some((20.0 + 95.0) / 2.0));
    assert_eq!(ov["total_users"], 4);
    let alerts = ov["alerts"].as_array().unwrap();
    assert!(alerts.iter().any(|a| a["server"] == "down" && a["type"] == "offline"));
    assert!(alerts.iter().any(|a| a["server"] == "db-1" && a["type"] == "critical"));
    assert!(!alerts.iter().any(|a| a["server"] == "web-1"));

    // Range with downsampling, and its validation.
    let from = (Utc::now() - Age::minutes(40)).to_rfc3339();
    let to = Utc::now().to_rfc3339();
    let q = |extra: &str| format!("/api/servers/web-1/metrics/range?from={}&to={}{extra}", enc(&from), enc(&to));
    let (s, pts) = api.get(&q("")).await;
    assert_eq!(s, 200, "{pts}");
    assert_eq!(pts.as_array().unwrap().len(), 3);
    let (_, one) = api.get(&q("&max_points=1")).await;
    assert_eq!(one[0]["samples"], 3);
    assert_eq!(one[0]["cpu_percent"], 30.0, "mean of 40, 30, 20");
    for bad in ["&max_points=0", "&max_points=x"] {
        assert_eq!(api.get(&q(bad)).await.0, 400, "{bad}");
    }
    let (s, b) = api.get(&format!("/api/servers/web-1/metrics/range?from={}&to={}", enc(&to), enc(&from))).await;
    assert_eq!(s, 400, "from after to");
    assert_error(&b, "BAD_REQUEST");
    assert_eq!(api.get("/api/servers/web-1/metrics/range?from=yesterday").await.0, 400);

    // Seed 001's `interval` (samples 10 minutes apart), and a window's summary.
    let (_, hourly) = api.get(&q("&interval=1h")).await;
    assert_eq!((hourly[0]["samples"].as_i64(), hourly.as_array().unwrap().len()), (Some(3), 1), "{hourly}");
    let (_, fives) = api.get(&q("&interval=5m")).await;
    assert_eq!(fives.as_array().unwrap().len(), 3, "{fives}");
    assert_eq!(api.get(&q("&interval=2m")).await.0, 400);
    let summary = format!("/api/servers/web-1/metrics/summary?from={}&to={}", enc(&from), enc(&to));
    let (s, sum) = api.get(&summary).await;
    assert_eq!(s, 200, "{sum}");
    let cpu = sum.as_array().unwrap().iter().find(|f| f["figure"] == "cpu_percent").unwrap();
    assert_eq!(
        (cpu["avg"].as_f64(), cpu["min"].as_f64(), cpu["max"].as_f64(), cpu["samples"].as_i64()),
        (Some(30.0), Some(20.0), Some(40.0), Some(3)),
        "{cpu}"
    );

    // Tag and name filters on top users.
    let (_, db) = api.get("/api/users/top?tag=db&limit=100").await;
    let names: Vec<&str> = db.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["postgres"]);
    let (_, q_bo) = api.get("/api/users/top?q=BO").await;
    assert_eq!(q_bo.as_array().unwrap().len(), 1);
    assert_eq!(q_bo[0]["username"], "bob");

    let (_, ui) = api.get("/api/ui-config").await;
    assert_eq!(ui["refresh_secs"], 30);

    exports(api).await;
    bad_parameters(api).await;

    // Sections of the latest details, and the named series behind charts.
    let (s, cpu) = api.get("/api/servers/db-1/cpu").await;
    assert_eq!(s, 200, "{cpu}");
    assert_eq!((cpu["server_name"].as_str(), cpu["data"]["total"]["busy"].as_f64()), (Some("db-1"), Some(95.0)));
    let (_, procs) = api.get("/api/servers/db-1/processes").await;
    assert_eq!(procs["data"]["by_cpu"][0]["command"], "postgres: vacuum");
    let (_, users) = api.get("/api/servers/db-1/users").await;
    assert_eq!(users["data"][0]["username"], "postgres");
    let (s, b) = api.get("/api/servers/db-1/containers").await;
    assert_eq!(s, 404, "no container runtime is a 404 the page hides");
    assert!(b["error"].as_str().unwrap().contains("docker"), "{b}");
    assert_eq!(api.get("/api/servers/web-1/cpu").await.0, 404, "no details collected");
    assert_eq!(api.get("/api/servers/db-1/bogus").await.0, 404);
    assert_eq!(api.get("/api/servers/db-1/cpu?at=yesterday").await.0, 400);
    let (_, book) = api.get("/api/export/metrics.json?server=db-1").await;
    assert_eq!(book["Top processes"][0]["pid"], 42.0, "top processes are exported where stored");
    let (_, names) = api.get("/api/servers/db-1/metrics/series").await;
    assert!(names.as_array().unwrap().iter().any(|n| n == "cpu.busy"), "{names}");
    let (_, pts) = api.get("/api/servers/db-1/metrics/series?name=cpu.user").await;
    assert_eq!(pts[0]["value"], 90.0);
    assert_eq!((pts[0]["min"].as_f64(), pts[0]["max"].as_f64()), (Some(90.0), Some(90.0)), "the band: {pts}");

    let (s, b) = api.get("/api/no/such/thing").await;
    assert_eq!(s, 404);
    assert_error(&b, "NOT_FOUND");
    let (s, b) = api.get("/").await;
    assert_eq!((s, b.as_str()), (200, Some("<html>fleetwatch</html>")));
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn exports(api: &Api) {
    let (s, ctype, body) = bytes(api, "/api/export/users.xlsx?tag=web").await;
    assert_eq!(s, 200);
    assert!(ctype.contains("spreadsheetml"), "{ctype}");
    let book = read_xlsx(&body);
    let users = &book["Top users"];
    assert_eq!(users["freeze"], "A2");
    assert!(users["filter"].as_str().unwrap().starts_with("A1:"));
    let rows = users["rows"].as_array().unwrap();
    assert_eq!(rows[0][0], "User");
    assert_eq!(rows.len(), 3, "header + alice and bob (tag web)");
    assert_eq!((rows[1][0].as_str(), rows[1][1].as_str()), (Some("bob"), Some("web-1")));
    assert_eq!(rows[1][2].as_f64(), Some(0.5), "50 % stored as a real percentage");
    assert_eq!(rows[1][4].as_f64(), Some(1048576.0), "bytes as a number");
    let (_, api_users) = api.get("/api/users/top?tag=web").await;
    let ts = chrono::DateTime::parse_from_rfc3339(api_users[0]["timestamp"].as_str().unwrap()).unwrap();
    let cell = chrono::NaiveDateTime::parse_from_str(rows[1][7].as_str().unwrap(), "%Y-%m-%dT%H:%M:%S%.f").unwrap();
    assert!((cell - ts.naive_utc()).num_milliseconds().abs() <= 1, "a real date: {cell} vs {ts}");
    let formats = users["formats"].as_array().unwrap();
    assert_eq!(formats[2], "0.0%");
    assert_eq!(book["Overview"]["rows"].as_array().unwrap().len(), 2, "header + web-1");

    let (s, _, body) = bytes(api, "/api/export/metrics.xlsx?server=web-1").await;
    assert_eq!(s, 200);
    let book = read_xlsx(&body);
    let hist = book["web-1"]["rows"].as_array().unwrap();
    assert_eq!(hist.len(), 4, "header + 3 samples: {hist:?}");
    assert_eq!(hist[1][1].as_f64(), Some(0.4), "oldest first, CPU 40 %");

    let (s, ctype, body) = bytes(api, "/api/export/users.csv?server=db-1").await;
    assert_eq!(s, 200);
    assert!(ctype.starts_with("text/csv"));
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("username,server_name,cpu") && text.contains("postgres,db-1,90"), "{text}");
    let (_, json) = api.get("/api/export/users.json").await;
    assert_eq!(json["Top users"].as_array().unwrap().len(), 3, "alice, bob, postgres");
    assert_eq!(api.get("/api/export/users.pdf").await.0, 404);
    assert_eq!(api.get("/api/export/passwords.csv").await.0, 404);
    assert_eq!(api.get("/api/export/metrics.csv?from=nope").await.0, 400);
}

/// A bad value of each typed parameter gets the one error body, whose message names the
/// parameter and what it accepts; axum's own rejection text never reaches a client.
async fn bad_parameters(api: &Api) {
    let range = "/api/servers/web-1/metrics/range";
    let cases = [
        (format!("{range}?from=yesterday"), 400, "from: expected an RFC 3339 time such as"),
        (format!("{range}?to=2026-13-01"), 400, "to: expected an RFC 3339 time"),
        (format!("{range}?max_points=0"), 400, "max_points: expected a whole number from 1 to 10000"),
        (format!("{range}?max_points=x"), 400, "got \"x\""),
        (format!("{range}?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"), 400, "from must be before to"),
        ("/api/servers/db-1/metrics/series?name=cpu.user&max_points=-1".into(), 400, "max_points: expected"),
        ("/api/servers/db-1/metrics/series?name=cpu.user&to=now".into(), 400, "to: expected an RFC 3339"),
        ("/api/servers/db-1/cpu?at=yesterday".into(), 400, "at: expected an RFC 3339 time"),
        ("/api/users/top?limit=1001".into(), 400, "limit: expected a whole number from 1 to 1000"),
        ("/api/servers/web-1/metrics/historical/abc".into(), 400, "hours: expected a whole number from 1 to 8760"),
        ("/api/servers/%FF/status".into(), 400, "server_name: not UTF-8"),
        ("/api/export/metrics.csv?from=nope".into(), 400, "from: expected an RFC 3339 time"),
        ("/api/export/metrics.json?server=db-1&to=x".into(), 400, "to: expected"),
        ("/api/users/top?server=ghost".into(), 404, "no server named \"ghost\""),
        ("/api/export/users.csv?server=ghost".into(), 404, "no server named \"ghost\""),
        ("/api/servers/db-1/bogus".into(), 404, "no section \"bogus\": use one of cpu, memory, disks"),
        ("/api/export/users.pdf".into(), 404, "use .xlsx, .csv or .json"),
        ("/api/export/passwords.csv".into(), 404, "try users or metrics"),
    ];
    for (path, status, says) in cases {
        let (s, b) = api.get(&path).await;
        assert_eq!(s, status, "{path}: {b}");
        assert_error(&b, if status == 400 { "BAD_REQUEST" } else { "NOT_FOUND" });
        let message = b["error"].as_str().unwrap();
        assert!(message.contains(says), "{path}: {message:?} does not say {says:?}");
        for axum in ["deserialize", "Invalid URL", "Failed to"] {
            assert!(!message.contains(axum), "{path}: axum's words reach the client: {message:?}");
        }
    }
    // A parameter only the other kind of export reads is not checked.
    assert_eq!(api.get("/api/export/users.json?max_points=0").await.0, 200);
}

/// A new collection result reaches an open `/api/events` stream as a `server` event.
async fn live_event_arrives(api: &Api, store: &dyn Store) {
    use futures::StreamExt;
    let resp = api.client.get(format!("{}/api/events", api.base)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut stream = resp.bytes_stream();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    // The hub compares each poll with the previous one, and its first poll after a listener
    // arrives only takes a reference: keep recording new samples until one shows up.
    while !seen.contains("\"name\":\"web-1\"") {
        assert!(tokio::time::Instant::now() < deadline, "no live event in time; got {seen:?}");
        store.record_success(&sample("web-1", 0, 77.0, 40.0, 50.0), &[], None, 5).await.unwrap();
        let wait = tokio::time::Instant::now() + Duration::from_millis(300);
        while let Ok(Some(chunk)) = tokio::time::timeout_at(wait, stream.next()).await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    }
    assert!(seen.contains("event: server"), "{seen}");
    assert!(seen.contains("\"cpu_percent\":77.0"), "{seen}");

    // The fleet's latest is kept serialised between requests, and rebuilt as soon as a sample
    // is stored: each answer is the store's latest at that moment, for every new sample.
    for cpu in [61.0, 62.0, 63.0] {
        store.record_success(&sample("web-1", 0, cpu, 40.0, 50.0), &[], None, 5).await.unwrap();
        for _ in 0..2 {
            let (_, latest) = api.get("/api/servers/metrics/latest").await;
            let web = latest.as_array().unwrap().iter().find(|l| l["server_name"] == "web-1").cloned().unwrap();
            assert_eq!(web["cpu_percent"], cpu, "{web}");
            // Gzipped once per change for clients that take it: the same answer.
            let (s, encoding, ctype, body) = get_gzip(api, "/api/servers/metrics/latest").await;
            assert_eq!((s, encoding.as_str(), ctype.as_str()), (200, "gzip", "application/json"));
            let zipped: Value = serde_json::from_slice(&gunzip(&body)).unwrap();
            assert_eq!(zipped, latest, "the gzipped answer is the plain one");
        }
    }
    // Requests that arrive together share one check of the store, never one started before
    // they came: after a write, every one of a burst sees it.
    store.record_success(&sample("web-1", 0, 64.0, 40.0, 50.0), &[], None, 5).await.unwrap();
    let burst = futures::future::join_all((0..16).map(|_| api.get("/api/servers/metrics/latest"))).await;
    for (_, latest) in burst {
        let web = latest.as_array().unwrap().iter().find(|l| l["server_name"] == "web-1").cloned().unwrap();
        assert_eq!(web["cpu_percent"], 64.0, "{web}");
    }
}

const APP_JS: &str = "export const fleetwatch = 'the dashboard, served from its gzipped copy';\n";

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

/// `(status, Content-Encoding, Content-Type, body as sent)` of a GET that accepts gzip.
async fn get_gzip(api: &Api, path: &str) -> (u16, String, String, Vec<u8>) {
    let r = api.client.get(format!("{}{path}", api.base)).header("accept-encoding", "gzip").send().await.unwrap();
    let header = |name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (encoding, ctype) = (header("content-encoding"), header("content-type"));
    (r.status().as_u16(), encoding, ctype, r.bytes().await.unwrap().to_vec())
}

/// Gzip for clients that accept it: the same JSON; never for the event stream or spreadsheets;
/// the dashboard's files from their precompressed copies; nothing for clients that do not.
async fn compression(api: &Api) {
    let (status, encoding, _, body) = get_gzip(api, "/api/servers").await;
    assert_eq!((status, encoding.as_str()), (200, "gzip"));
    let plain = bytes(api, "/api/servers").await.2;
    let unzipped: Value = serde_json::from_slice(&gunzip(&body)).unwrap();
    assert_eq!(unzipped, serde_json::from_slice::<Value>(&plain).unwrap());
    assert!(unzipped.as_array().is_some_and(|a| a.len() == 3), "{unzipped}");
    let r = api.client.get(format!("{}/api/servers", api.base)).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none(), "gzip only when accepted: {:?}", r.headers());

    let (status, encoding, ctype, body) = get_gzip(api, "/app.js").await;
    assert_eq!((status, encoding.as_str()), (200, "gzip"));
    assert!(ctype.starts_with("text/javascript"), "{ctype}");
    assert_eq!(gunzip(&body), APP_JS.as_bytes());

    let (status, encoding, _, body) = get_gzip(api, "/api/export/users.xlsx").await;
    assert_eq!((status, encoding.as_str()), (200, ""), "an xlsx is a zip already");
    assert_eq!(&body[..2], b"PK");

    let r = api.client.get(format!("{}/api/events", api.base)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().get("content-encoding").is_none(), "events are never held back by a compressor");
}

/// A server whose samples stop coming (its collector died: nothing is written any more) turns
/// stale on open pages by itself: the stream sends it when its last sample outlives
/// `stale_after`, with no write to the store to trigger it.
#[tokio::test]
async fn a_server_whose_samples_stop_is_sent_as_stale() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::from(fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap());
    store.migrate().await.unwrap();
    store.record_success(&sample("web-1", 0, 10.0, 40.0, 50.0), &[], None, 5).await.unwrap();
    let api = start_with(store, Duration::from_secs(3)).await;

    use futures::StreamExt;
    let resp = api.client.get(format!("{}/api/events", api.base)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut stream = resp.bytes_stream();
    let (mut seen, mut event) = (String::new(), None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while event.is_none() {
        let chunk = tokio::time::timeout_at(deadline, stream.next()).await;
        let chunk = chunk.unwrap_or_else(|_| panic!("no stale event in time; got {seen:?}"));
        seen.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap()));
        event = seen
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .find(|v| v["name"] == "web-1");
    }
    let event = event.unwrap();
    assert_eq!(
        (&event["status"]["status"], &event["status"]["reason"]),
        (&"offline".into(), &"stale".into()),
        "{event}"
    );
    assert_eq!(event["latest"]["cpu_percent"], 10.0, "the last known sample stays: {event}");
    let (_, servers) = api.get("/api/servers").await;
    let web = servers.as_array().unwrap().iter().find(|s| s["name"] == "web-1").unwrap();
    assert_eq!(web["status"]["reason"], "stale", "the list agrees with the event: {web}");
}

#[tokio::test]
async fn api_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::from(fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("a.db").display())).await.unwrap());
    seed(store.as_ref()).await;
    let api = start(store.clone()).await;
    story(&api).await;
    compression(&api).await;
    live_event_arrives(&api, store.as_ref()).await;
}

#[tokio::test]
async fn api_on_postgres_and_a_database_outage() {
    let db = PgTestDb::create().await;
    let name = db.name().to_string();
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&db.url).await.unwrap());
    seed(store.as_ref()).await;
    let api = start(store.clone()).await;
    story(&api).await;
    live_event_arrives(&api, store.as_ref()).await;

    // A sample stored by another process (the collector: its own pool) reaches the kept answer,
    // by the store's signal (PostgreSQL's NOTIFY) or, at worst, the check made every second.
    let collector = fleetwatch_store::connect(&db.url).await.unwrap();
    collector.record_success(&sample("web-1", 0, 88.5, 40.0, 50.0), &[], None, 5).await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let (_, latest) = api.get("/api/servers/metrics/latest").await;
            let cpu = latest
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["server_name"] == "web-1")
                .map(|w| w["cpu_percent"].clone());
            if cpu == Some(Value::from(88.5)) {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(seen.is_ok(), "another process's sample never reached the latest");
    drop(collector);

    // The database goes away: readiness fails, requests get a safe 5xx body. The kept latest
    // answer is served without asking only while the store hears the database: wait until it
    // has noticed that it is gone (the moment the listening connection is cut).
    let signal = store.latest_signal().expect("PostgreSQL has a signal");
    let mut moves = signal.subscribe();
    db.drop_db().await;
    let deaf = tokio::time::timeout(Duration::from_secs(10), async {
        while signal.is_live() {
            moves.changed().await.unwrap();
        }
    })
    .await;
    assert!(deaf.is_ok(), "the store never noticed the database was gone");
    let (s, b) = api.get("/readyz").await;
    assert_eq!(s, 503);
    assert_error(&b, "SERVICE_UNAVAILABLE");
    let (s, b) = api.get("/ready").await;
    assert_eq!(s, 503);
    assert_error(&b, "SERVICE_UNAVAILABLE");
    let (s, b) = api.get("/api/servers/metrics/latest").await;
    assert_eq!(s, 500);
    assert_error(&b, "INTERNAL_ERROR");
    let text = b.to_string().to_lowercase();
    for leak in ["select", "postgres://", &name, "sqlx"] {
        assert!(!text.contains(leak), "error body leaks {leak:?}: {text}");
    }
    assert_eq!(api.get("/healthz").await.0, 200, "liveness does not depend on the database");
}
