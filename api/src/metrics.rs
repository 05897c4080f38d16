//! `GET /metrics`: the fleet, its alerts and Fleetwatch's own figures in the Prometheus text
//! exposition format (version 0.0.4). Pure: the handler reads the store, this renders.
//!
//! Every family is written once (`# HELP`, `# TYPE`, then its samples, grouped); label values
//! are escaped; a missing or non-finite reading is left out, never written as NaN.

use std::fmt::Write;

use fleetwatch_alerts::{Alert, AlertState, Severity};
use fleetwatch_common::{Sample, Status};
use fleetwatch_store::{ChannelResult, ChannelTotals, CollectorStats};

use crate::fleet::ServerView;

/// The `Content-Type` of the answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What one scrape shows. `alerts` are the pending and firing alerts of configured servers.
pub struct Snapshot<'a> {
    pub servers: &'a [ServerView<'a>],
    pub alerts: &'a [(String, Alert)],
    /// `None` when the store could not tell.
    pub outbox_depth: Option<i64>,
    pub channels: &'a [ChannelResult],
    /// Notifications sent and failed per channel.
    pub totals: &'a [ChannelTotals],
    /// Each collector process's own figures.
    pub collectors: &'a [CollectorStats],
}

/// A sample's headline figures: metric name, help, and how to read it.
type Reading = fn(&Sample) -> Option<f64>;

const HEADLINE: &[(&str, &str, Reading)] = &[
    ("fleetwatch_cpu_percent", "CPU utilisation over the last interval, percent.", |s| s.cpu_percent),
    ("fleetwatch_load1", "Load average over 1 minute.", |s| s.cpu_load_1min),
    ("fleetwatch_load5", "Load average over 5 minutes.", |s| s.cpu_load_5min),
    ("fleetwatch_load15", "Load average over 15 minutes.", |s| s.cpu_load_15min),
    ("fleetwatch_ram_percent", "RAM used, percent.", |s| s.ram_percentage),
    ("fleetwatch_swap_percent", "Swap used, percent.", |s| s.swap_percentage),
    ("fleetwatch_disk_percent", "Use of the fullest real mount, percent.", |s| s.disk_percentage),
    ("fleetwatch_logged_users", "Logged-in users.", |s| s.logged_users.map(|v| v as f64)),
    ("fleetwatch_tcp_connections", "Established TCP connections, IPv4 and IPv6.", |s| {
        s.tcp_connections.map(|v| v as f64)
    }),
    ("fleetwatch_uptime_seconds", "Time since boot.", |s| s.uptime_seconds.map(|v| v as f64)),
    ("fleetwatch_cpu_cores", "CPU cores.", |s| s.cpu_cores.map(|v| v as f64)),
    ("fleetwatch_ram_total_bytes", "RAM installed.", |s| s.ram_total_bytes.map(|v| v as f64)),
    ("fleetwatch_ram_used_bytes", "RAM used.", |s| s.ram_used_bytes.map(|v| v as f64)),
    ("fleetwatch_disk_total_bytes", "Size of the fullest real mount.", |s| s.disk_total_bytes.map(|v| v as f64)),
    ("fleetwatch_disk_used_bytes", "Space used on the fullest real mount.", |s| s.disk_used_bytes.map(|v| v as f64)),
];

/// One metric family being written: its samples follow its `# HELP` and `# TYPE` lines.
struct Family<'o> {
    out: &'o mut String,
    name: &'static str,
}

impl<'o> Family<'o> {
    fn new(out: &'o mut String, name: &'static str, help: &str, kind: &str) -> Self {
        // `help` is ours: no backslash or newline to escape.
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
        Self { out, name }
    }

    fn gauge(out: &'o mut String, name: &'static str, help: &str) -> Self {
        Self::new(out, name, help, "gauge")
    }

