//! The compact format through the `Store` API: realistic cycles (the benchmark's generator)
//! written past several windows, so that most of them are read back from blocks; and a
//! database written by the schema before migration 0007, upgraded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/approx.rs"]
mod approx;
#[path = "../benches/storage/fleet.rs"]
mod fleet;

use approx::{close, json};

use chrono::{DateTime, Duration, Utc};
use fleetwatch_store::{Ranking, Store, Success, TimeRange, connect};
use fleetwatch_testkit::PgTestDb;

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z").unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn sqlite_keeps_every_figure_through_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let store = connect(&url).await.unwrap();
    every_figure_through_compaction(store.as_ref(), &url).await;
}

#[tokio::test]
async fn postgres_keeps_every_figure_through_compaction() {
    let db = PgTestDb::create().await;
    let url = db.url.clone();
    let outcome = tokio::spawn(async move {
        let store = connect(&url).await.unwrap();
        every_figure_through_compaction(store.as_ref(), &url).await;
    })
    .await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Rows of a table, read past the store.
async fn rows(url: &str, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
    }
}

async fn every_figure_through_compaction(store: &dyn Store, url: &str) {
    store.migrate().await.unwrap();
    let mut hosts = fleet::fleet(7, 3);
    let cycles = 150;
    let mut written: Vec<Vec<fleet::Cycle>> = vec![Vec::new(); hosts.len()];
    for c in 0..cycles {
        let now = start() + Duration::seconds(60 * c) + Duration::milliseconds(c % 7);
        let batch: Vec<fleet::Cycle> = hosts.iter_mut().map(|h| h.cycle(now, 60.0)).collect();
        // Odd cycles as one batch, even ones one server at a time: the same store either way.
        if c % 2 == 1 {
            let successes: Vec<Success<'_>> = batch
                .iter()
                .map(|cy| Success { sample: &cy.sample, users: &cy.users, details: Some(&cy.details), duration_ms: 5 })
                .collect();
            store.record_successes(&successes).await.unwrap();
        } else {
            for cy in &batch {
                store.record_success(&cy.sample, &cy.users, Some(&cy.details), 5).await.unwrap();
            }
        }
        for (h, cy) in batch.into_iter().enumerate() {
            written[h].push(cy);
        }
    }
    // A write's closed window is packed after the write returns, and once the store is flushed:
    // one server written up to the write that closes its window (64 hot frames besides the
    // latest), then flushed, keeps its latest frame hot and nothing else.
    store.flush().await.unwrap();
    // The first server stored (the first host: cycle 0 went one server at a time).
    const HOT_OF_FIRST: &str = "sample_frames WHERE server_id = (SELECT MIN(server_id) FROM sample_frames)";
    for c in 0..(65 - rows(url, HOT_OF_FIRST).await) {
        let cy = hosts[0].cycle(start() + Duration::seconds(60 * (cycles + c)), 60.0);
        store.record_success(&cy.sample, &cy.users, Some(&cy.details), 5).await.unwrap();
        written[0].push(cy);
    }
    store.flush().await.unwrap();
    assert_eq!(rows(url, HOT_OF_FIRST).await, 1, "the closed window was packed by the time flush returned");
    store.record_successes(&[]).await.expect("an empty batch is no error");
    // A batch with one bad sample (a user twice) stores nothing.
    let before = store.stats().await.unwrap();
    let mut bad = written[1][0].clone();
    bad.users.push(bad.users[0].clone());
    let good = &written[0][0];
    let refused = store
        .record_successes(&[
            Success { sample: &good.sample, users: &good.users, details: Some(&good.details), duration_ms: 1 },
            Success { sample: &bad.sample, users: &bad.users, details: Some(&bad.details), duration_ms: 1 },
        ])
        .await;
    assert!(refused.is_err());
    assert_eq!(store.stats().await.unwrap().tables, before.tables);
    // Most samples are packed: each server keeps at most a window and its latest hot.
    let hot = rows(url, "sample_frames").await;
    assert!(hot <= 3 * 65, "{hot} hot frames");
    assert!(rows(url, "sample_blocks").await >= 3, "windows were packed");
    let stats = store.stats().await.unwrap();
    let samples = written.iter().map(Vec::len).sum::<usize>() as i64;
    assert_eq!(stats.tables[0].rows, samples, "every sample counted, packed or not");
    let users: i64 = written.iter().flatten().map(|c| c.users.len() as i64).sum();
    assert_eq!(stats.tables[1].rows, users);

    for (h, host) in hosts.iter().enumerate() {
        let name = host.name.as_str();
        let mine = &written[h];
        // Every cycle, as of its own time: the details at that moment.
        for (i, cy) in mine.iter().enumerate() {
            let got = store.details(name, Some(cy.sample.timestamp)).await.unwrap();
            close(&format!("{name} cycle {i}"), &json(&cy.details), &json(&got.expect("details")));
            // And its users, from the same packed row.
            let users = store.users_at(name, cy.sample.timestamp).await.unwrap();
            let mut want: Vec<(String, i64)> = cy.users.iter().map(|u| (u.username.clone(), u.process_count)).collect();
            let mut got: Vec<(String, i64)> = users.iter().map(|u| (u.username.clone(), u.process_count)).collect();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{name} cycle {i}: users");
            assert!(users.iter().all(|u| u.timestamp == cy.sample.timestamp), "{name} cycle {i}: the users' time");
        }
        // The latest is exact: it is never packed.
        let last = mine.last().unwrap();
        assert_eq!(store.latest_sample(name).await.unwrap().as_ref(), Some(&last.sample));
        assert_eq!(store.details(name, None).await.unwrap().as_ref(), Some(&last.details));
        let by_cpu = store.latest_processes(Some(name), Ranking::Cpu).await.unwrap();
        assert_eq!(by_cpu.into_iter().map(|p| p.process).collect::<Vec<_>>(), last.details.processes_by_cpu);
        let top = store.top_users(Some(name), 1000).await.unwrap();
        assert_eq!(top.len(), last.users.len());

        // The headline history and a series, one point per sample.
        let range = TimeRange { from: start(), to: start() + Duration::days(1), max_points: None };
        let history = store.history(name, range).await.unwrap();
        assert_eq!(history.len(), mine.len());
        for (p, cy) in history.iter().zip(mine) {
            assert_eq!(p.timestamp, cy.sample.timestamp);
            close("history cpu", &json(&cy.sample.cpu_percent), &json(&p.cpu_percent));
            close("history ram", &json(&cy.sample.ram_percentage), &json(&p.ram_percentage));
            assert_eq!(p.tcp_connections, cy.sample.tcp_connections.map(|v| v as f64), "integers exact");
        }
        for series in ["cpu.busy", "cpu1.busy", "mem.used_bytes", "net[eth0].rx_bytes_per_sec", "tcp[ESTABLISHED]"] {
            let points = store.series(name, series, range).await.unwrap();
            let want: Vec<(DateTime<Utc>, f64)> = mine
                .iter()
                .filter_map(|c| {
                    c.details.series().into_iter().find(|(n, _)| n == series).map(|(_, v)| (c.sample.timestamp, v))
                })
                .collect();
            assert_eq!(points.len(), want.len(), "{series}");
            for (p, (ts, v)) in points.iter().zip(&want) {
                assert_eq!(p.timestamp, *ts);
                close(series, &json(v), &json(&p.value));
            }
        }
        assert!(store.series(name, "~cpu_percent", range).await.unwrap().is_empty(), "not a series");
        let names = store.series_names(name).await.unwrap();
        let mut want: Vec<String> = last.details.series().into_iter().map(|(n, _)| n).collect();
        want.sort();
        assert_eq!(names, want);
        // Averages over buckets cover blocks and hot frames alike.
        let one = store.history(name, TimeRange { max_points: Some(1), ..range }).await.unwrap();
        assert_eq!((one.len(), one[0].samples), (1, mine.len() as i64));
    }

    // Cleanup in the middle of a block: exactly the older samples go.
    let cut = written[0][100].sample.timestamp;
    let older: usize = written.iter().flatten().filter(|c| c.sample.timestamp < cut).count();
    assert_eq!(store.cleanup(cut).await.unwrap(), older as u64);
    assert_eq!(store.stats().await.unwrap().tables[0].rows, samples - older as i64);
    let name = hosts[0].name.as_str();
    let left =
        store.history(name, TimeRange { from: cut, to: cut + Duration::days(1), max_points: None }).await.unwrap();
    assert_eq!(left.first().map(|p| p.timestamp), Some(cut));
    assert_eq!(left.len(), written[0].len() - 100);
    // What went was summarised first, into 5-minute buckets: none lost, none counted twice.
    let all = TimeRange { from: start(), to: cut + Duration::days(1), max_points: None };
    let all = store.history(name, all).await.unwrap();
    assert_eq!(all.first().map(|p| p.timestamp), Some(start()));
    assert_eq!(all.iter().map(|p| p.samples).sum::<i64>(), written[0].len() as i64);
    let kept = &written[0][120];
    let got = store.details(name, Some(kept.sample.timestamp)).await.unwrap().unwrap();
    close("after cleanup", &json(&kept.details), &json(&got));
    assert_eq!(store.details(name, Some(cut - Duration::seconds(1))).await.unwrap(), None);
}

