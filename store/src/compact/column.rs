//! One column of a compacted block: integers, or floats turned into integers
//! ([`super::quantize`]), each value present or not.
//!
//! Layout: a tag byte (how presence and values are stored), the presence bitmap if some values
//! are missing, a float column's step exponent, then the present values as one constant, as
//! zigzag varints of their deltas, or as a `pco` chunk, whichever is smallest.

use pco::ChunkConfig;
use pco::standalone::{simple_compress, simple_decompress};

use super::block::Effort;
use super::bytes::{Reader, Writer, corrupt};
use super::quantize::{column_exponent, from_steps, to_steps};
use crate::error::Result;

/// The values of one column, one per row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Column {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
}

const ALL_PRESENT: u8 = 0;
const NONE_PRESENT: u8 = 1;
const BITMAP: u8 = 2;
const FLOAT: u8 = 4;
const CONST: u8 = 0;
const DELTAS: u8 = 8;
const PCO: u8 = 16;
const PACKED: u8 = 24;
const VALUES_MASK: u8 = 24;

impl Column {
    pub(crate) fn len(&self) -> usize {
        match self {
            Column::Int(v) => v.len(),
            Column::Float(v) => v.len(),
        }
    }

    pub(crate) fn encode(&self, w: &mut Writer) {
        self.encode_to(w, None, Effort::Small);
    }

    /// Like [`Column::encode`]; [`Effort::Quick`] leaves `pco` out.
    pub(crate) fn encode_with(&self, w: &mut Writer, effort: Effort) {
        self.encode_to(w, None, effort);
    }

    /// Like [`Column::encode`], but a float column keeps only `digits` significant digits of
    /// `span`, the height its values are drawn in (for a chart, their largest minus their
    /// smallest): its step is at least 10^(span's magnitude − digits + 1), so every value is
    /// within half that step. A precision relative to the drawing, not to each value: a disk at
    /// 1.2 TB that grows by 1 GB a day keeps megabytes, a busy CPU share hundredths. Read back by
    /// [`Column::decode`] like any column.
    pub(crate) fn encode_to_span(&self, w: &mut Writer, digits: i32, span: f64) {
        self.encode_to(w, Some((digits, span)), Effort::Small);
    }

    /// The values as [`Column::decode`] reads them back after [`Column::encode`] (floats to
    /// their column's step, non-finite ones missing), without encoding them.
    pub(crate) fn quantized(&self) -> Column {
        match self {
            Column::Int(v) => Column::Int(v.clone()),
            Column::Float(v) => {
                let e = float_exponent(v.iter().flatten().copied(), None);
                Column::Float(
                    v.iter()
                        .map(|x| x.filter(|x| x.is_finite()).map(|x| from_steps(to_steps(x, e) as i64, e)))
                        .collect(),
                )
            }
        }
    }

    /// A float column's span: its largest finite value minus its smallest (0 for none).
    #[cfg(test)]
    pub(crate) fn span(&self) -> f64 {
        let Column::Float(v) = self else { return 0.0 };
        span(v.iter().flatten().copied())
    }

    fn encode_to(&self, w: &mut Writer, relative: Option<(i32, f64)>, effort: Effort) {
        let (present, exponent, values): (Vec<bool>, Option<i32>, Vec<i64>) = match self {
            Column::Int(v) => (v.iter().map(Option::is_some).collect(), None, v.iter().flatten().copied().collect()),
            Column::Float(v) => {
                let finite = |x: &&f64| x.is_finite();
                let e = float_exponent(v.iter().flatten().copied(), relative);
                let present = v.iter().map(|x| x.is_some_and(|x| x.is_finite())).collect();
                let steps = v.iter().flatten().filter(finite).map(|&x| to_steps(x, e) as i64).collect();
                (present, Some(e), steps)
            }
        };
        let presence = if values.len() == present.len() {
            ALL_PRESENT
        } else if values.is_empty() {
            NONE_PRESENT
        } else {
            BITMAP
        };
        let body = encode_values(&values, effort);
        let float = if exponent.is_some() { FLOAT } else { 0 };
        w.byte(presence | float | body.0);
        if presence == BITMAP {
            let mut bits = vec![0u8; present.len().div_ceil(8)];
            for (i, _) in present.iter().enumerate().filter(|(_, p)| **p) {
                bits[i / 8] |= 1 << (i % 8);
            }
            w.buf.extend_from_slice(&bits);
        }
        if let Some(e) = exponent {
            w.signed(i64::from(e));
        }
        if presence != NONE_PRESENT {
            w.buf.extend_from_slice(&body.1);
        }
    }

