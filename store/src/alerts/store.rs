//! [`AlertStore`] for both backends, written once, generic in the backend like the rest of
//! the store; [`AlertSql`] holds the little SQL that differs.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fleetwatch_alerts::builtin::HOST_KEY_CHANGED;
use fleetwatch_alerts::{Acknowledgement, Alert, SilenceSpec, Transition};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Postgres, QueryBuilder, Sqlite, Type};

use super::AlertStore;
use super::rows::{AlertRow, ChannelRow, HistoryRow, OfferRow, OutboxRow, SilenceRow, StatsRow, TotalsRow, word};
use super::types::{
    Attempt, ChannelResult, ChannelTotals, Claim, CollectorStats, Evaluation, HistoryEntry, HistoryQuery, HostKeyOffer,
    KeyAcceptance, KeyAccepted, OutboxItem, StoredSilence,
};
use super::{diff, sql};
use crate::backend::{Backend, SqlStore};
use crate::error::{Error, Result};
use crate::rows::convert;
use crate::values::{finite, to_ms};

/// Rows per multi-row insert.
const CHUNK: usize = 200;

/// The alerting SQL that differs between the backends: the row locks.
pub trait AlertSql: Backend {
    /// The outbox claim ([`sql::CLAIM_SQLITE`], [`sql::CLAIM_POSTGRES`]).
    const CLAIM: &'static str;
    /// The servers whose lease a member holds, locked until the commit where the backend can.
    const LEASES_OF: &'static str;
}

impl AlertSql for Sqlite {
    const CLAIM: &'static str = sql::CLAIM_SQLITE;
    const LEASES_OF: &'static str = sql::LEASES_OF_SQLITE;
}

impl AlertSql for Postgres {
    const CLAIM: &'static str = sql::CLAIM_POSTGRES;
    const LEASES_OF: &'static str = sql::LEASES_OF_POSTGRES;
}

