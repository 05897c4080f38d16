//! Host faults in one fleet, cycle after cycle (issue #14): real OpenSSH servers, healthy and
//! made faulty with a `ForceCommand` (stall mid-output, drop the connection mid-output, garbage,
//! 5 MiB of output), a wrong key (auth failure), a server replaced by one with a new host key
//! while the collector held a connection to it, and a fake server that never sends its banner
//! (the one fault OpenSSH cannot play). Every cycle must end within a bound derived from the
//! configured timeouts, store every healthy server, and give each bad one its own reason; after
//! 20 more cycles the collector holds no more file descriptors, TCP connections or tokio tasks
//! than before them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fleetwatch_collector::{CollectError, Collector, ServerReport};
use fleetwatch_common::OfflineReason;
use fleetwatch_config::{CollectorSettings, Config};
use fleetwatch_store::{Store, TimeRange};
use fleetwatch_testkit::{SilentServer, Sshd, TEST_USER, wait_until};

/// Cycles before the leak baseline (connections opened, the host key changed, pools warm).
const WARMUP: usize = 3;
/// The host key changes before this cycle, with the collector connected to the old server.
const KEY_CHANGE_AT: usize = 3;
/// Cycles between the two leak counts.
const MEASURED: usize = 20;

/// 5 MiB of numbered-looking lines after the real output, as fleetsim's `--bigout-every` does.
const BIG_OUTPUT: &str = "ForceCommand sh -s; yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 5242880";
/// The real program's output cut after 20,000 bytes, then silence (the channel stays open).
const STALL: &str = "ForceCommand sh -s | head -c 20000; exec sleep 20";
/// The real program's output cut after 20,000 bytes, then the server's session process dies:
/// the TCP connection closes with no exit status, no channel close, no SSH disconnect.
const DROP: &str = "ForceCommand sh -s | head -c 20000; kill -KILL $PPID";
/// 4 KiB of random printable lines, whatever is asked, exit 0.
const GARBAGE: &str = "ForceCommand head -c 3072 /dev/urandom | base64";

fn settings() -> CollectorSettings {
    CollectorSettings {
        connect_timeout_secs: 1,
        command_timeout_secs: 2,
        retries: 1,
        retry_backoff_ms: 10,
        ..Default::default()
    }
}

/// The longest a cycle may take: every attempt bounded by its steps (resolve, TCP connect,
/// handshake and authentication each within the connect timeout; the program within the
/// command timeout), the backoffs between attempts, and one more command timeout as the margin
/// for storing the samples on a loaded machine.
fn cycle_bound(s: &CollectorSettings) -> Duration {
    let attempt = s.connect_timeout() * 4 + s.command_timeout();
    let backoffs: Duration = (0..s.retries.saturating_sub(1)).map(|i| s.retry_backoff() * 2u32.pow(i)).sum();
    attempt * s.retries + backoffs + s.command_timeout()
}

async fn sqlite(dir: &std::path::Path) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", dir.join("fw.db").display());
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    store
}

fn entry(name: &str, addr: SocketAddr, key: &std::path::Path, pin: Option<&str>) -> String {
    let pin = pin.map(|fp| format!("host_key = \"{fp}\"\n")).unwrap_or_default();
    format!(
        "[[servers]]\nname = \"{name}\"\nhost = \"{}\"\nport = {}\nuser = \"{TEST_USER}\"\nidentity_file = \"{}\"\n{pin}",
        addr.ip(),
        addr.port(),
        key.display()
    )
}

fn report<'a>(reports: &'a [ServerReport], name: &str) -> &'a ServerReport {
    reports.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no report for {name}"))
}

/// What the collector holds: open file descriptors of this process (but the SQLite files, which
/// the store's pool opens once per connection as it grows to its bound), its TCP connections to the
/// test's hosts (any state but TIME_WAIT, which nobody holds), those in CLOSE_WAIT (the server
/// closed and the collector did not), connections the fake server still holds, and tokio tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    fds: usize,
    tcp: usize,
    close_wait: usize,
    tarpit_held: usize,
    tasks: usize,
}

