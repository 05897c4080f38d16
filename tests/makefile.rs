//! The Makefile's stack targets, run for real with GNU make: without a Docker engine they stop with
//! one line; against a stand-in `docker` (a script that records its arguments) they run the right
//! compose commands; collect-once, db-stats and cleanup-data pick the stack or the native binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fleetwatch_testkit::{repo, run, text};

/// Every target that needs the compose stack.
const STACK_TARGETS: [&str; 14] = [
    "all",
    "images",
    "up",
    "down",
    "restart",
    "logs",
    "logs-api",
    "logs-follow",
    "logs-errors",
    "ps",
    "health",
    "debug",
    "cclean",
    "restart-service",
];

/// `make -f <repo>/Makefile <args>` in `dir` (where it looks for .env).
fn make(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("make");
    cmd.arg("--no-print-directory").arg("-f").arg(repo().join("Makefile")).args(args).current_dir(dir);
    for var in ["NATIVE", "SERVICE", "CARGO", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"] {
        cmd.env_remove(var);
    }
    run(cmd.envs(env.iter().copied()))
}

/// A directory with a stand-in `docker` that records its arguments in `docker.log` and answers
/// as a host with a Docker engine would. `FAKE_RUNNING` lists the running services.
struct FakeDocker {
    dir: tempfile::TempDir,
}

impl FakeDocker {
    fn new(with_env_file: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let script = r#"#!/bin/sh
printf '%s\n' "$*" >> "$FAKE_DIR/docker.log"
case "$*" in
    "info --format {{.ServerVersion}}") echo 99.0.0 ;;
    "compose version") echo "Docker Compose version v2.99.0" ;;
    "compose ps --status running --services") for s in $FAKE_RUNNING; do echo "$s"; done ;;
    "compose ps --all --format "*) cat "$FAKE_DIR/ps.txt" ;;
    "compose logs --no-color --tail=200") cat "$FAKE_DIR/logs.txt" ;;
    "compose exec -T api curl "*) echo '{"status":"ready"}' ;;
esac
"#;
        let docker = bin.join("docker");
        std::fs::write(&docker, script).unwrap();
        std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
        if with_env_file {
            std::fs::write(dir.path().join(".env"), "POSTGRES_PASSWORD=x\n").unwrap();
        }
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn make(&self, args: &[&str], running: &str) -> Output {
        let path = format!("{}:{}", self.path().join("bin").display(), std::env::var("PATH").unwrap());
        let fake_dir = self.path().display().to_string();
        make(
            self.path(),
            args,
            &[
                ("PATH", &path),
                ("FAKE_DIR", &fake_dir),
                ("FAKE_RUNNING", running),
                ("FLEETWATCH", "echo native-fleetwatch"),
            ],
        )
    }

    /// The docker commands run, minus the probes (info, version, ps --services).
    fn commands(&self) -> Vec<String> {
        std::fs::read_to_string(self.path().join("docker.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                !l.starts_with("info ") && *l != "compose version" && *l != "compose ps --status running --services"
            })
            .map(str::to_string)
            .collect()
    }
}

fn one_line(out: &Output) -> String {
    let all = text(out);
    let lines: Vec<&str> = all.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{all}");
    lines[0].to_string()
}

#[test]
fn without_a_docker_engine_stack_targets_say_so_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    // No engine answers on this socket, whatever the machine has.
    let env = [("DOCKER_HOST", "unix:///nonexistent/docker.sock")];
    for target in STACK_TARGETS {
        let out = make(tmp.path(), &[target, "SERVICE=api"], &env);
        assert!(!out.status.success(), "make {target} succeeded without Docker");
        let line = one_line(&out);
        assert!(line.contains("no Docker engine answers") && line.contains("make run"), "make {target}: {line}");
    }
    // `make` alone is the stack (build + up).
    let out = make(tmp.path(), &[], &env);
    assert!(!out.status.success() && one_line(&out).contains("make images: no Docker engine"), "{}", text(&out));
    // Dry runs say the same: nothing would run.
    let out = make(tmp.path(), &["-n", "ps"], &env);
    assert!(!out.status.success() && one_line(&out).contains("no Docker engine"), "{}", text(&out));
}