    /// Reads a column of `rows` values.
    pub(crate) fn decode(r: &mut Reader<'_>, rows: usize) -> Result<Column> {
        let tag = r.byte()?;
        let present: Vec<bool> = match tag & 3 {
            ALL_PRESENT => vec![true; rows],
            NONE_PRESENT => vec![false; rows],
            BITMAP => {
                let bits = r.take(rows.div_ceil(8))?;
                (0..rows).map(|i| bits[i / 8] & (1 << (i % 8)) != 0).collect()
            }
            _ => return Err(corrupt("column presence")),
        };
        let exponent = if tag & FLOAT != 0 {
            Some(i32::try_from(r.signed()?).map_err(|_| corrupt("column exponent"))?)
        } else {
            None
        };
        let n = present.iter().filter(|p| **p).count();
        let values = if n == 0 { Vec::new() } else { decode_values(r, tag & VALUES_MASK, n)? };
        let mut it = values.into_iter();
        let mut next = |p: bool| if p { it.next() } else { None };
        Ok(match exponent {
            None => Column::Int(present.into_iter().map(&mut next).collect()),
            Some(e) => Column::Float(present.into_iter().map(|p| next(p).map(|n| from_steps(n, e))).collect()),
        })
    }
}

/// The step exponent a float column of these values is written with: the finest any finite
/// value needs (to [`super::quantize::SIGNIFICANT_DIGITS`]), or with `relative = (digits,
/// span)` no finer than `digits` significant digits of `span` (see [`Column::encode_to_span`]).
pub(crate) fn float_exponent(values: impl Iterator<Item = f64>, relative: Option<(i32, f64)>) -> i32 {
    let mut e = column_exponent(values.filter(|x| x.is_finite())).unwrap_or(0);
    if let Some((digits, span)) = relative
        && span > 0.0
        && span.is_finite()
    {
        e = e.max(span.log10().floor() as i32 - digits + 1);
    }
    e
}

