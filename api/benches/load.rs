//! The API under load (issue #13 budgets: with 1,000 servers stored, `GET
//! /api/servers/metrics/latest` at 64 connections p99 ≤ 10 ms; 500 open live streams cost
//! ≤ 50 MB), on SQLite and on PostgreSQL.
//!
//! `cargo bench -p fleetwatch-api --bench load -- [--oha PATH] [--seconds N] [--streams N] [--token]`
//! (release build; PostgreSQL at 127.0.0.1:5432, as for the tests; `oha` from crates.io:
//! `cargo install oha --locked`). For each backend: the fleet of `support/fleet.rs` is stored,
//! the API served on a loopback port by a 2-thread runtime (the machine's cores), and
//! 1. `oha` asks the latest figures of the fleet at 64 connections for N seconds (it runs on the
//!    same cores as the API, so its own cost is in the figures);
//! 2. N clients open `/api/events` and read; then a cycle of the whole fleet is stored, so every
//!    stream carries 1,000 `server` events; the process's resident memory is sampled every
//!    20 ms from before the streams open until every stream has carried the last server's
//!    event. The clients live in this process too (a socket and a 4 KB buffer each), so the
//!    growth is an upper bound of what the streams cost the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Duration as Age;
use fleetwatch_api::{AppState, AuthSettings};
use fleetwatch_common::Thresholds;
use fleetwatch_store::Store;
use fleetwatch_store::auth::{NewToken, Role, Scope, UserRecord, digest, hash_password, new_token_secret};
use fleetwatch_testkit::PgTestDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "support/fleet.rs"]
mod fleet;
use fleet::{SERVERS, fill, metas, name, sample};

struct Args {
    oha: String,
    seconds: u64,
    streams: usize,
    /// Login required, and oha sends an API token (read scope), as a script or Grafana would
    /// against the compose stack; without it the API is open (loopback, no user).
    token: bool,
}

fn args() -> Args {
    let mut a = Args { oha: "oha".into(), seconds: 10, streams: 500, token: false };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--oha" => a.oha = value(),
            "--seconds" => a.seconds = value().parse().expect("--seconds N"),
            "--streams" => a.streams = value().parse().expect("--streams N"),
            "--token" => a.token = true,
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    a
}

/// The process's resident memory in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The answer's size as the API sends it gzipped (the same codec and level).
fn gzipped_len(body: &[u8]) -> usize {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(body).unwrap();
    e.finish().unwrap().len()
}

/// `oha` at 64 connections for `seconds`: (requests per second, p50, p99, slowest) in ms.
fn latest_under_load(a: &Args, url: &str, gzip: bool, bearer: Option<&str>) -> Option<(f64, f64, f64, f64)> {
    let mut oha = Command::new(&a.oha);
    if gzip {
        oha.args(["-H", "Accept-Encoding: gzip"]);
    }
    if let Some(secret) = bearer {
        oha.arg("-H").arg(format!("Authorization: Bearer {secret}"));
    }
    let out = oha
        .args(["--no-tui", "--output-format", "json", "-c", "64", "-z"])
        .arg(format!("{}s", a.seconds))
        .arg(url)
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!("oha failed: {}", String::from_utf8_lossy(&o.stderr));
            return None;
        }
        Err(e) => {
            eprintln!("cannot run {} ({e}): `cargo install oha --locked`, or --oha PATH", a.oha);
            return None;
        }
    };
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let ms = |x: &serde_json::Value| x.as_f64().map(|s| s * 1000.0);
    let ok = v["statusCodeDistribution"]["200"].as_u64().unwrap_or(0);
    let all: u64 = v["statusCodeDistribution"].as_object()?.values().filter_map(serde_json::Value::as_u64).sum();
    assert_eq!(ok, all, "every answer a 200: {}", v["statusCodeDistribution"]);
    Some((
        v["summary"]["requestsPerSec"].as_f64()?,
        ms(&v["latencyPercentiles"]["p50"])?,
        ms(&v["latencyPercentiles"]["p99"])?,
        ms(&v["summary"]["slowest"])?,
    ))
}

