//! From snapshots to figures: percentages, rates, per-user usage and the [`Details`] of a cycle.
//!
//! Rates need two readings of the counters: the previous cycle's ([`CarriedState`], kept in
//! memory by the collector) or, on the first cycle of a connection, the baseline the program
//! read one second earlier (`files0`). CPU figures are ratios of `/proc/stat` ticks; per-second
//! rates (disks, network, containers) divide by the `/proc/uptime` difference of the two
//! readings, the server's own clock. Counters that go backwards (a reboot, a counter reset, a
//! 32-bit wrap) give no rate, never a negative or absurd one.
//!
//! One file per concern: `cpu`, `memory`, `disks` (mounts and I/O), `network` (interfaces,
//! TCP, listeners), `processes` and their `owners` (per-user usage, top lists), `containers`,
//! `system` (facts and sessions), the `headline` sample, and `carried`, the state handed from
//! one cycle to the next (`next_program` turns it into the next program's options). Depends on
//! `parse` and `protocol`; neither depends on it.

mod carried;
mod containers;
mod cpu;
mod disks;
#[cfg(test)]
mod fixtures;
mod headline;
mod memory;
mod network;
mod next_program;
mod owners;
mod processes;
mod system;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use fleetwatch_common::{Details, Sample};
use fleetwatch_store::UserUsage;

pub use carried::{CarriedState, OWNERS_ALL_EVERY_SECS, ProcCounter, ProcCounters, Timed};
pub use cpu::{cpu_breakdown, cpu_percent};
pub use memory::swap_percent;

use crate::parse::{SectionError, Snapshot};

/// Processes in each top list unless told otherwise.
pub const DEFAULT_TOP_N: usize = 10;

/// Page size assumed when the `pagesize` section failed.
const DEFAULT_PAGE_SIZE: u64 = 4096;

/// The figures of one cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    pub sample: Sample,
    /// Every user with a process, highest CPU first.
    pub users: Vec<UserUsage>,
    /// Everything else the cycle collected, section by section.
    pub details: Details,
    /// To pass as `prev` next cycle.
    pub carried: CarriedState,
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
/// `prev` is the previous cycle's [`Built::carried`]; a baseline in `snap` takes its place
/// for the rates.
pub fn build(
    server_name: &str,
    now: DateTime<Utc>,
    snap: &Snapshot,
    prev: Option<&CarriedState>,
) -> Result<Built, BuildError> {
    build_with(server_name, now, snap, prev, &BuildOptions::default())
}

/// [`build`] with explicit options.
pub fn build_with(
    server_name: &str,
    now: DateTime<Utc>,
    snap: &Snapshot,
    prev: Option<&CarriedState>,
    opts: &BuildOptions,
) -> Result<Built, BuildError> {
    build_owned(server_name, now, snap.clone(), prev, opts)
}

