//! `fleetwatch host-key list` and `fleetwatch host-key accept` as a user runs them, against a
//! real sshd whose host key is swapped (the machine reinstalled at the same address).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fleetwatch_testkit::{Sshd, TEST_USER, test_password, text};

fn config(dir: &Path, sshd: &Sshd) -> PathBuf {
    let password = sshd.password_file(&test_password());
    let toml = format!(
        "database_url = \"sqlite://{}/fw.db\"\n[collector]\nretries = 1\nconnect_timeout_secs = 5\n\
         [[servers]]\nname = \"web-1\"\nhost = \"{}\"\nport = {}\nuser = \"{TEST_USER}\"\npassword_file = \"{}\"\n\
         [[servers]]\nname = \"pinned\"\nhost = \"{}\"\nport = {}\nuser = \"{TEST_USER}\"\npassword_file = \"{}\"\nhost_key = \"{}\"\n",
        dir.display(),
        sshd.addr.ip(),
        sshd.addr.port(),
        password.display(),
        sshd.addr.ip(),
        sshd.addr.port(),
        password.display(),
        sshd.host_fingerprint,
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
            .env("RUST_BACKTRACE", "0"),
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_host_key_is_shown_and_accepted_only_when_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Sshd::start().await;
    let cfg = config(dir.path(), &first);
    let out = fleetwatch(&cfg, &["collect-once"]);
    assert!(stdout(&out).contains("web-1\tok"), "{}", text(&out));
    let out = fleetwatch(&cfg, &["host-key", "list"]);
    let listed = stdout(&out);
    assert!(listed.contains(&format!("web-1\tfirst use\t{}", first.host_fingerprint)), "{listed}");
    assert!(listed.contains(&format!("pinned\tpinned\t{}", first.host_fingerprint)), "{listed}");
    assert!(!listed.contains("CHANGED"), "{listed}");

    // Reinstalled: the same address, a new host key. Collection refuses it.
    first.stop();
    let second = Sshd::start_at(first.addr).await;
    let out = fleetwatch(&cfg, &["collect-once"]);
    assert!(stdout(&out).contains("web-1\tfailed\thost key"), "{}", text(&out));
    let out = fleetwatch(&cfg, &["host-key", "list"]);
    let listed = stdout(&out);
    assert!(listed.contains(&format!("CHANGED: offered {}", second.host_fingerprint)), "{listed}");

    // Shown, not accepted, without a confirmation.
    let out = fleetwatch(&cfg, &["host-key", "accept", "web-1"]);
    let said = stdout(&out);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(said.contains(&format!("recorded: {}", first.host_fingerprint)), "{said}");
    assert!(said.contains(&format!("offered:  {}", second.host_fingerprint)), "{said}");
    assert!(said.contains("--yes"), "{said}");
    // A fingerprint that is not the offered one is refused.
    let out = fleetwatch(&cfg, &["host-key", "accept", "web-1", &first.host_fingerprint]);
    assert!(!out.status.success());
    assert!(text(&out).contains("nothing accepted"), "{}", text(&out));
    let out = fleetwatch(&cfg, &["collect-once"]);
    assert!(stdout(&out).contains("web-1\tfailed"), "still refused: {}", text(&out));
    // A pinned key is changed in the configuration, not here.
    let out = fleetwatch(&cfg, &["host-key", "accept", "pinned", "--yes"]);
    assert!(!out.status.success() && text(&out).contains("pinned in the configuration"), "{}", text(&out));

    // The offered fingerprint as confirmation: recorded, and the next collection works.
    let out = fleetwatch(&cfg, &["host-key", "accept", "web-1", &second.host_fingerprint]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("accepted"), "{}", text(&out));
    let out = fleetwatch(&cfg, &["collect-once"]);
    assert!(stdout(&out).contains("web-1\tok"), "{}", text(&out));
    let out = fleetwatch(&cfg, &["host-key", "list"]);
    let listed = stdout(&out);
    assert!(listed.contains(&format!("web-1\tfirst use\t{}", second.host_fingerprint)), "{listed}");
    assert!(!listed.contains("CHANGED"), "{listed}");
}