/// Written once for both backends; the `where` clause is what it asks of a sqlx database
/// (both drivers meet it), as for [`crate::Store`] in `sql_store.rs`.
#[async_trait]
impl<DB> AlertStore for SqlStore<DB>
where
    DB: AlertSql,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> &'a str: ColumnIndex<DB::Row> + Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB>,
    for<'a> String: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<String>: Encode<'a, DB>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB>,
    for<'a> i32: Decode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB>,
    for<'a> bool: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
{
    async fn alerts(&self) -> Result<Vec<(String, Alert)>> {
        convert(sqlx::query_as::<_, AlertRow>(sql::ALERTS).fetch_all(&self.pool).await?)
    }

    async fn save_evaluation(&self, e: Evaluation<'_>, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        if let Some(member) = e.member {
            let held: Vec<String> = sqlx::query_scalar(DB::LEASES_OF).bind(member).fetch_all(&mut *tx).await?;
            let held: HashSet<&str> = held.iter().map(String::as_str).collect();
            if let Some(server) = e.servers.iter().find(|s| !held.contains(s.as_str())) {
                return Err(Error::Conflict(format!("{member} no longer holds the lease of {server}")));
            }
        }
        let stored: Vec<(String, Alert)> =
            convert(sqlx::query_as::<_, AlertRow>(sql::ALERTS).fetch_all(&mut *tx).await?)?;
        let changes = diff::changes(&stored, e.servers, e.book);
        for chunk in changes.deleted.chunks(CHUNK) {
            let mut qb = QueryBuilder::<DB>::new(sql::DELETE_ALERTS);
            qb.push_values(chunk, |mut b, (server, rule, instance)| {
                b.push_bind(*server).push_bind(*rule).push_bind(*instance);
            });
            qb.push(sql::DELETE_ALERTS_END);
            qb.build().persistent(false).execute(&mut *tx).await?;
        }
        for chunk in changes.upserted.chunks(CHUNK) {
            let mut qb = QueryBuilder::<DB>::new(sql::UPSERT_ALERTS);
            qb.push_values(chunk, |mut b, (server, a)| {
                let ack = a.acknowledged.as_ref();
                b.push_bind(*server)
                    .push_bind(a.rule.as_str())
                    .push_bind(a.instance.as_str())
                    .push_bind(word(&a.state))
                    .push_bind(word(&a.severity))
                    .push_bind(to_ms(a.since))
                    .push_bind(a.firing_since.map(to_ms))
                    .push_bind(finite(a.fired_value))
                    .push_bind(finite(a.value))
                    .push_bind(a.detail.as_deref())
                    .push_bind(ack.map(|k| k.by.as_str()))
                    .push_bind(ack.map(|k| to_ms(k.at)))
                    .push_bind(ack.and_then(|k| k.comment.as_deref()))
                    .push_bind(a.notified)
                    .push_bind(a.last_notified.map(to_ms));
            });
            qb.push(sql::UPSERT_ALERTS_END);
            qb.build().persistent(false).execute(&mut *tx).await?;
        }
        for chunk in e.transitions.chunks(CHUNK) {
            let mut qb = QueryBuilder::<DB>::new(sql::INSERT_HISTORY);
            qb.push_values(chunk, |mut b, t: &Transition| {
                b.push_bind(t.server.as_str())
                    .push_bind(t.rule.as_str())
                    .push_bind(t.instance.as_str())
                    .push_bind(word(&t.kind))
                    .push_bind(word(&t.from))
                    .push_bind(word(&t.to))
                    .push_bind(word(&t.severity))
                    .push_bind(t.previous_severity.as_ref().map(word))
                    .push_bind(t.metric.as_deref())
                    .push_bind(finite(t.fired_value))
                    .push_bind(finite(t.value))
                    .push_bind(to_ms(t.since))
                    .push_bind(to_ms(t.at))
                    .push_bind(t.detail.as_deref())
                    .push_bind(t.notify)
                    .push_bind(t.silenced);
            });
            qb.build().persistent(false).execute(&mut *tx).await?;
        }
        for n in e.notifications {
            sqlx::query(sql::ENQUEUE)
                .bind(n.channel.as_str())
                .bind(n.payload.as_str())
                .bind(to_ms(now))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn acknowledge_alert(&self, server: &str, rule: &str, instance: &str, ack: &Acknowledgement) -> Result<bool> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let recorded = sqlx::query(sql::HISTORY_OF_ACK)
            .bind(server)
            .bind(rule)
            .bind(instance)
            .bind(to_ms(ack.at))
            .bind(ack.by.as_str())
            .bind(ack.comment.as_deref())
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&recorded) == 0 {
            return Ok(false);
        }
        sqlx::query(sql::ACK_ALERT)
            .bind(ack.by.as_str())
            .bind(to_ms(ack.at))
            .bind(ack.comment.as_deref())
            .bind(server)
            .bind(rule)
            .bind(instance)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn alert_history(&self, q: &HistoryQuery) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query_as::<_, HistoryRow>(sql::HISTORY)
            .bind(to_ms(q.from))
            .bind(to_ms(q.to))
            .bind(q.server.as_deref())
            .bind(q.limit)
            .fetch_all(&self.pool)
            .await?;
        convert(rows)
    }

    async fn alert_history_after(&self, after: i64, limit: i64) -> Result<Vec<HistoryEntry>> {
        let rows =
            sqlx::query_as::<_, HistoryRow>(sql::HISTORY_AFTER).bind(after).bind(limit).fetch_all(&self.pool).await?;
        convert(rows)
    }

    async fn last_alert_history_id(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(sql::LAST_HISTORY_ID).fetch_one(&self.pool).await?)
    }

    async fn claim_notifications(&self, c: Claim<'_>) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query_as::<_, OutboxRow>(DB::CLAIM)
            .bind(c.member)
            .bind(to_ms(c.lease_until))
            .bind(c.channel)
            .bind(to_ms(c.now))
            .bind(c.limit)
            .fetch_all(&self.pool)
            .await?;
        let mut items: Vec<OutboxItem> = convert(rows)?;
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    async fn notification_delivered(&self, id: i64, member: &str, at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(sql::DELIVERED).bind(to_ms(at)).bind(id).bind(member).execute(&self.pool).await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn notification_failed(&self, id: i64, member: &str, a: Attempt<'_>) -> Result<bool> {
        let gave_up = a.retry_at.is_none().then(|| to_ms(a.at));
        let done = sqlx::query(sql::FAILED)
            .bind(a.error)
            .bind(a.retry_at.map(to_ms))
            .bind(gave_up)
            .bind(id)
            .bind(member)
            .execute(&self.pool)
            .await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn outbox(&self, channel: Option<&str>) -> Result<Vec<OutboxItem>> {
        convert(sqlx::query_as::<_, OutboxRow>(sql::OUTBOX).bind(channel).fetch_all(&self.pool).await?)
    }

    async fn outbox_depth(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(sql::OUTBOX_DEPTH).fetch_one(&self.pool).await?)
    }

    async fn purge_notifications(&self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(sql::PURGE_OUTBOX).bind(to_ms(before)).execute(&self.pool).await?;
        Ok(DB::rows_affected(&done))
    }

    async fn record_channel_result(&self, r: &ChannelResult) -> Result<()> {
        sqlx::query(sql::CHANNEL_RESULT)
            .bind(r.channel.as_str())
            .bind(r.ok)
            .bind(to_ms(r.at))
            .bind(r.error.as_deref())
            .bind(i64::from(r.ok))
            .bind(i64::from(!r.ok))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn channel_results(&self) -> Result<Vec<ChannelResult>> {
        convert(sqlx::query_as::<_, ChannelRow>(sql::CHANNEL_RESULTS).fetch_all(&self.pool).await?)
    }

    async fn channel_totals(&self) -> Result<Vec<ChannelTotals>> {
        let rows = sqlx::query_as::<_, TotalsRow>(sql::CHANNEL_TOTALS).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(ChannelTotals::from).collect())
    }

    async fn record_collector_stats(&self, s: &CollectorStats, forget_before: DateTime<Utc>) -> Result<()> {
        let buckets = serde_json::to_string(&s.buckets)
            .map_err(|e| Error::Corrupt(format!("collector stats cannot be encoded: {e}")))?;
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        sqlx::query(sql::UPSERT_COLLECTOR_STATS)
            .bind(s.member.as_str())
            .bind(to_ms(s.at))
            .bind(s.last_cycle_ms)
            .bind(s.servers_ok)
            .bind(s.servers_failed)
            .bind(s.cycles)
            .bind(s.cycle_secs_sum)
            .bind(buckets)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::PURGE_COLLECTOR_STATS).bind(to_ms(forget_before)).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn collector_stats(&self) -> Result<Vec<CollectorStats>> {
        convert(sqlx::query_as::<_, StatsRow>(sql::COLLECTOR_STATS).fetch_all(&self.pool).await?)
    }

    async fn create_silence(&self, spec: &SilenceSpec, by: &str, at: DateTime<Utc>) -> Result<i64> {
        let json =
            serde_json::to_string(spec).map_err(|e| Error::Corrupt(format!("silence cannot be encoded: {e}")))?;
        let id: i64 =
            sqlx::query_scalar(sql::INSERT_SILENCE).bind(json).bind(by).bind(to_ms(at)).fetch_one(&self.pool).await?;
        Ok(id)
    }

    async fn silences(&self) -> Result<Vec<StoredSilence>> {
        convert(sqlx::query_as::<_, SilenceRow>(sql::SILENCES).fetch_all(&self.pool).await?)
    }

    async fn delete_silence(&self, id: i64) -> Result<bool> {
        let done = sqlx::query(sql::DELETE_SILENCE).bind(id).execute(&self.pool).await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn record_host_key_offer(
        &self,
        server: &str,
        fingerprint: &str,
        expected: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(sql::RECORD_OFFER)
            .bind(server)
            .bind(fingerprint)
            .bind(expected)
            .bind(to_ms(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn host_key_offers(&self) -> Result<Vec<HostKeyOffer>> {
        convert(sqlx::query_as::<_, OfferRow>(sql::OFFERS).fetch_all(&self.pool).await?)
    }

    async fn accept_host_key(&self, k: &KeyAcceptance<'_>) -> Result<KeyAccepted> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let recorded: Option<String> =
            sqlx::query_scalar(sql::RECORDED_KEY).bind(k.server).fetch_optional(&mut *tx).await?;
        let Some(previous) = recorded else { return Ok(KeyAccepted::NothingRecorded) };
        if k.only_offered {
            let offered: Option<String> =
                sqlx::query_scalar(sql::OFFERED).bind(k.server).fetch_optional(&mut *tx).await?;
            if offered.as_deref() != Some(k.fingerprint) {
                return Ok(KeyAccepted::NotOffered { offered });
            }
        }
        let at = to_ms(k.at);
        sqlx::query(sql::REPLACE_KEY).bind(k.server).bind(k.fingerprint).bind(at).execute(&mut *tx).await?;
        sqlx::query(sql::ACCEPT_OFFER)
            .bind(k.server)
            .bind(k.fingerprint)
            .bind(previous.as_str())
            .bind(at)
            .bind(k.by)
            .execute(&mut *tx)
            .await?;
        let detail = format!("host key {} accepted by {}, replacing {previous}", k.fingerprint, k.by);
        sqlx::query(sql::HISTORY_OF_ACCEPTANCE)
            .bind(k.server)
            .bind(HOST_KEY_CHANGED)
            .bind(at)
            .bind(detail)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(KeyAccepted::Accepted { previous })
    }
}
