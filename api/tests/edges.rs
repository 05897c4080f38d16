//! The listener's edges on a real socket, as an attacker on the open internet meets them:
//! path traversal on the static files (plain, encoded, double-encoded, overlong UTF-8) and
//! clients that never finish their request (slowloris) or their body; filters holding SQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use fleetwatch_api::{AppState, Limits};
use fleetwatch_common::{Sample, Thresholds};
use fleetwatch_store::{Store, UserUsage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;
use common::meta;

const SECRET: &str = "fleetwatch-test-secret-5f1c";

/// How long a test waits for the server before it calls it hung: far beyond the limits it sets.
const HUNG: Duration = Duration::from_secs(60);

struct Served {
    addr: std::net::SocketAddr,
    _root: tempfile::TempDir,
}

/// The API with the dashboard from `<root>/web` and a secret file beside it, in `<root>`.
async fn start(limits: Limits) -> Served {
    let root = tempfile::tempdir().unwrap();
    let web = root.path().join("web");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(web.join("index.html"), "<html>fleetwatch</html>").unwrap();
    std::fs::write(web.join("assets/app.css"), "body{}").unwrap();
    std::fs::write(root.path().join("secret.txt"), SECRET).unwrap();
    std::fs::write(root.path().join("fleetwatch.toml"), format!("password = \"{SECRET}\"")).unwrap();
    let url = format!("sqlite://{}", root.path().join("a.db").display());
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    seed(store.as_ref()).await;
    let servers = vec![meta("web-1", &["web", "o'reilly; DROP TABLE servers; --"]), meta("db-1", &["db"])];
    let state = AppState::new(store, servers, Thresholds::default(), Duration::from_secs(600), 30);
    let app = fleetwatch_api::router(state, &web);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        async move { fleetwatch_api::serve_with(listener, app, std::future::pending(), limits).await.unwrap() },
    );
    Served { addr, _root: root }
}

/// Users whose names hold SQL's quote and wildcards, on two servers.
async fn seed(store: &dyn Store) {
    let user = |name: &str, cpu: f64| UserUsage {
        username: name.into(),
        cpu,
        mem: 1.0,
        rss_bytes: 1 << 20,
        process_count: 1,
        top_process: "sh".into(),
        disk_bytes: None,
    };
    for (server, users) in [
        ("web-1", vec![user("o'neil", 3.0), user("x%_y", 2.0), user("alice", 1.0)]),
        ("db-1", vec![user("bob", 4.0), user("a\\b", 5.0)]),
    ] {
        let sample = Sample { server_name: server.into(), timestamp: chrono::Utc::now(), ..Default::default() };
        store.record_success(&sample, &users, None, 5).await.unwrap();
    }
}

/// Sends `raw` as is (no client library normalises the path) and reads until the server closes.
async fn exchange(addr: std::net::SocketAddr, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(HUNG, stream.read_to_end(&mut answer)).await.expect("the server hung").unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn status(answer: &str) -> u16 {
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

#[tokio::test]
async fn static_files_never_leave_the_dashboard_directory() {
    let served = start(Limits::default()).await;
    // Control: the files inside are served, so the refusals below are not a broken server.
    let css = exchange(served.addr, b"GET /assets/app.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await;
    assert_eq!(status(&css), 200, "{css}");
    assert!(css.ends_with("body{}"), "{css}");

    for path in [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/assets/..%2F..%2Fsecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/%252e%252e/secret.txt",
        "/%252e%252e%252fsecret.txt",
        "/%c0%ae%c0%ae/secret.txt",
        "/....//secret.txt",
        "/./../secret.txt",
        "//../secret.txt",
        "/assets/%00../../secret.txt",
        "/../fleetwatch.toml",
        "/%2e%2e/fleetwatch.toml",
        "/api/../../secret.txt",
        "/api/%2e%2e/%2e%2e/secret.txt",
    ] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        let answer = exchange(served.addr, request.as_bytes()).await;
        assert!(!answer.contains(SECRET), "{path} reached a file outside the dashboard: {answer}");
        let code = status(&answer);
        assert!(code < 500, "{path}: {code}\n{answer}");
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_head_is_cut_off() {
    let limits = Limits { header_read: Duration::from_millis(500), ..Limits::default() };
    let served = start(limits).await;

    // Half a request head, then nothing: the server must close the connection by itself.
    let mut slow = TcpStream::connect(served.addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Slow: ").await.unwrap();
    // Meanwhile another client is answered.
    let ok = exchange(served.addr, b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await;
    assert_eq!(status(&ok), 200, "{ok}");

    let mut rest = Vec::new();
    let read = tokio::time::timeout(HUNG, slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "a client that never ends its request head still holds its connection");
    let rest = String::from_utf8_lossy(&rest);
    assert!(!rest.contains("200 OK"), "the half request was answered: {rest}");

    // A connection that sends nothing at all is closed the same way.
    let mut silent = TcpStream::connect(served.addr).await.unwrap();
    let mut nothing = Vec::new();
    let read = tokio::time::timeout(HUNG, silent.read_to_end(&mut nothing)).await;
    assert!(read.is_ok(), "a client that sends nothing holds its connection");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_body_is_answered_and_cut_off() {
    let limits = Limits { body_read: Duration::from_millis(500), ..Limits::default() };
    let served = start(limits).await;
    let mut slow = TcpStream::connect(served.addr).await.unwrap();
    slow.write_all(
        b"POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"name\":",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(HUNG, slow.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "a client that never ends its body still holds its connection");
    let answer = String::from_utf8_lossy(&answer);
    if !answer.is_empty() {
        let code = status(&answer);
        assert!((400..500).contains(&code), "a body cut short answered {code}: {answer}");
    }
}

/// The users `GET /api/users/top?{query}` lists, as `server/user`, sorted.
async fn users(addr: std::net::SocketAddr, query: &str) -> Vec<String> {
    let v: serde_json::Value =
        reqwest::get(format!("http://{addr}/api/users/top?{query}")).await.unwrap().json().await.unwrap();
    let mut names: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("{query}: {v}"))
        .iter()
        .map(|u| format!("{}/{}", u["server_name"].as_str().unwrap(), u["username"].as_str().unwrap()))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn filters_holding_sql_match_as_text() {
    let served = start(Limits::default()).await;
    let a = served.addr;
    assert_eq!(users(a, "").await.len(), 5, "control: every user");
    assert_eq!(users(a, "q=%27").await, ["web-1/o'neil"], "a quote is a character");
    assert_eq!(users(a, "q=%25").await, ["web-1/x%_y"], "% is a character, not any text");
    assert_eq!(users(a, "q=_").await, ["web-1/x%_y"], "_ is a character, not any one");
    assert_eq!(users(a, "q=%5C").await, ["db-1/a\\b"], "a backslash is a character");
    assert!(users(a, "q=%27%20OR%20%271%27%3D%271").await.is_empty(), "no user matches ' OR '1'='1");
    let r = reqwest::get(format!("http://{a}/api/users/top?server=web-1%27%20OR%201%3D1%20--")).await.unwrap();
    assert_eq!(r.status(), 404, "no server is named web-1' OR 1=1 --");
    assert!(users(a, "tag=db%27%20OR%20%271%27%3D%271").await.is_empty(), "no server carries that tag");
    let odd = "o%27reilly%3B%20DROP%20TABLE%20servers%3B%20--";
    assert_eq!(users(a, &format!("tag={odd}")).await, ["web-1/alice", "web-1/o'neil", "web-1/x%_y"], "a tag with SQL");
    assert_eq!(users(a, "").await.len(), 5, "and every table is still there");
}
