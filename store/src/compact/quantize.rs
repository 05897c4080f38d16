//! Floats as integers: a column of readings becomes integer multiples of one power of ten, so
//! that the numeric codec sees small integers instead of 64-bit patterns.
//!
//! Each reading keeps [`SIGNIFICANT_DIGITS`] significant digits (a relative error of at most
//! 5 × 10⁻⁷ for 7 digits, about `f32`'s precision), and a reading that has no more digits than that, such as `12.5`,
//! `0.25` or `1234.5`, comes back exactly: the column's step is the finest one any of its
//! readings needs, and never finer than the digits kept.

/// Significant decimal digits kept of every float reading in a compacted block.
pub(crate) const SIGNIFICANT_DIGITS: i32 = 7;

/// Integers beyond this lose precision as `f64`: the step is coarsened to stay below it.
const MAX_EXACT: f64 = 9.0e15;

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Exponents representable exactly (10^e for |e| ≤ 22 is an exact `f64`).
const MIN_EXP: i32 = -22;
const MAX_EXP: i32 = 22;

fn pow10(e: i32) -> f64 {
    POW10[e.unsigned_abs().min(22) as usize]
}

/// `v` as a multiple of `10^e`, rounded.
pub(crate) fn to_steps(v: f64, e: i32) -> f64 {
    if e < 0 { (v * pow10(e)).round() } else { (v / pow10(e)).round() }
}

/// `n × 10^e`, correctly rounded (a division by an exact power of ten for negative `e`), so a
/// decimal such as 45.6789 comes back as the same `f64` it was written as.
pub(crate) fn from_steps(n: i64, e: i32) -> f64 {
    if e < 0 { n as f64 / pow10(e) } else { n as f64 * pow10(e) }
}

/// The step exponent for a column of finite readings (`None` for none, or all zero).
pub(crate) fn column_exponent(values: impl Iterator<Item = f64>) -> Option<i32> {
    let mut exp: Option<i32> = None;
    let mut max_abs: f64 = 0.0;
    for v in values {
        if v == 0.0 {
            continue;
        }
        max_abs = max_abs.max(v.abs());
        let e = value_exponent(v);
        exp = Some(exp.map_or(e, |x| x.min(e)));
    }
    let e = exp?;
    // Keep every step count below 2^53: coarsen if the largest reading needs it.
    let floor = (max_abs / MAX_EXACT).log10().ceil() as i32;
    Some(e.max(floor).clamp(MIN_EXP, MAX_EXP))
}

/// The coarsest power of ten at which `v` is exact, but no finer than its
/// [`SIGNIFICANT_DIGITS`]-th digit. A reading that is not exact at its finest step (most
/// measured ones) costs one check; a short decimal walks up to its last digit.
fn value_exponent(v: f64) -> i32 {
    let magnitude = v.abs().log10().floor() as i32;
    let finest = (magnitude - SIGNIFICANT_DIGITS + 1).clamp(MIN_EXP, MAX_EXP);
    let coarsest = (magnitude + 1).clamp(MIN_EXP, MAX_EXP);
    let exact = |e: i32| {
        let n = to_steps(v, e);
        n.abs() < MAX_EXACT && from_steps(n as i64, e) == v
    };
    if !exact(finest) {
        return finest;
    }
    (finest..=coarsest).take_while(|&e| exact(e)).last().unwrap_or(finest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[f64]) -> Vec<f64> {
        let e = column_exponent(values.iter().copied()).unwrap_or(0);
        values.iter().map(|&v| from_steps(to_steps(v, e) as i64, e)).collect()
    }

    #[test]
    fn short_decimals_come_back_exactly() {
        let values = [12.5, 0.25, 1234.5, 45.678, 0.0, 100.0, 3.75, 1.225, 5.05, 0.15, 91.2];
        assert_eq!(round_trip(&values), values);
        let big = [4.25e12, 1.375e11, 1.0e15];
        assert_eq!(round_trip(&big), big);
    }

    #[test]
    fn long_fractions_keep_their_significant_digits() {
        // Each a column of its own (one figure over time has one magnitude): a column that
        // mixes 10^-3 with 10^8 is coarsened to keep its step counts below 2^53.
        let values = [37.421_337_12, 0.001_234_567_8, 98_765.432_1, 1.0 / 3.0, 123_456_789.123];
        for v in values {
            let got = round_trip(&[v, v * 1.5])[0];
            let rel = ((got - v) / v).abs();
            assert!(rel <= 5.0e-7, "{v} came back as {got} ({rel:e})");
            assert_ne!(got, v, "{v} has more than 7 digits: it is rounded, not kept whole");
        }
    }

    #[test]
    fn a_column_of_nothing_has_no_step() {
        assert_eq!(column_exponent([0.0, 0.0].into_iter()), None);
        assert_eq!(column_exponent(std::iter::empty()), None);
    }
}
