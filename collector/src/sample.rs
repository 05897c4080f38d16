//! From snapshots to figures: percentages, rates and per-user usage.
//!
//! CPU figures are rates, so they need two readings of the counters: the previous cycle's
//! ([`Counters`], kept in memory by the collector) or, on the first cycle of a connection, the
//! baseline the program read one second earlier (`stat0`/`procs0`). Counters that go
//! backwards (a reboot, a counter reset) give `None`, never a negative or absurd rate.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fleetwatch_common::Sample;
use fleetwatch_store::UserUsage;

use crate::parse::{CpuStat, CpuTimes, ProcStat, SectionError, Snapshot};

/// Boot times (`btime`) further apart than this mean a reboot. `btime` is computed by the
/// kernel from the wall clock, so it moves by a second or so when NTP steps the clock.
const BOOT_TIME_TOLERANCE_SECONDS: u64 = 5;

/// Page size assumed when the `pagesize` section failed.
const DEFAULT_PAGE_SIZE: u64 = 4096;

/// Above this share of processes without an owner (exited between the two reads) a warning
/// is given; a few are normal on every cycle.
const UNOWNED_WARNING_RATIO: f64 = 0.1;

/// What must be kept between cycles to compute rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    /// The `cpu` line of `/proc/stat`.
    pub cpu: Option<CpuTimes>,
    pub procs: Option<ProcCounters>,
    /// `btime`, seconds since the epoch: a different value means the server rebooted.
    pub boot_time: Option<u64>,
    /// Seconds since boot: a smaller value means the server rebooted.
    pub uptime_seconds: Option<f64>,
}

/// The CPU ticks of every process at one reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcCounters {
    pub by_pid: HashMap<u32, ProcCounter>,
    /// The latest start time among the processes, in ticks since boot: the time of the
    /// reading itself, since the program's own `cat` is one of them. A process missing from
    /// this reading that started later is new; one that started earlier was missed.
    pub read_at_ticks: u64,
}

/// One process at one reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcCounter {
    /// Identifies the process together with its pid (pids are reused).
    pub starttime: u64,
    /// utime + stime.
    pub ticks: u64,
}

impl ProcCounters {
    pub fn from_procs(procs: &[ProcStat]) -> Self {
        Self {
            by_pid: procs
                .iter()
                .map(|p| {
                    let c = ProcCounter { starttime: p.starttime, ticks: p.ticks() };
                    (p.pid, c)
                })
                .collect(),
            read_at_ticks: procs.iter().map(|p| p.starttime).max().unwrap_or(0),
        }
    }
}

impl Counters {
    /// The counters of this reading alone (not the baseline).
    pub fn from_snapshot(snap: &Snapshot) -> Self {
        Self::from_parts(snap.stat.as_ref(), snap.procs.as_deref(), snap.uptime.map(|u| u.seconds))
    }

    /// The counters of the baseline reading, if the program took one.
    pub fn baseline(snap: &Snapshot) -> Option<Self> {
        let stat = snap.stat0.as_ref()?;
        Some(Self::from_parts(Some(stat), snap.procs0.as_deref(), None))
    }

    fn from_parts(stat: Option<&CpuStat>, procs: Option<&[ProcStat]>, uptime: Option<f64>) -> Self {
        Self {
            cpu: stat.map(|s| s.all),
            procs: procs.map(ProcCounters::from_procs),
            boot_time: stat.and_then(|s| s.boot_time),
            uptime_seconds: uptime,
        }
    }

    /// Whether `later` can be compared with `self`: same boot, no counter gone backwards.
    fn same_boot_as(&self, later: &Counters) -> bool {
        if let (Some(a), Some(b)) = (self.boot_time, later.boot_time)
            && a.abs_diff(b) > BOOT_TIME_TOLERANCE_SECONDS
        {
            return false;
        }
        if let (Some(a), Some(b)) = (self.uptime_seconds, later.uptime_seconds)
            && b < a
        {
            return false;
        }
        if let (Some(a), Some(b)) = (self.cpu, later.cpu)
            && b.total() < a.total()
        {
            return false;
        }
        true
    }
}

