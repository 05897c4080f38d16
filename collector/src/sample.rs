//! From snapshots to figures: percentages, rates, per-user usage and the [`Details`] of a cycle.
//!
//! Rates need two readings of the counters: the previous cycle's ([`Counters`], kept in memory
//! by the collector) or, on the first cycle of a connection, the baseline the program read one
//! second earlier (`files0`/`procs0`). CPU figures are ratios of `/proc/stat` ticks; per-second
//! rates (disks, network, containers) divide by the `/proc/uptime` difference of the two
//! readings, the server's own clock. Counters that go backwards (a reboot, a counter reset, a
//! 32-bit wrap) give no rate, never a negative or absurd one.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use fleetwatch_common::details::{
    ContainerInfo, CpuBreakdown, CpuStats, DiskIo, DiskUsage, ListeningPort, MemoryStats, NetInterface, ProcessInfo,
    Session as SessionInfo, SystemInfo, TcpStats,
};
use fleetwatch_common::{Details, Sample};
use fleetwatch_store::UserUsage;

use crate::parse::{
    CgroupUsage, Container, ContainerSection, CpuStat, CpuTimes, DiskStat, Inventory, MemInfo, NetDev, ProcStat,
    SECTOR_BYTES, SectionError, Snapshot,
};
use crate::program::{ContainersSeen, DfFlavour};

/// Boot times (`btime`) further apart than this mean a reboot. `btime` is computed by the
/// kernel from the wall clock, so it moves by a second or so when NTP steps the clock.
const BOOT_TIME_TOLERANCE_SECONDS: u64 = 5;

/// Page size assumed when the `pagesize` section failed.
const DEFAULT_PAGE_SIZE: u64 = 4096;

/// Above this share of processes without an owner (exited between the two reads) a warning
/// is given; a few are normal on every cycle.
const UNOWNED_WARNING_RATIO: f64 = 0.1;

/// Processes in each top list unless told otherwise.
pub const DEFAULT_TOP_N: usize = 10;

/// What must be kept between cycles to compute rates, and the facts read once per connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
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
    pub disks: Option<Timed<HashMap<String, DiskStat>>>,
    /// `/proc/net/dev` by interface name.
    pub nets: Option<Timed<HashMap<String, NetDev>>>,
    /// CPU time (µs) of each running container, by container id.
    pub containers: Option<Timed<HashMap<String, u64>>>,
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
    /// Clients of the daemon's socket that failed on this connection (`nc`, `curl`).
    pub container_clients_failed: Vec<String>,
    /// The owner of every process of the last cycle: pid → (start time, uid).
    pub owners: HashMap<u32, (u64, u32)>,
    /// The SSH user's uid (the owner of the program's own shell), learnt when all were asked.
    pub self_uid: Option<u32>,
    /// Whether every process of the last cycle could be placed (no pid reused behind the cache).
    pub owners_complete: bool,
    /// The server's uptime when the owners of all processes were last asked for.
    pub owners_all_at: Option<f64>,
    /// The last pid the kernel had given out at this reading (`/proc/loadavg`).
    pub last_pid: Option<u32>,
}

/// The owners of all processes are asked for again at least this often (seconds of the
/// server's uptime), to see a process that changed its uid after it was first seen (a daemon
/// dropping root).
pub const OWNERS_ALL_EVERY_SECS: f64 = 600.0;

impl Counters {
    /// The last pid given out at this reading, when the next program may ask about the owners
    /// of the processes started after it only (see `scripts/owners.sh`); `None` to ask about all.
    pub fn owners_since(&self) -> Option<u32> {
        let fresh = match (self.owners_all_at, self.uptime_seconds) {
            (Some(at), Some(now)) => now >= at && now - at < OWNERS_ALL_EVERY_SECS,
            _ => false,
        };
        if !(self.owners_complete && fresh && self.self_uid.is_some()) {
            return None;
        }
        self.last_pid
    }
}

/// A reading together with the server's uptime when it was taken.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timed<T> {
    /// `/proc/uptime` read with the counters, in seconds.
    pub uptime: f64,
    pub value: T,
}

impl<T> Timed<T> {
    /// Seconds from `self` to `later`, if positive.
    fn seconds_to<U>(&self, later: &Timed<U>) -> Option<f64> {
        let dt = later.uptime - self.uptime;
        (dt.is_finite() && dt > 0.0).then_some(dt)
    }
}

/// The CPU ticks of every process at one reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcCounters {
    pub by_pid: HashMap<u32, ProcCounter>,
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

/// One reading's counters, before the facts kept across cycles are added.
struct Reading<'a> {
    stat: Option<&'a CpuStat>,
    procs: Option<&'a [ProcStat]>,
    uptime: Option<f64>,
    disks: Option<&'a [DiskStat]>,
    nets: Option<&'a [NetDev]>,
    containers: Option<&'a ContainerSection>,
}

