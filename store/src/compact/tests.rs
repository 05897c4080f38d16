//! Round trips of whole cycles through a frame and through a block.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use fleetwatch_common::{
    ContainerInfo, CpuBreakdown, CpuStats, Details, DiskUsage, MemoryStats, NetInterface, ProcessInfo, Sample,
    SystemInfo, TcpStats,
};

use super::block::{BlockFrame, Effort, Figures, pack, value_at};
use super::cycle::{Cycle, names};
use super::frame;
use super::lists::unpack as unpack_lists;
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

/// A process as a top list holds it; `k` moves its figures.
fn process(pid: i64, k: i64) -> ProcessInfo {
    ProcessInfo {
        pid,
        user: ["root", "alice", "postgres"][(pid % 3) as usize].into(),
        command: format!("cmd{}", pid % 7),
        cpu_percent: (pid * 13 + k * 7) as f64 / 4.0,
        rss_bytes: (pid << 20) + ((k / 10) << 12),
        mem_percent: pid as f64 / 8.0,
        threads: 1 + pid % 5,
        open_fds: (pid % 4 != 0).then_some(pid % 50),
    }
}

/// A window of frames whose lists overlap as real ones do: the same processes in both lists
/// and from one frame to the next, ranks that move, and a few that break the pattern.
fn list_frames() -> Vec<BlockFrame> {
    (0..120)
        .map(|i: i64| {
            let mut by_cpu: Vec<ProcessInfo> = (0..10).map(|r| process(100 + (r + i / 7) % 14, i)).collect();
            by_cpu.rotate_left((i % 3) as usize);
            let mut by_memory: Vec<ProcessInfo> = (0..10).map(|r| process(100 + r * 2, i)).collect();
            if i % 5 == 0 {
                // The lists disagree about a process (read at two moments): both versions kept.
                by_memory[0].rss_bytes += 4096;
                by_memory[0].pid = by_cpu[0].pid;
            }
            if i % 11 == 0 {
                // A process twice in one list, and one with no reading of its CPU.
                by_cpu.push(by_cpu[0].clone());
                by_memory[3].cpu_percent = f64::NAN;
                by_memory[4].mem_percent = 1.0 / 3.0;
            }
            if i == 17 {
                by_cpu.clear();
            }
            let users = (0..(i % 4))
                .map(|u| UserUsage {
                    username: format!("user{u}"),
                    cpu: (i * u) as f64 / 3.0,
                    rss_bytes: i << u,
                    process_count: u + 1,
                    top_process: "sh".into(),
                    disk_bytes: (u == 2).then_some(1e12),
                    ..UserUsage::default()
                })
                .collect();
            let changing = super::cycle::Changing { figures: vec![], users, by_cpu, by_memory };
            BlockFrame { ts_ms: i * 60_000, facts_id: 1, changing }
        })
        .collect()
}

/// The lists as a block gives them back: users by name, shares to hundredths of a percent.
fn as_stored(frames: &[BlockFrame]) -> super::lists::Lists {
    let hundredths = |x: f64| if x.is_finite() { (x * 100.0).round() / 100.0 } else { x };
    let round = |ps: &[ProcessInfo]| -> Vec<ProcessInfo> {
        ps.iter()
            .map(|p| ProcessInfo {
                cpu_percent: hundredths(p.cpu_percent),
                mem_percent: hundredths(p.mem_percent),
                ..p.clone()
            })
            .collect()
    };
    frames
        .iter()
        .map(|f| {
            let mut users: Vec<UserUsage> = f
                .changing
                .users
                .iter()
                .map(|u| UserUsage { cpu: hundredths(u.cpu), mem: hundredths(u.mem), ..u.clone() })
                .collect();
            users.sort_by(|a, b| a.username.cmp(&b.username));
            (users, round(&f.changing.by_cpu), round(&f.changing.by_memory))
        })
        .collect()
}

