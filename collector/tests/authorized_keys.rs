//! `fleetwatch authorized-keys-line` against a real OpenSSH server (see `testkit/`): the printed
//! line, installed as the test account's only authorized key, lets a whole collection through,
//! while any other command runs the forced `sh -s` instead, and a pty or port forwarding is
//! refused. The same checks with the bare key (no options) show each of them would pass
//! without the restriction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use fleetwatch_collector::authorized_keys::{AuthorizedKeysError, line, line_for};
use fleetwatch_collector::{Collected, Collector};
use fleetwatch_config::{CollectorSettings, Config, Server};
use fleetwatch_store::Store;
use fleetwatch_testkit::{Sshd, TEST_USER};
use russh::ChannelMsg;
use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};

const LIMIT: Duration = Duration::from_secs(20);

fn servers(toml: &str) -> Vec<Server> {
    Config::from_toml(toml, &BTreeMap::new()).unwrap().servers
}

/// Replaces the account's authorized_keys of `sshd` (read by sshd at each login).
fn authorize(sshd: &Sshd, line: &str) {
    std::fs::write(sshd.dir.path().join("authorized_keys"), format!("{line}\n")).unwrap();
}

async fn collect_once(sshd: &Sshd, toml: &str) -> Collected {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fw.db").display());
    let store: Arc<dyn Store> = Arc::from(fleetwatch_store::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    let settings =
        CollectorSettings { connect_timeout_secs: 10, command_timeout_secs: 20, retries: 1, ..Default::default() };
    let collector = Collector::new(servers(toml), store, settings);
    let mut reports = collector.run_cycle().await;
    collector.shutdown().await;
    let report = reports.pop().expect("one report");
    report.result.unwrap_or_else(|e| panic!("collection failed: {e}\nsshd log:\n{}", sshd.log_text()))
}

/// A bare russh client holding the collector's key: what anyone who stole that key could do.
struct Pinned(String);

impl client::Handler for Pinned {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.fingerprint(HashAlg::Sha256).to_string() == self.0,
            PublicKeyOrCertificate::Certificate(_) => false,
        })
    }
}

/// Logs in with the collector's key; the handle and whether the server accepted the key.
async fn try_login(sshd: &Sshd) -> (Handle<Pinned>, bool) {
    let config = Arc::new(client::Config::default());
    let connect = client::connect(config, sshd.addr, Pinned(sshd.host_fingerprint.clone()));
    let mut handle = tokio::time::timeout(LIMIT, connect).await.unwrap().unwrap();
    let key = russh::keys::load_secret_key(&sshd.client_key, None).unwrap();
    let auth = handle.authenticate_publickey(TEST_USER, PrivateKeyWithHashAlg::new(Arc::new(key), None));
    let accepted = tokio::time::timeout(LIMIT, auth).await.unwrap().unwrap().success();
    (handle, accepted)
}

async fn login(sshd: &Sshd) -> Handle<Pinned> {
    let (handle, accepted) = try_login(sshd).await;
    assert!(accepted, "the key must log in:\n{}", sshd.log_text());
    handle
}

/// Asks to run `command` with `stdin`; returns what came out on stdout.
async fn exec(handle: &Handle<Pinned>, command: &str, stdin: &str) -> String {
    let run = async {
        let mut channel = handle.channel_open_session().await.unwrap();
        channel.exec(true, command).await.unwrap();
        channel.data_bytes(stdin.as_bytes().to_vec()).await.unwrap();
        channel.eof().await.unwrap();
        let mut out = Vec::new();
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } => out.extend_from_slice(&data),
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    tokio::time::timeout(LIMIT, run).await.expect("exec within the limit")
}

/// Whether the server grants a pty on a new session channel.
async fn pty_granted(handle: &Handle<Pinned>) -> bool {
    let run = async {
        let mut channel = handle.channel_open_session().await.unwrap();
        channel.request_pty(true, "xterm", 80, 24, 0, 0, &[]).await.unwrap();
        loop {
            match channel.wait().await.expect("an answer to the pty request") {
                ChannelMsg::Success => return true,
                ChannelMsg::Failure => return false,
                _ => {}
            }
        }
    };
    tokio::time::timeout(LIMIT, run).await.expect("pty answer within the limit")
}