impl Counters {
    /// The counters of this reading alone (not the baseline).
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
            inventory: None,
            page_size: None,
            top_pids: Vec::new(),
            df: None,
            mounts_may_hang: None,
            containers_seen: None,
            container_list: None,
            container_clients_failed: Vec::new(),
            owners: HashMap::new(),
            self_uid: None,
            owners_complete: false,
            owners_all_at: None,
            last_pid: None,
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
    /// Everything else the cycle collected, section by section.
    pub details: Details,
    /// To pass as `prev` next cycle.
    pub counters: Counters,
    /// Section errors, skipped lines and doubts about the figures, for the log.
    pub warnings: Vec<String>,
}

/// Settings of [`build_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildOptions {
    /// Processes in each top list (by CPU, by memory).
    pub top_n: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self { top_n: DEFAULT_TOP_N }
    }
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

/// Computes the sample, per-user usage and details of one cycle with the default options.
/// `prev` is the previous cycle's [`Built::counters`]; a baseline in `snap` takes its place
/// for the rates.
pub fn build(
    server_name: &str,
    now: DateTime<Utc>,
    snap: &Snapshot,
    prev: Option<&Counters>,
) -> Result<Built, BuildError> {
    build_with(server_name, now, snap, prev, &BuildOptions::default())
}

/// [`build`] with explicit options.
pub fn build_with(
    server_name: &str,
    now: DateTime<Utc>,
    snap: &Snapshot,
    prev: Option<&Counters>,
    opts: &BuildOptions,
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
        warnings.push("counters went backwards (reboot?): rates start again next cycle".to_owned());
        earlier = None;
    }
    // Facts kept across cycles, unless the server rebooted since (a new kernel, perhaps).
    let kept = prev.filter(|p| p.same_boot_as(&current));

    let cores = snap.stat.as_ref().map(|s| s.cores).filter(|&c| c > 0);
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

    let inventory = snap.inventory.clone().or_else(|| kept.and_then(|k| k.inventory.clone()));
    let page_size = snap.pagesize.or_else(|| kept.and_then(|k| k.page_size));
    let owners = merge_owners(snap, kept);
    let owned = owned_processes(
        snap,
        owners.uids.as_ref(),
        page_size.unwrap_or(DEFAULT_PAGE_SIZE),
        proc_rates.as_ref(),
        &mut warnings,
    );
    let users = match &owned {
        Some(procs) => per_user(procs, proc_rates.as_ref(), mem_total),
        None => Vec::new(),
    };
    let (processes_by_cpu, processes_by_memory) = match &owned {
        Some(procs) => top_processes(procs, proc_rates.is_some(), mem_total, snap.fds.as_ref(), opts.top_n),
        None => (Vec::new(), Vec::new()),
    };

    let details = Details {
        server_name: server_name.to_owned(),
        timestamp: now,
        cpu: cpu_stats(snap, earlier, &current, inventory.as_ref()),
        memory: snap.meminfo.as_ref().and_then(memory_stats),
        disks: snap.mounts.iter().flatten().map(disk_usage).collect(),
        disk_io: disk_io(earlier, &current, &mut warnings),
        network: network(earlier, &current, &mut warnings),
        tcp: snap.sockets.as_ref().map(|s| TcpStats {
            states: s.states.iter().map(|(k, v)| (k.clone(), to_i64(*v))).collect::<BTreeMap<_, _>>(),
            listening: s
                .listening
                .iter()
                .map(|l| ListeningPort { protocol: l.protocol.to_owned(), address: l.address.clone(), port: l.port })
                .collect(),
        }),
        sessions: snap
            .users
            .iter()
            .flatten()
            .map(|s| SessionInfo {
                user: s.user.clone(),
                tty: s.tty.clone(),
                from: s.host.clone(),
                login_time: s.login_time(now),
            })
            .collect(),
        system: system_info(snap, inventory.as_ref()),
        processes_by_cpu,
        processes_by_memory,
        containers: containers(snap, earlier, &current),
        section_errors: snap.errors.iter().map(ToString::to_string).collect(),
    };

    let (containers_seen, container_list) = remember_containers(snap, earlier);
    let mut top_pids: Vec<u32> = Vec::new();
    for p in details.processes_by_cpu.iter().chain(&details.processes_by_memory) {
        if let Ok(pid) = u32::try_from(p.pid)
            && !top_pids.contains(&pid)
        {
            top_pids.push(pid);
        }
    }

    // Next cycle compares with this reading; where a part of it failed, with the older one.
    let counters = Counters {
        cpu: current.cpu.or_else(|| earlier.and_then(|e| e.cpu)),
        per_cpu: if current.cpu.is_some() {
            current.per_cpu.clone()
        } else {
            earlier.map(|e| e.per_cpu.clone()).unwrap_or_default()
        },
        procs: current.procs.clone().or_else(|| earlier.and_then(|e| e.procs.clone())),
        boot_time: current.boot_time.or_else(|| earlier.and_then(|e| e.boot_time)),
        uptime_seconds: current.uptime_seconds.or_else(|| earlier.and_then(|e| e.uptime_seconds)),
        // Timed: a kept older reading still gives the right interval next cycle.
        disks: current.disks.clone().or_else(|| earlier.and_then(|e| e.disks.clone())),
        nets: current.nets.clone().or_else(|| earlier.and_then(|e| e.nets.clone())),
        containers: current.containers.clone(),
        inventory,
        page_size,
        top_pids,
        df: snap.df.or_else(|| earlier.and_then(|e| e.df)),
        mounts_may_hang: snap.mounts_may_hang,
        containers_seen,
        container_list,
        container_clients_failed: clients_failed(snap, earlier),
        owners: owners.cache,
        self_uid: owners.self_uid,
        owners_complete: owners.complete,
        owners_all_at: owners.all_at,
        last_pid: snap.loadavg.and_then(|l| l.last_pid),
    };

    Ok(Built { sample, users, details, counters, warnings })
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

