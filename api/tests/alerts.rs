//! The alert endpoints on a real listener, against SQLite and PostgreSQL: the store is seeded
//! through its `AlertStore` methods, the answers are read as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as Age, Utc};
use fleetwatch_alerts::{AlertBook, AlertState, Severity, Transition, TransitionKind};
use fleetwatch_api::AppState;
use fleetwatch_common::Thresholds;
use fleetwatch_store::{ChannelResult, Evaluation, HostKeyRecord, NewNotification, Store};
use fleetwatch_testkit::PgTestDb;
use reqwest::Method;
use serde_json::{Value, json};

mod common;
use common::{Api, alert, meta};

fn transition(server: &str, rule: &str, at: DateTime<Utc>) -> Transition {
    Transition {
        rule: rule.into(),
        server: server.into(),
        instance: String::new(),
        kind: TransitionKind::Firing,
        from: AlertState::Pending,
        to: AlertState::Firing,
        severity: Severity::Critical,
        previous_severity: None,
        metric: None,
        fired_value: Some(91.0),
        value: Some(92.5),
        since: at - Age::seconds(60),
        at,
        detail: None,
        notify: true,
        silenced: false,
    }
}

/// `web-1` (tag web): disk-full /var firing critical. `db-1` (tag db): cpu-high pending
/// warning, server-offline firing warning. `ghost` (not configured): firing, never shown.
async fn seed(store: &dyn Store) {
    store.migrate().await.unwrap();
    let at = Utc::now() - Age::minutes(30);
    let servers = ["web-1", "db-1", "ghost"].map(String::from);
    let book = AlertBook::from_alerts([
        ("web-1".to_string(), alert("disk-full", "/var", AlertState::Firing, Severity::Critical, at)),
        ("db-1".to_string(), alert("cpu-high", "", AlertState::Pending, Severity::Warning, at)),
        ("db-1".to_string(), alert("server-offline", "", AlertState::Firing, Severity::Warning, at)),
        ("ghost".to_string(), alert("server-offline", "", AlertState::Firing, Severity::Critical, at)),
    ]);
    let transitions = [transition("web-1", "disk-full", at), transition("db-1", "server-offline", at - Age::hours(2))];
    let notes = [NewNotification { channel: "ops".into(), payload: "{}".into() }];
    let e =
        Evaluation { servers: &servers, book: &book, transitions: &transitions, notifications: &notes, member: None };
    store.save_evaluation(e, at).await.unwrap();
    let ops = ChannelResult { channel: "ops".into(), ok: true, at, error: None };
    store.record_channel_result(&ops).await.unwrap();
    let chat = ChannelResult { channel: "chat".into(), ok: false, at, error: Some("HTTP 500".into()) };
    store.record_channel_result(&chat).await.unwrap();
    // web-1's key changed: the collector kept the one it was offered.
    let record = HostKeyRecord {
        server_name: "web-1".into(),
        host: "web-1.example".into(),
        port: 22,
        fingerprint: OLD_KEY.into(),
        first_seen: at,
    };
    store.save_host_key(&record).await.unwrap();
    store.record_host_key_offer("web-1", NEW_KEY, OLD_KEY, at).await.unwrap();
}

const OLD_KEY: &str = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
const NEW_KEY: &str = "SHA256:4cB5rVmO0kq2Y0n9b3yXlS9dYk2m8c1mJ7b9QyZp0aE";

async fn start(store: Arc<dyn Store>) -> Api {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html>fleetwatch</html>").unwrap();
    let servers = vec![meta("web-1", &["web"]), meta("db-1", &["db"])];
    let state = AppState::new(store, servers, Thresholds::default(), Duration::from_secs(3600), 30);
    Api::serve(state, dir).await
}

/// The seed's error body with `code`, its message containing `names`.
fn assert_error(status: u16, body: &Value, want: u16, code: &str, names: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["details"]["code"], code, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains(names), "{error:?} should name {names:?}");
    assert!(!error.contains("Failed to deserialize"), "axum's rejection text leaks: {error:?}");
}

/// `(server, rule, instance)` of each alert of the answer.
fn keys(body: &Value) -> Vec<(String, String, String)> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap().to_string();
            (s("server"), s("rule"), s("instance"))
        })
        .collect()
}

fn key(server: &str, rule: &str, instance: &str) -> (String, String, String) {
    (server.into(), rule.into(), instance.into())
}

