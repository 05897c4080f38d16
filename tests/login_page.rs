//! End to end, logins: the real binary with a listener that is not loopback-only (so login is
//! required), the first admin and a token made with the CLI, then headless Chromium: the page
//! shows the login form and nothing of the fleet, a wrong password shows an error, the right one
//! shows the dashboard with an HttpOnly cookie the page cannot read; an admin sees Settings;
//! logout goes back to the form. The process's log, at debug level, holds no password, token
//! or session id.
//!
//! Needs the dashboard build (`make frontend`; `FLEETWATCH_TEST_WEB_DIR` or `<repo>/dist`) and
//! chromium + chromium-driver (`make test-deps`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, Locator};
use fleetwatch_testkit::{KillOnDrop, free_port, headless_chromium, wait_until, web_dir};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const QUICK: Duration = Duration::from_secs(30);

/// Runs `fleetwatch --config <config> <args>` with `stdin`; its stdout.
fn cli(config: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "fleetwatch {args:?}: {stdout}\n{stderr}");
    stdout.into_owned()
}

async fn find(browser: &Client, css: &str) -> fantoccini::elements::Element {
    wait_until(&format!("element {css}"), QUICK, || async {
        browser.find(Locator::Css(css)).await.map_err(|e| e.to_string())
    })
    .await
}

async fn js(browser: &Client, script: &str) -> Value {
    browser.execute(script, vec![]).await.unwrap()
}

async fn log_in(browser: &Client, name: &str, password: &str) {
    let field = find(browser, "[data-testid=login-name]").await;
    field.clear().await.unwrap();
    field.send_keys(name).await.unwrap();
    find(browser, "[data-testid=login-password]").await.send_keys(password).await.unwrap();
    let submit = find(browser, "[data-testid=login-submit]").await;
    browser.execute("arguments[0].click(); return null;", vec![json!(submit)]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_is_required_off_loopback_and_the_page_logs_in() {
    let web = web_dir();
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = tmp.path().join("fleetwatch.toml");
    // Every interface: not loopback-only, so login is required (the test still talks only to
    // 127.0.0.1).
    std::fs::write(
        &config,
        format!(
            "database_url = \"sqlite://{db}\"\nlisten = \"0.0.0.0:{port}\"\nweb_dir = \"{web}\"\n\
             [collector]\nschedule = \"0 0 0 1 1 *\"\n\
             [[servers]]\nname = \"this-machine\"\ntransport = \"local\"\n",
            db = tmp.path().join("fw.db").display(),
            web = web.display()
        ),
    )
    .unwrap();

    // The CLI: the first admin (password on stdin), a viewer, a read token (secret printed once).
    assert!(cli(&config, &["user", "add", "root", "--role", "admin"], &format!("{PASSWORD}\n")).contains("root added"));
    cli(&config, &["user", "add", "vic"], "viewer password\n");
    let list = cli(&config, &["user", "list"], "");
    assert!(list.lines().any(|l| l.starts_with("root") && l.contains("admin")), "{list}");
    assert!(list.lines().any(|l| l.starts_with("vic") && l.contains("viewer")), "{list}");
    let secret =
        cli(&config, &["token", "create", "ci", "--scope", "read", "--expires-in", "1d"], "").trim().to_owned();
    assert!(secret.starts_with("fwt_"), "{secret}");
    let tokens = cli(&config, &["token", "list"], "");
    assert!(tokens.contains("ci") && tokens.contains("read") && !tokens.contains(&secret[4..]), "{tokens}");

    let log = std::fs::File::create(tmp.path().join("serve.log")).unwrap();
    let _serve = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "debug")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until("the API answers", QUICK, || async {
        let r = http.get(format!("{base}/api/auth/me")).send().await.map_err(|e| e.to_string())?;
        let v: Value = r.json().await.map_err(|e| e.to_string())?;
        if v["auth"] == "required" { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    assert_eq!(http.get(format!("{base}/api/servers")).send().await.unwrap().status(), 401);
    let with_token = http.get(format!("{base}/api/servers")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(with_token.status(), 200, "the CLI's token reads the API");

    let (_driver, browser) = headless_chromium(tmp.path(), "1280,900").await;
    browser.goto(&base).await.unwrap();
    find(&browser, "[data-testid=login-form]").await;
    assert_eq!(js(&browser, "return document.querySelectorAll('.server-card').length;").await, 0);

    log_in(&browser, "root", "not the password").await;
    let error = find(&browser, "[data-testid=login-error]").await.text().await.unwrap();
    assert!(error.contains("wrong name or password"), "{error}");
    assert_eq!(js(&browser, "return document.querySelectorAll('.server-card').length;").await, 0);

    log_in(&browser, "root", PASSWORD).await;
    find(&browser, ".server-card[data-server=this-machine]").await;
    let who = find(&browser, "[data-testid=who]").await.text().await.unwrap();
    assert_eq!(who, "root");
    assert_eq!(js(&browser, "return document.cookie.includes('fleetwatch_session');").await, false, "HttpOnly");
    let cookies = browser.get_all_cookies().await.unwrap();
    let session = cookies.iter().find(|c| c.name() == "fleetwatch_session").expect("the session cookie");
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.same_site().map(|s| s.to_string()).as_deref(), Some("Strict"));
    let session_id = session.value().to_owned();
    assert!(session_id.len() >= 32);
    assert_eq!(js(&browser, "return !!document.querySelector('[data-testid=open-banner]');").await, false);

    // An admin sees Settings: the users the CLI made, the token (never its secret).
    let tab = find(&browser, "[data-testid=tab-settings]").await;
    browser.execute("arguments[0].click(); return null;", vec![json!(tab)]).await.unwrap();
    find(&browser, "[data-testid=user-row-vic]").await;
    let page = find(&browser, "[data-testid=page-settings]").await.text().await.unwrap();
    assert!(page.contains("ci") && !page.contains(&secret[4..]), "{page}");
    assert!(page.contains("login_failed") && page.contains("user_added"), "the audit log: {page}");

    let logout = find(&browser, "[data-testid=logout]").await;
    browser.execute("arguments[0].click(); return null;", vec![json!(logout)]).await.unwrap();
    find(&browser, "[data-testid=login-form]").await;

    // A viewer gets the dashboard but no Settings tab.
    log_in(&browser, "vic", "viewer password").await;
    find(&browser, ".server-card[data-server=this-machine]").await;
    assert_eq!(js(&browser, "return !!document.querySelector('[data-testid=tab-settings]');").await, false);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("login-viewer.png"), browser.screenshot().await.unwrap()).unwrap();
    browser.close().await.unwrap();
    // A query may carry a secret (the setup link's token): requests are traced by path only.
    let query_secret = "probe-9f3c1e7d5b";
    let setup = http.get(format!("{base}/setup?token={query_secret}")).send().await.unwrap();
    assert!(setup.status().is_success() || setup.status().is_client_error(), "{}", setup.status());

    let log = std::fs::read_to_string(tmp.path().join("serve.log")).unwrap();
    assert!(log.contains("/setup"), "requests are traced at debug level");
    assert!(log.contains("login failed"), "failures are logged");
    for secret_text in [PASSWORD, "not the password", "viewer password", &secret[4..], &session_id, query_secret] {
        assert!(!log.contains(secret_text), "a secret in the log: {secret_text}");
    }
}
