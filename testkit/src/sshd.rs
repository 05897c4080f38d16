//! Real OpenSSH `sshd` processes, each on a loopback address of its own with its own config and
//! host keys, as the test account. Needs root, `/usr/sbin/sshd` and the `fwtest` account prepared
//! by `.ci/test-deps.sh` (run `make test-deps`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::io::AsyncReadExt;

use crate::net::unique_loopback;

/// The account every test sshd lets in (created by `.ci/test-deps.sh`).
pub const TEST_USER: &str = "fwtest";

/// The password of the test account, written by `.ci/test-deps.sh`.
pub fn test_password() -> String {
    let path = std::env::var("FW_TEST_PASSWORD_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/var/lib/fleetwatch-test/fwtest.password"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read the test password at {}: {e}; run `make test-deps` first", path.display())
    })
}

fn keygen(path: &Path) -> String {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "fleetwatch-test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen must be installed (make test-deps)")
        .success();
    assert!(ok, "ssh-keygen failed");
    fingerprint(&path.with_extension("pub"))
}

/// `SHA256:…` of a public key file, as `ssh-keygen -lf` prints it.
pub fn fingerprint(pubfile: &Path) -> String {
    let out = Command::new("ssh-keygen").arg("-lf").arg(pubfile).output().expect("ssh-keygen");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().nth(1).expect("fingerprint").to_string()
}

/// A running sshd, stopped when dropped.
pub struct Sshd {
    /// Its config, keys and log; removed with it.
    pub dir: TempDir,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its host key's `SHA256:…` fingerprint, to pin.
    pub host_fingerprint: String,
    /// The client key authorised for `fwtest`.
    pub client_key: PathBuf,
    child: std::process::Child,
    log: PathBuf,
}

impl Sshd {
    /// Starts an sshd on a fresh loopback address and waits until it shows its banner.
    pub async fn start() -> Self {
        Self::start_at(SocketAddr::new(unique_loopback().into(), 2222)).await
    }

    /// Starts an sshd with extra `sshd_config` lines, e.g. `ForceCommand …` to play a server
    /// that answers garbage, hangs, or fails, whatever command it is asked to run.
    pub async fn start_with(extra: &str) -> Self {
        Self::start_full(SocketAddr::new(unique_loopback().into(), 2222), extra).await
    }

    /// Starts an sshd with a NEW host key on `addr` (to play a server whose key changed).
    pub async fn start_at(addr: SocketAddr) -> Self {
        Self::start_full(addr, "").await
    }

    async fn start_full(addr: SocketAddr, extra: &str) -> Self {
        assert!(Path::new("/usr/sbin/sshd").exists(), "/usr/sbin/sshd missing: run `make test-deps`");
        std::fs::create_dir_all("/run/sshd").ok();
        let dir = tempfile::tempdir().unwrap();
        let host_key = dir.path().join("host_ed25519");
        let host_fingerprint = keygen(&host_key);
        let client_key = dir.path().join("client_ed25519");
        keygen(&client_key);
        std::fs::copy(client_key.with_extension("pub"), dir.path().join("authorized_keys")).unwrap();
        let log = dir.path().join("sshd.log");
        let conf = dir.path().join("sshd_config");
        std::fs::write(
            &conf,
            format!(
                "ListenAddress {addr}\nHostKey {hk}\nPidFile {dir}/sshd.pid\nAuthorizedKeysFile {dir}/authorized_keys\n\
                 StrictModes no\nUsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n\
                 PermitRootLogin no\nAllowUsers {TEST_USER}\nLogLevel VERBOSE\nPrintMotd no\nMaxStartups 100\n{extra}\n",
                hk = host_key.display(),
                dir = dir.path().display(),
            ),
        )
        .unwrap();
        // Let the account read the key files' directory (sshd reads authorized_keys as the user).
        Command::new("chmod").arg("755").arg(dir.path()).status().unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-f"])
            .arg(&conf)
            .arg("-E")
            .arg(&log)
            .spawn()
            .expect("start sshd");
        let sshd = Self { dir, addr, host_fingerprint, client_key, child, log };
        sshd.wait_ready().await;
        sshd
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(mut s) = tokio::net::TcpStream::connect(self.addr).await {
                let mut buf = [0u8; 7];
                if tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut buf)).await.is_ok_and(|r| r.is_ok())
                    && &buf == b"SSH-2.0"
                {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "sshd on {} not ready; log:\n{}", self.addr, self.log_text());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A `[[servers]]` entry for this sshd as the test account, by key, with its host key pinned.
    pub fn server_toml(&self, name: &str) -> String {
        format!(
            "[[servers]]\nname = \"{name}\"\nhost = \"{}\"\nport = {}\nuser = \"{TEST_USER}\"\nidentity_file = \"{}\"\nhost_key = \"{}\"\n",
            self.addr.ip(),
            self.addr.port(),
            self.client_key.display(),
            self.host_fingerprint
        )
    }

    /// Its log so far (`LogLevel VERBOSE`), for messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Writes the test password to a file readable by the collector (`password_file`).
    pub fn password_file(&self, password: &str) -> PathBuf {
        let p = self.dir.path().join("password");
        std::fs::write(&p, password).unwrap();
        p
    }

    /// Kills it and every session process it started, so that each client connection drops
    /// at once, as when the server goes down (a reinstall, a reboot). [`Self::stop`] kills only
    /// the listener: the sessions' own processes outlive it and keep serving.
    pub fn stop_with_sessions(&mut self) {
        let sessions = descendants(self.child.id());
        self.stop();
        for pid in sessions {
            // A session may have ended by itself meanwhile: a failed kill is fine.
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
        }
    }

    /// Kills it and waits for it to exit.
    pub fn stop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every process descended from `root` (by the parent pids of `/proc/<pid>/stat`).
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The field after the state, past the command name in parentheses.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    found.split_off(1)
}
