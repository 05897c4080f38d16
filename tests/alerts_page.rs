//! End to end, the dashboard's alerts: the real `fleetwatch serve` on SQLite collects two real
//! `sshd` test hosts every two seconds, with rules that fire at once (uptime above one second:
//! critical on `web-*`, a warning everywhere) and a webhook channel nothing answers (so it
//! fails). Headless Chromium (through chromedriver) then reads the Alerts tab's count, the cards'
//! badges and the table, acknowledges and silences from the page, and the test checks through
//! the API that the backend did what the page said.
//!
//! Needs the dashboard build (`make frontend`; `FLEETWATCH_TEST_WEB_DIR` or `<repo>/dist`),
//! chromium + chromium-driver, openssh-server and the `fwtest` account (`make test-deps`), and
//! root (sshd). Each test has its own hosts, database, server and browser, so they run in
//! parallel. Screenshots land in `target/screenshots/alerts-*.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, Locator};
use fleetwatch_testkit::{KillOnDrop, Proc, Sshd, closed_port, free_port, headless_chromium, wait_until, web_dir};
use serde_json::{Value, json};

/// Collection every two seconds: alerts fire on the first cycle.
const SCHEDULE: &str = "*/2 * * * * *";
/// Long waits are for the first cycle and the browser start on a loaded 2-core machine.
const SLOW: Duration = Duration::from_secs(60);
const QUICK: Duration = Duration::from_secs(20);

/// A running `fleetwatch serve` over two sshd hosts (`web-1` tagged prod, `db-1`), and a browser.
struct Stack {
    base: String,
    http: reqwest::Client,
    browser: Client,
    _serve: KillOnDrop,
    _hosts: Vec<Sshd>,
    _driver: Proc,
    _tmp: tempfile::TempDir,
}

impl Stack {
    /// Starts the hosts and the server; waits until both rules fire on the hosts they cover.
    async fn start(window: &str) -> Self {
        let web = web_dir();
        let tmp = tempfile::tempdir().unwrap();
        let (web_1, db_1) = (Sshd::start().await, Sshd::start().await);
        let port = free_port();
        let config = tmp.path().join("fleetwatch.toml");
        std::fs::write(
            &config,
            format!(
                "database_url = \"sqlite://{db}\"\nlisten = \"127.0.0.1:{port}\"\nweb_dir = \"{web}\"\n\
                 [collector]\nschedule = \"{SCHEDULE}\"\nretries = 2\nretry_backoff_ms = 10\n\
                 connect_timeout_secs = 3\n\
                 [ui]\nrefresh_secs = 3600\n\
                 [[alerts.channels]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"http://{hook}/hook\"\n\
                 [[alerts.rules]]\nname = \"uptime-critical\"\nmetric = \"uptime_seconds\"\ncritical = 1\n\
                 for_secs = 0\nservers = [\"web-*\"]\n\
                 [[alerts.rules]]\nname = \"uptime-warning\"\nmetric = \"uptime_seconds\"\nwarning = 1\nfor_secs = 0\n\
                 {}tags = [\"prod\"]\n{}",
                web_1.server_toml("web-1"),
                db_1.server_toml("db-1"),
                db = tmp.path().join("fw.db").display(),
                web = web.display(),
                hook = closed_port(),
            ),
        )
        .unwrap();
        let serve = KillOnDrop(
            Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
                .arg("--config")
                .arg(&config)
                .arg("serve")
                .env_remove("DATABASE_URL")
                // The webhook's failures are expected: their warnings would bury the test's output.
                .env("RUST_LOG", "error")
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let (driver, browser) = headless_chromium(tmp.path(), window).await;
        let s = Self { base, http, browser, _serve: serve, _hosts: vec![web_1, db_1], _driver: driver, _tmp: tmp };
        wait_until("both rules firing on their hosts", SLOW, || async {
            let alerts = s.try_api("/api/alerts").await?;
            let ok = firing(&alerts, "web-1", "uptime-critical").is_some()
                && firing(&alerts, "db-1", "uptime-warning").is_some();
            if ok { Ok(()) } else { Err(alerts.to_string()) }
        })
        .await;
        s
    }

    async fn try_api(&self, path: &str) -> Result<Value, String> {
        let resp = self.http.get(format!("{}{path}", self.base)).send().await.map_err(|e| e.to_string())?;
        resp.json().await.map_err(|e| e.to_string())
    }

    async fn api(&self, path: &str) -> Value {
        self.try_api(path).await.unwrap()
    }

    async fn open(&self, path: &str) {
        self.browser.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Runs `script` (a function body) in the page and returns its value.
    async fn js(&self, script: &str) -> Value {
        self.browser.execute(script, vec![]).await.unwrap()
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        wait_until(&format!("element {css}"), QUICK, || async {
            self.browser.find(Locator::Css(css)).await.map_err(|e| e.to_string())
        })
        .await
    }

    /// Waits for a displayed element and clicks it (in the page, so a toast over it does not
    /// take the click).
    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        assert!(el.is_displayed().await.unwrap(), "{css} is not displayed");
        self.browser.execute("arguments[0].click(); return null;", vec![json!(el)]).await.unwrap();
    }

    /// Waits until `script` returns `want`.
    async fn wait_js(&self, what: &str, script: &str, want: Value) {
        wait_until(what, QUICK, || async {
            let v = self.js(script).await;
            if v == want { Ok(()) } else { Err(v.to_string()) }
        })
        .await;
    }

    /// The Alerts table's rows: [server, rule, state, severity, acknowledged, silenced, silenced text].
    async fn rows(&self) -> Vec<Vec<String>> {
        let v = self
            .js("return [...document.querySelectorAll('[data-testid=alerts-table] tr[data-testid=alert-row]')]
                   .map(r => [r.dataset.server, r.dataset.rule, r.dataset.state, r.dataset.severity,
                              r.dataset.acknowledged, r.dataset.silenced, r.children[8].textContent]);")
            .await;
        serde_json::from_value(v).unwrap()
    }

    async fn screenshot(&self, name: &str) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("alerts-{name}.png")), self.browser.screenshot().await.unwrap()).unwrap();
    }
}

