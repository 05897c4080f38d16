//! `fleetwatch authorized-keys-line` as a user runs it: its output installed as the account's
//! authorized_keys of a real sshd, then `collect-once` through it, and the OpenSSH client with the
//! same key trying a command of its own and `ssh -N -L` port forwarding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use fleetwatch_testkit::{KillOnDrop, Sshd, TEST_USER, closed_port, text, unique_loopback, wait_for};
use tokio::io::AsyncReadExt;

fn config(dir: &Path, sshd: &Sshd) -> PathBuf {
    let closed = closed_port();
    let toml = format!(
        "database_url = \"sqlite://{}/fw.db\"\n[collector]\nretries = 1\nconnect_timeout_secs = 10\n{}\
         [[servers]]\nname = \"db-1\"\nhost = \"{}\"\nport = {}\nuser = \"mon\"\npassword_env = \"FW_KEYS_TEST_PW\"\n",
        dir.display(),
        sshd.server_toml("web-1"),
        closed.ip(),
        closed.port(),
    );
    let path = dir.join("fw.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

fn fleetwatch(config: &Path, args: &[&str]) -> Output {
    fleetwatch_testkit::run(
        Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
            .arg("--config")
            .arg(config)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("FW_KEYS_TEST_PW", "not-a-key-secret")
            .env("RUST_BACKTRACE", "0"),
    )
}

/// The OpenSSH client as `fwtest` with the collector's key, the host key pinned in a known_hosts.
fn ssh(sshd: &Sshd) -> Command {
    let known = sshd.dir.path().join("known_hosts");
    let host_pub = std::fs::read_to_string(sshd.dir.path().join("host_ed25519.pub")).unwrap();
    std::fs::write(&known, format!("[{}]:{} {host_pub}", sshd.addr.ip(), sshd.addr.port())).unwrap();
    let mut cmd = Command::new("ssh");
    cmd.args(["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes"])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known.display()))
        .args(["-o", "GlobalKnownHostsFile=/dev/null", "-i"])
        .arg(&sshd.client_key)
        .args(["-p", &sshd.addr.port().to_string(), "-l", TEST_USER, &sshd.addr.ip().to_string()]);
    cmd
}

/// `ssh HOST id` with `stdin` as its input.
fn ssh_id(sshd: &Sshd, stdin: &str) -> Output {
    let mut child = ssh(sshd)
        .arg("id")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the OpenSSH client (make test-deps)");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_line_collects_and_refuses_other_commands_and_forwarding() {
    let dir = tempfile::tempdir().unwrap();
    let sshd = Sshd::start().await;
    let cfg = config(dir.path(), &sshd);

    let out = fleetwatch(&cfg, &["authorized-keys-line", "--server", "web-1"]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(printed.starts_with("restrict,command=\"sh -s\" ssh-ed25519 "), "{printed}");
    assert_eq!(printed.lines().count(), 1, "{printed}");
    let out = fleetwatch(&cfg, &["authorized-keys-line", "--server", "db-1"]);
    assert!(!out.status.success(), "a password server has no key line");
    assert!(text(&out).contains("logs in with a password"), "{}", text(&out));
    assert!(!text(&out).contains("not-a-key-secret"), "{}", text(&out));

    // Control, with the bare key (testkit's default): `id` runs.
    let open = ssh_id(&sshd, "echo forced\n");
    assert!(String::from_utf8_lossy(&open.stdout).contains("uid="), "{}", text(&open));

    std::fs::write(sshd.dir.path().join("authorized_keys"), &printed).unwrap();
    let out = fleetwatch(&cfg, &["collect-once"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("web-1\tok"),
        "{}\nsshd log:\n{}",
        text(&out),
        sshd.log_text()
    );

    // `ssh host id` runs the forced `sh -s` on what it sends, not `id`.
    let out = ssh_id(&sshd, "echo forced\n");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "forced\n", "{}", text(&out));

    // `ssh -N -L`: the client listens, but the server refuses each forwarded connection.
    let target = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = std::net::SocketAddr::new(unique_loopback().into(), 2222);
    let stderr = dir.path().join("ssh-L.err");
    let child = ssh(&sshd)
        .arg("-N")
        .arg("-L")
        .arg(format!("{local}:{}", target.local_addr().unwrap()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut tunnel = KillOnDrop(child);
    let mut conn = wait_for("ssh -L to listen", Duration::from_secs(20), || async {
        tokio::net::TcpStream::connect(local).await.ok()
    })
    .await;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(20), conn.read(&mut buf)).await.expect("closed").unwrap_or(0);
    assert_eq!(n, 0, "the forwarded connection is closed at once");
    let refused = wait_for("ssh to report the refusal", Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&stderr).unwrap_or_default();
        async move { text.contains("administratively prohibited").then_some(text) }
    })
    .await;
    assert!(refused.contains("open failed"), "{refused}");
    tunnel.0.kill().ok();
}
