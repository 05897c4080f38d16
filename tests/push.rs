//! End to end, push ingest: the real binary (`fleetwatch api`) on loopback, on a SQLite file and
//! on a fresh PostgreSQL database; ingest tokens made with the CLI; the script of
//! `fleetwatch push-script` run by the real `/bin/sh` with real curl (and busybox wget when
//! installed) against it. The pushed host's stored sample has exactly the figures of this
//! machine polled by `fleetwatch collect-once` (the `local` transport), its time is the API's
//! clock, the script leaves nothing behind, and the refusals answer their codes with the JSON
//! error body: a read token (403), another server's token (403), garbage (422, nothing
//! stored), a push too soon (429 with Retry-After), a replay (409), a body too large (413).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fleetwatch_testkit::{KillOnDrop, PgTestDb, free_port, wait_until};
use serde_json::Value;

const QUICK: Duration = Duration::from_secs(60);

/// Runs `fleetwatch --config <config> <args>`; its stdout, or its stderr when it fails.
fn cli(config: &Path, db: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "error")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() { Ok(stdout.into_owned()) } else { Err(format!("{stdout}\n{stderr}")) }
}

fn token(config: &Path, db: &str, args: &[&str]) -> String {
    let secret = cli(config, db, &[&["token", "create"], args].concat()).unwrap().trim().to_owned();
    assert!(secret.starts_with("fwt_"), "{secret}");
    secret
}

/// A token file of the test's own, readable by its owner only.
fn token_file(dir: &Path, name: &str, secret: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// Runs the push script with the real `/bin/sh` in an empty working and temporary directory,
/// which must stay empty (the script writes nothing on the host). Its exit status and stderr.
fn run_script(script: &Path, args: &[&str], scratch: &Path) -> (bool, String) {
    std::fs::create_dir_all(scratch).unwrap();
    let out = Command::new("/bin/sh")
        .arg(script)
        .args(args)
        .current_dir(scratch)
        .env("TMPDIR", scratch)
        .env("HOME", scratch)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(scratch).unwrap().collect();
    assert!(left.is_empty(), "the script wrote {left:?}");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `GET url` with the bearer token `read`, its JSON body.
async fn get_json(http: &reqwest::Client, url: &str, read: &str) -> Value {
    http.get(url).bearer_auth(read).send().await.unwrap().json().await.unwrap()
}

/// The figures a sample has (its fields that are not null), and the stored series' names.
async fn figures(http: &reqwest::Client, base: &str, read: &str, server: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let latest: Vec<Value> =
        serde_json::from_value(get_json(http, &format!("{base}/api/servers/metrics/latest"), read).await).unwrap();
    let sample = latest.iter().find(|s| s["server_name"] == server).unwrap_or_else(|| panic!("no sample of {server}"));
    let fields = sample.as_object().unwrap().iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k.clone()).collect();
    let series: Vec<String> =
        serde_json::from_value(get_json(http, &format!("{base}/api/servers/{server}/metrics/series"), read).await)
            .unwrap();
    (fields, series.into_iter().collect())
}

async fn latest_of(http: &reqwest::Client, base: &str, read: &str, server: &str) -> Option<Value> {
    let latest: Vec<Value> =
        serde_json::from_value(get_json(http, &format!("{base}/api/servers/metrics/latest"), read).await).unwrap();
    latest.into_iter().find(|s| s["server_name"] == server)
}

/// What a capturing receiver got: the body and the sequence headers of one push.
#[derive(Clone, Default)]
struct Captured {
    body: Vec<u8>,
    boot: String,
    seq: String,
}

/// A receiver on loopback that keeps the last push it gets and answers 202: to read what the
/// script sends.
async fn capture() -> (String, Arc<Mutex<Option<Captured>>>) {
    let got: Arc<Mutex<Option<Captured>>> = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/api/ingest",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let keep = keep.clone();
            async move {
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                *keep.lock().unwrap() =
                    Some(Captured { body: body.to_vec(), boot: h("x-fleetwatch-boot"), seq: h("x-fleetwatch-seq") });
                axum::http::StatusCode::ACCEPTED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app.layer(axum::extract::DefaultBodyLimit::disable())).await });
    (url, got)
}

async fn post(http: &reqwest::Client, url: &str, secret: &str, c: &Captured) -> reqwest::Response {
    http.post(url)
        .bearer_auth(secret)
        .header("X-Fleetwatch-Boot", &c.boot)
        .header("X-Fleetwatch-Seq", &c.seq)
        .body(c.body.clone())
        .send()
        .await
        .unwrap()
}

/// The JSON error body's code.
async fn code(r: reqwest::Response) -> String {
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["success"], false, "{v}");
    v["details"]["code"].as_str().unwrap().to_owned()
}

