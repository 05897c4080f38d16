//! Processes and users: each process's CPU over the interval and its memory, summed per
//! user, and the top processes by CPU and by memory.

use std::borrow::Cow;

use crate::fast_map::FastMap;

use fleetwatch_common::Details;
use fleetwatch_common::details::ProcessInfo;
use fleetwatch_store::UserUsage;

use super::{CarriedState, ProcCounters, percent, to_i64};
use crate::parse::{ProcStat, Snapshot};

/// Above this share of processes without an owner (exited between the two reads) a warning
/// is given; a few are normal on every cycle.
const UNOWNED_WARNING_RATIO: f64 = 0.1;

/// What per-process CPU rates are computed against.
pub(super) struct ProcRates<'a> {
    before: &'a ProcCounters,
    /// Ticks one core could run during the interval (> 0).
    per_core: f64,
    /// 100 × cores: no process can use more.
    max_percent: f64,
}

impl<'a> ProcRates<'a> {
    /// The rates between the `earlier` reading and `current`, on a server of `cores` CPUs;
    /// `None` without the CPU ticks of both or the processes of the earlier one.
    pub(super) fn between(earlier: &'a CarriedState, current: &CarriedState, cores: Option<u32>) -> Option<Self> {
        let (a, b) = (earlier.cpu?, current.cpu?);
        // Ticks one core could run during the interval.
        let total = b.total().checked_sub(a.total()).filter(|&t| t > 0)?;
        let cores = f64::from(cores.unwrap_or(1));
        Some(Self { before: earlier.procs.as_ref()?, per_core: total as f64 / cores, max_percent: cores * 100.0 })
    }

    /// Percent of one core used by `p` during the interval. A process absent from the earlier
    /// reading (or whose pid was reused: another start time) counts all its ticks only if it
    /// started after that reading; otherwise it was missed then and is skipped (0) now.
    fn percent(&self, p: &ProcStat) -> f64 {
        let ticks = match self.before.get(p.pid) {
            Some(b) if b.starttime == p.starttime => p.ticks().saturating_sub(b.ticks),
            _ if p.starttime > self.before.read_at_ticks => p.ticks(),
            _ => 0,
        };
        (ticks as f64 / self.per_core * 100.0).clamp(0.0, self.max_percent)
    }
}

/// A process with its owner's name and its figures.
pub(super) struct Owned<'a> {
    proc: &'a ProcStat,
    /// The account name, borrowed from the snapshot's passwd (no copy per process).
    user: Cow<'a, str>,
    cpu: f64,
    rss: u64,
}

/// The processes whose owner is known (one that exited between the `procs` and `owners`
/// reads is left out); a uid without an account name is reported under its number. `None`
/// without owners or processes.
pub(super) fn owned_processes<'a>(
    snap: &'a Snapshot,
    owners: Option<&FastMap<u32, u32>>,
    page: u64,
    rates: Option<&ProcRates<'_>>,
    warnings: &mut Vec<String>,
) -> Option<Vec<Owned<'a>>> {
    let procs = snap.procs.as_ref()?;
    let Some(owners) = owners else {
        warnings.push("process owners unknown: no per-user usage".to_owned());
        return None;
    };
    let mut out = Vec::with_capacity(procs.len());
    let mut unowned = 0usize;
    for p in procs {
        let Some(uid) = owners.get(&p.pid) else {
            unowned += 1;
            continue;
        };
        let user = match snap.passwd.as_ref().and_then(|m| m.get(uid)) {
            Some(name) => Cow::Borrowed(name.as_str()),
            None => Cow::Owned(uid.to_string()),
        };
        let cpu = rates.map_or(0.0, |r| r.percent(p));
        out.push(Owned { proc: p, user, cpu, rss: p.rss_pages.saturating_mul(page) });
    }
    if procs.len() > 10 && unowned as f64 > procs.len() as f64 * UNOWNED_WARNING_RATIO {
        warnings.push(format!("{unowned} of {} processes have no known owner", procs.len()));
    }
    Some(out)
}

#[derive(Default)]
struct UserAcc<'a> {
    cpu: f64,
    rss: u64,
    count: i64,
    /// (cpu, rss, comm) of the process leading so far.
    top: Option<(f64, u64, &'a str)>,
}

