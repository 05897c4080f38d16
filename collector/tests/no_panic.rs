#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Property tests: whatever a server prints, the parsers and the sample built from them return a
//! value or an error, never a panic (issue #14, "Parsers never panic").
//!
//! Each case takes a real output from `fixtures/` and damages it the ways a broken host, a cut
//! connection or a strange shell would: cut at any byte, lines dropped, doubled or swapped,
//! numbers replaced by huge, negative or non-numeric text, random bytes and invalid UTF-8
//! inserted, section markers removed or misplaced. The damaged bytes then go the collector's
//! whole way: lossy UTF-8 decoding (as `cycle::interpret` does), [`parse_output`], [`build`]
//! with and without the previous cycle's state, the next cycle's [`ProgramOptions`] and program,
//! and a clean cycle after the damaged one (bad state must not poison the next cycle). A sample
//! that is built must still make sense: percentages within 0..=100, nothing negative, used
//! within total.
//!
//! The case count is modest by default and the seed fixed, so `cargo test` runs the same cases
//! every time. A long run: `PROPTEST_CASES=200000 cargo test -p fleetwatch-collector --release
//! --test no_panic` (see docs/benchmarks.md); `PROPTEST_RNG_SEED=N` picks other cases.

use chrono::{DateTime, Utc};
use fleetwatch_collector::parse::{ParseOptions, parse_mounts, parse_output, parse_users};
use fleetwatch_collector::program::{ProgramOptions, program};
use fleetwatch_collector::sample::{CarriedState, build};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRng, TestRunner};

/// Whole outputs of the collection program, captured on real machines or written from the
/// formats of the named systems (see `fixtures/README.md`).
const OUTPUTS: [(&str, &str); 15] = [
    ("debian12/baseline", include_str!("fixtures/debian12/baseline.txt")),
    ("debian12/next", include_str!("fixtures/debian12/next.txt")),
    ("debian12/bash", include_str!("fixtures/debian12/bash.txt")),
    ("debian12-busybox/baseline", include_str!("fixtures/debian12-busybox/baseline.txt")),
    ("debian12-docker/baseline", include_str!("fixtures/debian12-docker/baseline.txt")),
    ("debian12-docker/next", include_str!("fixtures/debian12-docker/next.txt")),
    ("ubuntu2204/baseline", include_str!("fixtures/ubuntu2204/baseline.txt")),
    ("rhel9/baseline", include_str!("fixtures/rhel9/baseline.txt")),
    ("alpine319/baseline", include_str!("fixtures/alpine319/baseline.txt")),
    ("centos6-no-memavailable/output", include_str!("fixtures/centos6-no-memavailable/output.txt")),
    ("odd-names/baseline", include_str!("fixtures/odd-names/baseline.txt")),
    ("counter-reset/before", include_str!("fixtures/counter-reset/before.txt")),
    ("counter-reset/reboot", include_str!("fixtures/counter-reset/reboot.txt")),
    ("counter-reset/backwards", include_str!("fixtures/counter-reset/backwards.txt")),
    ("counter-reset/after", include_str!("fixtures/counter-reset/after.txt")),
];

/// Bodies handed to one parser directly (not whole outputs).
const MOUNTS: &str = include_str!("fixtures/k3s-many-mounts/mounts.txt");
const WHO: [&str; 2] = [include_str!("fixtures/users/gnu-coreutils.txt"), include_str!("fixtures/users/busybox.txt")];

/// What replaces a number: the limits of the integer types and one past them, negatives,
/// floats, exponents, non-numbers, nothing.
const NUMBERS: [&str; 18] = [
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "4294967296",
    "-1",
    "-0",
    "0",
    "1e308",
    "1e309",
    "NaN",
    "inf",
    "0.5",
    "0x1f",
    "abc",
    "",
];

/// Lines that mean something to a parser, put where they do not belong.
const LINES: [&str; 10] = [
    "@@fw begin files",
    "@@fw end files 0",
    "@@fw begin procs",
    "@@fw end procs x",
    "@@fw begin ",
    "@@fw end",
    "==> /proc/stat <==",
    "==> /proc/meminfo <==",
    "@@mounts",
    "@@output",
];