/// The figures of one cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    pub sample: Sample,
    /// Every user with a process, highest CPU first.
    pub users: Vec<UserUsage>,
    /// To pass as `prev` next cycle.
    pub counters: Counters,
    /// Section errors, skipped lines and doubts about the figures, for the log.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// Not one section that feeds a sample could be parsed.
    #[error("no usable section in the output ({})", summary(.0))]
    NothingUsable(Vec<SectionError>),
}

fn summary(errors: &[SectionError]) -> String {
    const SHOWN: usize = 3;
    let mut s: Vec<String> = errors.iter().take(SHOWN).map(ToString::to_string).collect();
    if errors.len() > SHOWN {
        s.push(format!("{} more", errors.len() - SHOWN));
    }
    if s.is_empty() {
        s.push("no section".to_owned());
    }
    s.join("; ")
}

/// Computes the sample and per-user usage of one cycle. `prev` is the previous cycle's
/// [`Built::counters`]; a baseline in `snap` takes its place for the CPU rates.
pub fn build(
    server_name: &str,
    now: DateTime<Utc>,
    snap: &Snapshot,
    prev: Option<&Counters>,
) -> Result<Built, BuildError> {
    if !snap.has_metrics() {
        return Err(BuildError::NothingUsable(snap.errors.clone()));
    }
    let mut warnings: Vec<String> = snap.errors.iter().chain(&snap.warnings).map(ToString::to_string).collect();

    let current = Counters::from_snapshot(snap);
    let baseline = Counters::baseline(snap);
    let mut earlier = baseline.as_ref().or(prev);
    if let Some(e) = earlier
        && !e.same_boot_as(&current)
    {
        warnings.push("counters went backwards (reboot?): CPU rates start again next cycle".to_owned());
        earlier = None;
    }

    let cores = snap.stat.map(|s| s.cores).filter(|&c| c > 0);
    let cpu_delta = match (earlier.and_then(|e| e.cpu), current.cpu) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    let cpu_percent = cpu_delta.and_then(|(a, b)| cpu_percent(&a, &b));
    // Ticks one core could run during the interval.
    let ticks_per_core = cpu_delta.and_then(|(a, b)| {
        let total = b.total().checked_sub(a.total()).filter(|&t| t > 0)?;
        Some(total as f64 / f64::from(cores.unwrap_or(1)))
    });
    let proc_rates = match (ticks_per_core, earlier.and_then(|e| e.procs.as_ref())) {
        (Some(per_core), Some(before)) => {
            Some(ProcRates { before, per_core, max_percent: f64::from(cores.unwrap_or(1)) * 100.0 })
        }
        _ => None,
    };
    if proc_rates.is_none() && snap.procs.is_some() {
        warnings.push("per-user CPU needs two readings: reported as 0 this cycle".to_owned());
    }

    let mem_total = snap.meminfo.map(|m| m.total).filter(|&t| t > 0);
    let ram_used = snap.meminfo.and_then(|m| Some(m.total.saturating_sub(m.available_bytes()?)));
    let fullest = snap.mounts.as_ref().and_then(|mounts| {
        mounts
            .iter()
            .filter_map(|m| Some((m.used_percent()?, m)))
            .max_by(|(pa, a), (pb, b)| pa.total_cmp(pb).then(a.total_bytes.cmp(&b.total_bytes)))
    });

    let sample = Sample {
        server_name: server_name.to_owned(),
        cpu_percent,
        cpu_load_1min: snap.loadavg.map(|l| l.one),
        cpu_load_5min: snap.loadavg.map(|l| l.five),
        cpu_load_15min: snap.loadavg.map(|l| l.fifteen),
        ram_percentage: mem_total.zip(ram_used).map(|(t, u)| percent(u, t)),
        swap_percentage: snap.meminfo.and_then(|m| swap_percent(m.swap_total?, m.swap_free)),
        disk_percentage: fullest.map(|(p, _)| p),
        logged_users: snap.users.as_ref().map(|u| to_i64(u.len() as u64)),
        tcp_connections: snap.tcp.as_ref().map(|t| to_i64(t.established())),
        uptime_seconds: snap.uptime.map(|u| u.seconds.floor() as i64),
        timestamp: now,
        cpu_cores: cores.map(i64::from),
        ram_total_bytes: mem_total.map(to_i64),
        ram_used_bytes: mem_total.and(ram_used).map(to_i64),
        disk_total_bytes: fullest.map(|(_, m)| to_i64(m.total_bytes)),
        disk_used_bytes: fullest.map(|(_, m)| to_i64(m.used_bytes)),
        disk_mount: fullest.map(|(_, m)| m.mount_point.clone()),
        hostname: snap.hostname.clone(),
    };

    let users = match &snap.procs {
        Some(procs) => per_user(snap, procs, proc_rates.as_ref(), mem_total, &mut warnings),
        None => Vec::new(),
    };

    // Next cycle compares with this reading; where a part of it failed, with the older one.
    let counters = Counters {
        cpu: current.cpu.or_else(|| earlier.and_then(|e| e.cpu)),
        procs: current.procs.or_else(|| earlier.and_then(|e| e.procs.clone())),
        boot_time: current.boot_time.or_else(|| earlier.and_then(|e| e.boot_time)),
        uptime_seconds: current.uptime_seconds.or_else(|| earlier.and_then(|e| e.uptime_seconds)),
    };

    Ok(Built { sample, users, counters, warnings })
}

