//! Memory and swap, as `free(1)` shows them (see
//! [proc_meminfo(5)](https://man7.org/linux/man-pages/man5/proc_meminfo.5.html)).

use fleetwatch_common::details::MemoryStats;

use super::{percent, to_i64};
use crate::parse::{MemInfo, Snapshot};

/// Total RAM in bytes, when `/proc/meminfo` was read and says more than 0.
pub(super) fn mem_total(snap: &Snapshot) -> Option<u64> {
    snap.meminfo.map(|m| m.total).filter(|&t| t > 0)
}

/// RAM in use: total − available (estimated where the kernel has no `MemAvailable`).
pub(super) fn ram_used(snap: &Snapshot) -> Option<u64> {
    snap.meminfo.and_then(|m| Some(m.total.saturating_sub(m.available_bytes()?)))
}

/// Swap in use, in percent. A server without swap (`SwapTotal` 0) reports 0 %, not `None`:
/// nothing is swapped, and the card shows 0 % rather than "unknown".
pub fn swap_percent(total: u64, free: Option<u64>) -> Option<f64> {
    if total == 0 {
        return Some(0.0);
    }
    Some(percent(total.saturating_sub(free?), total))
}

/// Memory as `free(1)` shows it: `cached` is page cache plus reclaimable slab (procps ≥ 3.3.10),
/// `used` is total − available.
pub(super) fn memory_stats(m: &MemInfo) -> Option<MemoryStats> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_without_swap_is_zero() {
        assert_eq!(swap_percent(0, Some(0)), Some(0.0));
        assert_eq!(swap_percent(0, None), Some(0.0));
        assert_eq!(swap_percent(200, Some(150)), Some(25.0));
        assert_eq!(swap_percent(200, None), None);
        assert_eq!(swap_percent(200, Some(500)), Some(0.0));
    }

    #[test]
    fn cached_counts_reclaimable_slab_and_used_is_total_minus_available() {
        let m = MemInfo {
            total: 1000,
            free: Some(100),
            available: Some(600),
            buffers: Some(50),
            cached: Some(300),
            s_reclaimable: Some(20),
            swap_total: Some(200),
            swap_free: Some(150),
        };
        let s = memory_stats(&m).unwrap_or_else(|| panic!("available is known"));
        assert_eq!((s.used, s.available, s.free, s.buffers, s.cached), (400, 600, 100, 50, 320));
        assert_eq!((s.swap_total, s.swap_used, s.used_percent, s.swap_percent), (200, 50, 40.0, 25.0));
        assert!(!s.available_estimated);
    }
}
