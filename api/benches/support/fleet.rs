//! The fleet both API benches serve: 1,000 servers with three samples each (50 of them failing
//! now), 400 open alerts, three channels and two collector processes' figures.

use chrono::{Duration as Age, Utc};
use fleetwatch_alerts::{Alert, AlertBook, AlertState, Severity};
use fleetwatch_api::ServerMeta;
use fleetwatch_common::{OfflineReason, Sample, Transport};
use fleetwatch_store::{ChannelResult, CollectorStats, Evaluation, NewNotification, Store};

pub const SERVERS: usize = 1_000;
const SAMPLES_EACH: i64 = 3;
pub const ALERTS: usize = 400;

pub fn name(i: usize) -> String {
    format!("web-{i:04}")
}

pub fn sample(i: usize, age: Age) -> Sample {
    let f = i as f64;
    Sample {
        server_name: name(i),
        cpu_percent: Some(f % 97.0),
        cpu_load_1min: Some(f % 7.0),
        cpu_load_5min: Some(f % 5.0),
        cpu_load_15min: Some(f % 3.0),
        ram_percentage: Some(f % 89.0),
        swap_percentage: Some(f % 11.0),
        disk_percentage: Some(f % 93.0),
        logged_users: Some((i % 5) as i64),
        tcp_connections: Some((i % 400) as i64),
        uptime_seconds: Some(86_400 + i as i64),
        timestamp: Utc::now() - age,
        cpu_cores: Some(8),
        ram_total_bytes: Some(16 << 30),
        ram_used_bytes: Some(8 << 30),
        disk_total_bytes: Some(500 << 30),
        disk_used_bytes: Some(300 << 30),
        disk_mount: Some("/".into()),
        hostname: Some(name(i)),
    }
}

fn alert(i: usize) -> (String, Alert) {
    let at = Utc::now() - Age::minutes(30);
    let firing = !i.is_multiple_of(4);
    let rule = ["disk-full", "cpu-high", "ram-high", "server-offline"][i % 4];
    let alert = Alert {
        rule: rule.into(),
        instance: if rule == "disk-full" { "/var".into() } else { String::new() },
        state: if firing { AlertState::Firing } else { AlertState::Pending },
        severity: if i.is_multiple_of(3) { Severity::Critical } else { Severity::Warning },
        since: at,
        firing_since: firing.then_some(at),
        fired_value: Some(91.0),
        value: Some(92.5),
        detail: None,
        acknowledged: None,
        notified: firing,
        last_notified: firing.then_some(at),
    };
    (name(i * SERVERS / ALERTS), alert)
}

pub async fn fill(store: &dyn Store) {
    store.migrate().await.unwrap();
    for i in 0..SERVERS {
        for k in (0..SAMPLES_EACH).rev() {
            store.record_success(&sample(i, Age::minutes(15 * k)), &[], None, 120).await.unwrap();
        }
        if i.is_multiple_of(20) {
            store
                .record_failure(&name(i), Utc::now(), OfflineReason::Timeout, "no answer in 10 s", 10_000)
                .await
                .unwrap();
        }
    }
    let servers: Vec<String> = (0..SERVERS).map(name).collect();
    let book = AlertBook::from_alerts((0..ALERTS).map(alert));
    let notes = [NewNotification { channel: "ops".into(), payload: "{}".into() }];
    let e = Evaluation { servers: &servers, book: &book, transitions: &[], notifications: &notes, member: None };
    store.save_evaluation(e, Utc::now()).await.unwrap();
    for (channel, ok) in [("ops", true), ("chat", false), ("mail", true)] {
        let r = ChannelResult { channel: channel.into(), ok, at: Utc::now(), error: (!ok).then(|| "HTTP 500".into()) };
        store.record_channel_result(&r).await.unwrap();
    }
    for member in ["box-1-100", "box-2-200"] {
        let stats = CollectorStats {
            member: member.into(),
            at: Utc::now(),
            last_cycle_ms: 3_200,
            servers_ok: 475,
            servers_failed: 25,
            cycles: 40,
            cycle_secs_sum: 130.0,
            buckets: vec![(0.5, 0), (1.0, 0), (2.5, 10), (5.0, 40)],
        };
        store.record_collector_stats(&stats, Utc::now() - Age::days(1)).await.unwrap();
    }
}

pub fn metas() -> Vec<ServerMeta> {
    (0..SERVERS)
        .map(|i| ServerMeta {
            name: name(i),
            transport: Transport::Ssh,
            host: Some(format!("10.0.{}.{}", i / 250, i % 250)),
            port: Some(22),
            tags: vec![if i.is_multiple_of(2) { "prod" } else { "staging" }.into(), format!("rack-{}", i % 10)],
        })
        .collect()
}