/// Asks the server to open a TCP connection to `listener` for us (what `ssh -L` does for each
/// connection to its local port); `Ok` when the listener then sees the connection arrive.
async fn forward_to(handle: &Handle<Pinned>, listener: &tokio::net::TcpListener) -> Result<(), russh::Error> {
    let target = listener.local_addr().unwrap();
    let open = handle.channel_open_direct_tcpip(target.ip().to_string(), u32::from(target.port()), "127.0.0.1", 40000);
    let channel = tokio::time::timeout(LIMIT, open).await.expect("an answer to the forwarding request")?;
    tokio::time::timeout(LIMIT, listener.accept()).await.expect("the forwarded connection arrives").unwrap();
    drop(channel);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_line_lets_the_collection_through_and_nothing_else() {
    let sshd = Sshd::start().await;
    let toml = sshd.server_toml("restricted-1");
    let printed = line_for(&servers(&toml), "restricted-1", None).unwrap();
    let bare = std::fs::read_to_string(sshd.client_key.with_extension("pub")).unwrap();
    let bare_fields: Vec<&str> = bare.split_whitespace().take(2).collect();
    assert_eq!(
        printed,
        format!("restrict,command=\"sh -s\" {} {} fleetwatch-collector@restricted-1", bare_fields[0], bare_fields[1]),
        "the public half of the configured key, restricted"
    );
    let private = std::fs::read_to_string(&sshd.client_key).unwrap();
    let secret_body = private.lines().nth(1).unwrap();
    assert!(!printed.contains(secret_body), "no private key material in the line");

    let target = tokio::net::TcpListener::bind((sshd.addr.ip(), 0)).await.unwrap();

    // Without the options, the key opens everything: the checks below can fail.
    authorize(&sshd, bare.trim());
    let open = collect_once(&sshd, &toml).await;
    let handle = login(&sshd).await;
    assert!(exec(&handle, "id", "echo forced\n").await.contains("uid="), "a bare key runs any command");
    assert!(pty_granted(&handle).await, "a bare key gets a pty");
    forward_to(&handle, &target).await.expect("a bare key may forward ports");
    drop(handle);

    // With the printed line: the same collection, section for section.
    authorize(&sshd, &printed);
    let restricted = collect_once(&sshd, &toml).await;
    assert_eq!(restricted.warnings, open.warnings, "every section as without the restriction");
    assert!(restricted.warnings.is_empty(), "no section failed: {:?}", restricted.warnings);
    let s = &restricted.sample;
    assert!(s.ram_percentage.is_some() && s.uptime_seconds.is_some() && s.cpu_load_1min.is_some(), "{s:?}");
    assert!(s.disk_percentage.is_some() && s.tcp_connections.is_some(), "{s:?}");
    assert!(!restricted.users.is_empty(), "top users");
    assert!(restricted.details.is_some(), "details");

    let handle = login(&sshd).await;
    // `id` is not run: sshd runs the forced `sh -s`, which executes what arrives on stdin.
    let out = exec(&handle, "id", "echo forced\n").await;
    assert_eq!(out, "forced\n", "the forced command ran instead of `id`");
    assert_eq!(exec(&handle, "id", "").await, "", "with nothing on stdin nothing runs");
    assert!(!pty_granted(&handle).await, "no pty");
    let refused = forward_to(&handle, &target).await.expect_err("port forwarding must be refused");
    assert!(matches!(refused, russh::Error::ChannelOpenFailure(_)), "{refused:?}");
    // The connection stays usable: the refusals were answers, not a crash.
    assert_eq!(exec(&handle, "anything", "echo still\n").await, "still\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_is_added_only_when_given_and_the_address_is_enforced() {
    let sshd = Sshd::start().await;
    let toml = sshd.server_toml("from-1");
    let list = servers(&toml);
    // Loopback clients connect from some 127.x address.
    let allowed = line(&list[0], Some("127.0.0.0/8")).unwrap();
    assert!(allowed.starts_with("from=\"127.0.0.0/8\",restrict,command=\"sh -s\" ssh-ed25519 "), "{allowed}");
    authorize(&sshd, &allowed);
    collect_once(&sshd, &toml).await;

    // A key limited to an address the client is not on does not log in.
    authorize(&sshd, &line(&list[0], Some("192.0.2.1")).unwrap());
    let (_handle, accepted) = try_login(&sshd).await;
    assert!(!accepted, "a key limited to another address must not log in");
}

#[test]
fn password_local_and_unknown_servers_get_a_clear_error() {
    let toml = "[[servers]]\nname = 'pw'\nhost = '127.0.0.1'\nuser = 'u'\npassword_env = 'FW_KEYS_TEST_PW'\n\
                [[servers]]\nname = 'here'\ntransport = 'local'\n";
    let env = BTreeMap::from([("FW_KEYS_TEST_PW".to_string(), "hunter2-secret".to_string())]);
    let list = Config::from_toml(toml, &env).unwrap().servers;
    let pw = line_for(&list, "pw", None).unwrap_err();
    assert!(matches!(pw, AuthorizedKeysError::Password { .. }), "{pw:?}");
    assert!(pw.to_string().contains("password") && pw.to_string().contains("identity_file"), "{pw}");
    assert!(!pw.to_string().contains("hunter2") && !format!("{pw:?}").contains("hunter2"));
    let local = line_for(&list, "here", None).unwrap_err();
    assert!(matches!(local, AuthorizedKeysError::Local { .. }), "{local:?}");
    assert!(local.to_string().contains("local transport"), "{local}");
    let unknown = line_for(&list, "nope", None).unwrap_err();
    assert!(unknown.to_string().contains("\"nope\"") && unknown.to_string().contains("pw, here"), "{unknown}");
}

#[test]
fn a_missing_identity_file_is_named() {
    let toml = "[[servers]]\nname = 'k'\nhost = '127.0.0.1'\nuser = 'u'\nidentity_file = '/nonexistent/fw-key'\n";
    let err = line_for(&servers(toml), "k", None).unwrap_err();
    assert!(matches!(err, AuthorizedKeysError::Key { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/fw-key"), "{err}");
}
