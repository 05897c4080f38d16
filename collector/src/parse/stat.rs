//! The CPU lines and `btime` of `/proc/stat`: see
//! [proc_stat(5)](https://man7.org/linux/man-pages/man5/proc_stat.5.html).
//!
//! Times are in USER_HZ ticks (1/100 s almost everywhere). Kernels before 2.6.33 print fewer
//! columns (no `guest_nice`, before 2.6.24 no `guest`, before 2.6.11 no `steal`): missing
//! columns count as 0.

use super::{Parsed, Problem, numbered_lines};

/// The time one CPU, or all of them, spent in each state since boot, in USER_HZ ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
    /// Already included in `user`.
    pub guest: u64,
    /// Already included in `nice`.
    pub guest_nice: u64,
}

impl CpuTimes {
    /// All ticks: `guest` and `guest_nice` are left out since `user` and `nice` include them.
    pub fn total(&self) -> u64 {
        [self.user, self.nice, self.system, self.idle, self.iowait, self.irq, self.softirq, self.steal]
            .into_iter()
            .fold(0u64, u64::saturating_add)
    }

    /// Ticks doing nothing: `idle` plus `iowait` (waiting for I/O is idle time for the CPU).
    pub fn idle_all(&self) -> u64 {
        self.idle.saturating_add(self.iowait)
    }
}

/// The CPU part of `/proc/stat`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CpuStat {
    /// The `cpu` line: all CPUs together.
    pub all: CpuTimes,
    /// Number of `cpuN` lines: the online CPUs.
    pub cores: u32,
    /// The `cpuN` lines that could be read, by CPU number, in file order. An offline CPU has
    /// no line, so numbers may have gaps.
    pub per_cpu: Vec<(u32, CpuTimes)>,
    /// `btime`: boot time in seconds since the epoch.
    pub boot_time: Option<u64>,
}

impl CpuStat {
    /// The times of CPU `index`, if it had a line.
    pub fn cpu(&self, index: u32) -> Option<&CpuTimes> {
        self.per_cpu.iter().find(|(i, _)| *i == index).map(|(_, t)| t)
    }
}

/// Parses the `cpu`, `cpuN` and `btime` lines; other lines are ignored.
pub fn parse_stat(body: &str) -> Result<Parsed<CpuStat>, Problem> {
    let mut all = None;
    let mut cores: u32 = 0;
    let mut per_cpu = Vec::new();
    let mut boot_time = None;
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(body) {
        let mut fields = line.split_whitespace();
        let key = fields.next().unwrap_or("");
        if key == "cpu" {
            all = Some(
                parse_times(fields).ok_or_else(|| Problem::at(n, "the cpu line does not hold 4 or more numbers"))?,
            );
        } else if let Some(index) = key.strip_prefix("cpu") {
            if let Ok(index) = index.parse::<u32>() {
                cores = cores.saturating_add(1);
                match parse_times(fields) {
                    Some(t) => per_cpu.push((index, t)),
                    None => {
                        warnings.push(Problem::at(n, format!("the cpu{index} line does not hold 4 or more numbers")))
                    }
                }
            }
        } else if key == "btime" {
            match fields.next().and_then(|s| s.parse::<u64>().ok()) {
                Some(t) => boot_time = Some(t),
                None => warnings.push(Problem::at(n, "btime is not a number")),
            }
        }
    }
    let all = all.ok_or_else(|| Problem::whole("no cpu line"))?;
    Ok(Parsed { value: CpuStat { all, cores, per_cpu, boot_time }, warnings })
}

fn parse_times<'a>(fields: impl Iterator<Item = &'a str>) -> Option<CpuTimes> {
    let mut v = [0u64; 10];
    let mut count = 0;
    for (slot, s) in v.iter_mut().zip(fields) {
        *slot = s.parse().ok()?;
        count += 1;
    }
    if count < 4 {
        return None;
    }
    let [user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice] = v;
    Some(CpuTimes { user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODERN: &str = "cpu  26347 0 5842 30948 426 0 117 17 3 1\n\
                          cpu0 12914 0 2543 16286 76 0 18 7 0 0\n\
                          cpu1 13432 0 3299 14662 349 0 98 10 0 0\n\
                          btime 1795298231\n";

    #[test]
    fn reads_the_cpu_line_cores_and_btime() {
        let s = parse_stat(MODERN).map(|p| p.value).unwrap_or_default();
        assert_eq!(s.cores, 2);
        assert_eq!(s.boot_time, Some(1_795_298_231));
        assert_eq!(s.all.user, 26347);
        assert_eq!(s.all.guest_nice, 1);
        assert_eq!(s.all.total(), 26347 + 5842 + 30948 + 426 + 117 + 17);
        assert_eq!(s.all.idle_all(), 30948 + 426);
        assert_eq!(s.per_cpu.len(), 2);
        assert_eq!(s.cpu(1).map(|c| (c.user, c.iowait, c.steal)), Some((13432, 349, 10)));
        assert_eq!(s.cpu(2), None);
    }

    #[test]
    fn a_bad_core_line_is_a_warning_and_still_counts_as_online() {
        let p = parse_stat("cpu 1 2 3 4\ncpu0 1 2\ncpu1 1 2 3 4\nintr 5 6\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.value.cores, p.value.per_cpu.len(), p.warnings.len()), (2, 1, 1));
    }

    #[test]
    fn old_kernels_have_fewer_columns() {
        let s = parse_stat("cpu 10 20 30 40\ncpu0 10 20 30 40\n").map(|p| p.value);
        assert_eq!(s.map(|s| (s.all.total(), s.cores, s.boot_time)), Ok((100, 1, None)));
    }

    #[test]
    fn rejects_a_missing_or_bad_cpu_line() {
        for body in ["", "cpu0 1 2 3 4\n", "cpu 1 2 3\n", "cpu 1 2 x 4 5\n", "cpu -1 2 3 4\n"] {
            assert!(parse_stat(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn a_bad_btime_is_a_warning() {
        let p = parse_stat("cpu 1 2 3 4\nbtime soon\n");
        assert_eq!(p.map(|p| (p.value.boot_time, p.warnings.len())), Ok((None, 1)));
    }
}