async fn current_alerts(api: &Api) {
    let (s, b) = api.get("/api/alerts").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        keys(&b),
        [key("db-1", "cpu-high", ""), key("db-1", "server-offline", ""), key("web-1", "disk-full", "/var")],
        "the unconfigured server's alert is left out"
    );
    let disk = &b[2];
    assert_eq!((disk["state"].as_str(), disk["severity"].as_str()), (Some("firing"), Some("critical")), "{disk}");
    assert_eq!(disk["value"], 98.25);
    assert_eq!(disk["acknowledged"], Value::Null);

    let (_, b) = api.get("/api/alerts?server=db-1").await;
    assert_eq!(keys(&b).len(), 2, "{b}");
    let (_, b) = api.get("/api/alerts?tag=web").await;
    assert_eq!(keys(&b), [key("web-1", "disk-full", "/var")]);
    let (_, b) = api.get("/api/alerts?severity=warning&tag=db").await;
    assert_eq!(keys(&b).len(), 2, "{b}");
    let (_, b) = api.get("/api/alerts?severity=critical").await;
    assert_eq!(keys(&b), [key("web-1", "disk-full", "/var")]);
    let (_, b) = api.get("/api/alerts?server=&tag=").await;
    assert_eq!(keys(&b).len(), 3, "blank means no filter: {b}");

    let (s, b) = api.get("/api/alerts?severity=loud").await;
    assert_error(s, &b, 400, "BAD_REQUEST", "severity");
    let (s, b) = api.get("/api/alerts?server=nope").await;
    assert_error(s, &b, 404, "NOT_FOUND", "nope");
}

async fn history(api: &Api) {
    let (s, b) = api.get("/api/alerts/history").await;
    assert_eq!(s, 200, "{b}");
    let rows = b.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{b}");
    assert_eq!(rows[0]["server"], "web-1", "newest first: {b}");
    assert_eq!(rows[0]["kind"], "firing");
    assert!(rows[0]["id"].as_i64().is_some(), "{b}");

    let (_, b) = api.get("/api/alerts/history?server=db-1").await;
    assert_eq!(b.as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b[0]["rule"], "server-offline");
    let from = (Utc::now() - Age::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, b) = api.get(&format!("/api/alerts/history?from={from}")).await;
    assert_eq!(b.as_array().unwrap().len(), 1, "the window leaves the older one out: {b}");

    let (s, b) = api.get("/api/alerts/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z").await;
    assert_error(s, &b, 400, "BAD_REQUEST", "from");
    let (s, b) = api.get("/api/alerts/history?to=yesterday").await;
    assert_error(s, &b, 400, "BAD_REQUEST", "to");
    let (s, b) = api.get("/api/alerts/history?server=nope").await;
    assert_error(s, &b, 404, "NOT_FOUND", "nope");
}

