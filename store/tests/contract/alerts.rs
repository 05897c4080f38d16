//! The alerting part of the contract: the alert book, its history, the outbox and its claims,
//! channel results. Driven from `story` for every backend.

use chrono::{DateTime, Duration, Utc};
use fleetwatch_alerts::{
    Acknowledgement, Alert, AlertBook, AlertState, Severity, SilenceSpec, Transition, TransitionKind,
};
use fleetwatch_store::{
    Attempt, ChannelResult, ChannelTotals, CollectorStats, Evaluation, HistoryQuery, HostKeyOffer, HostKeyRecord,
    KeyAcceptance, KeyAccepted, NewNotification, Store,
};

use super::t;

fn alert(rule: &str, instance: &str, state: AlertState, at: DateTime<Utc>) -> Alert {
    Alert {
        rule: rule.into(),
        instance: instance.into(),
        state,
        severity: Severity::Critical,
        since: at,
        firing_since: (state == AlertState::Firing).then_some(at),
        fired_value: Some(97.5),
        value: Some(98.25),
        detail: Some("connection refused".into()),
        acknowledged: None,
        notified: state == AlertState::Firing,
        last_notified: (state == AlertState::Firing).then_some(at),
    }
}

fn transition(server: &str, rule: &str, kind: TransitionKind, at: DateTime<Utc>) -> Transition {
    Transition {
        rule: rule.into(),
        server: server.into(),
        instance: "/var".into(),
        kind,
        from: AlertState::Pending,
        to: AlertState::Firing,
        severity: Severity::Critical,
        previous_severity: Some(Severity::Warning),
        metric: Some("disk[/var].used_percent".into()),
        fired_value: Some(91.0),
        value: Some(92.5),
        since: at - Duration::seconds(60),
        at,
        detail: None,
        notify: true,
        silenced: false,
    }
}

fn note(channel: &str, n: usize) -> NewNotification {
    NewNotification { channel: channel.into(), payload: format!("{{\"n\":{n}}}") }
}

