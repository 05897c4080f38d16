//! End to end: `fleetwatch serve` (the real binary) collects the local machine and a dead SSH
//! server, and headless Chromium (through chromedriver) shows one card per server.
//! Needs `make frontend` (the dashboard build) and chromium + chromium-driver (`make test-deps`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::Locator;
use fleetwatch_testkit::{KillOnDrop, free_port, headless_chromium, wait_for, web_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_one_card_per_server() {
    let web = web_dir();
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead); // nothing listens there now: connection refused
    let config = tmp.path().join("fleetwatch.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"sqlite://{db}\"\nlisten = \"127.0.0.1:{port}\"\nweb_dir = \"{web}\"\n\
             [collector]\nschedule = \"0 0 0 1 1 *\"\nretries = 1\nconnect_timeout_secs = 3\n\
             [[servers]]\nname = \"this-machine\"\ntransport = \"local\"\n\
             [[servers]]\nname = \"dead-box\"\nhost = \"127.0.0.1\"\nport = {dead_port}\nuser = \"x\"\n\
             identity_file = \"/nonexistent\"\ntags = [\"test\"]\n",
            db = tmp.path().join("fw.db").display(),
            web = web.display()
        ),
    )
    .unwrap();
    let _serve = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    // Both servers collected once (collect_on_start).
    wait_for("the first cycle", Duration::from_secs(60), || async {
        let v: serde_json::Value = http.get(format!("{base}/api/servers")).send().await.ok()?.json().await.ok()?;
        let all_done = v.as_array()?.iter().all(|s| s["status"]["reason"] != "never collected");
        all_done.then_some(())
    })
    .await;

    let (_driver, browser) = headless_chromium(tmp.path(), "1280,900").await;

    browser.goto(&base).await.unwrap();
    let cards = wait_for("two server cards", Duration::from_secs(30), || async {
        let cards = browser.find_all(Locator::Css(".server-card")).await.ok()?;
        (cards.len() == 2).then_some(cards)
    })
    .await;
    let mut seen = Vec::new();
    for card in &cards {
        let name = card.attr("data-server").await.unwrap().unwrap_or_default();
        let status = card.attr("data-status").await.unwrap().unwrap_or_default();
        seen.push((name.clone(), status.clone()));
        if name == "dead-box" {
            assert_eq!(status, "offline");
            let reason = card.find(Locator::Css(".offline-reason")).await.unwrap().text().await.unwrap();
            assert!(reason.contains("connection refused"), "reason shown: {reason:?}");
        }
        if name == "this-machine" {
            assert_ne!(status, "offline", "the local machine is collected");
        }
    }
    seen.sort();
    assert_eq!(seen.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["dead-box", "this-machine"]);

    // The server list came gzipped (the browser accepts gzip; the API compresses JSON).
    let sizes = browser
        .execute(
            "return performance.getEntriesByType('resource')
                .filter(e => new URL(e.name).pathname === '/api/servers')
                .map(e => [e.encodedBodySize, e.decodedBodySize]);",
            vec![],
        )
        .await
        .unwrap();
    let (encoded, decoded) = (sizes[0][0].as_f64().unwrap_or(0.0), sizes[0][1].as_f64().unwrap_or(0.0));
    assert!(encoded > 0.0 && encoded < decoded, "gzipped on the wire: {sizes}");

    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("dashboard.png"), browser.screenshot().await.unwrap()).unwrap();
    browser.close().await.unwrap();
}
