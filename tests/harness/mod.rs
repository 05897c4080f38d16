//! Helpers shared by the end-to-end tests (tests/stack.rs, compose.rs, k8s.rs, makefile.rs,
//! browser.rs, cluster.rs): processes stopped by signal, throw-away PostgreSQL databases, polling
//! with deadlines, YAML read as JSON values.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn read(path: impl AsRef<Path>) -> String {
    let path = repo().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Polls `check` until it returns `Some`, failing with `what` after `limit`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs a command to completion; panics with its output when it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Both output streams, for messages.
pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Sends `signal` (e.g. "TERM") to a process.
pub fn signal(pid: u32, signal: &str) {
    let out = run(Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()));
    assert!(out.status.success(), "kill -{signal} {pid}: {}", text(&out));
}

/// A child process with a name and its output in files, stopped gracefully (SIGTERM, or
/// `stop_signal`) when dropped, and killed if it does not stop within 10 s.
pub struct Proc {
    pub name: String,
    pub child: Child,
    /// Where its stdout and stderr go: `<dir>/<name>.out`, `<dir>/<name>.err`.
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub stop_signal: &'static str,
}

impl Proc {
    /// Starts `cmd` with its output in files under `dir`.
    pub fn spawn(name: &str, cmd: &mut Command, dir: &Path) -> Self {
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        Self { name: name.into(), child, stdout, stderr, stop_signal: "TERM" }
    }

    /// Its output so far, for messages.
    pub fn log_text(&self) -> String {
        let out = std::fs::read_to_string(&self.stdout).unwrap_or_default();
        let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        format!("--- stdout\n{out}--- stderr\n{err}")
    }

    /// Panics with the output when the process has exited already.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("{} exited early ({status}); its output:\n{}", self.name, self.log_text());
        }
    }

    /// Sends the stop signal and waits (up to `limit`) for the exit status.
    pub async fn stop(&mut self, limit: Duration) -> std::process::ExitStatus {
        if let Some(status) = self.child.try_wait().unwrap() {
            return status;
        }
        signal(self.child.id(), self.stop_signal);
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                self.child.kill().ok();
                self.child.wait().ok();
                panic!(
                    "{} did not stop within {limit:?} of SIG{}; its output:\n{}",
                    self.name,
                    self.stop_signal,
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // Graceful first: nginx's workers outlive a SIGKILLed master.
            let sent =
                Command::new("kill").arg(format!("-{}", self.stop_signal)).arg(self.child.id().to_string()).status();
            if let Err(e) = sent {
                eprintln!("cannot signal {}: {e}", self.name);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

/// Where the PostgreSQL test server is, when `FLEETWATCH_TEST_PG_URL` does not say.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, uniquely named PostgreSQL database, dropped by [`PgTestDb::drop_db`].
pub struct PgTestDb {
    admin_url: String,
    name: String,
    /// The URL of the fresh database.
    pub url: String,
}

impl PgTestDb {
    /// Creates the database. A missing PostgreSQL fails the test (never skips it).
    pub async fn create() -> Self {
        let admin_url = std::env::var("FLEETWATCH_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
        let mut admin = admin_connection(&admin_url).await;
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
        let name = format!("fw_stack_{}_{nanos}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut admin).await.unwrap();
        admin.close().await.unwrap();
        let url = with_database(&admin_url, &name);
        Self { admin_url, name, url }
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_db(self) {
        let mut admin = admin_connection(&self.admin_url).await;
        sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
    }
}

async fn admin_connection(url: &str) -> PgConnection {
    match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!(
            "PostgreSQL is required by this test but not reachable ({e}): start it (`make test-deps`) or set FLEETWATCH_TEST_PG_URL"
        ),
        Err(_) => panic!("PostgreSQL is required by this test but did not answer within 10 s (FLEETWATCH_TEST_PG_URL)"),
    }
}

/// `url` with its database (the path) replaced by `name`, keeping any `?query`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    match query {
        Some(q) => format!("{}/{name}?{q}", &base[..authority_end]),
        None => format!("{}/{name}", &base[..authority_end]),
    }
}

/// A YAML document as JSON, with `<<` merge keys applied (as docker compose does).
pub fn yaml(text: &str) -> serde_json::Value {
    let mut value: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    // A merged mapping may bring merge keys of its own (an anchor built on another anchor).
    for _ in 0..8 {
        value.apply_merge().unwrap();
        if !has_merge_key(&value) {
            return serde_json::to_value(value).unwrap();
        }
    }
    panic!("merge keys nested too deep")
}

fn has_merge_key(v: &serde_yaml::Value) -> bool {
    match v {
        serde_yaml::Value::Mapping(m) => m.iter().any(|(k, v)| k.as_str() == Some("<<") || has_merge_key(v)),
        serde_yaml::Value::Sequence(s) => s.iter().any(has_merge_key),
        _ => false,
    }
}

/// Every document of a multi-document YAML file (separated by `---` lines), as JSON.
pub fn yaml_docs(text: &str) -> Vec<serde_json::Value> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else if let Some(doc) = docs.last_mut() {
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs.iter().map(|d| yaml(d)).filter(|v| !v.is_null()).collect()
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Makes a directory tree readable by everyone: nginx's workers run as `nobody` when the tests
/// run as root, and temp dirs are created private.
pub fn open_up(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).unwrap();
    let mode = if meta.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            open_up(&entry.unwrap().path());
        }
    }
}

/// A headless Chromium driven by its own chromedriver (output under `dir`, profile in
/// `dir/chrome-profile`), with the flags this sandboxed machine needs. The driver stops when the
/// returned `Proc` is dropped.
pub async fn headless_chromium(dir: &Path, window: &str) -> (Proc, fantoccini::Client) {
    let port = free_port();
    let mut cmd = Command::new("chromedriver");
    cmd.arg(format!("--port={port}"));
    let driver = Proc::spawn("chromedriver", &mut cmd, dir);
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     format!("--window-size={window}"),
                     format!("--user-data-dir={}", dir.join("chrome-profile").display())]
        }
    });
    let caps = caps.as_object().cloned().unwrap_or_default();
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let url = format!("http://127.0.0.1:{port}");
    let client = wait_for("chromedriver (make test-deps installs it)", Duration::from_secs(60), || {
        let (caps, connector, url) = (caps.clone(), connector.clone(), url.clone());
        async move { fantoccini::ClientBuilder::new(connector).capabilities(caps).connect(&url).await.ok() }
    })
    .await;
    (driver, client)
}