pub(crate) async fn alerts_book_history_and_outbox(store: &dyn Store) {
    let at = t(3000);
    assert!(store.alerts().await.unwrap().is_empty());
    assert_eq!(store.last_alert_history_id().await.unwrap(), 0, "no history yet");
    let servers = ["al-1".to_string(), "al-2".to_string()];
    let book = AlertBook::from_alerts([
        // In the order the store reads them back: by server, rule, instance.
        ("al-1".to_string(), alert("cpu-high", "", AlertState::Pending, at)),
        ("al-1".to_string(), alert("disk-full", "/var", AlertState::Firing, at)),
        ("al-2".to_string(), alert("server-offline", "", AlertState::Firing, at)),
    ]);
    let transitions = [transition("al-1", "disk-full", TransitionKind::Firing, at)];
    let notes = [note("ops", 1), note("chat", 2)];
    let e =
        Evaluation { servers: &servers, book: &book, transitions: &transitions, notifications: &notes, member: None };
    store.save_evaluation(e, at).await.unwrap();
    let stored = store.alerts().await.unwrap();
    assert_eq!(AlertBook::from_alerts(stored.clone()), book, "the book round-trips");
    assert_eq!((stored[0].0.as_str(), stored[0].1.rule.as_str()), ("al-1", "cpu-high"));

    // An acknowledgement made meanwhile survives the next evaluation; only firing alerts take one.
    let ack = Acknowledgement { by: "alice".into(), at: at + Duration::seconds(1), comment: Some("ticket 42".into()) };
    assert!(store.acknowledge_alert("al-2", "server-offline", "", &ack).await.unwrap());
    assert!(!store.acknowledge_alert("al-1", "cpu-high", "", &ack).await.unwrap(), "pending");
    assert!(!store.acknowledge_alert("nobody", "cpu-high", "", &ack).await.unwrap());
    let only_al2 = ["al-2".to_string()];
    let e = Evaluation { servers: &only_al2, book: &book, transitions: &[], notifications: &[], member: None };
    store.save_evaluation(e, at).await.unwrap();
    let acked = store.alerts().await.unwrap().into_iter().find(|(s, _)| s == "al-2").unwrap().1;
    assert_eq!(acked.acknowledged.as_ref(), Some(&ack));

    // Resolving: an evaluation of al-1 with no alert left removes its rows, not al-2's.
    let empty = AlertBook::default();
    let resolved = [transition("al-1", "disk-full", TransitionKind::Resolved, at + Duration::seconds(5))];
    let only_al1 = ["al-1".to_string()];
    let e = Evaluation { servers: &only_al1, book: &empty, transitions: &resolved, notifications: &[], member: None };
    store.save_evaluation(e, at).await.unwrap();
    let left: Vec<String> = store.alerts().await.unwrap().into_iter().map(|(s, a)| format!("{s}/{}", a.rule)).collect();
    assert_eq!(left, ["al-2/server-offline"]);

    let q = HistoryQuery { from: at, to: at + Duration::seconds(5), server: None, limit: 10 };
    let history = store.alert_history(&q).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].transition, resolved[0], "newest first, every field kept");
    assert_eq!(history[2].transition, transitions[0]);
    assert_eq!((history[0].acknowledged.as_ref(), history[2].acknowledged.as_ref()), (None, None));
    // The acknowledgement is in the history too, with who and why.
    let t = &history[1].transition;
    assert_eq!((t.server.as_str(), t.rule.as_str(), t.kind), ("al-2", "server-offline", TransitionKind::Acknowledged));
    assert_eq!(
        (t.from, t.to, t.severity, t.value, t.since, t.at),
        (AlertState::Firing, AlertState::Firing, Severity::Critical, Some(98.25), at, ack.at)
    );
    assert_eq!((t.notify, t.silenced, t.detail.as_deref()), (false, false, Some("connection refused")));
    assert_eq!(history[1].acknowledged.as_ref(), Some(&ack));
    let q = HistoryQuery { server: Some("al-2".into()), ..q };
    assert_eq!(store.alert_history(&q).await.unwrap().len(), 1);

    // By id, for the live stream: oldest first, after a given one.
    let last = store.last_alert_history_id().await.unwrap();
    assert_eq!(last, history[0].id);
    let after = store.alert_history_after(history[2].id, 10).await.unwrap();
    assert_eq!(after.iter().map(|e| e.id).collect::<Vec<_>>(), [history[1].id, history[0].id]);
    assert_eq!(after[0], history[1], "the same entries");
    assert_eq!(store.alert_history_after(0, 1).await.unwrap()[0].id, history[2].id);
    assert!(store.alert_history_after(last, 10).await.unwrap().is_empty());

    outbox_claims_retries_and_delivery(store, at).await;
    channel_results_are_kept(store, at).await;
    collector_stats_are_kept_per_member(store, at).await;
    silences_are_kept_until_deleted(store, at).await;
    only_the_lease_holder_saves(store, at).await;
    a_changed_host_key_is_offered_then_accepted(store, at).await;
}

