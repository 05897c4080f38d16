use fleetwatch_common::OfflineReason;

use super::*;
use crate::fixture::{at, details, rules, sample, view};
use crate::silence::SilenceSpec;
use crate::state::{AlertState, TransitionKind as K};

const CPU_RULE: &str = r#"
[[rules]]
name = "cpu-high"
warning = 80
critical = 95
clear = 70
for_secs = 300
"#;

/// Evaluates one server with the given CPU at `secs` after t0; the kinds that came out.
fn cpu_step(book: &mut AlertBook, rules: &RuleSet, cpu: f64, secs: i64) -> Vec<Transition> {
    let s = sample("web-1", cpu, at(secs));
    evaluate(book, rules, &[view(&s, None)], &[], at(secs))
}

fn ack(by: &str, at: chrono::DateTime<chrono::Utc>) -> crate::Acknowledgement {
    crate::Acknowledgement { by: by.into(), at, comment: Some("on it".into()) }
}

fn kinds(ts: &[Transition]) -> Vec<(K, Severity)> {
    ts.iter().map(|t| (t.kind, t.severity)).collect()
}

#[test]
fn an_alert_goes_pending_fires_after_for_changes_severity_and_resolves_at_clear() {
    let rules = rules(CPU_RULE);
    let mut book = AlertBook::default();
    assert!(cpu_step(&mut book, &rules, 50.0, 0).is_empty());
    let t = cpu_step(&mut book, &rules, 85.0, 60);
    assert_eq!(kinds(&t), [(K::Pending, Severity::Warning)]);
    assert!(!t[0].notify);
    assert!(cpu_step(&mut book, &rules, 86.0, 300).is_empty(), "240 s held of 300");
    let t = cpu_step(&mut book, &rules, 87.0, 360);
    assert_eq!(kinds(&t), [(K::Firing, Severity::Warning)]);
    assert_eq!(
        (t[0].from, t[0].to, t[0].since, t[0].fired_value),
        (AlertState::Pending, AlertState::Firing, at(360), Some(87.0))
    );
    assert_eq!(t[0].metric.as_deref(), Some("cpu_percent"));
    assert!(t[0].notify);
    let t = cpu_step(&mut book, &rules, 97.0, 420);
    assert_eq!(kinds(&t), [(K::SeverityChanged, Severity::Critical)]);
    assert_eq!(t[0].previous_severity, Some(Severity::Warning));
    let t = cpu_step(&mut book, &rules, 82.0, 480);
    assert_eq!(kinds(&t), [(K::SeverityChanged, Severity::Warning)], "severity moves both ways");
    assert!(cpu_step(&mut book, &rules, 75.0, 540).is_empty(), "75 is above clear: still firing");
    assert_eq!(book.get("web-1", "cpu-high", "").map(|a| (a.state, a.value)), Some((AlertState::Firing, Some(75.0))));
    let t = cpu_step(&mut book, &rules, 70.0, 600);
    assert_eq!(kinds(&t), [(K::Resolved, Severity::Warning)]);
    assert_eq!((t[0].value, t[0].fired_value, t[0].since, t[0].at), (Some(70.0), Some(87.0), at(360), at(600)));
    assert!(t[0].notify);
    assert!(book.is_empty());
}

#[test]
fn a_level_that_does_not_hold_for_long_enough_is_cancelled_untold() {
    let rules = rules(CPU_RULE);
    let mut book = AlertBook::default();
    cpu_step(&mut book, &rules, 90.0, 0);
    let t = cpu_step(&mut book, &rules, 60.0, 100);
    assert_eq!(kinds(&t), [(K::Cancelled, Severity::Warning)]);
    assert_eq!((t[0].to, t[0].notify), (AlertState::Ok, false));
    assert!(book.is_empty());
}