/// NaN-aware equality of two frames' lists (a process with no CPU reading keeps its NaN).
fn same_lists(a: &super::lists::Lists, b: &super::lists::Lists) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

#[test]
fn lists_round_trip_each_process_once_per_frame_with_its_ranks() {
    let frames = list_frames();
    let want = as_stored(&frames);
    for effort in [Effort::Quick, Effort::Small] {
        let back = unpack_lists(&pack(&frames, effort).lists).unwrap();
        assert_eq!(back.len(), frames.len());
        for (row, (b, w)) in back.iter().zip(&want).enumerate() {
            assert!(same_lists(&vec![b.clone()], &vec![w.clone()]), "{effort:?} frame {row}:\n{b:?}\n!=\n{w:?}");
        }
    }
    // Each process a frame's two lists share is stored once (a row with both ranks); one the
    // lists disagree about, or that one list holds twice, is stored as often as it differs.
    let stored = as_stored(&frames);
    let mut expected = 0;
    for (_, by_cpu, by_memory) in &stored {
        let mut free: Vec<&ProcessInfo> = by_cpu.iter().collect();
        expected += by_cpu.len();
        for p in by_memory {
            match free.iter().position(|q| format!("{q:?}") == format!("{p:?}")) {
                Some(i) => drop(free.remove(i)),
                None => expected += 1,
            }
        }
    }
    let listed: usize = stored.iter().map(|(_, a, b)| a.len() + b.len()).sum();
    assert!(expected < listed * 4 / 5, "the window's lists overlap: {expected} of {listed}");
    assert_eq!(super::lists::process_rows(&pack(&frames, Effort::Small).lists).unwrap(), expected);
}

#[test]
fn lists_written_by_earlier_releases_still_read() {
    let frames = list_frames();
    let back = unpack_lists(&super::lists::pack_v1(&frames)).unwrap();
    assert!(same_lists(&back, &as_stored(&frames)));
    // And the new format is the smaller of the two on lists that overlap.
    assert!(pack(&frames, Effort::Small).lists.len() < super::lists::pack_v1(&frames).len());
}

#[test]
fn corrupt_lists_are_an_error_not_a_panic() {
    let good = pack(&list_frames(), Effort::Small).lists;
    let raw = super::bytes::inflate(&good, 1 << 30).unwrap();
    for cut in [1, 2, 5, raw.len() / 2, raw.len() - 1] {
        assert!(unpack_lists(&super::bytes::deflate(&raw[..cut])).is_err(), "cut at {cut}");
    }
    let mut version = raw.clone();
    version[1] = 9;
    assert!(unpack_lists(&super::bytes::deflate(&version)).is_err());
}

/// Frames of one CPU's shares computed from tick counts as the collector computes them
/// (`collector/src/sample/cpu.rs`), under `prefix` (`cpu3` gives `cpu3.busy`, `~cpu3.idle`, …).
fn cpu_frames(rows: usize, prefix: &str, seed: u64) -> Vec<BlockFrame> {
    let mut x = seed;
    let mut next = move |hi: u64| {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % hi
    };
    (0..rows)
        .map(|i| {
            // user, nice, system, idle, iowait, irq, softirq, steal: ticks over a minute.
            let d = [next(3000), next(20), next(800), 2000 + next(4000), next(300), 0, next(100), next(5)];
            let total = d.iter().sum::<u64>() as f64;
            let share = |k: usize| d[k] as f64 / total * 100.0;
            let (idle, iowait) = (share(3), share(4));
            let busy = (100.0 - idle - iowait).clamp(0.0, 100.0);
            let fields = [
                ("busy", busy),
                ("user", share(0)),
                ("nice", share(1)),
                ("system", share(2)),
                ("iowait", iowait),
                ("irq", share(5)),
                ("softirq", share(6)),
                ("steal", share(7)),
                ("idle", idle),
            ];
            let figures = fields
                .iter()
                .map(|(f, v)| {
                    let name = if *f == "busy" { format!("{prefix}.busy") } else { format!("~{prefix}.{f}") };
                    super::cycle::Figure { name: name.as_str().into(), value: super::cycle::Value::F(Some(*v)) }
                })
                .collect();
            let changing = super::cycle::Changing { figures, ..Default::default() };
            BlockFrame { ts_ms: i as i64 * 60_000, facts_id: 1, changing }
        })
        .collect()
}