#[tokio::test]
async fn sqlite_stores_changed_facts_as_patches_of_a_base_kept_while_needed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    facts_patches(&url).await;
}

#[tokio::test]
async fn postgres_stores_changed_facts_as_patches_of_a_base_kept_while_needed() {
    let db = PgTestDb::create().await;
    let url = db.url.clone();
    let outcome = tokio::spawn(async move { facts_patches(&url).await }).await;
    db.drop_db().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// A server's facts change by a login at a time: each change is stored as a patch of the first
/// facts (a fraction of their size), read back whole, found again by another process, and the
/// base outlives the samples that used it as long as a patch needs it.
async fn facts_patches(url: &str) {
    let store = connect(url).await.unwrap();
    store.migrate().await.unwrap();
    let mut host = fleet::fleet(11, 1).remove(0);
    let name = host.name.clone();
    let mut written: Vec<fleet::Cycle> = Vec::new();
    for c in 0..6i64 {
        let mut cy = host.cycle(start() + Duration::seconds(60 * c), 60.0);
        // Cycles 0 and 3 the same sessions, 1 and 4 one login more, 2 and 5 two.
        cy.details.sessions.truncate(1);
        // Nothing else of the facts changes (the fullest mount, the TCP states seen).
        cy.sample.disk_mount = Some("/".into());
        if let Some(first) = written.first() {
            cy.details.tcp = first.details.tcp.clone();
        }
        for k in 0..c % 3 {
            let mut s = cy.details.sessions[0].clone();
            s.tty = format!("pts/{}", 10 + k);
            cy.details.sessions.push(s);
        }
        store.record_success(&cy.sample, &cy.users, Some(&cy.details), 5).await.unwrap();
        written.push(cy);
    }
    store.flush().await.unwrap();
    assert_eq!(rows(url, "sample_facts").await, 3, "three different facts, each stored once");
    assert_eq!(rows(url, "sample_facts WHERE base_id IS NOT NULL").await, 2, "two of them as patches");
    let sizes = "sample_facts WHERE base_id IS NOT NULL AND LENGTH(body) * 4 < \
                 (SELECT LENGTH(body) FROM sample_facts WHERE base_id IS NULL)";
    assert_eq!(rows(url, sizes).await, 2, "a patch is a fraction of the whole");
    for (i, cy) in written.iter().enumerate() {
        let got = store.details(&name, Some(cy.sample.timestamp)).await.unwrap();
        close(&format!("cycle {i}"), &json(&cy.details), &json(&got.expect("details")));
    }

    // Another process (nothing cached) meets the same facts again: the rows are found, patches
    // included, and nothing new is stored.
    drop(store);
    let store = connect(url).await.unwrap();
    for c in 6..8i64 {
        let mut cy = written[(c - 5) as usize].clone();
        cy.sample.timestamp = start() + Duration::seconds(60 * c);
        cy.details.timestamp = cy.sample.timestamp;
        store.record_success(&cy.sample, &cy.users, Some(&cy.details), 5).await.unwrap();
        written.push(cy);
    }
    store.flush().await.unwrap();
    assert_eq!(rows(url, "sample_facts").await, 3, "found again, not stored again");

    // Every sample that used the base (cycles 0 and 3) goes: the base stays, for its patches.
    let cut = written[4].sample.timestamp;
    assert_eq!(store.cleanup(cut).await.unwrap(), 4);
    assert_eq!(rows(url, "sample_facts WHERE base_id IS NULL").await, 1, "the base is kept");
    for cy in &written[4..] {
        let got = store.details(&name, Some(cy.sample.timestamp)).await.unwrap();
        close("after cleanup", &json(&cy.details), &json(&got.expect("details")));
    }
    // Once no sample uses a patch nor its base, both go.
    let last = written.last().unwrap().clone();
    let mut cy = last.clone();
    cy.details.sessions.push(last.details.sessions[0].clone());
    cy.details.sessions.last_mut().unwrap().tty = "pts/99".into();
    cy.sample.timestamp += Duration::seconds(60);
    cy.details.timestamp = cy.sample.timestamp;
    store.record_success(&cy.sample, &cy.users, Some(&cy.details), 5).await.unwrap();
    store.flush().await.unwrap();
    store.cleanup(cy.sample.timestamp).await.unwrap();
    assert_eq!(rows(url, "sample_facts").await, 2, "the latest facts and their base");
    let got = store.details(&name, None).await.unwrap();
    close("the latest", &json(&cy.details), &json(&got.expect("details")));
}