/// The collector keeps the key a server offered instead of the recorded one; accepting it
/// replaces the recorded key and is in the history.
async fn a_changed_host_key_is_offered_then_accepted(store: &dyn Store, at: DateTime<Utc>) {
    let (old, new, other) = ("SHA256:old-key", "SHA256:new-key", "SHA256:someone-else");
    let accept =
        |fingerprint, only_offered, at| KeyAcceptance { server: "hk-1", fingerprint, by: "alice", at, only_offered };
    assert_eq!(store.accept_host_key(&accept(new, false, at)).await.unwrap(), KeyAccepted::NothingRecorded);
    let record = HostKeyRecord {
        server_name: "hk-1".into(),
        host: "10.0.0.1".into(),
        port: 22,
        fingerprint: old.into(),
        first_seen: at,
    };
    store.save_host_key(&record).await.unwrap();
    assert_eq!(
        store.accept_host_key(&accept(new, true, at)).await.unwrap(),
        KeyAccepted::NotOffered { offered: None },
        "the API accepts only a key the collector saw"
    );

    store.record_host_key_offer("hk-1", new, old, at).await.unwrap();
    let offers = store.host_key_offers().await.unwrap();
    let offered = HostKeyOffer {
        server_name: "hk-1".into(),
        fingerprint: new.into(),
        expected: old.into(),
        seen: at,
        accepted: None,
        accepted_by: None,
    };
    assert_eq!(offers, std::slice::from_ref(&offered));
    assert_eq!(
        store.accept_host_key(&accept(other, true, at)).await.unwrap(),
        KeyAccepted::NotOffered { offered: Some(new.into()) }
    );
    assert_eq!(store.host_key("hk-1").await.unwrap().unwrap().fingerprint, old, "nothing changed");

    let when = at + Duration::seconds(30);
    let done = store.accept_host_key(&accept(new, true, when)).await.unwrap();
    assert_eq!(done, KeyAccepted::Accepted { previous: old.into() });
    let now = store.host_key("hk-1").await.unwrap().unwrap();
    assert_eq!((now.fingerprint.as_str(), now.first_seen, now.host.as_str()), (new, when, "10.0.0.1"));
    let offers = store.host_key_offers().await.unwrap();
    assert_eq!(offers, [HostKeyOffer { accepted: Some(when), accepted_by: Some("alice".into()), ..offered.clone() }]);
    let q = HistoryQuery { from: when, to: when, server: Some("hk-1".into()), limit: 10 };
    let history = store.alert_history(&q).await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    let t = &history[0].transition;
    assert_eq!(
        (t.rule.as_str(), t.kind, t.from, t.to),
        ("host-key-changed", TransitionKind::HostKeyAccepted, AlertState::Ok, AlertState::Ok)
    );
    let detail = t.detail.as_deref().unwrap_or_default();
    assert!(detail.contains(new) && detail.contains(old) && detail.contains("alice"), "{detail}");
    assert!(!t.notify);

    // A later mismatch with yet another key is a new offer, not accepted.
    store.record_host_key_offer("hk-1", other, new, when).await.unwrap();
    let offers = store.host_key_offers().await.unwrap();
    assert_eq!((offers[0].fingerprint.as_str(), offers[0].accepted), (other, None));
}

/// In a cluster, an evaluation is saved only by the member holding every server's lease.
async fn only_the_lease_holder_saves(store: &dyn Store, at: DateTime<Utc>) {
    let now = Utc::now();
    store.heartbeat("eval-a", now).await.unwrap();
    assert!(store.acquire_lease("lease-1", "eval-a", now, now - Duration::seconds(30)).await.unwrap());
    let servers = ["lease-1".to_string()];
    let book = AlertBook::from_alerts([("lease-1".to_string(), alert("up", "", AlertState::Firing, at))]);
    let notes = [note("lease", 1)];
    let by = |member| Evaluation { servers: &servers, book: &book, transitions: &[], notifications: &notes, member };
    let refused = store.save_evaluation(by(Some("eval-b")), at).await;
    assert!(matches!(refused, Err(fleetwatch_store::Error::Conflict(_))), "{refused:?}");
    assert!(store.outbox(Some("lease")).await.unwrap().is_empty(), "nothing of a refused save is kept");
    assert!(!store.alerts().await.unwrap().iter().any(|(s, _)| s == "lease-1"));
    store.save_evaluation(by(Some("eval-a")), at).await.unwrap();
    assert_eq!(store.outbox(Some("lease")).await.unwrap().len(), 1);
    store.leave("eval-a").await.unwrap();
}

async fn silences_are_kept_until_deleted(store: &dyn Store, at: DateTime<Utc>) {
    assert!(store.silences().await.unwrap().is_empty());
    let spec = SilenceSpec {
        servers: vec!["db-*".into()],
        rules: vec!["disk-full".into()],
        end: Some(at + Duration::hours(2)),
        comment: "backup".into(),
        ..Default::default()
    };
    let weekly = SilenceSpec { cron: Some("0 0 2 * * Sun".into()), duration_secs: Some(7200), ..spec.clone() };
    let first = store.create_silence(&spec, "alice", at).await.unwrap();
    let second = store.create_silence(&weekly, "bob", at).await.unwrap();
    let stored = store.silences().await.unwrap();
    assert_eq!(
        stored.iter().map(|s| (s.id, s.spec.clone(), s.created_by.as_str())).collect::<Vec<_>>(),
        [(first, spec, "alice"), (second, weekly, "bob")]
    );
    assert_eq!(stored[0].created, at);
    assert!(store.delete_silence(first).await.unwrap());
    assert!(!store.delete_silence(first).await.unwrap(), "already gone");
    assert_eq!(store.silences().await.unwrap().len(), 1);
}

