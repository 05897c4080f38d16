//! User activity per user, per server, per UTC day, on a store of its own (the maintenance pass
//! works on every server of the database): exact values on known samples across midnight, the
//! same before any maintenance, after the first day is summarised alone (the interval across
//! midnight carried back into it), after both are, and after the raw samples are gone; a user on
//! two servers; the days going with the 1-day tier's age.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fleetwatch_common::{Details, Sample, Session, UserDay};
use fleetwatch_store::{Retention, Store, UserUsage};

fn at(day: i64, h: i64, m: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc)
        + Duration::days(day)
        + Duration::hours(h)
        + Duration::minutes(m)
}

/// (cpu %, mem %, rss bytes, processes) of a user in a sample.
type Use = (&'static str, f64, f64, i64, i64);

fn users(list: &[Use]) -> Vec<UserUsage> {
    list.iter()
        .map(|&(name, cpu, mem, rss, procs)| UserUsage {
            username: name.into(),
            cpu,
            mem,
            rss_bytes: rss,
            process_count: procs,
            top_process: "work".into(),
            disk_bytes: (name == "alice").then_some(rss as f64 * 10.0),
        })
        .collect()
}

/// alice logged in on pts/0 at 22:30 on the first day.
fn with_session(server: &str, t: DateTime<Utc>) -> Details {
    Details {
        server_name: server.into(),
        timestamp: t,
        sessions: vec![Session {
            user: "alice".into(),
            tty: "pts/0".into(),
            from: None,
            login_time: Some(at(0, 22, 30)),
        }],
        ..Details::default()
    }
}

async fn record(store: &dyn Store, server: &str, t: DateTime<Utc>, list: &[Use], sessions: bool) {
    let sample = Sample { server_name: server.into(), timestamp: t, cpu_percent: Some(1.0), ..Sample::default() };
    let details = sessions.then(|| with_session(server, t));
    store.record_success(&sample, &users(list), details.as_ref(), 1).await.unwrap();
}

/// ua-1: alice at 22:00 (10 %: a first sample, no interval), 23:00 (50 % over an hour: 1,800 s),
/// 23:30 (20 % over half an hour: 360 s), 00:30 (40 %: 720 s before midnight, 720 s after) and
/// 01:00 (10 %: 180 s); bob at 23:00 only (100 % over an hour). The samples of 23:00 and 23:30
/// carry alice's session (open 30 + 30 minutes of their intervals). ua-2: alice at 12:00 and
/// 12:10 (30 % over 10 minutes: 180 s).
async fn seed(store: &dyn Store) {
    record(store, "ua-2", at(0, 12, 0), &[("alice", 10.0, 5.0, 1000, 1)], false).await;
    record(store, "ua-2", at(0, 12, 10), &[("alice", 30.0, 7.0, 3000, 3)], false).await;
    record(store, "ua-1", at(0, 22, 0), &[("alice", 10.0, 1.0, 100, 1)], false).await;
    record(store, "ua-1", at(0, 23, 0), &[("alice", 50.0, 2.0, 300, 3), ("bob", 100.0, 4.0, 50, 1)], true).await;
    record(store, "ua-1", at(0, 23, 30), &[("alice", 20.0, 3.0, 200, 2)], true).await;
    record(store, "ua-1", at(1, 0, 30), &[("alice", 40.0, 1.0, 400, 4)], false).await;
    record(store, "ua-1", at(1, 1, 0), &[("alice", 10.0, 3.0, 600, 2)], false).await;
}

#[allow(clippy::too_many_arguments)]
fn day(
    server: &str,
    d: u32,
    user: &str,
    samples: i64,
    cpu_seconds: f64,
    cpu_max: f64,
    mem: (f64, f64),
    rss: (f64, i64),
    procs: (f64, i64),
    sessions: Option<(i64, f64)>,
    disk: Option<f64>,
) -> UserDay {
    UserDay {
        username: user.into(),
        server_name: server.into(),
        day: NaiveDate::from_ymd_opt(2026, 1, d).unwrap(),
        samples,
        cpu_seconds,
        cpu_percent_max: Some(cpu_max),
        mem_percent_avg: Some(mem.0),
        mem_percent_max: Some(mem.1),
        rss_bytes_avg: Some(rss.0),
        rss_bytes_max: Some(rss.1),
        processes_avg: Some(procs.0),
        processes_max: Some(procs.1),
        sessions: sessions.map(|s| s.0),
        session_seconds: sessions.map(|s| s.1),
        disk_bytes: disk,
    }
}

fn expected() -> Vec<UserDay> {
    vec![
        day(
            "ua-1",
            1,
            "alice",
            3,
            1800.0 + 360.0 + 720.0,
            50.0,
            (2.0, 3.0),
            (200.0, 300),
            (2.0, 3),
            Some((1, 3600.0)),
            Some(2000.0),
        ),
        day("ua-1", 1, "bob", 1, 3600.0, 100.0, (4.0, 4.0), (50.0, 50), (1.0, 1), Some((0, 0.0)), None),
        day("ua-2", 1, "alice", 2, 180.0, 30.0, (6.0, 7.0), (2000.0, 3000), (2.0, 3), None, Some(30000.0)),
        day("ua-1", 2, "alice", 2, 720.0 + 180.0, 40.0, (2.0, 3.0), (500.0, 600), (3.0, 4), None, Some(6000.0)),
    ]
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * a.abs().max(1.0),
        (a, b) => a == b,
    }
}

