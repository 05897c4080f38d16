//! Child processes of a test: commands run to completion, processes stopped by signal with their
//! output kept in files, and a plain kill-on-drop guard.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// Runs a command to completion; panics when it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Both output streams, for messages.
pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Sends `signal` (e.g. "TERM") to a process.
pub fn signal(pid: u32, signal: &str) {
    let out = run(Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()));
    assert!(out.status.success(), "kill -{signal} {pid}: {}", text(&out));
}

/// A child process killed (SIGKILL) and reaped when dropped.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// A child process with a name and its output in files, stopped gracefully (SIGTERM, or
/// `stop_signal`) when dropped, and killed if it does not stop within 10 s.
pub struct Proc {
    pub name: String,
    pub child: Child,
    /// Where its stdout and stderr go: `<dir>/<name>.out`, `<dir>/<name>.err`.
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub stop_signal: &'static str,
    /// Processes it starts that outlive it (chromedriver's browsers), found by this pattern of
    /// their command line (`pkill -f`) and killed once it has stopped.
    pub leftovers: Option<String>,
}

impl Proc {
    /// Starts `cmd` with its output in files under `dir`.
    pub fn spawn(name: &str, cmd: &mut Command, dir: &Path) -> Self {
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        Self { name: name.into(), child, stdout, stderr, stop_signal: "TERM", leftovers: None }
    }

    /// Its output so far, for messages.
    pub fn log_text(&self) -> String {
        let out = std::fs::read_to_string(&self.stdout).unwrap_or_default();
        let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        format!("--- stdout\n{out}--- stderr\n{err}")
    }

    /// Panics with the output when the process has exited already.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("{} exited early ({status}); its output:\n{}", self.name, self.log_text());
        }
    }

    /// Sends the stop signal and waits (up to `limit`) for the exit status.
    pub async fn stop(&mut self, limit: Duration) -> std::process::ExitStatus {
        if let Some(status) = self.child.try_wait().unwrap() {
            return status;
        }
        signal(self.child.id(), self.stop_signal);
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                self.child.kill().ok();
                self.child.wait().ok();
                panic!(
                    "{} did not stop within {limit:?} of SIG{}; its output:\n{}",
                    self.name,
                    self.stop_signal,
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop_now();
        if let Some(pattern) = &self.leftovers
            && let Err(e) = Command::new("pkill").args(["-KILL", "-f", "--", pattern]).status()
        {
            eprintln!("cannot kill what {} left: {e}", self.name);
        }
    }
}

impl Proc {
    /// The stop of `drop`: the stop signal, then SIGKILL after 10 s.
    fn stop_now(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // Graceful first: nginx's workers outlive a SIGKILLed master.
            let sent =
                Command::new("kill").arg(format!("-{}", self.stop_signal)).arg(self.child.id().to_string()).status();
            if let Err(e) = sent {
                eprintln!("cannot signal {}: {e}", self.name);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}
