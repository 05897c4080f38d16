//! A PostgreSQL server of the test's own: a fresh cluster (`initdb`) in a temp directory, on a
//! loopback address of its own, run as the `postgres` account, that the test stops and starts
//! (the shared server is never touched). Stopped for good when dropped.
#![allow(dead_code)] // each test binary uses part of it

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use fleetwatch_testkit::{run, text, unique_loopback};

pub struct OwnPg {
    _dir: tempfile::TempDir,
    data: PathBuf,
    log: PathBuf,
    bin: PathBuf,
    pub addr: SocketAddr,
    running: bool,
}

/// The newest `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("/usr/lib/postgresql missing: run `make test-deps`")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    let v = versions.last().expect("no PostgreSQL version under /usr/lib/postgresql");
    PathBuf::from(format!("/usr/lib/postgresql/{v}/bin"))
}

/// Runs `cmd args` as the `postgres` account and asserts it succeeded.
fn as_postgres(program: &PathBuf, args: &[&str]) {
    let out = run(Command::new("runuser").args(["-u", "postgres", "--"]).arg(program).args(args));
    assert!(out.status.success(), "{} {args:?}: {}", program.display(), text(&out));
}

impl OwnPg {
    /// A new cluster (trust authentication for `postgres`), not started yet.
    pub fn init() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("pg");
        std::fs::create_dir(&home).unwrap();
        // The account must reach its files.
        for (path, owner) in [(dir.path().to_path_buf(), None), (home.clone(), Some("postgres:postgres"))] {
            run(Command::new("chmod").arg("755").arg(&path));
            if let Some(o) = owner {
                let out = run(Command::new("chown").arg(o).arg(&path));
                assert!(out.status.success(), "chown: {}", text(&out));
            }
        }
        let bin = bin_dir();
        let data = home.join("data");
        let d = data.to_str().unwrap();
        as_postgres(&bin.join("initdb"), &["-D", d, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        let addr = SocketAddr::new(unique_loopback().into(), 5433);
        Self { log: home.join("server.log"), _dir: dir, data, bin, addr, running: false }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@{}:{}/postgres", self.addr.ip(), self.addr.port())
    }

    pub fn start(&mut self) {
        let opts = format!(
            "-c listen_addresses={} -p {} -k {} -c fsync=on",
            self.addr.ip(),
            self.addr.port(),
            self.data.display()
        );
        let (d, l) = (self.data.to_str().unwrap(), self.log.to_str().unwrap());
        as_postgres(&self.bin.join("pg_ctl"), &["-D", d, "-l", l, "-w", "-t", "60", "-o", &opts, "start"]);
        self.running = true;
    }

    /// Stops the server, closing its connections (`-m fast`).
    pub fn stop(&mut self) {
        as_postgres(&self.bin.join("pg_ctl"), &["-D", self.data.to_str().unwrap(), "-m", "fast", "-w", "stop"]);
        self.running = false;
    }

    /// Runs `pg_amcheck` (heap and B-tree checks of every relation) on the `postgres` database.
    pub fn amcheck(&self) {
        let (host, port) = (self.addr.ip().to_string(), self.addr.port().to_string());
        let args = ["-h", &host, "-p", &port, "-U", "postgres", "--install-missing", "--heapallindexed", "postgres"];
        as_postgres(&self.bin.join("pg_amcheck"), &args);
    }
}

impl Drop for OwnPg {
    fn drop(&mut self) {
        if self.running {
            let stopped = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"))
                .args(["-D", self.data.to_str().unwrap_or(""), "-m", "immediate", "-w", "stop"])
                .output();
            if let Err(e) = stopped {
                eprintln!("cannot stop the test's PostgreSQL: {e}");
            }
        }
    }
}