/// The frames with every figure renamed by `rename`.
fn renamed(frames: &[BlockFrame], rename: impl Fn(&str) -> String) -> Vec<BlockFrame> {
    let mut out = frames.to_vec();
    for f in &mut out {
        for fig in &mut f.changing.figures {
            fig.name = rename(&fig.name).as_str().into();
        }
    }
    out
}

/// The frames as a block written plain gives them back (floats to seven significant digits,
/// as blocks written before tick counts read): CPU shares that are no longer ratios of ticks.
fn read_back_plain(frames: &[BlockFrame]) -> Vec<BlockFrame> {
    let plain = pack(&renamed(frames, |n| n.replace("cpu", "gpu")), Effort::Small);
    let columns = Figures::open(&plain.figures).unwrap().all().unwrap();
    let mut out = frames.to_vec();
    for (row, f) in out.iter_mut().enumerate() {
        for fig in &mut f.changing.figures {
            fig.value = value_at(&columns[fig.name.replace("cpu", "gpu").as_str()], row);
        }
    }
    out
}

#[test]
fn idle_and_user_shares_are_stored_as_what_the_others_do_not_say_and_read_the_same() {
    // Shares to seven digits (read from a block written before ticks): derived, not ticks.
    let frames = read_back_plain(&cpu_frames(360, "cpu3", 7));
    // The same figures under names no derivation knows: written plain.
    let plain = renamed(&frames, |n| n.replace("cpu3", "gpu3"));
    for effort in [Effort::Quick, Effort::Small] {
        let derived = pack(&frames, effort);
        let written = pack(&plain, effort);
        let got = Figures::open(&derived.figures).unwrap().all().unwrap();
        let want = Figures::open(&written.figures).unwrap().all().unwrap();
        assert_eq!(got.len(), 9);
        for (name, column) in &want {
            let same = got.get(name.replace("gpu3", "cpu3").as_str());
            assert_eq!(same, Some(column), "{effort:?} {name}: the same values, step for step");
        }
        // idle and user took ~20 bits a row each; their differences take a few.
        assert!(
            derived.figures.len() + 360 * 2 < written.figures.len(),
            "{effort:?}: {} B derived, {} B plain",
            derived.figures.len(),
            written.figures.len()
        );
    }
    // A row where a term is missing: that column is written plain, and still reads the same.
    let mut gap = frames.clone();
    gap[5].changing.figures[4].value = super::cycle::Value::F(None);
    gap[9].changing.figures[8].value = super::cycle::Value::F(Some(f64::NAN));
    let packed = pack(&gap, Effort::Small);
    let got = Figures::open(&packed.figures).unwrap();
    let idle = got.column("~cpu3.idle").unwrap().unwrap();
    let want: Vec<Option<f64>> = gap
        .iter()
        .map(|f| match f.changing.figures[8].value {
            super::cycle::Value::F(v) => v.filter(|v| v.is_finite()),
            super::cycle::Value::I(_) => None,
        })
        .collect();
    assert_eq!(idle, super::column::Column::Float(want).quantized());
}

/// Each figure's values in the frames, as a float column.
fn original(frames: &[BlockFrame], name: &str) -> super::column::Column {
    super::column::Column::Float(
        frames
            .iter()
            .map(|f| {
                let fig = f.changing.figures.iter().find(|x| &*x.name == name)?;
                match fig.value {
                    super::cycle::Value::F(v) => v.filter(|v| v.is_finite()),
                    super::cycle::Value::I(v) => v.map(|v| v as f64),
                }
            })
            .collect(),
    )
}

