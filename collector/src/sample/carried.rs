//! [`CarriedState`]: what one cycle of a connection hands to the next.
//!
//! Rates need two readings of the counters: the previous cycle's, kept here, or on the first
//! cycle of a connection the baseline the program read one second earlier (`files0`). Counters
//! that go backwards (a reboot, a counter reset, a 32-bit wrap) mean the two cannot be compared.

use crate::fast_map::FastMap;

use crate::parse::{
    Container, ContainerSection, CpuStat, CpuTimes, DiskStat, Inventory, NetDev, ProcChanges, ProcStat, Snapshot,
};
use crate::protocol::{CONTAINERS_RECHECK_SECS, ContainerClient, ContainersSeen, DfFlavour};

/// Boot times (`btime`) further apart than this mean a reboot. `btime` is computed by the
/// kernel from the wall clock, so it moves by a second or so when NTP steps the clock.
const BOOT_TIME_TOLERANCE_SECONDS: u64 = 5;

/// The per-host state carried from one cycle of a connection to the next: the counters rates
/// are computed against, the facts read once per connection, and what earlier cycles learnt
/// about the server (its `df`, its mounts, its containers, the owners of its processes) that
/// the next program is told (see `ProgramOptions::next` in `sample/next_program.rs`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CarriedState {
    /// The `cpu` line of `/proc/stat`.
    pub cpu: Option<CpuTimes>,
    /// The `cpuN` lines, by CPU number.
    pub per_cpu: Vec<(u32, CpuTimes)>,
    pub procs: Option<ProcCounters>,
    /// `btime`, seconds since the epoch: a different value means the server rebooted.
    pub boot_time: Option<u64>,
    /// Seconds since boot: a smaller value means the server rebooted.
    pub uptime_seconds: Option<f64>,
    /// `/proc/diskstats` by device name.
    pub disks: Option<Timed<FastMap<String, DiskStat>>>,
    /// `/proc/net/dev` by interface name.
    pub nets: Option<Timed<FastMap<String, NetDev>>>,
    /// CPU time (µs) of each running container, by container id.
    pub containers: Option<Timed<FastMap<String, u64>>>,
    /// Kernel, OS and CPU model: read on the first cycle of a connection (and after a reboot).
    pub inventory: Option<Inventory>,
    /// Bytes per page, read with the inventory.
    pub page_size: Option<u64>,
    /// The processes of this cycle's top lists: the next program counts their descriptors.
    pub top_pids: Vec<u32>,
    /// The `df` that works on the server (from the first cycle that read the mounts).
    pub df: Option<DfFlavour>,
    /// Whether the last mount table had a mount that can hang `df` (`None`: not read).
    pub mounts_may_hang: Option<bool>,
    /// The running containers of the last cycle and when the daemon last gave its list.
    pub containers_seen: Option<ContainersSeen>,
    /// The daemon's last container list (names, images, states; no usage).
    pub container_list: Option<Vec<Container>>,
    /// Clients of the daemon's socket that failed on this connection.
    pub container_clients_failed: Vec<ContainerClient>,
    /// The server's uptime when the program last found neither docker nor podman usable:
    /// programs leave the containers script out until [`CONTAINERS_RECHECK_SECS`] later.
    pub no_containers_at: Option<f64>,
    /// The owner of every process of the last cycle: pid → (start time, uid).
    pub owners: FastMap<u32, (u64, u32)>,
    /// The SSH user's uid (the owner of the program's own shell), learnt when all were asked.
    pub self_uid: Option<u32>,
    /// Whether every process of the last cycle could be placed (no pid reused behind the cache).
    pub owners_complete: bool,
    /// The server's uptime when the owners of all processes were last asked for.
    pub owners_all_at: Option<f64>,
    /// The last pid the kernel had given out at this reading (`/proc/loadavg`).
    pub last_pid: Option<u32>,
    /// Every process of this reading: the next program is given it and prints only what
    /// changed (`scripts/files.sh`), which [`CarriedState::merge_changes`] puts back together.
    pub proc_table: Option<Vec<ProcStat>>,
}

/// The owners of all processes are asked for again at least this often (seconds of the
/// server's uptime), to see a process that changed its uid after it was first seen (a daemon
/// dropping root).
pub const OWNERS_ALL_EVERY_SECS: f64 = 600.0;

