//! Alerting end to end with real parts: real sshd hosts (testkit), the local transport, a real
//! HTTP receiver on loopback, a real SMTP server (Python's aiosmtpd), SQLite files and a
//! PostgreSQL database. Every wait is on a condition.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "alerting/receiver.rs"]
mod receiver;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use fleetwatch_alerts::Channel;
use fleetwatch_collector::Collector;
use fleetwatch_collector::alerting::{
    AlertEngine, Delivery, DeliverySettings, Observation, Observed, test_notification,
};
use fleetwatch_config::{CollectorSettings, Config};
use fleetwatch_store::{Evaluation, NewNotification, Store};
use fleetwatch_testkit::{KillOnDrop, LoopMount, PgTestDb, Sshd, closed_port, free_port, wait_for};
use receiver::Receiver;
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(30);

struct Setup {
    dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    config: Config,
}

async fn open(url: &str) -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(url).await.unwrap());
    store.migrate().await.unwrap();
    store
}

impl Setup {
    async fn new(toml: &str) -> Self {
        let env: BTreeMap<String, String> = [("PW".to_string(), "not-used".to_string())].into();
        let config = Config::from_toml(toml, &env).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = open(&self_url(&dir)).await;
        Self { dir, store, config }
    }

    fn url(&self) -> String {
        self_url(&self.dir)
    }

    fn collector(&self) -> Collector {
        let settings =
            CollectorSettings { connect_timeout_secs: 5, retries: 2, retry_backoff_ms: 10, ..Default::default() };
        let engine = AlertEngine::new(self.store.clone(), self.config.alerting.clone(), &self.config.servers);
        Collector::new(self.config.servers.clone(), self.store.clone(), settings).with_alerts(Arc::new(engine))
    }

    fn delivery(&self, store: Arc<dyn Store>, member: &str) -> Delivery {
        let channels = self.config.alerting.channels.clone();
        Delivery::new(store, channels, Some("https://fleet.test".into()), member.into(), fast())
    }

    fn channel(&self, name: &str) -> Channel {
        self.config.alerting.channels.iter().find(|c| c.name == name).unwrap().clone()
    }
}

fn self_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("fw.db").display())
}

fn fast() -> DeliverySettings {
    DeliverySettings {
        poll: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_attempts: 5,
        lease: Duration::from_secs(60),
        batch: 20,
        keep: Duration::from_secs(3_600),
    }
}

fn webhook(url: &str) -> String {
    format!("[[alerts.channels]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{url}\"\n")
}

/// A rule that fires on any running host: uptime at or above one second.
const UP_RULE: &str =
    "[[alerts.rules]]\nname = \"up\"\nmetric = \"uptime_seconds\"\nwarning = 1\nfor_secs = 0\nchannels = [\"ops\"]\n";

/// Sends what is due until `done` holds for the receiver's log.
async fn deliver_until(d: &Delivery, ch: &Channel, r: &receiver::Log, what: &str, done: impl Fn(&[Value]) -> bool) {
    wait_for(what, LIMIT, || async {
        d.run_once(ch).await;
        done(&r.delivered()).then_some(())
    })
    .await;
}

/// The delivered messages' (status, rule, server) triples.
fn alerts_of(messages: &[Value]) -> Vec<(String, String, String)> {
    messages
        .iter()
        .flat_map(|m| {
            m["alerts"].as_array().unwrap().iter().map(move |a| {
                let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                (s(&m["status"]), s(&a["rule"]), s(&a["server"]))
            })
        })
        .collect()
}

fn has(messages: &[Value], status: &str, rule: &str, server: &str) -> bool {
    alerts_of(messages).iter().any(|(st, ru, se)| st == status && ru == rule && se == server)
}

