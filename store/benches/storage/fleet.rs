//! A generator of realistic cycles for the storage benchmark and the store's tests: seeded, so a
//! run is repeatable. Each simulated host has its own cores, mounts, block devices, interfaces,
//! TCP states, ~300 processes (of which the collector keeps its top lists), users, sessions and
//! containers. Figures are made the way the collector makes them: CPU shares are ratios of
//! integer ticks, rates are byte deltas over the server's own clock, so floats carry full
//! mantissas; some figures drift, some spike, many stay constant, as real ones do.

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use fleetwatch_common::{
    ContainerInfo, CpuBreakdown, CpuStats, Details, DiskIo, DiskUsage, ListeningPort, MemoryStats, NetInterface,
    ProcessInfo, Sample, Session, SystemInfo, TcpStats,
};
use fleetwatch_store::UserUsage;

/// A small, seeded PRNG (splitmix64): no dependency, the same sequence everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

const USERS: [&str; 16] = [
    "root",
    "www-data",
    "postgres",
    "redis",
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "nobody",
    "systemd-resolve",
    "messagebus",
    "backup",
    "deploy",
];

const COMMANDS: [&str; 24] = [
    "systemd",
    "sshd",
    "nginx",
    "postgres",
    "redis-server",
    "python3",
    "node",
    "java",
    "bash",
    "cron",
    "rsyslogd",
    "dockerd",
    "containerd",
    "containerd-shim",
    "gunicorn",
    "celery",
    "prometheus-node",
    "vim",
    "tmux",
    "rsync",
    "kworker/0:1",
    "journald",
    "dbus-daemon",
    "chronyd",
];

const TCP_STATES: [&str; 6] = ["ESTABLISHED", "TIME_WAIT", "LISTEN", "CLOSE_WAIT", "SYN_RECV", "FIN_WAIT2"];

#[derive(Debug, Clone)]
struct Proc {
    pid: i64,
    user: usize,
    command: usize,
    /// Typical share of one core, in ticks per second (of 100).
    load: f64,
    spiky: bool,
    rss: i64,
    threads: i64,
    fds: Option<i64>,
    ticks: u64,
}

#[derive(Debug, Clone)]
struct Mount {
    mount: String,
    device: String,
    fstype: String,
    size: i64,
    used: i64,
    inodes: Option<(i64, i64)>,
    growth: i64,
}

#[derive(Debug, Clone)]
struct Container {
    name: String,
    image: String,
    state: String,
    load: f64,
    mem: i64,
    counters: [i64; 4],
}

/// One simulated server, advanced one cycle at a time.
#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    rng: Rng,
    cores: usize,
    core_busy: Vec<f64>,
    mem_total: i64,
    mem_used: i64,
    cached: i64,
    buffers: i64,
    swap_total: i64,
    swap_used: i64,
    mounts: Vec<Mount>,
    devices: Vec<(String, f64)>,
    interfaces: Vec<(String, f64)>,
    listening: Vec<ListeningPort>,
    procs: Vec<Proc>,
    next_pid: i64,
    sessions: Vec<Session>,
    containers: Vec<Container>,
    boot: DateTime<Utc>,
    established: i64,
    time_wait: i64,
    open_files: i64,
    mhz: f64,
    loads: [f64; 3],
    cycle: u64,
}

/// What one collection of one host stores: `record_success`'s arguments.
#[derive(Debug, Clone)]
pub struct Cycle {
    pub sample: Sample,
    pub users: Vec<UserUsage>,
    pub details: Details,
}