/// CPU utilisation between two readings of the `cpu` line, in percent of all CPUs:
/// `100 × (1 − Δidle_all / Δtotal)` with idle_all = idle + iowait. `None` when no tick passed
/// or the counters went backwards. An idle counter that went backwards alone (iowait may, see
/// proc_stat(5)) counts as no idle time; the result is always within 0–100.
pub fn cpu_percent(earlier: &CpuTimes, later: &CpuTimes) -> Option<f64> {
    let total = later.total().checked_sub(earlier.total()).filter(|&t| t > 0)?;
    let idle = later.idle_all().saturating_sub(earlier.idle_all()).min(total);
    Some((100.0 * (1.0 - idle as f64 / total as f64)).clamp(0.0, 100.0))
}

/// Swap in use, in percent. A server without swap (`SwapTotal` 0) reports 0 %, not `None`:
/// nothing is swapped, and the card shows 0 % rather than "unknown".
pub fn swap_percent(total: u64, free: Option<u64>) -> Option<f64> {
    if total == 0 {
        return Some(0.0);
    }
    Some(percent(total.saturating_sub(free?), total))
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 / whole as f64 * 100.0).clamp(0.0, 100.0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// What per-process CPU rates are computed against.
struct ProcRates<'a> {
    before: &'a ProcCounters,
    /// Ticks one core could run during the interval (> 0).
    per_core: f64,
    /// 100 × cores: no process can use more.
    max_percent: f64,
}

impl ProcRates<'_> {
    /// Percent of one core used by `p` during the interval. A process absent from the earlier
    /// reading (or whose pid was reused: another start time) counts all its ticks only if it
    /// started after that reading; otherwise it was missed then and is skipped (0) now.
    fn percent(&self, p: &ProcStat) -> f64 {
        let ticks = match self.before.by_pid.get(&p.pid) {
            Some(b) if b.starttime == p.starttime => p.ticks().saturating_sub(b.ticks),
            _ if p.starttime > self.before.read_at_ticks => p.ticks(),
            _ => 0,
        };
        (ticks as f64 / self.per_core * 100.0).clamp(0.0, self.max_percent)
    }
}

