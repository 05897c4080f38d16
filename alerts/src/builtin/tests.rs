use fleetwatch_common::{ContainerInfo, OfflineReason};

use super::*;
use crate::evaluate::Failure;
use crate::fixture::{at, details, sample, view};

const TEN_MIN: Duration = Duration::from_secs(600);

/// (instance, severity reached, detail) of each reading.
type Got = Vec<(String, Option<Severity>, Option<String>)>;

fn read(check: Check, server: &ServerView<'_>, secs: i64) -> (Got, Coverage) {
    let mut out = Vec::new();
    let coverage = check.read(server, TEN_MIN, at(secs), &mut out);
    (out.into_iter().map(|r| (r.instance.to_owned(), r.reached, r.detail)).collect(), coverage)
}

#[test]
fn every_builtin_is_listed_once_with_its_defaults() {
    let all = builtins(&Defaults::default());
    let names: Vec<&str> = all.iter().map(|b| b.spec.name.as_str()).collect();
    assert_eq!(
        names,
        [
            SERVER_OFFLINE,
            SERVER_STALE,
            HOST_KEY_CHANGED,
            SECTION_FAILING,
            CONTAINER_UNHEALTHY,
            SWAP_USED,
            CPU_HIGH,
            RAM_HIGH,
            DISK_FULL
        ]
    );
    let thresholds = Thresholds::default();
    let cpu = all.iter().find(|b| b.spec.name == CPU_HIGH).map(|b| (b.spec.warning, b.spec.critical, b.check));
    assert_eq!(cpu, Some((Some(thresholds.cpu.warning), Some(thresholds.cpu.critical), None)));
}

#[test]
fn offline_carries_the_reason_and_leaves_host_keys_to_their_rule() {
    let s = sample("a", 1.0, at(0));
    let timeout = Failure { reason: OfflineReason::Timeout, detail: Some("after 10 s") };
    let down = ServerView { failure: Some(timeout), ..view(&s, None) };
    let (r, _) = read(Check::Offline { skip_host_key: true }, &down, 0);
    assert_eq!(r, [(String::new(), Some(Severity::Critical), Some("timeout: after 10 s".into()))]);
    let key = ServerView {
        failure: Some(Failure { reason: OfflineReason::HostKeyMismatch, detail: None }),
        ..view(&s, None)
    };
    assert_eq!(read(Check::Offline { skip_host_key: true }, &key, 0).0[0].1, None);
    assert_eq!(read(Check::Offline { skip_host_key: false }, &key, 0).0[0].1, Some(Severity::Critical));
    assert_eq!(read(Check::HostKeyChanged, &key, 0).0[0].2.as_deref(), Some("host key mismatch"));
    assert_eq!(read(Check::Offline { skip_host_key: true }, &view(&s, None), 0).0[0].1, None);
}

#[test]
fn stale_is_measured_from_the_last_sample_and_only_while_not_offline() {
    let s = sample("a", 1.0, at(0));
    assert_eq!(read(Check::Stale, &view(&s, None), 600).0[0].1, None, "at the limit is not past it");
    let (r, _) = read(Check::Stale, &view(&s, None), 7_300);
    assert_eq!(r[0].1, Some(Severity::Warning));
    assert_eq!(r[0].2.as_deref(), Some("no sample for 2 h (limit 10 min)"));
    let failing = ServerView { failure: Some(Failure { reason: OfflineReason::Dns, detail: None }), ..view(&s, None) };
    assert_eq!(read(Check::Stale, &failing, 7_300).0[0].1, None, "offline says it already");
    let never = ServerView { latest: None, ..view(&s, None) };
    assert_eq!(read(Check::Stale, &never, 7_300).0[0].1, None);
}

#[test]
fn containers_are_bad_when_unhealthy_or_exited_non_zero() {
    let s = sample("a", 1.0, at(0));
    let mut d = details("a", at(0));
    let c = |name: &str, state: &str, health: Option<&str>, code: Option<i64>| ContainerInfo {
        name: name.into(),
        state: state.into(),
        health: health.map(Into::into),
        exit_code: code,
        ..Default::default()
    };
    d.containers = Some(vec![
        c("web", "running", Some("healthy"), None),
        c("oom", "exited", None, Some(137)),
        c("done", "exited", None, Some(0)),
        c("sick", "running", Some("unhealthy"), None),
    ]);
    let (r, coverage) = read(Check::ContainerUnhealthy, &view(&s, Some(&d)), 0);
    let bad: Vec<&str> = r.iter().filter(|r| r.1.is_some()).map(|r| r.0.as_str()).collect();
    assert_eq!((bad, r.len(), coverage), (vec!["oom", "sick"], 4, Coverage::Complete));
    d.containers = None;
    assert_eq!(read(Check::ContainerUnhealthy, &view(&s, Some(&d)), 0), (vec![], Coverage::Partial));
}

#[test]
fn a_failing_section_is_read_only_from_a_fresh_sample() {
    let s = sample("a", 1.0, at(0));
    let mut d = details("a", at(0));
    d.section_errors = vec!["network: /proc/net/dev unreadable".into(), "odd".into()];
    let (r, coverage) = read(Check::SectionFailing, &view(&s, Some(&d)), 0);
    let got: Vec<(&str, Option<&str>)> = r.iter().map(|r| (r.0.as_str(), r.2.as_deref())).collect();
    assert_eq!(
        (got, coverage),
        (vec![("network", Some("/proc/net/dev unreadable")), ("odd", Some(""))], Coverage::Complete)
    );
    assert_eq!(read(Check::SectionFailing, &view(&s, Some(&d)), 601), (vec![], Coverage::Partial));
}

#[test]
fn human_durations() {
    assert_eq!(human(Duration::from_secs(95)), "95 s");
    assert_eq!(human(Duration::from_secs(720)), "12 min");
    assert_eq!(human(Duration::from_secs(3 * 3_600 + 59)), "3 h");
}