/// The largest finite value minus the smallest (0 for none).
pub(crate) fn span(values: impl Iterator<Item = f64>) -> f64 {
    let (lo, hi) =
        values.filter(|x| x.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if hi >= lo { hi - lo } else { 0.0 }
}

/// Below this many bytes of deltas, `pco`'s own header and tables cost more than they save.
const PCO_FROM: usize = 48;
/// `pco`'s compression level: 0–12, its default 8. Blocks packed inside the cycle's write leave
/// `pco` out ([`Effort::Quick`]); sealing, retention and every tier chunk written (the day chunk
/// a roll-up rewrites included) use it. Against level 4 (`--profile 360`, 5 hosts × 8 days): a
/// 2,304-bucket chunk 1.6 % smaller for 18 % more encoding time, a block's lists 4 % smaller;
/// level 12 gains nothing more.
const PCO_LEVEL: usize = 8;

/// The smallest encoding of the values (without `pco` if [`Effort::Quick`]): (kind, bytes).
fn encode_values(values: &[i64], effort: Effort) -> (u8, Vec<u8>) {
    let mut w = Writer::default();
    let Some(&first) = values.first() else { return (CONST, Vec::new()) };
    if values.iter().all(|&v| v == first) {
        w.signed(first);
        return (CONST, w.buf);
    }
    let mut prev = 0i64;
    for &v in values {
        w.signed(v.wrapping_sub(prev));
        prev = v;
    }
    let deltas = w.buf;
    let mut best = (DELTAS, deltas);
    let packed = bit_pack(values);
    if packed.len() < best.1.len() {
        best = (PACKED, packed);
    }
    if best.1.len() <= PCO_FROM || effort == Effort::Quick {
        return best;
    }
    match simple_compress(values, &ChunkConfig::default().with_compression_level(PCO_LEVEL)) {
        Ok(packed) if packed.len() + 1 < best.1.len() => {
            let mut w = Writer::default();
            w.bytes(&packed);
            (PCO, w.buf)
        }
        _ => best,
    }
}

/// The values as fixed-width offsets from their smallest, at order 0 (the values) or 1 (their
/// differences, after the first value), whichever is smaller: an order byte, the first value
/// (order 1), the base, the width in bits, then the offsets packed least significant bit first.
/// For short columns, where `pco`'s header and tables would cost more than they save.
fn bit_pack(values: &[i64]) -> Vec<u8> {
    let pack = |order: u8, first: i64, xs: &[i64]| -> Vec<u8> {
        let base = xs.iter().copied().min().unwrap_or(0);
        let width = xs.iter().map(|&x| 64 - (x.wrapping_sub(base) as u64).leading_zeros()).max().unwrap_or(0);
        let mut w = Writer::default();
        w.byte(order);
        if order == 1 {
            w.signed(first);
        }
        w.signed(base);
        w.byte(width as u8);
        let mut acc: u128 = 0;
        let mut bits = 0u32;
        for &x in xs {
            acc |= u128::from(x.wrapping_sub(base) as u64) << bits;
            bits += width;
            while bits >= 8 {
                w.byte(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
        if bits > 0 {
            w.byte(acc as u8);
        }
        w.buf
    };
    let plain = pack(0, 0, values);
    let diffs: Vec<i64> = values.windows(2).map(|p| p[1].wrapping_sub(p[0])).collect();
    let diffs = pack(1, values.first().copied().unwrap_or(0), &diffs);
    if diffs.len() < plain.len() { diffs } else { plain }
}

fn bit_unpack(r: &mut Reader<'_>, n: usize) -> Result<Vec<i64>> {
    let order = r.byte()?;
    let first = match order {
        0 => None,
        1 => Some(r.signed()?),
        _ => return Err(corrupt("packed column order")),
    };
    let count = if first.is_some() { n.saturating_sub(1) } else { n };
    let base = r.signed()?;
    let width = u32::from(r.byte()?);
    if width > 64 {
        return Err(corrupt("packed column width"));
    }
    let bytes = r.take((count * width as usize).div_ceil(8))?;
    let mut out = Vec::with_capacity(n);
    out.extend(first);
    let (mut acc, mut bits, mut at) = (0u128, 0u32, 0usize);
    let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
    for _ in 0..count {
        while bits < width {
            acc |= u128::from(bytes[at]) << bits;
            at += 1;
            bits += 8;
        }
        let x = base.wrapping_add((acc as u64 & mask) as i64);
        acc >>= width;
        bits -= width;
        out.push(match out.last() {
            Some(&prev) if first.is_some() => prev.wrapping_add(x),
            _ => x,
        });
    }
    Ok(out)
}

fn decode_values(r: &mut Reader<'_>, kind: u8, n: usize) -> Result<Vec<i64>> {
    match kind {
        CONST => Ok(vec![r.signed()?; n]),
        DELTAS => {
            let mut prev = 0i64;
            (0..n)
                .map(|_| {
                    prev = prev.wrapping_add(r.signed()?);
                    Ok(prev)
                })
                .collect()
        }
        PACKED => bit_unpack(r, n),
        PCO => {
            let v: Vec<i64> = simple_decompress(r.bytes()?).map_err(|e| corrupt(&format!("pco: {e}")))?;
            if v.len() != n {
                return Err(corrupt("pco column length"));
            }
            Ok(v)
        }
        _ => Err(corrupt("column encoding")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(c: &Column) -> (Column, usize) {
        let mut w = Writer::default();
        c.encode(&mut w);
        let mut r = Reader::new(&w.buf);
        let back = Column::decode(&mut r, c.len()).unwrap_or(Column::Int(vec![]));
        assert!(r.is_empty(), "every byte read");
        (back, w.buf.len())
    }

    #[test]
    fn integers_come_back_exactly_whatever_their_shape() {
        let shapes: Vec<Vec<Option<i64>>> = vec![
            vec![Some(7); 64],
            vec![None; 10],
            (0..64).map(|i| if i % 3 == 0 { None } else { Some(i * 4096) }).collect(),
            (0..200).map(|i| Some(1_700_000_000_000 + i * 60_000 + (i * 7919) % 13)).collect(),
            vec![Some(i64::MIN), Some(i64::MAX), Some(0), Some(-1)],
            vec![],
        ];
        for s in shapes {
            let c = Column::Int(s);
            assert_eq!(round_trip(&c).0, c);
        }
    }

    #[test]
    fn short_noisy_columns_are_bit_packed_and_come_back_exactly() {
        let mut seed: u64 = 7;
        let mut noise = |range: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) % range) as i64
        };
        for n in [1usize, 2, 3, 7, 8, 9, 63, 64, 65, 300] {
            // A level with noise (order 0 wins), a random walk (order 1 wins), the extremes.
            let level: Vec<Option<i64>> = (0..n).map(|_| Some(1_000_000 + noise(200))).collect();
            let mut x = 0i64;
            let walk: Vec<Option<i64>> = (0..n)
                .map(|_| {
                    x += noise(400) - 200;
                    Some(x * 1_000_003)
                })
                .collect();
            let wide: Vec<Option<i64>> = (0..n).map(|i| Some(if i % 2 == 0 { i64::MIN } else { i64::MAX })).collect();
            for c in [level, walk, wide].map(Column::Int) {
                assert_eq!(round_trip(&c).0, c, "{n} values");
            }
        }
        // 64 readings of 0–199 around a million: 8 bits each and a few bytes of header, where
        // zigzag varints of the deltas take 2 bytes each.
        let level: Vec<i64> = (0..64).map(|_| 1_000_000 + noise(200)).collect();
        let (kind, bytes) = encode_values(&level, Effort::Small);
        assert_eq!(kind, PACKED);
        assert!(bytes.len() <= 64 + 8, "{} bytes", bytes.len());
    }

    #[test]
    fn a_column_kept_to_its_span_keeps_digits_of_its_height() {
        // A disk of ~1.2 TB whose use moves by ~3 GB: 4 digits of the span are steps of 1 MB,
        // not the 100 MB that 4 digits of the value would be.
        let v: Vec<Option<f64>> =
            (0..200).map(|i| Some(1.2e12 + (f64::from(i) * 0.7).sin() * 1.5e9 + f64::from(i) * 1234.5)).collect();
        let c = Column::Float(v.clone());
        assert!((c.span() - 3.0e9).abs() < 2.0e8, "span {}", c.span());
        let mut w = Writer::default();
        c.encode_to_span(&mut w, 4, c.span());
        let back = Column::decode(&mut Reader::new(&w.buf), v.len()).unwrap_or(Column::Int(vec![]));
        let Column::Float(back) = back else { panic!("a float column") };
        for (a, b) in v.iter().flatten().zip(back.iter().flatten()) {
            assert!((a - b).abs() <= 0.5e6 + 1e-3, "{a} vs {b}");
        }
        let mut coarser = Writer::default();
        c.encode_to_span(&mut coarser, 3, c.span());
        assert!(coarser.buf.len() < w.buf.len(), "fewer digits are smaller");
        // A constant column has no span: it keeps its value's own digits.
        let flat = Column::Float(vec![Some(1234.567); 10]);
        let mut w = Writer::default();
        flat.encode_to_span(&mut w, 3, flat.span());
        assert_eq!(Column::decode(&mut Reader::new(&w.buf), 10).ok(), Some(flat));
    }

    #[test]
    fn a_quick_column_leaves_pco_out_and_reads_back_the_same() {
        // 360 readings of a level with a little noise and a rare spike: bit-packing pays the
        // spike's width on every value, `pco`'s bins do not.
        let mut seed: u64 = 11;
        let values: Vec<Option<i64>> = (0..360)
            .map(|i| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                Some(50_000 + ((seed >> 33) % 16) as i64 + if i % 40 == 7 { 1_000_000 } else { 0 })
            })
            .collect();
        let c = Column::Int(values.clone());
        let present: Vec<i64> = values.iter().flatten().copied().collect();
        assert_eq!(encode_values(&present, Effort::Small).0, PCO);
        let (kind, quick) = encode_values(&present, Effort::Quick);
        assert_ne!(kind, PCO);
        let mut w = Writer::default();
        c.encode_with(&mut w, Effort::Quick);
        assert_eq!(Column::decode(&mut Reader::new(&w.buf), c.len()).ok(), Some(c));
        assert!(quick.len() > encode_values(&present, Effort::Small).1.len(), "pco is what Small adds");
    }

    #[test]
    fn a_constant_column_costs_a_few_bytes() {
        assert!(round_trip(&Column::Int(vec![Some(123_456); 64])).1 <= 4);
        assert!(round_trip(&Column::Float(vec![Some(0.0); 64])).1 <= 4);
    }

    #[test]
    fn floats_keep_their_digits_and_missing_stays_missing() {
        let v: Vec<Option<f64>> =
            (0..64).map(|i| if i == 5 { None } else { Some(f64::from(i) * 1.1 + 1.0 / 3.0) }).collect();
        let (back, _) = round_trip(&Column::Float(v.clone()));
        let Column::Float(back) = back else { panic!("a float column") };
        for (a, b) in v.iter().zip(&back) {
            match (a, b) {
                (Some(a), Some(b)) => assert!(((a - b) / a).abs() <= 5e-7, "{a} vs {b}"),
                (None, None) => {}
                other => panic!("presence changed: {other:?}"),
            }
        }
        let odd = Column::Float(vec![Some(f64::NAN), Some(f64::INFINITY), Some(2.5)]);
        assert_eq!(round_trip(&odd).0, Column::Float(vec![None, None, Some(2.5)]), "non-finite is missing");
    }
}
