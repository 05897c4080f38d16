//! Round trips of whole cycles through a frame and through a block.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use fleetwatch_common::{
    ContainerInfo, CpuBreakdown, CpuStats, Details, DiskUsage, MemoryStats, NetInterface, ProcessInfo, Sample,
    SystemInfo, TcpStats,
};

use super::block::{BlockFrame, Effort, Figures, pack, unpack_lists, value_at};
use super::cycle::{Cycle, names};
use super::frame;
use crate::types::UserUsage;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_767_225_600_000 + ms).unwrap()
}

fn cycle(i: i64) -> Cycle {
    let f = i as f64;
    let core = |name: &str, busy: f64| CpuBreakdown {
        name: name.into(),
        busy,
        user: busy * 0.5,
        system: busy * 0.25,
        idle: 100.0 - busy,
        ..Default::default()
    };
    let details = Details {
        server_name: "web-1".into(),
        timestamp: at(i * 60_000 + 3),
        cpu: Some(CpuStats {
            total: Some(core("cpu", 10.0 + f / 4.0)),
            cores: vec![core("cpu0", 20.5), core("cpu1", f)],
            core_count: 2,
            load_1: Some(0.25 * f),
            load_5: None,
            model: Some("Test".into()),
            ..Default::default()
        }),
        memory: Some(MemoryStats {
            total: 8 << 30,
            used: (2 << 30) + i * 4096,
            used_percent: 25.0,
            ..Default::default()
        }),
        disks: vec![
            DiskUsage { mount: "/".into(), used_bytes: 1 << 40, used_percent: 42.0, ..Default::default() },
            DiskUsage {
                mount: "/".into(),
                used_bytes: 5,
                used_percent: 1.5,
                inodes_used: Some(9),
                ..Default::default()
            },
        ],
        network: vec![NetInterface {
            name: "eth0".into(),
            rx_bytes_per_sec: 1234.5,
            rx_drops: i,
            ..Default::default()
        }],
        tcp: Some(TcpStats { states: [("ESTABLISHED".to_string(), 7 + i)].into(), listening: vec![] }),
        system: Some(SystemInfo { processes: Some(120), uptime_seconds: Some(1000 + i), ..Default::default() }),
        processes_by_cpu: vec![ProcessInfo {
            pid: 10 + i,
            user: "alice".into(),
            command: "x".into(),
            cpu_percent: 90.0,
            rss_bytes: 4096,
            mem_percent: 0.5,
            threads: 2,
            open_fds: Some(3),
        }],
        processes_by_memory: vec![],
        containers: Some(vec![ContainerInfo {
            name: "web".into(),
            cpu_percent: Some(2.0),
            net_rx_bytes: Some(i << 33),
            ..Default::default()
        }]),
        section_errors: vec!["users: exit status 1".into()],
        ..Default::default()
    };
    let sample = Sample {
        server_name: "web-1".into(),
        timestamp: at(i * 60_000),
        cpu_percent: Some(12.5 + f),
        ram_percentage: Some(45.678),
        uptime_seconds: Some(i64::MAX - i),
        hostname: Some("web-1.example.org".into()),
        ..Sample::default()
    };
    let users = vec![UserUsage {
        username: "alice".into(),
        cpu: 5.05,
        mem: 1.2345,
        rss_bytes: 1 << 33,
        process_count: 3,
        top_process: "sh".into(),
        disk_bytes: None,
    }];
    Cycle { sample, users, details: Some(details) }
}

#[test]
fn a_cycle_round_trips_through_a_frame() {
    for c in [cycle(1), Cycle { details: None, ..cycle(2) }] {
        let (facts, changing) = c.split();
        let body = frame::encode(&changing);
        let back = frame::decode(&body, &names(&facts)).unwrap();
        let values = |c: &super::cycle::Changing| c.figures.iter().map(|f| f.value).collect::<Vec<_>>();
        assert_eq!(values(&back), values(&changing));
        assert_eq!((&back.users, &back.by_cpu), (&changing.users, &changing.by_cpu));
        let joined = Cycle::join(
            "web-1",
            crate::values::to_ms(c.sample.timestamp),
            &facts,
            false,
            |_, i| back.figures.get(i).map(|f| f.value),
            (back.users.clone(), back.by_cpu.clone(), back.by_memory.clone()),
        )
        .unwrap();
        assert_eq!(joined, c);
    }
}

