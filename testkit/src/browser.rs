//! The dashboard in a real browser: the frontend build to serve, and headless Chromium driven
//! through chromedriver (WebDriver).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::files::repo;
use crate::net::free_port;
use crate::process::Proc;
use crate::wait::wait_for;

/// The dashboard build: `FLEETWATCH_TEST_WEB_DIR`, or `<repo>/dist`. Panics when it has no
/// `index.html` (run `make frontend`).
pub fn web_dir() -> PathBuf {
    let dir = std::env::var("FLEETWATCH_TEST_WEB_DIR").map(PathBuf::from).unwrap_or_else(|_| repo().join("dist"));
    assert!(dir.join("index.html").exists(), "no dashboard build in {}: run `make frontend`", dir.display());
    dir
}

/// A headless Chromium driven by its own chromedriver (output under `dir`, profile in
/// `dir/chrome-profile`), with the flags this sandboxed machine needs, in a window of `window`
/// (`"width,height"`). The driver stops when the returned `Proc` is dropped.
pub async fn headless_chromium(dir: &Path, window: &str) -> (Proc, fantoccini::Client) {
    let port = free_port();
    let mut cmd = Command::new("chromedriver");
    cmd.arg(format!("--port={port}"));
    let mut driver = Proc::spawn("chromedriver", &mut cmd, dir);
    // Chromium outlives a stopped chromedriver: its processes, found by this test's own
    // profile, go with the driver (left running, each run left ~220 MiB browsers behind).
    let profile = dir.join("chrome-profile");
    driver.leftovers = Some(format!("--user-data-dir={}", profile.display()));
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     format!("--window-size={window}"),
                     format!("--user-data-dir={}", profile.display())]
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
