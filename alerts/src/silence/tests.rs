use chrono::TimeZone;

use super::*;
use crate::fixture::at;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap_or_default()
}

fn silence(spec: SilenceSpec) -> Silence {
    Silence::new(spec).unwrap_or_else(|e| panic!("{e}"))
}

fn error(spec: SilenceSpec) -> String {
    Silence::new(spec).err().map(|e| e.to_string()).unwrap_or_default()
}

#[test]
fn a_one_off_silence_holds_between_start_and_end() {
    let s = silence(SilenceSpec {
        servers: vec!["web-*".into()],
        start: Some(at(100)),
        end: Some(at(200)),
        comment: "reboots".into(),
        ..Default::default()
    });
    assert!(!s.is_active(at(99)));
    assert!(s.is_active(at(100)));
    assert!(s.is_active(at(199)));
    assert!(!s.is_active(at(200)), "the end is exclusive");
    let silences = [s];
    assert!(is_silenced(&silences, "cpu-high", "web-1", &[], at(150)).is_some());
    assert!(is_silenced(&silences, "cpu-high", "db-1", &[], at(150)).is_none());
}

#[test]
fn servers_tags_and_rules_must_all_match_when_given() {
    let s = silence(SilenceSpec {
        tags: vec!["prod".into()],
        rules: vec!["disk-*".into()],
        end: Some(at(100)),
        ..Default::default()
    });
    let prod = ["prod".to_string()];
    assert!(s.matches("disk-full", "any", &prod));
    assert!(!s.matches("disk-full", "any", &[]), "tag missing");
    assert!(!s.matches("cpu-high", "any", &prod), "rule not covered");
}

#[test]
fn a_recurring_window_uses_six_fields_seconds_first_in_utc() {
    // Sundays 02:00 for two hours. 2026-12-06 is a Sunday.
    let s = silence(SilenceSpec {
        servers: vec!["*".into()],
        cron: Some("0 0 2 * * Sun".into()),
        duration_secs: Some(7_200),
        ..Default::default()
    });
    assert!(!s.is_active(utc(2026, 12, 6, 1, 59)));
    assert!(s.is_active(utc(2026, 12, 6, 2, 0)));
    assert!(s.is_active(utc(2026, 12, 6, 3, 59)));
    assert!(!s.is_active(utc(2026, 12, 6, 4, 0)));
    assert!(!s.is_active(utc(2026, 12, 7, 2, 30)), "Monday");
    assert!(s.is_active(utc(2026, 12, 13, 2, 30)), "next Sunday");
    // Windows may be bounded too.
    let bounded = silence(SilenceSpec { end: Some(utc(2026, 12, 10, 0, 0)), ..s.spec().clone() });
    assert!(bounded.is_active(utc(2026, 12, 6, 2, 30)));
    assert!(!bounded.is_active(utc(2026, 12, 13, 2, 30)));
}

#[test]
fn a_five_field_crontab_line_is_refused_with_an_example() {
    let spec = |cron: &str| SilenceSpec {
        servers: vec!["*".into()],
        cron: Some(cron.into()),
        duration_secs: Some(60),
        ..Default::default()
    };
    let e = error(spec("0 2 * * Sun"));
    assert!(e.starts_with("cron: expected 6 fields, seconds first"), "{e}");
    assert!(e.contains("got 5"), "{e}");
    assert!(error(spec("0 0 2 * * Funday")).starts_with("cron: "));
    assert!(Silence::new(spec("0 0 2 * * Sun 2027")).is_ok(), "7 fields: with a year");
}

#[test]
fn incomplete_silences_name_the_field() {
    let base = SilenceSpec { servers: vec!["*".into()], ..Default::default() };
    assert!(error(SilenceSpec::default()).starts_with("servers: a silence needs"));
    assert!(error(base.clone()).starts_with("end: required unless"));
    assert!(error(SilenceSpec { start: Some(at(10)), end: Some(at(10)), ..base.clone() }).starts_with("end: "));
    assert!(error(SilenceSpec { cron: Some("0 0 2 * * *".into()), ..base.clone() }).starts_with("duration_secs: "));
    assert!(error(SilenceSpec { duration_secs: Some(5), ..base.clone() }).starts_with("cron: required"));
    let bad_glob = SilenceSpec { servers: vec!["ok".into(), "web-[1]".into()], end: Some(at(1)), ..Default::default() };
    assert!(error(bad_glob).starts_with("servers[1]: "));
}

#[test]
fn a_silence_reads_and_writes_its_json_form() {
    let json = r#"{"servers":["web-*"],"start":null,"end":"2026-12-01T13:00:00Z","comment":"deploy","cron":null,"duration_secs":null}"#;
    let s: Silence = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.spec().comment, "deploy");
    assert_eq!(serde_json::to_string(&s).unwrap_or_default(), json);
    let bad = r#"{"servers":["*"],"cron":"0 2 * * *","duration_secs":60}"#;
    let e = serde_json::from_str::<Silence>(bad).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.starts_with("cron: expected 6 fields"), "{e}");
    assert!(serde_json::from_str::<Silence>(r#"{"servers":["*"],"until":"x"}"#).is_err(), "unknown fields refused");
}