#[test]
fn cpu_shares_are_stored_as_their_ticks_and_read_back_bit_for_bit() {
    // Two CPUs in one block, the second missing from some rows (a core taken offline).
    let mut frames = cpu_frames(360, "cpu", 3);
    for (f, core) in frames.iter_mut().zip(cpu_frames(360, "cpu7", 9)) {
        if f.ts_ms % 7 != 0 {
            f.changing.figures.extend(core.changing.figures);
        }
    }
    let names: Vec<String> = frames[1].changing.figures.iter().map(|f| f.name.to_string()).collect();
    assert_eq!(names.len(), 18);
    let before = read_back_plain(&frames);
    for effort in [Effort::Quick, Effort::Small] {
        let packed = pack(&frames, effort);
        let got = Figures::open(&packed.figures).unwrap();
        for name in &names {
            let (want, read) = (original(&frames, name), got.column(name).unwrap().unwrap());
            let bits = |c: &super::column::Column| match c {
                super::column::Column::Float(v) => v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>(),
                super::column::Column::Int(_) => Vec::new(),
            };
            assert_eq!(bits(&read), bits(&want), "{effort:?} {name}: the collector's own values");
        }
        // Shares to seven digits (what blocks kept before) took ~20 bits; ticks take ~10.
        let digits = pack(&before, effort).figures.len();
        assert!(
            packed.figures.len() * 3 < digits * 2,
            "{effort:?}: {} B as ticks, {digits} B before",
            packed.figures.len()
        );
    }
    // One share an ulp off in one row: that CPU is written as before (derived and plain, to
    // seven digits), the other still as ticks.
    let mut odd = frames.clone();
    let system = odd[4].changing.figures.iter_mut().find(|f| &*f.name == "~cpu7.system").unwrap();
    let super::cycle::Value::F(Some(v)) = system.value else { panic!("a share") };
    system.value = super::cycle::Value::F(Some(f64::from_bits(v.to_bits() + 1)));
    let odd_block = pack(&odd, Effort::Small);
    let got = Figures::open(&odd_block.figures).unwrap();
    assert_eq!(got.column("~cpu7.system").unwrap(), Some(original(&odd, "~cpu7.system").quantized()));
    assert_eq!(got.column("~cpu.system").unwrap(), Some(original(&odd, "~cpu.system")), "exact");
    // A busy that is not 100 − idle − iowait (another collector's rounding): kept as written.
    let mut busy = frames.clone();
    let b = busy[2].changing.figures.iter_mut().find(|f| &*f.name == "cpu.busy").unwrap();
    b.value = super::cycle::Value::F(Some(12.5));
    let busy_block = pack(&busy, Effort::Small);
    let got = Figures::open(&busy_block.figures).unwrap();
    assert_eq!(got.column("cpu.busy").unwrap(), Some(original(&busy, "cpu.busy").quantized()));
    assert_eq!(got.column("~cpu.idle").unwrap(), Some(original(&busy, "~cpu.idle")), "exact");
}