/// [`build_with`] of a snapshot it may take apart, as a cycle's is: the process table merged
/// with the changes goes to the carried state without a copy of it or of the snapshot.
pub fn build_owned(
    server_name: &str,
    now: DateTime<Utc>,
    mut taken: Snapshot,
    prev: Option<&CarriedState>,
    opts: &BuildOptions,
) -> Result<Built, BuildError> {
    if !taken.has_metrics() {
        return Err(BuildError::NothingUsable(taken.errors));
    }
    let mut warnings: Vec<String> = taken.errors.iter().chain(&taken.warnings).map(ToString::to_string).collect();
    // A program given the last table printed only the processes that changed: the whole table
    // is that one with the changes applied.
    if taken.procs.is_none()
        && let Some(changes) = taken.proc_changes.take()
    {
        taken.procs = prev.and_then(|p| p.merge_changes(&changes));
        if taken.procs.is_none() {
            warnings.push("changed processes without the table they change: no process figures".to_owned());
        }
    }
    let snap = &taken;

    let current = CarriedState::from_snapshot(snap);
    let baseline = CarriedState::baseline(snap);
    let mut earlier = baseline.as_ref().or(prev);
    if let Some(e) = earlier
        && !e.same_boot_as(&current)
    {
        warnings.push("counters went backwards (reboot?): rates start again next cycle".to_owned());
        earlier = None;
    }
    // Facts kept across cycles, unless the server rebooted since (a new kernel, perhaps).
    let kept = prev.filter(|p| p.same_boot_as(&current));

    let cpu_percent = match (earlier.and_then(|e| e.cpu), current.cpu) {
        (Some(a), Some(b)) => cpu_percent(&a, &b),
        _ => None,
    };
    let cores = snap.stat.as_ref().map(|s| s.cores).filter(|&c| c > 0);
    let proc_rates = earlier.and_then(|e| processes::ProcRates::between(e, &current, cores));
    if proc_rates.is_none() && snap.procs.is_some() {
        warnings.push("per-user CPU needs two readings: reported as 0 this cycle".to_owned());
    }
    let sample = headline::headline(server_name, now, snap, cpu_percent);

    let mem_total = memory::mem_total(snap);
    let inventory = snap.inventory.clone().or_else(|| kept.and_then(|k| k.inventory.clone()));
    let page_size = snap.pagesize.or_else(|| kept.and_then(|k| k.page_size));
    let owners = owners::merge_owners(snap, kept);
    let owned = processes::owned_processes(
        snap,
        owners.uids.as_ref(),
        page_size.unwrap_or(DEFAULT_PAGE_SIZE),
        proc_rates.as_ref(),
        &mut warnings,
    );
    let users = match &owned {
        Some(procs) => processes::per_user(procs, proc_rates.as_ref(), mem_total),
        None => Vec::new(),
    };
    let (processes_by_cpu, processes_by_memory) = match &owned {
        Some(procs) => processes::top_processes(procs, proc_rates.is_some(), mem_total, snap.fds.as_ref(), opts.top_n),
        None => (Vec::new(), Vec::new()),
    };

    let details = Details {
        server_name: server_name.to_owned(),
        timestamp: now,
        cpu: cpu::cpu_stats(snap, earlier, &current, inventory.as_ref()),
        memory: snap.meminfo.as_ref().and_then(memory::memory_stats),
        disks: snap.mounts.iter().flatten().map(disks::disk_usage).collect(),
        disk_io: disks::disk_io(earlier, &current, &mut warnings),
        network: network::network(earlier, &current, &mut warnings),
        tcp: snap.sockets.as_ref().map(network::tcp_stats),
        sessions: system::sessions(snap, now),
        system: system::system_info(snap, inventory.as_ref()),
        processes_by_cpu,
        processes_by_memory,
        containers: containers::containers(snap, earlier, &current),
        section_errors: snap.errors.iter().map(ToString::to_string).collect(),
    };

    let (containers_seen, container_list) = containers::remember_containers(snap, earlier);
    // Next cycle compares with this reading; where a part of it failed, with the older one.
    let mut carried = CarriedState {
        inventory,
        page_size,
        top_pids: processes::top_pids(&details),
        df: snap.df.or_else(|| earlier.and_then(|e| e.df)),
        mounts_may_hang: snap.mounts_may_hang,
        containers_seen,
        container_list,
        container_clients_failed: containers::clients_failed(snap, earlier),
        no_containers_at: containers::no_containers_at(snap, kept),
        owners: owners.cache,
        self_uid: owners.self_uid,
        owners_complete: owners.complete,
        owners_all_at: owners.all_at,
        last_pid: snap.loadavg.and_then(|l| l.last_pid),
        ..current.or_earlier(earlier)
    };
    carried.proc_table = taken.procs;

    Ok(Built { sample, users, details, carried, warnings })
}

/// `part` of `whole` in percent, within 0–100; 0 when `whole` is 0.
fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 / whole as f64 * 100.0).clamp(0.0, 100.0)
}

/// A count for the wire (`i64`), saturating.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// `later − earlier` of every counter, or `None` if any went backwards.
fn deltas<const N: usize>(earlier: [u64; N], later: [u64; N]) -> Option<[u64; N]> {
    let mut out = [0u64; N];
    for (o, (a, b)) in out.iter_mut().zip(earlier.into_iter().zip(later)) {
        *o = b.checked_sub(a)?;
    }
    Some(out)
}
