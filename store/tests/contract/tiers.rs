//! Rollup tiers and retention, on a store of their own (the maintenance pass works on every
//! server of the database): values of each tier exactly right on known input, a spike at 03:12
//! the maximum of its 5-minute, hour and day buckets, charts read from the tiers once raw
//! samples are gone, and retention removing what is past each tier's age but never a server's
//! latest sample.

use chrono::{DateTime, Duration, Utc};
use fleetwatch_common::Sample;
use fleetwatch_store::{FigureSummary, Retention, Store, Success, TierStats, TimeRange, UserUsage};

use super::details;

fn at(day: i64, h: i64, m: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc)
        + Duration::days(day)
        + Duration::hours(h)
        + Duration::minutes(m)
}

const SERVER: &str = "roll-1";

fn sample(t: DateTime<Utc>, cpu: f64) -> Sample {
    Sample {
        server_name: SERVER.into(),
        timestamp: t,
        cpu_percent: Some(cpu),
        ram_percentage: Some(40.0),
        tcp_connections: Some(cpu as i64 * 2),
        ..Sample::default()
    }
}

/// Two days of samples every 10 minutes whose CPU runs 0, 10, … 50 each hour (hour average 25),
/// plus samples at 03:11 (1), 03:12 (99, the spike) and 03:13 (2) on the first day. Each has
/// details whose `cpu.busy` is the same figure.
fn samples() -> Vec<(DateTime<Utc>, f64)> {
    let mut out: Vec<(DateTime<Utc>, f64)> =
        (0..288).map(|i| (at(0, 0, 10 * i), f64::from(u8::try_from(i % 6).unwrap()) * 10.0)).collect();
    out.extend([(at(0, 3, 11), 1.0), (at(0, 3, 12), 99.0), (at(0, 3, 13), 2.0)]);
    out.sort_by_key(|s| s.0);
    out
}

async fn summary(store: &dyn Store, from: DateTime<Utc>, to: DateTime<Utc>, series: &str) -> Vec<FigureSummary> {
    // One point over the whole range: read from the tier as wide as the range.
    let range = TimeRange { from, to: to - Duration::milliseconds(1), max_points: Some(1) };
    store.summary(SERVER, &[series], range).await.unwrap()
}

fn figure<'a>(all: &'a [FigureSummary], name: &str) -> &'a FigureSummary {
    all.iter().find(|f| f.figure == name).unwrap_or_else(|| panic!("no {name} in {all:?}"))
}

/// (count, average, minimum, maximum, last) of a figure.
fn shape(f: &FigureSummary) -> (i64, f64, f64, f64, f64) {
    (f.samples, f.avg.unwrap(), f.min.unwrap(), f.max.unwrap(), f.last.unwrap())
}

/// The figures a tier must hold, checked on `cpu_percent`, the integer `tcp_connections` and the
/// series `cpu.busy`.
async fn tiers_hold_the_known_values(store: &dyn Store) {
    let five = summary(store, at(0, 3, 10), at(0, 3, 15), "cpu.busy").await;
    assert_eq!(shape(figure(&five, "cpu_percent")), (4, 28.0, 1.0, 99.0, 2.0), "the 03:10 bucket");
    assert_eq!(shape(figure(&five, "tcp_connections")), (4, 56.0, 2.0, 198.0, 4.0));
    assert_eq!(shape(figure(&five, "cpu.busy")), (4, 28.0, 1.0, 99.0, 2.0));
    let hour = summary(store, at(0, 3, 0), at(0, 4, 0), "cpu.busy").await;
    assert_eq!(shape(figure(&hour, "cpu_percent")), (9, 28.0, 0.0, 99.0, 50.0), "the 03:00 hour");
    assert_eq!(shape(figure(&hour, "cpu.busy")), (9, 28.0, 0.0, 99.0, 50.0));
    let day = summary(store, at(0, 0, 0), at(1, 0, 0), "cpu.busy").await;
    let (n, avg, min, max, last) = shape(figure(&day, "cpu_percent"));
    assert_eq!((n, min, max, last), (147, 0.0, 99.0, 50.0), "the first day");
    // Averages in a chunk keep 3 significant digits of their span: the two days' averages
    // (25.18 and 25) span 0.18, a step of 0.001.
    assert!((avg - 3702.0 / 147.0).abs() <= 0.0005, "{avg}");
    let second = summary(store, at(1, 0, 0), at(2, 0, 0), "cpu.busy").await;
    assert_eq!(shape(figure(&second, "cpu_percent")), (144, 25.0, 0.0, 50.0, 50.0), "the second day");
    assert_eq!(figure(&second, "ram_percentage").avg, Some(40.0));

    // A chart over a day: 5-minute points (one per sample of the grid) with the band.
    let range = TimeRange { from: at(0, 0, 10), to: at(1, 0, 10) - Duration::milliseconds(1), max_points: Some(288) };
    let points = store.series(SERVER, "cpu.busy", range).await.unwrap();
    assert_eq!(points.len(), 144, "one per 5 minutes with samples");
    let spike = points.iter().find(|p| p.timestamp == at(0, 3, 10)).unwrap();
    assert_eq!((spike.value, spike.min, spike.max, spike.samples), (28.0, Some(1.0), Some(99.0), 4));
}

