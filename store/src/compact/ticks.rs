//! CPU shares stored as the tick counts they were computed from. The collector turns the
//! `/proc/stat` deltas of a CPU (or a core) into shares as `ticks / total × 100`
//! (`collector/src/sample/cpu.rs`), and its `busy` as `100 − idle − iowait`: a share is a ratio
//! of two small integers, which seven significant digits of it (how a block keeps a float)
//! spell out in ~20 bits where the tick count needs ~10. A block keeps such a CPU's eight
//! shares as their tick counts and the interval's total, and its `busy` as nothing at all,
//! when every row gives back the very same `f64` (bit for bit) from them; otherwise the CPU is
//! written as before ([`super::derived`]). Read back, those shares are exactly what the
//! collector computed, finer than a float column keeps.

use super::derived::is_cpu;

/// The shares of a CPU, in `/proc/stat` order: what [`TickGroup::members`] holds.
pub(crate) const FIELDS: [&str; 8] = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"];

/// The position of `idle` in [`FIELDS`]: its part holds the totals, its ticks are the rest.
pub(crate) const IDLE: usize = 3;

/// The position of `iowait` in [`FIELDS`].
pub(crate) const IOWAIT: usize = 4;

/// Denominators beyond this are not looked for: a year of 4,096 cores at 1,000 Hz has fewer
/// ticks.
const MAX_TOTAL: u128 = 1 << 48;

/// One CPU's share columns in a block, by index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TickGroup {
    /// The columns of [`FIELDS`], in that order.
    pub(crate) members: [usize; 8],
    /// The CPU's `busy` column, if the block has it.
    pub(crate) busy: Option<usize>,
}

/// The CPUs of a block whose eight shares are all float figures (`names`: name, is a float).
pub(crate) fn tick_groups(names: &[(&str, bool)]) -> Vec<TickGroup> {
    let find = |cpu: &str, field: &str| {
        let plain = format!("{cpu}.{field}");
        let own = format!("~{plain}");
        names.iter().position(|&(n, float)| float && (n == plain || n == own))
    };
    let mut out = Vec::new();
    for &(name, float) in names {
        let bare = name.strip_prefix('~').unwrap_or(name);
        let Some((cpu, "idle")) = bare.rsplit_once('.') else { continue };
        if !float || !is_cpu(cpu) {
            continue;
        }
        let members: Option<Vec<usize>> = FIELDS.iter().map(|f| find(cpu, f)).collect();
        if let Some(Ok(members)) = members.map(<[usize; 8]>::try_from) {
            out.push(TickGroup { members, busy: find(cpu, "busy") });
        }
    }
    out
}

/// A share as the collector computes it from a tick count and the total.
pub(crate) fn share(ticks: u64, total: u64) -> f64 {
    (ticks as f64 / total as f64 * 100.0).clamp(0.0, 100.0)
}

/// `busy` as the collector computes it from `idle` and `iowait`.
pub(crate) fn busy(idle: f64, iowait: f64) -> f64 {
    (100.0 - idle - iowait).clamp(0.0, 100.0)
}

/// The tick counts (in [`FIELDS`] order, their sum the total) that give back these eight shares
/// bit for bit through [`share`], if there are any: the smallest, found from each share's
/// continued fraction.
pub(crate) fn ticks_of(shares: &[f64; 8]) -> Option<[u64; 8]> {
    let mut fractions = [(0u128, 1u128); 8];
    let mut total: u128 = 1;
    for (f, &s) in fractions.iter_mut().zip(shares) {
        if s.to_bits() == 0 {
            continue;
        }
        *f = fraction_of(s)?;
        total = lcm(total, f.1)?;
    }
    let mut ticks = [0u64; 8];
    for (t, &(p, q)) in ticks.iter_mut().zip(&fractions) {
        *t = u64::try_from(p * (total / q)).ok()?;
    }
    let total = u64::try_from(total).ok()?;
    let same = ticks.iter().zip(shares).all(|(&t, s)| share(t, total).to_bits() == s.to_bits());
    (ticks.iter().sum::<u64>() == total && same).then_some(ticks)
}

