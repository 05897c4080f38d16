//! What the API's test files share: a server on a real listener and a client for it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use fleetwatch_alerts::{Alert, AlertState, Severity};
use fleetwatch_api::{AppState, ServerMeta};
use reqwest::Method;
use serde_json::Value;

pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
}

impl Api {
    /// Serves `state` on a free local port, the dashboard from `dir`.
    pub async fn serve(state: AppState, dir: tempfile::TempDir) -> Self {
        let app = fleetwatch_api::router(state, dir.path());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            fleetwatch_api::serve(listener, app, std::future::pending()).await.unwrap();
        });
        Self { base, client: reqwest::Client::new(), _dir: dir, _server: server }
    }

    /// Status and body: JSON, or the text as a JSON string.
    pub async fn call(&self, method: Method, path: &str, body: Option<&str>) -> (u16, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body.to_string());
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Option<&str>) -> (u16, Value) {
        self.call(Method::POST, path, body).await
    }
}

/// Status, content type and body of a GET.
pub async fn bytes(api: &Api, path: &str) -> (u16, String, Vec<u8>) {
    let r = api.client.get(format!("{}{path}", api.base)).send().await.unwrap();
    let status = r.status().as_u16();
    let ctype = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ctype, r.bytes().await.unwrap().to_vec())
}

/// Reads an xlsx with Python's openpyxl (an independent reader) and returns the cells of each
/// sheet as JSON: numbers stay numbers, dates become ISO strings.
pub fn read_xlsx(data: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.xlsx");
    std::fs::write(&path, data).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/read_xlsx.py");
    let out = std::process::Command::new("python3").arg(script).arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "openpyxl failed (make test-deps installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn meta(name: &str, tags: &[&str]) -> ServerMeta {
    ServerMeta {
        name: name.into(),
        transport: fleetwatch_common::Transport::Ssh,
        host: Some(format!("{name}.example")),
        port: Some(22),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

/// A stored alert of `rule` on `instance` since `at`; a firing one fired then and was told.
pub fn alert(rule: &str, instance: &str, state: AlertState, severity: Severity, at: DateTime<Utc>) -> Alert {
    let firing = state == AlertState::Firing;
    Alert {
        rule: rule.into(),
        instance: instance.into(),
        state,
        severity,
        since: at,
        firing_since: firing.then_some(at),
        fired_value: Some(97.5),
        value: Some(98.25),
        detail: None,
        acknowledged: None,
        notified: firing,
        last_notified: firing.then_some(at),
    }
}