/// The 5-minute tier waits until raw samples are an hour from their age: until then a read
/// summarises the raw samples (it says the same), while hours and days are made from them at
/// once. When it is written, it holds the same buckets a read made before, and retention then
/// deletes the raw samples it covers.
pub(crate) async fn five_minute_tier_waits_for_raw_to_age(store: &dyn Store) {
    store.migrate().await.unwrap();
    for (t, cpu) in samples() {
        let (s, d) = (sample(t, cpu), details(SERVER, t, cpu));
        store.record_successes(&[Success { sample: &s, users: &[], details: Some(&d), duration_ms: 1 }]).await.unwrap();
    }
    let day_chart = TimeRange { from: at(0, 0, 0), to: at(1, 0, 0) - Duration::milliseconds(1), max_points: Some(288) };
    let before = store.series(SERVER, "cpu.busy", day_chart).await.unwrap();
    assert_eq!(before.len(), 144, "one point per 5 minutes with samples");

    let m = store.maintain(&Retention::default(), at(2, 0, 10)).await.unwrap();
    assert_eq!((m.rolled_up, m.raw_deleted), (48 + 2, 0), "hours and days, from raw samples");
    let stats = store.stats().await.unwrap().tiers;
    assert_eq!(tier(&stats, "5m"), (0, None, None), "no 5-minute bucket yet");
    assert_eq!(tier(&stats, "1h"), (48, Some(at(0, 0, 0)), Some(at(1, 23, 0))));
    assert_eq!(tier(&stats, "1d"), (2, Some(at(0, 0, 0)), Some(at(1, 0, 0))));
    assert_eq!(store.series(SERVER, "cpu.busy", day_chart).await.unwrap(), before, "the day from raw samples");
    tiers_hold_the_known_values(store).await;

    // A week after the first day's 23:10: its samples before then expire, and the tier is
    // written at least an hour past that, to the end of a 6-hour span of raw blocks (Jan 2
    // 06:00): the first day's 144 buckets and Jan 2's first 36.
    let m = store.maintain(&Retention::default(), at(7, 23, 10)).await.unwrap();
    assert_eq!((m.rolled_up, m.raw_deleted), (144 + 36, 139 + 3), "samples 00:00-23:00 and the three at 03:1x");
    let stats = store.stats().await.unwrap().tiers;
    assert_eq!(tier(&stats, "5m"), (180, Some(at(0, 0, 0)), Some(at(1, 5, 50))));
    assert_eq!(tier(&stats, "raw").1, Some(at(0, 23, 10)));
    let m = store.maintain(&Retention::default(), at(7, 23, 55)).await.unwrap();
    assert_eq!((m.rolled_up, m.raw_deleted), (0, 5), "nothing more until 06:00; 23:10-23:50 expire");
    assert_eq!(store.series(SERVER, "cpu.busy", day_chart).await.unwrap(), before, "the day from its buckets");
    tiers_hold_the_known_values(store).await;

    // `cleanup` of raw samples summarises the ones it deletes first.
    assert_eq!(store.cleanup(at(1, 12, 0)).await.unwrap(), 72);
    let stats = store.stats().await.unwrap().tiers;
    assert_eq!(tier(&stats, "5m"), (216, Some(at(0, 0, 0)), Some(at(1, 11, 50))));
    let second = TimeRange { from: at(1, 0, 0), ..day_chart };
    let second = TimeRange { to: at(2, 0, 0) - Duration::milliseconds(1), ..second };
    assert_eq!(store.series(SERVER, "cpu.busy", second).await.unwrap().len(), 144, "half from buckets, half raw");

    // A server first seen at 10:57:30, its hours written already: a week's chart (10-minute
    // points) is made from its raw samples, not from the hourly tier that starts earlier (10:00).
    let other = "roll-2";
    let times: Vec<DateTime<Utc>> = (0..13).map(|i| at(0, 10, 57) + Duration::seconds(30 + 600 * i)).collect();
    for &t in &times {
        let s = Sample { server_name: other.into(), ..sample(t, 10.0) };
        let d = details(other, t, 10.0);
        store.record_successes(&[Success { sample: &s, users: &[], details: Some(&d), duration_ms: 1 }]).await.unwrap();
    }
    let now = at(0, 14, 0);
    store.maintain(&Retention::default(), now).await.unwrap();
    let week = TimeRange { from: now - Duration::days(7), to: now, max_points: Some(1000) };
    let points = store.series(other, "cpu.busy", week).await.unwrap();
    assert_eq!(points.iter().map(|p| p.samples).sum::<i64>(), 13);
    assert!(points.iter().all(|p| p.samples <= 2), "10-minute points, not hours: {points:?}");
}