#[test]
fn the_walk_names_every_series_as_details_series_does() {
    let c = cycle(3);
    let d = c.details.clone().unwrap();
    let (facts, changing) = c.split();
    let series: Vec<(String, f64)> = names(&facts)
        .iter()
        .zip(&changing.figures)
        .filter(|(n, _)| n.2)
        .filter_map(|(n, f)| match f.value {
            super::cycle::Value::F(Some(v)) => Some((n.0.to_string(), v)),
            super::cycle::Value::I(Some(v)) => Some((n.0.to_string(), v as f64)),
            _ => None,
        })
        .collect();
    assert_eq!(series, d.series());
}

#[test]
fn cycles_round_trip_through_a_block_within_their_digits() {
    let cycles: Vec<Cycle> = (0..70).map(cycle).collect();
    let split: Vec<_> = cycles.iter().map(Cycle::split).collect();
    let frames: Vec<BlockFrame> = cycles
        .iter()
        .zip(&split)
        .map(|(c, (facts, ch))| BlockFrame {
            ts_ms: crate::values::to_ms(c.sample.timestamp),
            facts_id: 7,
            // As compaction reads them: named by their facts.
            changing: frame::decode(&frame::encode(ch), &names(facts)).unwrap(),
        })
        .collect();
    // Compaction packs quick, sealing small: both read back the same.
    for effort in [Effort::Quick, Effort::Small] {
        let packed = pack(&frames, effort);
        let figures = Figures::open(&packed.figures).unwrap();
        let columns = figures.all().unwrap();
        let lists = unpack_lists(&packed.lists).unwrap();
        assert_eq!(figures.facts, vec![7; 70]);
        for (row, c) in cycles.iter().enumerate() {
            let row_lists = lists[row].clone();
            let back = Cycle::join(
                "web-1",
                figures.ts[row],
                &split[row].0,
                true,
                |name, _| columns.get(name).map(|col| value_at(col, row)),
                row_lists,
            )
            .unwrap();
            // Every figure here has at most seven significant digits: all exact (users by name),
            // but the lists' shares of CPU and memory, kept to hundredths of a percent.
            let mut want = c.clone();
            want.users.sort_by(|a, b| a.username.cmp(&b.username));
            assert_eq!(back.users[0].mem, 1.23, "1.2345 % of memory is kept as 1.23 %");
            want.users[0].mem = 1.23;
            assert_eq!(back, want, "{effort:?} row {row}");
        }
    }
}

#[test]
fn a_column_equal_to_an_earlier_one_is_stored_once() {
    let frames: Vec<BlockFrame> = (0..64)
        .map(|i| {
            let v = f64::from((i * 37 % 101) as u8) + 0.25;
            let figures = ["cpu.busy", "~cpu_percent", "cpu.idle"]
                .iter()
                .zip([v, v, 100.0 - v])
                .map(|(name, x)| super::cycle::Figure { name: (*name).into(), value: super::cycle::Value::F(Some(x)) })
                .collect();
            let changing = super::cycle::Changing { figures, ..Default::default() };
            BlockFrame { ts_ms: i64::from(i) * 60_000, facts_id: 1, changing }
        })
        .collect();
    let packed = pack(&frames, Effort::Small);
    let figures = Figures::open(&packed.figures).unwrap();
    let busy = figures.column("cpu.busy").unwrap().unwrap();
    assert_eq!(figures.column("~cpu_percent").unwrap(), Some(busy.clone()));
    assert_ne!(figures.column("cpu.idle").unwrap(), Some(busy.clone()));
    assert_eq!(figures.all().unwrap().len(), 3);
    let mut apart = frames.clone();
    apart[0].changing.figures[1].value = super::cycle::Value::F(Some(-1.0));
    assert!(packed.figures.len() + 40 < pack(&apart, Effort::Small).figures.len(), "stored once");
}