/// One way to damage an output.
#[derive(Debug, Clone)]
enum Mutation {
    /// Keep only the bytes before this one (a cut connection).
    Truncate(Index),
    DropLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// Replace the n-th run of digits.
    ReplaceNumber(Index, usize),
    /// Insert arbitrary bytes (invalid UTF-8 included) at a byte offset.
    InsertBytes(Index, Vec<u8>),
    /// Overwrite bytes at an offset with arbitrary ones.
    Overwrite(Index, Vec<u8>),
    /// Remove the n-th marker line (`@@fw begin/end`, `==> file <==`, `@@mounts`, ...).
    DropMarker(Index),
    /// Insert a marker line before a line.
    InsertLine(Index, usize),
    /// Drop a run of lines (a section half gone).
    DropLines(Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let bytes = prop::collection::vec(any::<u8>(), 1..24);
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::Truncate),
        2 => any::<Index>().prop_map(Mutation::DropLine),
        2 => any::<Index>().prop_map(Mutation::DuplicateLine),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        4 => (any::<Index>(), 0..NUMBERS.len()).prop_map(|(i, n)| Mutation::ReplaceNumber(i, n)),
        2 => (any::<Index>(), bytes.clone()).prop_map(|(i, b)| Mutation::InsertBytes(i, b)),
        1 => (any::<Index>(), bytes).prop_map(|(i, b)| Mutation::Overwrite(i, b)),
        2 => any::<Index>().prop_map(Mutation::DropMarker),
        1 => (any::<Index>(), 0..LINES.len()).prop_map(|(i, n)| Mutation::InsertLine(i, n)),
        1 => (any::<Index>(), 1usize..40).prop_map(|(i, n)| Mutation::DropLines(i, n)),
    ]
}