/// Per-user sums over the current processes.
pub(super) fn per_user(procs: &[Owned<'_>], rates: Option<&ProcRates<'_>>, mem_total: Option<u64>) -> Vec<UserUsage> {
    let cap = rates.map_or(0.0, |r| r.max_percent);
    let mut by_user: FastMap<&str, UserAcc<'_>> = FastMap::default();
    for o in procs {
        let acc = by_user.entry(&o.user).or_default();
        acc.cpu = (acc.cpu + o.cpu).min(cap);
        acc.rss = acc.rss.saturating_add(o.rss);
        acc.count += 1;
        let leads = match &acc.top {
            None => true,
            Some((c, r, _)) => o.cpu > *c || (o.cpu == *c && o.rss > *r),
        };
        if leads {
            acc.top = Some((o.cpu, o.rss, &o.proc.comm));
        }
    }
    let mut users: Vec<UserUsage> = by_user
        .into_iter()
        .map(|(username, a)| UserUsage {
            username: username.to_owned(),
            cpu: a.cpu,
            mem: mem_total.map_or(0.0, |t| percent(a.rss, t)),
            rss_bytes: to_i64(a.rss),
            process_count: a.count,
            top_process: a.top.map(|(_, _, comm)| comm.to_owned()).unwrap_or_default(),
            disk_bytes: None,
        })
        .collect();
    users.sort_by(|a, b| {
        b.cpu.total_cmp(&a.cpu).then(b.rss_bytes.cmp(&a.rss_bytes)).then_with(|| a.username.cmp(&b.username))
    });
    users
}

/// The top `n` processes by CPU over the interval (empty without a rate) and by resident memory.
pub(super) fn top_processes(
    procs: &[Owned<'_>],
    have_rates: bool,
    mem_total: Option<u64>,
    fds: Option<&FastMap<u32, u64>>,
    n: usize,
) -> (Vec<ProcessInfo>, Vec<ProcessInfo>) {
    let info = |o: &Owned<'_>| ProcessInfo {
        pid: i64::from(o.proc.pid),
        user: o.user.to_string(),
        command: o.proc.comm.to_string(),
        cpu_percent: o.cpu,
        rss_bytes: to_i64(o.rss),
        mem_percent: mem_total.map_or(0.0, |t| percent(o.rss, t)),
        threads: to_i64(o.proc.threads),
        open_fds: fds.and_then(|f| f.get(&o.proc.pid)).map(|c| to_i64(*c)),
    };
    let mut order: Vec<&Owned<'_>> = procs.iter().collect();
    let by_cpu = if have_rates {
        first_n(&mut order, n, |a, b| b.cpu.total_cmp(&a.cpu).then(b.rss.cmp(&a.rss)).then(a.proc.pid.cmp(&b.proc.pid)))
            .iter()
            .map(|o| info(o))
            .collect()
    } else {
        Vec::new()
    };
    let by_memory = first_n(&mut order, n, |a, b| {
        b.rss.cmp(&a.rss).then(b.cpu.total_cmp(&a.cpu)).then(a.proc.pid.cmp(&b.proc.pid))
    })
    .iter()
    .map(|o| info(o))
    .collect();
    (by_cpu, by_memory)
}

/// The first `n` of `items` in the order of `cmp` (a total order), sorted: the rest is only
/// partitioned, not sorted (a host has hundreds of processes and the lists keep ten).
fn first_n<T>(items: &mut [T], n: usize, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) -> &[T] {
    if n == 0 {
        return &[];
    }
    if items.len() > n {
        items.select_nth_unstable_by(n - 1, &cmp);
    }
    let keep = n.min(items.len());
    let Some(head) = items.get_mut(..keep) else { return &[] };
    head.sort_by(&cmp);
    head
}

/// The processes of this cycle's top lists, each once: the next program counts their
/// descriptors.
pub(super) fn top_pids(details: &Details) -> Vec<u32> {
    let mut top_pids: Vec<u32> = Vec::new();
    for p in details.processes_by_cpu.iter().chain(&details.processes_by_memory) {
        if let Ok(pid) = u32::try_from(p.pid)
            && !top_pids.contains(&pid)
        {
            top_pids.push(pid);
        }
    }
    top_pids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::build;
    use crate::sample::fixtures::{at, proc, snapshot};

    #[test]
    fn the_first_n_are_those_of_a_full_sort() {
        let items: Vec<u32> = (0..200u32).map(|i| i.wrapping_mul(2_654_435_761) % 97).collect();
        for n in [0, 1, 10, 199, 200, 300] {
            let mut sorted = items.clone();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            sorted.truncate(n);
            let mut work = items.clone();
            assert_eq!(first_n(&mut work, n, |a, b| b.cmp(a)), sorted.as_slice(), "n = {n}");
        }
    }

    #[test]
    fn per_process_rates_handle_new_missed_and_reused_pids() {
        // 200 ticks over 2 cores: 100 ticks per core.
        let before = snapshot(
            1000,
            vec![proc(1, "init", 10, 1, 10), proc(50, "old", 100, 40, 10), proc(60, "sh", 0, 500, 1)],
            &[],
        );
        let prev = CarriedState::from_snapshot(&before);
        let now = snapshot(
            1200,
            vec![
                proc(1, "init", 15, 1, 10),      // +5 → 5 %
                proc(50, "reused", 30, 600, 5),  // pid reused, started after → 30 %
                proc(70, "missed", 900, 100, 7), // not seen before but older → skipped
                proc(80, "new", 40, 550, 100),   // new → 40 %
            ],
            &[(1, 0), (50, 1000), (70, 1000), (80, 1000)],
        );
        let built = build("s", at(), &now, Some(&prev)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(built.sample.cpu_percent, Some(50.0));
        let u: Vec<(&str, f64, i64, &str)> =
            built.users.iter().map(|u| (u.username.as_str(), u.cpu, u.process_count, u.top_process.as_str())).collect();
        assert_eq!(u, [("a.b1", 70.0, 3, "new"), ("root", 5.0, 1, "init")]);
        let a = &built.users[0];
        assert_eq!(a.rss_bytes, 112 * 4096);
        assert!((a.mem - 11.2).abs() < 1e-9);
    }

    #[test]
    fn ties_on_cpu_go_to_the_larger_process() {
        let before = snapshot(1000, vec![proc(1, "a", 0, 1, 0), proc(2, "b", 0, 1, 0)], &[]);
        let now = snapshot(1200, vec![proc(1, "a", 0, 1, 5), proc(2, "b", 0, 1, 9)], &[(1, 0), (2, 0)]);
        let built =
            build("s", at(), &now, Some(&CarriedState::from_snapshot(&before))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(built.users[0].top_process, "b");
    }
}