async fn acknowledgements(api: &Api) {
    // The instance `/var`, percent-encoded in its path segment.
    let (s, b) = api.post("/api/alerts/web-1/disk-full/%2Fvar/ack", Some(r#"{"by":"alice","comment":"on it"}"#)).await;
    assert_eq!(s, 204, "{b}");
    // No instance, no body; then a JSON `null` body, as the OpenAPI document allows (again: the same).
    let (s, b) = api.post("/api/alerts/db-1/server-offline/ack", None).await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = api.post("/api/alerts/db-1/server-offline/ack", Some("null")).await;
    assert_eq!(s, 204, "{b}");

    let (_, b) = api.get("/api/alerts").await;
    let acked: Vec<_> = b.as_array().unwrap().iter().map(|a| a["acknowledged"]["by"].clone()).collect();
    assert_eq!(acked, [Value::Null, json!("api"), json!("alice")], "{b}");
    assert!(b[2]["acknowledged"]["at"].as_str().is_some(), "{b}");
    assert_eq!(b[2]["acknowledged"]["comment"], "on it", "{b}");
    assert_eq!(b[1]["acknowledged"].get("comment"), None, "no comment given: {b}");

    // Each acknowledgement joins the history, with who and why.
    let (_, b) = api.get("/api/alerts/history?server=web-1").await;
    assert_eq!(
        (&b[0]["kind"], &b[0]["rule"], &b[0]["instance"]),
        (&json!("acknowledged"), &json!("disk-full"), &json!("/var")),
        "{b}"
    );
    assert_eq!(
        (&b[0]["acknowledged"]["by"], &b[0]["acknowledged"]["comment"]),
        (&json!("alice"), &json!("on it")),
        "{b}"
    );
    assert_eq!((&b[0]["to"], &b[0]["notify"]), (&json!("firing"), &json!(false)), "{b}");
    assert_eq!(b[1].get("acknowledged"), None, "a firing transition has none: {b}");

    // Again, by someone else: who and why are replaced.
    let (s, b) = api.post("/api/alerts/web-1/disk-full/%2Fvar/ack", Some(r#"{"by":" bob ","comment":"  "}"#)).await;
    assert_eq!(s, 204, "{b}");
    let (_, b) = api.get("/api/alerts?server=web-1").await;
    assert_eq!(b[0]["acknowledged"]["by"], "bob", "trimmed: {b}");
    assert_eq!(b[0]["acknowledged"].get("comment"), None, "a blank comment is none: {b}");

    // Bad bodies: the seed's error body, naming the field; nothing is stored.
    let long = "x".repeat(1001);
    for (body, field) in [
        (r#"{"by":"  "}"#.to_string(), "by"),
        (format!(r#"{{"by":"{}"}}"#, "y".repeat(101)), "by"),
        (r#"{"by":"ab"}"#.to_string(), "by"),
        (format!(r#"{{"comment":"{long}"}}"#), "comment"),
        (r#"{"comment":"bell "}"#.to_string(), "comment"),
        (r#"{"who":"x"}"#.to_string(), "who"),
        ("[1]".to_string(), "invalid type"),
    ] {
        let (s, b) = api.post("/api/alerts/web-1/disk-full/%2Fvar/ack", Some(&body)).await;
        assert_error(s, &b, 400, "BAD_REQUEST", field);
    }
    let (_, b) = api.get("/api/alerts?server=web-1").await;
    assert_eq!(b[0]["acknowledged"]["by"], "bob", "{b}");
    let (s, _) =
        api.post("/api/alerts/web-1/disk-full/%2Fvar/ack", Some("{\"comment\":\"line one\\nline two\"}")).await;
    assert_eq!(s, 204, "a line break is fine in a comment");

    let (s, b) = api.post("/api/alerts/db-1/cpu-high/ack", None).await;
    assert_error(s, &b, 404, "NOT_FOUND", "cpu-high");
    let (s, b) = api.post("/api/alerts/web-1/no-such-rule/%2Fvar/ack", None).await;
    assert_error(s, &b, 404, "NOT_FOUND", "no-such-rule");
    let (s, b) = api.post("/api/alerts/web-1/disk-full/%2Fvar/ack", Some(r#"{"by": 7}"#)).await;
    assert_error(s, &b, 400, "BAD_REQUEST", "by");
}

async fn silences(api: &Api) {
    let (s, b) = api.get("/api/silences").await;
    assert_eq!((s, b.clone()), (200, json!([])));

    let end = (Utc::now() + Age::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let spec = json!({"servers": ["web-*"], "rules": ["disk-full"], "end": end, "comment": "backup"}).to_string();
    let (s, created) = api.post("/api/silences", Some(&spec)).await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["servers"], json!(["web-*"]));
    assert_eq!(created["created_by"], "api");

    let (_, b) = api.get("/api/silences").await;
    let list = b.as_array().unwrap();
    assert_eq!(list.len(), 1, "{b}");
    assert_eq!(
        (list[0]["id"].as_i64(), &list[0]["comment"], &list[0]["rules"]),
        (Some(id), &json!("backup"), &json!(["disk-full"]))
    );

    for (body, names) in [
        (r#"{"servers": "web-*", "end": "2030-01-01T00:00:00Z"}"#, "servers"),
        (r#"{"end": "next week"}"#, "end"),
        (r#"{"servers": ["a"]}"#, "end"),
        (r#"{"end": "2030-01-01T00:00:00Z", "colour": "red"}"#, "colour"),
        (r#"{"servers": ["a"], "cron": "0 2 * * Sun", "duration_secs": 60}"#, "cron"),
        ("{not json", "line 1"),
    ] {
        let (s, b) = api.post("/api/silences", Some(body)).await;
        assert_error(s, &b, 400, "BAD_REQUEST", names);
    }
    let r = api.client.post(format!("{}/api/silences", api.base)).body("{}").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400, "a body without a JSON content type");
    let b: Value = r.json().await.unwrap();
    assert_error(400, &b, 400, "BAD_REQUEST", "JSON");

    let (s, b) = api.call(Method::DELETE, &format!("/api/silences/{id}"), None).await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = api.call(Method::DELETE, &format!("/api/silences/{id}"), None).await;
    assert_error(s, &b, 404, "NOT_FOUND", &id.to_string());
    let (s, b) = api.call(Method::DELETE, "/api/silences/abc", None).await;
    assert_error(s, &b, 400, "BAD_REQUEST", "abc");
    let (_, b) = api.get("/api/silences").await;
    assert_eq!(b, json!([]));
}

async fn channels_and_readiness(api: &Api) {
    let (s, b) = api.get("/api/alerts/channels").await;
    assert_eq!(s, 200, "{b}");
    let list = b.as_array().unwrap();
    let names: Vec<_> = list.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["chat", "ops"], "{b}");
    assert_eq!((&list[0]["ok"], &list[0]["error"]), (&json!(false), &json!("HTTP 500")));
    assert_eq!((&list[1]["ok"], &list[1]["error"]), (&json!(true), &Value::Null));
    for c in list {
        let mut fields: Vec<_> = c.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["at", "error", "name", "ok"], "only these, never a URL or secret: {c}");
    }
    let text = b.to_string();
    for leak in ["http://", "https://", "url", "secret", "token"] {
        assert!(!text.to_lowercase().contains(leak), "channels leak {leak:?}: {text}");
    }

    let (s, b) = api.get("/readyz").await;
    assert_eq!(s, 200);
    assert_eq!(b, json!("ready\noutbox_depth 1\nfailing_channels chat\n"));
}

async fn host_key_acceptance(api: &Api) {
    let accept = |server: &str| format!("/api/servers/{server}/host-key/accept");
    let (s, b) = api.post(&accept("nope"), Some(&json!({"fingerprint": NEW_KEY}).to_string())).await;
    assert_error(s, &b, 404, "NOT_FOUND", "nope");
    for (body, names) in [
        (json!({"fingerprint": "MD5:aa:bb"}), "fingerprint"),
        (json!({}), "fingerprint"),
        (json!({"fingerprint": NEW_KEY, "by": " "}), "by"),
        (json!({"fingerprint": NEW_KEY, "key": 1}), "key"),
    ] {
        let (s, b) = api.post(&accept("web-1"), Some(&body.to_string())).await;
        assert_error(s, &b, 400, "BAD_REQUEST", names);
    }
    // Only the key the collector saw offered; none was recorded for db-1.
    let other = "SHA256:AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOo";
    let (s, b) = api.post(&accept("web-1"), Some(&json!({"fingerprint": other}).to_string())).await;
    assert_error(s, &b, 409, "CONFLICT", NEW_KEY);
    let (s, b) = api.post(&accept("db-1"), Some(&json!({"fingerprint": NEW_KEY}).to_string())).await;
    assert_error(s, &b, 409, "CONFLICT", "no host key is recorded");

    let (s, b) = api.post(&accept("web-1"), Some(&json!({"fingerprint": NEW_KEY, "by": "alice"}).to_string())).await;
    assert_eq!((s, b.clone()), (200, json!({"server": "web-1", "fingerprint": NEW_KEY, "previous": OLD_KEY})));
    let (_, b) = api.get("/api/alerts/history?server=web-1").await;
    assert_eq!((&b[0]["kind"], &b[0]["rule"]), (&json!("host_key_accepted"), &json!("host-key-changed")), "{b}");
    let detail = b[0]["detail"].as_str().unwrap();
    assert!(detail.contains(NEW_KEY) && detail.contains(OLD_KEY) && detail.contains("alice"), "{detail}");
}

async fn story(api: &Api) {
    current_alerts(api).await;
    history(api).await;
    acknowledgements(api).await;
    host_key_acceptance(api).await;
    silences(api).await;
    channels_and_readiness(api).await;
}

#[tokio::test]
async fn alert_endpoints_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::from(fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("a.db").display())).await.unwrap());
    seed(store.as_ref()).await;
    story(&start(store).await).await;
}

#[tokio::test]
async fn alert_endpoints_on_postgres() {
    let db = PgTestDb::create().await;
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&db.url).await.unwrap());
    seed(store.as_ref()).await;
    story(&start(store).await).await;
}

/// Secrets for `*_env` keys.
struct Env;

impl fleetwatch_alerts::SecretSource for Env {
    fn env(&self, name: &str) -> Option<String> {
        (name == "HOOK_URL").then(|| "https://hooks.example/env-url-secret-777".to_owned())
    }

    fn file(&self, path: &std::path::Path) -> Result<String, String> {
        Err(format!("no file {}", path.display()))
    }
}

#[tokio::test]
async fn the_rules_are_served_as_loaded_and_no_channel_secret_ever() {
    let config: fleetwatch_alerts::AlertsConfig = serde_json::from_value(json!({
        "channels": [
            {"name": "ops", "kind": "webhook", "url": "https://hooks.example/inline-url-secret-111", "token": "token-secret-222"},
            {"name": "env", "kind": "slack", "url_env": "HOOK_URL"},
            {"name": "tg", "kind": "telegram", "token": "123456:bot-secret-333", "chat_id": "-100"},
            {"name": "mail", "kind": "email", "host": "smtp.example", "from": "fw@example.com",
             "to": ["oncall@example.com"], "username": "fw", "password": "smtp-secret-444"},
        ],
        "rules": [
            {"name": "cpu-high", "critical": 99, "channels": ["mail"]},
            {"name": "load", "metric": "cpu_load_1min", "warning": 4, "clear": 2, "for_secs": 120,
             "servers": ["web-*"], "tags": ["prod"], "renotify_secs": 3600},
            {"name": "swap-used", "enabled": false},
        ],
        "silences": [{"servers": ["db-*"], "cron": "0 0 3 * * Sun", "duration_secs": 3600, "comment": "backup"}],
    }))
    .unwrap();
    let thresholds = Thresholds::default();
    let defaults = fleetwatch_alerts::Defaults { thresholds, stale_after: Duration::from_secs(900) };
    let alerting = config.validate(&defaults, &Env).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::from(fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("r.db").display())).await.unwrap());
    store.migrate().await.unwrap();
    let web = tempfile::tempdir().unwrap();
    let state = AppState::new(store, vec![meta("web-1", &["prod"])], thresholds, Duration::from_secs(900), 30)
        .with_alerting(&alerting);
    let api = Api::serve(state, web).await;
    let (s, b) = api.get("/api/alerts/rules").await;
    assert_eq!(s, 200, "{b}");

    let rule = |name: &str| b["rules"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone();
    let cpu = rule("cpu-high");
    assert_eq!(
        (&cpu["builtin"], &cpu["kind"], &cpu["metric"]),
        (&json!(true), &json!("threshold"), &json!("cpu_percent"))
    );
    assert_eq!(
        (&cpu["warning"], &cpu["critical"]),
        (&json!(thresholds.cpu.warning), &json!(99.0)),
        "effective levels: {cpu}"
    );
    assert_eq!(cpu["channels"], json!(["mail"]));
    let key = rule("host-key-changed");
    assert_eq!(
        (&key["kind"], &key["check"], &key["severity"]),
        (&json!("check"), &json!("host_key_changed"), &json!("critical"))
    );
    assert_eq!(key["channels"], json!(["ops", "env", "tg", "mail"]), "no channels given: every channel");
    assert_eq!(rule("swap-used")["enabled"], json!(false));
    let load = rule("load");
    assert_eq!((&load["builtin"], &load["clear"], &load["for_secs"]), (&json!(false), &json!(2.0), &json!(120)));
    assert_eq!(
        (&load["servers"], &load["tags"], &load["renotify_secs"]),
        (&json!(["web-*"]), &json!(["prod"]), &json!(3600))
    );
    assert_eq!(b["stale_after_secs"], 900);
    assert_eq!(b["silences"][0]["comment"], "backup");
    assert_eq!(
        b["channels"],
        json!([{"name": "ops", "kind": "webhook"}, {"name": "env", "kind": "slack"},
               {"name": "tg", "kind": "telegram"}, {"name": "mail", "kind": "email"}])
    );

    let text = b.to_string();
    for secret in
        ["secret", "hooks.example", "smtp.example", "oncall@", "123456", "chat_id", "\"url\"", "password", "token"]
    {
        assert!(!text.contains(secret), "{secret:?} served: {text}");
    }
}

/// Reads the stream until `done` holds for what arrived, doing `nudge` between reads.
async fn read_until<S, B>(
    stream: &mut S,
    seen: &mut String,
    what: &str,
    mut nudge: impl AsyncFnMut(),
    done: impl Fn(&str) -> bool,
) where
    S: futures::Stream<Item = reqwest::Result<B>> + Unpin,
    B: AsRef<[u8]>,
{
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(seen) {
        assert!(tokio::time::Instant::now() < deadline, "no {what} in time; got {seen:?}");
        nudge().await;
        let wait = tokio::time::Instant::now() + Duration::from_millis(300);
        while let Ok(Some(chunk)) = tokio::time::timeout_at(wait, stream.next()).await {
            seen.push_str(&String::from_utf8_lossy(chunk.unwrap().as_ref()));
        }
    }
}

/// The `data:` of each `event: alert` received, as JSON.
fn alert_events(seen: &str) -> Vec<Value> {
    seen.split("\n\n")
        .filter(|e| e.lines().any(|l| l == "event: alert"))
        .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test]
async fn an_alert_that_fires_reaches_an_open_event_stream() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::from(fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("e.db").display())).await.unwrap());
    store.migrate().await.unwrap();
    let web = tempfile::tempdir().unwrap();
    let state = AppState::new(
        store.clone(),
        vec![meta("web-1", &["web"])],
        Thresholds::default(),
        Duration::from_secs(3600),
        30,
    );
    state.start_events(Duration::from_millis(50));
    let api = Api::serve(state, web).await;
    let resp = api.client.get(format!("{}/api/events", api.base)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut stream = resp.bytes_stream();
    let mut seen = String::new();
    // The hub is polling for this listener once a server event arrives.
    read_until(
        &mut stream,
        &mut seen,
        "server event",
        async || {
            let at = Utc::now();
            store.record_failure("web-1", at, fleetwatch_common::OfflineReason::Timeout, "no answer", 5).await.unwrap();
        },
        |s| s.contains("event: server"),
    )
    .await;

    // A collector (any process) stores a firing alert: the stream tells it.
    let at = Utc::now();
    let firing = alert("disk-full", "/var", AlertState::Firing, Severity::Critical, at);
    let book = AlertBook::from_alerts([("web-1".to_string(), firing)]);
    let mut fired = transition("web-1", "disk-full", at);
    fired.instance = "/var".into();
    let servers = ["web-1".to_string()];
    let e =
        Evaluation { servers: &servers, book: &book, transitions: &[fired.clone()], notifications: &[], member: None };
    store.save_evaluation(e, at).await.unwrap();
    read_until(&mut stream, &mut seen, "alert event", async || {}, |s| !alert_events(s).is_empty()).await;
    let events = alert_events(&seen);
    let ev = &events[0];
    assert_eq!(
        (&ev["server"], &ev["rule"], &ev["instance"]),
        (&json!("web-1"), &json!("disk-full"), &json!("/var")),
        "{ev}"
    );
    assert_eq!(
        (&ev["state"], &ev["change"], &ev["severity"]),
        (&json!("firing"), &json!("fired"), &json!("critical")),
        "{ev}"
    );
    assert_eq!((&ev["value"], &ev["notified"]), (&json!(92.5), &json!(true)), "{ev}");
    let (_, listed) = api.get("/api/alerts").await;
    for field in listed[0].as_object().unwrap().keys() {
        assert!(ev.get(field).is_some(), "the event has every field of GET /api/alerts: {field} missing in {ev}");
    }

    // Acknowledged, then resolved: two more events, in order.
    let ack = fleetwatch_alerts::Acknowledgement { by: "alice".into(), at: Utc::now(), comment: Some("on it".into()) };
    assert!(store.acknowledge_alert("web-1", "disk-full", "/var", &ack).await.unwrap());
    let resolved = Transition {
        kind: TransitionKind::Resolved,
        from: AlertState::Firing,
        to: AlertState::Resolved,
        at: Utc::now(),
        ..fired
    };
    let empty = AlertBook::default();
    let e = Evaluation { servers: &servers, book: &empty, transitions: &[resolved], notifications: &[], member: None };
    store.save_evaluation(e, Utc::now()).await.unwrap();
    read_until(&mut stream, &mut seen, "two more alert events", async || {}, |s| alert_events(s).len() >= 3).await;
    let events = alert_events(&seen);
    let changes: Vec<_> = events.iter().map(|e| (e["change"].clone(), e["state"].clone())).collect();
    assert_eq!(
        changes,
        [
            (json!("fired"), json!("firing")),
            (json!("acknowledged"), json!("firing")),
            (json!("resolved"), json!("resolved"))
        ]
    );
    assert_eq!(events[1]["acknowledged"]["comment"], "on it", "{}", events[1]);
}
