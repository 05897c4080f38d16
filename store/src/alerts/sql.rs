//! The SQL of the alerting tables (see `migrations/*/0005_alerts.sql` and `0006_alerts_more.sql`),
//! shared by both backends.

pub(crate) const ALERTS: &str = "SELECT server_name, rule, instance, state, severity, since_ms, firing_since_ms, \
     fired_value, value, detail, acked_by, acked_ms, acked_comment, notified, last_notified_ms \
     FROM alerts ORDER BY server_name, rule, instance";

/// `$1` member: the servers whose lease it holds. PostgreSQL keeps the rows share-locked until
/// the commit, so no lease can change hands while an evaluation is saved; SQLite serialises
/// writers.
pub(crate) const LEASES_OF_SQLITE: &str = "SELECT server_name FROM collector_leases WHERE member_id = $1";
pub(crate) const LEASES_OF_POSTGRES: &str = "SELECT server_name FROM collector_leases WHERE member_id = $1 FOR SHARE";

/// Prefix of the multi-row delete of alerts: `(server, rule, instance)` rows follow as `VALUES`,
/// then [`DELETE_ALERTS_END`].
pub(crate) const DELETE_ALERTS: &str = "DELETE FROM alerts WHERE (server_name, rule, instance) IN (";
pub(crate) const DELETE_ALERTS_END: &str = ")";

/// Prefix of the multi-row upsert of alerts (the columns of [`ALERTS`]); [`UPSERT_ALERTS_END`]
/// follows the rows. An alert already stored takes the new values, but keeps its
/// acknowledgement: only the acknowledgement itself writes those columns.
pub(crate) const UPSERT_ALERTS: &str = "INSERT INTO alerts (server_name, rule, instance, state, severity, since_ms, \
     firing_since_ms, fired_value, value, detail, acked_by, acked_ms, acked_comment, notified, last_notified_ms) ";
pub(crate) const UPSERT_ALERTS_END: &str = " ON CONFLICT (server_name, rule, instance) DO UPDATE SET \
     state = excluded.state, severity = excluded.severity, since_ms = excluded.since_ms, \
     firing_since_ms = excluded.firing_since_ms, fired_value = excluded.fired_value, value = excluded.value, \
     detail = excluded.detail, notified = excluded.notified, last_notified_ms = excluded.last_notified_ms";

/// `$1` by, `$2` at, `$3` comment, `$4` server, `$5` rule, `$6` instance: only a firing alert.
pub(crate) const ACK_ALERT: &str = "UPDATE alerts SET acked_by = $1, acked_ms = $2, acked_comment = $3 \
     WHERE server_name = $4 AND rule = $5 AND instance = $6 AND state = 'firing'";

/// The history row of an acknowledgement, made from the firing alert itself (its figure named
/// as in its last history row): `$1` server, `$2` rule, `$3` instance, `$4` at, `$5` by, `$6`
/// comment. Inserts nothing when there is no such firing alert.
pub(crate) const HISTORY_OF_ACK: &str = "INSERT INTO alert_history (server_name, rule, instance, kind, from_state, \
     to_state, severity, previous_severity, metric, fired_value, value, since_ms, at_ms, detail, notify, silenced, \
     acked_by, acked_comment) \
     SELECT a.server_name, a.rule, a.instance, 'acknowledged', a.state, a.state, a.severity, NULL, \
     (SELECT h.metric FROM alert_history h WHERE h.server_name = a.server_name AND h.rule = a.rule \
     AND h.instance = a.instance ORDER BY h.id DESC LIMIT 1), \
     a.fired_value, a.value, COALESCE(a.firing_since_ms, a.since_ms), $4, a.detail, FALSE, FALSE, $5, $6 \
     FROM alerts a WHERE a.server_name = $1 AND a.rule = $2 AND a.instance = $3 AND a.state = 'firing'";

/// Prefix of the multi-row insert of history rows.
pub(crate) const INSERT_HISTORY: &str = "INSERT INTO alert_history (server_name, rule, instance, kind, from_state, \
     to_state, severity, previous_severity, metric, fired_value, value, since_ms, at_ms, detail, notify, silenced) ";

/// The columns of a history row, as `HistoryRow` reads them.
macro_rules! history_columns {
    () => {
        "id, server_name, rule, instance, kind, from_state, to_state, severity, previous_severity, metric, \
         fired_value, value, since_ms, at_ms, detail, notify, silenced, acked_by, acked_comment"
    };
}

/// `$1` from, `$2` to (ms, inclusive), `$3` server or NULL, `$4` limit: newest first.
pub(crate) const HISTORY: &str = concat!(
    "SELECT ",
    history_columns!(),
    " FROM alert_history WHERE at_ms >= $1 AND at_ms <= $2 \
     AND (CAST($3 AS TEXT) IS NULL OR server_name = $3) ORDER BY at_ms DESC, id DESC LIMIT $4"
);

