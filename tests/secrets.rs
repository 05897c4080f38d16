//! Secrets never reach the output: `collect-once` and `check` against a real sshd with a right
//! and a wrong password, at the most verbose log level.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use fleetwatch_testkit::{Sshd, TEST_USER, test_password};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_never_reach_logs_or_output_even_at_trace_level() {
    let sshd = Sshd::start().await;
    let good = test_password();
    let wrong = "wr0ng-Pa55word-that-must-not-leak";
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fleetwatch.toml");
    let server = |name: &str, var: &str| {
        format!(
            "[[servers]]\nname = \"{name}\"\nhost = \"{}\"\nport = {}\nuser = \"{TEST_USER}\"\npassword_env = \"{var}\"\nhost_key = \"{}\"\n",
            sshd.addr.ip(),
            sshd.addr.port(),
            sshd.host_fingerprint
        )
    };
    let toml = format!(
        "database_url = \"sqlite://{}\"\n[collector]\nretries = 1\n{}{}",
        dir.path().join("fw.db").display(),
        server("right", "FW_TEST_RIGHT_PW"),
        server("wrong", "FW_TEST_WRONG_PW")
    );
    std::fs::write(&cfg, toml).unwrap();
    for command in ["collect-once", "check"] {
        let out = Command::new(env!("CARGO_BIN_EXE_fleetwatch"))
            .arg("--config")
            .arg(&cfg)
            .arg(command)
            .env("RUST_LOG", "trace")
            .env("FW_TEST_RIGHT_PW", &good)
            .env("FW_TEST_WRONG_PW", wrong)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("right") && text.contains("authentication failed"), "{command}: {text}");
        assert!(!text.contains(&good), "{command} printed the right password");
        assert!(!text.contains(wrong), "{command} printed the wrong password");
    }
}