#[test]
fn a_glob_is_one_alert_per_mount_and_a_vanished_mount_resolves() {
    let rules = rules("[[rules]]\nname = 'disk-full'\nwarning = 50\ncritical = 90\n");
    let mut book = AlertBook::default();
    let s = sample("db-1", 10.0, at(0));
    let mut d = details("db-1", at(0));
    let t = evaluate(&mut book, &rules, &[view(&s, Some(&d))], &[], at(0));
    let fired: Vec<(&str, Severity, Option<&str>)> =
        t.iter().map(|t| (t.instance.as_str(), t.severity, t.metric.as_deref())).collect();
    assert_eq!(
        fired,
        [
            ("/", Severity::Warning, Some("disk[/].used_percent")),
            ("/var", Severity::Critical, Some("disk[/var].used_percent"))
        ]
    );
    d.disks.clear();
    assert!(evaluate(&mut book, &rules, &[view(&s, Some(&d))], &[], at(60)).is_empty(), "no disks read: keep");
    assert_eq!(book.len(), 2);
    let mut d = details("db-1", at(120));
    d.disks.retain(|x| x.mount == "/");
    let t = evaluate(&mut book, &rules, &[view(&s, Some(&d))], &[], at(120));
    assert_eq!(t.iter().map(|t| (t.kind, t.instance.as_str())).collect::<Vec<_>>(), [(K::Resolved, "/var")]);
    assert_eq!(t[0].detail.as_deref(), Some("no longer reported"));
}

#[test]
fn offline_fires_with_its_reason_and_a_changed_host_key_waits_for_a_human() {
    let rules = rules("");
    let mut book = AlertBook::default();
    let s = sample("web-1", 10.0, at(0));
    let refused = Failure { reason: OfflineReason::ConnectionRefused, detail: Some("port 22") };
    let down = ServerView { failure: Some(refused), ..view(&s, None) };
    let t = evaluate(&mut book, &rules, &[down], &[], at(60));
    assert_eq!(t.iter().map(|t| (t.rule.as_str(), t.kind)).collect::<Vec<_>>(), [("server-offline", K::Firing)]);
    assert_eq!((t[0].severity, t[0].detail.as_deref()), (Severity::Critical, Some("connection refused: port 22")));
    let key = Failure { reason: OfflineReason::HostKeyMismatch, detail: None };
    let t = evaluate(&mut book, &rules, &[ServerView { failure: Some(key), ..view(&s, None) }], &[], at(120));
    let got: Vec<_> = t.iter().map(|t| (t.rule.as_str(), t.kind)).collect();
    assert_eq!(got, [("server-offline", K::Resolved), ("host-key-changed", K::Firing)], "one alert, not two");
    let back = sample("web-1", 10.0, at(180));
    let t = evaluate(&mut book, &rules, &[view(&back, None)], &[], at(180));
    assert!(t.is_empty(), "a changed host key is never resolved by itself: {t:?}");
    let t = book.resolve("web-1", "host-key-changed", "", at(200), "new key accepted by admin");
    assert_eq!(
        t.map(|t| (t.kind, t.notify, t.detail)),
        Some((K::Resolved, true, Some("new key accepted by admin".into())))
    );
}

#[test]
fn a_changed_host_key_resolves_at_the_first_success_after_its_acceptance() {
    let rules = rules("");
    let mut book = AlertBook::default();
    let s = sample("web-1", 10.0, at(0));
    let key = Failure { reason: OfflineReason::HostKeyMismatch, detail: None };
    // An acceptance older than the alert does not count.
    let old = Some(at(30));
    let changed = ServerView { failure: Some(key), host_key_accepted: old, ..view(&s, None) };
    let t = evaluate(&mut book, &rules, &[changed], &[], at(60));
    assert_eq!(t.iter().map(|t| (t.rule.as_str(), t.kind)).collect::<Vec<_>>(), [("host-key-changed", K::Firing)]);
    let back = sample("web-1", 10.0, at(90));
    assert!(
        evaluate(&mut book, &rules, &[ServerView { host_key_accepted: old, ..view(&back, None) }], &[], at(90))
            .is_empty()
    );
    // Accepted at 100, but the server still fails (no collection since): it holds.
    let accepted = Some(at(100));
    let still = ServerView { failure: Some(key), host_key_accepted: accepted, ..view(&s, None) };
    assert!(evaluate(&mut book, &rules, &[still], &[], at(110)).is_empty(), "never before a success");
    // The next collection succeeds: resolved, and told.
    let now_ok = sample("web-1", 10.0, at(120));
    let t =
        evaluate(&mut book, &rules, &[ServerView { host_key_accepted: accepted, ..view(&now_ok, None) }], &[], at(120));
    assert_eq!(
        t.iter().map(|t| (t.rule.as_str(), t.kind, t.notify)).collect::<Vec<_>>(),
        [("host-key-changed", K::Resolved, true)]
    );
    assert!(book.is_empty());
}