/// `$1` after (an id), `$2` limit: oldest first.
pub(crate) const HISTORY_AFTER: &str =
    concat!("SELECT ", history_columns!(), " FROM alert_history WHERE id > $1 ORDER BY id LIMIT $2");

pub(crate) const LAST_HISTORY_ID: &str = "SELECT COALESCE(MAX(id), 0) FROM alert_history";

/// `$1` channel, `$2` payload, `$3` created = first attempt (ms).
pub(crate) const ENQUEUE: &str =
    "INSERT INTO alert_outbox (channel, payload, created_ms, next_attempt_ms) VALUES ($1, $2, $3, $3)";

/// The claim, with the backend's row lock (`FOR UPDATE SKIP LOCKED` on PostgreSQL, nothing on
/// SQLite, which serialises writers). `$1` member, `$2` lease end (ms), `$3` channel, `$4` now
/// (ms), `$5` limit. The outer conditions repeat the inner ones, so a row taken meanwhile by
/// another member is not taken again.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE alert_outbox SET claimed_by = $1, lease_until_ms = $2, attempts = attempts + 1 ",
            "WHERE id IN (SELECT id FROM alert_outbox WHERE channel = $3 AND delivered_ms IS NULL ",
            "AND gave_up_ms IS NULL AND next_attempt_ms <= $4 ",
            "AND (lease_until_ms IS NULL OR lease_until_ms < $4) ORDER BY id LIMIT $5",
            $lock,
            ") AND delivered_ms IS NULL AND gave_up_ms IS NULL ",
            "AND (lease_until_ms IS NULL OR lease_until_ms < $4) ",
            "RETURNING id, channel, payload, created_ms, attempts, next_attempt_ms, last_error, delivered_ms, gave_up_ms"
        )
    };
}
pub(crate) const CLAIM_SQLITE: &str = claim_sql!("");
pub(crate) const CLAIM_POSTGRES: &str = claim_sql!(" FOR UPDATE SKIP LOCKED");

/// `$1` at (ms), `$2` id, `$3` member: only while the member holds the row.
pub(crate) const DELIVERED: &str = "UPDATE alert_outbox SET delivered_ms = $1, claimed_by = NULL, \
     lease_until_ms = NULL, last_error = NULL WHERE id = $2 AND claimed_by = $3";

/// `$1` error, `$2` next attempt (ms) or NULL, `$3` gave up at (ms) or NULL, `$4` id, `$5` member.
pub(crate) const FAILED: &str = "UPDATE alert_outbox SET last_error = $1, \
     next_attempt_ms = COALESCE($2, next_attempt_ms), gave_up_ms = $3, claimed_by = NULL, lease_until_ms = NULL \
     WHERE id = $4 AND claimed_by = $5";

/// `$1` channel or NULL: every row, oldest first.
pub(crate) const OUTBOX: &str = "SELECT id, channel, payload, created_ms, attempts, next_attempt_ms, last_error, \
     delivered_ms, gave_up_ms FROM alert_outbox WHERE (CAST($1 AS TEXT) IS NULL OR channel = $1) ORDER BY id";

/// `$1` channel, `$2` ok, `$3` at (ms), `$4` error, `$5` sent (1 or 0), `$6` failed (0 or 1): the
/// last result, and one more sent or failed.
pub(crate) const CHANNEL_RESULT: &str = "INSERT INTO alert_channels (channel, ok, at_ms, error, sent, failed) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (channel) DO UPDATE SET ok = excluded.ok, \
     at_ms = excluded.at_ms, error = excluded.error, sent = alert_channels.sent + excluded.sent, \
     failed = alert_channels.failed + excluded.failed";

pub(crate) const CHANNEL_TOTALS: &str = "SELECT channel, sent, failed FROM alert_channels ORDER BY channel";

/// `$1` member … `$8` buckets (JSON): the member's row, replaced.
pub(crate) const UPSERT_COLLECTOR_STATS: &str = "INSERT INTO collector_stats (member_id, at_ms, last_cycle_ms, \
     servers_ok, servers_failed, cycles, cycle_secs_sum, buckets) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (member_id) DO UPDATE SET at_ms = excluded.at_ms, last_cycle_ms = excluded.last_cycle_ms, \
     servers_ok = excluded.servers_ok, servers_failed = excluded.servers_failed, cycles = excluded.cycles, \
     cycle_secs_sum = excluded.cycle_secs_sum, buckets = excluded.buckets";

/// `$1` before (ms): rows of members whose last cycle ended before it (long gone processes).
pub(crate) const PURGE_COLLECTOR_STATS: &str = "DELETE FROM collector_stats WHERE at_ms < $1";

