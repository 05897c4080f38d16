//! End to end: the real `fleetwatch serve` collects real `sshd` test hosts (each on its own
//! loopback address, see `testkit/`) every two seconds, and headless Chromium
//! (through chromedriver) drives the dashboard: every tab, the filters and sorting, the Excel
//! export, the theme toggle, the live updates (a new sample, a server going down), and a fleet
//! longer than the screen (only the cards near the viewport are built; none is lost).
//!
//! Needs the dashboard build (`make frontend`; `FLEETWATCH_TEST_WEB_DIR` or `<repo>/dist`),
//! chromium + chromium-driver, openssh-server and the `fwtest` account (`make test-deps`), and
//! root (sshd). Each test has its own hosts, database, server, chromedriver and browser profile,
//! so they run in parallel. Screenshots land in `target/screenshots/dashboard-*.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions, MouseActions, PointerAction};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use fleetwatch_testkit::{
    KillOnDrop, Proc, Sshd, TEST_USER, free_port, headless_chromium, unique_loopback, wait_until,
};
use serde_json::{Value, json};

/// Collection every two seconds: live updates and failures show up fast.
const SCHEDULE: &str = "*/2 * * * * *";
/// Long waits are for the first cycle and the browser start on a loaded 2-core machine.
const SLOW: Duration = Duration::from_secs(60);
const QUICK: Duration = Duration::from_secs(20);

/// The dashboard build, with the charts.
fn web_dir() -> PathBuf {
    let dir = fleetwatch_testkit::web_dir();
    assert!(
        dir.join("vendor/uPlot.iife.min.js").exists(),
        "the dashboard build in {} is older than the charts: run `make frontend`",
        dir.display()
    );
    dir
}

/// One monitored test host.
struct Host {
    name: &'static str,
    sshd: Sshd,
}

/// A running `fleetwatch serve` over its own sshd hosts, and a browser pointed at it.
struct Stack {
    base: String,
    config: PathBuf,
    /// The server's `RUST_LOG`.
    log: &'static str,
    /// `fleetwatch serve`; `None` while a test has stopped it.
    serve: Option<KillOnDrop>,
    http: reqwest::Client,
    browser: Client,
    hosts: Vec<Host>,
    _driver: Proc,
    _tmp: tempfile::TempDir,
}

