//! Containers, for real: a private Docker daemon (Debian's `docker.io`) on its own socket, data
//! and exec directories, an image made of this host's busybox, and the collector reaching it
//! through a real `sshd` as the test account, whose session finds the daemon by `DOCKER_HOST`
//! (sshd's `SetEnv`; the socket's group is the account's).
//!
//! Checked against what the test itself did: the containers' names, states, exit code, health;
//! a container held to half a core by `--cpus 0.5` shows 50 % ± 15; and the daemon is asked for
//! its list (the `GET /containers/json?all=1` of curl, read from the daemon's own debug log)
//! only on the first cycle and when a container starts or stops, never on a quiet cycle.
//!
//! Needs root (dockerd), `dockerd` and `docker` (`docker.io`), `curl`, `/usr/sbin/sshd` and the
//! `fwtest` account of `.ci/test-deps.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fleetwatch_collector::Collector;
use fleetwatch_common::details::ContainerInfo;
use fleetwatch_config::{CollectorSettings, Config};
use fleetwatch_store::Store;
use fleetwatch_testkit::{Sshd, TEST_USER};

/// A dockerd of this test only; stopped (and its containers removed) on drop.
struct Dockerd {
    dir: tempfile::TempDir,
    child: Child,
    sock: PathBuf,
    log: PathBuf,
    /// Names are prefixed so nothing else on the machine is touched.
    prefix: String,
}