#[derive(Default)]
struct UserAcc {
    cpu: f64,
    rss: u64,
    count: i64,
    /// (cpu, rss, comm) of the process leading so far.
    top: Option<(f64, u64, String)>,
}

/// Per-user sums over the current processes. A process whose owner is unknown (it exited
/// between the `procs` and `owners` reads) is left out; a uid without an account name is
/// reported under its number.
fn per_user(
    snap: &Snapshot,
    procs: &[ProcStat],
    rates: Option<&ProcRates<'_>>,
    mem_total: Option<u64>,
    warnings: &mut Vec<String>,
) -> Vec<UserUsage> {
    let Some(owners) = &snap.owners else {
        warnings.push("process owners unknown: no per-user usage".to_owned());
        return Vec::new();
    };
    let page = snap.pagesize.unwrap_or(DEFAULT_PAGE_SIZE);
    let cap = rates.map_or(0.0, |r| r.max_percent);
    let mut by_user: HashMap<String, UserAcc> = HashMap::new();
    let mut unowned = 0usize;
    for p in procs {
        let Some(uid) = owners.get(&p.pid) else {
            unowned += 1;
            continue;
        };
        let name = snap.passwd.as_ref().and_then(|m| m.get(uid).cloned()).unwrap_or_else(|| uid.to_string());
        let cpu = rates.map_or(0.0, |r| r.percent(p));
        let rss = p.rss_pages.saturating_mul(page);
        let acc = by_user.entry(name).or_default();
        acc.cpu = (acc.cpu + cpu).min(cap);
        acc.rss = acc.rss.saturating_add(rss);
        acc.count += 1;
        let leads = match &acc.top {
            None => true,
            Some((c, r, _)) => cpu > *c || (cpu == *c && rss > *r),
        };
        if leads {
            acc.top = Some((cpu, rss, p.comm.clone()));
        }
    }
    if procs.len() > 10 && unowned as f64 > procs.len() as f64 * UNOWNED_WARNING_RATIO {
        warnings.push(format!("{unowned} of {} processes have no known owner", procs.len()));
    }
    let mut users: Vec<UserUsage> = by_user
        .into_iter()
        .map(|(username, a)| UserUsage {
            username,
            cpu: a.cpu,
            mem: mem_total.map_or(0.0, |t| percent(a.rss, t)),
            rss_bytes: to_i64(a.rss),
            process_count: a.count,
            top_process: a.top.map(|(_, _, comm)| comm).unwrap_or_default(),
            disk_bytes: None,
        })
        .collect();
    users.sort_by(|a, b| {
        b.cpu.total_cmp(&a.cpu).then(b.rss_bytes.cmp(&a.rss_bytes)).then_with(|| a.username.cmp(&b.username))
    });
    users
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{MemInfo, Mount};

    fn times(busy: u64, idle: u64, iowait: u64) -> CpuTimes {
        CpuTimes { user: busy, idle, iowait, ..CpuTimes::default() }
    }

    #[test]
    fn cpu_percent_counts_iowait_as_idle() {
        let a = times(100, 100, 0);
        let b = times(150, 130, 20);
        assert_eq!(cpu_percent(&a, &b), Some(50.0));
    }

    #[test]
    fn cpu_percent_refuses_resets_and_empty_intervals() {
        let a = times(100, 100, 10);
        assert_eq!(cpu_percent(&a, &a), None);
        assert_eq!(cpu_percent(&a, &times(10, 10, 1)), None);
        // iowait going backwards alone never makes the figure exceed 100.
        let v = cpu_percent(&a, &times(200, 100, 5)).unwrap_or(-1.0);
        assert!((0.0..=100.0).contains(&v), "{v}");
    }

    #[test]
    fn swap_without_swap_is_zero() {
        assert_eq!(swap_percent(0, Some(0)), Some(0.0));
        assert_eq!(swap_percent(0, None), Some(0.0));
        assert_eq!(swap_percent(200, Some(150)), Some(25.0));
        assert_eq!(swap_percent(200, None), None);
        assert_eq!(swap_percent(200, Some(500)), Some(0.0));
    }

    fn proc(pid: u32, comm: &str, ticks: u64, start: u64, rss_pages: u64) -> ProcStat {
        ProcStat { pid, comm: comm.into(), state: 'S', ppid: 1, utime: ticks, stime: 0, starttime: start, rss_pages }
    }

    fn snapshot(stat_total: u64, procs: Vec<ProcStat>, owners: &[(u32, u32)]) -> Snapshot {
        Snapshot {
            stat: Some(CpuStat {
                all: times(stat_total / 2, stat_total - stat_total / 2, 0),
                cores: 2,
                boot_time: Some(1_700_000_000),
            }),
            procs: Some(procs),
            owners: Some(owners.iter().copied().collect()),
            passwd: Some([(0, "root".to_owned()), (1000, "a.b1".to_owned())].into()),
            pagesize: Some(4096),
            meminfo: Some(MemInfo {
                total: 4096 * 1000,
                available: Some(4096 * 250),
                swap_total: Some(0),
                swap_free: Some(0),
                ..MemInfo::default()
            }),
            mounts: Some(vec![
                Mount {
                    device: "/dev/a".into(),
                    mount_point: "/".into(),
                    fstype: Some("ext4".into()),
                    total_bytes: 100,
                    used_bytes: 40,
                    available_bytes: 60,
                },
                Mount {
                    device: "/dev/b".into(),
                    mount_point: "/data".into(),
                    fstype: Some("xfs".into()),
                    total_bytes: 1000,
                    used_bytes: 900,
                    available_bytes: 100,
                },
            ]),
            ..Snapshot::default()
        }
    }

    fn at() -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH
    }

    #[test]
    fn per_process_rates_handle_new_missed_and_reused_pids() {
        // 200 ticks over 2 cores: 100 ticks per core.
        let before = snapshot(
            1000,
            vec![proc(1, "init", 10, 1, 10), proc(50, "old", 100, 40, 10), proc(60, "sh", 0, 500, 1)],
            &[],
        );
        let prev = Counters::from_snapshot(&before);
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
        let built = build("s", at(), &now, Some(&Counters::from_snapshot(&before))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(built.users[0].top_process, "b");
    }

    #[test]
    fn memory_disk_and_swap_figures() {
        let built = build("s", at(), &snapshot(1000, vec![], &[]), None).unwrap_or_else(|e| panic!("{e}"));
        let s = &built.sample;
        assert_eq!(s.ram_percentage, Some(75.0));
        assert_eq!(s.ram_used_bytes, Some(4096 * 750));
        assert_eq!(s.swap_percentage, Some(0.0));
        assert_eq!(s.disk_percentage, Some(90.0));
        assert_eq!(s.disk_mount.as_deref(), Some("/data"));
        assert_eq!(s.cpu_percent, None);
        assert_eq!(s.cpu_cores, Some(2));
    }

    #[test]
    fn a_reboot_gives_no_rate() {
        let before = snapshot(100_000, vec![proc(1, "init", 5000, 1, 1)], &[]);
        let mut now = snapshot(1200, vec![proc(1, "init", 15, 1, 1)], &[(1, 0)]);
        if let Some(s) = now.stat.as_mut() {
            s.boot_time = Some(1_700_100_000);
        }
        let built = build("s", at(), &now, Some(&Counters::from_snapshot(&before))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(built.sample.cpu_percent, None);
        assert!(built.users.iter().all(|u| u.cpu == 0.0));
        assert!(built.warnings.iter().any(|w| w.contains("reboot")));
        assert_eq!(built.counters.boot_time, Some(1_700_100_000));
    }

    #[test]
    fn nothing_parsed_is_an_error() {
        let snap = Snapshot { errors: vec![SectionError::new("stat", "section missing")], ..Snapshot::default() };
        let err = build("s", at(), &snap, None).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("no usable section in the output (stat: section missing)"));
    }
}