/// The firing alert of `rule` on `server` in a `GET /api/alerts` answer.
fn firing<'a>(alerts: &'a Value, server: &str, rule: &str) -> Option<&'a Value> {
    alerts.as_array()?.iter().find(|a| a["server"] == server && a["rule"] == rule && a["state"] == "firing")
}

/// How many alerts fire (on `server`, or everywhere) and the worst severity, as the API says.
fn firing_summary(alerts: &Value, server: Option<&str>) -> (usize, &'static str) {
    let list: Vec<&Value> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] == "firing" && server.is_none_or(|s| a["server"] == s))
        .collect();
    let worst = if list.iter().any(|a| a["severity"] == "critical") { "critical" } else { "warning" };
    (list.len(), worst)
}

/// A badge's [count, severity, background colour, the colour `var(--<var>)` resolves to].
fn badge_script(css: &str, var: &str) -> String {
    let css = json!(css);
    format!(
        "const b = document.querySelector({css});
         if (!b) return null;
         const probe = document.createElement('span');
         probe.style.color = 'var(--{var})';
         document.body.append(probe);
         const want = getComputedStyle(probe).color;
         probe.remove();
         return [+b.dataset.count, b.dataset.severity, getComputedStyle(b).backgroundColor, want];"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alerts_tab_counts_acknowledges_and_silences() {
    let s = Stack::start("1280,1000").await;
    s.open("/").await;

    // The tab's count: every firing alert, in the critical colour (one of them is critical).
    let badge = wait_until("the tab's count of firing alerts, as the API has it", SLOW, || async {
        let want = firing_summary(&s.api("/api/alerts").await, None);
        let v = s.js(&badge_script("[data-testid=tab-alerts] [data-testid=alerts-badge]", "crit")).await;
        let ok = v[0] == json!(want.0) && v[1] == json!(want.1);
        if ok { Ok(v) } else { Err(format!("{v} (API: {want:?})")) }
    })
    .await;
    assert!(badge[0].as_u64().unwrap() >= 2, "both hosts' rules fire: {badge}");
    assert_eq!(badge[1], json!("critical"));
    assert_eq!(badge[2], badge[3], "the badge has the critical colour");

    // Each card: its own count and worst severity.
    for (server, worst) in [("web-1", "critical"), ("db-1", "")] {
        let css = format!(".server-card[data-server='{server}'] [data-testid=card-alerts]");
        wait_until(&format!("{server}'s card badge"), QUICK, || async {
            let want = firing_summary(&s.api("/api/alerts").await, Some(server));
            let v = s.js(&badge_script(&css, "warn")).await;
            let ok = v[0] == json!(want.0) && v[1] == json!(want.1) && (worst.is_empty() || v[1] == json!(worst));
            if ok { Ok(()) } else { Err(format!("{v} (API: {want:?})")) }
        })
        .await;
    }
    s.screenshot("dashboard").await;

    // The Alerts tab: a row per alert, as the API lists them.
    s.click("[data-testid=tab-alerts]").await;
    s.find("[data-testid=page-alerts] [data-testid=view-current][aria-current=page]").await;
    wait_until("the rows of the API's alerts", QUICK, || async {
        let api = s.api("/api/alerts").await;
        let mut want: Vec<(String, String)> = api
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["server"].as_str().unwrap().to_owned(), a["rule"].as_str().unwrap().to_owned()))
            .collect();
        let mut rows: Vec<(String, String)> =
            s.rows().await.into_iter().map(|r| (r[0].clone(), r[1].clone())).collect();
        want.sort();
        rows.sort();
        let ours = rows.contains(&("web-1".into(), "uptime-critical".into()));
        if rows == want && ours { Ok(()) } else { Err(format!("{rows:?} vs {want:?}")) }
    })
    .await;

    // The failing webhook shows as a warning.
    wait_until("the channel failing in the API", SLOW, || async {
        let v = s.api("/api/alerts/channels").await;
        let failing = v.as_array().unwrap().iter().any(|c| c["name"] == "ops" && c["ok"] == false);
        if failing { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    wait_until("the failing channel's warning", QUICK, || async {
        let v = s.js("return document.querySelector('[data-testid=channel-warning] li[data-channel=ops]')?.textContent ?? null;").await;
        if v.as_str().is_some_and(|t| t.contains("ops")) { Ok(()) } else { Err(v.to_string()) }
    })
    .await;

    // Filtered by severity (kept in the URL), then sorted by server.
    s.find("[data-testid=alerts-severity]").await.select_by_value("critical").await.unwrap();
    wait_until("only critical rows", QUICK, || async {
        let rows = s.rows().await;
        let ok = !rows.is_empty()
            && rows.iter().all(|r| r[3] == "critical")
            && !rows.iter().any(|r| r[1] == "uptime-warning");
        if ok { Ok(()) } else { Err(format!("{rows:?}")) }
    })
    .await;
    assert!(s.browser.current_url().await.unwrap().as_str().contains("severity=critical"), "kept in the URL");
    s.find("[data-testid=alerts-severity]").await.select_by_value("").await.unwrap();
    s.click("[data-testid=alerts-table] th[data-column=server] button").await;
    wait_until("rows by server, A to Z", QUICK, || async {
        let rows = s.rows().await;
        let servers: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        let sorted =
            servers.windows(2).all(|w| w[0] <= w[1]) && servers.contains(&"db-1") && servers.contains(&"web-1");
        if sorted { Ok(()) } else { Err(format!("{servers:?}")) }
    })
    .await;

    // Acknowledge web-1's critical alert, with a comment: the backend has it acknowledged.
    let row = "tr[data-testid=alert-row][data-server='web-1'][data-rule='uptime-critical']";
    s.click(&format!("{row} [data-testid=ack]")).await;
    s.find("[data-testid=ack-form] [data-testid=ack-comment]").await.send_keys("on it").await.unwrap();
    s.click("[data-testid=ack-form] [data-testid=sheet-submit]").await;
    let acked = wait_until("the acknowledgement in the API", QUICK, || async {
        let v = s.api("/api/alerts").await;
        match firing(&v, "web-1", "uptime-critical") {
            Some(a) if a["acknowledged"].is_object() => Ok(a["acknowledged"].clone()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(acked["by"], json!("dashboard"), "{acked}");
    s.wait_js(
        "the row acknowledged, without its button",
        &format!(
            "const r = document.querySelector(\"{row}\");
                  return r && [r.dataset.acknowledged, !!r.querySelector('[data-testid=ack]')];"
        ),
        json!(["true", false]),
    )
    .await;
    assert_eq!(s.js("return !!document.querySelector('[data-testid=ack-form]');").await, json!(false), "closed");

    // Silence db-1's warning from its row: the form comes filled in with its server and rule.
    let row = "tr[data-testid=alert-row][data-server='db-1'][data-rule='uptime-warning']";
    s.click(&format!("{row} [data-testid=silence]")).await;
    let form = "[data-testid=silence-form]";
    let servers = s.find(&format!("{form} [data-testid=silence-servers]")).await.prop("value").await.unwrap();
    let rules = s.find(&format!("{form} [data-testid=silence-rules]")).await.prop("value").await.unwrap();
    assert_eq!((servers.as_deref(), rules.as_deref()), (Some("db-1"), Some("uptime-warning")));
    s.click(&format!("{form} [data-testid=silence-for-4h]")).await;
    s.find(&format!("{form} [data-testid=silence-for-4h][aria-pressed=true]")).await;
    s.find(&format!("{form} [data-testid=silence-comment]")).await.send_keys("disk swap").await.unwrap();
    s.screenshot("silence-form").await;
    let before = chrono::Utc::now();
    s.click(&format!("{form} [data-testid=sheet-submit]")).await;
    let silence = wait_until("the silence in the API", QUICK, || async {
        let v = s.api("/api/silences").await;
        match v.as_array().unwrap().iter().find(|x| x["comment"] == "disk swap") {
            Some(x) => Ok(x.clone()),
            None => Err(v.to_string()),
        }
    })
    .await;
    assert_eq!((&silence["servers"], &silence["rules"]), (&json!(["db-1"]), &json!(["uptime-warning"])), "{silence}");
    let end: chrono::DateTime<chrono::Utc> = silence["end"].as_str().unwrap().parse().unwrap();
    let hours = (end - before).num_minutes() as f64 / 60.0;
    assert!((3.9..=4.1).contains(&hours), "4 hours from now: {silence}");
    let id = silence["id"].as_i64().unwrap();
    wait_until("the row silenced by it", QUICK, || async {
        let rows = s.rows().await;
        let r = rows.iter().find(|r| r[0] == "db-1" && r[1] == "uptime-warning");
        match r {
            Some(r) if r[5] == "true" && r[6].contains(&format!("#{id}")) => Ok(()),
            _ => Err(format!("{rows:?}")),
        }
    })
    .await;
    s.screenshot("table").await;

    // The Silences view lists it as active; deleting it deletes it in the backend.
    s.click("[data-testid=view-silences]").await;
    let silence_row = format!("[data-testid=silences-table] tr[data-testid=silence-row][data-id='{id}']");
    s.find(&format!("{silence_row}[data-phase=active]")).await;
    assert!(s.browser.current_url().await.unwrap().as_str().contains("view=silences"), "the view is in the URL");
    s.click(&format!("{silence_row} [data-testid=silence-delete]")).await;
    wait_until("the silence gone from the API", QUICK, || async {
        let v = s.api("/api/silences").await;
        if v.as_array().unwrap().iter().all(|x| x["id"] != id) { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    s.wait_js("its row gone", &format!("return !!document.querySelector(\"{silence_row}\");"), json!(false)).await;

    // An error of the API is a toast: a silence that matches nothing is refused (HTTP 400).
    s.click("[data-testid=new-silence]").await;
    s.click("[data-testid=silence-form] [data-testid=sheet-submit]").await;
    wait_until("a toast with the API's refusal", QUICK, || async {
        let v = s.js("return [...document.querySelectorAll('[data-testid=toast]')].map(t => t.textContent);").await;
        if v.to_string().contains("Cannot create the silence") && v.to_string().contains("servers") {
            Ok(())
        } else {
            Err(v.to_string())
        }
    })
    .await;
    assert_eq!(s.js("return !!document.querySelector('[data-testid=silence-form]');").await, json!(true), "kept open");
    s.browser.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_server_page_phone_width_and_dark_theme() {
    let s = Stack::start("1280,1000").await;

    // The history: the firing of each rule, filtered by server (in the URL).
    s.open("/alerts?view=history").await;
    s.find("[data-testid=view-history][aria-current=page]").await;
    s.find("[data-testid=range-24h][aria-pressed=true]").await;
    let rows = "[data-testid=history-table] tr[data-testid=history-row]";
    s.find(&format!("{rows}[data-server='web-1'][data-rule='uptime-critical'][data-kind=firing]")).await;
    s.find(&format!("{rows}[data-server='db-1'][data-rule='uptime-warning'][data-kind=firing]")).await;
    s.find("[data-testid=history-server]").await.select_by_value("db-1").await.unwrap();
    s.wait_js(
        "only db-1's history",
        &format!(
            "const r = [...document.querySelectorAll(\"{rows}\")];
                  return r.length > 0 && r.every(x => x.dataset.server === 'db-1');"
        ),
        json!(true),
    )
    .await;
    assert!(s.browser.current_url().await.unwrap().as_str().contains("server=db-1"));
    // The server filter goes along to the current alerts.
    s.click("[data-testid=view-current]").await;
    wait_until("db-1's alerts only", QUICK, || async {
        let rows = s.rows().await;
        if !rows.is_empty() && rows.iter().all(|r| r[0] == "db-1") { Ok(()) } else { Err(format!("{rows:?}")) }
    })
    .await;

    // The server page lists its alerts.
    s.open("/servers/web-1").await;
    s.find("[data-testid=server-alerts] [data-testid=server-alert][data-rule=uptime-critical][data-state=firing]")
        .await;
    s.find("[data-testid=server-alerts] [data-testid=server-alert][data-rule=uptime-warning]").await;

    // Dark theme: the badge takes the dark critical colour.
    s.open("/alerts").await;
    let toggle = s.find("[data-testid=theme-toggle]").await;
    if toggle.attr("data-theme").await.unwrap().as_deref() != Some("dark") {
        toggle.click().await.unwrap();
    }
    let script = badge_script("[data-testid=alerts-badge]", "crit");
    wait_until("the badge in the dark critical colour", QUICK, || async {
        let v = s.js(&script).await;
        let dark = s.js("return document.documentElement.dataset.theme ?? null;").await;
        if dark == json!("dark") && v[2] == json!("rgb(240, 100, 100)") && v[2] == v[3] {
            Ok(())
        } else {
            Err(format!("{dark} {v}"))
        }
    })
    .await;
    s.find("tr[data-testid=alert-row]").await;
    s.screenshot("dark").await;

    // Phone width: nothing wider than the screen but the table's own scroller; the forms fit.
    s.browser.set_window_size(400, 800).await.unwrap();
    wait_until("no page-wide horizontal scrolling", QUICK, || async {
        // The elements that stick out of the screen, outside of a scroller of their own.
        let v = s
            .js("if (document.documentElement.scrollWidth <= innerWidth) return [];
                 return [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > innerWidth + 1
                                && !e.closest('.table-wrap, .tabs'))
                   .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));")
            .await;
        if v == json!([]) { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    s.click("tr[data-testid=alert-row] [data-testid=silence]").await;
    let fits = s
        .js("const f = document.querySelector('[data-testid=silence-form]').getBoundingClientRect();
             return f.left >= 0 && f.right <= innerWidth && f.width > 300;")
        .await;
    assert_eq!(fits, json!(true), "the form fits a phone's width");
    s.screenshot("phone").await;
    s.browser.clone().close().await.unwrap();
}