/// The fraction `p / q` of smallest `q` that [`share`] turns into `s` bit for bit: a convergent of
/// `s / 100`, which is within a rounding or two (~2⁻⁵² relative) of the collector's `ticks /
/// total`. A ratio that close is one of its convergents when the total is under ~4 × 10⁷ ticks
/// (Legendre: closer than 1 / (2 total²)): a day of 4 cores, or 15 minutes of 400 at 100 Hz.
/// Beyond that it may not be found, and the CPU is written as before: larger, never wrong.
fn fraction_of(s: f64) -> Option<(u128, u128)> {
    if !(s > 0.0 && s <= 100.0) {
        return None;
    }
    // s = mantissa × 2^exp exactly; s / 100 as a ratio of integers.
    let bits = s.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
    let mantissa = u128::from((bits & ((1 << 52) - 1)) | (1 << 52));
    let (mut num, mut den) = if exp >= 0 {
        (mantissa << exp, 100u128)
    } else if exp > -120 {
        (mantissa, 100u128 << (-exp))
    } else {
        return None;
    };
    // Convergents h/k of num/den.
    let (mut h0, mut h1, mut k0, mut k1) = (0u128, 1u128, 1u128, 0u128);
    while den != 0 {
        let a = num / den;
        (num, den) = (den, num - a * den);
        let (h, k) = (a.checked_mul(h1)?.checked_add(h0)?, a.checked_mul(k1)?.checked_add(k0)?);
        if k > MAX_TOTAL {
            return None;
        }
        if share(u64::try_from(h).ok()?, u64::try_from(k).ok()?).to_bits() == s.to_bits() {
            return Some((h, k));
        }
        (h0, h1, k0, k1) = (h1, h, k1, k);
    }
    None
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn lcm(a: u128, b: u128) -> Option<u128> {
    let l = (a / gcd(a, b)).checked_mul(b)?;
    (l <= MAX_TOTAL).then_some(l)
}

/// A group's totals and each share's ticks, one value per row.
pub(crate) type TickColumns = (Vec<Option<i64>>, [Vec<Option<i64>>; 8]);

/// The tick columns of a group over a block's rows (`shares[row]`: the eight shares, or `None`
/// for a row without the CPU): the totals, then each share's ticks (the `idle` one unused: it
/// is the total less the others). `None` if a row's shares are not all there or all missing,
/// or are not ratios of ticks.
pub(crate) fn tick_columns(shares: &[Option<[f64; 8]>]) -> Option<TickColumns> {
    let mut totals = Vec::with_capacity(shares.len());
    let mut ticks: [Vec<Option<i64>>; 8] = Default::default();
    for row in shares {
        match row {
            None => {
                totals.push(None);
                ticks.iter_mut().for_each(|t| t.push(None));
            }
            Some(s) => {
                let t = ticks_of(s)?;
                totals.push(Some(i64::try_from(t.iter().sum::<u64>()).ok()?));
                for (column, &x) in ticks.iter_mut().zip(&t) {
                    column.push(Some(i64::try_from(x).ok()?));
                }
            }
        }
    }
    Some((totals, ticks))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn shares(d: [u64; 8]) -> [f64; 8] {
        let total: u64 = d.iter().sum();
        d.map(|t| share(t, total))
    }

    #[test]
    fn shares_computed_from_ticks_give_their_ticks_back() {
        for d in [
            [1800, 0, 540, 3600, 3, 0, 90, 0],
            [0, 0, 0, 6000, 0, 0, 0, 0],
            [1, 0, 0, 0, 0, 0, 0, 0],
            [7, 11, 13, 17, 19, 23, 29, 31],
            [123_456, 7, 65_432, 1_234_567, 890, 12, 3_456, 78],
            [6_000_000, 0, 1, 1, 0, 0, 0, 5],
        ] {
            let s = shares(d);
            let got = ticks_of(&s).unwrap_or_else(|| panic!("{d:?}"));
            let total: u64 = got.iter().sum();
            assert_eq!(got.map(|t| share(t, total).to_bits()), s.map(f64::to_bits), "{d:?}");
            // The smallest: the ticks divided by their greatest common divisor.
            let g = d.iter().fold(0u64, |g, &x| gcd(u128::from(g), u128::from(x)) as u64);
            assert_eq!(got, d.map(|x| x / g), "{d:?}");
        }
    }

    #[test]
    fn shares_that_are_not_ratios_of_ticks_are_not_taken_for_them() {
        // Rounded to 7 digits (a block written before), off by an ulp, or not adding up.
        let exact = shares([1800, 0, 540, 3600, 3, 0, 90, 0]);
        let rounded = exact.map(|x| (x * 1e5).round() / 1e5);
        assert_eq!(ticks_of(&rounded), None);
        let mut off = exact;
        off[2] = f64::from_bits(off[2].to_bits() + 1);
        assert_eq!(ticks_of(&off), None);
        let mut more = exact;
        more[0] = share(1, 3);
        assert_eq!(ticks_of(&more), None, "each a ratio, but not of one total");
        assert_eq!(ticks_of(&[f64::NAN, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 0.0]), None);
        assert_eq!(ticks_of(&[-1.0, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 0.0]), None);
    }

    #[test]
    fn each_cpu_with_its_eight_shares_is_a_group() {
        let mut names: Vec<String> = FIELDS.iter().map(|f| format!("cpu.{f}")).collect();
        names.push("cpu.busy".into());
        names.extend(FIELDS.iter().map(|f| format!("~cpu12.{f}")));
        names.extend(FIELDS.iter().filter(|f| **f != "steal").map(|f| format!("~cpu13.{f}")));
        names.push("mem.idle".into());
        let named: Vec<(&str, bool)> = names.iter().map(|n| (n.as_str(), true)).collect();
        let groups = tick_groups(&named);
        assert_eq!(groups.len(), 2, "cpu13 lacks its steal share");
        assert_eq!(groups[0], TickGroup { members: [0, 1, 2, 3, 4, 5, 6, 7], busy: Some(8) });
        assert_eq!(groups[1], TickGroup { members: [9, 10, 11, 12, 13, 14, 15, 16], busy: None });
        let ints: Vec<(&str, bool)> = names.iter().map(|n| (n.as_str(), false)).collect();
        assert!(tick_groups(&ints).is_empty());
    }

    #[test]
    fn tick_columns_need_every_share_of_a_row_or_none() {
        let s = shares([10, 0, 5, 80, 5, 0, 0, 0]);
        let (totals, ticks) = tick_columns(&[Some(s), None, Some(s)]).unwrap();
        assert_eq!(totals, vec![Some(20), None, Some(20)]);
        assert_eq!(ticks[0], vec![Some(2), None, Some(2)]);
        let rounded = s.map(|x| (x * 1e3).round() / 1e3 + 1e-9);
        assert!(tick_columns(&[Some(s), Some(rounded)]).is_none());
    }
}
