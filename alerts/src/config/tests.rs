use std::time::Duration;

use fleetwatch_common::{Threshold, Thresholds};

use super::*;
use crate::builtin::{CPU_HIGH, DISK_FULL, SERVER_OFFLINE};
use crate::fixture::Secrets;

/// A webhook and a mail channel.
const CHANNELS: &str = r#"
[[channels]]
name = "ops"
kind = "webhook"
url = "https://hooks.example/ops"
[[channels]]
name = "mail"
kind = "email"
host = "smtp.example"
from = "fw@example"
to = ["ops@example"]
"#;

fn validate(rules: &str) -> Result<Alerting, ConfigErrors> {
    let cfg: AlertsConfig = toml::from_str(&format!("{rules}\n{CHANNELS}")).unwrap_or_else(|e| panic!("{e}"));
    cfg.validate(&Defaults::default(), &Secrets::default())
}

fn errors(rules: &str) -> Vec<String> {
    validate(rules).err().map(|e| e.0.iter().map(ToString::to_string).collect()).unwrap_or_default()
}

#[test]
fn the_contract_of_the_issue_loads() {
    let alerting = validate(
        r#"
        [[rules]]
        name = "load"
        metric = "cpu_load_5min"
        warning = 8
        critical = 16
        for_secs = 300
        clear = 6
        servers = ["web-*"]
        tags = ["prod"]
        channels = ["ops"]
        renotify_secs = 3600
        [[rules]]
        name = "inodes"
        metric = "disk[*].inodes_percent"
        critical = 95
        [[rules]]
        name = "few-connections"
        metric = "tcp[ESTABLISHED]"
        warning = 5
        critical = 1
        below = true
        clear = 10
        "#,
    );
    let a = alerting.unwrap_or_else(|e| panic!("{e}"));
    let load = a.rules.get("load").unwrap_or_else(|| panic!("load"));
    assert_eq!(
        (load.for_secs, load.renotify_secs, load.channels.as_slice()),
        (300, Some(3600), ["ops".to_string()].as_slice())
    );
    assert!(load.applies_to("web-1", &["prod".into()]) && !load.applies_to("db-1", &["prod".into()]));
    assert_eq!(a.rules.get("inodes").map(|r| r.channels.len()), Some(2), "no channels: every channel");
    assert_eq!(a.channels.len(), 2);
    assert_eq!(a.rules.rules.iter().filter(|r| r.builtin).count(), 9);
    assert_eq!(a.rules.rules.len(), 12);
}

#[test]
fn thresholds_become_the_default_rules() {
    let t = Thresholds { cpu: Threshold::new(60.0, 70.0), ..Thresholds::default() };
    let d = Defaults { thresholds: t, stale_after: Duration::from_secs(60) };
    let a = AlertsConfig::default().validate(&d, &Secrets::default()).unwrap_or_else(|e| panic!("{e}"));
    let levels = |name| match a.rules.get(name).map(|r| &r.condition) {
        Some(Condition::Threshold { metric, levels }) => (metric.as_str().to_owned(), levels.warning, levels.critical),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(levels(CPU_HIGH), ("cpu_percent".into(), Some(60.0), Some(70.0)));
    assert_eq!(levels(DISK_FULL), ("disk[*].used_percent".into(), Some(80.0), Some(90.0)));
    assert_eq!(a.rules.stale_after, Duration::from_secs(60));
}

#[test]
fn a_built_in_rule_is_overridden_by_name_or_switched_off() {
    let a = validate(
        "[[rules]]\nname = 'cpu-high'\ncritical = 99\nchannels = ['mail']\n[[rules]]\nname = 'server-offline'\nfor_secs = 120\n[[rules]]\nname = 'host-key-changed'\nenabled = false\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cpu = a.rules.get(CPU_HIGH).unwrap_or_else(|| panic!("cpu"));
    assert!(
        matches!(&cpu.condition, Condition::Threshold { levels, .. } if levels.warning == Some(70.0) && levels.critical == Some(99.0))
    );
    assert_eq!((cpu.channels.as_slice(), cpu.for_secs), (["mail".to_string()].as_slice(), 300));
    let offline = a.rules.get(SERVER_OFFLINE).unwrap_or_else(|| panic!("offline"));
    assert_eq!(offline.for_secs, 120);
    assert!(
        matches!(offline.condition, Condition::Check(Check::Offline { skip_host_key: false })),
        "without the host key rule, offline reports mismatches itself"
    );
    assert_eq!(a.rules.enabled().count(), 8);
}

#[test]
fn every_mistake_names_its_key() {
    let got = errors(
        r#"
        rules = [
            { name = "a", metric = "cpu_percent", warning = 90, critical = 80, channels = ["ops", "pager"] },
            { name = "b", metric = "disk[*].used_pct", warning = 80 },
            { name = "c", metric = "cpu_percent", warning = 80, clear = 85, servers = ["web-[0-9]"] },
            { name = "a", metric = "cpu_percent", warning = 1 },
            { name = "d" },
            { name = "e", metric = "free", below = true, warning = 10, critical = 20, renotify_secs = 0 },
            { name = "server-offline", warning = 3 },
        ]
        "#,
    );
    let keys: Vec<&str> = got.iter().filter_map(|e| e.split_once(':').map(|(k, _)| k)).collect();
    assert_eq!(
        keys,
        [
            "alerts.rules[3].name",
            "alerts.rules[6].warning",
            "alerts.rules[0].channels[1]",
            "alerts.rules[0].critical",
            "alerts.rules[1].metric",
            "alerts.rules[2].servers[0]",
            "alerts.rules[2].clear",
            "alerts.rules[4].metric",
            "alerts.rules[4].warning",
            "alerts.rules[5].renotify_secs",
            "alerts.rules[5].metric",
            "alerts.rules[5].critical",
        ],
        "{got:#?}"
    );
    let text = got.join("\n");
    assert!(text.contains("unknown channel `pager`; known: ops, mail"), "{text}");
    assert!(text.contains("alerts.rules[0].critical: 80 is below warning 90"), "{text}");
    assert!(text.contains("alerts.rules[5].critical: 20 is above warning 10; with below = true"), "{text}");
    assert!(text.contains("alerts.rules[2].clear: 85 must be below the first level (80)"), "{text}");
    assert!(text.contains("unknown metric `disk[*].used_pct`"), "{text}");
    assert!(text.contains("the built-in rule `server-offline` has no metric or levels"), "{text}");
}

#[test]
fn channels_and_silences_are_checked_in_the_same_pass() {
    let cfg: AlertsConfig = toml::from_str(
        r#"
        [[channels]]
        name = "x"
        kind = "slack"
        [[channels]]
        name = "x"
        kind = "discord"
        url = "https://d"
        [[silences]]
        servers = ["*"]
        cron = "0 3 * * *"
        duration_secs = 60
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let e = cfg.validate(&Defaults::default(), &Secrets::default()).err().unwrap_or(ConfigErrors(vec![]));
    assert_eq!(e.keys(), ["alerts.channels[0].url", "alerts.channels[1].name", "alerts.silences[0].cron"]);
}

#[test]
fn unknown_keys_are_refused_when_parsing() {
    assert!(toml::from_str::<AlertsConfig>("[[rules]]\nname = 'a'\nmetrc = 'cpu_percent'").is_err());
    assert!(toml::from_str::<AlertsConfig>("[[rule]]\nname = 'a'").is_err());
}