#[test]
fn ticks_that_do_not_add_up_are_an_error_not_a_panic() {
    use super::bytes::{Writer, deflate};
    use super::column::Column;
    let fields = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"];
    let names: String = fields.iter().map(|f| format!("fcpu.{f}\n")).chain(["fcpu.busy\n".to_string()]).collect();
    let ticks = |role: u8, members: [usize; 8], v: i64| {
        let mut w = Writer::default();
        w.byte(11);
        w.byte(role);
        members.iter().for_each(|&m| w.len(m));
        Column::Int(vec![Some(v), Some(v)]).encode(&mut w);
        w.buf
    };
    let busy = |idle: usize| {
        let mut w = Writer::default();
        w.byte(15);
        w.len(idle);
        w.len(4);
        w.buf
    };
    let blob = |parts: &[Vec<u8>]| {
        let mut w = Writer::default();
        w.len(2);
        Column::Int(vec![Some(0), Some(60_000)]).encode(&mut w);
        Column::Int(vec![Some(1), Some(1)]).encode(&mut w);
        w.bytes(&deflate(names.as_bytes()));
        for p in parts {
            w.bytes(p);
        }
        w.buf
    };
    let m = [0, 1, 2, 3, 4, 5, 6, 7];
    // user 30, system 10, iowait 5 of 100 ticks: idle 55, busy 40.
    let good: Vec<Vec<u8>> =
        (0..8u8).map(|k| ticks(k, m, [30, 0, 10, 100, 5, 0, 0, 0][usize::from(k)])).chain([busy(3)]).collect();
    let good_blob = blob(&good);
    let figures = Figures::open(&good_blob).unwrap();
    let share = |t| Some(super::ticks::share(t, 100));
    assert_eq!(figures.column("cpu.idle").unwrap(), Some(Column::Float(vec![share(55); 2])));
    let busy_of = super::ticks::busy(super::ticks::share(55, 100), super::ticks::share(5, 100));
    assert_eq!(figures.column("cpu.busy").unwrap(), Some(Column::Float(vec![Some(busy_of); 2])));
    assert_eq!(figures.column("cpu.user").unwrap(), Some(Column::Float(vec![share(30); 2])));
    let with = |i: usize, part: Vec<u8>| {
        let mut parts = good.clone();
        parts[i] = part;
        blob(&parts)
    };
    for (bad, name) in [
        (with(0, ticks(0, m, 130)), "cpu.idle"), // more ticks than the total
        (with(0, ticks(0, m, -1)), "cpu.user"),  // negative ticks
        (with(2, ticks(3, m, 10)), "cpu.idle"),  // two parts claim idle
        (with(0, ticks(0, [0, 1, 2, 3, 4, 5, 6, 9], 30)), "cpu.idle"), // another CPU's members
        (with(3, ticks(3, [0, 1, 2, 3, 4, 5, 6, 99], 100)), "cpu.idle"), // a member past the end
        (with(8, busy(8)), "cpu.busy"),          // busy of itself
        (with(3, ticks(9, m, 100)), "cpu.idle"), // no such role
    ] {
        assert!(Figures::open(&bad).unwrap().column(name).is_err(), "{name}");
    }
}

#[test]
fn a_derived_column_that_refers_to_itself_or_nothing_is_an_error_not_a_panic() {
    use super::bytes::{Writer, deflate};
    use super::column::Column;
    let blob = |parts: &[&[u8]]| {
        let mut w = Writer::default();
        w.len(2);
        Column::Int(vec![Some(0), Some(60_000)]).encode(&mut w);
        Column::Int(vec![Some(1), Some(1)]).encode(&mut w);
        w.bytes(&deflate(b"fcpu.idle\nfcpu.busy\n"));
        for p in parts {
            w.bytes(p);
        }
        w.buf
    };
    let mut busy = Writer::default();
    Column::Float(vec![Some(10.0), Some(20.0)]).encode(&mut busy);
    let derived = |term: usize| {
        let mut w = Writer::default();
        w.byte(7);
        w.signed(100);
        w.len(1);
        w.len(term);
        w.byte(1);
        w.signed(-1);
        Column::Int(vec![Some(0), Some(0)]).encode(&mut w);
        w.buf
    };
    let good = blob(&[&derived(1), &busy.buf]);
    let idle = Figures::open(&good).unwrap().column("cpu.idle").unwrap();
    assert_eq!(idle, Some(Column::Float(vec![Some(90.0), Some(80.0)])));
    for bad in [blob(&[&derived(0), &busy.buf]), blob(&[&derived(5), &busy.buf]), blob(&[&derived(1), &derived(0)])] {
        let figures = Figures::open(&bad).unwrap();
        assert!(figures.column("cpu.idle").is_err());
    }
}