async fn outbox_claims_retries_and_delivery(store: &dyn Store, at: DateTime<Utc>) {
    let lease = at + Duration::seconds(60);
    let ops = store.outbox(Some("ops")).await.unwrap();
    assert_eq!((ops.len(), ops[0].payload.as_str(), ops[0].attempts), (1, "{\"n\":1}", 0));
    assert_eq!((ops[0].created, ops[0].next_attempt, ops[0].delivered), (at, at, None));
    assert!(
        store.claim_notifications(claim("ops", "m-a", at - Duration::seconds(1), lease, 10)).await.unwrap().is_empty()
    );

    let claimed = store.claim_notifications(claim("ops", "m-a", at, lease, 10)).await.unwrap();
    assert_eq!((claimed.len(), claimed[0].attempts), (1, 1));
    let id = claimed[0].id;
    assert!(store.claim_notifications(claim("ops", "m-b", at, lease, 10)).await.unwrap().is_empty(), "leased");
    assert!(!store.notification_delivered(id, "m-b", at).await.unwrap(), "not m-b's");

    // A failure with a retry time: due again then, for anyone.
    let retry = at + Duration::seconds(30);
    assert!(
        store.notification_failed(id, "m-a", Attempt { error: "HTTP 500", retry_at: Some(retry), at }).await.unwrap()
    );
    assert!(store.claim_notifications(claim("ops", "m-b", at, lease, 10)).await.unwrap().is_empty(), "not yet due");
    let again = store.claim_notifications(claim("ops", "m-b", retry, lease, 10)).await.unwrap();
    assert_eq!((again[0].attempts, again[0].last_error.as_deref()), (2, Some("HTTP 500")));
    assert!(store.notification_delivered(id, "m-b", retry).await.unwrap());
    let done = &store.outbox(Some("ops")).await.unwrap()[0];
    assert_eq!((done.delivered, done.last_error.as_deref()), (Some(retry), None));
    assert!(
        store.claim_notifications(claim("ops", "m-b", retry, lease, 10)).await.unwrap().is_empty(),
        "delivered once"
    );

    // A lease that ran out (a killed collector) lets another member take the row.
    let chat = store.claim_notifications(claim("chat", "m-a", at, lease, 10)).await.unwrap();
    assert_eq!(chat.len(), 1);
    let after = lease + Duration::seconds(1);
    let taken =
        store.claim_notifications(claim("chat", "m-b", after, after + Duration::seconds(60), 10)).await.unwrap();
    assert_eq!(taken.iter().map(|i| (i.id, i.attempts)).collect::<Vec<_>>(), [(chat[0].id, 2)]);
    // Giving up keeps the row, with the error, out of every later claim.
    assert!(
        store
            .notification_failed(chat[0].id, "m-b", Attempt { error: "HTTP 404", retry_at: None, at: after })
            .await
            .unwrap()
    );
    let row = &store.outbox(Some("chat")).await.unwrap()[0];
    assert_eq!((row.gave_up, row.delivered), (Some(after), None));
    assert!(
        store.claim_notifications(claim("chat", "m-a", after + Duration::days(1), lease, 10)).await.unwrap().is_empty()
    );

    assert_eq!(store.outbox_depth().await.unwrap(), 0, "one delivered, one given up");
    assert_eq!(store.purge_notifications(after).await.unwrap(), 1, "the delivered one, finished before");
    assert_eq!(store.outbox(None).await.unwrap().len(), 1);

    two_members_claim_each_row_once(store, at).await;
    assert_eq!(store.outbox_depth().await.unwrap(), 40, "claimed, not delivered");
}

/// Two members claiming at the same time get disjoint rows, and together all of them.
async fn two_members_claim_each_row_once(store: &dyn Store, at: DateTime<Utc>) {
    let notes: Vec<NewNotification> = (0..40).map(|n| note("race", n)).collect();
    let book = AlertBook::default();
    let e = Evaluation { servers: &[], book: &book, transitions: &[], notifications: &notes, member: None };
    store.save_evaluation(e, at).await.unwrap();
    let lease = at + Duration::seconds(60);
    let mut a = Vec::new();
    let mut b = Vec::new();
    for _ in 0..8 {
        let (x, y) = tokio::join!(
            store.claim_notifications(claim("race", "m-a", at, lease, 3)),
            store.claim_notifications(claim("race", "m-b", at, lease, 3))
        );
        a.extend(x.unwrap().into_iter().map(|i| i.id));
        b.extend(y.unwrap().into_iter().map(|i| i.id));
    }
    let mut all: Vec<i64> = a.iter().chain(&b).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), a.len() + b.len(), "no row claimed twice: {a:?} {b:?}");
    assert_eq!(all.len(), 40);
}