fn tier(stats: &[TierStats], name: &str) -> (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let t = stats.iter().find(|t| t.tier == name).unwrap();
    (t.points, t.oldest, t.newest)
}

pub(crate) async fn tiers_and_retention(store: &dyn Store) {
    store.migrate().await.unwrap();
    let names: Vec<String> = store.stats().await.unwrap().tiers.into_iter().map(|t| t.tier).collect();
    assert_eq!(names, ["raw", "5m", "1h", "1d"]);

    let all = samples();
    let stored: Vec<(Sample, fleetwatch_common::Details)> =
        all.iter().map(|&(t, cpu)| (sample(t, cpu), details(SERVER, t, cpu))).collect();
    for (s, d) in &stored {
        store.record_successes(&[Success { sample: s, users: &[], details: Some(d), duration_ms: 1 }]).await.unwrap();
    }
    // Before any maintenance, the tiers' figures are summarised from raw samples when read.
    tiers_hold_the_known_values(store).await;

    // Nothing past its age: everything is rolled up, nothing deleted. Raw samples kept forever,
    // so the 5-minute tier does not wait for them to age (see `five_minute_tier_waits_for_raw_to_age`).
    let now = at(2, 0, 10);
    let forever = Retention { raw: None, ..Retention::default() };
    let m = store.maintain(&forever, now).await.unwrap();
    assert_eq!(m.raw_deleted, 0);
    assert_eq!(m.buckets_deleted, [0, 0, 0]);
    assert_eq!(m.rolled_up, 288 + 48 + 2, "5-minute buckets with samples, hours, days");
    let stats = store.stats().await.unwrap().tiers;
    assert_eq!(tier(&stats, "raw"), (291, Some(at(0, 0, 0)), Some(at(1, 23, 50))));
    assert_eq!(tier(&stats, "5m"), (288, Some(at(0, 0, 0)), Some(at(1, 23, 50))));
    assert_eq!(tier(&stats, "1h"), (48, Some(at(0, 0, 0)), Some(at(1, 23, 0))));
    assert_eq!(tier(&stats, "1d"), (2, Some(at(0, 0, 0)), Some(at(1, 0, 0))));
    assert!(store.stats().await.unwrap().servers.iter().any(|s| s.server_name == SERVER && s.rollup_bytes > 0));
    assert_eq!(store.maintain(&forever, now).await.unwrap().rolled_up, 0, "a second pass has nothing to do");

    // Raw kept 1 day, 5 minutes 2 days: raw samples before 00:10 on the second day go, and
    // the 5-minute bucket of 00:00 on the first day.
    let day = |n: u64| Some(std::time::Duration::from_secs(n * 86_400));
    let short = Retention { raw: day(1), five_min: day(2), hour: day(3), day: None };
    let m = store.maintain(&short, now).await.unwrap();
    assert_eq!((m.raw_deleted, m.buckets_deleted), (147 + 1, [1, 0, 0]));
    let stats = store.stats().await.unwrap().tiers;
    assert_eq!(tier(&stats, "raw"), (143, Some(at(1, 0, 10)), Some(at(1, 23, 50))));
    assert_eq!(tier(&stats, "5m"), (287, Some(at(0, 0, 10)), Some(at(1, 23, 50))));
    // The first day's figures now come from the tiers alone, unchanged.
    tiers_hold_the_known_values(store).await;

    // A year later: each tier keeps only its server's last bucket (days are kept forever), raw
    // samples only the server's latest.
    let latest = store.latest_sample(SERVER).await.unwrap();
    let m = store.maintain(&short, at(365, 0, 0)).await.unwrap();
    assert_eq!(m.raw_deleted, 142);
    assert_eq!(m.buckets_deleted, [143 + 143, 47, 0]);
    let stats = store.stats().await.unwrap().tiers;
    assert_eq!(tier(&stats, "raw"), (1, Some(at(1, 23, 50)), Some(at(1, 23, 50))));
    assert_eq!(tier(&stats, "5m"), (1, Some(at(1, 23, 50)), Some(at(1, 23, 50))));
    assert_eq!(tier(&stats, "1h"), (1, Some(at(1, 23, 0)), Some(at(1, 23, 0))));
    assert_eq!(tier(&stats, "1d"), (2, Some(at(0, 0, 0)), Some(at(1, 0, 0))));
    assert_eq!(store.latest_sample(SERVER).await.unwrap(), latest);
    let second = summary(store, at(1, 0, 0), at(2, 0, 0), "cpu.busy").await;
    assert_eq!(shape(figure(&second, "cpu_percent")), (144, 25.0, 0.0, 50.0, 50.0), "the day tier outlives the rest");
}

