//! [`Snapshot`]: everything one run of the program told about a server, part by part.

use crate::fast_map::FastMap;

use super::{
    ContainerSection, CpuStat, DiskStat, FileNr, Inventory, LoadAvg, MemInfo, Mount, NetDev, OwnerAnswers, ProcChanges,
    ProcStat, SectionError, Session, SocketStates, TcpCounts, Uptime,
};
use crate::protocol::DfFlavour;

/// Everything one run of the program told about a server. Each part is `None` when it was
/// missing, failed or could not be parsed; `errors` says why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub uptime: Option<Uptime>,
    pub loadavg: Option<LoadAvg>,
    pub stat: Option<CpuStat>,
    pub meminfo: Option<MemInfo>,
    pub hostname: Option<String>,
    /// Real mounts only: pseudo file systems and bind mounts are already dropped.
    pub mounts: Option<Vec<Mount>>,
    /// Kernel TCP counters (`/proc/net/snmp`, `sockstat`).
    pub tcp: Option<TcpCounts>,
    /// TCP sockets per state and the listening ones (`ss` or `/proc/net/tcp`).
    pub sockets: Option<SocketStates>,
    pub users: Option<Vec<Session>>,
    pub procs: Option<Vec<ProcStat>>,
    /// Only the processes that changed since the table the program was given (every cycle of
    /// a connection after the first); `sample::build` merges them into that table.
    pub proc_changes: Option<ProcChanges>,
    /// pid → uid of the processes the program asked about, and its own shell's pid.
    pub owners: Option<OwnerAnswers>,
    /// uid → account name.
    pub passwd: Option<FastMap<u32, String>>,
    /// Bytes per page (first cycle of a connection only).
    pub pagesize: Option<u64>,
    pub file_nr: Option<FileNr>,
    /// Every device of `/proc/diskstats`; `Some(empty)` where the file does not exist.
    pub diskstats: Option<Vec<DiskStat>>,
    pub netdev: Option<Vec<NetDev>>,
    /// Current frequency of the first CPU, where cpufreq exists.
    pub cpu_mhz: Option<f64>,
    /// Facts read on the first cycle of a connection.
    pub inventory: Option<Inventory>,
    /// pid → open descriptors, for the processes the program was asked about.
    pub fds: Option<FastMap<u32, u64>>,
    pub containers: Option<ContainerSection>,
    /// Which `df` printed the mounts (when they were parsed).
    pub df: Option<DfFlavour>,
    /// Whether `/proc/mounts` lists a mount that can hang `df` (see [`super::mounts_may_hang`]).
    pub mounts_may_hang: Option<bool>,
    /// The baseline, read one second before the rest when the program was built with one.
    pub baseline: Option<Baseline>,
    /// Sections that could not be used.
    pub errors: Vec<SectionError>,
    /// Lines skipped in sections that were used anyway.
    pub warnings: Vec<SectionError>,
}

/// The counters read one second before the others on the first cycle of a connection
/// (`files0`), so rates exist at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline {
    pub stat: Option<CpuStat>,
    pub uptime: Option<Uptime>,
    pub diskstats: Option<Vec<DiskStat>>,
    pub netdev: Option<Vec<NetDev>>,
    pub procs: Option<Vec<ProcStat>>,
}

impl Snapshot {
    /// Whether any section that feeds a sample was parsed.
    pub fn has_metrics(&self) -> bool {
        self.uptime.is_some()
            || self.loadavg.is_some()
            || self.stat.is_some()
            || self.meminfo.is_some()
            || self.hostname.is_some()
            || self.mounts.is_some()
            || self.tcp.is_some()
            || self.sockets.is_some()
            || self.users.is_some()
            || self.procs.is_some()
            || self.proc_changes.is_some()
    }
}
