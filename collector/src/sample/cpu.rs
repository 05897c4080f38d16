//! CPU: utilisation and its breakdown by state, from two readings of `/proc/stat`
//! (see [proc_stat(5)](https://man7.org/linux/man-pages/man5/proc_stat.5.html)).

use fleetwatch_common::details::{CpuBreakdown, CpuStats};

use super::CarriedState;
use crate::parse::{CpuTimes, Inventory, Snapshot};

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

pub(super) fn cpu_stats(
    snap: &Snapshot,
    earlier: Option<&CarriedState>,
    current: &CarriedState,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::fixtures::{snapshot, times};

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
    fn the_breakdown_adds_up_and_ignores_an_idle_counter_stepping_back() {
        let a = CpuTimes { user: 100, system: 50, idle: 1000, iowait: 30, steal: 5, ..CpuTimes::default() };
        let b = CpuTimes { user: 130, system: 60, idle: 1050, iowait: 25, steal: 15, ..CpuTimes::default() };
        let got = cpu_breakdown("cpu0", &a, &b).unwrap_or_else(|| panic!("ticks passed"));
        // 30 + 10 + 50 + 0 (iowait went back) + 10 = 100 ticks.
        assert_eq!((got.user, got.system, got.idle, got.iowait, got.steal), (30.0, 10.0, 50.0, 0.0, 10.0));
        assert_eq!(got.busy, 50.0);
        assert_eq!(got.name, "cpu0");
        assert!(cpu_breakdown("cpu", &a, &a).is_none(), "no tick, no breakdown");
    }

    #[test]
    fn per_core_figures_need_the_same_core_in_both_readings() {
        let before = snapshot(1000, vec![], &[]);
        let mut now = snapshot(1200, vec![], &[]);
        if let Some(s) = now.stat.as_mut() {
            s.per_cpu.retain(|(i, _)| *i == 1);
        }
        let earlier = CarriedState::from_snapshot(&before);
        let stats = cpu_stats(&now, Some(&earlier), &CarriedState::from_snapshot(&now), None);
        let stats = stats.unwrap_or_else(|| panic!("a stat was read"));
        assert_eq!(stats.cores.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["cpu1"]);
        assert_eq!((stats.core_count, stats.total.map(|t| t.busy)), (2, Some(50.0)));
        assert!(cpu_stats(&Snapshot::default(), None, &CarriedState::default(), None).is_none());
    }
}
