#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use chrono::TimeZone;
use fleetwatch_common::OfflineReason;

use super::*;

fn credentials() -> CollectError {
    let path = PathBuf::from("/nonexistent/fleetwatch-test-key");
    let source = russh::keys::load_secret_key(&path, None).unwrap_err();
    CollectError::Credentials { path, source }
}

fn io() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "broken pipe")
}

#[test]
fn each_failure_keeps_its_offline_reason_and_retry_rule() {
    let cases: Vec<(CollectError, OfflineReason, bool)> = vec![
        (CollectError::Dns { host: "h".into() }, OfflineReason::Dns, false),
        (CollectError::ConnectionRefused { addr: "h:22".into() }, OfflineReason::ConnectionRefused, true),
        (CollectError::Timeout { stage: Stage::Connecting, secs: 3 }, OfflineReason::Timeout, true),
        (CollectError::Busy, OfflineReason::Timeout, false),
        (CollectError::AuthFailed { user: "u".into() }, OfflineReason::AuthenticationFailed, false),
        (credentials(), OfflineReason::AuthenticationFailed, false),
        (
            CollectError::HostKeyMismatch {
                expected: "a".into(),
                presented: "b".into(),
                source_of_trust: TrustSource::Pinned,
            },
            OfflineReason::HostKeyMismatch,
            false,
        ),
        (
            CollectError::HostKeyUnknown { presented: "b".into(), known_hosts: "kh".into() },
            OfflineReason::HostKeyMismatch,
            false,
        ),
        (ConnectionError::HostKeyUnreadable.into(), OfflineReason::ConnectionFailed, true),
        (ScriptError::OutputTooLarge { cap_kib: 8 }.into(), OfflineReason::ScriptFailed, true),
        (ParseError::UserDisk("user_disk: section missing".into()).into(), OfflineReason::ParseError, false),
    ];
    for (e, reason, retryable) in cases {
        assert_eq!((e.reason(), e.retryable()), (reason, retryable), "{e}");
    }
}

#[test]
fn the_stored_messages_read_as_before() {
    let at = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let cases: Vec<(CollectError, &str)> = vec![
        (
            CollectError::Timeout { stage: Stage::RunningScripts, secs: 30 },
            "timed out after 30 s while running the scripts",
        ),
        (
            CollectError::HostKeyMismatch {
                expected: "SHA256:a".into(),
                presented: "SHA256:b".into(),
                source_of_trust: TrustSource::FirstUse { at },
            },
            "host key mismatch: expected SHA256:a (trusted on first use at 2026-01-02T03:04:05+00:00), \
             server presented SHA256:b",
        ),
        (
            ScriptError::Failed {
                status: ExitStatus::Code(127),
                stderr: StderrExcerpt::of(b"\n sh: nope: not found\nmore"),
            }
            .into(),
            "script failed: exit status 127: sh: nope: not found",
        ),
        (
            ScriptError::Failed { status: ExitStatus::Signal("KILL".into()), stderr: StderrExcerpt::default() }.into(),
            "script failed: killed by signal KILL: ",
        ),
        (ScriptError::OutputTooLarge { cap_kib: 8192 }.into(), "script failed: output exceeded 8192 KiB"),
        (
            ScriptError::Local { step: LocalStep::Start, source: io() }.into(),
            "script failed: cannot start sh: broken pipe",
        ),
        (ConnectionError::Tcp { addr: "h:22".into(), source: io() }.into(), "connection failed: h:22: broken pipe"),
        (
            ConnectionError::HostKeyUnrecorded.into(),
            "connection failed: cannot record the host key: database unavailable",
        ),
        (
            ParseError::UserDisk("user_disk: output truncated".into()).into(),
            "output could not be parsed: user_disk: output truncated",
        ),
    ];
    for (e, text) in cases {
        assert_eq!(e.to_string(), text);
    }
    let e = credentials().to_string();
    assert!(
        e.starts_with("cannot load credentials: cannot load identity file /nonexistent/fleetwatch-test-key: "),
        "{e}"
    );
}

#[test]
fn a_stderr_excerpt_is_one_bounded_line() {
    let long = "x".repeat(1000) + "\nsecond line";
    let e = StderrExcerpt::of(long.as_bytes());
    assert_eq!(e.as_str().chars().count(), StderrExcerpt::MAX_CHARS);
    assert!(!e.as_str().contains("second"));
}
