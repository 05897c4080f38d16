//! How a server's stored state, latest sample and the thresholds become its status, and when
//! a server is stale. Pure: the caller passes the clock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fleetwatch_common::{Level, OfflineReason, Sample, ServerStatus, Status, Thresholds};
use fleetwatch_store::ServerState;

/// The age at `now` of a sample taken at `taken`, when it is past `stale_after`: the server is
/// stale. (A sample from the future is not.)
pub fn stale_age(taken: DateTime<Utc>, now: DateTime<Utc>, stale_after: Duration) -> Option<Duration> {
    (now - taken).to_std().ok().filter(|age| *age > stale_after)
}

pub fn evaluate(
    name: &str,
    state: Option<&ServerState>,
    latest: Option<&Sample>,
    thresholds: &Thresholds,
    stale_after: Duration,
    now: DateTime<Utc>,
) -> ServerStatus {
    let last_seen = state.and_then(|s| s.last_success).or(latest.map(|l| l.timestamp));
    let offline = |reason: OfflineReason, detail: Option<String>| ServerStatus {
        server_name: name.to_string(),
        status: Status::Offline,
        cpu_status: Level::Normal,
        ram_status: Level::Normal,
        disk_status: Level::Normal,
        last_seen,
        reason: Some(reason),
        detail,
    };
    let Some(state) = state else {
        return offline(OfflineReason::NeverCollected, Some("no collection has run yet".into()));
    };
    if !state.ok {
        return offline(state.reason.unwrap_or(OfflineReason::ConnectionFailed), state.detail.clone());
    }
    let Some(sample) = latest else {
        return offline(OfflineReason::NeverCollected, None);
    };
    if let Some(age) = stale_age(sample.timestamp, now, stale_after) {
        return offline(OfflineReason::Stale, Some(format!("no sample for {} s", age.as_secs())));
    }
    let cpu_status = thresholds.cpu.level(sample.cpu_percent);
    let ram_status = thresholds.ram.level(sample.ram_percentage);
    let disk_status = thresholds.disk.level(sample.disk_percentage);
    ServerStatus {
        server_name: name.to_string(),
        status: Status::from_levels(&[cpu_status, ram_status, disk_status]),
        cpu_status,
        ram_status,
        disk_status,
        last_seen,
        reason: None,
        detail: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(ok: bool, reason: Option<OfflineReason>) -> ServerState {
        ServerState {
            server_name: "a".into(),
            ok,
            last_attempt: Utc::now(),
            last_success: Some(Utc::now()),
            reason,
            detail: None,
            duration_ms: 1,
        }
    }

    #[test]
    fn stale_only_past_the_limit_and_never_from_the_future() {
        let now = Utc::now();
        let limit = Duration::from_secs(60);
        assert_eq!(stale_age(now - chrono::Duration::seconds(61), now, limit), Some(Duration::from_secs(61)));
        assert_eq!(stale_age(now - chrono::Duration::seconds(60), now, limit), None);
        assert_eq!(stale_age(now + chrono::Duration::seconds(600), now, limit), None);
    }

    #[test]
    fn worst_resource_wins_and_failures_and_staleness_are_offline() {
        let now = Utc::now();
        let t = Thresholds::default();
        let day = Duration::from_secs(86_400);
        let mut s =
            Sample { timestamp: now, cpu_percent: Some(90.0), ram_percentage: Some(10.0), ..Default::default() };
        let st = evaluate("a", Some(&state(true, None)), Some(&s), &t, day, now);
        assert_eq!((st.status, st.cpu_status, st.ram_status), (Status::Critical, Level::Critical, Level::Normal));
        s.cpu_percent = Some(72.0);
        assert_eq!(evaluate("a", Some(&state(true, None)), Some(&s), &t, day, now).status, Status::Warning);
        let failed = state(false, Some(OfflineReason::AuthenticationFailed));
        let st = evaluate("a", Some(&failed), Some(&s), &t, day, now);
        assert_eq!((st.status, st.reason), (Status::Offline, Some(OfflineReason::AuthenticationFailed)));
        let st = evaluate(
            "a",
            Some(&state(true, None)),
            Some(&s),
            &t,
            Duration::from_secs(60),
            now + chrono::Duration::seconds(61),
        );
        assert_eq!(st.reason, Some(OfflineReason::Stale));
        assert_eq!(evaluate("a", None, None, &t, day, now).reason, Some(OfflineReason::NeverCollected));
    }
}