fn assert_days(got: &[UserDay], want: &[UserDay], when: &str) {
    let key = |d: &UserDay| (d.day, d.server_name.clone(), d.username.clone());
    assert_eq!(got.iter().map(key).collect::<Vec<_>>(), want.iter().map(key).collect::<Vec<_>>(), "{when}: rows");
    for (g, w) in got.iter().zip(want) {
        let floats = [
            (g.cpu_seconds, w.cpu_seconds),
            (g.cpu_percent_max.unwrap_or(f64::NAN), w.cpu_percent_max.unwrap_or(f64::NAN)),
        ];
        let ok = floats.iter().all(|&(a, b)| close(Some(a), Some(b)))
            && close(g.mem_percent_avg, w.mem_percent_avg)
            && close(g.mem_percent_max, w.mem_percent_max)
            && close(g.rss_bytes_avg, w.rss_bytes_avg)
            && close(g.processes_avg, w.processes_avg)
            && close(g.session_seconds, w.session_seconds)
            && close(g.disk_bytes, w.disk_bytes)
            && (g.samples, g.rss_bytes_max, g.processes_max, g.sessions)
                == (w.samples, w.rss_bytes_max, w.processes_max, w.sessions);
        assert!(ok, "{when}: got\n{g:?}\nwant\n{w:?}");
    }
}

async fn all(store: &dyn Store) -> Vec<UserDay> {
    store.user_days(None, None, at(0, 12, 0), at(1, 12, 0)).await.unwrap()
}

pub(crate) async fn user_days_per_server_and_day(store: &dyn Store) {
    store.migrate().await.unwrap();
    assert!(all(store).await.is_empty());
    seed(store).await;

    // Before any maintenance pass: computed from the raw samples.
    assert_days(&all(store).await, &expected(), "from raw samples");
    let alice = store.user_days(Some("alice"), None, at(0, 0, 0), at(1, 0, 0)).await.unwrap();
    let want: Vec<UserDay> = expected().into_iter().filter(|d| d.username == "alice").collect();
    assert_days(&alice, &want, "one user on two servers");
    let one = store.user_days(Some("alice"), Some("ua-2"), at(0, 0, 0), at(0, 0, 0)).await.unwrap();
    assert_days(&one, &expected()[2..3], "one user on one server, one day");
    let second = store.user_days(None, None, at(1, 0, 0), at(1, 23, 0)).await.unwrap();
    assert_days(&second, &expected()[3..], "the second day alone");

    // The first day summarised alone: the interval across midnight is added to it later.
    let m = store.maintain(&Retention::default(), at(1, 0, 10)).await.unwrap();
    assert_eq!(m.user_days, 3, "the first day's three user days");
    assert_days(&all(store).await, &expected(), "first day stored, second from raw samples");
    let m = store.maintain(&Retention::default(), at(2, 0, 10)).await.unwrap();
    assert_eq!(m.user_days, 1);
    assert_days(&all(store).await, &expected(), "both days stored");
    assert_eq!(store.maintain(&Retention::default(), at(2, 0, 10)).await.unwrap().user_days, 0, "nothing more");

    // Raw samples gone (but each server's latest): the days stay.
    let day = |n: u64| Some(std::time::Duration::from_secs(n * 86_400));
    let short = Retention { raw: day(1), five_min: day(2), hour: day(3), day: day(5) };
    let m = store.maintain(&short, at(4, 0, 0)).await.unwrap();
    assert_eq!((m.raw_deleted, m.user_days_deleted), (5, 0), "all raw samples but the two latest");
    assert_days(&all(store).await, &expected(), "after raw samples are deleted");

    // The 1-day tier's age takes the user days with it.
    let m = store.maintain(&short, at(7, 0, 0)).await.unwrap();
    assert_eq!(m.user_days_deleted, 4);
    assert!(all(store).await.is_empty());
}
