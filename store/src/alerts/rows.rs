//! Alerting rows as both backends return them, and their conversion. The engine's enums are
//! stored as the lowercase words their serde names give (`firing`, `critical`, `severity_changed`).

use fleetwatch_alerts::{Acknowledgement, Alert, Transition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::types::{
    ChannelResult, ChannelTotals, CollectorStats, HistoryEntry, HostKeyOffer, OutboxItem, StoredSilence,
};
use crate::error::{Error, Result};
use crate::values::{from_ms, from_ms_opt};

/// An enum's stored word.
pub(crate) fn word<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn parse<T: DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| Error::Corrupt(format!("unknown {what} {text:?}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct AlertRow {
    server_name: String,
    rule: String,
    instance: String,
    state: String,
    severity: String,
    since_ms: i64,
    firing_since_ms: Option<i64>,
    fired_value: Option<f64>,
    value: Option<f64>,
    detail: Option<String>,
    acked_by: Option<String>,
    acked_ms: Option<i64>,
    acked_comment: Option<String>,
    notified: bool,
    last_notified_ms: Option<i64>,
}

impl TryFrom<AlertRow> for (String, Alert) {
    type Error = Error;

    fn try_from(r: AlertRow) -> Result<Self> {
        let acknowledged = match (r.acked_by, r.acked_ms) {
            (Some(by), Some(at)) => Some(Acknowledgement { by, at: from_ms(at)?, comment: r.acked_comment }),
            _ => None,
        };
        let alert = Alert {
            rule: r.rule,
            instance: r.instance,
            state: parse(&r.state, "alert state")?,
            severity: parse(&r.severity, "severity")?,
            since: from_ms(r.since_ms)?,
            firing_since: from_ms_opt(r.firing_since_ms)?,
            fired_value: r.fired_value,
            value: r.value,
            detail: r.detail,
            acknowledged,
            notified: r.notified,
            last_notified: from_ms_opt(r.last_notified_ms)?,
        };
        Ok((r.server_name, alert))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HistoryRow {
    id: i64,
    server_name: String,
    rule: String,
    instance: String,
    kind: String,
    from_state: String,
    to_state: String,
    severity: String,
    previous_severity: Option<String>,
    metric: Option<String>,
    fired_value: Option<f64>,
    value: Option<f64>,
    since_ms: i64,
    at_ms: i64,
    detail: Option<String>,
    notify: bool,
    silenced: bool,
    acked_by: Option<String>,
    acked_comment: Option<String>,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = Error;

    fn try_from(r: HistoryRow) -> Result<Self> {
        let previous_severity = r.previous_severity.as_deref().map(|s| parse(s, "severity")).transpose()?;
        let transition = Transition {
            rule: r.rule,
            server: r.server_name,
            instance: r.instance,
            kind: parse(&r.kind, "transition kind")?,
            from: parse(&r.from_state, "alert state")?,
            to: parse(&r.to_state, "alert state")?,
            severity: parse(&r.severity, "severity")?,
            previous_severity,
            metric: r.metric,
            fired_value: r.fired_value,
            value: r.value,
            since: from_ms(r.since_ms)?,
            at: from_ms(r.at_ms)?,
            detail: r.detail,
            notify: r.notify,
            silenced: r.silenced,
        };
        let acknowledged = r.acked_by.map(|by| Acknowledgement { by, at: transition.at, comment: r.acked_comment });
        Ok(HistoryEntry { id: r.id, transition, acknowledged })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    id: i64,
    channel: String,
    payload: String,
    created_ms: i64,
    attempts: i32,
    next_attempt_ms: i64,
    last_error: Option<String>,
    delivered_ms: Option<i64>,
    gave_up_ms: Option<i64>,
}

impl TryFrom<OutboxRow> for OutboxItem {
    type Error = Error;

    fn try_from(r: OutboxRow) -> Result<Self> {
        Ok(OutboxItem {
            id: r.id,
            channel: r.channel,
            payload: r.payload,
            created: from_ms(r.created_ms)?,
            attempts: r.attempts,
            next_attempt: from_ms(r.next_attempt_ms)?,
            last_error: r.last_error,
            delivered: from_ms_opt(r.delivered_ms)?,
            gave_up: from_ms_opt(r.gave_up_ms)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChannelRow {
    channel: String,
    ok: bool,
    at_ms: i64,
    error: Option<String>,
}

impl TryFrom<ChannelRow> for ChannelResult {
    type Error = Error;

    fn try_from(r: ChannelRow) -> Result<Self> {
        Ok(ChannelResult { channel: r.channel, ok: r.ok, at: from_ms(r.at_ms)?, error: r.error })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SilenceRow {
    id: i64,
    spec: String,
    created_by: String,
    created_ms: i64,
}

impl TryFrom<SilenceRow> for StoredSilence {
    type Error = Error;

    fn try_from(r: SilenceRow) -> Result<Self> {
        let spec = serde_json::from_str(&r.spec).map_err(|e| Error::Corrupt(format!("silence {}: {e}", r.id)))?;
        Ok(StoredSilence { id: r.id, spec, created_by: r.created_by, created: from_ms(r.created_ms)? })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OfferRow {
    server_name: String,
    fingerprint: String,
    expected: String,
    seen_ms: i64,
    accepted_ms: Option<i64>,
    accepted_by: Option<String>,
}

impl TryFrom<OfferRow> for HostKeyOffer {
    type Error = Error;

    fn try_from(r: OfferRow) -> Result<Self> {
        Ok(HostKeyOffer {
            server_name: r.server_name,
            fingerprint: r.fingerprint,
            expected: r.expected,
            seen: from_ms(r.seen_ms)?,
            accepted: from_ms_opt(r.accepted_ms)?,
            accepted_by: r.accepted_by,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TotalsRow {
    channel: String,
    sent: i64,
    failed: i64,
}

impl From<TotalsRow> for ChannelTotals {
    fn from(r: TotalsRow) -> Self {
        ChannelTotals { channel: r.channel, sent: r.sent, failed: r.failed }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct StatsRow {
    member_id: String,
    at_ms: i64,
    last_cycle_ms: i64,
    servers_ok: i64,
    servers_failed: i64,
    cycles: i64,
    cycle_secs_sum: f64,
    buckets: String,
}

impl TryFrom<StatsRow> for CollectorStats {
    type Error = Error;

    fn try_from(r: StatsRow) -> Result<Self> {
        let buckets = serde_json::from_str(&r.buckets)
            .map_err(|e| Error::Corrupt(format!("collector stats of {}: {e}", r.member_id)))?;
        Ok(CollectorStats {
            member: r.member_id,
            at: from_ms(r.at_ms)?,
            last_cycle_ms: r.last_cycle_ms,
            servers_ok: r.servers_ok,
            servers_failed: r.servers_failed,
            cycles: r.cycles,
            cycle_secs_sum: r.cycle_secs_sum,
            buckets,
        })
    }
}
