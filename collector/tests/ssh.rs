//! The collector against real OpenSSH servers on loopback (see `testkit/`), storing into a real
//! SQLite file. Fault injection (a server that never answers) uses a fake TCP listener.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use fleetwatch_collector::{CollectError, Collector, ServerReport};
use fleetwatch_common::OfflineReason;
use fleetwatch_config::{CollectorSettings, Config};
use fleetwatch_store::{Store, TimeRange};
use fleetwatch_testkit::{SilentServer, Sshd, TEST_USER, closed_port, test_password};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
}

async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fw.db").display());
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    Fixture { _dir: dir, store }
}

fn settings(connect_timeout_secs: u64, retries: u32) -> CollectorSettings {
    CollectorSettings {
        connect_timeout_secs,
        command_timeout_secs: 20,
        retries,
        retry_backoff_ms: 10,
        ..Default::default()
    }
}

fn key_server(name: &str, sshd: &Sshd, host_key: Option<&str>) -> String {
    let pin = host_key.map(|fp| format!("host_key = \"{fp}\"\n")).unwrap_or_default();
    format!(
        "[[servers]]\nname = \"{name}\"\nhost = \"{}\"\nport = {}\nuser = \"{TEST_USER}\"\nidentity_file = \"{}\"\n{pin}",
        sshd.addr.ip(),
        sshd.addr.port(),
        sshd.client_key.display()
    )
}

fn servers(toml: &str) -> Vec<fleetwatch_config::Server> {
    Config::from_toml(toml, &BTreeMap::new()).unwrap().servers
}

fn report<'a>(reports: &'a [ServerReport], name: &str) -> &'a ServerReport {
    reports.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no report for {name}"))
}