impl Dockerd {
    fn start(socket_group: u32) -> Self {
        assert!(Path::new("/usr/sbin/dockerd").exists(), "dockerd missing: run `make test-deps` (docker.io)");
        let dir = tempfile::tempdir().unwrap();
        // The test account must reach the socket: its directory is searchable by all, the
        // socket belongs to the account's group (`--group`).
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        Command::new("chmod").arg("755").arg(dir.path()).arg(&run).status().unwrap();
        let sock = run.join("docker.sock");
        let log = dir.path().join("dockerd.log");
        let child = Command::new("/usr/sbin/dockerd")
            .arg("--debug") // logs every API call: how often the collector asks is read from it
            .arg(format!("--host=unix://{}", sock.display()))
            .arg(format!("--group={socket_group}"))
            .arg(format!("--data-root={}", dir.path().join("data").display()))
            .arg(format!("--exec-root={}", dir.path().join("exec").display()))
            .arg(format!("--pidfile={}", dir.path().join("dockerd.pid").display()))
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::from(std::fs::OpenOptions::new().append(true).open(&log).unwrap()))
            .spawn()
            .expect("start dockerd");
        let prefix = format!("fwtest{}", std::process::id());
        let d = Self { dir, child, sock, log, prefix };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !d.docker(&["version"]).status.success() {
            assert!(Instant::now() < deadline, "dockerd not ready:\n{}", d.log_text());
            std::thread::sleep(Duration::from_millis(100));
        }
        d
    }

    fn docker(&self, args: &[&str]) -> Output {
        Command::new("docker").env("DOCKER_HOST", self.host()).args(args).output().unwrap()
    }

    /// Runs `docker ARGS`, which must succeed; its output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.docker(args);
        assert!(out.status.success(), "docker {args:?}: {}\n{}", String::from_utf8_lossy(&out.stderr), self.log_text());
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn host(&self) -> String {
        format!("unix://{}", self.sock.display())
    }

    fn name(&self, short: &str) -> String {
        format!("{}-{short}", self.prefix)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many times the container list was asked for without an API version: curl, as the
    /// program asks (the docker CLI always puts `/v1.NN` in front).
    fn list_requests(&self) -> usize {
        self.log_text().lines().filter(|l| l.contains("msg=\"Calling GET /containers/json?all=1\"")).count()
    }

    /// An image of this host's busybox (also as `/bin/sh`) and the libraries it links.
    fn import_busybox(&self) -> String {
        let root = self.dir.path().join("rootfs");
        let busybox = Path::new("/bin/busybox");
        assert!(busybox.exists(), "busybox missing: run `make test-deps`");
        let mut files = vec![busybox.to_path_buf()];
        let ldd = Command::new("ldd").arg(busybox).output().unwrap();
        for word in String::from_utf8_lossy(&ldd.stdout).split_whitespace() {
            if word.starts_with('/') {
                files.push(PathBuf::from(word));
            }
        }
        for f in &files {
            let target = root.join(f.strip_prefix("/").unwrap());
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(f, &target).unwrap();
        }
        // Health checks run `/bin/sh -c CMD` in the container.
        std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
        let image = format!("{}-busybox:1", self.prefix);
        let mut tar =
            Command::new("tar").arg("-C").arg(&root).args(["-c", "."]).stdout(Stdio::piped()).spawn().unwrap();
        let out = Command::new("docker")
            .env("DOCKER_HOST", self.host())
            .args(["import", "-", &image])
            .stdin(tar.stdout.take().unwrap())
            .output()
            .unwrap();
        assert!(tar.wait().unwrap().success(), "tar of {}", root.display());
        assert!(out.status.success(), "docker import: {}", String::from_utf8_lossy(&out.stderr));
        image
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let ids = self.docker(&["ps", "-aq"]);
        let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout).split_whitespace().map(str::to_owned).collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids.iter().map(String::as_str));
            self.docker(&args);
        }
        Command::new("kill").arg(self.child.id().to_string()).status().ok();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn gid_of(user: &str) -> u32 {
    let out = Command::new("id").arg("-g").arg(user).output().unwrap();
    assert!(out.status.success(), "no account {user}: run `make test-deps`");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn find<'a>(list: &'a [ContainerInfo], name: &str) -> &'a ContainerInfo {
    list.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no container {name} in {list:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containers_of_a_real_docker_daemon_asked_only_when_they_change() {
    let docker = Dockerd::start(gid_of(TEST_USER));
    let image = docker.import_busybox();
    let (web, job, busy, late) = (docker.name("web"), docker.name("job"), docker.name("busy"), docker.name("late"));
    let health = ["--health-cmd", "/bin/busybox true", "--health-interval", "1s"];
    docker.ok(&[&["run", "-d", "--name", &web][..], &health, &[&image, "/bin/busybox", "sleep", "600"]].concat());
    // Runs to its end: exited, status 3.
    let out = docker.docker(&["run", "--name", &job, &image, "/bin/busybox", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let loop_ = ["/bin/busybox", "sh", "-c", "while :; do :; done"];
    docker.ok(&[&["run", "-d", "--name", &busy, "--cpus", "0.5", &image][..], &loop_].concat());
    let deadline = Instant::now() + Duration::from_secs(60);
    while docker.ok(&["inspect", "-f", "{{.State.Health.Status}}", &web]) != "healthy" {
        assert!(Instant::now() < deadline, "{web} never healthy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let sshd = Sshd::start_with(&format!("SetEnv DOCKER_HOST={}", docker.host())).await;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::from(
        fleetwatch_store::connect(&format!("sqlite://{}", dir.path().join("fw.db").display())).await.unwrap(),
    );
    store.migrate().await.unwrap();
    let toml = sshd.server_toml("docker-host");
    let servers = Config::from_toml(&toml, &BTreeMap::new()).unwrap().servers;
    let settings = CollectorSettings { connect_timeout_secs: 10, command_timeout_secs: 60, ..Default::default() };
    let collector = Collector::new(servers, store, settings);
    let cycle = || async {
        let mut reports = collector.run_cycle().await;
        let c = reports.pop().unwrap().result.unwrap_or_else(|e| panic!("collection failed: {e}\n{}", sshd.log_text()));
        let d = c.details.unwrap();
        assert!(d.section_errors.is_empty(), "{:?}", d.section_errors);
        d.containers.unwrap_or_else(|| panic!("no containers section result"))
    };

    // First cycle: the list, with what docker says of each container.
    let first = cycle().await;
    assert_eq!(docker.list_requests(), 1, "the first cycle asks the daemon once");
    let w = find(&first, &web);
    assert_eq!((w.state.as_str(), w.health.as_deref(), w.exit_code), ("running", Some("healthy"), None));
    assert_eq!(w.image, image);
    let j = find(&first, &job);
    assert_eq!((j.state.as_str(), j.exit_code), ("exited", Some(3)));
    assert_eq!(find(&first, &busy).state, "running");
    assert!(w.memory_bytes.is_some_and(|m| m > 0), "{w:?}");

    // A quiet cycle: nothing started or stopped, so the daemon is not asked; names and states
    // come from the kept list, usage from the cgroups. The rate needs an interval: 2 s.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let second = cycle().await;
    assert_eq!(docker.list_requests(), 1, "a quiet cycle reads the cgroups only");
    assert_eq!(find(&second, &job).exit_code, Some(3));
    let b = find(&second, &busy);
    let cpu = b.cpu_percent.unwrap_or_else(|| panic!("no CPU rate: {b:?}"));
    assert!((cpu - 50.0).abs() <= 15.0, "--cpus 0.5 but {cpu} %");
    assert!(find(&second, &web).cpu_percent.is_some_and(|c| c < 15.0), "a sleeping container");

    // A container starts: the running set changes, the daemon is asked again.
    docker.ok(&["run", "-d", "--name", &late, &image, "/bin/busybox", "sleep", "600"]);
    let third = cycle().await;
    assert_eq!(docker.list_requests(), 2, "a new container: asked again");
    assert_eq!(find(&third, &late).state, "running");

    // One stops: asked again, and it shows as exited.
    docker.ok(&["kill", &web]);
    let fourth = cycle().await;
    assert_eq!(docker.list_requests(), 3, "a container stopped: asked again");
    assert_eq!(find(&fourth, &web).state, "exited");
    assert_eq!(find(&fourth, &late).state, "running");
    collector.shutdown().await;
}
