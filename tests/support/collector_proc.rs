//! A `fleetwatch collector` process under test: its config (these sshd hosts, this database,
//! this schedule, its own state dir) and the process itself, logging JSON for `collector_log`.
#![allow(dead_code)] // each test binary uses part of it

use std::path::{Path, PathBuf};
use std::process::Command;

use fleetwatch_testkit::{Proc, Sshd};

/// Writes `dir/fw.toml`: `hosts` as `web-0`, `web-1`, … on `url`, collected on `schedule`.
pub fn config(dir: &Path, url: &str, hosts: &[Sshd], schedule: &str) -> PathBuf {
    let mut toml = format!(
        "database_url = \"{url}\"\n[collector]\nschedule = \"{schedule}\"\ncollect_on_start = true\nretries = 1\n\
         member_timeout_secs = 600\nstate_dir = \"{}\"\n",
        dir.join("state").display()
    );
    for (i, h) in hosts.iter().enumerate() {
        toml += &h.server_toml(&format!("web-{i}"));
    }
    let path = dir.join("fw.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// Starts `fleetwatch collector` on `cfg`, its JSON log in the `Proc`'s stderr file.
pub fn collector(name: &str, cfg: &Path, dir: &Path) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetwatch"));
    cmd.arg("--config")
        .arg(cfg)
        .arg("collector")
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .env("RUST_BACKTRACE", "0")
        .env("FLEETWATCH_LOG_FORMAT", "json");
    Proc::spawn(name, &mut cmd, dir)
}