/// Sealing: once an 8-day span of the 5-minute tier is complete, its day chunks become one chunk,
/// and every bucket reads back as it did from the raw samples; retention then trims a sealed
/// chunk exactly as it trims a day's.
pub(crate) async fn sealing_keeps_every_bucket(store: &dyn Store) {
    store.migrate().await.unwrap();
    // Every 30 minutes from 2026-01-01 to 2026-01-11 11:30. Spans of 8 days are aligned on the
    // epoch: 2025-12-26 (holding Jan 1-2), 2026-01-03 (Jan 3-10), then Jan 11, not complete.
    let all: Vec<(DateTime<Utc>, f64)> =
        (0..10 * 48 + 24).map(|i| (at(0, 0, 30 * i), f64::from(u8::try_from(i % 6).unwrap()) * 10.0)).collect();
    for &(t, cpu) in &all {
        let (s, d) = (sample(t, cpu), details(SERVER, t, cpu));
        store.record_successes(&[Success { sample: &s, users: &[], details: Some(&d), duration_ms: 1 }]).await.unwrap();
    }
    let range = TimeRange { from: at(0, 0, 0), to: at(10, 12, 0), max_points: Some(3000) };
    let from_raw = store.series(SERVER, "cpu.busy", range).await.unwrap();
    assert_eq!(from_raw.len(), all.len(), "one 5-minute point per sample");

    // Raw samples kept 7 days: the 5-minute tier is written at least an hour before they expire,
    // to the end of a 6-hour span (Jan 4 18:00), so only the first span of the tier is complete.
    let now = at(10, 12, 0);
    let m = store.maintain(&Retention::default(), now).await.unwrap();
    assert_eq!(m.sealed, 1, "the span of Jan 1-2");
    let five = store.stats().await.unwrap().tiers.into_iter().find(|t| t.tier == "5m").unwrap();
    assert_eq!((five.points, five.newest), (3 * 48 + 36, Some(at(3, 17, 30))), "up to Jan 4 18:00");
    assert_eq!(store.series(SERVER, "cpu.busy", range).await.unwrap(), from_raw);
    // Raw samples kept forever: the tier does not wait, and the second span is complete.
    let forever = Retention { raw: None, ..Retention::default() };
    let m = store.maintain(&forever, now).await.unwrap();
    assert_eq!(m.sealed, 1, "the span of Jan 3-10");
    let stats = store.stats().await.unwrap().tiers;
    let five = stats.iter().find(|t| t.tier == "5m").unwrap();
    assert_eq!((five.rows, five.points), (2 + 1, 10 * 48 + 24), "two sealed chunks and Jan 11's chunk");
    // Raw samples before Jan 4 12:00 are gone (7 days): those days come from sealed chunks.
    assert_eq!(store.series(SERVER, "cpu.busy", range).await.unwrap(), from_raw);
    assert_eq!(store.maintain(&Retention::default(), now).await.unwrap().sealed, 0, "nothing left to seal");
    assert_eq!(store.maintain(&forever, now).await.unwrap().sealed, 0, "nothing left to seal");

    // 5-minute buckets kept 5 days: the 5.5 days before Jan 6 12:00 go, across both sealed
    // chunks. The second is trimmed, not dropped, and goes back to chunks of a day (Jan 6 from
    // 12:00, Jan 7-10), so that the passes after trim a day, not eight; they are not sealed
    // again.
    let day = |n: u64| Some(std::time::Duration::from_secs(n * 86_400));
    let short = Retention { raw: day(7), five_min: day(5), hour: None, day: None };
    let m = store.maintain(&short, now).await.unwrap();
    assert_eq!(m.buckets_deleted[0], 5 * 48 + 24);
    let stats = store.stats().await.unwrap().tiers;
    let five = stats.iter().find(|t| t.tier == "5m").unwrap();
    assert_eq!((five.rows, five.points, five.oldest), (5 + 1, 5 * 48, Some(at(5, 12, 0))));
    let kept = TimeRange { from: at(5, 12, 0), ..range };
    let want: Vec<_> = from_raw.iter().filter(|p| p.timestamp >= at(5, 12, 0)).cloned().collect();
    assert_eq!(store.series(SERVER, "cpu.busy", kept).await.unwrap(), want);
    let m = store.maintain(&short, now).await.unwrap();
    assert_eq!((m.sealed, m.buckets_deleted[0]), (0, 0), "the trimmed span is left to retention");
    assert_eq!(store.series(SERVER, "cpu.busy", kept).await.unwrap(), want);

    // An hour later the day chunk of Jan 6 loses its two buckets of 12:00-13:00: hidden
    // (its row says where it now starts), never read again, counted once.
    let bytes = five.bytes;
    let later = now + Duration::hours(1);
    let m = store.maintain(&short, later).await.unwrap();
    assert_eq!(m.buckets_deleted[0], 2);
    let stats = store.stats().await.unwrap().tiers;
    let five = stats.iter().find(|t| t.tier == "5m").unwrap();
    assert_eq!((five.rows, five.points, five.oldest), (5 + 1, 5 * 48 - 2, Some(at(5, 13, 0))));
    assert_eq!(five.bytes, bytes, "hidden, not re-encoded");
    assert_eq!(store.maintain(&short, later).await.unwrap().buckets_deleted[0], 0, "counted once");
}