impl Held {
    /// Nothing held beyond `before`, and nothing half-closed or left to the fake server.
    fn within(&self, before: &Held) -> bool {
        self.fds <= before.fds
            && self.tcp <= before.tcp
            && self.tasks <= before.tasks
            && self.close_wait == 0
            && self.tarpit_held == 0
    }
}

fn held(hosts: &[SocketAddr], tarpit: SocketAddr) -> Held {
    let fds = open_fds().iter().filter(|f| !f.contains("/fw.db")).count();
    let (mut tcp, mut close_wait, mut tarpit_held) = (0, 0, 0);
    for line in std::fs::read_to_string("/proc/net/tcp").unwrap().lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (local, remote, state) = (socket_addr(f[1]), socket_addr(f[2]), f[3]);
        // 06 TIME_WAIT, 0A LISTEN, 08 CLOSE_WAIT.
        if state == "06" || state == "0A" {
            continue;
        }
        if hosts.contains(&remote) {
            tcp += 1;
            close_wait += usize::from(state == "08");
        }
        tarpit_held += usize::from(local == tarpit);
    }
    let tasks = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    Held { fds, tcp, close_wait, tarpit_held, tasks }
}

/// What each open file descriptor of this process is (`socket:[…]`, a path, …).
fn open_fds() -> Vec<String> {
    let links = std::fs::read_dir("/proc/self/fd").unwrap().filter_map(|e| std::fs::read_link(e.ok()?.path()).ok());
    links.map(|l| l.display().to_string()).collect()
}

/// `0100007F:08AE` (as /proc/net/tcp prints an IPv4 address and port) → 127.0.0.1:2222.
fn socket_addr(hex: &str) -> SocketAddr {
    let (ip, port) = hex.split_once(':').unwrap();
    let ip = u32::from_str_radix(ip, 16).unwrap();
    SocketAddr::new(Ipv4Addr::from(ip.to_le_bytes()).into(), u16::from_str_radix(port, 16).unwrap())
}