pub(crate) const COLLECTOR_STATS: &str = "SELECT member_id, at_ms, last_cycle_ms, servers_ok, servers_failed, \
     cycles, cycle_secs_sum, buckets FROM collector_stats ORDER BY member_id";

pub(crate) const CHANNEL_RESULTS: &str = "SELECT channel, ok, at_ms, error FROM alert_channels ORDER BY channel";

/// `$1` spec (JSON), `$2` by, `$3` at (ms).
pub(crate) const INSERT_SILENCE: &str =
    "INSERT INTO alert_silences (spec, created_by, created_ms) VALUES ($1, $2, $3) RETURNING id";

pub(crate) const SILENCES: &str = "SELECT id, spec, created_by, created_ms FROM alert_silences ORDER BY id";

pub(crate) const DELETE_SILENCE: &str = "DELETE FROM alert_silences WHERE id = $1";

/// Notifications neither delivered nor given up.
pub(crate) const OUTBOX_DEPTH: &str =
    "SELECT COUNT(*) FROM alert_outbox WHERE delivered_ms IS NULL AND gave_up_ms IS NULL";

/// `$1` before (ms): delivered or given-up rows finished before it.
pub(crate) const PURGE_OUTBOX: &str = "DELETE FROM alert_outbox \
     WHERE COALESCE(delivered_ms, gave_up_ms) IS NOT NULL AND COALESCE(delivered_ms, gave_up_ms) < $1";

/// `$1` server, `$2` offered, `$3` expected, `$4` seen (ms). A new fingerprint clears an earlier
/// acceptance; the same one keeps it.
pub(crate) const RECORD_OFFER: &str = "INSERT INTO host_key_offers (server_name, fingerprint, expected, seen_ms) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (server_name) DO UPDATE SET \
     accepted_ms = CASE WHEN host_key_offers.fingerprint = excluded.fingerprint \
     THEN host_key_offers.accepted_ms ELSE NULL END, \
     accepted_by = CASE WHEN host_key_offers.fingerprint = excluded.fingerprint \
     THEN host_key_offers.accepted_by ELSE NULL END, \
     fingerprint = excluded.fingerprint, expected = excluded.expected, seen_ms = excluded.seen_ms";

pub(crate) const OFFERS: &str = "SELECT server_name, fingerprint, expected, seen_ms, accepted_ms, accepted_by \
     FROM host_key_offers ORDER BY server_name";

/// `$1` server.
pub(crate) const OFFERED: &str = "SELECT fingerprint FROM host_key_offers WHERE server_name = $1";

/// `$1` server.
pub(crate) const RECORDED_KEY: &str = "SELECT fingerprint FROM host_keys WHERE server_name = $1";

/// `$1` server, `$2` fingerprint, `$3` at (ms): the accepted key is recorded as first seen then.
pub(crate) const REPLACE_KEY: &str = "UPDATE host_keys SET fingerprint = $2, first_seen_ms = $3 WHERE server_name = $1";

/// `$1` server, `$2` fingerprint, `$3` the key it replaces, `$4` at (ms), `$5` by.
pub(crate) const ACCEPT_OFFER: &str = "INSERT INTO host_key_offers \
     (server_name, fingerprint, expected, seen_ms, accepted_ms, accepted_by) VALUES ($1, $2, $3, $4, $4, $5) \
     ON CONFLICT (server_name) DO UPDATE SET \
     expected = CASE WHEN host_key_offers.fingerprint = excluded.fingerprint \
     THEN host_key_offers.expected ELSE excluded.expected END, \
     seen_ms = CASE WHEN host_key_offers.fingerprint = excluded.fingerprint \
     THEN host_key_offers.seen_ms ELSE excluded.seen_ms END, \
     fingerprint = excluded.fingerprint, accepted_ms = excluded.accepted_ms, accepted_by = excluded.accepted_by";

/// The history row of an acceptance, on the server's host key alert (`$2`, instance `''`) as it
/// stands, or `ok` without one: `$1` server, `$3` at (ms), `$4` detail.
pub(crate) const HISTORY_OF_ACCEPTANCE: &str = "INSERT INTO alert_history (server_name, rule, instance, kind, \
     from_state, to_state, severity, since_ms, at_ms, detail, notify, silenced) VALUES ($1, $2, '', \
     'host_key_accepted', \
     COALESCE((SELECT state FROM alerts WHERE server_name = $1 AND rule = $2 AND instance = ''), 'ok'), \
     COALESCE((SELECT state FROM alerts WHERE server_name = $1 AND rule = $2 AND instance = ''), 'ok'), \
     COALESCE((SELECT severity FROM alerts WHERE server_name = $1 AND rule = $2 AND instance = ''), 'critical'), \
     COALESCE((SELECT COALESCE(firing_since_ms, since_ms) FROM alerts \
     WHERE server_name = $1 AND rule = $2 AND instance = ''), $3), \
     $3, $4, FALSE, FALSE)";