/// Raw sealing: every 2 minutes from Jan 1 00:00 to Jan 2 15:00, with users and details. Blocks
/// of 64 frames span 128 minutes, so every 6-hour span holds at least two block starts: Jan 1's
/// four spans and Jan 2's first two are complete and sealed; Jan 2 12:00-18:00 is not (frames
/// after ~12:50 are still hot or in its first block). Every frame reads back the same after
/// sealing, and retention then trims a sealed block exactly.
pub(crate) async fn raw_sealing_keeps_every_frame(store: &dyn Store) {
    store.migrate().await.unwrap();
    let times: Vec<DateTime<Utc>> = (0..39 * 30).map(|i| at(0, 0, 2 * i)).collect();
    for (i, &t) in times.iter().enumerate() {
        let cpu = f64::from(u8::try_from(i % 7).unwrap()) * 10.0 + 0.25;
        let users = [
            UserUsage {
                username: "alice".into(),
                cpu: cpu / 2.0,
                mem: 1.25,
                rss_bytes: 1_000_000 + i64::try_from(i).unwrap() * 4096,
                process_count: 3,
                top_process: "postgres".into(),
                disk_bytes: None,
            },
            UserUsage {
                username: format!("user{}", i % 3),
                cpu: 0.5,
                mem: 0.25,
                rss_bytes: 2_000_000,
                process_count: 1,
                top_process: "sshd".into(),
                disk_bytes: Some(1e9),
            },
        ];
        let (s, d) = (sample(t, cpu), details(SERVER, t, cpu));
        store
            .record_successes(&[Success { sample: &s, users: &users, details: Some(&d), duration_ms: 1 }])
            .await
            .unwrap();
    }
    let range = TimeRange { from: at(0, 0, 0), to: at(1, 15, 0), max_points: Some(3000) };
    let probes: Vec<DateTime<Utc>> = times.iter().step_by(13).copied().collect();
    let read = || async {
        let mut out = Vec::new();
        for &t in &probes {
            out.push((t, store.details(SERVER, Some(t)).await.unwrap(), store.users_at(SERVER, t).await.unwrap()));
        }
        (store.series(SERVER, "cpu.busy", range).await.unwrap(), store.history(SERVER, range).await.unwrap(), out)
    };
    let before = read().await;
    assert_eq!(before.0.len(), times.len(), "one raw point per sample");
    assert!(before.2.iter().all(|(_, d, u)| d.is_some() && u.len() == 2), "every probe has details and users");
    let raw_rows = |stats: Vec<TierStats>| stats.into_iter().find(|t| t.tier == "raw").map(|t| (t.rows, t.points));
    let (rows_before, points_before) = raw_rows(store.stats().await.unwrap().tiers).unwrap();

    let now = at(1, 15, 0);
    let m = store.maintain(&Retention::default(), now).await.unwrap();
    assert_eq!(m.blocks_sealed, 6, "Jan 1's four spans and Jan 2's first two");
    let (rows_after, points_after) = raw_rows(store.stats().await.unwrap().tiers).unwrap();
    assert_eq!(points_after, points_before, "no frame lost or added");
    assert!(rows_after + 6 <= rows_before, "{rows_before} rows became {rows_after}");
    assert_eq!(read().await, before, "every frame reads back the same");
    assert_eq!(store.maintain(&Retention::default(), now).await.unwrap().blocks_sealed, 0, "nothing left to seal");

    // Raw kept a day: the frames before Jan 1 15:00 go, the sealed block of 12:00-18:00 is
    // trimmed (not dropped), and what is kept reads the same.
    let short = Retention { raw: Some(std::time::Duration::from_secs(86_400)), ..Retention::default() };
    let m = store.maintain(&short, now).await.unwrap();
    assert_eq!(m.raw_deleted, 15 * 30, "the frames before Jan 1 15:00");
    let m = store.maintain(&short, now).await.unwrap();
    assert_eq!((m.blocks_sealed, m.raw_deleted), (0, 0), "the trimmed span is left to retention");
    let cut = at(0, 15, 0);
    let kept = TimeRange { from: cut, ..range };
    let want: Vec<_> = before.0.iter().filter(|p| p.timestamp >= cut).cloned().collect();
    assert_eq!(store.series(SERVER, "cpu.busy", kept).await.unwrap(), want);
    for (t, details, users) in before.2.iter().filter(|(t, _, _)| *t >= cut) {
        assert_eq!(&store.details(SERVER, Some(*t)).await.unwrap(), details, "details at {t}");
        assert_eq!(&store.users_at(SERVER, *t).await.unwrap(), users, "users at {t}");
    }
}
