//! The compose topology without containers: Debian's nginx, configured by `nginx/render.sh`
//! exactly as the `nginx` container is, in front of `fleetwatch api` and `fleetwatch collector`
//! running as separate processes on a fresh PostgreSQL database, with a `local` server so there is
//! real data. Through nginx: the page and its caching, the WASM's type and compression, the API,
//! the security headers, the body limit, HTTPS, the live stream, and a graceful stop.
//! Needs `make test-deps` (nginx, envsubst, openssl, curl, PostgreSQL) and `make frontend`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fleetwatch_testkit::{
    PgTestDb, Proc, copy_dir, free_port, headless_chromium, open_up, repo, run, text, wait_for, web_dir,
};
use reqwest::header::HeaderMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The uid and gid nginx runs as when the tests run as root (`nobody`).
const NOBODY: u32 = 65534;

/// A name with a content hash, as a hashing build would make: nginx must cache it for long.
const HASHED_ASSET: &str = "fixture.0123456789abcdef.js";

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().unwrap()
}

struct Nginx {
    proc: Proc,
    http: String,
    https_port: u16,
    access_log: PathBuf,
    error_log: PathBuf,
}

/// nginx as the container runs it: `render.sh --run`, as a user without privileges (the tests
/// run as root: nginx then runs as `nobody`), on loopback ports, with its files in `dir/nginx`.
async fn start_nginx(dir: &Path, upstream: &str, web: &Path, certs: Option<&Path>) -> Nginx {
    let (http_port, https_port) = (free_port(), free_port());
    let run_dir = dir.join("nginx");
    std::fs::create_dir_all(&run_dir).unwrap();
    let access_log = run_dir.join("access.log");
    let error_log = run_dir.join("error.log");
    let render = repo().join("nginx/render.sh");
    let as_root = String::from_utf8(run(Command::new("id").arg("-u")).stdout).unwrap().trim() == "0";
    let mut cmd = if as_root {
        for path in std::iter::once(run_dir.clone())
            .chain(certs.map(|c| std::fs::read_dir(c).unwrap()).into_iter().flatten().map(|e| e.unwrap().path()))
        {
            std::os::unix::fs::chown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        let mut cmd = Command::new("setpriv");
        cmd.args([format!("--reuid={NOBODY}"), format!("--regid={NOBODY}"), "--clear-groups".into()]).arg(&render);
        cmd
    } else {
        Command::new(&render)
    };
    cmd.arg("--run")
        .arg(&run_dir)
        .env("FLEETWATCH_API_UPSTREAM", upstream)
        .env("NGINX_LISTEN", format!("127.0.0.1:{http_port}"))
        .env("NGINX_TLS", if certs.is_some() { "on" } else { "off" })
        .env("NGINX_TLS_LISTEN", format!("127.0.0.1:{https_port}"))
        .env("NGINX_CERT_DIR", certs.unwrap_or(dir))
        .env("NGINX_WEB_ROOT", web)
        .env("NGINX_ACCESS_LOG", &access_log)
        .env("NGINX_ERROR_LOG", &error_log);
    let mut proc = Proc::spawn("nginx", &mut cmd, dir);
    proc.stop_signal = "QUIT"; // the container's STOPSIGNAL: nginx's graceful stop
    let http = format!("http://127.0.0.1:{http_port}");
    let client = client();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = client.get(format!("{http}/nginx-healthz")).send().await
            && r.status() == 200
        {
            break;
        }
        if proc.child.try_wait().unwrap().is_some() || Instant::now() > deadline {
            panic!(
                "nginx did not come up: {}\nerror log:\n{}",
                proc.log_text(),
                std::fs::read_to_string(&error_log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if as_root {
        let user = run(Command::new("ps").args(["-o", "uid=", "-p"]).arg(proc.child.id().to_string()));
        assert_eq!(String::from_utf8_lossy(&user.stdout).trim(), NOBODY.to_string(), "nginx runs unprivileged");
    }
    Nginx { proc, http, https_port, access_log, error_log }
}

/// `fleetwatch <command>` as compose runs it (JSON logs), with nothing from this environment.
fn fleetwatch(command: &str, config: &Path, dir: &Path) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetwatch"));
    cmd.arg("--config").arg(config).arg(command).env("FLEETWATCH_LOG_FORMAT", "json").env("RUST_BACKTRACE", "0");
    for var in
        ["DATABASE_URL", "POSTGRES_HOST", "POSTGRES_PASSWORD", "FLEETWATCH_LISTEN", "FLEETWATCH_WEB_DIR", "RUST_LOG"]
    {
        cmd.env_remove(var);
    }
    Proc::spawn(command, &mut cmd, dir)
}

/// The one value of a header (fails when absent or repeated).
fn one(headers: &HeaderMap, name: &str, what: &str) -> String {
    let all: Vec<_> = headers.get_all(name).iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert_eq!(all.len(), 1, "{what}: expected exactly one {name}, got {all:?}");
    all[0].clone()
}

fn assert_security_headers(headers: &HeaderMap, what: &str, script_hashes: &[String]) {
    let csp = one(headers, "content-security-policy", what);
    for part in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(part), "{what}: CSP lacks {part:?}: {csp}");
    }
    assert!(!csp.contains("'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{what}: {csp}");
    for hash in script_hashes {
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{what}: CSP lacks the inline script's hash {hash}: {csp}");
    }
    assert_eq!(one(headers, "x-content-type-options", what), "nosniff");
    assert_eq!(one(headers, "x-frame-options", what), "DENY");
    assert_eq!(one(headers, "referrer-policy", what), "no-referrer");
    assert_eq!(one(headers, "server", what), "nginx", "{what}: server_tokens off");
}

/// sha256 (base64) of each inline `<script>` of the page, found independently of render.sh.
fn inline_script_hashes(index_html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = index_html;
    while let Some(start) = rest.find("<script") {
        rest = &rest[start..];
        let tag_end = rest.find('>').unwrap();
        let tag = &rest[..tag_end];
        let body_end = rest.find("</script>").unwrap();
        let body = &rest[tag_end + 1..body_end];
        rest = &rest[body_end..];
        if tag.contains(" src=") || body.is_empty() {
            continue;
        }
        let mut openssl = Command::new("sh")
            .args(["-c", "openssl dgst -sha256 -binary | openssl base64 -A"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        openssl.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
        let out = openssl.wait_with_output().unwrap();
        hashes.push(String::from_utf8(out.stdout).unwrap());
    }
    hashes
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// `curl` over HTTPS to nginx, verifying its certificate against `ca`: (status line, headers, body).
fn curl_https(ca: &Path, port: u16, path: &str) -> (String, String, String) {
    let out = run(Command::new("curl")
        .args(["-sS", "--http2", "--max-time", "20", "--cacert"])
        .arg(ca)
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1"), "-D", "-"])
        .arg(format!("https://localhost:{port}{path}")));
    assert!(out.status.success(), "curl https {path}: {}", text(&out));
    let all = String::from_utf8(out.stdout).unwrap();
    let (head, body) = all.split_once("\r\n\r\n").unwrap();
    let (status, headers) = head.split_once("\r\n").unwrap();
    (status.to_string(), headers.to_lowercase(), body.to_string())
}

/// A test directory readable by nginx (not root), with the dashboard and a self-signed certificate.
fn prepare(tmp: &Path) -> (PathBuf, PathBuf) {
    let web = tmp.join("web");
    copy_dir(&web_dir(), &web);
    std::fs::write(web.join(HASHED_ASSET), "export const hashed = true;\n").unwrap();
    let certs = tmp.join("certs");
    let out = run(Command::new(repo().join("nginx/make-cert.sh")).arg(&certs).args(["localhost", "127.0.0.1"]));
    assert!(out.status.success(), "make-cert.sh: {}", text(&out));
    open_up(tmp);
    (web, certs)
}

fn write_config(tmp: &Path, db: &str, api_port: u16, web: &Path) -> PathBuf {
    let config = tmp.join("fleetwatch.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{db}\"\nlisten = \"127.0.0.1:{api_port}\"\nweb_dir = \"{web}\"\n\
             [collector]\nschedule = \"*/2 * * * * *\"\nretries = 1\n\
             [[servers]]\nname = \"local\"\ntransport = \"local\"\n",
            web = web.display()
        ),
    )
    .unwrap();
    config
}

/// Waits until the api (through nginx) shows the local server collected by the collector process.
async fn wait_for_collected(http: &str) -> serde_json::Value {
    let client = client();
    wait_for("the collector's first sample, read through nginx and the api", Duration::from_secs(90), || async {
        let v: serde_json::Value = client.get(format!("{http}/api/servers")).send().await.ok()?.json().await.ok()?;
        let local = v.as_array()?.iter().find(|s| s["name"] == "local")?.clone();
        (!local["latest"].is_null()).then_some(local)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_serves_the_dashboard_api_tls_and_live_stream_of_separate_processes_on_postgres() {
    let tmp = tempfile::tempdir().unwrap();
    let (web, certs) = prepare(tmp.path());
    let db = PgTestDb::create().await;
    let api_port = free_port();
    let config = write_config(tmp.path(), &db.url, api_port, &web);
    let mut collector = fleetwatch("collector", &config, tmp.path());
    let mut api = fleetwatch("api", &config, tmp.path());
    let mut nginx = start_nginx(tmp.path(), &format!("127.0.0.1:{api_port}"), &web, Some(&certs)).await;
    let http = nginx.http.clone();
    let client = client();

    // The api and the collector are up (through nginx: the probe paths compose and k8s use).
    wait_for("the api's /readyz through nginx", Duration::from_secs(30), || async {
        let r = client.get(format!("{http}/readyz")).send().await.ok()?;
        (r.status() == 200).then_some(())
    })
    .await;
    assert_eq!(client.get(format!("{http}/healthz")).send().await.unwrap().status(), 200);
    let local = wait_for_collected(&http).await;
    assert_eq!(local["transport"], "local", "{local}");
    collector.assert_running();
    api.assert_running();

    // The page: index.html, never cached without revalidation, under the CSP.
    let index_html = std::fs::read_to_string(web.join("index.html")).unwrap();
    let hashes = inline_script_hashes(&index_html);
    for path in ["/", "/index.html", "/servers/local", "/overview"] {
        let r = client.get(format!("{http}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(one(r.headers(), "content-type", path), "text/html; charset=utf-8");
        assert_eq!(one(r.headers(), "cache-control", path), "no-cache");
        assert_security_headers(r.headers(), path, &hashes);
        assert!(r.headers().get("strict-transport-security").is_none(), "{path}: no HSTS over plain HTTP");
        assert_eq!(r.text().await.unwrap(), index_html, "{path} serves index.html");
    }

    // The WASM: its own type, gzip when asked, revalidated (ETag) since its name has no hash.
    let wasm_path = "/fleetwatch_frontend_bg.wasm";
    let wasm = std::fs::read(web.join(&wasm_path[1..])).unwrap();
    let r = client.get(format!("{http}{wasm_path}")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(one(&h, "content-type", wasm_path), "application/wasm");
    assert_eq!(one(&h, "content-encoding", wasm_path), "gzip");
    assert!(one(&h, "vary", wasm_path).contains("Accept-Encoding"));
    assert_eq!(one(&h, "cache-control", wasm_path), "no-cache");
    assert_security_headers(&h, wasm_path, &hashes);
    let gz = r.bytes().await.unwrap();
    assert!(gz.len() < wasm.len() / 2, "gzip: {} -> {} bytes", wasm.len(), gz.len());
    assert!(gunzip(&gz) == wasm, "the gzipped body is the .wasm file");
    let etag = one(&h, "etag", wasm_path);
    let r = client
        .get(format!("{http}{wasm_path}"))
        .header("accept-encoding", "gzip")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304, "revalidation with {etag}");
    let r = client.get(format!("{http}{wasm_path}")).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none(), "no gzip unless asked");
    assert!(r.bytes().await.unwrap() == wasm);

    for (path, ty) in
        [("/fleetwatch_frontend.js", "text/javascript; charset=utf-8"), ("/style.css", "text/css; charset=utf-8")]
    {
        let r = client.get(format!("{http}{path}")).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(one(r.headers(), "content-type", path), ty);
        assert_eq!(one(r.headers(), "cache-control", path), "no-cache");
        let body_len = std::fs::metadata(web.join(&path[1..])).unwrap().len();
        if body_len >= 1024 {
            assert_eq!(one(r.headers(), "content-encoding", path), "gzip");
        }
    }
    let r = client.get(format!("{http}/{HASHED_ASSET}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(one(r.headers(), "cache-control", HASHED_ASSET), "public, max-age=31536000, immutable");
    let r = client.get(format!("{http}/no-such-file.js")).send().await.unwrap();
    assert_eq!(r.status(), 404, "a missing asset is a 404, not the page");

    // The API through nginx: the api's JSON and caching, nginx's headers, one nosniff.
    let r = client.get(format!("{http}/api/servers")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(one(r.headers(), "content-type", "/api/servers").starts_with("application/json"));
    assert_eq!(one(r.headers(), "cache-control", "/api/servers"), "no-store");
    assert_security_headers(r.headers(), "/api/servers", &hashes);
    let r = client.get(format!("{http}/api/no-such-endpoint")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["success"], false, "{body}");

    // The request size limit: 413 from nginx, with the headers, before the api sees anything.
    let r = client.post(format!("{http}/api/servers")).body(vec![b'x'; 2 * 1024 * 1024]).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_security_headers(r.headers(), "413", &hashes);

    // HTTPS: the second server block, with the self-signed certificate verified by curl.
    let ca = certs.join("fullchain.pem");
    let (status, headers, body) = curl_https(&ca, nginx.https_port, "/api/servers");
    assert_eq!(status.trim(), "HTTP/2 200", "{headers}");
    assert!(headers.contains("strict-transport-security: max-age=31536000"), "{headers}");
    assert!(headers.contains("content-security-policy: default-src 'self'"), "{headers}");
    let servers: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(servers.as_array().unwrap().iter().any(|s| s["name"] == "local"), "{servers}");
    let (status, headers, body) = curl_https(&ca, nginx.https_port, "/");
    assert_eq!(status.trim(), "HTTP/2 200");
    assert!(headers.contains("cache-control: no-cache"), "{headers}");
    assert_eq!(body, index_html);

    // The live stream: a server event arrives through nginx while the stream stays open.
    let mut events = client
        .get(format!("{http}/api/events"))
        .header("accept", "text/event-stream")
        .header("accept-encoding", "gzip")
        .timeout(Duration::from_secs(600))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200, "/api/events");
    assert!(one(events.headers(), "content-type", "/api/events").starts_with("text/event-stream"));
    assert!(events.headers().get("content-encoding").is_none(), "the stream is never compressed");
    let mut received = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(received.contains("event: server") && received.contains("\"name\":\"local\"")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.chunk()).await {
            Ok(Ok(Some(chunk))) => received.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Ok(None)) => panic!("the stream ended (buffered?) after {received:?}"),
            Ok(Err(e)) => panic!("the stream failed: {e} after {received:?}"),
            Err(_) => panic!("no server event through nginx within 60 s; got {received:?}"),
        }
    }

    // A graceful stop, in compose's order of dependencies: the collector and the api exit 0 on
    // SIGTERM (the api even with a live stream open), then nginx on SIGQUIT.
    let status = collector.stop(Duration::from_secs(90)).await;
    assert!(status.success(), "collector on SIGTERM: {status}\n{}", collector.log_text());
    let status = api.stop(Duration::from_secs(30)).await;
    assert!(status.success(), "api on SIGTERM: {status}\n{}", api.log_text());
    let status = nginx.proc.stop(Duration::from_secs(20)).await;
    assert!(status.success(), "nginx on SIGQUIT: {status}");

    // Logs: JSON lines with a level, for `make logs-errors` (the api's stdout has its URL line).
    for proc in [&collector, &api] {
        let stderr = std::fs::read_to_string(&proc.stderr).unwrap();
        assert!(!stderr.trim().is_empty(), "{} logged nothing", proc.name);
        for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}: not a JSON log line ({e}): {line}", proc.name));
            assert!(v["level"].is_string(), "{}: no level in {line}", proc.name);
        }
    }
    let access = std::fs::read_to_string(&nginx.access_log).unwrap();
    let lines: Vec<serde_json::Value> = access
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("access log line ({e}): {l}")))
        .collect();
    assert!(lines.iter().any(|l| l["level"] == "WARN" && l["fields"]["status"] == 413), "{access}");
    assert!(lines.iter().any(|l| l["level"] == "INFO" && l["fields"]["status"] == 200), "{access}");
    let errors = std::fs::read_to_string(&nginx.error_log).unwrap_or_default();
    assert!(!errors.contains("[emerg]") && !errors.contains("[crit]"), "nginx error log:\n{errors}");
    drop(events);
    db.drop_db().await;
}

/// The CSP is checked where it matters: headless Chromium loads the dashboard through nginx and
/// the WASM app renders the collected server (blocked WASM or bootstrap script render nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_renders_through_nginx_under_its_csp() {
    let tmp = tempfile::tempdir().unwrap();
    let (web, _certs) = prepare(tmp.path());
    let db = PgTestDb::create().await;
    let api_port = free_port();
    let config = write_config(tmp.path(), &db.url, api_port, &web);
    let collector = fleetwatch("collector", &config, tmp.path());
    let api = fleetwatch("api", &config, tmp.path());
    let nginx = start_nginx(tmp.path(), &format!("127.0.0.1:{api_port}"), &web, None).await;
    wait_for_collected(&nginx.http).await;

    let (driver, browser) = headless_chromium(tmp.path(), "1280,900").await;
    browser.goto(&format!("{}/", nginx.http)).await.unwrap();
    let card = wait_for("the local server's card, rendered by the WASM app", Duration::from_secs(30), || async {
        let cards = browser.find_all(fantoccini::Locator::Css(".server-card")).await.ok()?;
        for card in cards {
            if card.attr("data-server").await.ok()?.as_deref() == Some("local") {
                return Some(card);
            }
        }
        None
    })
    .await;
    assert_ne!(card.attr("data-status").await.unwrap().as_deref(), Some("offline"));

    // The server's page: charts (uPlot, loaded by a script element) and inline style attributes,
    // with no CSP violation reported from here on.
    let listen = "window.__csp = []; document.addEventListener('securitypolicyviolation', \
                  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));";
    browser.execute(listen, vec![]).await.unwrap();
    let link = card.find(fantoccini::Locator::Css("a[href='/servers/local']")).await;
    link.expect("the card links to the server's page").click().await.unwrap();
    wait_for("a chart drawn by uPlot on the server's page", Duration::from_secs(30), || async {
        browser.find(fantoccini::Locator::Css(".uplot")).await.ok()
    })
    .await;
    let violations = browser.execute("return window.__csp;", vec![]).await.unwrap();
    assert_eq!(violations, serde_json::json!([]), "CSP violations on the server's page");
    browser.close().await.unwrap();
    drop((driver, nginx, api, collector));
    db.drop_db().await;
}

/// nginx's own rules for the live stream, against a stand-in api that does NOT send
/// `X-Accel-Buffering`: the first event comes through while the upstream keeps the stream open,
/// uncompressed; and the api learns the client's address and scheme.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_passes_a_stream_unbuffered_and_forwards_client_details() {
    let tmp = tempfile::tempdir().unwrap();
    let web = tmp.path().join("web");
    std::fs::create_dir_all(&web).unwrap();
    std::fs::write(web.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    open_up(tmp.path());

    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    let (heads_tx, mut heads) = tokio::sync::mpsc::unbounded_channel::<String>();
    let release = Arc::new(tokio::sync::Notify::new());
    let release_in = release.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = upstream.accept().await else { return };
            let (heads_tx, release) = (heads_tx.clone(), release_in.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let is_stream = head.starts_with("GET /api/events ");
                heads_tx.send(head).unwrap();
                if is_stream {
                    let event = "event: server\ndata: {\"name\":\"stand-in\"}\n\n";
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\
                         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{event}\r\n",
                        event.len()
                    );
                    conn.write_all(reply.as_bytes()).await.unwrap();
                    conn.flush().await.unwrap();
                    release.notified().await; // the stream stays open until the test is done
                    conn.write_all(b"0\r\n\r\n").await.ok();
                } else {
                    let reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\
                                 X-Content-Type-Options: nosniff\r\n\r\n[]";
                    conn.write_all(reply.as_bytes()).await.unwrap();
                }
            });
        }
    });

    let nginx = start_nginx(tmp.path(), &upstream_addr.to_string(), &web, None).await;
    let client = client();
    let mut stream = client
        .get(format!("{}/api/events", nginx.http))
        .header("accept", "text/event-stream")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers().get("content-encoding").is_none());
    let mut received = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !received.contains("data: {\"name\":\"stand-in\"}") {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.chunk()).await {
            Ok(Ok(Some(chunk))) => received.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("the event did not come through while the stream was open: {other:?}, got {received:?}"),
        }
    }
    let head = heads.recv().await.unwrap().to_lowercase();
    assert!(head.starts_with("get /api/events http/1.1\r\n"), "{head}");
    for line in ["x-forwarded-proto: http\r\n", "x-real-ip: 127.0.0.1\r\n", "x-forwarded-for: 127.0.0.1\r\n"] {
        assert!(head.contains(line), "upstream request lacks {line:?}:\n{head}");
    }
    assert!(!head.contains("accept-encoding"), "the stream's request asks for no compression:\n{head}");

    let r = client.get(format!("{}/api/servers", nginx.http)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(one(r.headers(), "x-content-type-options", "/api/servers"), "nosniff");
    assert_eq!(r.text().await.unwrap(), "[]");
    let head = heads.recv().await.unwrap().to_lowercase();
    assert!(head.starts_with("get /api/servers http/1.1\r\n"), "{head}");

    release.notify_waiters();
    drop(stream);
    drop(nginx);
}