#[test]
fn stack_targets_run_compose_and_explain_what_is_missing() {
    let docker = FakeDocker::new(true);
    std::fs::write(docker.path().join("logs.txt"), "").unwrap();
    for (args, expected) in [
        (vec!["up"], "compose up -d --wait --remove-orphans"),
        (vec!["down"], "compose down"),
        (vec!["ps"], "compose ps --all"),
        (vec!["logs-collector"], "compose logs --no-color --tail=200 collector"),
        // Seed 003's names for the same targets.
        (vec!["logs-Frontend"], "compose logs --no-color --tail=200 nginx"),
        (vec!["logs-API"], "compose logs --no-color --tail=200 api"),
        (vec!["logs-DataCollection"], "compose logs --no-color --tail=200 collector"),
        (vec!["logs-db"], "compose logs --no-color --tail=200 postgres"),
        (vec!["logs-all"], "compose logs --no-color --tail=200"),
        (vec!["restart-service", "SERVICE=nginx"], "compose restart nginx"),
        (vec!["rebuild-service", "SERVICE=api"], "compose up -d --no-deps --wait api"),
        (vec!["shell", "SERVICE=postgres"], "compose exec postgres sh"),
    ] {
        let before = docker.commands().len();
        let out = docker.make(&args, "");
        assert!(out.status.success(), "make {args:?}: {}", text(&out));
        let ran = docker.commands().split_off(before);
        assert!(ran.contains(&expected.to_string()), "make {args:?}: ran {ran:?}");
    }
    // `make` = build the images, then start.
    let out = docker.make(&[], "");
    assert!(out.status.success(), "{}", text(&out));
    let commands = docker.commands();
    let build = commands.iter().rposition(|c| c == "compose build").unwrap();
    let up = commands.iter().rposition(|c| c.starts_with("compose up -d --wait")).unwrap();
    assert!(build < up, "{commands:?}");

    let out = docker.make(&["restart-service"], "");
    assert!(one_line(&out).contains("SERVICE=<nginx|api|collector|postgres>"), "{}", text(&out));
    let out = docker.make(&["logs-nope"], "");
    assert!(one_line(&out).contains("no service \"nope\""), "{}", text(&out));
    let out = FakeDocker::new(false).make(&["ps"], "");
    assert!(one_line(&out).contains("no .env file: cp .env.example .env"), "{}", text(&out));
    // The example's placeholder password never reaches a database.
    std::fs::write(docker.path().join(".env"), "POSTGRES_PASSWORD=change-me-to-a-long-random-string\n").unwrap();
    let before = docker.commands().len();
    let out = docker.make(&["up"], "");
    assert!(one_line(&out).contains("POSTGRES_PASSWORD in .env is still the example's placeholder"), "{}", text(&out));
    assert_eq!(docker.commands().len(), before, "nothing ran");
}

#[test]
fn collect_once_db_stats_and_cleanup_pick_the_stack_or_the_native_binary() {
    let docker = FakeDocker::new(true);
    let cases = [
        ("collect-once", vec![], "collect-once"),
        ("db-stats", vec![], "db-stats"),
        ("cleanup-data", vec![], "cleanup"),
        ("cleanup-data", vec!["RETENTION=30d"], "cleanup --older-than 30d"),
    ];
    for (target, extra, fleetwatch_args) in &cases {
        let args: Vec<&str> = std::iter::once(*target).chain(extra.iter().copied()).collect();
        // The stack's collector runs: in its container.
        let out = docker.make(&args, "postgres api collector nginx");
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("in the compose stack"), "{}", text(&out));
        let exec = format!("compose exec -T collector fleetwatch {fleetwatch_args}");
        assert_eq!(docker.commands().last(), Some(&exec), "make {args:?}");
        let before = docker.commands().len();
        // No stack running, or NATIVE=1 even with one: the binary here (FLEETWATCH=echo …).
        for (running, native) in [("", None), ("postgres api collector nginx", Some("NATIVE=1"))] {
            let args: Vec<&str> = args.iter().copied().chain(native).collect();
            let out = docker.make(&args, running);
            assert!(out.status.success(), "{}", text(&out));
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(stdout.trim(), format!("native-fleetwatch {fleetwatch_args}"), "make {args:?}");
            assert!(text(&out).contains("natively"), "{}", text(&out));
            assert_eq!(docker.commands().len(), before, "make {args:?} ran docker: {:?}", docker.commands());
        }
    }
    // Without any Docker engine, natively too (no one-line refusal for these three).
    let tmp = tempfile::tempdir().unwrap();
    let out = make(
        tmp.path(),
        &["db-stats"],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock"), ("FLEETWATCH", "echo native-fleetwatch")],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "native-fleetwatch db-stats");
}