async fn channel_results_are_kept(store: &dyn Store, at: DateTime<Utc>) {
    let failing = ChannelResult { channel: "ops".into(), ok: false, at, error: Some("HTTP 500".into()) };
    store.record_channel_result(&failing).await.unwrap();
    let fine = ChannelResult { channel: "chat".into(), ok: true, at, error: None };
    store.record_channel_result(&fine).await.unwrap();
    let ok = ChannelResult { at: at + Duration::seconds(1), ok: true, error: None, ..failing };
    store.record_channel_result(&ok).await.unwrap();
    assert_eq!(store.channel_results().await.unwrap(), [fine, ok]);
    let totals = |channel: &str, sent, failed| ChannelTotals { channel: channel.into(), sent, failed };
    assert_eq!(store.channel_totals().await.unwrap(), [totals("chat", 1, 0), totals("ops", 1, 1)]);
}

/// Each collector process's own figures: one row per member, replaced each cycle; rows of
/// members gone long ago are forgotten.
async fn collector_stats_are_kept_per_member(store: &dyn Store, at: DateTime<Utc>) {
    assert!(store.collector_stats().await.unwrap().is_empty());
    let stats = |member: &str, at, cycles| CollectorStats {
        member: member.into(),
        at,
        last_cycle_ms: 1_250,
        servers_ok: 998,
        servers_failed: 2,
        cycles,
        cycle_secs_sum: 1.25 * cycles as f64,
        buckets: vec![(0.5, 0), (2.0, cycles), (10.0, cycles)],
    };
    let old = stats("gone-1", at - Duration::days(3), 40);
    store.record_collector_stats(&old, at - Duration::days(7)).await.unwrap();
    store.record_collector_stats(&stats("m-1", at, 1), at - Duration::days(1)).await.unwrap();
    let second = stats("m-1", at + Duration::seconds(60), 2);
    store.record_collector_stats(&second, at - Duration::days(1)).await.unwrap();
    assert_eq!(store.collector_stats().await.unwrap(), [second], "replaced; the member gone for days is forgotten");
}

fn claim<'a>(
    channel: &'a str,
    member: &'a str,
    now: chrono::DateTime<chrono::Utc>,
    lease_until: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> fleetwatch_store::Claim<'a> {
    fleetwatch_store::Claim { channel, member, now, lease_until, limit }
}

/// An evaluation reads the stored book, then writes. On SQLite a transaction that read before
/// another writer committed cannot write after it (SQLITE_BUSY, at once, no waiting): so it must
/// take the write lock before reading. Here another connection holds the write lock while the
/// evaluation starts, and commits while it waits: the evaluation must then go through.
pub(super) async fn an_evaluation_waits_for_another_writer(store: &dyn Store, url: &str) {
    use sqlx::Connection;
    let mut other = sqlx::SqliteConnection::connect(url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
    sqlx::query("DELETE FROM alert_outbox").execute(&mut other).await.unwrap();
    let at = t(3600);
    let servers = ["wait-1".to_string()];
    let book = AlertBook::from_alerts([("wait-1".to_string(), alert("up", "", AlertState::Firing, at))]);
    let transitions = [transition("wait-1", "up", TransitionKind::Firing, at)];
    let notes = [note("wait", 1)];
    let e =
        Evaluation { servers: &servers, book: &book, transitions: &transitions, notifications: &notes, member: None };
    let saving = store.save_evaluation(e, at);
    let holding = async {
        // Long enough for the evaluation to have started and read, were it not waiting.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    };
    let (saved, ()) = tokio::join!(saving, holding);
    saved.unwrap_or_else(|e| panic!("the evaluation failed instead of waiting: {e}"));
    assert_eq!(store.outbox(Some("wait")).await.unwrap().len(), 1);
}