/// Restarts an sshd that was stopped, with its own config (so its host key stays the same).
async fn restart_sshd(sshd: &Sshd) -> KillOnDrop {
    let child = Command::new("/usr/sbin/sshd")
        .args(["-D", "-f"])
        .arg(sshd.dir.path().join("sshd_config"))
        .arg("-E")
        .arg(sshd.dir.path().join("sshd-again.log"))
        .spawn()
        .unwrap();
    let addr = sshd.addr;
    wait_for("sshd listening again", LIMIT, || async move { tokio::net::TcpStream::connect(addr).await.ok() }).await;
    KillOnDrop(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_host_fires_goes_offline_and_resolves_through_a_webhook() {
    let mut sshd = Sshd::start().await;
    let hook = Receiver::start(&[]).await;
    let setup = Setup::new(&format!("{}{}{UP_RULE}", sshd.server_toml("web-1"), webhook(&hook.url()))).await;
    let collector = setup.collector();
    let delivery = setup.delivery(setup.store.clone(), "m-1");
    let ops = setup.channel("ops");

    let first = collector.run_cycle().await;
    assert!(first[0].result.is_ok(), "{:?}\n{}", first[0].result, sshd.log_text());
    deliver_until(&delivery, &ops, &hook.log, "the firing `up` alert", |m| has(m, "firing", "up", "web-1")).await;
    let message = &hook.log.delivered()[0];
    assert_eq!(message["version"], 1);
    let up = message["alerts"].as_array().unwrap().iter().find(|a| a["rule"] == "up").unwrap();
    assert!(up["value"].as_f64().unwrap() >= 1.0, "{up}");
    assert_eq!(up["url"], "https://fleet.test/servers/web-1");

    // The host goes away: its sshd stops, and the kept connection with it (a reboot, say).
    sshd.stop();
    collector.shutdown().await;
    let second = collector.run_cycle().await;
    assert!(second[0].result.is_err(), "sshd is down");
    deliver_until(&delivery, &ops, &hook.log, "the offline alert", |m| has(m, "firing", "server-offline", "web-1"))
        .await;
    let offline = alerts_of(&hook.log.delivered());
    assert_eq!(offline.iter().filter(|a| a.1 == "up").count(), 1, "`up` is not told twice: {offline:?}");
    let last = hook.log.delivered().last().unwrap().clone();
    let detail = last["alerts"][0]["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("refused"), "the reason is in the message: {last}");

    let _again = restart_sshd(&sshd).await;
    let third = collector.run_cycle().await;
    assert!(third[0].result.is_ok(), "{:?}", third[0].result);
    deliver_until(&delivery, &ops, &hook.log, "the resolution", |m| has(m, "resolved", "server-offline", "web-1"))
        .await;
    let stored = setup.store.alerts().await.unwrap();
    assert_eq!(stored.iter().filter(|(_, a)| a.rule == "server-offline").count(), 0, "{stored:?}");
    collector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_the_message_once_after_retries() {
    let hook = Receiver::start(&[500, 503]).await;
    let toml = format!("[[servers]]\nname = \"here\"\ntransport = \"local\"\n{}{UP_RULE}", webhook(&hook.url()));
    let setup = Setup::new(&toml).await;
    let collector = setup.collector();
    collector.run_cycle().await;
    let delivery = setup.delivery(setup.store.clone(), "m-1");
    let ops = setup.channel("ops");
    deliver_until(&delivery, &ops, &hook.log, "delivery after two errors", |m| has(m, "firing", "up", "here")).await;
    assert_eq!(hook.log.hit_count(), 3, "two failures, then one success");
    // Nothing more to send: the next runs send nothing, the next cycle tells nothing new.
    collector.run_cycle().await;
    assert_eq!(delivery.run_once(&ops).await, 0);
    assert_eq!(hook.log.hit_count(), 3);
    let row = &setup.store.outbox(Some("ops")).await.unwrap()[0];
    assert_eq!((row.attempts, row.delivered.is_some()), (3, true));
    let results = setup.store.channel_results().await.unwrap();
    assert!(results[0].ok, "the channel's last result: {results:?}");
}

/// Queues a message as an evaluation would.
async fn queue(store: &dyn Store, text: &str) {
    let n = test_notification("ops", chrono::Utc::now());
    let mut payload: Value = serde_json::to_value(&n).unwrap();
    payload["alerts"][0]["detail"] = text.into();
    let notes = [NewNotification { channel: "ops".into(), payload: payload.to_string() }];
    let book = Default::default();
    let e = Evaluation { servers: &[], book: &book, transitions: &[], notifications: &notes, member: None };
    store.save_evaluation(e, chrono::Utc::now()).await.unwrap();
}

fn details_of(log: &receiver::Log) -> Vec<String> {
    log.delivered().iter().map(|m| m["alerts"][0]["detail"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_messages_survive_a_receiver_outage_and_a_killed_sender() {
    let hook = Receiver::start(&[]).await;
    let setup = Setup::new(&webhook(&hook.url())).await;
    let ops = setup.channel("ops");

    // The receiver is down: the attempt fails, and that process goes away.
    hook.stop();
    queue(setup.store.as_ref(), "queued while down").await;
    {
        let first = setup.delivery(setup.store.clone(), "before-restart");
        assert_eq!(first.run_once(&ops).await, 0);
    }
    let row = &setup.store.outbox(Some("ops")).await.unwrap()[0];
    assert!(row.last_error.as_deref().is_some_and(|e| !e.contains("/hook")), "no URL in errors: {row:?}");

    // A new process on the same database, the receiver back: the message arrives, once.
    let hook = hook.restart().await;
    let store = open(&setup.url()).await;
    let second = setup.delivery(store.clone(), "after-restart");
    deliver_until(&second, &ops, &hook.log, "the queued message", |m| !m.is_empty()).await;
    assert_eq!(details_of(&hook.log), ["queued while down"]);

    // Killed between claiming and sending: the claim's lease runs out, another process sends it.
    queue(store.as_ref(), "claimed then killed").await;
    let now = chrono::Utc::now();
    let claimed = store
        .claim_notifications(fleetwatch_store::Claim {
            channel: "ops",
            member: "killed",
            now,
            lease_until: now + chrono::Duration::seconds(1),
            limit: 10,
        })
        .await;
    assert_eq!(claimed.unwrap().len(), 1);
    deliver_until(&second, &ops, &hook.log, "the orphaned message", |m| m.len() == 2).await;
    assert_eq!(details_of(&hook.log), ["queued while down", "claimed then killed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_offline_servers_is_one_message() {
    let hook = Receiver::start(&[]).await;
    let servers: String = (0..5)
        .map(|i| {
            let addr = closed_port();
            format!(
                "[[servers]]\nname = \"rack-{i}\"\nhost = \"{}\"\nport = {}\nuser = \"u\"\npassword_env = \"PW\"\n",
                addr.ip(),
                addr.port()
            )
        })
        .collect();
    let setup = Setup::new(&format!("{servers}{}", webhook(&hook.url()))).await;
    let reports = setup.collector().run_cycle().await;
    assert!(reports.iter().all(|r| r.result.is_err()));
    let delivery = setup.delivery(setup.store.clone(), "m-1");
    let ops = setup.channel("ops");
    deliver_until(&delivery, &ops, &hook.log, "the grouped message", |m| !m.is_empty()).await;
    assert_eq!(delivery.run_once(&ops).await, 0);
    let messages = hook.log.delivered();
    assert_eq!(messages.len(), 1, "one message for the whole storm");
    assert_eq!(messages[0]["count"], 5);
    let mut servers: Vec<String> = alerts_of(&messages).into_iter().map(|(_, rule, s)| format!("{rule} {s}")).collect();
    servers.sort();
    let expected: Vec<String> = (0..5).map(|i| format!("server-offline rack-{i}")).collect();
    assert_eq!(servers, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_reaches_a_real_smtp_server() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let out = std::fs::File::create(dir.path().join("smtp.log")).unwrap();
    let child = Command::new("python3")
        .args(["-u", "-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::from(out))
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m aiosmtpd (run .ci/test-deps.sh)");
    let _smtp = KillOnDrop(child);
    wait_for("aiosmtpd listening", LIMIT, || async { tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok() })
        .await;
    let toml = format!(
        "[[alerts.channels]]\nname = \"ops\"\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n\
         from = \"fleetwatch@example.com\"\nto = [\"oncall@example.com\"]\n"
    );
    let setup = Setup::new(&toml).await;
    queue(setup.store.as_ref(), "mail from the outbox").await;
    let delivery = setup.delivery(setup.store.clone(), "m-1");
    let ops = setup.channel("ops");
    wait_for("the mail sent", LIMIT, || async { (delivery.run_once(&ops).await == 1).then_some(()) }).await;
    let log = dir.path().join("smtp.log");
    let mail = wait_for("the mail read back", LIMIT, || async {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("mail from the outbox").then_some(text)
    })
    .await;
    assert!(mail.contains("Subject: [WARNING]") || mail.contains("Subject:"), "{mail}");
    assert!(mail.contains("notify-test") && mail.contains("fleetwatch"), "{mail}");
    assert!(mail.contains("To: oncall@example.com"), "{mail}");
    assert!(mail.contains("https://fleet.test/servers/fleetwatch"), "the link: {mail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_postgres_send_each_message_once() {
    let pg = PgTestDb::create().await;
    let hook = Receiver::start(&[]).await;
    let setup = Setup::new(&webhook(&hook.url())).await;
    let store = open(&pg.url).await;
    for i in 0..30 {
        queue(store.as_ref(), &format!("message {i}")).await;
    }
    let a = Arc::new(setup.delivery(open(&pg.url).await, "worker-a"));
    let b = Arc::new(setup.delivery(open(&pg.url).await, "worker-b"));
    let handles: Vec<_> = [a.clone(), b.clone()].into_iter().flat_map(|d| d.spawn()).collect();
    wait_for("all 30 delivered", LIMIT, || async { (hook.log.delivered().len() >= 30).then_some(()) }).await;
    let outbox = store.outbox(Some("ops")).await.unwrap();
    assert!(outbox.iter().all(|r| r.delivered.is_some()));
    handles.iter().for_each(|h| h.abort());
    let mut got = details_of(&hook.log);
    got.sort();
    let mut want: Vec<String> = (0..30).map(|i| format!("message {i}")).collect();
    want.sort();
    assert_eq!(got, want, "each message exactly once");
    drop(store);
    pg.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_holds_the_message_back_until_it_is_lifted() {
    let hook = Receiver::start(&[]).await;
    let toml = format!("[[servers]]\nname = \"here\"\ntransport = \"local\"\n{}{UP_RULE}", webhook(&hook.url()));
    let setup = Setup::new(&toml).await;
    let now = chrono::Utc::now();
    let spec = fleetwatch_alerts::SilenceSpec {
        servers: vec!["her*".into()],
        end: Some(now + chrono::Duration::hours(1)),
        comment: "maintenance".into(),
        ..Default::default()
    };
    let id = setup.store.create_silence(&spec, "alice", now).await.unwrap();
    let collector = setup.collector();
    collector.run_cycle().await;
    let stored = setup.store.alerts().await.unwrap();
    assert!(stored.iter().any(|(s, a)| s == "here" && a.rule == "up" && !a.notified), "recorded: {stored:?}");
    assert!(setup.store.outbox(None).await.unwrap().is_empty(), "nothing queued while silenced");

    assert!(setup.store.delete_silence(id).await.unwrap());
    collector.run_cycle().await;
    let delivery = setup.delivery(setup.store.clone(), "m-1");
    let ops = setup.channel("ops");
    deliver_until(&delivery, &ops, &hook.log, "the message once the silence is lifted", |m| {
        has(m, "firing", "up", "here")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_on_one_postgres_notify_each_change_once() {
    let pg = PgTestDb::create().await;
    let hook = Receiver::start(&[]).await;
    let servers: String =
        (0..4).map(|i| format!("[[servers]]\nname = \"node-{i}\"\ntransport = \"local\"\n")).collect();
    let setup = Setup::new(&format!("{servers}{}{UP_RULE}", webhook(&hook.url()))).await;
    let member = |store: Arc<dyn Store>, id: &str| {
        let cluster = Arc::new(fleetwatch_collector::Cluster::new(store.clone(), Duration::from_secs(30), id.into()));
        let engine = AlertEngine::new(store.clone(), setup.config.alerting.clone(), &setup.config.servers);
        let settings = CollectorSettings { retries: 1, ..Default::default() };
        let id = cluster.id().to_owned();
        let collector = Collector::new(setup.config.servers.clone(), store.clone(), settings)
            .with_cluster(cluster)
            .with_alerts(Arc::new(engine));
        (collector, Arc::new(setup.delivery(store, &id)))
    };
    let (a, da) = member(open(&pg.url).await, "member-a");
    let (b, db) = member(open(&pg.url).await, "member-b");
    // Both know each other before they split the fleet.
    a.cluster().unwrap().heartbeat().await.unwrap();
    b.cluster().unwrap().heartbeat().await.unwrap();
    let handles: Vec<_> = [da, db].into_iter().flat_map(|d| d.spawn()).collect();
    for _ in 0..2 {
        let (ra, rb) = tokio::join!(a.run_cycle(), b.run_cycle());
        assert_eq!(ra.len() + rb.len(), 4, "each server collected by one member");
    }
    wait_for("the four `up` alerts told", LIMIT, || async {
        (alerts_of(&hook.log.delivered()).iter().filter(|a| a.1 == "up").count() >= 4).then_some(())
    })
    .await;
    // The second cycles changed nothing: once the outbox is empty, exactly four were told.
    let store = open(&pg.url).await;
    wait_for("the outbox drained", LIMIT, || async {
        store.outbox(None).await.unwrap().iter().all(|r| r.delivered.is_some()).then_some(())
    })
    .await;
    handles.iter().for_each(|h| h.abort());
    let mut told: Vec<String> =
        alerts_of(&hook.log.delivered()).into_iter().filter(|a| a.1 == "up").map(|a| a.2).collect();
    told.sort();
    assert_eq!(told, ["node-0", "node-1", "node-2", "node-3"], "each change told once");
    drop(store);
    pg.drop_db().await;
}

/// A rule that fires on any host and whose value never changes: at least one CPU core.
const CORES_RULE: &str =
    "[[alerts.rules]]\nname = \"cores\"\nmetric = \"cpu_cores\"\nwarning = 1\nfor_secs = 0\nchannels = [\"ops\"]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_evaluates_what_it_holds_and_writes_only_what_changed() {
    let toml = format!(
        "[[servers]]\nname = \"here\"\ntransport = \"local\"\n{}{CORES_RULE}",
        webhook("http://127.0.0.1:9/hook")
    );
    let setup = Setup::new(&toml).await;
    // Every write of the `cores` alert is counted by the database itself (the built-in rules
    // may come and go on a busy machine).
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&setup.url()).await.unwrap();
    for stmt in [
        "CREATE TABLE alert_writes (n INTEGER NOT NULL)",
        "CREATE TRIGGER alert_insert AFTER INSERT ON alerts WHEN NEW.rule = 'cores' BEGIN INSERT INTO alert_writes VALUES (1); END",
        "CREATE TRIGGER alert_update AFTER UPDATE ON alerts WHEN NEW.rule = 'cores' BEGIN INSERT INTO alert_writes VALUES (1); END",
        "CREATE TRIGGER alert_delete AFTER DELETE ON alerts WHEN OLD.rule = 'cores' BEGIN INSERT INTO alert_writes VALUES (1); END",
    ] {
        sqlx::query(stmt).execute(&mut db).await.unwrap();
    }
    let writes = async |db: &mut sqlx::SqliteConnection| -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM alert_writes").fetch_one(db).await.unwrap()
    };

    // The engine is handed the cycle's own sample: with nothing stored, the rule still fires.
    let engine = AlertEngine::new(setup.store.clone(), setup.config.alerting.clone(), &setup.config.servers);
    let sample = fleetwatch_common::Sample {
        server_name: "here".into(),
        cpu_cores: Some(4),
        timestamp: chrono::Utc::now(),
        ..Default::default()
    };
    let observed =
        [Observed { server: "here", observation: Observation::Collected { sample: &sample, details: None } }];
    let outcome = engine.evaluate_cycle(&observed, None, chrono::Utc::now()).await.unwrap();
    assert_eq!((outcome.transitions.len(), outcome.queued), (1, 1), "{outcome:?}");
    assert!(setup.store.latest_samples().await.unwrap().is_empty(), "nothing was read from the samples");
    assert_eq!(writes(&mut db).await, 1, "one alert inserted");

    // Real cycles: the alert holds with the same value, so nothing is written again.
    let collector = setup.collector();
    for _ in 0..3 {
        let (reports, outcome) = collector.run_cycle_with_alerts().await;
        assert!(reports[0].result.is_ok(), "{:?}", reports[0].result);
        let outcome = outcome.expect("evaluated");
        assert!(!outcome.transitions.iter().any(|t| t.rule == "cores"), "{:?}", outcome.transitions);
    }
    // The collector's own figures are in the store, for /metrics in any process.
    let stats = setup.store.collector_stats().await.unwrap();
    assert_eq!(stats.len(), 1, "{stats:?}");
    assert_eq!((stats[0].cycles, stats[0].servers_ok, stats[0].servers_failed), (3, 1, 0), "{stats:?}");
    assert_eq!(stats[0].buckets.last().map(|b| b.1), Some(3), "{stats:?}");
    let mut cores = setup.store.alerts().await.unwrap();
    cores.retain(|(_, a)| a.rule == "cores");
    assert_eq!(cores.len(), 1, "{cores:?}");
    let expected = sample.cpu_cores.map(|c| c as f64);
    let wrote = writes(&mut db).await;
    if cores[0].1.value == expected {
        assert_eq!(wrote, 1, "an unchanged alert is not rewritten");
    } else {
        assert_eq!(wrote, 2, "the value changed once (this host's core count), then never again");
    }

    // A resolution deletes the row: the rule no longer watches the server.
    let mut alerting = setup.config.alerting.clone();
    alerting.rules.rules.retain(|r| r.name != "cores");
    let engine = AlertEngine::new(setup.store.clone(), alerting, &setup.config.servers);
    let outcome = engine.evaluate_cycle(&observed, None, chrono::Utc::now()).await.unwrap();
    assert!(outcome.transitions.iter().any(|t| t.rule == "cores"), "{:?}", outcome.transitions);
    assert!(!setup.store.alerts().await.unwrap().iter().any(|(_, a)| a.rule == "cores"));
    assert_eq!(writes(&mut db).await, wrote + 1);
}

/// A server trusted on first use, by password (a replacement sshd has a new client key too).
fn first_use_toml(sshd: &Sshd, name: &str) -> String {
    let password = sshd.password_file(&fleetwatch_testkit::test_password());
    format!(
        "[[servers]]\nname = \"{name}\"\nhost = \"{}\"\nport = {}\nuser = \"{}\"\npassword_file = \"{}\"\n",
        sshd.addr.ip(),
        sshd.addr.port(),
        fleetwatch_testkit::TEST_USER,
        password.display()
    )
}

fn host_key_alert(alerts: &[(String, fleetwatch_alerts::Alert)]) -> Option<&fleetwatch_alerts::Alert> {
    alerts.iter().find(|(s, a)| s == "web-1" && a.rule == "host-key-changed").map(|(_, a)| a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swapped_host_key_alerts_until_the_new_key_is_accepted_and_collected() {
    let mut first = Sshd::start().await;
    let setup = Setup::new(&first_use_toml(&first, "web-1")).await;
    let collector = setup.collector();
    let r = collector.run_cycle().await;
    assert!(r[0].result.is_ok(), "{:?}\n{}", r[0].result, first.log_text());
    let recorded = setup.store.host_key("web-1").await.unwrap().unwrap();
    assert_eq!(recorded.fingerprint, first.host_fingerprint, "trusted on first use");

    // The machine is reinstalled: same address, new host key.
    first.stop();
    collector.shutdown().await;
    let second = Sshd::start_at(first.addr).await;
    assert_ne!(second.host_fingerprint, first.host_fingerprint);
    let r = collector.run_cycle().await;
    assert!(r[0].result.is_err(), "the new key is refused");
    let alert = host_key_alert(&setup.store.alerts().await.unwrap()).cloned().expect("host-key-changed fires");
    assert_eq!(alert.state, fleetwatch_alerts::AlertState::Firing);
    let offers = setup.store.host_key_offers().await.unwrap();
    assert_eq!(offers.len(), 1, "{offers:?}");
    assert_eq!((&offers[0].fingerprint, &offers[0].expected), (&second.host_fingerprint, &first.host_fingerprint));

    // Nothing resolves it by itself: more failed cycles and the timer keep it.
    collector.run_cycle().await;
    collector.evaluate_alerts().await;
    assert!(host_key_alert(&setup.store.alerts().await.unwrap()).is_some());

    // Only the key the collector saw can be accepted that way.
    let accept = |fingerprint| fleetwatch_store::KeyAcceptance {
        server: "web-1",
        fingerprint,
        by: "alice",
        at: chrono::Utc::now(),
        only_offered: true,
    };
    let wrong = setup.store.accept_host_key(&accept(first.host_fingerprint.as_str())).await.unwrap();
    assert!(matches!(wrong, fleetwatch_store::KeyAccepted::NotOffered { .. }), "{wrong:?}");
    let done = setup.store.accept_host_key(&accept(second.host_fingerprint.as_str())).await.unwrap();
    assert_eq!(done, fleetwatch_store::KeyAccepted::Accepted { previous: first.host_fingerprint.clone() });

    // Accepted, but not collected since: the timer's evaluation leaves it firing.
    collector.evaluate_alerts().await;
    assert!(host_key_alert(&setup.store.alerts().await.unwrap()).is_some(), "never before the next cycle");

    // The next cycle connects with the accepted key: resolved, and in the history.
    let r = collector.run_cycle().await;
    assert!(r[0].result.is_ok(), "{:?}\n{}", r[0].result, second.log_text());
    assert!(host_key_alert(&setup.store.alerts().await.unwrap()).is_none(), "resolved");
    let q = fleetwatch_store::HistoryQuery {
        from: chrono::Utc::now() - chrono::Duration::hours(1),
        to: chrono::Utc::now(),
        server: Some("web-1".into()),
        limit: 50,
    };
    let mut kinds: Vec<String> = setup
        .store
        .alert_history(&q)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.transition.rule == "host-key-changed")
        .map(|e| format!("{:?}", e.transition.kind))
        .collect();
    kinds.reverse();
    assert_eq!(kinds, ["Firing", "HostKeyAccepted", "Resolved"]);
    collector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_template_is_the_body_a_real_receiver_gets() {
    let hook = Receiver::start(&[]).await;
    let template = r#"{"text": "{{message}}", "host": "{{server}}", "sev": "{{severity}}", "state": "{{state}}", "link": "{{url}}", "v": "{{value}}"}"#;
    let toml = format!("{}template = '''{template}'''\n", webhook(&hook.url()));
    let setup = Setup::new(&toml).await;
    queue(setup.store.as_ref(), "said \"no\"\nand left").await;
    let delivery = setup.delivery(setup.store.clone(), "m-1");
    let ops = setup.channel("ops");
    deliver_until(&delivery, &ops, &hook.log, "the templated message", |m| !m.is_empty()).await;
    let body = &hook.log.delivered()[0];
    assert_eq!(body.as_object().map(|o| o.len()), Some(6), "only the template's fields: {body}");
    assert_eq!(
        (&body["host"], &body["sev"], &body["state"]),
        (&"fleetwatch".into(), &"warning".into(), &"firing".into())
    );
    assert_eq!((&body["link"], &body["v"]), (&"https://fleet.test/servers/fleetwatch".into(), &"".into()));
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("WARNING notify-test on fleetwatch"), "{text}");
    assert!(text.contains("said \"no\"\nand left"), "escaped, then read back whole: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_host_crossing_a_threshold_fires_after_for_and_resolves_at_clear() {
    // A file system of the test's own: its usage moves only with what the test writes.
    let disk = LoopMount::new(16);
    let mount = disk.point.display().to_string();
    let sshd = Sshd::start().await;
    let hook = Receiver::start(&[]).await;
    let rule = format!(
        "[[alerts.rules]]\nname = \"test-disk\"\nmetric = \"disk[{mount}].used_percent\"\nwarning = 50\n\
         for_secs = 2\nclear = 20\nchannels = [\"ops\"]\n"
    );
    let setup = Setup::new(&format!("{}{}{rule}", sshd.server_toml("db-1"), webhook(&hook.url()))).await;
    let collector = setup.collector();
    let delivery = setup.delivery(setup.store.clone(), "m-1");
    let ops = setup.channel("ops");
    let ours = || async {
        let alerts = setup.store.alerts().await.unwrap();
        alerts.into_iter().map(|(_, a)| a).find(|a| a.rule == "test-disk")
    };

    // Below the level: no alert.
    let first = collector.run_cycle().await;
    assert!(first[0].result.is_ok(), "{:?}\n{}", first[0].result, sshd.log_text());
    assert!(ours().await.is_none(), "an empty file system alerts: {:?}", ours().await);

    // 10 MiB of ~15: the level is reached, but `for` (2 s) is not over at once.
    disk.fill("a.bin", 6);
    disk.fill("b.bin", 4);
    collector.run_cycle().await;
    let pending = ours().await.expect("an alert once the level is reached");
    assert_eq!(pending.state, fleetwatch_alerts::AlertState::Pending, "{pending:?}");
    assert!(pending.value.unwrap() >= 50.0, "{pending:?}");
    delivery.run_once(&ops).await;
    assert!(!has(&hook.log.delivered(), "firing", "test-disk", "db-1"), "told before `for` was over");

    // Cycles go on until it fires, no sooner than `for` after it started.
    wait_for("the alert firing", LIMIT, || async {
        collector.run_cycle().await;
        ours().await.filter(|a| a.state == fleetwatch_alerts::AlertState::Firing)
    })
    .await;
    let firing = ours().await.unwrap();
    let held = firing.firing_since.unwrap() - firing.since;
    assert!(held >= chrono::Duration::seconds(2), "fired after {held:?}, before `for`: {firing:?}");
    deliver_until(&delivery, &ops, &hook.log, "the firing message", |m| has(m, "firing", "test-disk", "db-1")).await;

    // Down to 4 MiB: under the level but above `clear`, so it keeps firing.
    disk.remove("a.bin");
    collector.run_cycle().await;
    let between = ours().await.expect("still an alert between clear and the level");
    assert_eq!(between.state, fleetwatch_alerts::AlertState::Firing, "{between:?}");
    assert!(between.value.unwrap() < 50.0 && between.value.unwrap() > 20.0, "{between:?}");

    // At or below `clear`: resolved, and told.
    disk.remove("b.bin");
    collector.run_cycle().await;
    assert!(ours().await.is_none(), "resolved at clear: {:?}", ours().await);
    deliver_until(&delivery, &ops, &hook.log, "the resolved message", |m| has(m, "resolved", "test-disk", "db-1"))
        .await;
    collector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_members_servers_are_taken_over_and_alert_once() {
    let pg = PgTestDb::create().await;
    let mut sshd = Sshd::start().await;
    let hook = Receiver::start(&[]).await;
    let servers = format!("{}[[servers]]\nname = \"node-0\"\ntransport = \"local\"\n", sshd.server_toml("rack-1"));
    let setup = Setup::new(&format!("{servers}{}{UP_RULE}", webhook(&hook.url()))).await;
    let member = |store: Arc<dyn Store>, id: &str| {
        // A member silent for a second is dead to the others.
        let cluster = Arc::new(fleetwatch_collector::Cluster::new(store.clone(), Duration::from_secs(1), id.into()));
        let engine = AlertEngine::new(store.clone(), setup.config.alerting.clone(), &setup.config.servers);
        let settings =
            CollectorSettings { connect_timeout_secs: 5, retries: 1, retry_backoff_ms: 10, ..Default::default() };
        Collector::new(setup.config.servers.clone(), store.clone(), settings)
            .with_cluster(cluster)
            .with_alerts(Arc::new(engine))
    };
    let store = open(&pg.url).await;
    let ops = setup.channel("ops");
    let delivery = setup.delivery(store.clone(), "sender");

    // Member a alone: it holds both servers, and their `up` alerts are told.
    let a = member(open(&pg.url).await, "member-a");
    let first = a.run_cycle().await;
    assert_eq!(first.len(), 2, "a holds the whole fleet");
    deliver_until(&delivery, &ops, &hook.log, "both `up` alerts", |m| {
        has(m, "firing", "up", "rack-1") && has(m, "firing", "up", "node-0")
    })
    .await;

    // a dies without leaving (its process is gone: no more cycles, no heartbeat), and so does
    // rack-1's sshd. Member b takes a's servers once a's heartbeat is too old, and alerts.
    drop(a);
    sshd.stop();
    let b = member(open(&pg.url).await, "member-b");
    wait_for("b holding both servers", LIMIT, || async { (b.run_cycle().await.len() == 2).then_some(()) }).await;
    deliver_until(&delivery, &ops, &hook.log, "rack-1 offline, told by b", |m| {
        has(m, "firing", "server-offline", "rack-1")
    })
    .await;
    b.run_cycle().await;
    wait_for("the outbox drained", LIMIT, || async {
        delivery.run_once(&ops).await;
        store.outbox(None).await.unwrap().iter().all(|r| r.delivered.is_some()).then_some(())
    })
    .await;
    let told = alerts_of(&hook.log.delivered());
    let count =
        |rule: &str, server: &str| told.iter().filter(|t| t.0 == "firing" && t.1 == rule && t.2 == server).count();
    assert_eq!(count("up", "node-0"), 1, "node-0's `up` is not told again by b: {told:?}");
    assert_eq!(count("up", "rack-1"), 1, "{told:?}");
    assert_eq!(count("server-offline", "rack-1"), 1, "{told:?}");
    b.shutdown().await;
    drop(store);
    pg.drop_db().await;
}