#[test]
fn an_old_sample_is_stale_and_its_figures_no_longer_count() {
    let rules = rules(CPU_RULE);
    let mut book = AlertBook::default();
    let s = sample("web-1", 90.0, at(0));
    assert_eq!(kinds(&evaluate(&mut book, &rules, &[view(&s, None)], &[], at(0))), [(K::Pending, Severity::Warning)]);
    // 10 minutes is the fixture's stale_after: at 601 s the sample is stale.
    let t = evaluate(&mut book, &rules, &[view(&s, None)], &[], at(601));
    assert_eq!(t.iter().map(|t| (t.rule.as_str(), t.kind)).collect::<Vec<_>>(), [("server-stale", K::Firing)]);
    assert!(t[0].detail.as_deref().is_some_and(|d| d.starts_with("no sample for 10 min")), "{:?}", t[0].detail);
    assert_eq!(book.get("web-1", "cpu-high", "").map(|a| a.state), Some(AlertState::Pending), "not fired on old data");
}

#[test]
fn acknowledging_stops_renotification_until_resolved() {
    let rules =
        rules("[[rules]]\nname = 'cpu-high'\nwarning = 80\ncritical = 99\nrenotify_secs = 3600\nfor_secs = 0\n");
    let mut book = AlertBook::default();
    assert_eq!(kinds(&cpu_step(&mut book, &rules, 90.0, 0)), [(K::Firing, Severity::Warning)]);
    assert!(cpu_step(&mut book, &rules, 90.0, 3599).is_empty());
    assert_eq!(kinds(&cpu_step(&mut book, &rules, 90.0, 3600)), [(K::Renotify, Severity::Warning)]);
    assert!(cpu_step(&mut book, &rules, 90.0, 3700).is_empty(), "the hour starts again from the repeat");
    let acked = book.acknowledge("web-1", "cpu-high", "", ack("ann", at(3800))).map(|a| a.acknowledged.clone());
    assert_eq!(acked, Ok(Some(ack("ann", at(3800)))));
    assert!(cpu_step(&mut book, &rules, 90.0, 9000).is_empty(), "acknowledged: no repeat");
    assert_eq!(kinds(&cpu_step(&mut book, &rules, 10.0, 9100)), [(K::Resolved, Severity::Warning)]);
    assert_eq!(
        book.acknowledge("web-1", "cpu-high", "", ack("ann", at(9200))).err(),
        Some(crate::state::AckError::NotFound)
    );
}

