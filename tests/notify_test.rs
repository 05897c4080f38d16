//! `fleetwatch notify-test CHANNEL` as a user runs it: the message reaches a real HTTP receiver
//! on loopback and the receiver's answer is printed; a refusal or an unknown channel exits
//! non-zero with a clear message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers one HTTP request with `status` and `body`; hands back what it received.
async fn receiver(status: &'static str, body: &'static str) -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook/secret-token", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if rest.len() >= len || n == 0 {
                    break;
                }
            }
        }
        let answer = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
        socket.write_all(answer.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&got).to_string()
    });
    (url, task)
}

fn config(dir: &tempfile::TempDir, url: &str) -> std::path::PathBuf {
    let path = dir.path().join("fw.toml");
    let toml = format!(
        "database_url = \"sqlite://{}/fw.db\"\n[[alerts.channels]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{url}\"\n\
         [[alerts.channels]]\nname = \"chat\"\nkind = \"slack\"\nurl = \"{url}\"\n",
        dir.path().display()
    );
    std::fs::write(&path, toml).unwrap();
    path
}

async fn notify_test(cfg: &std::path::Path, channel: &str) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetwatch"));
    cmd.arg("--config").arg(cfg).args(["notify-test", channel]).env_remove("RUST_BACKTRACE");
    tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
}

#[tokio::test]
async fn a_test_message_reaches_the_receiver_and_its_answer_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (url, got) = receiver("202 Accepted", "queued").await;
    let out = notify_test(&config(&dir, &url), "ops").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("202") && stdout.contains("queued"), "{stdout}");
    let request = got.await.unwrap();
    assert!(request.starts_with("POST /hook/secret-token"), "{request}");
    assert!(request.contains("notify-test"), "{request}");
}

#[tokio::test]
async fn a_refusal_exits_non_zero_without_the_secret_url() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _got) = receiver("500 Internal Server Error", "boom").await;
    let out = notify_test(&config(&dir, &url), "chat").await;
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("HTTP 500") && all.contains("boom"), "{all}");
    assert!(!all.contains("secret-token"), "a webhook URL is a secret: {all}");
}

#[tokio::test]
async fn an_unknown_channel_lists_the_configured_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = notify_test(&config(&dir, "http://127.0.0.1:9/x"), "pager").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("pager") && stderr.contains("ops, chat"), "{stderr}");
}