/// Waits until the connections the collector keeps are exactly those of the servers it keeps a
/// session with, and nothing else is held open by either side; returns the counts then.
async fn settled(what: &str, hosts: &[SocketAddr], tarpit: SocketAddr, kept: usize) -> Held {
    wait_until(what, Duration::from_secs(15), || async move {
        let h = held(hosts, tarpit);
        if h.tcp == kept && h.close_wait == 0 && h.tarpit_held == 0 { Ok(h) } else { Err(format!("{h:?}")) }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_bounded_and_named_healthy_hosts_are_stored_and_nothing_leaks() {
    let healthy = [Sshd::start().await, Sshd::start().await, Sshd::start().await];
    let big = Sshd::start_with(BIG_OUTPUT).await;
    let stall = Sshd::start_with(STALL).await;
    let drop = Sshd::start_with(DROP).await;
    let garbage = Sshd::start_with(GARBAGE).await;
    let mut rekeyed = Sshd::start().await;
    let hang = SilentServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key_dir = dir.path().join("keys");
    std::fs::create_dir(&key_dir).unwrap();
    // The replaced server's client key must outlive its first sshd's directory.
    let rekeyed_key = key_dir.join("rekeyed");
    std::fs::copy(&rekeyed.client_key, &rekeyed_key).unwrap();

    let mut toml = String::new();
    let mut ok_names = Vec::new();
    for (i, s) in healthy.iter().enumerate() {
        ok_names.push(format!("healthy-{i}"));
        toml += &entry(&ok_names[i], s.addr, &s.client_key, Some(&s.host_fingerprint));
    }
    ok_names.push("big-output".into());
    toml += &entry("big-output", big.addr, &big.client_key, Some(&big.host_fingerprint));
    for (name, s) in [("stall", &stall), ("drop", &drop), ("garbage", &garbage)] {
        toml += &entry(name, s.addr, &s.client_key, Some(&s.host_fingerprint));
    }
    // A key the server does not authorise (another server's client key).
    toml += &entry("auth-fail", healthy[0].addr, &garbage.client_key, Some(&healthy[0].host_fingerprint));
    // Trust on first use: the key is recorded in the first cycle, then the server is replaced.
    toml += &entry("key-changed", rekeyed.addr, &rekeyed_key, None);
    toml += &entry("hang", hang.addr, &healthy[0].client_key, None);

    let store = sqlite(dir.path()).await;
    let servers = Config::from_toml(&toml, &BTreeMap::new()).unwrap().servers;
    let collector = Collector::new(servers, store.clone(), settings());
    let bound = cycle_bound(collector.settings());
    let addrs: Vec<SocketAddr> = [&healthy[0], &healthy[1], &healthy[2], &big, &stall, &drop, &garbage, &rekeyed]
        .iter()
        .map(|s| s.addr)
        .chain([hang.addr])
        .collect();
    // Sessions kept between cycles: the healthy servers, the big one, and the garbage one (its
    // connection works; only its output is wrong). The others fail before or while running.
    let kept = ok_names.len() + 1;

    let mut last_stored: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let mut key_samples = 0;
    let mut baseline = None;
    for cycle in 1..=WARMUP + MEASURED {
        if cycle == KEY_CHANGE_AT {
            // The server goes down with the collector's connection, and comes back on the same
            // address with a new host key (reinstalled, or someone in the middle).
            key_samples = store
                .history("key-changed", TimeRange::since(Utc::now() - chrono::Duration::hours(1)))
                .await
                .unwrap()
                .len();
            assert_eq!(key_samples, KEY_CHANGE_AT - 1, "stored before the change");
            let addr = rekeyed.addr;
            rekeyed.stop_with_sessions();
            rekeyed = Sshd::start_at(addr).await;
        }
        let reports = tokio::time::timeout(bound, collector.run_cycle())
            .await
            .unwrap_or_else(|_| panic!("cycle {cycle} did not end within {bound:?}"));
        assert_eq!(reports.len(), 10, "cycle {cycle}");

        for name in &ok_names {
            let r = report(&reports, name);
            assert!(r.result.is_ok(), "cycle {cycle}: {name} failed: {:?}", r.result);
            let at = store.latest_sample(name).await.unwrap().expect("stored").timestamp;
            assert!(last_stored.get(name).is_none_or(|prev| at > *prev), "cycle {cycle}: {name} not stored anew");
            last_stored.insert(name.clone(), at);
        }
        let failure = |name: &str| {
            let r = report(&reports, name);
            r.result.as_ref().err().unwrap_or_else(|| panic!("cycle {cycle}: {name} was collected")).to_string()
        };
        let reason = |name: &str| report(&reports, name).result.as_ref().map_err(CollectError::reason).err();
        let expect = [
            ("hang", OfflineReason::Timeout, "waiting for the SSH handshake"),
            ("stall", OfflineReason::Timeout, "running the scripts"),
            ("drop", OfflineReason::ConnectionFailed, "connection was lost while the program ran"),
            ("garbage", OfflineReason::ParseError, "could not be parsed"),
            ("auth-fail", OfflineReason::AuthenticationFailed, "authentication failed"),
        ];
        for (name, want, words) in expect {
            assert_eq!(reason(name), Some(want), "cycle {cycle}: {name}: {}", failure(name));
            assert!(failure(name).contains(words), "cycle {cycle}: {name}: {}", failure(name));
        }
        if cycle < KEY_CHANGE_AT {
            assert!(report(&reports, "key-changed").result.is_ok(), "cycle {cycle}");
        } else {
            assert_eq!(reason("key-changed"), Some(OfflineReason::HostKeyMismatch), "{}", failure("key-changed"));
            assert!(failure("key-changed").contains(&rekeyed.host_fingerprint), "{}", failure("key-changed"));
        }

        // What the dashboard shows: the stored state of each server carries the same reason.
        let states = store.server_states().await.unwrap();
        for st in &states {
            let want = reason(&st.server_name);
            assert_eq!(st.reason, want, "cycle {cycle}: stored state of {}: {st:?}", st.server_name);
            assert_eq!(st.ok, want.is_none(), "cycle {cycle}: {st:?}");
        }

        if cycle == WARMUP {
            baseline = Some(settled("the collector's connections to settle", &addrs, hang.addr, kept).await);
        }
    }

    let baseline = baseline.unwrap();
    let after = settled("the collector's connections to settle", &addrs, hang.addr, kept).await;
    // Nothing more than after the warm-up: a task of the runtime that was alive then (the
    // store's pool, a connection's goodbye) may have ended since; none may have been added.
    wait_until(
        &format!("what the collector holds to come back to at most {baseline:?}"),
        Duration::from_secs(15),
        || {
            let addrs = addrs.clone();
            async move {
                let now = held(&addrs, hang.addr);
                if now.within(&baseline) { Ok(()) } else { Err(format!("{now:?}; open: {}", open_fds().join(" "))) }
            }
        },
    )
    .await;
    assert_eq!(after.tcp, kept);

    // Every healthy server was stored every cycle; the replaced one never after the change.
    let since = TimeRange::since(Utc::now() - chrono::Duration::hours(1));
    for name in &ok_names {
        assert_eq!(store.history(name, since).await.unwrap().len(), WARMUP + MEASURED, "{name}");
    }
    assert_eq!(store.history("key-changed", since).await.unwrap().len(), key_samples);
    let record = store.host_key("key-changed").await.unwrap().expect("recorded on first use");
    assert_ne!(record.fingerprint, rekeyed.host_fingerprint, "the new key is never trusted by itself");
    for name in ["stall", "drop", "garbage", "auth-fail", "hang"] {
        assert!(store.latest_sample(name).await.unwrap().is_none(), "{name} has no sample");
    }
    collector.shutdown().await;
}

/// Retries share the time of one attempt: a server that stalls or hangs holds its cycle no longer
/// with three attempts than one attempt may take, and keeps the reason of its first failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_of_a_stalling_or_hanging_server_share_one_attempts_time() {
    let stall = Sshd::start_with(STALL).await;
    let hang = SilentServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(dir.path()).await;
    let toml = entry("stall", stall.addr, &stall.client_key, Some(&stall.host_fingerprint))
        + &entry("hang", hang.addr, &stall.client_key, None);
    let s = CollectorSettings { retries: 3, ..settings() };
    // One attempt's time (connect + command), and one command timeout as the margin. Three
    // attempts of the stalling server would take over three command timeouts.
    let bound = s.connect_timeout() + s.command_timeout() * 2;
    let servers = Config::from_toml(&toml, &BTreeMap::new()).unwrap().servers;
    let collector = Collector::new(servers, store, s);
    let reports = tokio::time::timeout(bound, collector.run_cycle())
        .await
        .unwrap_or_else(|_| panic!("the cycle did not end within {bound:?}"));
    for (name, words) in [("stall", "running the scripts"), ("hang", "waiting for the SSH handshake")] {
        let r = report(&reports, name);
        let err = r.result.as_ref().err().unwrap_or_else(|| panic!("{name} was collected"));
        assert_eq!(err.reason(), OfflineReason::Timeout, "{name}: {err}");
        assert!(err.to_string().contains(words), "{name}: the first failure is kept: {err}");
    }
    // The hanging server fails each attempt after exactly the connect timeout: retried.
    assert!(report(&reports, "hang").attempts >= 2, "retried while time was left");
    collector.shutdown().await;
}
