//! The process tokens of `scripts/files.sh`: the collector writes each known process as a token
//! of its figures ([`KnownProc::write_to`]) and the script's awk computes the same token from the
//! process's stat line, printing the process only when they differ. Checked here with the real
//! awk of the script under gawk (RHEL, Arch), mawk (Debian, Ubuntu) and busybox awk (Alpine,
//! embedded) on thousands of made-up processes whose figures reach far past 2^31 and 2^32:
//! an unchanged process is never printed, a moved or new one always, a gone one is named.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use fleetwatch_collector::protocol::KnownProc;

const SCRIPT: &str = include_str!("../../scripts/files.sh");

/// The awk program of the steady cycle, as the script runs it.
fn awk_program() -> &'static str {
    let start = SCRIPT.find("awk -v prev=\"$prev\" '").expect("the script's awk") + "awk -v prev=\"$prev\" '".len();
    let len = SCRIPT[start..].find("\n}' || :").expect("the end of the awk program") + 2;
    &SCRIPT[start..start + len]
}

/// xorshift64*: the same made-up fleet on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A stat line as the kernel writes it (proc_pid_stat(5)), with the figures the token covers.
fn stat_line(p: &KnownProc) -> String {
    let mut fields = vec!["0".to_owned(); 50];
    fields[0] = p.state.to_string();
    fields[1] = "1".to_owned(); // ppid
    fields[11] = p.utime.to_string();
    fields[12] = p.stime.to_string();
    fields[17] = p.threads.to_string();
    fields[19] = p.starttime.to_string();
    fields[21] = p.rss_pages.to_string();
    format!("{} (a (b) c) {}", p.pid, fields.join(" "))
}

struct Case {
    prev: String,
    input: String,
    printed: BTreeSet<u32>,
    gone: BTreeSet<u32>,
}

fn case() -> Case {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let states = ['R', 'S', 'D', 'Z', 'T', 't', 'I', 'X', 'W', 'P', 'K'];
    let mut prev = Vec::new();
    let mut input = String::from("==> /proc/stat <==\ncpu  1 2 3 4\n\n");
    let (mut printed, mut gone) = (BTreeSet::new(), BTreeSet::new());
    for pid in 1..=4000u32 {
        // Figures of every size: small ones, and ones past 2^31 and 2^32 (ticks of a long uptime).
        let big = |rng: &mut Rng| match rng.below(3) {
            0 => rng.below(1000),
            1 => rng.below(1 << 24),
            _ => rng.below(1 << 45),
        };
        let now = KnownProc {
            pid,
            starttime: big(&mut rng),
            utime: big(&mut rng),
            stime: big(&mut rng),
            rss_pages: big(&mut rng),
            threads: 1 + rng.below(2000),
            state: states[rng.below(states.len() as u64) as usize],
        };
        let mut known = now;
        let kind = rng.below(12);
        let delta = 1 + match rng.below(3) {
            0 => rng.below(4),
            1 => rng.below(5000),
            _ => rng.below(1 << 40),
        };
        match kind {
            0 => known.starttime = now.starttime.wrapping_add(delta),
            1 => known.utime = now.utime.saturating_sub(delta.min(now.utime.max(1))),
            2 => known.stime = now.stime.saturating_sub(delta.min(now.stime.max(1))),
            3 => known.rss_pages = now.rss_pages + delta,
            4 => known.threads = now.threads + delta % 100 + 1,
            5 => known.state = states.iter().copied().find(|s| *s != now.state).unwrap(),
            6 => {
                known.utime = now.utime.saturating_sub(1 + rng.below(300));
                known.stime = now.stime.saturating_sub(1 + rng.below(300));
                known.rss_pages = now.rss_pages + 1 + rng.below(100_000);
            }
            _ => {}
        }
        let moved = known != now;
        if kind == 7 {
            // New: not in the last cycle's table.
            printed.insert(pid);
        } else if kind == 8 {
            // Gone: in the table, not in /proc any more.
            gone.insert(pid);
        } else if moved || kind == 9 && now.state == 'S' {
            printed.insert(pid);
        }
        if kind == 9 && now.state == 'S' {
            // A state that is not a letter in the table: the token never matches.
            known.state = '?';
        }
        if kind != 7 {
            let mut key = String::new();
            known.write_to(&mut key);
            prev.push(key);
        }
        if kind != 8 {
            let _ = write!(input, "==> /proc/{pid}/stat <==\n{}\n\n", stat_line(&now));
        }
    }
    assert!(printed.len() > 1000 && printed.len() < 3000 && gone.len() > 100, "{} {}", printed.len(), gone.len());
    Case { prev: prev.join(" "), input, printed, gone }
}

fn run_awk(awk: &[&str], case: &Case) -> (BTreeSet<u32>, BTreeSet<u32>) {
    let mut child = Command::new(awk[0])
        .args(&awk[1..])
        .arg("-v")
        .arg(format!("prev={}", case.prev))
        .arg(awk_program())
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{awk:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = case.input.clone();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{awk:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let changed = text.split_once("==> /proc/changed/stat <==\n").expect("the changed processes").1;
    let (mut printed, mut gone) = (BTreeSet::new(), BTreeSet::new());
    for line in changed.lines() {
        if let Some(pids) = line.strip_prefix("gone") {
            gone.extend(pids.split_whitespace().map(|p| p.parse::<u32>().unwrap()));
        } else {
            printed.insert(line.split(' ').next().unwrap().parse::<u32>().unwrap());
        }
    }
    (printed, gone)
}

#[test]
fn every_awk_prints_exactly_the_processes_that_moved() {
    let case = case();
    for awk in [&["mawk"][..], &["gawk"], &["busybox", "awk"]] {
        assert!(
            Command::new("sh").arg("-c").arg(format!("command -v {}", awk[0])).status().unwrap().success(),
            "{} is needed (.ci/test-deps.sh installs it)",
            awk[0]
        );
        let (printed, gone) = run_awk(awk, &case);
        let missed: Vec<&u32> = case.printed.difference(&printed).collect();
        let extra: Vec<&u32> = printed.difference(&case.printed).collect();
        assert!(missed.is_empty() && extra.is_empty(), "{awk:?}: missed {missed:?}, printed unchanged {extra:?}");
        assert_eq!(gone, case.gone, "{awk:?}");
    }
}