#[test]
fn a_silence_holds_the_message_back_and_it_is_told_when_the_silence_ends() {
    let rules = rules("[[rules]]\nname = 'cpu-high'\nwarning = 80\nfor_secs = 0\n");
    let silence = Silence::new(SilenceSpec {
        servers: vec!["web-*".into()],
        end: Some(at(600)),
        comment: "kernel upgrade".into(),
        ..Default::default()
    });
    let silences = [silence.unwrap_or_else(|e| panic!("{e}"))];
    let mut book = AlertBook::default();
    let step = |book: &mut AlertBook, cpu, secs| {
        let s = sample("web-1", cpu, at(secs));
        evaluate(book, &rules, &[view(&s, None)], &silences, at(secs))
    };
    let t = step(&mut book, 90.0, 0);
    assert_eq!(t.iter().map(|t| (t.kind, t.notify, t.silenced)).collect::<Vec<_>>(), [(K::Firing, false, true)]);
    assert!(step(&mut book, 91.0, 300).is_empty(), "still silenced: nothing new to record");
    let t = step(&mut book, 92.0, 600);
    assert_eq!(t.iter().map(|t| (t.kind, t.notify, t.since)).collect::<Vec<_>>(), [(K::Firing, true, at(0))]);
    let t = step(&mut book, 10.0, 700);
    assert_eq!(t.iter().map(|t| (t.kind, t.notify)).collect::<Vec<_>>(), [(K::Resolved, true)]);
    // Told once, its resolution is told; one that resolves inside its silence is never told.
    let mut quiet = AlertBook::default();
    step(&mut quiet, 90.0, 0);
    let t = step(&mut quiet, 10.0, 100);
    assert_eq!(t.iter().map(|t| (t.kind, t.notify)).collect::<Vec<_>>(), [(K::Resolved, false)]);
}

#[test]
fn servers_left_out_keep_their_alerts_and_switched_off_rules_resolve() {
    let on = rules("[[rules]]\nname = 'cpu-high'\nwarning = 80\nfor_secs = 0\n");
    let mut book = AlertBook::default();
    cpu_step(&mut book, &on, 90.0, 0);
    assert!(evaluate(&mut book, &on, &[], &[], at(60)).is_empty());
    assert_eq!(book.len(), 1);
    let off = rules("[[rules]]\nname = 'cpu-high'\nenabled = false\n");
    let t = cpu_step(&mut book, &off, 90.0, 120);
    assert_eq!(t.iter().map(|t| (t.kind, t.rule.as_str())).collect::<Vec<_>>(), [(K::Resolved, "cpu-high")]);
    assert!(book.is_empty());
}

#[test]
fn failing_sections_and_bad_containers_are_one_alert_each() {
    let rules = rules("[[rules]]\nname = 'section-failing'\nfor_secs = 0\n");
    let mut book = AlertBook::default();
    let s = sample("a", 10.0, at(0));
    let mut d = details("a", at(0));
    d.section_errors = vec!["disks: df timed out".into(), "containers: permission denied".into()];
    d.containers = Some(vec![
        fleetwatch_common::ContainerInfo {
            name: "api".into(),
            state: "exited".into(),
            exit_code: Some(137),
            ..Default::default()
        },
        fleetwatch_common::ContainerInfo {
            name: "db".into(),
            state: "running".into(),
            health: Some("unhealthy".into()),
            ..Default::default()
        },
        fleetwatch_common::ContainerInfo {
            name: "ok".into(),
            state: "exited".into(),
            exit_code: Some(0),
            ..Default::default()
        },
    ]);
    let t = evaluate(&mut book, &rules, &[view(&s, Some(&d))], &[], at(0));
    let got: Vec<_> = t
        .iter()
        .filter(|t| t.rule != "disk-full")
        .map(|t| (t.rule.as_str(), t.instance.as_str(), t.detail.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        got,
        [
            ("section-failing", "disks", "df timed out"),
            ("section-failing", "containers", "permission denied"),
            ("container-unhealthy", "api", "api exited with code 137"),
            ("container-unhealthy", "db", "db is unhealthy (running)"),
        ]
    );
}

#[test]
fn the_book_survives_a_round_trip_through_json() {
    let rules = rules(CPU_RULE);
    let mut book = AlertBook::default();
    cpu_step(&mut book, &rules, 90.0, 0);
    cpu_step(&mut book, &rules, 90.0, 300);
    let json = serde_json::to_string(&book).unwrap_or_default();
    let back: AlertBook = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(back, book);
    assert_eq!(back.len(), 1);
}