async fn pushes_have_the_figures_of_a_polled_host(db: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = tmp.path().join("fleetwatch.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\nweb_dir = \"{web}\"\n\
             [collector]\nschedule = \"0 0 0 1 1 *\"\nstale_after_secs = 600\n\
             [[servers]]\nname = \"here\"\ntransport = \"local\"\n\
             [[servers]]\nname = \"edge-1\"\ntransport = \"push\"\n\
             [[servers]]\nname = \"edge-2\"\ntransport = \"push\"\n",
            web = tmp.path().display()
        ),
    )
    .unwrap();

    // Tokens: an ingest token is bound to one push server, and only to one.
    let edge1 = token(&config, db, &["edge-1-push", "--scope", "ingest", "--server", "edge-1"]);
    let edge2 = token(&config, db, &["edge-2-push", "--scope", "ingest", "--server", "edge-2"]);
    let read = token(&config, db, &["reader", "--scope", "read"]);
    let e = cli(&config, db, &["token", "create", "x", "--scope", "ingest"]).unwrap_err();
    assert!(e.contains("needs the server"), "{e}");
    let e = cli(&config, db, &["token", "create", "x", "--scope", "ingest", "--server", "here"]).unwrap_err();
    assert!(e.contains("not a server with transport = \"push\""), "{e}");
    let e = cli(&config, db, &["token", "create", "x", "--scope", "read", "--scope", "ingest", "--server", "edge-1"])
        .unwrap_err();
    assert!(e.contains("no other scope"), "{e}");
    let listed = cli(&config, db, &["token", "list"]).unwrap();
    assert!(
        listed.lines().any(|l| l.contains("edge-1-push") && l.contains("ingest") && l.contains("edge-1")),
        "{listed}"
    );

    // This machine polled, as a reference: a push server is never collected.
    let once = cli(&config, db, &["collect-once"]).unwrap();
    assert!(once.contains("here") && !once.contains("edge-1"), "{once}");

    let log = std::fs::File::create(tmp.path().join("api.log")).unwrap();
    let _api = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
            .arg("--config")
            .arg(&config)
            .arg("api")
            .env("DATABASE_URL", db)
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until("the API answers", QUICK, || async {
        let r = http.get(format!("{base}/api/health")).send().await.map_err(|e| e.to_string())?;
        if r.status().is_success() { Ok(()) } else { Err(r.status().to_string()) }
    })
    .await;
    assert!(latest_of(&http, &base, &read, "edge-1").await.is_none(), "nothing of edge-1 before it pushes");

    // The script, from the CLI; it refuses a server that does not push.
    let e = cli(&config, db, &["push-script", "--server", "here", "--url", &base]).unwrap_err();
    assert!(e.contains("only a server with transport = \"push\""), "{e}");
    let script_text = cli(&config, db, &["push-script", "--server", "edge-1", "--url", &base]).unwrap();
    assert!(script_text.starts_with("#!/bin/sh"));
    assert!(!script_text.contains(&edge1), "the script holds no secret");
    let script = tmp.path().join("fleetwatch-push");
    std::fs::write(&script, &script_text).unwrap();
    let edge1_file = token_file(tmp.path(), "edge-1.token", &edge1);
    let edge2_file = token_file(tmp.path(), "edge-2.token", &edge2);

    // curl, edge-1: stored with this API's clock; exactly the figures of the polled host.
    let before = chrono::Utc::now();
    let (ok, stderr) = run_script(
        &script,
        &["--token-file", edge1_file.to_str().unwrap(), "--client", "curl"],
        &tmp.path().join("scratch-curl"),
    );
    assert!(ok, "the curl push failed: {stderr}");
    let after = chrono::Utc::now();
    let pushed = latest_of(&http, &base, &read, "edge-1").await.expect("edge-1's pushed sample");
    let at: chrono::DateTime<chrono::Utc> = serde_json::from_value(pushed["timestamp"].clone()).unwrap();
    assert!(before <= at && at <= after, "the sample is timed by the API's clock: {at} not in {before}..{after}");
    let (polled_fields, polled_series) = figures(&http, &base, &read, "here").await;
    let (pushed_fields, pushed_series) = figures(&http, &base, &read, "edge-1").await;
    let name_free = |s: &BTreeSet<String>| s.iter().filter(|k| *k != "server_name").cloned().collect::<BTreeSet<_>>();
    assert_eq!(name_free(&pushed_fields), name_free(&polled_fields), "the sample's figures");
    assert!(polled_series.len() > 20, "{polled_series:?}");
    assert_eq!(pushed_series, polled_series, "the stored series");
    let status: Value = http
        .get(format!("{base}/api/servers/edge-1/status"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(status["status"], "offline", "{status}");
    assert_eq!(status["last_seen"], pushed["timestamp"], "{status}");
    let servers: Value =
        http.get(format!("{base}/api/servers")).bearer_auth(&read).send().await.unwrap().json().await.unwrap();
    let edge = servers.as_array().unwrap().iter().find(|s| s["name"] == "edge-1").unwrap();
    assert_eq!(edge["transport"], "push", "{edge}");

    // Refusals, each with the JSON error body.
    let ingest = format!("{base}/api/ingest");
    let garbage = Captured { body: b"hello, I am not the program's output\n".to_vec(), ..Captured::default() };
    let r = http.post(&ingest).bearer_auth(&read).body(garbage.body.clone()).send().await.unwrap();
    assert_eq!(r.status(), 403, "a read token may not push");
    assert_eq!(code(r).await, "FORBIDDEN");
    let r = http.post(format!("{ingest}?server=edge-1")).bearer_auth(&edge2).body("x").send().await.unwrap();
    assert_eq!(r.status(), 403, "edge-2's token may not push for edge-1");
    let r = http.post(&ingest).body("x").send().await.unwrap();
    assert!(matches!(r.status().as_u16(), 401 | 403), "no token: {}", r.status());
    let r = http.post(&ingest).bearer_auth(&edge2).body(garbage.body.clone()).send().await.unwrap();
    assert_eq!(r.status(), 422, "garbage");
    let v: Value = r.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("nothing stored"), "{v}");
    assert!(latest_of(&http, &base, &read, "edge-2").await.is_none(), "garbage stored nothing");
    let big = vec![b'x'; 8 * 1024 * 1024 + 1];
    let r = http.post(&ingest).bearer_auth(&edge2).body(big).send().await.unwrap();
    assert_eq!(r.status(), 413, "too large");

    // busybox wget (when installed), edge-2: stored as well.
    if Command::new("busybox").arg("true").status().is_ok_and(|s| s.success()) {
        let script2 = tmp.path().join("fleetwatch-push-2");
        std::fs::write(&script2, cli(&config, db, &["push-script", "--server", "edge-2", "--url", &base]).unwrap())
            .unwrap();
        let (ok, stderr) = run_script(
            &script2,
            &["--token-file", edge2_file.to_str().unwrap(), "--client", "wget"],
            &tmp.path().join("scratch-busybox"),
        );
        assert!(ok, "the busybox wget push failed: {stderr}");
        let (fields, series) = figures(&http, &base, &read, "edge-2").await;
        assert_eq!(name_free(&fields), name_free(&polled_fields));
        assert_eq!(series, polled_series);
    }

    // What the script sends, caught by a receiver of the test's own, then replayed to the API.
    let (catcher, caught) = capture().await;
    let (ok, stderr) = run_script(
        &script,
        &["--token-file", edge1_file.to_str().unwrap(), "--url", &format!("{catcher}/api/ingest")],
        &tmp.path().join("scratch-capture"),
    );
    assert!(ok, "{stderr}");
    let sent = caught.lock().unwrap().clone().expect("the script posted");
    assert!(
        !sent.boot.is_empty() && sent.seq.parse::<u64>().is_ok(),
        "sequence headers: {:?} {:?}",
        sent.boot,
        sent.seq
    );
    assert!(String::from_utf8_lossy(&sent.body).contains("@@fw begin"), "the program's raw output");
    let r = post(&http, &ingest, &edge1, &sent).await;
    assert_eq!(r.status(), 429, "a second push within the interval");
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=5).contains(&retry), "Retry-After: {retry}");
    assert_eq!(code(r).await, "RATE_LIMITED");
    wait_until("the push is taken after Retry-After", QUICK, || async {
        let r = post(&http, &ingest, &edge1, &sent).await;
        if r.status() == 202 { Ok(()) } else { Err(r.status().to_string()) }
    })
    .await;
    let r = post(&http, &ingest, &edge1, &sent).await;
    assert_eq!(r.status(), 409, "the same body again");
    assert_eq!(code(r).await, "CONFLICT");
    let mut older = sent.clone();
    older.body.extend_from_slice(b"\n");
    let r = post(&http, &ingest, &edge1, &older).await;
    assert_eq!(r.status(), 409, "a sequence number not above the last one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", tmp.path().join("fw.db").display());
    pushes_have_the_figures_of_a_polled_host(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_on_postgres() {
    let pg = PgTestDb::create().await;
    pushes_have_the_figures_of_a_polled_host(&pg.url).await;
    pg.drop_db().await;
}

#[test]
fn the_script_reads_its_token_from_a_file_never_from_argv_under_curl() {
    let text =
        fleetwatch_collector::push::push_script("edge-1", "http://127.0.0.1:9", "/etc/fleetwatch/token").unwrap();
    let curl_line = text.lines().find(|l| l.contains("curl -sS -K -")).unwrap();
    assert!(
        curl_line.starts_with("            printf 'header = \"Authorization: Bearer %s\"\\n' \"$fw_token\" | curl"),
        "{curl_line}"
    );
    let curl_args: Vec<&str> = text.lines().skip_while(|l| !l.contains("curl -sS -K -")).skip(1).take(4).collect();
    assert!(curl_args.iter().all(|l| !l.contains("fw_token")), "{curl_args:?}");
    let mut sh = Command::new("/bin/sh").arg("-n").stdin(Stdio::piped()).spawn().unwrap();
    sh.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    assert!(sh.wait().unwrap().success(), "sh -n: the script parses");
}