/// `fleetwatch serve` with `RUST_LOG=<log>` (its log goes to the test's output).
fn serve(config: &Path, log: &str) -> KillOnDrop {
    KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
            .arg("--config")
            .arg(config)
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", log)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

impl Stack {
    /// Starts one sshd per `(name, tags)`, the server with a 2 s schedule, and a browser; waits
    /// until every host has been collected once.
    async fn start(hosts: &[(&'static str, &[&str])]) -> Self {
        Self::start_with(hosts, &[], "1280,1000").await
    }

    /// [`Stack::start`], plus `dead` servers where nothing answers (port 1 of a loopback address
    /// of their own: connection refused, so grey cards with a reason), in a browser window of
    /// `window` (`"width,height"`).
    async fn start_with(hosts: &[(&'static str, &[&str])], dead: &[String], window: &str) -> Self {
        let web = web_dir();
        let tmp = tempfile::tempdir().unwrap();
        let mut started = Vec::new();
        let mut servers = String::new();
        for (name, tags) in hosts {
            let sshd = Sshd::start().await;
            let tags = tags.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ");
            servers += &format!(
                "[[servers]]\nname = \"{name}\"\nhost = \"{}\"\nport = {}\nuser = \"{TEST_USER}\"\n\
                 identity_file = \"{}\"\nhost_key = \"{}\"\ntags = [{tags}]\n",
                sshd.addr.ip(),
                sshd.addr.port(),
                sshd.client_key.display(),
                sshd.host_fingerprint,
            );
            started.push(Host { name, sshd });
        }
        for name in dead {
            let ip = unique_loopback();
            servers += &format!(
                "[[servers]]\nname = \"{name}\"\nhost = \"{ip}\"\nport = 1\nuser = \"{TEST_USER}\"\n\
                 identity_file = \"/nonexistent\"\n"
            );
        }
        let port = free_port();
        let config = tmp.path().join("fleetwatch.toml");
        // refresh_secs is long on purpose: within a test, news can only come from the live stream.
        std::fs::write(
            &config,
            format!(
                "database_url = \"sqlite://{db}\"\nlisten = \"127.0.0.1:{port}\"\nweb_dir = \"{web}\"\n\
                 [collector]\nschedule = \"{SCHEDULE}\"\nretries = 2\nretry_backoff_ms = 10\n\
                 connect_timeout_secs = 3\n\
                 [ui]\nrefresh_secs = 3600\n{servers}",
                db = tmp.path().join("fw.db").display(),
                web = web.display()
            ),
        )
        .unwrap();
        // Dead servers fail every cycle, as expected: their warnings would bury the test's output.
        let log = if dead.is_empty() { "warn" } else { "error" };
        let serve = Some(serve(&config, log));
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        wait_until("the first collection of every host", SLOW, || async {
            let v: Value = http
                .get(format!("{base}/api/servers"))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let list = v.as_array().ok_or("not a list")?;
            let collected = list.iter().all(|s| {
                if dead.iter().any(|d| s["name"] == d.as_str()) {
                    s["status"]["reason"].as_str().is_some_and(|r| r != "never collected")
                } else {
                    s["latest"].is_object()
                }
            });
            if collected && list.len() == hosts.len() + dead.len() { Ok(()) } else { Err(v.to_string()) }
        })
        .await;

        let (driver, browser) = headless_chromium(tmp.path(), window).await;
        Self { base, config, log, serve, http, browser, hosts: started, _driver: driver, _tmp: tmp }
    }

    async fn open(&self, path: &str) {
        self.browser.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Runs `script` (a function body) in the page and returns its value.
    async fn js(&self, script: &str) -> Value {
        self.browser.execute(script, vec![]).await.unwrap()
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let what = format!("element {css}");
        wait_until(&what, QUICK, || async { self.browser.find(Locator::Css(css)).await.map_err(|e| e.to_string()) })
            .await
    }

    /// The dashboard's cards: name → (status, sampled, offline reason).
    async fn cards(&self) -> Vec<(String, String, String, String)> {
        let v = self
            .js("return [...document.querySelectorAll('[data-testid=page-dashboard] .server-card[data-server]')]
                   .map(c => [c.dataset.server, c.dataset.status, c.dataset.sampled || '',
                              (c.querySelector('.offline-reason') || {}).textContent || '']);")
            .await;
        serde_json::from_value(v).unwrap()
    }

    async fn card_names(&self) -> Vec<String> {
        self.cards().await.into_iter().map(|c| c.0).collect()
    }

    /// The Users tab's rows: (user, server, CPU text).
    async fn user_rows(&self) -> Vec<(String, String, String)> {
        let v = self
            .js("return [...document.querySelectorAll('[data-testid=page-users] tr[data-testid=user-row]')]
                   .map(r => [r.dataset.user, r.dataset.server, r.children[2].textContent]);")
            .await;
        serde_json::from_value(v).unwrap()
    }

    async fn screenshot(&self, name: &str) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("dashboard-{name}.png")), self.browser.screenshot().await.unwrap()).unwrap();
    }

    fn host(&mut self, name: &str) -> &mut Host {
        self.hosts.iter_mut().find(|h| h.name == name).unwrap()
    }
}

/// Kills an sshd with every connection it forked (by process id, from its pid file), so the
/// collector's open connection drops too: the host is really gone. Each process is stopped
/// (SIGSTOP) as soon as it is found, so none can fork a child the scan would miss (a shell for
/// the next cycle's exec, on a busy machine); then all of them are killed.
fn kill_sshd_tree(sshd: &mut Sshd) {
    let pidfile = sshd.dir.path().join("sshd.pid");
    let pid: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let signal = |sig: &str, pid: u32| {
        Command::new("kill").arg(sig).arg(pid.to_string()).stderr(Stdio::null()).status().unwrap();
    };
    signal("-STOP", pid);
    let mut doomed = vec![pid];
    loop {
        let before = doomed.len();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            // `pid (comm) state ppid …`; comm may hold spaces, so read after the last ')'.
            let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1));
            if ppid.and_then(|p| p.parse::<u32>().ok()).is_some_and(|p| doomed.contains(&p)) && !doomed.contains(&child)
            {
                signal("-STOP", child);
                doomed.push(child);
            }
        }
        // A full scan that found nothing new: every process of the tree is stopped.
        if doomed.len() == before {
            break;
        }
    }
    for pid in doomed.iter().rev() {
        signal("-KILL", *pid);
    }
    sshd.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tab_shows_data() {
    let s = Stack::start(&[("web-1", &["prod", "web"]), ("db-1", &["staging", "db"])]).await;

    // Dashboard: a card per host, collected, with its gauges.
    s.open("/").await;
    s.find("[data-testid=tab-dashboard][aria-current=page]").await;
    wait_until("two collected cards", QUICK, || async {
        let cards = s.cards().await;
        let ok = cards.len() == 2 && cards.iter().all(|c| c.1 != "offline" && !c.2.is_empty());
        if ok { Ok(()) } else { Err(format!("{cards:?}")) }
    })
    .await;
    assert_eq!(s.card_names().await, ["db-1", "web-1"], "sorted by name");
    let gauges = s.js("return document.querySelectorAll('.server-card [role=meter][aria-valuenow]').length;").await;
    assert_eq!(gauges, json!(6), "CPU, RAM and disk of both hosts");
    s.screenshot("dashboard").await;

    // Overview, by its tab: totals, top servers, top users.
    s.find("[data-testid=tab-overview]").await.click().await.unwrap();
    let overview = "[data-testid=page-overview]";
    wait_until("the overview's totals", QUICK, || async {
        let v = s.js("return document.querySelector('.stat[data-stat=servers] .stat-value')?.textContent;").await;
        if v == json!("2") { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    wait_until("top servers and top users", QUICK, || async {
        let v = s
            .js(&format!(
                "return [document.querySelectorAll('{overview} [data-testid=top-servers-cpu] li').length,
                         document.querySelectorAll('{overview} [data-testid=overview-users] tr[data-testid=user-row]').length];"
            ))
            .await;
        if v[0] == json!(2) && v[1].as_u64().unwrap_or(0) > 0 { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    s.screenshot("overview").await;

    // Server page, from a deep link: the charts draw the history, hovering shows the values.
    s.open("/servers/web-1?range=1h").await;
    s.find("[data-testid=tab-server][aria-current=page]").await;
    s.find("[data-testid=range-1h][aria-pressed=true]").await;
    for chart in ["cpu", "memory", "disk", "load", "network"] {
        let css = format!("[data-testid=chart-{chart}]");
        wait_until(&format!("the {chart} chart with two points or more"), QUICK, || async {
            let v = s
                .js(&format!(
                    "const c = document.querySelector('{css}');
                     return c && [c.dataset.ready, +c.dataset.points, !!c.querySelector('canvas')];"
                ))
                .await;
            let ok = v[0] == json!("true") && v[1].as_u64().unwrap_or(0) >= 2 && v[2] == json!(true);
            if ok { Ok(()) } else { Err(v.to_string()) }
        })
        .await;
    }
    let over = s.find("[data-testid=chart-cpu] .u-over").await;
    let (_, _, width, _) = over.rectangle().await.unwrap();
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: over,
        duration: None,
        x: (width / 2.0 - 5.0).floor(),
        y: 0.0,
    });
    s.browser.perform_actions(hover).await.unwrap();
    wait_until("a tooltip with the CPU figure", QUICK, || async {
        let v = s
            .js("const t = document.querySelector('[data-testid=chart-cpu] .chart-tooltip');
                 return t && t.style.display !== 'none' ? t.textContent : null;")
            .await;
        match v.as_str() {
            Some(t) if t.contains("CPU:") && t.contains('%') => Ok(()),
            _ => Err(v.to_string()),
        }
    })
    .await;
    // The latest snapshot's tables: each shows a table where the API has the section, one line
    // where it answers 404 (not collected yet, or nothing there: no docker, say).
    wait_until("every section as a table or as its absence", QUICK, || async {
        let v = s
            .js("return ['processes', 'disks', 'network', 'sessions', 'containers'].map(k =>
                   !!document.querySelector(`[data-testid=table-${k}], [data-testid=missing-${k}]`));")
            .await;
        if v == json!([true, true, true, true, true]) { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    let export = s.find("[data-testid=export-metrics]").await.prop("href").await.unwrap().unwrap();
    assert!(export.contains("/api/export/metrics.xlsx?server=web-1&from="), "{export}");
    s.screenshot("server").await;

    // Users, by its tab: the fleet's top users.
    s.find("[data-testid=tab-users]").await.click().await.unwrap();
    wait_until("user rows", QUICK, || async {
        let rows = s.user_rows().await;
        if !rows.is_empty() { Ok(()) } else { Err("no rows".into()) }
    })
    .await;
    s.screenshot("users").await;
    s.browser.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_search_and_sorting_change_what_is_shown() {
    let s = Stack::start(&[("web-1", &["prod", "web"]), ("db-1", &["staging", "db"])]).await;
    let cards_are = |want: &'static [&'static str]| {
        let s = &s;
        async move {
            wait_until(&format!("cards {want:?}"), QUICK, || async {
                let names = s.card_names().await;
                if names == want { Ok(()) } else { Err(format!("{names:?}")) }
            })
            .await
        }
    };

    s.open("/").await;
    cards_are(&["db-1", "web-1"]).await;
    s.find("[data-testid=search]").await.send_keys("WEB").await.unwrap();
    cards_are(&["web-1"]).await;
    assert!(s.browser.current_url().await.unwrap().as_str().ends_with("/?q=WEB"), "kept in the URL");
    s.find("[data-testid=filter-tag]").await.select_by_value("staging").await.unwrap();
    wait_until("the no-match empty state", QUICK, || async {
        let v = s.js("return document.querySelector('[data-testid=empty]')?.textContent;").await;
        match v.as_str() {
            Some(t) if t.contains("No server matches") => Ok(()),
            _ => Err(v.to_string()),
        }
    })
    .await;
    s.find("[data-testid=clear-filters]").await.click().await.unwrap();
    cards_are(&["db-1", "web-1"]).await;
    s.find("[data-testid=filter-tag]").await.select_by_value("staging").await.unwrap();
    cards_are(&["db-1"]).await;
    s.find("[data-testid=filter-status]").await.select_by_value("offline").await.unwrap();
    cards_are(&[]).await;
    // A bookmarked filter comes back as it was.
    s.open("/?tag=web").await;
    cards_are(&["web-1"]).await;

    // Users: sorted by CPU, largest first, until a header says otherwise.
    s.open("/users").await;
    let rows = wait_until("users of both hosts", QUICK, || async {
        let rows = s.user_rows().await;
        let servers: std::collections::BTreeSet<_> = rows.iter().map(|r| r.1.as_str()).collect();
        if servers.len() == 2 { Ok(rows) } else { Err(format!("{rows:?}")) }
    })
    .await;
    let cpu = |rows: &[(String, String, String)]| -> Vec<f64> {
        rows.iter().map(|r| r.2.trim_end_matches('%').parse::<f64>().unwrap()).collect()
    };
    assert!(cpu(&rows).windows(2).all(|w| w[0] >= w[1]), "CPU descending: {rows:?}");
    s.find("[data-testid=users-table] th[data-column=user] button").await.click().await.unwrap();
    wait_until("users by name, A to Z", QUICK, || async {
        let rows = s.user_rows().await;
        let sorted = rows.windows(2).all(|w| w[0].0 <= w[1].0);
        let th = s.js("return document.querySelector('th[data-column=user]').getAttribute('aria-sort');").await;
        if sorted && th == json!("ascending") && !rows.is_empty() { Ok(()) } else { Err(format!("{th} {rows:?}")) }
    })
    .await;
    s.find("[data-testid=users-table] th[data-column=user] button").await.click().await.unwrap();
    wait_until("users by name, Z to A", QUICK, || async {
        let rows = s.user_rows().await;
        let sorted = rows.windows(2).all(|w| w[0].0 >= w[1].0) && rows.first() != rows.last();
        if sorted { Ok(()) } else { Err(format!("{rows:?}")) }
    })
    .await;
    // Filtered by server (asked of the API), then searched by name.
    s.find("[data-testid=users-server]").await.select_by_value("db-1").await.unwrap();
    let rows = wait_until("only db-1's users", QUICK, || async {
        let rows = s.user_rows().await;
        if !rows.is_empty() && rows.iter().all(|r| r.1 == "db-1") { Ok(rows) } else { Err(format!("{rows:?}")) }
    })
    .await;
    let name = rows[0].0.clone();
    let part: String = name.chars().take(3).collect();
    s.find("[data-testid=users-search]").await.send_keys(&part.to_uppercase()).await.unwrap();
    wait_until("users whose name contains the search", QUICK, || async {
        let rows = s.user_rows().await;
        let ok =
            rows.iter().any(|r| r.0 == name) && rows.iter().all(|r| r.0.to_lowercase().contains(&part.to_lowercase()));
        if ok { Ok(()) } else { Err(format!("{rows:?}")) }
    })
    .await;
    s.browser.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_button_yields_a_workbook_with_the_filters() {
    let s = Stack::start(&[("web-1", &["prod"]), ("db-1", &["staging"])]).await;
    s.open("/users?server=db-1").await;
    wait_until("db-1's users", QUICK, || async {
        let rows = s.user_rows().await;
        if !rows.is_empty() && rows.iter().all(|r| r.1 == "db-1") { Ok(()) } else { Err(format!("{rows:?}")) }
    })
    .await;
    let link = s.find("[data-testid=export-users]").await;
    assert!(link.attr("download").await.unwrap().is_some(), "a download, not a navigation");
    let href = link.prop("href").await.unwrap().unwrap();
    assert_eq!(href, format!("{}/api/export/users.xlsx?server=db-1", s.base));

    let resp = s.http.get(&href).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ctype, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let disposition = resp.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment;") && disposition.contains(".xlsx"), "{disposition}");
    let body = resp.bytes().await.unwrap();
    assert!(body.starts_with(b"PK\x03\x04"), "a zip file");
    // The names of a zip's members are stored as plain text in its headers.
    let has = |name: &[u8]| body.windows(name.len()).any(|w| w == name);
    assert!(has(b"[Content_Types].xml") && has(b"xl/workbook.xml") && has(b"xl/worksheets/sheet1.xml"), "an xlsx");
    s.browser.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_theme_toggle_persists_across_a_reload() {
    let s = Stack::start(&[("web-1", &[])]).await;
    s.open("/").await;
    let toggle = s.find("[data-testid=theme-toggle]").await;
    let first = toggle.attr("data-theme").await.unwrap().unwrap();
    let html_theme = "return [document.documentElement.dataset.theme || null,
                              getComputedStyle(document.documentElement).getPropertyValue('--bg').trim()];";
    assert_eq!(s.js(html_theme).await[0], Value::Null, "the system's choice until the user picks one");
    let other = if first == "dark" { "dark→light" } else { "light→dark" };
    toggle.click().await.unwrap();
    let picked = if first == "dark" { "light" } else { "dark" };
    let bg = if picked == "dark" { "#111417" } else { "#f4f5f7" };
    wait_until(&format!("the page in the other theme ({other})"), QUICK, || async {
        let v = s.js(html_theme).await;
        if v == json!([picked, bg]) { Ok(()) } else { Err(v.to_string()) }
    })
    .await;

    s.browser.refresh().await.unwrap();
    let toggle = s.find("[data-testid=theme-toggle]").await;
    assert_eq!(s.js(html_theme).await, json!([picked, bg]), "remembered across the reload");
    assert_eq!(toggle.attr("data-theme").await.unwrap().as_deref(), Some(picked));
    s.find(".server-card[data-sampled]").await;
    s.screenshot(&format!("theme-{picked}")).await;

    toggle.click().await.unwrap();
    s.browser.refresh().await.unwrap();
    s.find("[data-testid=theme-toggle]").await;
    assert_eq!(s.js(html_theme).await[0], json!(first), "and back");
    s.browser.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_update_arrives_without_a_reload() {
    let s = Stack::start(&[("web-1", &[])]).await;
    s.open("/").await;
    s.find("[data-testid=live-indicator][data-state=live]").await;
    let first = wait_until("the card", QUICK, || async {
        let cards = s.cards().await;
        cards.first().map(|c| c.2.clone()).filter(|t| !t.is_empty()).ok_or(format!("{cards:?}"))
    })
    .await;
    // Anything the page holds survives only if it is not reloaded.
    s.js("window.__fleetwatchMarker = 42; return null;").await;
    // A keyboard user is on the card's link when the update comes.
    s.js("window.__focused = document.querySelector('.server-card[data-server=\"web-1\"] h2 a');
          __focused.focus();
          return null;")
        .await;
    // refresh_secs is an hour: the new sample can only come from the live stream.
    wait_until("a newer sample on the card", QUICK, || async {
        let cards = s.cards().await;
        let now = cards.first().map(|c| c.2.clone()).unwrap_or_default();
        if !now.is_empty() && now != first { Ok(()) } else { Err(format!("{cards:?}")) }
    })
    .await;
    assert_eq!(s.js("return window.__fleetwatchMarker ?? null;").await, json!(42), "the page was not reloaded");
    // The update changed the card in place: the focus is still on its link, not sent back to the
    // top of the page.
    wait_until("the focus still on the updated card's link", QUICK, || async {
        let focus = s
            .js("const a = document.activeElement;
                 return {tag: a?.tagName, server: a?.closest('.server-card')?.dataset.server ?? null,
                         same: a === window.__focused};")
            .await;
        if focus == json!({"tag": "A", "server": "web-1", "same": true}) { Ok(()) } else { Err(focus.to_string()) }
    })
    .await;
    s.browser.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_goes_down_turns_grey_with_its_reason_within_a_cycle() {
    let mut s = Stack::start(&[("web-1", &[]), ("db-1", &[])]).await;
    s.open("/").await;
    s.find("[data-testid=live-indicator][data-state=live]").await;
    wait_until("two online cards", QUICK, || async {
        let cards = s.cards().await;
        if cards.len() == 2 && cards.iter().all(|c| c.1 != "offline") { Ok(()) } else { Err(format!("{cards:?}")) }
    })
    .await;
    s.js("window.__fleetwatchMarker = 42; return null;").await;

    kill_sshd_tree(&mut s.host("db-1").sshd);
    let down_at = Instant::now();
    let reason = wait_until("db-1 grey with its reason", QUICK, || async {
        let cards = s.cards().await;
        match cards.iter().find(|c| c.0 == "db-1") {
            Some(c) if c.1 == "offline" && !c.3.is_empty() => Ok(c.3.clone()),
            _ => Err(format!("{cards:?}")),
        }
    })
    .await;
    // One cycle is 2 s; the failure is recorded on the first one after the kill (connection
    // refused is immediate), plus the push to the page.
    assert!(down_at.elapsed() < Duration::from_secs(10), "took {:?}", down_at.elapsed());
    assert!(reason.to_lowercase().contains("connection refused"), "reason shown: {reason:?}");
    let grey = s
        .js("return getComputedStyle(document.querySelector('.server-card[data-server=\"db-1\"]')).borderLeftColor;")
        .await;
    assert_eq!(grey, json!("rgb(138, 144, 153)"), "the offline grey (--off)");
    let web = s.cards().await.into_iter().find(|c| c.0 == "web-1").unwrap();
    assert_ne!(web.1, "offline", "the other server is unaffected");
    assert_eq!(s.js("return window.__fleetwatchMarker ?? null;").await, json!(42), "the page was not reloaded");
    s.screenshot("server-down").await;
    s.browser.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_says_when_the_stream_drops_and_reconnects_by_itself() {
    let mut s = Stack::start(&[("web-1", &[])]).await;
    s.open("/").await;
    s.find("[data-testid=live-indicator][data-state=live]").await;
    s.find(".server-card[data-sampled]").await;
    s.js("window.__fleetwatchMarker = 42; return null;").await;

    // The server goes away: the page says so (and would poll every refresh_secs).
    s.serve = None;
    s.find("[data-testid=live-indicator][data-state=polling]").await;
    wait_until("a toast about the lost stream", QUICK, || async {
        let v = s.js("return [...document.querySelectorAll('[data-testid=toast]')].map(t => t.textContent);").await;
        if v.to_string().contains("Live updates lost") { Ok(()) } else { Err(v.to_string()) }
    })
    .await;

    // It comes back on the same address: the stream reopens without a reload.
    s.serve = Some(serve(&s.config, s.log));
    wait_until("the stream live again", SLOW, || async {
        let v = s.js("return document.querySelector('[data-testid=live-indicator]').dataset.state;").await;
        if v == json!("live") { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    let first = s.cards().await[0].2.clone();
    wait_until("a new sample pushed after the reconnection", SLOW, || async {
        let cards = s.cards().await;
        if cards[0].2 != first { Ok(()) } else { Err(format!("{cards:?}")) }
    })
    .await;
    assert_eq!(s.js("return window.__fleetwatchMarker ?? null;").await, json!(42), "the page was not reloaded");
    s.browser.clone().close().await.unwrap();
}

/// The cards' grid as the page has it: the servers whose cards are built, the columns, and where
/// the grid and its first and last built cards are on screen (px, from the viewport's top).
/// `expected` is the height the whole list of `count` cards takes: every row is as high as
/// `grid-auto-rows`. While the page has no grid yet (still loading), no names and `missing`.
async fn grid(s: &Stack, count: usize) -> Value {
    s.js(&format!(
        "const g = document.querySelector('[data-testid=server-grid]');
         if (!g) return {{names: [], missing: true}};
         const cs = getComputedStyle(g);
         const cols = cs.gridTemplateColumns.split(' ').length;
         const gap = parseFloat(cs.rowGap) || 0, pitch = parseFloat(cs.gridAutoRows) + gap;
         const cards = [...g.querySelectorAll('.server-card[data-server]')];
         const r = g.getBoundingClientRect();
         return {{names: cards.map(c => c.dataset.server), cols,
                  lefts: new Set(cards.map(c => Math.round(c.getBoundingClientRect().left))).size,
                  height: r.height, expected: Math.ceil({count} / cols) * pitch - gap,
                  top: r.top, bottom: r.bottom, view: innerHeight,
                  first_top: cards[0]?.getBoundingClientRect().top,
                  last_bottom: cards.at(-1)?.getBoundingClientRect().bottom}};"
    ))
    .await
}

fn names(grid: &Value) -> Vec<&str> {
    grid["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect()
}

fn near(a: &Value, b: &Value) -> bool {
    (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1.0
}

/// The totals line and the shown count: [servers, online, the offline chip, shown-count].
async fn totals(s: &Stack) -> Value {
    s.js("const t = [...document.querySelectorAll('.totals .total strong')].map(e => e.textContent);
          return [t[0] ?? null, t[1] ?? null,
                  document.querySelector('.totals .chip.status-offline')?.textContent ?? null,
                  document.querySelector('[data-testid=shown-count]')?.textContent ?? null];")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_fleet_builds_only_the_cards_near_the_screen_and_loses_none() {
    // 58 servers nothing answers for (grey cards), then two real ones, last by name.
    let dead: Vec<String> = (1..=58).map(|i| format!("node-{i:02}")).collect();
    let s = Stack::start_with(&[("zulu-1", &["prod"]), ("zulu-2", &["prod"])], &dead, "900,700").await;
    let all: Vec<String> = dead.iter().cloned().chain(["zulu-1".to_owned(), "zulu-2".to_owned()]).collect();
    s.open("/").await;

    // Every server is counted; only the cards near the viewport are built.
    let top = wait_until("the totals of all 60 servers and the first cards", QUICK, || async {
        let (t, g) = (totals(&s).await, grid(&s, 60).await);
        let ok = t == json!(["60", "2", "58 offline", ""]) && names(&g).first() == Some(&"node-01");
        if ok { Ok(g) } else { Err(format!("{t} {g}")) }
    })
    .await;
    let built = names(&top).len();
    assert!(built < 30, "only the cards near the viewport are built, not all 60: {top}");
    assert!(near(&top["height"], &top["expected"]), "the grid is as high as all 60 cards: {top}");
    assert!(near(&top["first_top"], &top["top"]), "the first card at the grid's top: {top}");
    s.screenshot("long-fleet-top").await;

    // Scrolled to the end: the last server's card, at the bottom of a grid as high as before.
    s.js("window.scrollTo(0, document.documentElement.scrollHeight); return null;").await;
    let end = wait_until("the last server's card at the bottom", QUICK, || async {
        let g = grid(&s, 60).await;
        let n = names(&g);
        if n.last() == Some(&"zulu-2") && !n.contains(&"node-01") { Ok(g) } else { Err(g.to_string()) }
    })
    .await;
    assert!(names(&end).len() < 30, "the cards far above are dropped: {end}");
    assert_eq!(end["height"], top["height"], "no jump: the padding holds the place of the cards not built");
    assert!(near(&end["last_bottom"], &end["bottom"]), "the last card ends the grid: {end}");
    let on_screen = end["last_bottom"].as_f64().unwrap();
    assert!(on_screen > 0.0 && on_screen <= end["view"].as_f64().unwrap() + 1.0, "and is on screen: {end}");
    s.screenshot("long-fleet-bottom").await;

    // Back up one row: the cards of the row coming into reach are added, those of a row going
    // out of it removed, and every other card stays where it is in the page (moving them all
    // would restyle and re-lay out every card at each row).
    let cols = end["cols"].as_u64().unwrap() as usize;
    let first = |g: &Value| names(g).first().map(|n| all.iter().position(|a| a == n).unwrap()).unwrap();
    let before = first(&end);
    s.js("const g = document.querySelector('[data-testid=server-grid]');
          window.__changes = {added: 0, removed: 0};
          new MutationObserver(ms => ms.forEach(m => {
            __changes.added += [...m.addedNodes].filter(n => n.nodeType === 1).length;
            __changes.removed += [...m.removedNodes].filter(n => n.nodeType === 1).length;
          })).observe(g, {childList: true});
          const cs = getComputedStyle(g);
          window.scrollBy(0, -(parseFloat(cs.gridAutoRows) + parseFloat(cs.rowGap)));
          return null;")
        .await;
    wait_until("the window one row up", QUICK, || async {
        let g = grid(&s, 60).await;
        if first(&g) + cols == before { Ok(()) } else { Err(g.to_string()) }
    })
    .await;
    // (Near the end, the last rows stay within reach: none may go out.)
    let changes = s.js("return __changes;").await;
    assert_eq!(changes["added"], json!(cols), "one row in, no card moved: {changes}");
    assert!(changes["removed"].as_u64().unwrap() <= cols as u64, "at most one row out: {changes}");

    // The search finds a server from far down, counted against every server.
    s.find("[data-testid=search]").await.send_keys("node-57").await.unwrap();
    wait_until("node-57 alone, 1 of 60 shown", QUICK, || async {
        let (t, g) = (totals(&s).await, grid(&s, 1).await);
        let ok = names(&g) == ["node-57"] && t == json!(["60", "2", "58 offline", "1 of 60 shown"]);
        if ok { Ok(()) } else { Err(format!("{t} {g}")) }
    })
    .await;
    // Its link works.
    s.find(".server-card[data-server='node-57'] a[href='/servers/node-57']").await.click().await.unwrap();
    s.find("[data-testid=tab-server][aria-current=page]").await;
    assert!(s.browser.current_url().await.unwrap().as_str().ends_with("/servers/node-57"));

    // Tab walks through the cards in order, well past those built at first, even with the keys
    // pressed faster than frames are drawn: each card reached is scrolled to, and the window
    // follows before the next key press.
    s.open("/").await;
    wait_until("the first cards again", QUICK, || async {
        let g = grid(&s, 60).await;
        if names(&g).first() == Some(&"node-01") { Ok(()) } else { Err(g.to_string()) }
    })
    .await;
    s.js("document.querySelector('[data-testid=filter-status]').focus();
          window.__focused = [];
          document.addEventListener('focusin', e =>
            __focused.push(e.target.closest('.server-card')?.dataset.server ?? e.target.outerHTML.slice(0, 80)));
          return null;")
        .await;
    let presses = built + 20;
    let mut keys = KeyActions::new("keyboard".into());
    for _ in 0..presses {
        keys = keys.then(KeyAction::Down { value: Key::Tab.into() }).then(KeyAction::Up { value: Key::Tab.into() });
    }
    s.browser.perform_actions(keys).await.unwrap();
    let focused = s.js("return __focused;").await;
    assert_eq!(focused, json!(all[..presses]), "Tab reaches every card, in order");
    let deep = grid(&s, 60).await;
    assert!(!names(&deep).contains(&"node-01") && names(&deep).len() < 30, "the window moved with the focus: {deep}");

    // Phone width: one column, the grid as high as sixty rows, the last card still reached.
    s.browser.set_window_size(400, 800).await.unwrap();
    let phone = wait_until("one column", QUICK, || async {
        let g = grid(&s, 60).await;
        let ok = g["cols"] == json!(1) && g["lefts"] == json!(1) && near(&g["height"], &g["expected"]);
        if ok { Ok(g) } else { Err(g.to_string()) }
    })
    .await;
    assert!(names(&phone).len() < 30, "{phone}");
    s.js("window.scrollTo(0, document.documentElement.scrollHeight); return null;").await;
    wait_until("the last card at phone width", QUICK, || async {
        let g = grid(&s, 60).await;
        if names(&g).last() == Some(&"zulu-2") { Ok(()) } else { Err(g.to_string()) }
    })
    .await;
    s.screenshot("long-fleet-phone").await;
    s.browser.clone().close().await.unwrap();
}

/// `db-2`'s processes section, the latest or the one in force `at`: its time and its body.
async fn processes_at(s: &Stack, at: Option<&str>) -> Result<(String, Value), String> {
    let url = match at {
        Some(at) => format!("{}/api/servers/db-2/processes?at={at}", s.base),
        None => format!("{}/api/servers/db-2/processes", s.base),
    };
    let v: Value = s.http.get(url).send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
    let taken = v["timestamp"].as_str().ok_or_else(|| v.to_string())?.to_owned();
    Ok((taken, v))
}

fn holds(section: &Value, pid: u32) -> bool {
    section["data"]["by_memory"].as_array().is_some_and(|l| l.iter().any(|p| p["pid"] == pid))
}

/// The moment in the page's URL, if any.
async fn url_at(s: &Stack) -> Option<String> {
    let url = s.browser.current_url().await.unwrap();
    url.query_pairs().find(|(k, _)| k == "at").map(|(_, v)| v.into_owned())
}

/// What the processes-by-memory panel shows: (its snapshot's time, its text).
async fn memory_panel(s: &Stack) -> Value {
    s.js("const p = document.querySelector('section[data-section=processes]');
          return p ? [p.dataset.taken, p.querySelector('[data-testid=table-processes-memory]').textContent] : null;")
        .await
}

/// What the users panel shows: (its snapshot's time, its text).
async fn users_panel(s: &Stack) -> Value {
    s.js("const p = document.querySelector('section[data-section=users]');
          return p ? [p.dataset.taken, p.querySelector('[data-testid=table-users]').textContent] : null;")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moment_picked_on_a_chart_shows_the_processes_stored_then() {
    let s = Stack::start(&[("db-2", &["db"])]).await;
    // A process that holds 600 MiB on the host (this machine): among its top processes by memory.
    let hog = KillOnDrop(
        Command::new("python3")
            .args(["-c", "import time\nx = b'x' * (600 << 20)\ntime.sleep(600)"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = hog.0.id();
    // Two stored cycles with it: the moment is just after the second one.
    let with_hog = std::cell::RefCell::new(Vec::<String>::new());
    wait_until("two collections that list the process", SLOW, || async {
        let (taken, v) = processes_at(&s, None).await?;
        let mut seen = with_hog.borrow_mut();
        if holds(&v, pid) && !seen.contains(&taken) {
            seen.push(taken);
        }
        if seen.len() >= 2 { Ok(()) } else { Err(format!("{seen:?}")) }
    })
    .await;
    let with_hog = with_hog.into_inner();
    drop(hog);
    let stored = chrono::DateTime::parse_from_rfc3339(&with_hog[1]).unwrap();
    wait_until("a collection without the process", SLOW, || async {
        let (taken, v) = processes_at(&s, None).await?;
        let later = chrono::DateTime::parse_from_rfc3339(&taken).map_err(|e| e.to_string())? > stored;
        if later && !holds(&v, pid) { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    // Cycles are 2 s apart: half a second after a stored one, that one is still in force.
    let moment =
        (stored + chrono::Duration::milliseconds(500)).to_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (taken, v) = processes_at(&s, Some(&moment)).await.unwrap();
    assert!(holds(&v, pid), "the API's snapshot at {moment} ({taken}) lists the process");

    // A link with the moment: the tables show that snapshot, with its time.
    s.open(&format!("/servers/db-2?at={moment}")).await;
    let bar = s.find("[data-testid=moment]").await;
    assert_eq!(bar.attr("data-at").await.unwrap().as_deref(), Some(moment.as_str()));
    let shown = wait_until("the stored processes of that moment", QUICK, || async {
        let p = memory_panel(&s).await;
        let stored_then = p[0].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) == Some(stored);
        if stored_then && p[1].as_str().is_some_and(|t| t.contains(&pid.to_string())) {
            Ok(p)
        } else {
            Err(p.to_string())
        }
    })
    .await;
    assert!(shown[1].as_str().unwrap().contains("python3"), "{shown}");
    // The users table is the same cycle's: the hog's owner among them, with that cycle's time.
    let owner = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_owned();
    wait_until("the users stored at that moment", QUICK, || async {
        let u = users_panel(&s).await;
        let stored_then = u[0].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) == Some(stored);
        if stored_then && u[1].as_str().is_some_and(|t| t.contains(&owner)) { Ok(()) } else { Err(u.to_string()) }
    })
    .await;
    // Every chart marks the moment.
    wait_until("the moment on every chart", QUICK, || async {
        let v = s.js("return [...document.querySelectorAll('.chart')].map(c => c.dataset.moment || null);").await;
        let all = v.as_array().is_some_and(|a| a.len() >= 5 && a.iter().all(|m| m.as_str().is_some()));
        if all { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    s.screenshot("moment").await;

    // "Now": back to live, the process is gone from the tables.
    s.find("[data-testid=moment-now]").await.click().await.unwrap();
    wait_until("the latest processes again", QUICK, || async {
        let p = memory_panel(&s).await;
        let live = url_at(&s).await.is_none() && s.browser.find(Locator::Css("[data-testid=moment]")).await.is_err();
        if live && p[1].as_str().is_some_and(|t| !t.contains(&pid.to_string())) { Ok(()) } else { Err(p.to_string()) }
    })
    .await;
    wait_until("the latest users again", QUICK, || async {
        let u = users_panel(&s).await;
        let later =
            u[0].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).is_some_and(|t| t > stored);
        if later { Ok(()) } else { Err(u.to_string()) }
    })
    .await;

    // A click on a chart picks the moment under the pointer, in the URL, and the tables follow.
    // A custom range of three minutes around the stored cycle: a pixel is a fraction of a second.
    let from_ms = (stored.timestamp_millis() / 60_000 - 1) * 60_000;
    let to_ms = from_ms + 180_000;
    let local = |ms: i64| {
        format!(
            "const d = new Date({ms}); const p = n => String(n).padStart(2, '0');
             return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());"
        )
    };
    let (f, t) = (s.js(&local(from_ms)).await, s.js(&local(to_ms)).await);
    s.open(&format!("/servers/db-2?range=custom&from={}&to={}", f.as_str().unwrap(), t.as_str().unwrap())).await;
    let chart = s.find("[data-testid=chart-memory][data-from]").await;
    let from: f64 = chart.attr("data-from").await.unwrap().unwrap().parse().unwrap();
    let to: f64 = chart.attr("data-to").await.unwrap().unwrap().parse().unwrap();
    assert_eq!((from, to), (from_ms as f64 / 1000.0, to_ms as f64 / 1000.0), "the x axis is the picked range");
    let over = s.find("[data-testid=chart-memory] .u-over").await;
    let (_, _, width, _) = over.rectangle().await.unwrap();
    let target = stored.timestamp_millis() as f64 / 1000.0 + 0.5;
    // Offsets are from the element's centre.
    let x = (((target - from) / (to - from) - 0.5) * width).round();
    let click = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement { element: over, duration: None, x, y: 0.0 })
        .then(PointerAction::Down { button: fantoccini::actions::MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: fantoccini::actions::MOUSE_BUTTON_LEFT });
    s.browser.perform_actions(click).await.unwrap();
    let picked =
        wait_until("a moment in the URL", QUICK, || async { url_at(&s).await.ok_or("no at".to_owned()) }).await;
    let picked_secs = chrono::DateTime::parse_from_rfc3339(&picked).unwrap().timestamp_millis() as f64 / 1000.0;
    let pixel = (to - from) / width;
    assert!(
        (picked_secs - target).abs() <= 2.0 * pixel,
        "picked {picked_secs}, aimed at {target} (a pixel is {pixel} s)"
    );
    wait_until("the processes stored at the picked moment", QUICK, || async {
        let p = memory_panel(&s).await;
        let stored_then = p[0].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) == Some(stored);
        if stored_then && p[1].as_str().is_some_and(|t| t.contains(&pid.to_string())) {
            Ok(())
        } else {
            Err(p.to_string())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_page_shows_their_days_on_every_server_reached_from_the_users_tab() {
    let s = Stack::start(&[("web-1", &["web"]), ("db-1", &["db"])]).await;
    // Both hosts are this machine: the test account's sshd sessions run as the same users on both.
    // A second cycle of each, so a day has a CPU interval.
    let first: Vec<String> = s.cards().await.into_iter().map(|c| c.2).collect();
    wait_until("a second collection of both", SLOW, || async {
        let now: Vec<String> = s.cards().await.into_iter().map(|c| c.2).collect();
        if now.iter().zip(&first).all(|(a, b)| a != b) { Ok(()) } else { Err(format!("{now:?}")) }
    })
    .await;
    s.open("/users").await;
    // The user of the first row, followed by its link.
    let row = s.find("[data-testid=page-users] tr[data-testid=user-row]").await;
    let user = row.attr("data-user").await.unwrap().unwrap();
    row.find(Locator::Css("td:first-child a")).await.unwrap().click().await.unwrap();
    let page = s.find("[data-testid=page-user]").await;
    assert_eq!(page.attr("data-user").await.unwrap().as_deref(), Some(user.as_str()));
    assert!(s.browser.current_url().await.unwrap().path().ends_with(&format!("/users/{user}")));
    let today = chrono::Utc::now().date_naive().to_string();
    let rows = wait_until("the user's days on both servers", QUICK, || async {
        let v = s
            .js("return [...document.querySelectorAll('[data-testid=table-user-days] tbody tr')]
                   .map(r => [r.children[0].textContent, r.children[1].textContent]);")
            .await;
        let rows: Vec<(String, String)> = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
        let servers: Vec<&str> = rows.iter().filter(|r| r.0 == today).map(|r| r.1.as_str()).collect();
        if servers.contains(&"web-1") && servers.contains(&"db-1") { Ok(rows) } else { Err(v.to_string()) }
    })
    .await;
    assert!(rows.iter().all(|r| r.0 <= today), "newest day first, none in the future: {rows:?}");
    let totals = s.find("[data-testid=user-totals]").await.text().await.unwrap();
    assert!(totals.contains("on 2 servers"), "{totals}");
    let export = s.find("[data-testid=export-user]").await.attr("href").await.unwrap().unwrap();
    assert!(export.starts_with("/api/export/users.xlsx?q=") && export.contains("from="), "{export}");
    let (status, _) = {
        let r = s.http.get(format!("{}{export}", s.base)).send().await.unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap())
    };
    assert_eq!(status, 200, "the page's workbook link answers");
    s.screenshot("user").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stored_series_is_charted_in_its_group() {
    let s = Stack::start(&[("web-2", &["web"])]).await;
    // The series this host stores, as the API names them.
    let names: Vec<String> =
        s.http.get(format!("{}/api/servers/web-2/metrics/series", s.base)).send().await.unwrap().json().await.unwrap();
    s.open("/servers/web-2?range=1h").await;
    s.find("[data-testid=all-figures]").await;
    // The charts every Linux host has, each drawn with points.
    let mut expected = vec!["cpu-breakdown", "cpu-cores", "memory-bytes", "tcp-states", "system"];
    let root = names.iter().any(|n| n == "disk[/].used_percent");
    if root {
        expected.push("disk-root");
    }
    let lo = names.iter().any(|n| n == "net[lo].rx_bytes_per_sec");
    if lo {
        expected.push("net-lo");
    }
    assert!(root || names.iter().any(|n| n.starts_with("disk[")), "a mount is stored: {names:?}");
    let drawn = wait_until("a drawn chart per group", SLOW, || async {
        let v = s
            .js("return Object.fromEntries([...document.querySelectorAll('[data-testid=all-figures] .chart')]
                   .map(c => [c.dataset.testid.replace('chart-', ''), c.dataset.ready === 'true' ? Number(c.dataset.points) : -1]));")
            .await;
        let ok = expected.iter().all(|k| v[*k].as_i64().is_some_and(|n| n > 0));
        if ok { Ok(v) } else { Err(v.to_string()) }
    })
    .await;
    // One chart per core: the strip's lines are the cores the host reported.
    let cores = names.iter().filter(|n| n.starts_with("cpu") && n.ends_with(".busy") && *n != "cpu.busy").count();
    let keys = s
        .js("return [...document.querySelectorAll('[data-testid=chart-cpu-cores]')].map(c =>
               c.closest('figure').querySelectorAll('.chart-key').length);")
        .await;
    assert_eq!(keys, json!([cores]), "{drawn}");
    s.screenshot("all-figures").await;
    // A click on one of them picks a moment too.
    s.find("[data-testid=chart-cpu-cores] .u-over").await.click().await.unwrap();
    wait_until("a moment in the URL", QUICK, || async { url_at(&s).await.ok_or("no at".to_owned()) }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compare_tab_charts_one_figure_of_every_picked_server() {
    let s = Stack::start(&[("web-a", &["web"]), ("web-b", &["web"]), ("db-a", &["db"])]).await;
    // A link: two servers by name.
    s.open("/compare?servers=web-a,db-a&figure=ram&range=1h").await;
    s.find("[data-testid=page-compare]").await;
    let legend = || async {
        s.js("const c = document.querySelector('[data-testid=chart-compare]');
              return c && c.dataset.ready === 'true' && Number(c.dataset.points) > 0
                ? [...c.closest('figure').querySelectorAll('.chart-key')].map(k => k.textContent) : null;")
            .await
    };
    let shown = wait_until("a line per picked server", SLOW, || async {
        let v = legend().await;
        if v == json!(["web-a", "db-a"]) { Ok(v) } else { Err(v.to_string()) }
    })
    .await;
    let title = s.find("[data-testid=chart-compare]").await;
    let caption = s.js("return document.querySelector('[data-testid=chart-compare]').closest('figure').querySelector('figcaption').textContent;").await;
    assert!(caption.as_str().unwrap().starts_with("Memory"), "{caption} {shown}");
    drop(title);
    // A checkbox adds a server, in the URL too.
    s.find("[data-testid=compare-server][data-server=web-b]").await.click().await.unwrap();
    wait_until("the third server's line", QUICK, || async {
        let v = legend().await;
        if v == json!(["web-a", "db-a", "web-b"]) { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    let url = s.browser.current_url().await.unwrap();
    let servers = url.query_pairs().find(|(k, _)| k == "servers").map(|(_, v)| v.into_owned());
    assert_eq!(servers.as_deref(), Some("web-a,db-a,web-b"));
    // A tag alone picks its servers.
    s.open("/compare?tag=web&figure=cpu").await;
    wait_until("the tag's servers", SLOW, || async {
        let v = legend().await;
        if v == json!(["web-a", "web-b"]) { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    s.screenshot("compare").await;
}

/// A path that runs script if it is ever put into the page as HTML: as markup,
/// `<img/src=x/onerror=…>` is an image whose error handler runs.
const XSS: &str = "<img/src=x/onerror=window.__xss=1>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_in_a_mount_point_a_tag_and_a_process_name_is_shown_as_text_everywhere() {
    // A file system mounted on the host at a path that is markup; a tag that is markup.
    let disk = fleetwatch_testkit::LoopMount::at(8, XSS);
    let point = disk.point.display().to_string();
    let s = Stack::start(&[("xss-host", &["<b>tag</b>"]), ("plain", &["web"])]).await;
    // A process on the host whose name is markup (set with prctl: a name is at most 15 bytes),
    // holding 500 MiB so it is among the top processes by memory.
    let markup = KillOnDrop(
        Command::new("python3")
            .args([
                "-c",
                "import ctypes, time\nctypes.CDLL(None).prctl(15, b'<img src=x>', 0, 0, 0)\n\
                 x = b'x' * (500 << 20)\ntime.sleep(600)",
            ])
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let markup_pid = markup.0.id();
    // No script ran, no element was made of the path or the tag.
    let hook = "return [window.__xss === undefined,
                        document.querySelectorAll('img[src=x]').length
                          + [...document.querySelectorAll('b')].filter(b => b.textContent === 'tag').length];";
    let safe = json!([true, 0]);
    s.open("/").await;
    wait_until("both cards", SLOW, || async {
        let names = s.card_names().await;
        if names.len() == 2 { Ok(names) } else { Err(format!("{names:?}")) }
    })
    .await;
    let tag = s.js("return [...document.querySelectorAll('select option')].map(o => o.textContent);").await;
    assert!(tag.as_array().unwrap().iter().any(|o| o == "<b>tag</b>"), "the tag as an option's text: {tag}");
    assert_eq!(s.js(hook).await, safe, "dashboard");
    s.open("/users").await;
    s.find("tr[data-testid=user-row]").await;
    assert_eq!(s.js(hook).await, safe, "users");
    // The server's page: the mount in the disks table and as an "All figures" chart, as text.
    s.open("/servers/xss-host?range=1h").await;
    let shown = wait_until("the mount in the disks table and its chart", SLOW, || async {
        let v = s
            .js("return [(document.querySelector('[data-testid=table-disks]') || {}).textContent || '',
                         [...document.querySelectorAll('[data-testid=all-figures] figcaption')].map(f => f.textContent).join('|')];")
            .await;
        let ok = v[0].as_str().is_some_and(|t| t.contains(&point)) && v[1].as_str().is_some_and(|t| t.contains(&point));
        if ok { Ok(v) } else { Err(v.to_string()) }
    })
    .await;
    assert_eq!(s.js(hook).await, safe, "server page: {shown}");
    // The process named markup, in the processes table as text.
    wait_until("the process named <img src=x> in the processes table", SLOW, || async {
        let v = s
            .js("const t = document.querySelector('[data-testid=table-processes-memory]');
                 return t ? [...t.querySelectorAll('tr')].map(r => r.textContent) : [];")
            .await;
        let row = v.as_array().and_then(|rows| {
            rows.iter()
                .filter_map(|r| r.as_str())
                .find(|r| r.contains(&markup_pid.to_string()) && r.contains("<img src=x>"))
        });
        if row.is_some() { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    assert_eq!(s.js(hook).await, safe, "server page with the process");
    // The chart's tooltip (built by script from the lines' labels).
    s.open("/compare?servers=xss-host,plain&range=1h").await;
    let over = s.find("[data-testid=chart-compare][data-ready=true] .u-over").await;
    let (_, _, width, _) = over.rectangle().await.unwrap();
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: over,
        duration: None,
        x: (width / 2.0 - 3.0).floor(),
        y: 0.0,
    });
    s.browser.perform_actions(hover).await.unwrap();
    wait_until("the tooltip", QUICK, || async {
        let v = s
            .js("const t = document.querySelector('[data-testid=chart-compare] .chart-tooltip');
                 return t && t.style.display !== 'none' ? t.textContent : null;")
            .await;
        if v.as_str().is_some_and(|t| t.contains("xss-host")) { Ok(()) } else { Err(v.to_string()) }
    })
    .await;
    assert_eq!(s.js(hook).await, safe, "compare");
    // The API hands the path back unchanged.
    let disks: Value =
        s.http.get(format!("{}/api/servers/xss-host/disks", s.base)).send().await.unwrap().json().await.unwrap();
    assert!(disks["data"]["usage"].as_array().unwrap().iter().any(|d| d["mount"] == point.as_str()), "{disks}");
}

/// The `cpu-breakdown` chart as uPlot draws it: the window (seconds), the lines' labels, and per
/// line its values and its band's low and high edges (`data-bands` lines have one).
async fn drawn_breakdown(s: &Stack) -> Value {
    s.js("const c = document.querySelector('[data-testid=chart-cpu-breakdown]');
          if (!c || c.dataset.ready !== 'true' || !c.uplot) return null;
          const u = c.uplot;
          return { from: Number(c.dataset.from), to: Number(c.dataset.to), banded: Number(c.dataset.bands),
                   labels: u.series.map(x => x.label || null), bands: u.bands.map(b => b.series),
                   data: u.data.map(col => Array.from(col)) };")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_point_of_a_chart_is_drawn_with_the_stored_min_max_band() {
    let s = Stack::start(&[("band-1", &[])]).await;
    // An hour in 1,000 points: 3.6 s each, so most average two cycles of 2 s.
    s.open("/servers/band-1?range=1h").await;
    let series = |label: &str| match label {
        "user" => "cpu.user",
        "system" => "cpu.system",
        _ => "",
    };
    let wide = wait_until("points whose band spans differing samples, as stored", SLOW, || async {
        let v = drawn_breakdown(&s).await;
        if v.is_null() {
            return Err("no chart yet".to_owned());
        }
        let labels = v["labels"].as_array().ok_or("labels")?;
        let n = (labels.len() - 1) / 3;
        let data = v["data"].as_array().ok_or("data")?;
        let (from, to) = (v["from"].as_f64().ok_or("from")?, v["to"].as_f64().ok_or("to")?);
        // The window the chart asked for, in whole seconds as the page asks.
        let iso = |secs: f64| {
            chrono::DateTime::from_timestamp(secs.floor() as i64, 0)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let mut wide = Vec::new();
        for i in 0..n {
            let name = series(labels[1 + i].as_str().unwrap_or_default());
            if name.is_empty() {
                continue;
            }
            // The band of line i is filled between its high and its low column.
            if v["bands"][i] != json!([1 + 2 * n + i, 1 + n + i]) {
                return Err(format!("line {i} has no band: {}", v["bands"]));
            }
            let stored: Vec<Value> = s
                .http
                .get(format!("{}/api/servers/band-1/metrics/series", s.base))
                .query(&[("name", name), ("from", &iso(from)), ("to", &iso(to)), ("max_points", "1000")])
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let by_time: std::collections::HashMap<i64, &Value> = stored
                .iter()
                .map(|p| {
                    let t = chrono::DateTime::parse_from_rfc3339(p["timestamp"].as_str().unwrap()).unwrap();
                    (t.timestamp_millis(), p)
                })
                .collect();
            let times = data[0].as_array().ok_or("times")?;
            for (j, t) in times.iter().enumerate() {
                let t = t.as_f64().ok_or("time")?;
                // The last few seconds may have gained a cycle since the chart asked.
                if t > to - 15.0 {
                    continue;
                }
                let (value, lo, hi) = (&data[1 + i][j], &data[1 + n + i][j], &data[1 + 2 * n + i][j]);
                if value.is_null() {
                    continue;
                }
                let p = by_time.get(&((t * 1000.0).round() as i64)).ok_or(format!("{name} at {t}: not stored"))?;
                let drawn = (value.as_f64(), lo.as_f64(), hi.as_f64());
                if drawn != (p["value"].as_f64(), p["min"].as_f64(), p["max"].as_f64()) {
                    return Err(format!("{name} at {t}: drawn {value} [{lo}, {hi}], stored {p}"));
                }
                if p["samples"].as_i64() > Some(1) && lo.as_f64() < hi.as_f64() {
                    wide.push((t, i, lo.as_f64().unwrap(), hi.as_f64().unwrap()));
                }
            }
        }
        if wide.len() >= 2 && v["banded"].as_u64() >= Some(1) { Ok(wide) } else { Err(format!("{wide:?}")) }
    })
    .await;
    s.screenshot("band").await;

    // The tooltip gives the band's range beside the average.
    let over = s.find("[data-testid=chart-cpu-breakdown] .u-over").await;
    let (_, _, width, _) = over.rectangle().await.unwrap();
    let v = drawn_breakdown(&s).await;
    let (from, to) = (v["from"].as_f64().unwrap(), v["to"].as_f64().unwrap());
    let mut seen = Vec::new();
    for (t, _, _, _) in &wide {
        let x = (((t - from) / (to - from) - 0.5) * width).round();
        let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: over.clone(),
            duration: None,
            x,
            y: 0.0,
        });
        s.browser.perform_actions(hover).await.unwrap();
        let tip = s
            .js("const t = document.querySelector('[data-testid=chart-cpu-breakdown] .chart-tooltip');
                 return t && t.style.display !== 'none' ? t.textContent : null;")
            .await;
        seen.push(tip.clone());
        if tip.as_str().is_some_and(|t| t.contains("(min ") && t.contains(", max ")) {
            return;
        }
    }
    panic!("no tooltip with a min and max over {wide:?}: {seen:?}");
}

/// The page at the browser's width: (page width, viewport width, charts (ready, canvas width,
/// chart width), data tables (table width, its scroller's width, its scroller's overflow-x)).
async fn fit(s: &Stack) -> Value {
    s.js("const de = document.documentElement;
          return { page: de.scrollWidth, view: de.clientWidth,
                   charts: [...document.querySelectorAll('.chart')].map(c => {
                       const cv = c.querySelector('canvas');
                       return [c.dataset.ready || null, cv ? cv.getBoundingClientRect().width : null, c.clientWidth]; }),
                   tables: [...document.querySelectorAll('table.data-table')].map(t => {
                       const w = t.closest('.table-wrap');
                       return [t.scrollWidth, w ? w.clientWidth : null, w ? getComputedStyle(w).overflowX : null]; }) };")
        .await
}

/// Waits until the page's charts are drawn and it fits the screen's width: no sideways page
/// scrolling, each chart as wide as its box, each table scrolling inside its own box.
async fn fits_the_width(s: &Stack, what: &str, charts: usize) -> Value {
    wait_until(&format!("{what} at phone width"), SLOW, || async {
        let v = fit(s).await;
        let view = v["view"].as_f64().ok_or("view")?;
        let list = v["charts"].as_array().ok_or("charts")?;
        let drawn = list.len() >= charts
            && list.iter().all(|c| {
                c[0] == "true"
                    && c[1].as_f64().zip(c[2].as_f64()).is_some_and(|(w, box_w)| w <= box_w + 1.0 && w > 100.0)
            });
        let tables = v["tables"].as_array().ok_or("tables")?.iter().all(|t| t[2] == "auto");
        let page = v["page"].as_f64().is_some_and(|p| p <= view);
        // The phone layout's width (style.css); headless Chromium's window is 485 px at least.
        if drawn && tables && page && view < 640.0 { Ok(v) } else { Err(v.to_string()) }
    })
    .await
}

/// WCAG's contrast ratio of two CSS colours, computed in the page (the browser parses them).
const CONTRAST: &str = "
    const rgb = c => { const x = document.createElement('canvas').getContext('2d'); x.fillStyle = '#000'; x.fillStyle = c;
                       const h = x.fillStyle; if (h[0] === '#') return [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16));
                       return h.match(/[\\d.]+/g).slice(0, 3).map(Number); };
    const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                       return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_every_view_fits_the_width_and_both_themes_draw_readable_charts() {
    let s = Stack::start_with(&[("phone-1", &["web"]), ("phone-2", &["web"])], &[], "390,844").await;

    // The server page: headline charts, "All figures", and the tables (processes are wider
    // than a phone: they scroll in their box, the page does not).
    s.open("/servers/phone-1?range=1h").await;
    s.find("[data-testid=all-figures] [data-testid=chart-cpu-breakdown]").await;
    s.find("[data-testid=table-processes]").await;
    let server = fits_the_width(&s, "the server page", 8).await;
    let wider = server["tables"].as_array().unwrap().iter().any(|t| t[0].as_f64() > t[1].as_f64());
    assert!(wider, "a table wider than the phone, scrolling in its box: {server}");
    s.screenshot("phone-server").await;

    // Both themes: the axes' text stands out from the chart's background.
    let readable = format!(
        "{CONTRAST}
         return [document.documentElement.dataset.theme || null, ...[...document.querySelectorAll('.chart')].filter(c => c.uplot).map(c => {{
             const u = c.uplot, bg = getComputedStyle(c.closest('.chart-box')).backgroundColor;
             return [bg, u.axes[0].stroke(u, 0), contrast(u.axes[0].stroke(u, 0), bg), contrast(u.axes[1].stroke(u, 1), bg)]; }})];"
    );
    let toggle = s.find("[data-testid=theme-toggle]").await;
    let mut backgrounds = Vec::new();
    for _ in 0..2 {
        toggle.click().await.unwrap();
        let picked = toggle.attr("data-theme").await.unwrap().unwrap();
        let v = wait_until(&format!("readable axes in the {picked} theme"), QUICK, || async {
            let v = s.js(&readable).await;
            let list = v.as_array().ok_or("list")?;
            let ok = list[0] == picked.as_str()
                && list.len() > 8
                && list[1..].iter().all(|c| c[2].as_f64() >= Some(4.5) && c[3].as_f64() >= Some(4.5));
            if ok { Ok(v) } else { Err(v.to_string()) }
        })
        .await;
        backgrounds.push((v[1][0].clone(), v[1][1].clone()));
        s.screenshot(&format!("phone-{picked}")).await;
    }
    assert_ne!(backgrounds[0], backgrounds[1], "the charts' background and axes follow the theme");

    // Compare, and a user's page.
    s.open("/compare?servers=phone-1,phone-2&figure=cpu&range=1h").await;
    s.find("[data-testid=chart-compare]").await;
    fits_the_width(&s, "the compare page", 1).await;
    s.screenshot("phone-compare").await;
    s.open("/users").await;
    let row = s.find("[data-testid=page-users] tr[data-testid=user-row]").await;
    let user = row.attr("data-user").await.unwrap().unwrap();
    fits_the_width(&s, "the users page", 0).await;
    s.open(&format!("/users/{user}")).await;
    s.find("[data-testid=table-user-days]").await;
    fits_the_width(&s, "the user's page", 0).await;
    s.screenshot("phone-user").await;
}

/// The page's query parameter `key`.
async fn url_param(s: &Stack, key: &str) -> Option<String> {
    let url = s.browser.current_url().await.unwrap();
    url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// The server page's state: (range picked, x axis span in hours, moment bar shown, URL's moment).
type ServerState = (Option<String>, Option<i64>, bool, Option<String>);

async fn server_state(s: &Stack) -> ServerState {
    let v = s
        .js("const p = document.querySelector('[data-testid^=range-][aria-pressed=true]');
             const c = document.querySelector('[data-testid=chart-memory][data-from]');
             return [p ? p.dataset.testid : null, c ? Math.round((c.dataset.to - c.dataset.from) / 3600) : null,
                     !!document.querySelector('[data-testid=moment]')];")
        .await;
    let at = url_param(s, "at").await;
    (v[0].as_str().map(str::to_owned), v[1].as_i64(), v[2].as_bool().unwrap_or(false), at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_and_forward_step_through_ranges_moments_and_filters() {
    let s = Stack::start(&[("hist-1", &["web"]), ("hist-2", &["db"])]).await;
    let state = |range: &str, hours: i64, moment: bool| {
        let range = range.to_owned();
        move |v: &ServerState| {
            v.0.as_deref() == Some(range.as_str()) && v.1 == Some(hours) && v.2 == moment && v.3.is_some() == moment
        }
    };
    let expect = |what: &'static str, ok: Box<dyn Fn(&ServerState) -> bool>| {
        let s = &s;
        async move {
            wait_until(what, QUICK, || async {
                let v = server_state(s).await;
                if ok(&v) { Ok(v) } else { Err(format!("{v:?}")) }
            })
            .await
        }
    };

    // The dashboard's tag filter: picked, back, forward.
    s.open("/").await;
    let cards = |want: &'static [&'static str], tag: Option<&'static str>| {
        let s = &s;
        async move {
            wait_until(&format!("the cards {want:?}"), QUICK, || async {
                let (names, t) = (s.card_names().await, url_param(s, "tag").await);
                if names == want && t.as_deref() == tag { Ok(()) } else { Err(format!("{names:?} {t:?}")) }
            })
            .await
        }
    };
    cards(&["hist-1", "hist-2"], None).await;
    s.find("[data-testid=filter-tag]").await.select_by_value("db").await.unwrap();
    cards(&["hist-2"], Some("db")).await;
    s.browser.back().await.unwrap();
    cards(&["hist-1", "hist-2"], None).await;
    s.browser.forward().await.unwrap();
    cards(&["hist-2"], Some("db")).await;

    // A server's page on the 1 h range.
    s.open("/servers/hist-1?range=1h").await;
    expect("1 h", Box::new(state("range-1h", 1, false))).await;
    // 6 h, then a moment picked on a chart: two more history entries.
    s.find("[data-testid=range-6h]").await.click().await.unwrap();
    expect("6 h", Box::new(state("range-6h", 6, false))).await;
    s.find("[data-testid=chart-memory][data-ready=true] .u-over").await.click().await.unwrap();
    let picked = expect("6 h at a moment", Box::new(state("range-6h", 6, true))).await;

    s.browser.back().await.unwrap();
    expect("back: 6 h, live", Box::new(state("range-6h", 6, false))).await;
    s.browser.back().await.unwrap();
    expect("back: 1 h", Box::new(state("range-1h", 1, false))).await;
    s.browser.forward().await.unwrap();
    expect("forward: 6 h", Box::new(state("range-6h", 6, false))).await;
    s.browser.forward().await.unwrap();
    let again = expect("forward: the moment again", Box::new(state("range-6h", 6, true))).await;
    assert_eq!(again.3, picked.3, "the same moment");
}