/// Opens `n` live streams, stores a cycle of the whole fleet, and waits until every stream has
/// carried the last server's event: (baseline RSS, peak RSS during, seconds it took) in KiB.
async fn streams(addr: std::net::SocketAddr, store: &dyn Store, n: usize, bearer: Option<&str>) -> (u64, u64, f64) {
    let request: Arc<str> = format!(
        "GET /api/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n{}\r\n",
        bearer.map(|s| format!("Authorization: Bearer {s}\r\n")).unwrap_or_default()
    )
    .into();
    let baseline = rss_kib();
    let peak = Arc::new(AtomicU64::new(baseline));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let opened = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let last = format!("\"{}\"", name(SERVERS - 1));
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        let (opened, done, last, request) = (opened.clone(), done.clone(), last.clone(), request.clone());
        clients.push(tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(request.as_bytes()).await.unwrap();
            let mut buf = vec![0u8; 4096];
            let mut tail = String::new();
            let mut counted = false;
            loop {
                let k = s.read(&mut buf).await.unwrap_or(0);
                if k == 0 {
                    break;
                }
                if !counted {
                    counted = true;
                    opened.fetch_add(1, Ordering::Relaxed);
                }
                // Keep a little of the previous read so a name split across reads is found.
                tail.push_str(&String::from_utf8_lossy(&buf[..k]));
                if tail.contains(&last) || tail.contains("event: resync") {
                    done.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                let cut = tail.len().saturating_sub(64);
                let cut = (cut..=tail.len()).find(|&i| tail.is_char_boundary(i)).unwrap_or(tail.len());
                tail.drain(..cut);
            }
            s
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while opened.load(Ordering::Relaxed) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let start = Instant::now();
    let cycle: Vec<_> = (0..SERVERS).map(|i| sample(i, Age::zero())).collect();
    for s in &cycle {
        store.record_success(s, &[], None, 120).await.unwrap();
    }
    while done.load(Ordering::Relaxed) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    assert_eq!(done.load(Ordering::Relaxed), n, "every stream carried the cycle");
    // The sockets close only now, after the peak was taken.
    for c in clients {
        drop(c.await.unwrap());
    }
    (baseline, peak.load(Ordering::Relaxed), took)
}

async fn measure(label: &str, a: &Args, store: Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let mut state = AppState::new(store.clone(), metas(), Thresholds::default(), Duration::from_secs(2_400), 30);
    let bearer = if a.token { Some(read_token(store.as_ref()).await) } else { None };
    if a.token {
        state = state.with_auth(AuthSettings { required: true, ..AuthSettings::default() });
    }
    let mode = if a.token { "login required, an API token" } else { "open" };
    state.start_events(Duration::from_millis(500));
    let app = fleetwatch_api::router(state, dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { fleetwatch_api::serve(listener, app, std::future::pending()).await });
    let url = format!("http://{addr}/api/servers/metrics/latest");
    let mut get = reqwest::Client::new().get(&url);
    if let Some(secret) = &bearer {
        get = get.bearer_auth(secret);
    }
    let body = get.send().await.unwrap().error_for_status().unwrap().bytes().await.unwrap();
    for gzip in [false, true] {
        let oha = {
            let (a2, url, bearer) = (Args { oha: a.oha.clone(), ..*a }, url.clone(), bearer.clone());
            tokio::task::spawn_blocking(move || latest_under_load(&a2, &url, gzip, bearer.as_deref())).await.unwrap()
        };
        let how = if gzip { format!("gzipped to {} KB", gzipped_len(&body) / 1024) } else { "plain".into() };
        match oha {
            Some((rps, p50, p99, slowest)) => println!(
                "load {label} ({mode}): GET /api/servers/metrics/latest ({} KB of JSON, sent {how}, {SERVERS} servers), 64 connections, {} s: \
                 {rps:.0} req/s, p50 {p50:.2} ms, p99 {p99:.2} ms, slowest {slowest:.1} ms",
                body.len() / 1024,
                a.seconds
            ),
            None => println!("load {label}: oha not run"),
        }
    }
    let (baseline, peak, took) = streams(addr, store.as_ref(), a.streams, bearer.as_deref()).await;
    println!(
        "load {label}: {} live streams, a cycle of {SERVERS} servers carried to each in {took:.1} s: RSS {:.1} -> \
         peak {:.1} MiB (+{:.1} MiB, {:.1} KiB per stream)",
        a.streams,
        baseline as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak - baseline) as f64 / 1024.0,
        (peak - baseline) as f64 / a.streams as f64,
    );
    server.abort();
}

/// A user, and an API token of theirs with the read scope: its secret.
async fn read_token(store: &dyn Store) -> String {
    let now = chrono::Utc::now();
    let user = UserRecord {
        name: "bench".into(),
        role: Role::Viewer,
        password_hash: hash_password("bench password").unwrap(),
        created: now,
        password_changed: now,
    };
    store.create_user(&user).await.unwrap();
    let secret = new_token_secret().unwrap();
    let token = NewToken {
        name: "load",
        scopes: &[Scope::Read],
        secret_hash: &digest(&secret),
        created_by: "bench",
        created: now,
        expires: None,
        server: None,
    };
    store.create_token(token).await.unwrap();
    secret
}

fn main() {
    let a = args();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let sqlite: Arc<dyn Store> = Arc::from(
            fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("bench.db").display())).await.unwrap(),
        );
        fill(sqlite.as_ref()).await;
        measure("sqlite", &a, sqlite).await;

        let db = PgTestDb::create().await;
        let pg: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&db.url).await.unwrap());
        fill(pg.as_ref()).await;
        measure("postgres", &a, pg.clone()).await;
        drop(pg);
        db.drop_db().await;
    });
}
