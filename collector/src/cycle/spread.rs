//! Spreading a cycle's starts (`collector.spread`): every server gets a fixed offset in the
//! window, from a hash of its name, so the same server starts at about the same second of every
//! cycle and servers sharing a hypervisor or a link are not all asked at once.

use std::sync::Arc;
use std::time::Duration;

use super::Entry;

/// `entries` with their start offsets in `window`, earliest first (all zero for an empty window).
pub(super) fn in_start_order(entries: Vec<Arc<Entry>>, window: Duration) -> Vec<(Duration, Arc<Entry>)> {
    let mut out: Vec<(Duration, Arc<Entry>)> =
        entries.into_iter().map(|e| (offset(&e.server.name, window), e)).collect();
    if !window.is_zero() {
        out.sort_by_key(|(offset, _)| *offset);
    }
    out
}

/// Where in `window` the server `name` starts: FNV-1a of the name, mixed (names that differ in
/// their last characters only, `web-01`, `web-02`, differ in FNV's low bits only), scaled.
pub(super) fn offset(name: &str, window: Duration) -> Duration {
    if window.is_zero() {
        return Duration::ZERO;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // The finaliser of MurmurHash3 (fmix64): every input bit moves every output bit.
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^= hash >> 33;
    window.mul_f64(hash as f64 / u64::MAX as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_fixed_per_name_inside_the_window_and_spread_out() {
        let w = Duration::from_secs(6);
        assert_eq!(offset("web-1", w), offset("web-1", w), "the same every cycle");
        assert_eq!(offset("web-1", Duration::ZERO), Duration::ZERO);
        let offsets: Vec<Duration> = (0..1000).map(|i| offset(&format!("sim-{i:04}"), w)).collect();
        assert!(offsets.iter().all(|o| *o <= w));
        // Each sixth of the window gets a fair share of the 1,000 starts.
        for k in 0..6u32 {
            let (lo, hi) = (Duration::from_secs(k.into()), Duration::from_secs((k + 1).into()));
            let n = offsets.iter().filter(|o| **o >= lo && **o < hi).count();
            assert!((100..=240).contains(&n), "{k}: {n}");
        }
    }
}