impl CarriedState {
    /// Whether the program found no container tool less than [`CONTAINERS_RECHECK_SECS`] ago
    /// (of the server's uptime, so a reboot asks again at once).
    pub fn no_containers_lately(&self) -> bool {
        self.less_than_ago(self.no_containers_at, CONTAINERS_RECHECK_SECS)
    }

    /// Whether `at` (the server's uptime then) is less than `secs` before this reading: false
    /// when either is unknown or the server rebooted since (its uptime went back).
    fn less_than_ago(&self, at: Option<f64>, secs: f64) -> bool {
        match (at, self.uptime_seconds) {
            (Some(at), Some(now)) => now >= at && now - at < secs,
            _ => false,
        }
    }

    /// The last pid given out at this reading, when the next program may ask about the owners
    /// of the processes started after it only (see `scripts/owners.sh`); `None` to ask about all.
    pub fn owners_since(&self) -> Option<u32> {
        let fresh = self.less_than_ago(self.owners_all_at, OWNERS_ALL_EVERY_SECS);
        if !(self.owners_complete && fresh && self.self_uid.is_some()) {
            return None;
        }
        self.last_pid
    }
}

impl CarriedState {
    /// The whole process table of a reading that printed only the changes since this state's
    /// table; `None` without a table (the changes cannot be placed). Sorted by pid.
    pub fn merge_changes(&self, changes: &ProcChanges) -> Option<Vec<ProcStat>> {
        let table = self.proc_table.as_ref()?;
        if table.is_sorted_by_key(|p| p.pid) {
            return Some(merge_sorted(table, changes));
        }
        let mut by_pid: FastMap<u32, &ProcStat> = table.iter().map(|p| (p.pid, p)).collect();
        for pid in &changes.gone {
            by_pid.remove(pid);
        }
        for p in &changes.changed {
            by_pid.insert(p.pid, p);
        }
        let mut merged: Vec<ProcStat> = by_pid.into_values().cloned().collect();
        merged.sort_unstable_by_key(|p| p.pid);
        Some(merged)
    }
}

/// [`CarriedState::merge_changes`] of a table sorted by pid (every table after the first, which
/// is in the order the server globbed `/proc`): one pass, no map. A changed process wins over
/// `gone` and over the table; of two changes of one pid, the later.
fn merge_sorted(table: &[ProcStat], changes: &ProcChanges) -> Vec<ProcStat> {
    let mut changed: Vec<&ProcStat> = changes.changed.iter().collect();
    changed.sort_by_key(|p| p.pid);
    let mut gone = changes.gone.clone();
    gone.sort_unstable();
    let mut out: Vec<ProcStat> = Vec::with_capacity(table.len() + changed.len());
    let push = |p: &ProcStat, out: &mut Vec<ProcStat>| match out.last_mut() {
        Some(last) if last.pid == p.pid => *last = p.clone(),
        _ => out.push(p.clone()),
    };
    let mut next = changed.into_iter().peekable();
    for p in table {
        while let Some(c) = next.next_if(|c| c.pid <= p.pid) {
            push(c, &mut out);
        }
        if out.last().is_some_and(|last| last.pid == p.pid) || gone.binary_search(&p.pid).is_ok() {
            continue;
        }
        out.push(p.clone());
    }
    for c in next {
        push(c, &mut out);
    }
    out
}

/// A reading together with the server's uptime when it was taken.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timed<T> {
    /// `/proc/uptime` read with the counters, in seconds.
    pub uptime: f64,
    pub value: T,
}

impl<T> Timed<T> {
    /// The two readings of one part and the seconds between them; `None` unless both exist
    /// and time went forwards.
    pub(super) fn interval<'a>(before: Option<&'a Self>, now: Option<&'a Self>) -> Option<(&'a Self, &'a Self, f64)> {
        let (before, now) = (before?, now?);
        Some((before, now, before.seconds_to(now)?))
    }

    /// Seconds from `self` to `later`, if positive.
    fn seconds_to(&self, later: &Self) -> Option<f64> {
        let dt = later.uptime - self.uptime;
        (dt.is_finite() && dt > 0.0).then_some(dt)
    }
}

