//! The overview: counts, averages and alerts over the fleet view.

use chrono::Utc;
use fleetwatch_common::{Alert, AlertKind, Level, Overview, Sample, Status, Thresholds};

use super::ServerView;

fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let (sum, n) = values.flatten().fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / f64::from(n))
}

pub(super) fn summarise(fleet: &[ServerView<'_>], t: &Thresholds) -> Overview {
    let online: Vec<&Sample> =
        fleet.iter().filter(|v| v.status.status != Status::Offline).filter_map(|v| v.latest.as_ref()).collect();
    let mut alerts = Vec::new();
    for ServerView { status: st, latest: sample, .. } in fleet {
        if st.status == Status::Offline {
            let reason = st.reason.map(|r| r.as_str()).unwrap_or("offline");
            let message = match &st.detail {
                Some(d) => format!("offline ({reason}): {d}"),
                None => format!("offline ({reason})"),
            };
            alerts.push(Alert { server: st.server_name.clone(), kind: AlertKind::Offline, message });
            continue;
        }
        let Some(s) = sample else { continue };
        let checks = [
            ("CPU", st.cpu_status, s.cpu_percent, t.cpu),
            ("RAM", st.ram_status, s.ram_percentage, t.ram),
            ("Disk", st.disk_status, s.disk_percentage, t.disk),
        ];
        for (what, level, value, th) in checks {
            let (kind, limit) = match level {
                Level::Critical => (AlertKind::Critical, th.critical),
                Level::Warning => (AlertKind::Warning, th.warning),
                Level::Normal => continue,
            };
            let message = format!("{what} at {:.1}% (threshold {limit}%)", value.unwrap_or_default());
            alerts.push(Alert { server: st.server_name.clone(), kind, message });
        }
    }
    let total = fleet.len() as i64;
    let online_count = fleet.iter().filter(|v| v.status.status != Status::Offline).count() as i64;
    Overview {
        total_servers: total,
        online_servers: online_count,
        offline_servers: total - online_count,
        avg_cpu: mean(online.iter().map(|s| s.cpu_percent)),
        avg_ram: mean(online.iter().map(|s| s.ram_percentage)),
        avg_disk: mean(online.iter().map(|s| s.disk_percentage)),
        total_users: online.iter().filter_map(|s| s.logged_users).sum(),
        alerts,
        timestamp: Utc::now(),
    }
}