fn accepted_logins(sshd: &Sshd) -> usize {
    sshd.log_text().matches("Accepted publickey").count() + sshd.log_text().matches("Accepted password").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_auth_collects_stores_and_reuses_the_connection() {
    let sshd = Sshd::start().await;
    let fx = sqlite().await;
    let toml = key_server("web-1", &sshd, Some(&sshd.host_fingerprint));
    let collector = Collector::new(servers(&toml), fx.store.clone(), settings(5, 1));

    let first = collector.run_cycle().await;
    let r = report(&first, "web-1");
    let c = r.result.as_ref().unwrap_or_else(|e| panic!("collection failed: {e}\nsshd log:\n{}", sshd.log_text()));
    assert_eq!(c.host_key.as_deref(), Some(sshd.host_fingerprint.as_str()));
    let s = &c.sample;
    let cpu = s.cpu_percent.expect("cpu_percent from /proc/stat deltas");
    assert!((0.0..=100.0).contains(&cpu), "cpu {cpu}");
    assert!(s.ram_percentage.is_some_and(|r| r > 0.0 && r < 100.0), "{s:?}");
    assert!(s.uptime_seconds.is_some_and(|u| u > 0), "{s:?}");
    assert!(s.cpu_load_1min.is_some() && s.disk_percentage.is_some() && s.tcp_connections.is_some(), "{s:?}");
    // The sshd connection of the collector itself is ESTABLISHED.
    assert!(s.tcp_connections.unwrap() >= 1);
    assert!(!c.users.is_empty(), "top users");

    let stored = fx.store.latest_sample("web-1").await.unwrap().expect("stored sample");
    assert_eq!(stored.cpu_percent, s.cpu_percent);
    let state = fx.store.server_states().await.unwrap();
    assert!(state.iter().any(|st| st.server_name == "web-1" && st.ok));

    let second = collector.run_cycle().await;
    assert!(report(&second, "web-1").result.is_ok());
    let h = fx.store.history("web-1", TimeRange::since(chrono::Utc::now() - chrono::Duration::hours(1))).await.unwrap();
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!(accepted_logins(&sshd), 1, "the second cycle must reuse the connection:\n{}", sshd.log_text());
    collector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_auth_from_a_file_works_and_a_wrong_password_is_not_retried() {
    let sshd = Sshd::start().await;
    let fx = sqlite().await;
    let good = sshd.password_file(&test_password());
    let bad = sshd.dir.path().join("bad-password");
    std::fs::write(&bad, "definitely-not-the-password").unwrap();
    let toml = format!(
        "[[servers]]\nname='pw-good'\nhost='{ip}'\nport={port}\nuser='{TEST_USER}'\npassword_file='{g}'\nhost_key='{fp}'\n\
         [[servers]]\nname='pw-bad'\nhost='{ip}'\nport={port}\nuser='{TEST_USER}'\npassword_file='{b}'\nhost_key='{fp}'\n",
        ip = sshd.addr.ip(),
        port = sshd.addr.port(),
        g = good.display(),
        b = bad.display(),
        fp = sshd.host_fingerprint
    );
    let collector = Collector::new(servers(&toml), fx.store.clone(), settings(5, 3));
    let reports = collector.run_cycle().await;

    let ok = report(&reports, "pw-good");
    assert!(ok.result.is_ok(), "{:?}\n{}", ok.result, sshd.log_text());
    let bad_r = report(&reports, "pw-bad");
    let err = bad_r.result.as_ref().unwrap_err();
    assert_eq!(err.reason(), OfflineReason::AuthenticationFailed, "{err}");
    assert_eq!(bad_r.attempts, 1, "a wrong password must not be retried");
    assert!(!err.to_string().contains("definitely-not-the-password"));

    let states = fx.store.server_states().await.unwrap();
    let st = states.iter().find(|s| s.server_name == "pw-bad").unwrap();
    assert!(!st.ok);
    assert_eq!(st.reason, Some(OfflineReason::AuthenticationFailed));
    collector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pinned_host_key_is_refused_before_authenticating() {
    let sshd = Sshd::start().await;
    let fx = sqlite().await;
    let wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let toml = key_server("pinned", &sshd, Some(wrong));
    let collector = Collector::new(servers(&toml), fx.store.clone(), settings(5, 3));
    let reports = collector.run_cycle().await;
    let r = report(&reports, "pinned");
    let err = r.result.as_ref().unwrap_err();
    assert!(matches!(err, CollectError::HostKeyMismatch { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(wrong) && msg.contains(&sshd.host_fingerprint), "both fingerprints shown: {msg}");
    assert_eq!(r.attempts, 1);
    assert_eq!(accepted_logins(&sshd), 0);
    assert!(!sshd.log_text().contains("Failed publickey"), "no credential may be offered to an unverified server");
    let st = fx.store.server_states().await.unwrap();
    assert_eq!(st[0].reason, Some(OfflineReason::HostKeyMismatch));
    assert!(st[0].detail.as_deref().unwrap_or("").contains(&sshd.host_fingerprint));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_on_first_use_records_the_key_and_refuses_a_changed_one() {
    let mut sshd = Sshd::start().await;
    let fx = sqlite().await;
    let toml = key_server("tofu", &sshd, None);
    let collector = Collector::new(servers(&toml), fx.store.clone(), settings(5, 1));
    let r = collector.run_cycle().await;
    assert!(r[0].result.is_ok(), "{:?}", r[0].result);
    let rec = fx.store.host_key("tofu").await.unwrap().expect("recorded on first use");
    assert_eq!(rec.fingerprint, sshd.host_fingerprint);
    collector.shutdown().await;

    // Same address, new host key: a man in the middle, or a reinstalled server.
    let addr = sshd.addr;
    let key_copy = sshd.dir.path().join("client_copy");
    std::fs::copy(&sshd.client_key, &key_copy).unwrap();
    sshd.stop();
    let impostor = Sshd::start_at(addr).await;
    let toml = format!(
        "[[servers]]\nname='tofu'\nhost='{}'\nport={}\nuser='{TEST_USER}'\nidentity_file='{}'\n",
        addr.ip(),
        addr.port(),
        key_copy.display()
    );
    let collector = Collector::new(servers(&toml), fx.store.clone(), settings(5, 1));
    let r = collector.run_cycle().await;
    let err = r[0].result.as_ref().unwrap_err();
    assert_eq!(err.reason(), OfflineReason::HostKeyMismatch, "{err}");
    assert!(err.to_string().contains(&impostor.host_fingerprint) && err.to_string().contains(&rec.fingerprint));
    assert_eq!(fx.store.host_key("tofu").await.unwrap().unwrap().fingerprint, rec.fingerprint, "record kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_and_silent_servers_fail_with_reasons_while_the_others_are_collected() {
    let sshd = Sshd::start().await;
    let silent = SilentServer::start().await;
    let closed = closed_port();
    let fx = sqlite().await;
    let key = sshd.client_key.display().to_string();
    let mut toml = key_server("alive", &sshd, Some(&sshd.host_fingerprint));
    for (name, addr) in [("silent", silent.addr), ("closed", closed)] {
        toml += &format!(
            "[[servers]]\nname='{name}'\nhost='{}'\nport={}\nuser='{TEST_USER}'\nidentity_file='{key}'\n",
            addr.ip(),
            addr.port()
        );
    }
    toml += "[[servers]]\nname='nowhere'\nhost='no-such-host.invalid'\nuser='x'\nidentity_file='/nonexistent'\n";
    let collector = Collector::new(servers(&toml), fx.store.clone(), settings(2, 2));
    let reports = collector.run_cycle().await;

    assert!(report(&reports, "alive").result.is_ok(), "{:?}", report(&reports, "alive").result);
    let reason = |n: &str| report(&reports, n).result.as_ref().unwrap_err().reason();
    assert_eq!(reason("silent"), OfflineReason::Timeout);
    assert_eq!(reason("closed"), OfflineReason::ConnectionRefused);
    assert_eq!(reason("nowhere"), OfflineReason::Dns);
    assert_eq!(report(&reports, "closed").attempts, 2, "connection refused is retried");

    let states = fx.store.server_states().await.unwrap();
    assert_eq!(states.len(), 4);
    for st in states {
        assert_eq!(st.ok, st.server_name == "alive", "{st:?}");
    }
    collector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_transport_runs_the_same_scripts() {
    let fx = sqlite().await;
    let collector =
        Collector::new(servers("[[servers]]\nname='me'\ntransport='local'\n"), fx.store.clone(), settings(5, 1));
    let r = collector.run_cycle().await;
    let c = r[0].result.as_ref().unwrap();
    assert!(c.sample.cpu_percent.is_some() && c.sample.ram_percentage.is_some());
    assert!(fx.store.latest_sample("me").await.unwrap().is_some());
}

/// Real sshd processes that run a forced command instead of the program: one prints garbage,
/// one fails, one hangs. Each gets its reason; a healthy server in the same cycle is collected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_failing_and_hanging_servers_get_their_reasons() {
    let healthy = Sshd::start().await;
    let garbage = Sshd::start_with("ForceCommand printf 'Welcome!\\n@@fw begin meminfo\\nMemTotal: lots\\n'").await;
    let failing = Sshd::start_with("ForceCommand echo 'sh: not found' >&2; exit 127").await;
    let hanging = Sshd::start_with("ForceCommand sleep 600").await;
    let fx = sqlite().await;
    let mut toml = key_server("healthy", &healthy, Some(&healthy.host_fingerprint));
    toml += &key_server("garbage", &garbage, Some(&garbage.host_fingerprint));
    toml += &key_server("failing", &failing, Some(&failing.host_fingerprint));
    toml += &key_server("hanging", &hanging, Some(&hanging.host_fingerprint));
    let mut s = settings(5, 1);
    s.command_timeout_secs = 3;
    let collector = Collector::new(servers(&toml), fx.store.clone(), s);
    let reports = collector.run_cycle().await;
    let r = |n: &str| report(&reports, n);
    assert!(r("healthy").result.is_ok(), "{:?}", r("healthy").result);
    assert_eq!(r("garbage").result.as_ref().unwrap_err().reason(), OfflineReason::ParseError);
    let failed = r("failing").result.as_ref().unwrap_err();
    assert_eq!(failed.reason(), OfflineReason::ScriptFailed, "{failed}");
    assert!(failed.to_string().contains("127") && failed.to_string().contains("not found"), "{failed}");
    let hung = r("hanging").result.as_ref().unwrap_err();
    assert_eq!(hung.reason(), OfflineReason::Timeout, "{hung}");
    assert!(hung.to_string().contains("running the scripts"), "{hung}");
    let states = fx.store.server_states().await.unwrap();
    assert_eq!(states.iter().filter(|s| s.ok).count(), 1);
    collector.shutdown().await;
}

/// Per-user disk usage over a real sshd: directories under the configured path are measured
/// and attributed to their owners; the figure shows as the user's `disk` in top users.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_user_disk_usage_is_measured_on_its_own_and_attributed_to_owners() {
    use std::os::unix::fs::chown;
    let sshd = Sshd::start().await;
    let fx = sqlite().await;
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mine = base.path().join("fwtest's files");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("data"), vec![7u8; 3 << 20]).unwrap();
    let uid =
        String::from_utf8(std::process::Command::new("id").args(["-u", TEST_USER]).output().unwrap().stdout).unwrap();
    let uid: u32 = uid.trim().parse().unwrap();
    chown(&mine, Some(uid), None).unwrap();
    chown(mine.join("data"), Some(uid), None).unwrap();
    std::fs::create_dir(base.path().join("root-owned")).unwrap();

    let toml = key_server("disk", &sshd, Some(&sshd.host_fingerprint));
    let mut s = settings(5, 1);
    s.user_disk.enabled = true;
    s.user_disk.paths = vec![base.path().display().to_string()];
    let collector = Collector::new(servers(&toml), fx.store.clone(), s);
    let results = collector.run_user_disk().await;
    assert_eq!(results.len(), 1);
    assert!(results[0].1.is_ok(), "{:?}\n{}", results[0].1, sshd.log_text());
    let rows = fx.store.user_disk(Some("disk")).await.unwrap();
    let fw = rows.iter().find(|r| r.username == TEST_USER).unwrap_or_else(|| panic!("{rows:?}"));
    let expected = 3i64 << 20;
    assert!((expected..=expected + (64 << 10)).contains(&fw.bytes), "{} bytes for a 3 MiB file", fw.bytes);
    assert!(rows.iter().any(|r| r.username == "root"), "{rows:?}");

    // The regular cycle's top users carry it as `disk` once fwtest has a process.
    let mut busy = std::process::Command::new("sleep");
    std::os::unix::process::CommandExt::uid(&mut busy, uid);
    let mut child = busy.arg("60").spawn().unwrap();
    collector.run_cycle().await;
    let users = fx.store.top_users(Some("disk"), 1000).await.unwrap();
    child.kill().ok();
    child.wait().ok();
    let u = users.iter().find(|u| u.username == TEST_USER).unwrap_or_else(|| panic!("{users:?}"));
    assert_eq!(u.disk, Some(fw.bytes as f64));
    collector.shutdown().await;
}
