#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use chrono::{DateTime, TimeZone, Utc};
use fleetwatch_common::Sample;
use fleetwatch_store::{Success, UserUsage};

use super::*;

const ROOMY: SpoolLimits = SpoolLimits { max_bytes: 64 << 20, max_age: Duration::from_secs(7 * 86_400) };

fn sample(server: &str, at: DateTime<Utc>) -> Sample {
    Sample { server_name: server.into(), timestamp: at, cpu_percent: Some(12.0), ..Default::default() }
}

fn append(spool: &mut Spool, samples: &[Sample]) {
    let users: Vec<UserUsage> = Vec::new();
    let batch: Vec<Success<'_>> =
        samples.iter().map(|s| Success { sample: s, users: &users, details: None, duration_ms: 7 }).collect();
    spool.append(&batch).unwrap();
}

/// `i` seconds after a fixed time an hour ago.
fn at(i: i64) -> DateTime<Utc> {
    static BASE: std::sync::OnceLock<DateTime<Utc>> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| Utc::now() - chrono::Duration::seconds(10_000)) + chrono::Duration::seconds(i)
}

fn all(spool: &Spool) -> Vec<(String, i64)> {
    spool.peek(usize::MAX).unwrap().entries.into_iter().map(|e| (e.server, e.taken_ms)).collect()
}

#[test]
fn samples_come_back_in_order_and_survive_a_reopen_until_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), ROOMY).unwrap();
    let written: Vec<Sample> = (0..10).map(|i| sample(&format!("s{}", i % 3), at(i))).collect();
    append(&mut spool, &written[..4]);
    append(&mut spool, &written[4..]);
    let expect: Vec<(String, i64)> =
        written.iter().map(|s| (s.server_name.clone(), s.timestamp.timestamp_millis())).collect();
    assert_eq!(all(&spool), expect);
    assert_eq!(spool.stats().depth, 10);

    let peeked = spool.peek(3).unwrap();
    assert_eq!(peeked.entries.len(), 3);
    assert_eq!(peeked.entries[0].decode().unwrap().sample, written[0]);
    spool.ack(&peeked, 3).unwrap();
    assert_eq!(all(&spool), expect[3..]);
    assert_eq!(spool.stats().depth, 7);
    drop(spool);

    // The replay position is not kept: after a restart the segment is read from its start (the
    // replay skips what the database holds), and nothing is lost.
    let mut spool = Spool::open(dir.path(), ROOMY).unwrap();
    assert_eq!(all(&spool), expect);
    let peeked = spool.peek(100).unwrap();
    spool.ack(&peeked, 10).unwrap();
    assert!(spool.is_empty());
    assert_eq!(spool.stats().bytes, 0);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a stored segment is deleted");
    append(&mut spool, &written[..1]);
    assert_eq!(all(&Spool::open(dir.path(), ROOMY).unwrap()), expect[..1]);
}

#[test]
fn a_frame_torn_by_a_crash_is_cut_off_and_writing_goes_on_after_the_last_whole_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), ROOMY).unwrap();
    append(&mut spool, &[sample("a", at(1)), sample("b", at(2))]);
    let path = spool.segments[0].path.clone();
    drop(spool);
    let whole = std::fs::read(&path).unwrap();
    // Half of a third frame, as a kill -9 in the middle of a write leaves it.
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(&whole[..whole.len() / 3]).unwrap();
    drop(f);

    let mut spool = Spool::open(dir.path(), ROOMY).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), whole.len() as u64);
    append(&mut spool, &[sample("c", at(3))]);
    let names: Vec<String> = all(&spool).into_iter().map(|(s, _)| s).collect();
    assert_eq!(names, ["a", "b", "c"]);

    // (The reopened spool wrote "c" to a segment of its own.) A flipped bit in the first segment's
    // last frame: that frame is left out, what precedes it and the later segment are kept.
    drop(spool);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let spool = Spool::open(dir.path(), ROOMY).unwrap();
    let names: Vec<String> = all(&spool).into_iter().map(|(s, _)| s).collect();
    assert_eq!(names, ["a", "c"]);
}

#[test]
fn past_the_size_bound_the_oldest_samples_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let limits = SpoolLimits { max_bytes: 256 << 10, max_age: ROOMY.max_age };
    let mut spool = Spool::open(dir.path(), limits).unwrap();
    let total = 4_000;
    for chunk in (0..total).collect::<Vec<i64>>().chunks(100) {
        let batch: Vec<Sample> = chunk.iter().map(|i| sample("web", at(*i))).collect();
        append(&mut spool, &batch);
    }
    let stats = spool.stats();
    assert!(stats.dropped > 0, "{stats:?}");
    assert!(stats.bytes <= limits.max_bytes, "{stats:?}");
    assert_eq!(stats.depth + stats.dropped, total as u64);
    // What is left is the newest, in order, up to the last sample written.
    let left: Vec<i64> = all(&spool).into_iter().map(|(_, t)| t).collect();
    assert_eq!(left.len() as u64, stats.depth);
    assert!(left.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(left.last(), Some(&at(total - 1).timestamp_millis()));
    assert_eq!(left.first(), Some(&at(stats.dropped as i64).timestamp_millis()));
}

#[test]
fn samples_past_the_age_bound_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let limits = SpoolLimits { max_bytes: ROOMY.max_bytes, max_age: Duration::from_secs(3600) };
    let mut spool = Spool::open(dir.path(), limits).unwrap();
    let old = Utc.timestamp_opt(Utc::now().timestamp() - 7200, 0).unwrap();
    append(&mut spool, &[sample("a", old), sample("a", old + chrono::Duration::seconds(60))]);
    // The whole segment is older than the bound: gone, counted.
    assert_eq!(spool.stats(), SpoolStats { depth: 0, bytes: 0, dropped: 2 });
    append(&mut spool, &[sample("a", Utc::now())]);
    let e = &spool.peek(10).unwrap().entries[0];
    assert!(!spool.expired(e, Utc::now().timestamp_millis()));
    assert!(spool.expired(e, Utc::now().timestamp_millis() + 3_601_000));
}