/// Each state's share of the ticks between two readings of one `cpu` line, in percent; `None`
/// when no tick passed. A counter that went backwards counts 0: the idle and iowait times of
/// an idle (tickless) CPU are estimates that can step back a little between two reads (seen
/// here on one core of two). The shares are of the sum of the per-state deltas, so they add
/// up to 100. A reboot is caught before, on the `cpu` line and `btime`.
pub fn cpu_breakdown(name: &str, earlier: &CpuTimes, later: &CpuTimes) -> Option<CpuBreakdown> {
    let fields = |t: &CpuTimes| [t.user, t.nice, t.system, t.idle, t.iowait, t.irq, t.softirq, t.steal];
    let d: Vec<u64> = fields(earlier).into_iter().zip(fields(later)).map(|(a, b)| b.saturating_sub(a)).collect();
    let total = d.iter().fold(0u64, |acc, v| acc.saturating_add(*v));
    if total == 0 {
        return None;
    }
    let share = |i: usize| (d.get(i).copied().unwrap_or(0) as f64 / total as f64 * 100.0).clamp(0.0, 100.0);
    let (idle, iowait) = (share(3), share(4));
    Some(CpuBreakdown {
        name: name.to_owned(),
        busy: (100.0 - idle - iowait).clamp(0.0, 100.0),
        user: share(0),
        nice: share(1),
        system: share(2),
        iowait,
        irq: share(5),
        softirq: share(6),
        steal: share(7),
        idle,
    })
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

fn cpu_stats(
    snap: &Snapshot,
    earlier: Option<&Counters>,
    current: &Counters,
    inventory: Option<&Inventory>,
) -> Option<CpuStats> {
    if snap.stat.is_none() && snap.loadavg.is_none() {
        return None;
    }
    let total = match (earlier.and_then(|e| e.cpu), current.cpu) {
        (Some(a), Some(b)) => cpu_breakdown("cpu", &a, &b),
        _ => None,
    };
    let cores = match earlier {
        Some(e) => current
            .per_cpu
            .iter()
            .filter_map(|(i, later)| {
                let (_, before) = e.per_cpu.iter().find(|(j, _)| j == i)?;
                cpu_breakdown(&format!("cpu{i}"), before, later)
            })
            .collect(),
        None => Vec::new(),
    };
    Some(CpuStats {
        total,
        cores,
        core_count: snap.stat.as_ref().map_or(0, |s| i64::from(s.cores)),
        load_1: snap.loadavg.map(|l| l.one),
        load_5: snap.loadavg.map(|l| l.five),
        load_15: snap.loadavg.map(|l| l.fifteen),
        model: inventory.and_then(|i| i.cpu_model.clone()),
        mhz: snap.cpu_mhz.or_else(|| inventory.and_then(|i| i.cpu_mhz)),
    })
}

/// Memory as `free(1)` shows it: `cached` is page cache plus reclaimable slab (procps ≥ 3.3.10),
/// `used` is total − available.
fn memory_stats(m: &MemInfo) -> Option<MemoryStats> {
    let available = m.available_bytes()?;
    let used = m.total.saturating_sub(available);
    let swap_total = m.swap_total.unwrap_or(0);
    let swap_used = swap_total.saturating_sub(m.swap_free.unwrap_or(swap_total));
    let cached = m.cached.unwrap_or(0).saturating_add(m.s_reclaimable.unwrap_or(0));
    Some(MemoryStats {
        total: to_i64(m.total),
        used: to_i64(used),
        available: to_i64(available),
        free: to_i64(m.free.unwrap_or(0)),
        buffers: to_i64(m.buffers.unwrap_or(0)),
        cached: to_i64(cached),
        swap_total: to_i64(swap_total),
        swap_used: to_i64(swap_used),
        used_percent: percent(used, m.total),
        swap_percent: percent(swap_used, swap_total),
        available_estimated: m.available.is_none(),
    })
}

fn disk_usage(m: &crate::parse::Mount) -> DiskUsage {
    DiskUsage {
        mount: m.mount_point.clone(),
        device: m.device.clone(),
        fstype: m.fstype.clone().unwrap_or_default(),
        size_bytes: to_i64(m.total_bytes),
        used_bytes: to_i64(m.used_bytes),
        available_bytes: to_i64(m.available_bytes),
        used_percent: m.used_percent().unwrap_or(0.0),
        inodes_total: m.inodes.map(|i| to_i64(i.total)),
        inodes_used: m.inodes.map(|i| to_i64(i.used)),
        inodes_percent: m.inodes.and_then(|i| i.used_percent()),
    }
}

/// `later − earlier` of every counter, or `None` if any went backwards.
fn deltas<const N: usize>(earlier: [u64; N], later: [u64; N]) -> Option<[u64; N]> {
    let mut out = [0u64; N];
    for (o, (a, b)) in out.iter_mut().zip(earlier.into_iter().zip(later)) {
        *o = b.checked_sub(a)?;
    }
    Some(out)
}

/// Per-device I/O over the interval: whole disks only (see [`DiskStat::is_reported`]), and
/// only devices that have ever done I/O (an empty CD drive is noise).
fn disk_io(earlier: Option<&Counters>, current: &Counters, warnings: &mut Vec<String>) -> Vec<DiskIo> {
    let (Some(before), Some(now)) = (earlier.and_then(|e| e.disks.as_ref()), current.disks.as_ref()) else {
        return Vec::new();
    };
    let Some(dt) = before.seconds_to(now) else { return Vec::new() };
    let all: Vec<DiskStat> = now.value.values().cloned().collect();
    let mut out: Vec<DiskIo> = Vec::new();
    for d in &all {
        if !d.is_reported(&all) || (d.reads == 0 && d.writes == 0) {
            continue;
        }
        let Some(b) = before.value.get(&d.name) else { continue };
        let field = |x: &DiskStat| [x.reads, x.sectors_read, x.writes, x.sectors_written, x.busy_ms];
        let Some([reads, sectors_read, writes, sectors_written, busy_ms]) = deltas(field(b), field(d)) else {
            warnings.push(format!("diskstats: counters of {} went backwards; no rate this cycle", d.name));
            continue;
        };
        out.push(DiskIo {
            device: d.name.clone(),
            read_bytes_per_sec: sectors_read.saturating_mul(SECTOR_BYTES) as f64 / dt,
            write_bytes_per_sec: sectors_written.saturating_mul(SECTOR_BYTES) as f64 / dt,
            reads_per_sec: reads as f64 / dt,
            writes_per_sec: writes as f64 / dt,
            busy_percent: (busy_ms as f64 / (dt * 1000.0) * 100.0).clamp(0.0, 100.0),
        });
    }
    out.sort_by(|a, b| a.device.cmp(&b.device));
    out
}

/// Per-interface traffic over the interval.
fn network(earlier: Option<&Counters>, current: &Counters, warnings: &mut Vec<String>) -> Vec<NetInterface> {
    let (Some(before), Some(now)) = (earlier.and_then(|e| e.nets.as_ref()), current.nets.as_ref()) else {
        return Vec::new();
    };
    let Some(dt) = before.seconds_to(now) else { return Vec::new() };
    let mut out: Vec<NetInterface> = Vec::new();
    for n in now.value.values() {
        let Some(b) = before.value.get(&n.name) else { continue };
        let field = |x: &NetDev| {
            [x.rx_bytes, x.tx_bytes, x.rx_packets, x.tx_packets, x.rx_errors, x.tx_errors, x.rx_drops, x.tx_drops]
        };
        let Some([rx_b, tx_b, rx_p, tx_p, rx_e, tx_e, rx_d, tx_d]) = deltas(field(b), field(n)) else {
            warnings.push(format!("netdev: counters of {} went backwards; no rate this cycle", n.name));
            continue;
        };
        out.push(NetInterface {
            name: n.name.clone(),
            rx_bytes_per_sec: rx_b as f64 / dt,
            tx_bytes_per_sec: tx_b as f64 / dt,
            rx_packets_per_sec: rx_p as f64 / dt,
            tx_packets_per_sec: tx_p as f64 / dt,
            rx_errors: to_i64(rx_e),
            tx_errors: to_i64(tx_e),
            rx_drops: to_i64(rx_d),
            tx_drops: to_i64(tx_d),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn system_info(snap: &Snapshot, inventory: Option<&Inventory>) -> Option<SystemInfo> {
    let inv = inventory.cloned().unwrap_or_default();
    let info = SystemInfo {
        hostname: snap.hostname.clone(),
        os: inv.os_name,
        os_id: inv.os_id,
        os_version: inv.os_version,
        kernel: inv.kernel,
        architecture: inv.arch,
        uptime_seconds: snap.uptime.map(|u| u.seconds.floor() as i64),
        boot_time: snap
            .stat
            .as_ref()
            .and_then(|s| s.boot_time)
            .and_then(|t| DateTime::<Utc>::from_timestamp(i64::try_from(t).ok()?, 0)),
        processes: snap.procs.as_ref().map(|p| to_i64(p.len() as u64)),
        threads: snap
            .procs
            .as_ref()
            .map(|p| to_i64(p.iter().fold(0u64, |acc, p| acc.saturating_add(p.threads))))
            .or_else(|| snap.loadavg.and_then(|l| l.threads).map(i64::from)),
        open_files: snap.file_nr.map(|f| to_i64(f.open)),
        max_files: snap.file_nr.map(|f| to_i64(f.max)),
    };
    (info != SystemInfo::default()).then_some(info)
}

/// What the next cycle remembers of the containers: the running ones and when the daemon last
/// listed them, and that list. A cycle that was not given the list keeps the earlier one; without
/// any list, the next program asks again.
fn remember_containers(
    snap: &Snapshot,
    earlier: Option<&Counters>,
) -> (Option<ContainersSeen>, Option<Vec<Container>>) {
    let Some(ContainerSection::Present { containers, listed, running, .. }) = snap.containers.as_ref() else {
        return (None, None);
    };
    if *listed {
        let uptime = snap.uptime.map_or(0, |u| u.seconds.max(0.0) as u64);
        let list: Vec<Container> =
            containers.iter().map(|c| Container { usage: CgroupUsage::default(), ..c.clone() }).collect();
        let health_checks = list.iter().any(|c| c.health.is_some());
        (Some(ContainersSeen { running: running.clone(), listed_at: uptime, health_checks }), Some(list))
    } else {
        let kept = earlier.and_then(|e| Some((e.containers_seen.as_ref()?, e.container_list.clone()?)));
        match kept {
            Some((seen, list)) => (Some(ContainersSeen { running: running.clone(), ..seen.clone() }), Some(list)),
            None => (None, None),
        }
    }
}

/// The socket clients not to try again: the earlier ones, and this cycle's if it gave no list.
/// The docker CLI is never given up (it is the last resort; its failures are the daemon's).
fn clients_failed(snap: &Snapshot, earlier: Option<&Counters>) -> Vec<String> {
    let mut failed = earlier.map(|e| e.container_clients_failed.clone()).unwrap_or_default();
    if let Some(ContainerSection::Present { listed: false, asked: Some(client), .. }) = snap.containers.as_ref()
        && client != "cli"
        && !failed.contains(client)
    {
        failed.push(client.clone());
    }
    failed
}

/// The containers of this cycle: the daemon's list when it gave one, else the last list with
/// this cycle's usage (a running container missing from that list, which only happens when the
/// daemon did not answer, is shown by its short id).
fn current_containers(snap: &Snapshot, earlier: Option<&Counters>) -> Option<Vec<Container>> {
    let ContainerSection::Present { containers, listed, .. } = snap.containers.as_ref()? else {
        return None;
    };
    if *listed {
        return Some(containers.clone());
    }
    let mut out: Vec<Container> = earlier.and_then(|e| e.container_list.clone()).unwrap_or_default();
    for found in containers {
        match out.iter_mut().find(|c| c.id == found.id) {
            Some(c) => c.usage = found.usage,
            None => out.push(Container { name: found.id.chars().take(12).collect(), ..found.clone() }),
        }
    }
    Some(out)
}

/// Containers as listed, with CPU over the interval (percent of one core, as `docker stats`).
fn containers(snap: &Snapshot, earlier: Option<&Counters>, current: &Counters) -> Option<Vec<ContainerInfo>> {
    let containers = current_containers(snap, earlier)?;
    let before = earlier.and_then(|e| e.containers.as_ref());
    let now = current.containers.as_ref();
    let dt = match (before, now) {
        (Some(b), Some(n)) => b.seconds_to(n),
        _ => None,
    };
    Some(
        containers
            .iter()
            .map(|c| {
                let cpu_percent = match (dt, before.and_then(|b| b.value.get(&c.id)), c.usage.cpu_usec) {
                    (Some(dt), Some(a), Some(b)) if b >= *a => Some((b - a) as f64 / (dt * 1e6) * 100.0),
                    _ => None,
                };
                let u = c.usage;
                ContainerInfo {
                    name: c.name.clone(),
                    image: c.image.clone(),
                    state: c.state.clone(),
                    health: c.health.clone(),
                    exit_code: c.exit_code,
                    cpu_percent,
                    memory_bytes: u.memory_bytes.map(to_i64),
                    memory_limit_bytes: u.memory_limit_bytes.map(to_i64),
                    net_rx_bytes: u.net_rx_bytes.map(to_i64),
                    net_tx_bytes: u.net_tx_bytes.map(to_i64),
                    block_read_bytes: u.block_read_bytes.map(to_i64),
                    block_write_bytes: u.block_write_bytes.map(to_i64),
                }
            })
            .collect(),
    )
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

/// A process with its owner's name and its figures.
struct Owned<'a> {
    proc: &'a ProcStat,
    user: String,
    cpu: f64,
    rss: u64,
}

/// The owners of this cycle's processes, from the program's answers and what the collector
/// kept: see [`merge_owners`].
struct OwnerMerge {
    /// pid → uid of this cycle's processes; `None` without owners or processes.
    uids: Option<HashMap<u32, u32>>,
    cache: HashMap<u32, (u64, u32)>,
    self_uid: Option<u32>,
    complete: bool,
    all_at: Option<f64>,
}

/// Places every process of this cycle: the program's answer for it (it asks only about the
/// processes started since the last cycle, unless it asked about all), else the kept owner of
/// the same pid *with the same start time*, else the SSH user for the program's own shell. A
/// process that was not new and still cannot be placed (a pid reused behind the kept owners)
/// makes the next program ask about all.
fn merge_owners(snap: &Snapshot, kept: Option<&Counters>) -> OwnerMerge {
    let uptime = snap.uptime.map(|u| u.seconds);
    let mut merge = OwnerMerge {
        uids: None,
        cache: HashMap::new(),
        self_uid: kept.and_then(|k| k.self_uid),
        complete: false,
        all_at: kept.and_then(|k| k.owners_all_at),
    };
    let (Some(answers), Some(procs)) = (snap.owners.as_ref(), snap.procs.as_ref()) else {
        return merge;
    };
    // All were asked about when the shell itself was (older programs print no `self`).
    let asked_all = answers.self_pid.is_none_or(|p| answers.uids.contains_key(&p));
    let since = if asked_all { None } else { kept.and_then(Counters::owners_since) };
    let last_pid = snap.loadavg.and_then(|l| l.last_pid);
    if asked_all {
        merge.all_at = uptime;
        if let Some(uid) = answers.self_pid.and_then(|p| answers.uids.get(&p)) {
            merge.self_uid = Some(*uid);
        }
    }
    let mut uids = HashMap::with_capacity(procs.len());
    let mut unplaced = false;
    for p in procs {
        let known = kept.and_then(|k| k.owners.get(&p.pid)).filter(|(start, _)| *start == p.starttime).map(|(_, u)| *u);
        let own_shell = (answers.self_pid == Some(p.pid)).then_some(merge.self_uid).flatten();
        match answers.uids.get(&p.pid).copied().or(known).or(own_shell) {
            Some(uid) => {
                uids.insert(p.pid, uid);
                merge.cache.insert(p.pid, (p.starttime, uid));
            }
            // A new process that ended before `stat` reached it is simply gone.
            None => unplaced |= since.is_some_and(|s| !started_after(p.pid, s, last_pid)),
        }
    }
    merge.complete = !unplaced;
    merge.uids = Some(uids);
    merge
}

/// Whether `pid` was given out after `since` and up to `last` (the last pid given out when this
/// cycle read the processes), pids having possibly wrapped in between. Without `last`, every pid
/// above `since` counts.
fn started_after(pid: u32, since: u32, last: Option<u32>) -> bool {
    match last {
        Some(last) if last >= since => pid > since && pid <= last,
        Some(last) => pid > since || pid <= last,
        None => pid > since,
    }
}

/// The processes whose owner is known (one that exited between the `procs` and `owners`
/// reads is left out); a uid without an account name is reported under its number. `None`
/// without owners or processes.
fn owned_processes<'a>(
    snap: &'a Snapshot,
    owners: Option<&HashMap<u32, u32>>,
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
        let user = snap.passwd.as_ref().and_then(|m| m.get(uid).cloned()).unwrap_or_else(|| uid.to_string());
        let cpu = rates.map_or(0.0, |r| r.percent(p));
        out.push(Owned { proc: p, user, cpu, rss: p.rss_pages.saturating_mul(page) });
    }
    if procs.len() > 10 && unowned as f64 > procs.len() as f64 * UNOWNED_WARNING_RATIO {
        warnings.push(format!("{unowned} of {} processes have no known owner", procs.len()));
    }
    Some(out)
}

#[derive(Default)]
struct UserAcc {
    cpu: f64,
    rss: u64,
    count: i64,
    /// (cpu, rss, comm) of the process leading so far.
    top: Option<(f64, u64, String)>,
}

/// Per-user sums over the current processes.
fn per_user(procs: &[Owned<'_>], rates: Option<&ProcRates<'_>>, mem_total: Option<u64>) -> Vec<UserUsage> {
    let cap = rates.map_or(0.0, |r| r.max_percent);
    let mut by_user: HashMap<&str, UserAcc> = HashMap::new();
    for o in procs {
        let acc = by_user.entry(o.user.as_str()).or_default();
        acc.cpu = (acc.cpu + o.cpu).min(cap);
        acc.rss = acc.rss.saturating_add(o.rss);
        acc.count += 1;
        let leads = match &acc.top {
            None => true,
            Some((c, r, _)) => o.cpu > *c || (o.cpu == *c && o.rss > *r),
        };
        if leads {
            acc.top = Some((o.cpu, o.rss, o.proc.comm.clone()));
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
            top_process: a.top.map(|(_, _, comm)| comm).unwrap_or_default(),
            disk_bytes: None,
        })
        .collect();
    users.sort_by(|a, b| {
        b.cpu.total_cmp(&a.cpu).then(b.rss_bytes.cmp(&a.rss_bytes)).then_with(|| a.username.cmp(&b.username))
    });
    users
}

/// The top `n` processes by CPU over the interval (empty without a rate) and by resident memory.
fn top_processes(
    procs: &[Owned<'_>],
    have_rates: bool,
    mem_total: Option<u64>,
    fds: Option<&HashMap<u32, u64>>,
    n: usize,
) -> (Vec<ProcessInfo>, Vec<ProcessInfo>) {
    let info = |o: &Owned<'_>| ProcessInfo {
        pid: i64::from(o.proc.pid),
        user: o.user.clone(),
        command: o.proc.comm.clone(),
        cpu_percent: o.cpu,
        rss_bytes: to_i64(o.rss),
        mem_percent: mem_total.map_or(0.0, |t| percent(o.rss, t)),
        threads: to_i64(o.proc.threads),
        open_fds: fds.and_then(|f| f.get(&o.proc.pid)).map(|c| to_i64(*c)),
    };
    let mut order: Vec<&Owned<'_>> = procs.iter().collect();
    let by_cpu = if have_rates {
        order.sort_by(|a, b| b.cpu.total_cmp(&a.cpu).then(b.rss.cmp(&a.rss)).then(a.proc.pid.cmp(&b.proc.pid)));
        order.iter().take(n).map(|o| info(o)).collect()
    } else {
        Vec::new()
    };
    order.sort_by(|a, b| b.rss.cmp(&a.rss).then(b.cpu.total_cmp(&a.cpu)).then(a.proc.pid.cmp(&b.proc.pid)));
    let by_memory = order.iter().take(n).map(|o| info(o)).collect();
    (by_cpu, by_memory)
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
        ProcStat {
            pid,
            comm: comm.into(),
            state: 'S',
            ppid: 1,
            utime: ticks,
            stime: 0,
            starttime: start,
            rss_pages,
            threads: 1,
        }
    }

    fn snapshot(stat_total: u64, procs: Vec<ProcStat>, owners: &[(u32, u32)]) -> Snapshot {
        Snapshot {
            stat: Some(CpuStat {
                all: times(stat_total / 2, stat_total - stat_total / 2, 0),
                cores: 2,
                per_cpu: vec![
                    (0, times(stat_total / 4, stat_total / 4, 0)),
                    (1, times(stat_total / 4, stat_total / 4, 0)),
                ],
                boot_time: Some(1_700_000_000),
            }),
            procs: Some(procs),
            owners: Some(crate::parse::OwnerAnswers { uids: owners.iter().copied().collect(), self_pid: None }),
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
                    inodes: None,
                },
                Mount {
                    device: "/dev/b".into(),
                    mount_point: "/data".into(),
                    fstype: Some("xfs".into()),
                    total_bytes: 1000,
                    used_bytes: 900,
                    available_bytes: 100,
                    inodes: Some(crate::parse::Inodes { total: 100, used: 25, free: 75 }),
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
    fn cycles_without_the_container_list_keep_the_last_one() {
        use crate::parse::Uptime;
        let id = "ab".repeat(32);
        let running = |cpu_usec: u64| Container {
            id: id.clone(),
            state: "running".into(),
            usage: CgroupUsage { cpu_usec: Some(cpu_usec), ..CgroupUsage::default() },
            ..Container::default()
        };
        let with = |uptime: f64, containers: Vec<Container>, listed: bool| Snapshot {
            uptime: Some(Uptime { seconds: uptime, idle_seconds: None }),
            containers: Some(ContainerSection::Present {
                tool: "docker".into(),
                containers,
                listed,
                running: vec![id.clone()],
                asked: None,
            }),
            ..snapshot(1000, vec![], &[])
        };
        let web = Container { name: "web".into(), image: "nginx".into(), ..running(1_000_000) };
        let job = Container {
            id: "cd".repeat(32),
            name: "job".into(),
            state: "exited".into(),
            exit_code: Some(3),
            ..Container::default()
        };
        let first = build("s", at(), &with(100.7, vec![web, job], true), None).unwrap_or_else(|e| panic!("{e}"));
        let seen = first.counters.containers_seen.clone();
        assert_eq!(seen, Some(ContainersSeen { running: vec![id.clone()], listed_at: 100, health_checks: false }));
        // Ten seconds later, half a core, and the daemon not asked: names and states come from
        // the first list, the usage from this cycle.
        let second = build("s", at(), &with(110.7, vec![running(6_000_000)], false), Some(&first.counters))
            .unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<_> = second
            .details
            .containers
            .iter()
            .flatten()
            .map(|c| (c.name.as_str(), c.state.as_str(), c.exit_code, c.cpu_percent.map(|p| p.round())))
            .collect();
        assert_eq!(got, [("web", "running", None, Some(50.0)), ("job", "exited", Some(3), None)]);
        assert_eq!(
            second.counters.containers_seen.as_ref().map(|s| s.listed_at),
            Some(100),
            "still the first list's time"
        );
        // Without any list to keep, the next program must ask the daemon.
        let orphan =
            build("s", at(), &with(120.0, vec![running(7_000_000)], false), None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(orphan.counters.containers_seen, None);
        assert_eq!(orphan.details.containers.unwrap_or_default()[0].name, id[..12], "shown by its short id");
        // A socket client that gave no list is not tried again; the CLI always is.
        let failed = |asked: &str| {
            let mut snap = with(130.0, vec![running(8_000_000)], false);
            if let Some(ContainerSection::Present { asked: a, .. }) = snap.containers.as_mut() {
                *a = Some(asked.to_owned());
            }
            build("s", at(), &snap, Some(&second.counters)).unwrap_or_else(|e| panic!("{e}")).counters
        };
        assert_eq!(failed("nc").container_clients_failed, ["nc"]);
        assert!(failed("cli").container_clients_failed.is_empty());
    }

    #[test]
    fn owners_are_kept_by_pid_and_start_time_and_asked_for_new_processes_only() {
        use crate::parse::{LoadAvg, OwnerAnswers, Uptime};
        let at_uptime = |mut snap: Snapshot, seconds: f64, answers: &[(u32, u32)], self_pid: u32| {
            snap.uptime = Some(Uptime { seconds, idle_seconds: None });
            // The shell is the last process started when the files were read.
            snap.loadavg = Some(LoadAvg { last_pid: Some(self_pid), ..LoadAvg::default() });
            snap.owners = Some(OwnerAnswers { uids: answers.iter().copied().collect(), self_pid: Some(self_pid) });
            snap
        };
        // First cycle: all asked (the shell, 900, among them).
        let procs1 = vec![proc(1, "init", 0, 1, 1), proc(500, "web", 0, 50, 1), proc(900, "sh", 0, 90, 1)];
        let snap1 = at_uptime(snapshot(1000, procs1, &[]), 100.0, &[(1, 0), (500, 1000), (900, 1000)], 900);
        let first = build("s", at(), &snap1, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.counters.self_uid, Some(1000));
        assert_eq!(first.counters.owners_since(), Some(900));
        // Second: only 950 was new; 1 and 500 come from the kept owners, 960 is the new shell.
        let procs2 = vec![
            proc(1, "init", 0, 1, 1),
            proc(500, "web", 0, 50, 1),
            proc(950, "cron", 0, 95, 1),
            proc(960, "sh", 0, 96, 1),
        ];
        let snap2 = at_uptime(snapshot(2000, procs2, &[]), 130.0, &[(950, 0)], 960);
        let second = build("s", at(), &snap2, Some(&first.counters)).unwrap_or_else(|e| panic!("{e}"));
        let users: Vec<(&str, i64)> = second.users.iter().map(|u| (u.username.as_str(), u.process_count)).collect();
        assert_eq!(users.iter().find(|u| u.0 == "a.b1"), Some(&("a.b1", 2)), "{users:?}");
        assert_eq!(users.iter().find(|u| u.0 == "root"), Some(&("root", 2)), "{users:?}");
        assert_eq!(second.counters.owners_since(), Some(960));
        // Third: pid 500 is another process now (another start time) and nobody said whose:
        // it is not counted, and the next program asks about all.
        let procs3 = vec![proc(1, "init", 0, 1, 1), proc(500, "job", 0, 120, 1), proc(970, "sh", 0, 97, 1)];
        let snap3 = at_uptime(snapshot(3000, procs3, &[]), 160.0, &[], 970);
        let third = build("s", at(), &snap3, Some(&second.counters)).unwrap_or_else(|e| panic!("{e}"));
        assert!(!third.counters.owners_complete);
        assert_eq!(third.counters.owners_since(), None);
        // Pids that wrapped: new ones lie above the old last pid or up to the new one.
        assert!(started_after(20, 32000, Some(50)) && started_after(32100, 32000, Some(50)));
        assert!(!started_after(31000, 32000, Some(50)) && !started_after(60, 32000, Some(50)));
        assert!(started_after(960, 900, Some(970)) && !started_after(32542, 900, Some(970)), "an old high pid");
        assert!(!third.users.iter().any(|u| u.top_process == "job"), "{:?}", third.users);
        // And all are asked about again ten minutes after the last time anyway.
        let late = Counters { uptime_seconds: Some(100.0 + OWNERS_ALL_EVERY_SECS), ..second.counters.clone() };
        assert_eq!(late.owners_since(), None);
    }

    #[test]
    fn nothing_parsed_is_an_error() {
        let snap = Snapshot { errors: vec![SectionError::new("stat", "section missing")], ..Snapshot::default() };
        let err = build("s", at(), &snap, None).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("no usable section in the output (stat: section missing)"));
    }
}