/// Byte ranges of the lines of `text`, each with its `\n`.
fn line_ranges(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.iter().enumerate() {
        if *b == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

fn is_marker(line: &[u8]) -> bool {
    line.starts_with(b"@@") || line.starts_with(b"==> ")
}

fn apply(text: &mut Vec<u8>, m: &Mutation) {
    let lines = line_ranges(text);
    match m {
        Mutation::Truncate(at) => {
            if !text.is_empty() {
                text.truncate(at.index(text.len()));
            }
        }
        Mutation::DropLine(i) => {
            if !lines.is_empty() {
                let (a, b) = lines[i.index(lines.len())];
                text.drain(a..b);
            }
        }
        Mutation::DuplicateLine(i) => {
            if !lines.is_empty() {
                let (a, b) = lines[i.index(lines.len())];
                let copy = text[a..b].to_vec();
                text.splice(b..b, copy);
            }
        }
        Mutation::SwapLines(i, j) => {
            if lines.len() >= 2 {
                let (x, y) = (i.index(lines.len()), j.index(lines.len()));
                let (first, second) = (lines[x.min(y)], lines[x.max(y)]);
                if first != second {
                    let mut out = text[..first.0].to_vec();
                    out.extend_from_slice(&text[second.0..second.1]);
                    out.extend_from_slice(&text[first.1..second.0]);
                    out.extend_from_slice(&text[first.0..first.1]);
                    out.extend_from_slice(&text[second.1..]);
                    *text = out;
                }
            }
        }
        Mutation::ReplaceNumber(i, with) => {
            let mut runs = Vec::new();
            let mut start = None;
            for (k, b) in text.iter().enumerate() {
                match (b.is_ascii_digit(), start) {
                    (true, None) => start = Some(k),
                    (false, Some(s)) => {
                        runs.push((s, k));
                        start = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = start {
                runs.push((s, text.len()));
            }
            if !runs.is_empty() {
                let (a, b) = runs[i.index(runs.len())];
                text.splice(a..b, NUMBERS[*with].bytes());
            }
        }
        Mutation::InsertBytes(at, bytes) => {
            let at = at.index(text.len() + 1);
            text.splice(at..at, bytes.iter().copied());
        }
        Mutation::Overwrite(at, bytes) => {
            let at = at.index(text.len() + 1);
            let end = (at + bytes.len()).min(text.len());
            text.splice(at..end, bytes.iter().copied());
        }
        Mutation::DropMarker(i) => {
            let markers: Vec<_> = lines.iter().filter(|(a, b)| is_marker(&text[*a..*b])).copied().collect();
            if !markers.is_empty() {
                let (a, b) = markers[i.index(markers.len())];
                text.drain(a..b);
            }
        }
        Mutation::InsertLine(i, n) => {
            let at = if lines.is_empty() { 0 } else { lines[i.index(lines.len())].0 };
            let line = format!("{}\n", LINES[*n]);
            text.splice(at..at, line.bytes());
        }
        Mutation::DropLines(i, n) => {
            if !lines.is_empty() {
                let first = i.index(lines.len());
                let last = (first + n).min(lines.len()) - 1;
                text.drain(lines[first].0..lines[last].1);
            }
        }
    }
}

fn damaged(base: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut text = base.as_bytes().to_vec();
    for m in mutations {
        apply(&mut text, m);
    }
    text
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z").unwrap().with_timezone(&Utc)
}

/// The collector's way from a cycle's bytes to its sample and the next program; returns the
/// state to carry, if the cycle built a sample.
fn cycle(stdout: &[u8], prev: Option<&CarriedState>) -> Option<CarriedState> {
    let text = String::from_utf8_lossy(stdout);
    let snap = parse_output(&text, &ParseOptions::default());
    // The errors and warnings are what the log shows: formatting them must not panic either.
    for e in snap.errors.iter().chain(&snap.warnings) {
        assert!(!e.to_string().is_empty());
    }
    match build("srv", now(), &snap, prev) {
        Ok(built) => {
            serde_json::to_string(&built.details).expect("the details serialise");
            assert_headline_sane(&built.sample);
            let next = program(&ProgramOptions::next(Some(&built.carried)));
            assert!(!next.is_empty());
            Some(built.carried)
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            None
        }
    }
}

/// Whatever the input, the headline figures stay figures: percentages within 0..=100, loads
/// finite and not negative, sizes not negative and used within total.
fn assert_headline_sane(s: &fleetwatch_common::Sample) {
    for p in [s.cpu_percent, s.ram_percentage, s.swap_percentage, s.disk_percentage] {
        assert!(p.is_none_or(|p| (0.0..=100.0).contains(&p)), "{p:?} in {s:?}");
    }
    for l in [s.cpu_load_1min, s.cpu_load_5min, s.cpu_load_15min] {
        assert!(l.is_none_or(|l| l.is_finite() && l >= 0.0), "{l:?} in {s:?}");
    }
    for n in [s.logged_users, s.tcp_connections, s.uptime_seconds, s.cpu_cores, s.ram_total_bytes, s.disk_total_bytes] {
        assert!(n.is_none_or(|n| n >= 0), "{n:?} in {s:?}");
    }
    for (used, total) in [(s.ram_used_bytes, s.ram_total_bytes), (s.disk_used_bytes, s.disk_total_bytes)] {
        assert!(used.is_none_or(|u| u >= 0 && total.is_none_or(|t| u <= t)), "{used:?} of {total:?} in {s:?}");
    }
}

/// Fixed seed and a case count that keeps `cargo test` quick; `PROPTEST_CASES` and
/// `PROPTEST_RNG_SEED` override both. Failures are reported, not written to a regressions file:
/// a panic found here becomes a plain test below.
fn config() -> Config {
    Config { cases: 128, rng_seed: RngSeed::Fixed(0xf1ee_7a7c), failure_persistence: None, ..Config::default() }
}

/// The clean state of each fixture, to damage the second cycle of a pair.
fn clean_state(base: &str) -> Option<CarriedState> {
    cycle(base.as_bytes(), None)
}

proptest! {
    #![proptest_config(config())]

    /// A damaged output, as the first cycle of a connection, as the cycle after its own clean
    /// reading, and followed by a clean cycle.
    #[test]
    fn damaged_outputs_never_panic(
        which in 0..OUTPUTS.len(),
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let (_, base) = OUTPUTS[which];
        let bytes = damaged(base, &mutations);
        let first = cycle(&bytes, None);
        let clean = clean_state(base);
        cycle(&bytes, clean.as_ref());
        if let Some(state) = first {
            cycle(base.as_bytes(), Some(&state));
        }
    }

    /// Two damaged outputs in a row: the state carried from a bad cycle into another bad one.
    #[test]
    fn damaged_pairs_never_panic(
        a in 0..OUTPUTS.len(),
        b in 0..OUTPUTS.len(),
        ma in prop::collection::vec(mutation(), 0..5),
        mb in prop::collection::vec(mutation(), 1..5),
    ) {
        let prev = cycle(&damaged(OUTPUTS[a].1, &ma), None);
        cycle(&damaged(OUTPUTS[b].1, &mb), prev.as_ref());
    }

    /// Arbitrary bytes, framed as sections or not.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        framed in any::<bool>(),
    ) {
        let bytes = if framed {
            let mut out = b"@@fw begin files\n".to_vec();
            out.extend_from_slice(&bytes);
            out.extend_from_slice(b"\n@@fw end files 0\n");
            out
        } else {
            bytes
        };
        cycle(&bytes, None);
    }

    /// The parsers with bodies of their own: a `mounts` body of 130 mounts and `who` outputs.
    #[test]
    fn damaged_bodies_never_panic(
        who in 0..WHO.len(),
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let mounts = String::from_utf8_lossy(&damaged(MOUNTS, &mutations)).into_owned();
        let excluded: Vec<String> = ParseOptions::default().excluded_fstypes;
        let _ = parse_mounts(&mounts, &excluded);
        let users = String::from_utf8_lossy(&damaged(WHO[who], &mutations)).into_owned();
        let _ = parse_users(&users);
    }
}

// Found by the long run: damaged `df` rows were taken as mounts with more used than their size.

#[test]
fn a_df_row_with_more_used_than_size_is_skipped() {
    // counter-reset/before with the used column of `/` replaced by u64::MAX.
    let (_, before) = OUTPUTS[11];
    let damaged = before.replace("/dev/vda1 1000 500 500 50% /", "/dev/vda1 1000 18446744073709551615 500 50% /");
    assert_ne!(damaged, before);
    let snap = parse_output(&damaged, &ParseOptions::default());
    assert!(
        snap.warnings.iter().chain(&snap.errors).any(|w| w.to_string().contains("more than its size")),
        "{:?} {:?}",
        snap.warnings,
        snap.errors
    );
    let built = build("srv", now(), &snap, None).unwrap();
    assert_eq!(built.sample.disk_used_bytes, None, "{:?}", built.sample);
    assert_headline_sane(&built.sample);
}

#[test]
fn an_ls_line_swapped_into_df_is_not_a_mount() {
    // debian12-busybox/baseline with a line of the `owners` section (`ls -ln /proc`) swapped
    // with the df row of `/`: busybox df reads it as a mount "Nov 21 21:57 2204" of 9 KiB with
    // 101 MiB used.
    let (_, base) = OUTPUTS[3];
    let lines: Vec<&str> = base.lines().collect();
    let df = lines.iter().position(|l| l.starts_with("/dev/vda ")).unwrap();
    let ls = lines.iter().position(|l| l.starts_with("dr-xr-xr-x") && l.ends_with(" 2204")).unwrap();
    let mut swapped = lines.clone();
    swapped.swap(df, ls);
    let damaged = swapped.join("\n") + "\n";
    let built = build("srv", now(), &parse_output(&damaged, &ParseOptions::default()), None).unwrap();
    assert_ne!(built.sample.disk_mount.as_deref(), Some("Nov 21 21:57 2204"), "{:?}", built.sample);
    assert_headline_sane(&built.sample);
}

#[test]
fn every_fixture_builds_a_sample_undamaged() {
    // Without this the properties above could pass on outputs that never reach `build`.
    for (name, text) in OUTPUTS {
        assert!(clean_state(text).is_some(), "{name}");
    }
}

#[test]
fn the_mutations_reach_the_parsers() {
    // Damage that changes nothing, that the parsers never notice, or that no sample survives,
    // would make the properties above vacuous.
    let mut runner = TestRunner::new_with_rng(config(), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = (0..OUTPUTS.len(), prop::collection::vec(mutation(), 1..8));
    let (mut changed, mut noticed, mut built) = (0, 0, 0);
    for _ in 0..200 {
        let (which, mutations) = strategy.new_tree(&mut runner).unwrap().current();
        let bytes = damaged(OUTPUTS[which].1, &mutations);
        changed += usize::from(bytes != OUTPUTS[which].1.as_bytes());
        let snap = parse_output(&String::from_utf8_lossy(&bytes), &ParseOptions::default());
        noticed += usize::from(!snap.errors.is_empty() || !snap.warnings.is_empty());
        built += usize::from(cycle(&bytes, None).is_some());
    }
    assert!(changed > 190, "{changed} of 200 damaged outputs differ from their fixture");
    assert!(noticed > 20, "{noticed} of 200 damaged outputs had a section error or warning");
    assert!(built > 20, "{built} of 200 damaged outputs built a sample");
}