impl Host {
    /// Host number `index` of a fleet, seeded by `seed`.
    pub fn new(seed: u64, index: usize) -> Self {
        let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(index as u64));
        let cores = [2, 4, 8, 8, 16][index % 5];
        let gib = 1i64 << 30;
        let mem_total = [4, 8, 16, 32, 64][index % 5] * gib;
        let mut mounts = vec![
            mount("/", "/dev/sda1", "ext4", 80 * gib, &mut rng),
            mount("/boot", "/dev/sda2", "ext4", gib / 2, &mut rng),
            mount("/home", "/dev/sdb1", "xfs", 500 * gib, &mut rng),
            mount("/var/lib/docker", "/dev/sdc1", "ext4", 200 * gib, &mut rng),
            mount("/run", "tmpfs", "tmpfs", mem_total / 10, &mut rng),
            mount("/dev/shm", "tmpfs", "tmpfs", mem_total / 2, &mut rng),
        ];
        if index.is_multiple_of(3) {
            mounts.push(mount("/srv/data", "/dev/nvme0n1p1", "ext4", 2000 * gib, &mut rng));
        }
        let devices = vec![("sda".to_string(), 2e5), ("sdb".to_string(), 5e4), ("sdc".to_string(), 1e6)];
        let interfaces = vec![("lo".to_string(), 2e4), ("eth0".to_string(), 3e5), ("docker0".to_string(), 5e4)];
        let listening = [22u16, 80, 443, 5432, 6379, 9100, 8080, 25, 53, 111]
            .iter()
            .map(|&port| ListeningPort { protocol: "tcp".into(), address: "0.0.0.0".into(), port })
            .chain([22u16, 80, 443].iter().map(|&port| ListeningPort {
                protocol: "tcp6".into(),
                address: "::".into(),
                port,
            }))
            .collect();
        let mut host = Self {
            name: format!("srv-{index:04}"),
            cores,
            core_busy: (0..cores).map(|_| rng.unit() * 30.0).collect(),
            mem_total,
            mem_used: mem_total / 3,
            cached: mem_total / 4,
            buffers: mem_total / 50,
            swap_total: 2 * gib,
            swap_used: (rng.range(0, 200) as i64) << 20,
            mounts,
            devices,
            interfaces,
            listening,
            procs: Vec::new(),
            next_pid: 300,
            sessions: Vec::new(),
            containers: Vec::new(),
            boot: DateTime::from_timestamp(1_760_000_000 - rng.range(0, 10_000_000) as i64, 0).unwrap_or_default(),
            established: 40 + rng.range(0, 100) as i64,
            time_wait: 10,
            open_files: 3000,
            mhz: 2400.0,
            loads: [0.5, 0.6, 0.7],
            cycle: 0,
            rng,
        };
        for _ in 0..300 {
            let p = host.new_proc();
            host.procs.push(p);
        }
        host.sessions = vec![
            Session {
                user: "alice".into(),
                tty: "pts/0".into(),
                from: Some("192.0.2.10".into()),
                login_time: Some(host.boot + Duration::hours(3)),
            },
            Session { user: "root".into(), tty: "tty1".into(), from: None, login_time: Some(host.boot) },
        ];
        host.containers = ["web", "api", "worker", "redis", "db"]
            .iter()
            .enumerate()
            .map(|(i, n)| Container {
                name: (*n).into(),
                image: format!("registry.example.org/{n}:1.{i}"),
                state: "running".into(),
                load: [5.0, 20.0, 60.0, 2.0, 15.0][i],
                mem: (64 + 100 * i as i64) << 20,
                counters: [0; 4],
            })
            .collect();
        host
    }

    fn new_proc(&mut self) -> Proc {
        let r = &mut self.rng;
        let busy = r.chance(0.08);
        self.next_pid += r.range(1, 40) as i64;
        Proc {
            pid: self.next_pid,
            user: r.range(0, USERS.len() as u64) as usize,
            command: r.range(0, COMMANDS.len() as u64) as usize,
            load: if busy {
                r.unit() * 60.0
            } else if r.chance(0.3) {
                r.unit() * 0.5
            } else {
                0.0
            },
            spiky: r.chance(0.05),
            rss: (r.range(1, 2000) as i64 * r.range(1, 64) as i64) << 12,
            threads: if r.chance(0.2) { r.range(2, 64) as i64 } else { 1 },
            fds: if r.chance(0.7) { Some(r.range(3, 300) as i64) } else { None },
            ticks: 0,
        }
    }

    /// The next collection, `interval` after the previous one, taken at `now`.
    pub fn cycle(&mut self, now: DateTime<Utc>, interval_secs: f64) -> Cycle {
        self.cycle += 1;
        // The server's own clock between two readings: /proc/uptime has two decimals.
        let dt = ((interval_secs + (self.rng.unit() - 0.5) * 0.04) * 100.0).round() / 100.0;
        self.churn();
        let (cpu, cpu_busy) = self.cpu(dt);
        let memory = self.memory();
        let disks = self.disks();
        let disk_io = self.disk_io(dt);
        let network = self.network(dt);
        let tcp = self.tcp();
        let (by_cpu, by_memory, users) = self.processes(dt);
        let containers = self.containers(dt);
        let uptime = (now - self.boot).num_seconds();
        let system = SystemInfo {
            hostname: Some(format!("{}.example.org", self.name)),
            os: Some("Debian GNU/Linux 12 (bookworm)".into()),
            os_id: Some("debian".into()),
            os_version: Some("12".into()),
            kernel: Some("6.1.0-28-amd64".into()),
            architecture: Some("x86_64".into()),
            uptime_seconds: Some(uptime),
            boot_time: Some(self.boot),
            processes: Some(self.procs.len() as i64),
            threads: Some(self.procs.iter().map(|p| p.threads).sum()),
            open_files: Some(self.open_files),
            max_files: Some(9_223_372_036_854_775_807),
        };
        let fullest = disks
            .iter()
            .filter(|d| d.fstype != "tmpfs")
            .max_by(|a, b| a.used_percent.total_cmp(&b.used_percent))
            .cloned()
            .unwrap_or_default();
        let sample = Sample {
            server_name: self.name.clone(),
            cpu_percent: Some(cpu_busy),
            cpu_load_1min: Some(self.loads[0]),
            cpu_load_5min: Some(self.loads[1]),
            cpu_load_15min: Some(self.loads[2]),
            ram_percentage: Some(memory.used_percent),
            swap_percentage: Some(memory.swap_percent),
            disk_percentage: Some(fullest.used_percent),
            logged_users: Some(self.sessions.len() as i64),
            tcp_connections: tcp.states.get("ESTABLISHED").copied(),
            uptime_seconds: Some(uptime),
            timestamp: now,
            cpu_cores: Some(self.cores as i64),
            ram_total_bytes: Some(memory.total),
            ram_used_bytes: Some(memory.used),
            disk_total_bytes: Some(fullest.size_bytes),
            disk_used_bytes: Some(fullest.used_bytes),
            disk_mount: Some(fullest.mount.clone()),
            hostname: system.hostname.clone(),
        };
        let details = Details {
            server_name: self.name.clone(),
            timestamp: now,
            cpu: Some(cpu),
            memory: Some(memory),
            disks,
            disk_io,
            network,
            tcp: Some(tcp),
            sessions: self.sessions.clone(),
            system: Some(system),
            processes_by_cpu: by_cpu,
            processes_by_memory: by_memory,
            containers: Some(containers),
            section_errors: Vec::new(),
        };
        Cycle { sample, users, details }
    }

    /// Short-lived processes come and go; a login now and then.
    fn churn(&mut self) {
        let n = self.rng.range(0, 4) as usize;
        for _ in 0..n {
            let i = self.rng.range(0, self.procs.len() as u64) as usize;
            if self.procs[i].load < 1.0 {
                let p = self.new_proc();
                self.procs[i] = p;
            }
        }
        if self.rng.chance(0.01) {
            if self.sessions.len() > 1 && self.rng.chance(0.5) {
                self.sessions.pop();
            } else {
                let user = USERS[self.rng.range(4, 11) as usize];
                self.sessions.push(Session {
                    user: user.into(),
                    tty: format!("pts/{}", self.sessions.len()),
                    from: Some(format!("198.51.100.{}", self.rng.range(1, 250))),
                    login_time: Some(self.boot + Duration::seconds(self.rng.range(0, 1_000_000) as i64)),
                });
            }
        }
    }

    fn cpu(&mut self, dt: f64) -> (CpuStats, f64) {
        let ticks = (dt * 100.0).round() as u64;
        let mut total = [0u64; 8];
        let mut cores = Vec::with_capacity(self.cores);
        for c in 0..self.cores {
            let drift = (self.rng.unit() - 0.5) * 6.0;
            self.core_busy[c] = (self.core_busy[c] + drift).clamp(0.5, 95.0);
            let spike = if self.rng.chance(0.02) { 40.0 } else { 0.0 };
            let busy = ((self.core_busy[c] + spike).min(100.0) / 100.0 * ticks as f64) as u64;
            let user = busy * 7 / 10;
            let system = busy - user - busy / 20;
            let softirq = busy / 20;
            let iowait = if self.rng.chance(0.3) { self.rng.range(0, 3) } else { 0 };
            let idle = ticks.saturating_sub(busy + iowait);
            let d = [user, 0, system, idle, iowait, 0, softirq, 0];
            for (t, v) in total.iter_mut().zip(d) {
                *t += v;
            }
            cores.push(breakdown(&format!("cpu{c}"), d));
        }
        let total = breakdown("cpu", total);
        let busy = total.busy;
        for (i, l) in self.loads.iter_mut().enumerate() {
            let target = busy / 100.0 * self.cores as f64;
            let w = [0.3, 0.1, 0.03][i];
            *l = ((*l * (1.0 - w) + target * w) * 100.0).round() / 100.0;
        }
        if self.rng.chance(0.2) {
            self.mhz = 2400.0 + (self.rng.range(0, 1200) as f64) + self.rng.range(0, 1000) as f64 / 1000.0;
        }
        let stats = CpuStats {
            total: Some(total),
            cores,
            core_count: self.cores as i64,
            load_1: Some(self.loads[0]),
            load_5: Some(self.loads[1]),
            load_15: Some(self.loads[2]),
            model: Some("Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz".into()),
            mhz: Some(self.mhz),
        };
        (stats, busy)
    }

    fn memory(&mut self) -> MemoryStats {
        let step = (self.rng.range(0, 2048) as i64 - 1000) << 12;
        self.mem_used = (self.mem_used + step).clamp(self.mem_total / 10, self.mem_total * 9 / 10);
        self.cached = (self.cached + ((self.rng.range(0, 512) as i64 - 250) << 12)).max(0);
        if self.rng.chance(0.1) {
            self.buffers += (self.rng.range(0, 64) as i64 - 32) << 12;
        }
        if self.rng.chance(0.02) {
            self.swap_used += 1 << 20;
        }
        let available = self.mem_total - self.mem_used;
        MemoryStats {
            total: self.mem_total,
            used: self.mem_used,
            available,
            free: (available - self.cached - self.buffers).max(0),
            buffers: self.buffers,
            cached: self.cached,
            swap_total: self.swap_total,
            swap_used: self.swap_used,
            used_percent: self.mem_used as f64 / self.mem_total as f64 * 100.0,
            swap_percent: self.swap_used as f64 / self.swap_total as f64 * 100.0,
            available_estimated: false,
        }
    }

    fn disks(&mut self) -> Vec<DiskUsage> {
        self.mounts
            .iter_mut()
            .map(|m| {
                if m.growth > 0 && self.rng.chance(0.5) {
                    m.used = (m.used + m.growth * self.rng.range(0, 8) as i64).min(m.size);
                }
                if self.rng.chance(0.002) {
                    m.used = m.used * 9 / 10; // a cleanup
                }
                let avail = m.size - m.used;
                let (inodes_total, inodes_used, inodes_percent) = match &mut m.inodes {
                    Some((total, used)) => {
                        if self.rng.chance(0.3) {
                            *used += self.rng.range(0, 20) as i64;
                        }
                        (Some(*total), Some(*used), Some(*used as f64 / *total as f64 * 100.0))
                    }
                    None => (None, None, None),
                };
                DiskUsage {
                    mount: m.mount.clone(),
                    device: m.device.clone(),
                    fstype: m.fstype.clone(),
                    size_bytes: m.size,
                    used_bytes: m.used,
                    available_bytes: avail,
                    used_percent: m.used as f64 / m.size as f64 * 100.0,
                    inodes_total,
                    inodes_used,
                    inodes_percent,
                }
            })
            .collect()
    }

    fn disk_io(&mut self, dt: f64) -> Vec<DiskIo> {
        let mut out = Vec::new();
        for (name, base) in &self.devices {
            let r = &mut self.rng;
            let burst = if r.chance(0.05) { 50.0 } else { 1.0 };
            let idle = r.chance(0.3);
            let read_bytes = if idle { 0 } else { ((base * r.unit() * burst * dt) as u64) & !511 };
            let write_bytes = ((base * r.unit() * dt) as u64) & !511;
            let reads = read_bytes / 4096 + u64::from(read_bytes > 0);
            let writes = write_bytes / 8192 + u64::from(write_bytes > 0);
            let busy_ms = (reads + writes) * r.range(1, 4);
            out.push(DiskIo {
                device: name.clone(),
                read_bytes_per_sec: read_bytes as f64 / dt,
                write_bytes_per_sec: write_bytes as f64 / dt,
                reads_per_sec: reads as f64 / dt,
                writes_per_sec: writes as f64 / dt,
                busy_percent: (busy_ms as f64 / (dt * 1000.0) * 100.0).min(100.0),
            });
        }
        out
    }

    fn network(&mut self, dt: f64) -> Vec<NetInterface> {
        let mut out = Vec::new();
        for (name, base) in &self.interfaces {
            let r = &mut self.rng;
            let burst = if r.chance(0.03) { 30.0 } else { 1.0 };
            let rx = (base * (0.5 + r.unit()) * burst * dt) as u64;
            let tx = (base * (0.3 + r.unit()) * dt) as u64;
            let rx_packets = rx / 800 + 1;
            let tx_packets = tx / 600 + 1;
            out.push(NetInterface {
                name: name.clone(),
                rx_bytes_per_sec: rx as f64 / dt,
                tx_bytes_per_sec: tx as f64 / dt,
                rx_packets_per_sec: rx_packets as f64 / dt,
                tx_packets_per_sec: tx_packets as f64 / dt,
                rx_errors: 0,
                tx_errors: 0,
                rx_drops: i64::from(r.chance(0.01)),
                tx_drops: 0,
            });
        }
        out
    }

    fn tcp(&mut self) -> TcpStats {
        self.established = (self.established + self.rng.range(0, 11) as i64 - 5).clamp(5, 2000);
        self.time_wait = (self.time_wait + self.rng.range(0, 9) as i64 - 4).clamp(0, 500);
        let mut states = BTreeMap::new();
        states.insert(TCP_STATES[0].to_string(), self.established);
        states.insert(TCP_STATES[1].to_string(), self.time_wait);
        states.insert(TCP_STATES[2].to_string(), self.listening.len() as i64);
        if self.rng.chance(0.2) {
            states.insert(TCP_STATES[3].to_string(), self.rng.range(1, 4) as i64);
        }
        if self.rng.chance(0.05) {
            states.insert(TCP_STATES[4].to_string(), 1);
        }
        TcpStats { states, listening: self.listening.clone() }
    }

    fn processes(&mut self, dt: f64) -> (Vec<ProcessInfo>, Vec<ProcessInfo>, Vec<UserUsage>) {
        let ticks_per_core = dt * 100.0;
        let mut infos = Vec::with_capacity(self.procs.len());
        for p in &mut self.procs {
            let r = &mut self.rng;
            let mut load = p.load * (0.6 + 0.8 * r.unit());
            if p.spiky && r.chance(0.1) {
                load = 90.0;
            }
            let ticks = (load / 100.0 * ticks_per_core) as u64;
            p.ticks += ticks;
            if r.chance(0.05) {
                p.rss = (p.rss + ((r.range(0, 64) as i64 - 28) << 12)).max(4096);
            }
            if r.chance(0.02) {
                p.fds = p.fds.map(|f| (f + r.range(0, 5) as i64 - 2).max(3));
            }
            infos.push(ProcessInfo {
                pid: p.pid,
                user: USERS[p.user].into(),
                command: COMMANDS[p.command].into(),
                cpu_percent: ticks as f64 / ticks_per_core * 100.0,
                rss_bytes: p.rss,
                mem_percent: p.rss as f64 / self.mem_total as f64 * 100.0,
                threads: p.threads,
                open_fds: p.fds,
            });
        }
        let mut users: BTreeMap<&str, UserUsage> = BTreeMap::new();
        let mut top_cpu: BTreeMap<&str, f64> = BTreeMap::new();
        for p in &infos {
            let u = users.entry(p.user.as_str()).or_insert_with(|| UserUsage {
                username: p.user.clone(),
                top_process: p.command.clone(),
                ..UserUsage::default()
            });
            u.cpu += p.cpu_percent;
            u.mem += p.mem_percent;
            u.rss_bytes += p.rss_bytes;
            u.process_count += 1;
            let best = top_cpu.entry(p.user.as_str()).or_insert(-1.0);
            if p.cpu_percent > *best {
                *best = p.cpu_percent;
                u.top_process = p.command.clone();
            }
        }
        let mut users: Vec<UserUsage> = users.into_values().collect();
        users.sort_by(|a, b| b.cpu.total_cmp(&a.cpu).then_with(|| a.username.cmp(&b.username)));
        let mut by_cpu = infos.clone();
        by_cpu.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent).then(a.pid.cmp(&b.pid)));
        by_cpu.truncate(10);
        let mut by_mem = infos;
        by_mem.sort_by(|a, b| b.rss_bytes.cmp(&a.rss_bytes).then(a.pid.cmp(&b.pid)));
        by_mem.truncate(10);
        (by_cpu, by_mem, users)
    }

    fn containers(&mut self, dt: f64) -> Vec<ContainerInfo> {
        let r = &mut self.rng;
        self.containers
            .iter_mut()
            .map(|c| {
                let cpu = (c.load * (0.5 + r.unit()) * 100.0).round() / 100.0;
                c.mem = (c.mem + ((r.range(0, 32) as i64 - 15) << 12)).max(1 << 20);
                for (i, k) in c.counters.iter_mut().enumerate() {
                    *k += (r.unit() * [3e4, 2e4, 1e4, 5e4][i] * dt) as i64;
                }
                ContainerInfo {
                    name: c.name.clone(),
                    image: c.image.clone(),
                    state: c.state.clone(),
                    health: Some("healthy".into()),
                    exit_code: None,
                    cpu_percent: Some(cpu),
                    memory_bytes: Some(c.mem),
                    memory_limit_bytes: Some(2 << 30),
                    net_rx_bytes: Some(c.counters[0]),
                    net_tx_bytes: Some(c.counters[1]),
                    block_read_bytes: Some(c.counters[2]),
                    block_write_bytes: Some(c.counters[3]),
                }
            })
            .collect()
    }
}