/// The CPU ticks of every process at one reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcCounters {
    /// Sorted by pid, looked up by binary search ([`ProcCounters::get`]): made anew every
    /// cycle, where a hash map cost more to build than its lookups saved, and held for every
    /// server between cycles, in about two thirds of the memory.
    pub by_pid: Vec<(u32, ProcCounter)>,
    /// The latest start time among the processes, in ticks since boot: the time of the
    /// reading itself, since the program's own `head` is one of them. A process missing from
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
        let mut by_pid: Vec<(u32, ProcCounter)> =
            procs.iter().map(|p| (p.pid, ProcCounter { starttime: p.starttime, ticks: p.ticks() })).collect();
        // Merged tables are sorted already; the first of a connection is in the server's order.
        if !by_pid.is_sorted_by_key(|(pid, _)| *pid) {
            by_pid.sort_by_key(|(pid, _)| *pid);
        }
        Self { by_pid, read_at_ticks: procs.iter().map(|p| p.starttime).max().unwrap_or(0) }
    }

    /// The counters of `pid` at this reading.
    pub fn get(&self, pid: u32) -> Option<&ProcCounter> {
        let i = self.by_pid.binary_search_by_key(&pid, |(p, _)| *p).ok()?;
        self.by_pid.get(i).map(|(_, c)| c)
    }
}

/// One reading's counters, before the facts kept across cycles are added.
struct Reading<'a> {
    stat: Option<&'a CpuStat>,
    procs: Option<&'a [ProcStat]>,
    uptime: Option<f64>,
    disks: Option<&'a [DiskStat]>,
    nets: Option<&'a [NetDev]>,
    containers: Option<&'a ContainerSection>,
}

impl CarriedState {
    /// The counters of this reading alone (not the baseline), with the facts it read.
    pub fn from_snapshot(snap: &Snapshot) -> Self {
        let mut c = Self::from_reading(&Reading {
            stat: snap.stat.as_ref(),
            procs: snap.procs.as_deref(),
            uptime: snap.uptime.map(|u| u.seconds),
            disks: snap.diskstats.as_deref(),
            nets: snap.netdev.as_deref(),
            containers: snap.containers.as_ref(),
        });
        c.inventory = snap.inventory.clone();
        c.page_size = snap.pagesize;
        c
    }

    /// The counters of the baseline reading, if the program took one.
    pub fn baseline(snap: &Snapshot) -> Option<Self> {
        let b = snap.baseline.as_ref()?;
        let stat = b.stat.as_ref()?;
        Some(Self::from_reading(&Reading {
            stat: Some(stat),
            procs: b.procs.as_deref(),
            uptime: b.uptime.map(|u| u.seconds),
            disks: b.diskstats.as_deref(),
            nets: b.netdev.as_deref(),
            containers: None,
        }))
    }

    fn from_reading(r: &Reading<'_>) -> Self {
        fn timed<T>(uptime: Option<f64>, value: T) -> Option<Timed<T>> {
            uptime.map(|uptime| Timed { uptime, value })
        }
        let containers = match r.containers {
            Some(ContainerSection::Present { containers, .. }) => {
                timed(r.uptime, containers.iter().filter_map(|c| Some((c.id.clone(), c.usage.cpu_usec?))).collect())
            }
            _ => None,
        };
        Self {
            cpu: r.stat.map(|s| s.all),
            per_cpu: r.stat.map(|s| s.per_cpu.clone()).unwrap_or_default(),
            procs: r.procs.map(ProcCounters::from_procs),
            boot_time: r.stat.and_then(|s| s.boot_time),
            uptime_seconds: r.uptime,
            disks: r.disks.and_then(|d| timed(r.uptime, d.iter().map(|d| (d.name.clone(), d.clone())).collect())),
            nets: r.nets.and_then(|n| timed(r.uptime, n.iter().map(|n| (n.name.clone(), n.clone())).collect())),
            containers,
            ..Self::default()
        }
    }

    /// The counters to compare the next cycle with: this reading's (`self`), and where a part
    /// of it failed, the `earlier` one's. Only the counters: the facts and what was learnt are
    /// the caller's to add.
    pub(super) fn or_earlier(self, earlier: Option<&Self>) -> Self {
        Self {
            cpu: self.cpu.or_else(|| earlier.and_then(|e| e.cpu)),
            per_cpu: if self.cpu.is_some() {
                self.per_cpu
            } else {
                earlier.map(|e| e.per_cpu.clone()).unwrap_or_default()
            },
            procs: self.procs.or_else(|| earlier.and_then(|e| e.procs.clone())),
            boot_time: self.boot_time.or_else(|| earlier.and_then(|e| e.boot_time)),
            uptime_seconds: self.uptime_seconds.or_else(|| earlier.and_then(|e| e.uptime_seconds)),
            // Timed: a kept older reading still gives the right interval next cycle.
            disks: self.disks.or_else(|| earlier.and_then(|e| e.disks.clone())),
            nets: self.nets.or_else(|| earlier.and_then(|e| e.nets.clone())),
            containers: self.containers,
            ..Self::default()
        }
    }