#[test]
fn logs_errors_keeps_the_error_lines_of_every_service() {
    let docker = FakeDocker::new(true);
    let logs = [
        r#"api-1        | {"timestamp":"t","level":"INFO","fields":{"message":"listening"}}"#,
        r#"collector-1  | {"timestamp":"t","level":"ERROR","fields":{"message":"cannot store"}}"#,
        r#"collector-1  | {"timestamp":"t","level":"WARN","fields":{"message":"web-1: timeout"}}"#,
        r#"nginx-1      | {"timestamp":"t","level":"ERROR","target":"nginx","fields":{"status":502}}"#,
        r#"nginx-1      | 2026/11/21 10:00:00 [error] 7#7: *1 connect() failed (111: Connection refused)"#,
        r#"nginx-1      | 2026/11/21 10:00:00 [notice] 1#1: start worker processes"#,
        r#"postgres-1   | 2026-11-21 10:00:00.000 UTC [1] FATAL:  password authentication failed"#,
        r#"postgres-1   | 2026-11-21 10:00:00.000 UTC [1] LOG:  database system is ready"#,
    ];
    std::fs::write(docker.path().join("logs.txt"), logs.join("\n") + "\n").unwrap();
    let out = docker.make(&["-s", "logs-errors"], "");
    assert!(out.status.success(), "{}", text(&out));
    let kept: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(kept, [logs[1], logs[2], logs[3], logs[4], logs[6]]);
    let out = docker.make(&["-s", "logs-errors", "LEVELS=ERROR"], "");
    let kept: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(kept, [logs[1], logs[3], logs[4], logs[6]]);
    std::fs::write(docker.path().join("logs.txt"), format!("{}\n", logs[0])).unwrap();
    let out = docker.make(&["-s", "logs-errors"], "");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("logs-errors: no ERROR|WARN line"), "{}", text(&out));
}

#[test]
fn health_fails_unless_every_service_is_healthy() {
    let docker = FakeDocker::new(true);
    let ps = |rows: &[(&str, &str, &str)]| {
        let text: String = rows.iter().map(|(s, state, health)| format!("{s}\t{state}\t{health}\n")).collect();
        std::fs::write(docker.path().join("ps.txt"), text).unwrap();
    };
    let all = [("nginx", "running", "healthy"), ("api", "running", "healthy"), ("collector", "running", "healthy")];
    ps(&[all[0], all[1], all[2], ("postgres", "running", "healthy")]);
    let out = docker.make(&["-s", "health"], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("ready"), "{}", text(&out));
    ps(&[all[0], all[1], all[2], ("postgres", "running", "unhealthy")]);
    let out = docker.make(&["-s", "health"], "");
    assert!(!out.status.success() && text(&out).contains("postgres is not running and healthy"), "{}", text(&out));
    ps(&all);
    let out = docker.make(&["-s", "health"], "");
    assert!(!out.status.success() && text(&out).contains("postgres is not running and healthy"), "{}", text(&out));
}

#[test]
fn the_native_targets_are_unchanged() {
    let root: PathBuf = repo();
    for (target, expected) in [
        (
            "test",
            "FLEETWATCH_TEST_WEB_DIR=".to_string()
                + &root.join("dist").display().to_string()
                + " cargo test --workspace --no-fail-fast",
        ),
        ("run", "./target/release/fleetwatch serve".to_string()),
        ("build", "cargo build --release --bin fleetwatch".to_string()),
        ("frontend", "frontend/build.sh dist".to_string()),
        ("lint", "cargo clippy --workspace --all-targets -- -D warnings".to_string()),
    ] {
        let out = make(&root, &["-n", target], &[]);
        assert!(out.status.success(), "make -n {target}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).lines().any(|l| l == expected),
            "make -n {target}:\n{}",
            text(&out)
        );
    }
    let out = make(&root, &["-n", "test"], &[]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(".ci/test-deps.sh"),
        "make test installs the test deps first"
    );
    let out = make(&root, &["help"], &[]);
    let help = String::from_utf8_lossy(&out.stdout);
    for target in [
        "make up",
        "down",
        "restart",
        "restart-service",
        "logs-<service>",
        "logs-follow",
        "logs-errors",
        "make ps",
        "health",
        "collect-once",
        "db-stats",
        "cleanup-data",
        "debug",
        "shell",
        "make test",
        "make build",
        "rebuild-service",
        "cclean",
        "make run",
    ] {
        assert!(help.contains(target), "make help does not mention {target}");
    }
}
