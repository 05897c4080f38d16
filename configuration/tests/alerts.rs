//! `[alerts]` and `public_url` at load: errors name the key; secrets come from the environment.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use fleetwatch_config::{Config, EXAMPLE};

const CHANNEL: &str = "[[alerts.channels]]\nname = \"ops\"\nkind = \"slack\"\nurl_env = \"OPS_HOOK\"\n";

fn env() -> BTreeMap<String, String> {
    [
        ("OPS_HOOK".to_string(), "https://hooks.example/T0/B0/secret-path".to_string()),
        ("WEB1_SSH_PASSWORD".to_string(), "x".to_string()),
    ]
    .into()
}

fn error(toml: &str) -> String {
    Config::from_toml(toml, &env()).expect_err("must be refused").to_string()
}

#[test]
fn a_rule_naming_an_unknown_channel_is_refused_by_key() {
    let e = error(&format!(
        "{CHANNEL}[[alerts.rules]]\nname = \"x\"\nmetric = \"cpu_percent\"\nwarning = 5\nchannels = [\"pager\"]\n"
    ));
    assert!(e.contains("alerts.rules[0].channels[0]") && e.contains("pager") && e.contains("ops"), "{e}");
}

#[test]
fn warning_above_critical_is_refused_by_key() {
    let e = error("[[alerts.rules]]\nname = \"x\"\nmetric = \"cpu_percent\"\nwarning = 90\ncritical = 80\n");
    assert!(e.contains("alerts.rules[0].critical"), "{e}");
}

#[test]
fn an_unknown_metric_is_refused_by_key() {
    let e = error("[[alerts.rules]]\nname = \"x\"\nmetric = \"cpu_percnt\"\nwarning = 90\n");
    assert!(e.contains("alerts.rules[0].metric"), "{e}");
}

#[test]
fn a_bad_cron_in_a_window_is_refused_by_key() {
    let e = error("[[alerts.silences]]\nservers = [\"db-*\"]\ncron = \"0 2 * * *\"\nduration_secs = 60\n");
    assert!(e.contains("alerts.silences[0].cron"), "{e}");
}

#[test]
fn a_bad_public_url_is_refused_by_key() {
    let e = error("public_url = \"fleet.example.com\"\n");
    assert!(e.contains("public_url"), "{e}");
}

#[test]
fn channels_read_their_secrets_and_never_show_them() {
    let text = format!("public_url = \"https://fleet.example.com/\"\n{CHANNEL}");
    let c = Config::from_toml(&text, &env()).unwrap();
    assert_eq!(c.public_url.as_deref(), Some("https://fleet.example.com"));
    assert_eq!(c.alerting.channels.len(), 1);
    let shown = format!("{c:?}");
    assert!(!shown.contains("secret-path"), "a webhook URL is a secret: {shown}");
    let e = Config::from_toml(CHANNEL, &BTreeMap::new()).unwrap_err().to_string();
    assert!(e.contains("alerts.channels[0].url_env") && e.contains("OPS_HOOK"), "{e}");
}

#[test]
fn the_example_documents_alerts_and_loads() {
    assert!(EXAMPLE.contains("[[alerts.channels]]") && EXAMPLE.contains("public_url"));
    let c = Config::from_toml(EXAMPLE, &env()).unwrap();
    assert!(c.alerting.rules.rules.iter().any(|r| r.name == "disk-full"));
}