    /// Whether `later` can be compared with `self`: same boot, no counter gone backwards.
    pub(super) fn same_boot_as(&self, later: &CarriedState) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::build;
    use crate::sample::fixtures::{at, proc, snapshot, times};

    #[test]
    fn a_reboot_gives_no_rate() {
        let before = snapshot(100_000, vec![proc(1, "init", 5000, 1, 1)], &[]);
        let mut now = snapshot(1200, vec![proc(1, "init", 15, 1, 1)], &[(1, 0)]);
        if let Some(s) = now.stat.as_mut() {
            s.boot_time = Some(1_700_100_000);
        }
        let built =
            build("s", at(), &now, Some(&CarriedState::from_snapshot(&before))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(built.sample.cpu_percent, None);
        assert!(built.users.iter().all(|u| u.cpu == 0.0));
        assert!(built.warnings.iter().any(|w| w.contains("reboot")));
        assert_eq!(built.carried.boot_time, Some(1_700_100_000));
    }

    #[test]
    fn a_reading_compares_with_an_earlier_one_of_the_same_boot_only() {
        let at = |boot: u64, uptime: f64, busy: u64| CarriedState {
            boot_time: Some(boot),
            uptime_seconds: Some(uptime),
            cpu: Some(times(busy, 100, 0)),
            ..CarriedState::default()
        };
        let earlier = at(1000, 50.0, 100);
        assert!(earlier.same_boot_as(&at(1000 + BOOT_TIME_TOLERANCE_SECONDS, 60.0, 200)), "NTP stepped btime");
        assert!(!earlier.same_boot_as(&at(1000 + BOOT_TIME_TOLERANCE_SECONDS + 1, 60.0, 200)), "another boot");
        assert!(!earlier.same_boot_as(&at(1000, 40.0, 200)), "uptime went back");
        assert!(!earlier.same_boot_as(&at(1000, 60.0, 50)), "ticks went back");
        assert!(CarriedState::default().same_boot_as(&earlier), "nothing known: nothing against it");
    }

    #[test]
    fn counters_are_found_by_pid_whatever_order_the_server_listed_them_in() {
        let listed = [proc(300, "c", 7, 30, 1), proc(12, "a", 5, 10, 1), proc(40, "b", 6, 20, 1)];
        let counters = ProcCounters::from_procs(&listed);
        for p in &listed {
            assert_eq!(counters.get(p.pid), Some(&ProcCounter { starttime: p.starttime, ticks: p.ticks() }));
        }
        assert_eq!((counters.get(1), counters.get(41), counters.get(301)), (None, None, None));
        assert_eq!(counters.read_at_ticks, 30);
    }

    #[test]
    fn a_part_that_failed_keeps_the_earlier_reading_of_it() {
        let mut before = snapshot(1000, vec![proc(1, "init", 0, 1, 1)], &[]);
        before.uptime = Some(crate::parse::Uptime { seconds: 10.0, idle_seconds: None });
        before.diskstats = Some(Vec::new());
        let earlier = CarriedState::from_snapshot(&before);
        let failed = CarriedState { top_pids: vec![9], ..CarriedState::default() };
        let kept = failed.or_earlier(Some(&earlier));
        assert_eq!((kept.cpu, kept.boot_time, kept.uptime_seconds), (earlier.cpu, Some(1_700_000_000), Some(10.0)));
        assert_eq!((kept.per_cpu.len(), kept.procs.is_some()), (2, true));
        assert_eq!(kept.disks.map(|d| d.uptime), Some(10.0), "with the time of its reading");
        assert!(kept.top_pids.is_empty(), "only the counters are carried over");
        let fresh = CarriedState::from_snapshot(&snapshot(2000, vec![], &[]));
        assert_eq!(fresh.clone().or_earlier(Some(&earlier)).cpu, fresh.cpu);
    }

    #[test]
    fn a_sorted_table_merges_as_the_unsorted_one_does() {
        // Every case at once: unchanged (1, 9), changed (3), gone (5), changed and gone (7),
        // new before, between and after (0, 4, 12), one pid changed twice (4: the later wins).
        let table: Vec<ProcStat> = [1, 3, 5, 7, 9].iter().map(|&pid| proc(pid, "t", 1, pid.into(), 1)).collect();
        let changes = ProcChanges {
            changed: vec![
                proc(12, "new", 1, 12, 1),
                proc(3, "changed", 2, 3, 1),
                proc(4, "first", 1, 4, 1),
                proc(7, "back", 2, 7, 1),
                proc(0, "zero", 1, 0, 1),
                proc(4, "second", 1, 4, 2),
            ],
            gone: vec![7, 5],
        };
        let sorted = CarriedState { proc_table: Some(table.clone()), ..CarriedState::default() };
        let mut reversed = table;
        reversed.reverse();
        let unsorted = CarriedState { proc_table: Some(reversed), ..CarriedState::default() };
        let (a, b) = (sorted.merge_changes(&changes), unsorted.merge_changes(&changes));
        assert_eq!(a, b);
        let rows: Vec<(u32, &str)> = a.iter().flatten().map(|p| (p.pid, &*p.comm)).collect();
        assert_eq!(rows, [(0, "zero"), (1, "t"), (3, "changed"), (4, "second"), (7, "back"), (9, "t"), (12, "new")]);
    }

    #[test]
    fn changed_processes_merge_into_the_kept_table_and_the_next_program_gets_it() {
        let first =
            snapshot(1000, vec![proc(1, "init", 5, 1, 10), proc(2, "web", 7, 20, 30), proc(3, "cron", 0, 30, 4)], &[]);
        let built = build("s", at(), &first, None).unwrap_or_else(|e| panic!("{e}"));
        let kept = built.carried;
        assert_eq!(kept.proc_table.as_ref().map(Vec::len), Some(3));
        let text = crate::program::program(&crate::protocol::ProgramOptions::next(Some(&kept)));
        let prev: Vec<String> = kept
            .proc_table
            .iter()
            .flatten()
            .map(|p| {
                let mut key = String::new();
                super::super::next_program::known(p).write_to(&mut key);
                key
            })
            .collect();
        assert!(prev.iter().zip(["1", "2", "3"]).all(|(k, pid)| k.len() == 9 && k.ends_with(pid)), "{prev:?}");
        assert!(text.contains(&format!("prev='{}'\n", prev.join(" "))), "{text}");
        // Process 2 used 3 ticks, 3 ended, 4 is new; 1 did not change and is not printed.
        let changes = ProcChanges { changed: vec![proc(2, "web", 10, 20, 31), proc(4, "sh", 1, 40, 2)], gone: vec![3] };
        let merged = kept.merge_changes(&changes).unwrap_or_default();
        let rows: Vec<(u32, u64, u64)> = merged.iter().map(|p| (p.pid, p.ticks(), p.rss_pages)).collect();
        assert_eq!(rows, [(1, 5, 10), (2, 10, 31), (4, 1, 2)]);
        assert_eq!(CarriedState::default().merge_changes(&changes), None, "no table: nothing to merge into");
        // Built from the changes alone, the figures are those of the whole table.
        let mut next = snapshot(1200, Vec::new(), &[(1, 0), (2, 1000), (4, 1000)]);
        next.procs = None;
        next.proc_changes = Some(changes);
        let b = build("s", at(), &next, Some(&kept)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.carried.proc_table.as_ref().map(Vec::len), Some(3));
        let count: i64 = b.users.iter().map(|u| u.process_count).sum();
        assert_eq!(count, 3, "{:?}", b.users);
    }

    #[test]
    fn owners_of_new_processes_only_while_the_cache_is_whole_and_fresh() {
        let kept = CarriedState {
            owners_complete: true,
            owners_all_at: Some(100.0),
            uptime_seconds: Some(130.0),
            self_uid: Some(1000),
            last_pid: Some(4242),
            ..CarriedState::default()
        };
        assert_eq!(kept.owners_since(), Some(4242));
        assert_eq!(CarriedState { owners_complete: false, ..kept.clone() }.owners_since(), None);
        assert_eq!(CarriedState { self_uid: None, ..kept.clone() }.owners_since(), None);
        assert_eq!(CarriedState { uptime_seconds: Some(90.0), ..kept.clone() }.owners_since(), None, "rebooted");
        let late = Some(100.0 + OWNERS_ALL_EVERY_SECS);
        assert_eq!(CarriedState { uptime_seconds: late, ..kept }.owners_since(), None);
    }
}