    /// One sample; left out if `value` is not finite.
    fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        self.suffixed("", labels, value);
    }

    /// One sample of the family's name with `suffix` (`_bucket`, `_sum`, `_count` of a
    /// histogram); left out if `value` is not finite.
    fn suffixed(&mut self, suffix: &str, labels: &[(&str, &str)], value: f64) {
        if !value.is_finite() {
            return;
        }
        self.out.push_str(self.name);
        self.out.push_str(suffix);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

/// A label value as the exposition format wants it: `\`, `"` and newline escaped.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn bit(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// The whole answer.
pub fn render(snap: &Snapshot<'_>) -> String {
    let mut out = String::new();
    let servers: Vec<(&ServerView<'_>, String)> = snap.servers.iter().map(|v| (v, v.meta.tags.join(","))).collect();

    for (name, help, read) in HEADLINE {
        let mut f = Family::gauge(&mut out, name, help);
        for (v, tags) in &servers {
            if let Some(x) = v.latest.as_ref().and_then(read) {
                f.sample(&[("server", &v.meta.name), ("tags", tags)], x);
            }
        }
    }

    let mut f = Family::gauge(&mut out, "fleetwatch_server_up", "1 unless the server is offline (its status).");
    for (v, tags) in &servers {
        f.sample(&[("server", &v.meta.name), ("tags", tags)], bit(v.status.status != Status::Offline));
    }
    let mut f = Family::gauge(
        &mut out,
        "fleetwatch_server_last_sample_timestamp_seconds",
        "When the server's latest sample was taken, Unix time.",
    );
    for (v, tags) in &servers {
        if let Some(s) = &v.latest {
            f.sample(&[("server", &v.meta.name), ("tags", tags)], s.timestamp.timestamp_millis() as f64 / 1000.0);
        }
    }

    let mut f = Family::gauge(&mut out, "fleetwatch_alerts", "Current alerts by state and severity.");
    for state in [AlertState::Pending, AlertState::Firing] {
        for severity in [Severity::Warning, Severity::Critical] {
            let n = snap.alerts.iter().filter(|(_, a)| a.state == state && a.severity == severity).count();
            f.sample(&[("state", state_name(state)), ("severity", severity.as_str())], n as f64);
        }
    }
    let mut f = Family::gauge(&mut out, "fleetwatch_alert_firing", "1 for each firing alert.");
    for (server, a) in snap.alerts.iter().filter(|(_, a)| a.state == AlertState::Firing) {
        let labels = [
            ("server", server.as_str()),
            ("rule", &a.rule),
            ("instance", &a.instance),
            ("severity", a.severity.as_str()),
        ];
        f.sample(&labels, 1.0);
    }

    if let Some(depth) = snap.outbox_depth {
        let mut f = Family::gauge(
            &mut out,
            "fleetwatch_notification_outbox_depth",
            "Notifications waiting in the outbox for delivery.",
        );
        f.sample(&[], depth as f64);
    }
    let mut f = Family::gauge(&mut out, "fleetwatch_channel_up", "1 if the channel's last delivery succeeded.");
    for c in snap.channels {
        f.sample(&[("channel", &c.channel)], bit(c.ok));
    }
    let mut f = Family::new(
        &mut out,
        "fleetwatch_notifications_total",
        "Notifications delivered (result sent) and delivery attempts failed (result failed), per channel.",
        "counter",
    );
    for t in snap.totals {
        f.sample(&[("channel", &t.channel), ("result", "sent")], t.sent as f64);
        f.sample(&[("channel", &t.channel), ("result", "failed")], t.failed as f64);
    }
    collectors(&mut out, snap.collectors);
    out
}

/// The collector processes' own figures, labelled by member.
fn collectors(out: &mut String, stats: &[CollectorStats]) {
    let mut f = Family::gauge(
        out,
        "fleetwatch_collector_last_cycle_seconds",
        "How long the collector's last cycle took (collection, storage, alert evaluation).",
    );
    for s in stats {
        f.sample(&[("member", &s.member)], s.last_cycle_ms as f64 / 1000.0);
    }
    let mut f = Family::gauge(
        out,
        "fleetwatch_collector_last_cycle_timestamp_seconds",
        "When the collector's last cycle ended, Unix time.",
    );
    for s in stats {
        f.sample(&[("member", &s.member)], s.at.timestamp_millis() as f64 / 1000.0);
    }
    let mut f = Family::gauge(
        out,
        "fleetwatch_collector_servers",
        "Servers collected (result ok) and failed (result failed) in the collector's last cycle.",
    );
    for s in stats {
        f.sample(&[("member", &s.member), ("result", "ok")], s.servers_ok as f64);
        f.sample(&[("member", &s.member), ("result", "failed")], s.servers_failed as f64);
    }
    let mut f = Family::new(
        out,
        "fleetwatch_collector_cycle_duration_seconds",
        "Durations of the collector's cycles since the process started.",
        "histogram",
    );
    for s in stats {
        for (bound, n) in &s.buckets {
            f.suffixed("_bucket", &[("member", &s.member), ("le", &bound.to_string())], *n as f64);
        }
        f.suffixed("_bucket", &[("member", &s.member), ("le", "+Inf")], s.cycles as f64);
        f.suffixed("_sum", &[("member", &s.member)], s.cycle_secs_sum);
        f.suffixed("_count", &[("member", &s.member)], s.cycles as f64);
    }
}

fn state_name(state: AlertState) -> &'static str {
    match state {
        AlertState::Ok => "ok",
        AlertState::Pending => "pending",
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{TimeZone, Utc};
    use fleetwatch_common::{Level, ServerStatus};

    use super::*;
    use crate::fleet::ServerMeta;

    fn meta(name: &str, tags: &[&str]) -> ServerMeta {
        ServerMeta {
            name: name.into(),
            transport: fleetwatch_common::Transport::Ssh,
            host: None,
            port: None,
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn sample(name: &str, cpu: Option<f64>) -> Sample {
        Sample {
            server_name: name.into(),
            cpu_percent: cpu,
            ram_percentage: Some(40.5),
            logged_users: Some(3),
            timestamp: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            ..Sample::default()
        }
    }

    fn status(name: &str, status: Status) -> ServerStatus {
        ServerStatus {
            server_name: name.into(),
            status,
            cpu_status: Level::Normal,
            ram_status: Level::Normal,
            disk_status: Level::Normal,
            last_seen: None,
            reason: None,
            detail: None,
        }
    }

    fn alert(rule: &str, instance: &str, state: AlertState, severity: Severity) -> Alert {
        let json = serde_json::json!({
            "rule": rule, "instance": instance, "state": state, "severity": severity,
            "since": "2026-01-02T03:00:00Z", "notified": false,
        });
        serde_json::from_value(json).unwrap()
    }

    fn render_with(metas: &[ServerMeta], latest: &[Option<Sample>], alerts: &[(String, Alert)]) -> String {
        let views: Vec<ServerView<'_>> = metas
            .iter()
            .zip(latest)
            .map(|(m, l)| ServerView { meta: m, status: status(&m.name, Status::Healthy), latest: l.clone() })
            .collect();
        let ch = ChannelResult { channel: "ops".into(), ok: false, at: Utc::now(), error: Some("HTTP 500".into()) };
        let totals = [ChannelTotals { channel: "ops".into(), sent: 7, failed: 2 }];
        let collectors = [CollectorStats {
            member: "host-1-42".into(),
            at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            last_cycle_ms: 1_500,
            servers_ok: 9,
            servers_failed: 1,
            cycles: 3,
            cycle_secs_sum: 4.5,
            buckets: vec![(0.5, 0), (2.5, 3)],
        }];
        let snap = Snapshot {
            servers: &views,
            alerts,
            outbox_depth: Some(4),
            channels: &[ch],
            totals: &totals,
            collectors: &collectors,
        };
        render(&snap)
    }

    #[test]
    fn escapes_backslash_quote_and_newline() {
        assert_eq!(escape(r#"a\b"c"#.to_string().as_str()), r#"a\\b\"c"#);
        assert_eq!(escape("x\ny"), "x\\ny");
        assert_eq!(escape("plain,tags"), "plain,tags");

        let metas = [meta("we\"ird\\\nname", &["a"])];
        let text = render_with(&metas, &[Some(sample("x", Some(1.0)))], &[]);
        assert!(text.contains("fleetwatch_cpu_percent{server=\"we\\\"ird\\\\\\nname\",tags=\"a\"} 1\n"), "{text}");
        assert!(!text.lines().any(|l| l == "name\",tags=\"a\"} 1"), "a raw newline split a line: {text}");
    }

    #[test]
    fn each_family_once_with_its_samples_grouped() {
        let metas = [meta("web-1", &["prod", "web"]), meta("db-1", &[])];
        let alerts = [
            ("web-1".to_string(), alert("disk-full", "/var", AlertState::Firing, Severity::Critical)),
            ("db-1".to_string(), alert("cpu-high", "", AlertState::Pending, Severity::Warning)),
        ];
        let text = render_with(&metas, &[Some(sample("web-1", Some(12.5))), Some(sample("db-1", Some(80.0)))], &alerts);
        let mut seen: Vec<&str> = Vec::new();
        let mut current = "";
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap();
                assert!(!seen.contains(&name), "{name} typed twice:\n{text}");
                seen.push(name);
                current = name;
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                let histogram = ["_bucket", "_sum", "_count"].iter().any(|s| name.strip_suffix(s) == Some(current));
                assert!(name == current || histogram, "sample {name} outside its family {current}:\n{text}");
            }
        }
        assert_eq!(text.matches("# HELP fleetwatch_cpu_percent ").count(), 1);
        for line in [
            r#"fleetwatch_cpu_percent{server="web-1",tags="prod,web"} 12.5"#,
            r#"fleetwatch_cpu_percent{server="db-1",tags=""} 80"#,
            r#"fleetwatch_logged_users{server="web-1",tags="prod,web"} 3"#,
            r#"fleetwatch_server_up{server="db-1",tags=""} 1"#,
            r#"fleetwatch_server_last_sample_timestamp_seconds{server="web-1",tags="prod,web"} 1767323045"#,
            r#"fleetwatch_alerts{state="firing",severity="critical"} 1"#,
            r#"fleetwatch_alerts{state="pending",severity="critical"} 0"#,
            r#"fleetwatch_alert_firing{server="web-1",rule="disk-full",instance="/var",severity="critical"} 1"#,
            "fleetwatch_notification_outbox_depth 4",
            r#"fleetwatch_channel_up{channel="ops"} 0"#,
            r#"fleetwatch_notifications_total{channel="ops",result="sent"} 7"#,
            r#"fleetwatch_notifications_total{channel="ops",result="failed"} 2"#,
            r#"fleetwatch_collector_last_cycle_seconds{member="host-1-42"} 1.5"#,
            r#"fleetwatch_collector_last_cycle_timestamp_seconds{member="host-1-42"} 1767323045"#,
            r#"fleetwatch_collector_servers{member="host-1-42",result="ok"} 9"#,
            r#"fleetwatch_collector_servers{member="host-1-42",result="failed"} 1"#,
            r#"fleetwatch_collector_cycle_duration_seconds_bucket{member="host-1-42",le="0.5"} 0"#,
            r#"fleetwatch_collector_cycle_duration_seconds_bucket{member="host-1-42",le="2.5"} 3"#,
            r#"fleetwatch_collector_cycle_duration_seconds_bucket{member="host-1-42",le="+Inf"} 3"#,
            r#"fleetwatch_collector_cycle_duration_seconds_sum{member="host-1-42"} 4.5"#,
            r#"fleetwatch_collector_cycle_duration_seconds_count{member="host-1-42"} 3"#,
            "# TYPE fleetwatch_collector_cycle_duration_seconds histogram",
            "# TYPE fleetwatch_notifications_total counter",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
        }
        assert!(!text.contains("rule=\"cpu-high\""), "a pending alert is not firing: {text}");
    }

    #[test]
    fn missing_and_non_finite_readings_are_left_out() {
        let metas = [meta("a", &[]), meta("b", &[]), meta("c", &[])];
        let text = render_with(&metas, &[Some(sample("a", Some(f64::NAN))), Some(sample("b", None)), None], &[]);
        assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
        assert!(!text.lines().any(|l| l.starts_with("fleetwatch_cpu_percent{")), "{text}");
        assert!(!text.contains("fleetwatch_swap_percent{"), "a missing reading: {text}");
        assert!(text.contains("fleetwatch_ram_percent{server=\"a\",tags=\"\"} 40.5\n"), "{text}");
        assert!(!text.contains("fleetwatch_ram_percent{server=\"c\""), "no sample, no figure: {text}");
        assert!(text.contains("fleetwatch_server_up{server=\"c\",tags=\"\"} 1\n"), "{text}");
    }

    #[test]
    fn offline_server_is_down() {
        let m = meta("x", &[]);
        let views = [ServerView { meta: &m, status: status("x", Status::Offline), latest: None }];
        let snap =
            Snapshot { servers: &views, alerts: &[], outbox_depth: None, channels: &[], totals: &[], collectors: &[] };
        let text = render(&snap);
        assert!(text.contains("fleetwatch_server_up{server=\"x\",tags=\"\"} 0\n"), "{text}");
        assert!(!text.contains("outbox_depth"), "unknown depth left out: {text}");
    }
}