fn mount(path: &str, device: &str, fstype: &str, size: i64, rng: &mut Rng) -> Mount {
    let used = (size as f64 * (0.1 + 0.7 * rng.unit())) as i64 & !4095;
    let real = fstype != "tmpfs";
    Mount {
        mount: path.into(),
        device: device.into(),
        fstype: fstype.into(),
        size,
        used,
        inodes: real.then_some((size / 16384, used / 65536)),
        growth: if real && rng.chance(0.5) { 4096 * rng.range(1, 64) as i64 } else { 0 },
    }
}

/// `/proc/stat` deltas (user, nice, system, idle, iowait, irq, softirq, steal) as the collector
/// turns them into shares.
fn breakdown(name: &str, d: [u64; 8]) -> CpuBreakdown {
    let total: u64 = d.iter().sum::<u64>().max(1);
    let share = |i: usize| d[i] as f64 / total as f64 * 100.0;
    let (idle, iowait) = (share(3), share(4));
    CpuBreakdown {
        name: name.into(),
        busy: (100.0 - idle - iowait).clamp(0.0, 100.0),
        user: share(0),
        nice: share(1),
        system: share(2),
        iowait,
        irq: share(5),
        softirq: share(6),
        steal: share(7),
        idle,
    }
}

/// A fleet of `servers` hosts.
pub fn fleet(seed: u64, servers: usize) -> Vec<Host> {
    (0..servers).map(|i| Host::new(seed, i)).collect()
}
