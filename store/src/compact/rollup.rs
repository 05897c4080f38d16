//! Rollup tiers (issue #11), without SQL: every charted figure of a server's samples (every
//! series and the history's headline figures: [`kept_in_tiers`]) summarised per bucket of
//! 5 minutes, 1 hour and 1 day as count, average, minimum, maximum and last value.
//!
//! A 5-minute bucket is made from raw samples, an hour from its 5-minute buckets and a day from
//! its hours: the counts weigh the averages, so each tier is what it would be if it were made
//! from the raw samples (within the precision a chunk keeps, below).
//!
//! Stored per server and tier in chunks of [`CHUNK_BUCKETS`] buckets. A chunk's body: the
//! bucket count, the buckets' start times and sample counts, the figure names (deflated, each
//! with `i`/`f` for integer or float figures), then per figure one length-prefixed part (so one
//! figure is read without decoding the others): a flag telling whether the figure's counts are
//! the buckets' (`0`) or its own column follows ([`OWN_COUNTS`]), then the averages as a float
//! [`Column`] (integer figures' too), then (with [`RESIDUALS`]) one band exponent, the
//! minimums and maximums as integer columns of steps away from the average and the last values
//! as steps above the minimum ([`LAST_FROM_MIN`]; from the average in chunks written before). A
//! chunk keeps the precision a chart of it needs, relative to the figure's span in the chunk
//! (largest minus smallest): [`AVG_DIGITS`] significant digits of the averages' span,
//! [`BAND_DIGITS`] of the band's. Chunks written before (minimum, maximum and last as float
//! columns of their own; 4 digits of the averages' span, or 7 digits per value, or 6 and 4 of
//! the chunk's largest value) read the same way. Complete spans of chunks are merged into one
//! by `crate::sealing`.

use std::collections::HashMap;

use super::bytes::{Reader, Writer, corrupt, deflate, inflate};
use super::column::{Column, float_exponent, span};
use super::derived::{Derivation, derivations};
use super::quantize::{from_steps, to_steps};
use crate::columns::HISTORY_FIGURES;
use crate::error::Result;

/// The tiers' bucket widths in milliseconds, finest first.
pub(crate) const TIERS: [i64; 3] = [300_000, 3_600_000, 86_400_000];

/// Significant digits kept of a chunk's averages, of the span of the figure's averages in the
/// chunk (see [`Column::encode_to_span`]): a chart's precision, not a reading's (a line drawn
/// 1,000 pixels high needs 3; a chart of a longer range spans at least as much). Raw samples
/// keep theirs ([`super::quantize::SIGNIFICANT_DIGITS`] per value).
pub(crate) const AVG_DIGITS: i32 = 3;

/// Significant digits kept of a chunk's minimums, maximums and last values, of the span of the
/// figure's band in the chunk (lowest minimum to highest maximum): a band on a chart 1,000
/// pixels high needs 3.
pub(crate) const BAND_DIGITS: i32 = 3;

/// Buckets per stored chunk: a day of 5-minute buckets, 12 days of hours, 288 days of days.
pub(crate) const CHUNK_BUCKETS: i64 = 288;

const MAX_NAMES: u64 = 16 << 20;

/// A figure part's flag: its counts differ from the buckets' (a column of them follows).
const OWN_COUNTS: u8 = 1;

/// A figure part's flag: minimums, maximums and last values are written as integer steps of
/// one band exponent away from the bucket's average (as read back), so that a figure that
/// moves slowly within its buckets costs a constant column for each, whatever its level.
/// Without it (chunks written before), they are float columns of their own.
const RESIDUALS: u8 = 2;

/// A figure part's flag, with [`RESIDUALS`]: the last values are steps above the bucket's
/// minimum (never negative, and at most the bucket's range) rather than from its average: the
/// same values, a tenth smaller a column (`--profile`: 57.3 → 51.4 KB for 3 hosts' day). Without
/// it (chunks written before), they are steps from the average like the minimums and maximums.
const LAST_FROM_MIN: u8 = 4;

/// A figure part's flag (with [`RESIDUALS`] and [`LAST_FROM_MIN`]): its stats are written as
/// integer steps away from what other figures' stats (as read back) say of them
/// ([`super::derived`]: a CPU's `idle` is `100 − busy − iowait`, its `user` `busy − nice −
/// system − irq − softirq − steal`): the average and last value from theirs, the minimum from
/// the lowest the terms allow and the maximum from the highest. Read back, the same values as
/// written plain, step for step. After the flag (and counts): the constant, the terms (index,
/// whether subtracted), the average's exponent and steps, the band's exponent and the
/// minimums', maximums' and last values' steps.
const DERIVED: u8 = 8;

/// The most terms a [`DERIVED`] figure has (a CPU's `user` has six).
const MAX_TERMS: usize = 8;

/// A figure part that holds no stats but the index of an earlier figure with the same ones
/// (a flag byte no other part starts with).
const SAME_AS: u8 = 0x80;

/// Whether a figure is kept in the rollup tiers: every series (what charts, `/series` and
/// summaries read) and the headline figures that history reads ([`HISTORY_FIGURES`], stored
/// as `~name`). The cycle's other numbers (each core's user/system/… breakdown, free memory, a
/// mount's available bytes, containers' byte counters, …) have no reader but a moment's
/// snapshot, which comes from the raw samples: the tiers would keep them for nobody, and they
/// were two thirds of a bucket's columns.
pub(crate) fn kept_in_tiers(name: &str) -> bool {
    match name.strip_prefix('~') {
        None => true,
        Some(own) => HISTORY_FIGURES.iter().any(|f| f.name == own),
    }
}

/// The tier's name as `db-stats` and the config show it.
pub(crate) fn tier_name(width_ms: i64) -> &'static str {
    match width_ms {
        300_000 => "5m",
        3_600_000 => "1h",
        86_400_000 => "1d",
        _ => "raw",
    }
}

/// The start of the chunk holding a bucket starting at `start` in tier `width`.
pub(crate) fn chunk_of(start: i64, width: i64) -> i64 {
    let span = width * CHUNK_BUCKETS;
    start.div_euclid(span) * span
}

/// One figure summarised over one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stat {
    /// How many values it summarises.
    pub(crate) n: i64,
    /// The sum of the values (kept rather than the average, so that sums of sums stay exact).
    pub(crate) sum: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    /// The value of the bucket's latest sample that has the figure.
    pub(crate) last: f64,
}

impl Stat {
    pub(crate) fn one(v: f64) -> Self {
        Self { n: 1, sum: v, min: v, max: v, last: v }
    }

    pub(crate) fn avg(&self) -> f64 {
        if self.n > 0 { self.sum / self.n as f64 } else { self.sum }
    }

    /// Adds a later stat (a later sample or bucket) to this one.
    pub(crate) fn merge(&mut self, later: &Stat) {
        self.n += later.n;
        self.sum += later.sum;
        self.min = self.min.min(later.min);
        self.max = self.max.max(later.max);
        self.last = later.last;
    }
}

/// Buckets of one width, oldest first: their start times, sample counts and, per figure, its
/// stat in each bucket (`None` where the bucket has no value of it).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Rollup {
    pub(crate) starts: Vec<i64>,
    pub(crate) samples: Vec<i64>,
    /// Figure name and whether it is an integer figure.
    pub(crate) names: Vec<(String, bool)>,
    /// `stats[figure][bucket]`.
    pub(crate) stats: Vec<Vec<Option<Stat>>>,
}

impl Rollup {
    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// One figure's stats, if the rollup has it.
    pub(crate) fn figure(&self, name: &str) -> Option<&[Option<Stat>]> {
        self.names.iter().position(|(n, _)| n == name).map(|i| self.stats[i].as_slice())
    }

    /// Keeps the buckets whose start passes `keep`.
    pub(crate) fn retain(&mut self, keep: impl Fn(i64) -> bool) {
        let mask: Vec<bool> = self.starts.iter().map(|&s| keep(s)).collect();
        keep_rows(&mut self.starts, &mask);
        keep_rows(&mut self.samples, &mask);
        for s in &mut self.stats {
            keep_rows(s, &mask);
        }
    }

    /// The buckets cut by chunk (as [`chunk_of`] keys them in tier `width`), oldest first.
    pub(crate) fn split_by_chunk(&self, width: i64) -> Vec<(i64, Rollup)> {
        let mut keys: Vec<i64> = self.starts.iter().map(|&s| chunk_of(s, width)).collect();
        keys.dedup();
        keys.into_iter()
            .map(|key| {
                let mut piece = self.clone();
                piece.retain(|s| chunk_of(s, width) == key);
                (key, piece)
            })
            .collect()
    }

    /// This rollup with `newer`'s buckets added; a bucket both have is `newer`'s.
    pub(crate) fn with(&self, newer: &Rollup) -> Rollup {
        let mut b = Builder::new(1, 0, false);
        let (mut i, mut j) = (0, 0);
        while i < self.len() || j < newer.len() {
            let take_new = j < newer.len() && (i >= self.len() || newer.starts[j] <= self.starts[i]);
            if take_new {
                if i < self.len() && self.starts[i] == newer.starts[j] {
                    i += 1;
                }
                b.add_bucket(newer, j);
                j += 1;
            } else {
                b.add_bucket(self, i);
                i += 1;
            }
        }
        b.finish()
    }

    /// Sums these buckets into buckets of `width` aligned on `origin` (see [`Builder`]).
    pub(crate) fn coarsen(&self, width: i64, origin: i64) -> Rollup {
        let mut b = Builder::new(width, origin, false);
        for i in 0..self.len() {
            b.add_bucket(self, i);
        }
        b.finish()
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        self.encode_with(true)
    }

    /// [`Self::encode`], with last values from the minimum ([`LAST_FROM_MIN`]) or, as chunks
    /// written before it, from the average.
    fn encode_with(&self, last_from_min: bool) -> Vec<u8> {
        let last_flag = if last_from_min { LAST_FROM_MIN } else { 0 };
        let mut w = Writer::default();
        w.len(self.len());
        Column::Int(self.starts.iter().map(|&s| Some(s)).collect()).encode(&mut w);
        Column::Int(self.samples.iter().map(|&s| Some(s)).collect()).encode(&mut w);
        let text: String = self.names.iter().map(|(n, int)| format!("{}{n}\n", if *int { 'i' } else { 'f' })).collect();
        w.bytes(&deflate(text.as_bytes()));
        let named: Vec<(&str, bool)> = self.names.iter().map(|(n, int)| (n.as_str(), !*int)).collect();
        let derived: HashMap<usize, Derivation> =
            if last_from_min { derivations(&named).into_iter().collect() } else { HashMap::new() };
        let mut parts: Vec<Vec<u8>> = Vec::with_capacity(self.stats.len());
        for (i, stats) in self.stats.iter().enumerate() {
            let mut fw = Writer::default();
            // Neither a figure that may be derived nor the repeat of one (a term may not be).
            let earlier = (0..i).find(|&j| !derived.contains_key(&j) && self.stats[j] == *stats);
            if let Some(j) = earlier.filter(|_| !derived.contains_key(&i)) {
                // The same stats under two names (a headline figure and its series, such as
                // `~cpu_percent` and `cpu.busy`): stored once.
                fw.byte(SAME_AS);
                fw.len(j);
                parts.push(fw.buf);
                continue;
            }
            write_counts(&mut fw, RESIDUALS | last_flag, stats, &self.samples);
            encode_stats(&mut fw, stats, last_from_min);
            parts.push(fw.buf);
        }
        // Figures the others imply (a CPU's idle and user shares), as their steps away from what
        // the others say as read back, when smaller. Their terms are never derived.
        let mut targets: Vec<(&usize, &Derivation)> = derived.iter().collect();
        targets.sort_by_key(|(i, _)| **i);
        for (&i, d) in targets {
            let terms: Option<Vec<Vec<Option<Stat>>>> =
                d.terms.iter().map(|&(j, _)| decode_part(&parts, j, &self.samples, false).ok()).collect();
            if let Some(part) = terms.and_then(|terms| encode_derived(&self.stats[i], &self.samples, d, &terms))
                && part.len() < parts[i].len()
            {
                parts[i] = part;
            }
        }
        for part in &parts {
            w.bytes(part);
        }
        w.buf
    }

    /// [`Rollup::decode`] without the buckets before `shown_from` (the row's `start_ms`: what
    /// retention hid without re-encoding the chunk).
    pub(crate) fn decode_shown(blob: &[u8], only: Option<&[&str]>, shown_from: i64) -> Result<Rollup> {
        let mut chunk = Rollup::decode(blob, only)?;
        if chunk.starts.first().is_some_and(|&s| s < shown_from) {
            chunk.retain(|s| s >= shown_from);
        }
        Ok(chunk)
    }

    /// Decodes a chunk, with every figure (`only = None`) or only those named.
    pub(crate) fn decode(blob: &[u8], only: Option<&[&str]>) -> Result<Rollup> {
        let mut r = Reader::new(blob);
        let n = r.len()?;
        let ints = |c: Column| match c {
            Column::Int(v) => Ok(v.into_iter().map(|x| x.unwrap_or(0)).collect::<Vec<i64>>()),
            Column::Float(_) => Err(corrupt("rollup times")),
        };
        let starts = ints(Column::decode(&mut r, n)?)?;
        let samples = ints(Column::decode(&mut r, n)?)?;
        let text = String::from_utf8(inflate(r.bytes()?, MAX_NAMES)?).map_err(|_| corrupt("rollup names"))?;
        let mut out = Rollup { starts, samples, ..Rollup::default() };
        let parts: Vec<&[u8]> = text.lines().map(|_| r.bytes()).collect::<Result<_>>()?;
        for (i, line) in text.lines().enumerate() {
            let int = line.starts_with('i');
            let name = line.get(1..).unwrap_or_default();
            if only.is_some_and(|o| !o.contains(&name)) {
                continue;
            }
            out.names.push((name.to_owned(), int));
            out.stats.push(decode_part(&parts, i, &out.samples, true)?);
        }
        Ok(out)
    }
}

/// Figure `i`'s stats, read through a [`SAME_AS`] part to the one it repeats, or from its terms'
/// if it is [`DERIVED`] (`derived`: whether it may be; a term may not).
fn decode_part<P: AsRef<[u8]>>(parts: &[P], i: usize, samples: &[i64], derived: bool) -> Result<Vec<Option<Stat>>> {
    let mut part = parts.get(i).ok_or_else(|| corrupt("rollup figure missing"))?.as_ref();
    if part.first() == Some(&SAME_AS) {
        let mut p = Reader::new(part);
        p.byte()?;
        let j = p.len()?;
        part = parts[..i].get(j).ok_or_else(|| corrupt("rollup figure repeats a later one"))?.as_ref();
    }
    match part.first() {
        Some(&flag) if flag & DERIVED != 0 && flag != SAME_AS => {
            if !derived {
                return Err(corrupt("rollup figure derived from a derived one"));
            }
            decode_derived(part, samples, |j| {
                if j == i {
                    return Err(corrupt("rollup figure derived from itself"));
                }
                decode_part(parts, j, samples, false)
            })
        }
        _ => decode_figure(part, samples),
    }
}

fn keep_rows<T>(v: &mut Vec<T>, mask: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        mask.get(i - 1).copied().unwrap_or(false)
    });
}

fn floats(c: Column) -> Vec<Option<f64>> {
    match c {
        Column::Float(v) => v,
        Column::Int(v) => v.into_iter().map(|x| x.map(|x| x as f64)).collect(),
    }
}

/// Writes a figure part's flag byte (`flags`, with [`OWN_COUNTS`] if the figure's counts are
/// not the buckets') and then, if so, its counts.
fn write_counts(w: &mut Writer, flags: u8, stats: &[Option<Stat>], samples: &[i64]) {
    let counts: Vec<Option<i64>> = stats.iter().map(|s| s.map(|s| s.n)).collect();
    if counts.iter().zip(samples).all(|(c, s)| c.is_none_or(|c| c == *s)) {
        w.byte(flags);
    } else {
        w.byte(flags | OWN_COUNTS);
        Column::Int(counts).encode(w);
    }
}

/// A figure's counts: its own column after the flag (with [`OWN_COUNTS`]), or the buckets'.
fn read_counts(r: &mut Reader<'_>, flag: u8, samples: &[i64]) -> Result<Vec<Option<i64>>> {
    if flag & OWN_COUNTS == 0 {
        return Ok(samples.iter().map(|&s| Some(s)).collect());
    }
    match Column::decode(r, samples.len())? {
        Column::Int(v) => Ok(v),
        Column::Float(_) => Err(corrupt("rollup counts")),
    }
}

/// Writes a figure's averages, then its minimums and maximums as steps from the average
/// ([`RESIDUALS`]) and its last values as steps above the minimum ([`LAST_FROM_MIN`]).
fn encode_stats(w: &mut Writer, stats: &[Option<Stat>], last_from_min: bool) {
    let avg: Vec<Option<f64>> = stats.iter().map(|s| s.map(|s| s.avg())).collect();
    let avg_span = span(avg.iter().flatten().copied());
    let e_avg = float_exponent(avg.iter().flatten().copied(), Some((AVG_DIGITS, avg_span)));
    // The averages as the reader gets them back: the residuals are taken from those.
    let read_back = |a: Option<f64>| a.filter(|a| a.is_finite()).map(|a| from_steps(to_steps(a, e_avg) as i64, e_avg));
    let band_values = || stats.iter().flatten().flat_map(|s| [s.min, s.max, s.last]);
    let e = float_exponent(band_values(), Some((BAND_DIGITS, span(band_values()))));
    let centres: Vec<Option<i64>> = avg.iter().map(|&a| read_back(a).map(|a| to_steps(a, e) as i64)).collect();
    Column::Float(avg).encode_to_span(w, AVG_DIGITS, avg_span);
    w.signed(i64::from(e));
    let steps = |v: f64| v.is_finite().then(|| to_steps(v, e) as i64);
    let from_centre = |pick: fn(&Stat) -> f64| -> Vec<Option<i64>> {
        stats.iter().zip(&centres).map(|(s, c)| Some(steps(pick(s.as_ref()?))?.wrapping_sub((*c)?))).collect()
    };
    Column::Int(from_centre(|s| s.min)).encode(w);
    Column::Int(from_centre(|s| s.max)).encode(w);
    if !last_from_min {
        Column::Int(from_centre(|s| s.last)).encode(w);
        return;
    }
    let above_min = stats
        .iter()
        .zip(&centres)
        .map(|(s, c)| {
            let s = s.as_ref()?;
            // A minimum is read back from its average's steps: none without one, nor a last.
            c.as_ref()?;
            Some(steps(s.last)?.wrapping_sub(steps(s.min)?))
        })
        .collect();
    Column::Int(above_min).encode(w);
}

fn decode_figure(part: &[u8], samples: &[i64]) -> Result<Vec<Option<Stat>>> {
    let n = samples.len();
    let mut r = Reader::new(part);
    let flag = r.byte()?;
    if flag & !(OWN_COUNTS | RESIDUALS | LAST_FROM_MIN) != 0 {
        // Including SAME_AS and DERIVED, which `decode_part` resolves before.
        return Err(corrupt("rollup figure flag"));
    }
    let counts = read_counts(&mut r, flag, samples)?;
    let avg = floats(Column::decode(&mut r, n)?);
    let (min, max, last) = if flag & RESIDUALS == 0 {
        (floats(Column::decode(&mut r, n)?), floats(Column::decode(&mut r, n)?), floats(Column::decode(&mut r, n)?))
    } else {
        let e = i32::try_from(r.signed()?).map_err(|_| corrupt("rollup band exponent"))?;
        let centres: Vec<Option<i64>> = avg.iter().map(|a| a.map(|a| to_steps(a, e) as i64)).collect();
        // Each column's values in steps, added to those of `base`.
        let mut band = |base: &[Option<i64>]| -> Result<Vec<Option<i64>>> {
            let Column::Int(residuals) = Column::decode(&mut r, n)? else { return Err(corrupt("rollup residuals")) };
            Ok(residuals.iter().zip(base).map(|(d, b)| Some(b.as_ref()?.wrapping_add(*d.as_ref()?))).collect())
        };
        let min = band(&centres)?;
        let max = band(&centres)?;
        let last = band(if flag & LAST_FROM_MIN == 0 { &centres } else { &min })?;
        let values = |steps: Vec<Option<i64>>| steps.into_iter().map(|s| s.map(|s| from_steps(s, e))).collect();
        (values(min), values(max), values(last))
    };
    Ok((0..n)
        .map(|i| {
            let avg = avg.get(i).copied().flatten()?;
            let n = counts.get(i).copied().flatten().unwrap_or(1);
            Some(Stat {
                n,
                sum: avg * n as f64,
                min: min.get(i).copied().flatten().unwrap_or(avg),
                max: max.get(i).copied().flatten().unwrap_or(avg),
                last: last.get(i).copied().flatten().unwrap_or(avg),
            })
        })
        .collect())
}

/// What a derivation's terms say of a figure's stats in one bucket: (average, minimum, maximum,
/// last), `None` unless every term has its stats there.
fn predict(d: &Derivation, terms: &[Vec<Option<Stat>>], bucket: usize) -> Option<(f64, f64, f64, f64)> {
    let stats: Vec<(Stat, bool)> = d
        .terms
        .iter()
        .zip(terms)
        .map(|(&(_, minus), t)| Some((t.get(bucket).copied().flatten()?, minus)))
        .collect::<Option<_>>()?;
    let c = d.constant as f64;
    let sum = |pick: &dyn Fn(&Stat, bool) -> f64| {
        stats.iter().fold(c, |acc, (s, minus)| if *minus { acc - pick(s, true) } else { acc + pick(s, false) })
    };
    let p = (
        sum(&|s, _| s.avg()),
        sum(&|s, minus| if minus { s.max } else { s.min }),
        sum(&|s, minus| if minus { s.min } else { s.max }),
        sum(&|s, _| s.last),
    );
    [p.0, p.1, p.2, p.3].iter().all(|x| x.is_finite()).then_some(p)
}

/// A figure's stats as a [`DERIVED`] part, if every bucket with stats has its terms' and finite
/// values.
fn encode_derived(
    stats: &[Option<Stat>],
    samples: &[i64],
    d: &Derivation,
    terms: &[Vec<Option<Stat>>],
) -> Option<Vec<u8>> {
    let avg: Vec<Option<f64>> = stats.iter().map(|s| s.map(|s| s.avg())).collect();
    let avg_span = span(avg.iter().flatten().copied());
    let e_avg = float_exponent(avg.iter().flatten().copied(), Some((AVG_DIGITS, avg_span)));
    let band_values = || stats.iter().flatten().flat_map(|s| [s.min, s.max, s.last]);
    let e = float_exponent(band_values(), Some((BAND_DIGITS, span(band_values()))));
    let steps = |v: f64, e: i32| to_steps(v, e) as i64;
    let mut columns: [Vec<Option<i64>>; 4] = Default::default();
    for (b, s) in stats.iter().enumerate() {
        let row = match s {
            None => [None; 4],
            Some(s) => {
                if ![s.avg(), s.min, s.max, s.last].iter().all(|x| x.is_finite()) {
                    return None;
                }
                let (a, lo, hi, last) = predict(d, terms, b)?;
                [
                    Some(steps(s.avg(), e_avg).wrapping_sub(steps(a, e_avg))),
                    Some(steps(s.min, e).wrapping_sub(steps(lo, e))),
                    Some(steps(s.max, e).wrapping_sub(steps(hi, e))),
                    Some(steps(s.last, e).wrapping_sub(steps(last, e))),
                ]
            }
        };
        for (c, v) in columns.iter_mut().zip(row) {
            c.push(v);
        }
    }
    let mut w = Writer::default();
    write_counts(&mut w, DERIVED | RESIDUALS | LAST_FROM_MIN, stats, samples);
    w.signed(d.constant);
    w.len(d.terms.len());
    for &(j, minus) in &d.terms {
        w.len(j);
        w.byte(u8::from(minus));
    }
    let [avg, min, max, last] = columns;
    w.signed(i64::from(e_avg));
    Column::Int(avg).encode(&mut w);
    w.signed(i64::from(e));
    for c in [min, max, last] {
        Column::Int(c).encode(&mut w);
    }
    Some(w.buf)
}

/// Reads a [`DERIVED`] part; `term` decodes another figure's stats by index.
fn decode_derived(
    part: &[u8],
    samples: &[i64],
    term: impl Fn(usize) -> Result<Vec<Option<Stat>>>,
) -> Result<Vec<Option<Stat>>> {
    let n = samples.len();
    let mut r = Reader::new(part);
    let flag = r.byte()?;
    if flag & !(DERIVED | OWN_COUNTS | RESIDUALS | LAST_FROM_MIN) != 0 {
        return Err(corrupt("rollup figure flag"));
    }
    let counts = read_counts(&mut r, flag, samples)?;
    let constant = r.signed()?;
    let count = r.len()?;
    if count > MAX_TERMS {
        // Each term is a figure decoded again: a corrupt count must not make that endless.
        return Err(corrupt("rollup figure derived from too many others"));
    }
    let mut d = Derivation { constant, terms: Vec::with_capacity(count.min(16)) };
    let mut terms = Vec::with_capacity(count.min(16));
    for _ in 0..count {
        let j = r.len()?;
        d.terms.push((j, r.byte()? != 0));
        terms.push(term(j)?);
    }
    let exponent = |r: &mut Reader<'_>| i32::try_from(r.signed()?).map_err(|_| corrupt("rollup exponent"));
    let ints = |r: &mut Reader<'_>| match Column::decode(r, n)? {
        Column::Int(v) => Ok(v),
        Column::Float(_) => Err(corrupt("rollup derived steps")),
    };
    let e_avg = exponent(&mut r)?;
    let avg = ints(&mut r)?;
    let e = exponent(&mut r)?;
    let (min, max, last) = (ints(&mut r)?, ints(&mut r)?, ints(&mut r)?);
    let value =
        |res: Option<i64>, pred: f64, e: i32| res.map(|x| from_steps(x.wrapping_add(to_steps(pred, e) as i64), e));
    let mut out = Vec::with_capacity(n);
    for b in 0..n {
        let Some(a) = avg.get(b).copied().flatten() else {
            out.push(None);
            continue;
        };
        let (pa, lo, hi, pl) =
            predict(&d, &terms, b).ok_or_else(|| corrupt("rollup derived figure without its terms"))?;
        let avg = from_steps(a.wrapping_add(to_steps(pa, e_avg) as i64), e_avg);
        let n = counts.get(b).copied().flatten().unwrap_or(1);
        out.push(Some(Stat {
            n,
            sum: avg * n as f64,
            min: value(min.get(b).copied().flatten(), lo, e).unwrap_or(avg),
            max: value(max.get(b).copied().flatten(), hi, e).unwrap_or(avg),
            last: value(last.get(b).copied().flatten(), pl, e).unwrap_or(avg),
        }));
    }
    Ok(out)
}

/// Builds buckets of `width` ms, keyed by `(t - origin) / width`, from samples or buckets
/// given oldest first. A bucket's time is its key's start (`origin + key × width`), or with
/// `stamp_first` the time of the first sample or bucket in it (as history charts have it).
pub(crate) struct Builder {
    width: i64,
    origin: i64,
    stamp_first: bool,
    key: Option<i64>,
    index: HashMap<String, usize>,
    out: Rollup,
}

impl Builder {
    pub(crate) fn new(width: i64, origin: i64, stamp_first: bool) -> Self {
        Self { width: width.max(1), origin, stamp_first, key: None, index: HashMap::new(), out: Rollup::default() }
    }

    /// Opens the bucket of time `t` if it is not the current one; returns its index.
    fn at(&mut self, t: i64) -> usize {
        let key = (t - self.origin).div_euclid(self.width);
        if self.key != Some(key) {
            self.key = Some(key);
            self.out.starts.push(if self.stamp_first { t } else { self.origin + key * self.width });
            self.out.samples.push(0);
            for s in &mut self.out.stats {
                s.push(None);
            }
        }
        self.out.starts.len() - 1
    }

    fn figure(&mut self, name: &str, int: bool) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.out.names.len();
        self.index.insert(name.to_owned(), i);
        self.out.names.push((name.to_owned(), int));
        self.out.stats.push(vec![None; self.out.starts.len()]);
        i
    }

    fn put(&mut self, figure: usize, bucket: usize, stat: &Stat) {
        match &mut self.out.stats[figure][bucket] {
            Some(s) => s.merge(stat),
            slot => *slot = Some(*stat),
        }
    }

    /// Adds one sample at `t`: its figures as (name, integer figure, value); non-finite
    /// values and figures not [`kept_in_tiers`] are skipped.
    pub(crate) fn add_sample<'a>(&mut self, t: i64, figures: impl IntoIterator<Item = (&'a str, bool, f64)>) {
        let b = self.at(t);
        self.out.samples[b] += 1;
        for (name, int, v) in figures {
            if v.is_finite() && kept_in_tiers(name) {
                let f = self.figure(name, int);
                self.put(f, b, &Stat::one(v));
            }
        }
    }

    /// Adds bucket `i` of `from`.
    pub(crate) fn add_bucket(&mut self, from: &Rollup, i: usize) {
        let b = self.at(from.starts[i]);
        self.out.samples[b] += from.samples[i];
        for ((name, int), stats) in from.names.iter().zip(&from.stats) {
            if let Some(s) = &stats[i] {
                let f = self.figure(name, *int);
                self.put(f, b, s);
            }
        }
    }

    pub(crate) fn finish(self) -> Rollup {
        self.out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn samples(points: &[(i64, f64)], width: i64) -> Rollup {
        let mut b = Builder::new(width, 0, false);
        for &(t, v) in points {
            b.add_sample(t, [("x", false, v), ("n", true, v.round())]);
        }
        b.finish()
    }

    #[test]
    fn buckets_hidden_by_retention_are_not_read() {
        let body = samples(&[(0, 1.0), (300_000, 2.0), (600_000, 3.0)], 300_000).encode();
        assert_eq!(Rollup::decode_shown(&body, None, 0).unwrap().starts, vec![0, 300_000, 600_000]);
        let shown = Rollup::decode_shown(&body, None, 300_000).unwrap();
        assert_eq!(shown.starts, vec![300_000, 600_000]);
        let avg: Vec<f64> = shown.figure("x").unwrap().iter().flatten().map(Stat::avg).collect();
        assert_eq!(avg, vec![2.0, 3.0]);
    }

    #[test]
    fn a_bucket_keeps_count_average_extremes_and_last() {
        let r = samples(&[(0, 1.0), (60_000, 5.0), (120_000, 3.0), (300_000, 7.0)], 300_000);
        assert_eq!(r.starts, vec![0, 300_000]);
        assert_eq!(r.samples, vec![3, 1]);
        let x = r.figure("x").unwrap();
        assert_eq!(x[0], Some(Stat { n: 3, sum: 9.0, min: 1.0, max: 5.0, last: 3.0 }));
        assert_eq!(x[1], Some(Stat::one(7.0)));
    }

    #[test]
    fn coarser_tiers_equal_what_the_samples_would_give() {
        let points: Vec<(i64, f64)> = (0..180).map(|i| (i * 60_000, f64::from((i * 37 % 101) as u8))).collect();
        let five = samples(&points, 300_000);
        let hour_from_five = five.coarsen(3_600_000, 0);
        let hour_direct = samples(&points, 3_600_000);
        assert_eq!(hour_from_five.starts, hour_direct.starts);
        for (a, b) in hour_from_five.figure("x").unwrap().iter().zip(hour_direct.figure("x").unwrap()) {
            let (a, b) = (a.unwrap(), b.unwrap());
            assert_eq!((a.n, a.min, a.max, a.last), (b.n, b.min, b.max, b.last));
            assert!((a.avg() - b.avg()).abs() < 1e-9);
        }
    }

    #[test]
    fn chunks_round_trip_and_merge() {
        let r = samples(&[(0, 1.5), (60_000, 2.5), (300_000, 4.0)], 300_000);
        let back = Rollup::decode(&r.encode(), None).unwrap();
        assert_eq!(back, r);
        let only = Rollup::decode(&r.encode(), Some(&["n"])).unwrap();
        assert_eq!(only.names, vec![("n".to_owned(), true)]);
        let newer = samples(&[(300_000, 9.0), (600_000, 1.0)], 300_000);
        let merged = r.with(&newer);
        assert_eq!(merged.starts, vec![0, 300_000, 600_000]);
        assert_eq!(merged.figure("x").unwrap()[1], Some(Stat::one(9.0)), "the newer bucket wins");
        let mut kept = merged.clone();
        kept.retain(|s| s >= 300_000);
        assert_eq!(kept.starts, vec![300_000, 600_000]);
        assert_eq!(kept.figure("x").unwrap().len(), 2);
    }

    #[test]
    fn tiers_keep_series_and_history_figures_only() {
        let mut b = Builder::new(300_000, 0, false);
        b.add_sample(0, [("cpu.busy", false, 1.0), ("~cpu_percent", false, 2.0), ("~cpu3.user", false, 3.0)]);
        let r = b.finish();
        let names: Vec<&str> = r.names.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["cpu.busy", "~cpu_percent"]);
    }

    /// A chunk as written before [`RESIDUALS`]: minimums, maximums and last values as float
    /// columns of their own.
    fn encode_without_residuals(r: &Rollup) -> Vec<u8> {
        let mut w = Writer::default();
        w.len(r.len());
        Column::Int(r.starts.iter().map(|&s| Some(s)).collect()).encode(&mut w);
        Column::Int(r.samples.iter().map(|&s| Some(s)).collect()).encode(&mut w);
        let text: String = r.names.iter().map(|(n, int)| format!("{}{n}\n", if *int { 'i' } else { 'f' })).collect();
        w.bytes(&deflate(text.as_bytes()));
        for stats in &r.stats {
            let mut fw = Writer::default();
            fw.byte(0);
            let avg = Column::Float(stats.iter().map(|s| s.map(|s| s.avg())).collect());
            avg.encode_to_span(&mut fw, AVG_DIGITS, avg.span());
            let band = span(stats.iter().flatten().flat_map(|s| [s.min, s.max, s.last]));
            for pick in [|s: &Stat| s.min, |s: &Stat| s.max, |s: &Stat| s.last] {
                let c = Column::Float(stats.iter().map(|s| s.as_ref().map(pick)).collect());
                c.encode_to_span(&mut fw, BAND_DIGITS, band);
            }
            w.bytes(&fw.buf);
        }
        w.buf
    }

    #[test]
    fn chunks_written_before_residuals_read_the_same() {
        let r = samples(&[(0, 1.5), (60_000, 2.5), (300_000, 4.0), (360_000, 3.5)], 300_000);
        assert_eq!(Rollup::decode(&encode_without_residuals(&r), None).unwrap(), r);
    }

    /// Memory in use on a 64 GB host: its level wanders over the chunk (a random walk), but
    /// within a bucket it hardly moves, so its extremes and last values are a step or two
    /// away from the average.
    fn wandering_memory() -> Rollup {
        let mut level = 3.0e10;
        let mut seed: u64 = 42;
        let points: Vec<(i64, f64)> = (0..1440)
            .map(|i| {
                if i % 5 == 0 {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    level += ((seed >> 33) % 2001) as f64 * 1.0e6 - 1.0e9;
                }
                (i * 60_000, level + (i % 3) as f64 * 1.0e5)
            })
            .collect();
        samples(&points, 300_000)
    }

    #[test]
    fn extremes_near_the_average_cost_almost_nothing() {
        let r = wandering_memory();
        let body = r.encode();
        let back = Rollup::decode(&body, None).unwrap();
        let (stats, got) = (r.figure("x").unwrap(), back.figure("x").unwrap());
        // Within a step of 3 digits of the band's span.
        let band = stats.iter().flatten().map(|s| s.max).fold(f64::MIN, f64::max)
            - stats.iter().flatten().map(|s| s.min).fold(f64::MAX, f64::min);
        let step = 10f64.powi(band.log10().floor() as i32 - BAND_DIGITS + 1);
        for (a, b) in stats.iter().zip(got) {
            let (a, b) = (a.unwrap(), b.unwrap());
            assert_eq!(a.n, b.n);
            for (x, y) in [(a.min, b.min), (a.max, b.max), (a.last, b.last)] {
                assert!((x - y).abs() <= step, "{x} came back as {y} (step {step})");
            }
            assert!(b.min <= b.avg() + step && b.avg() <= b.max + step);
        }
        let before = encode_without_residuals(&r).len();
        assert!(body.len() * 2 < before, "{} bytes with residuals, {before} without", body.len());
    }

    /// A disk's writes per second at 1-minute samples: a low base with a burst now and then
    /// (a flush), so a bucket's average is pulled up by its bursts and its last value is most
    /// often near its minimum, as with the network and disk rates that fill most of a chunk.
    fn bursty_rate() -> Rollup {
        let mut seed: u64 = 7;
        let points: Vec<(i64, f64)> = (0..1440)
            .map(|i| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let r = seed >> 33;
                let burst = if r.is_multiple_of(4) { 400.0 + (r % 997) as f64 } else { 0.0 };
                (i * 60_000, 20.0 + (r % 50) as f64 / 10.0 + burst)
            })
            .collect();
        samples(&points, 300_000)
    }

    #[test]
    fn last_values_above_the_minimum_read_the_same_and_cost_less() {
        for r in [bursty_rate(), wandering_memory()] {
            let (now, before) = (r.encode(), r.encode_with(false));
            assert_eq!(Rollup::decode(&now, None).unwrap(), Rollup::decode(&before, None).unwrap());
        }
        let r = bursty_rate();
        let (now, before) = (r.encode().len(), r.encode_with(false).len());
        assert!(now < before, "{now} B with last values above the minimum, {before} B from the average");
    }

    #[test]
    fn a_figure_equal_to_an_earlier_one_is_stored_once() {
        let points: Vec<(i64, f64)> = (0..600).map(|i| (i * 60_000, f64::from((i * 37 % 101) as u8))).collect();
        let mut b = Builder::new(300_000, 0, false);
        for &(t, v) in &points {
            b.add_sample(t, [("cpu.busy", false, v), ("~cpu_percent", false, v), ("cpu.idle", false, 100.0 - v)]);
        }
        let r = b.finish();
        let body = r.encode();
        assert_eq!(Rollup::decode(&body, None).unwrap(), r);
        let only = Rollup::decode(&body, Some(&["~cpu_percent"])).unwrap();
        assert_eq!(only.figure("~cpu_percent"), r.figure("cpu.busy"), "read alone, through the one it repeats");
        let mut apart = r.clone();
        apart.stats[1][0] = Some(Stat::one(-1.0));
        assert!(
            body.len() + 100 < apart.encode().len(),
            "{} bytes, {} when they differ",
            body.len(),
            apart.encode().len()
        );
    }

    /// A CPU's shares over a day at 1-minute samples, from tick counts as the collector
    /// computes them, under `prefix`; `iowait` missing from some samples if `gaps`.
    fn cpu_shares(prefix: &str, gaps: bool) -> Rollup {
        let mut x: u64 = 5;
        let mut next = move |hi: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % hi
        };
        let mut b = Builder::new(300_000, 0, false);
        let mut level = 1500u64;
        for i in 0..1440i64 {
            level = (level + next(200)).saturating_sub(100).clamp(100, 5000);
            let user = level * 7 / 10 + next(50);
            let d = [user, next(5), level / 5 + next(40), 6000 - level, next(30), 0, next(60), 0];
            let total = d.iter().sum::<u64>() as f64;
            let share = |k: usize| d[k] as f64 / total * 100.0;
            let busy = (100.0 - share(3) - share(4)).clamp(0.0, 100.0);
            let fields = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"];
            let names: Vec<String> = fields.iter().map(|f| format!("{prefix}.{f}")).collect();
            let busy_name = format!("{prefix}.busy");
            let figures = names
                .iter()
                .enumerate()
                .filter(|(k, _)| !(gaps && *k == 4 && i % 100 == 7))
                .map(|(k, n)| (n.as_str(), false, share(k)))
                .chain([(busy_name.as_str(), false, busy)]);
            b.add_sample(i * 60_000, figures.collect::<Vec<_>>());
        }
        b.finish()
    }

    #[test]
    fn idle_and_user_stats_are_stored_as_what_the_other_shares_do_not_say() {
        for gaps in [false, true] {
            let cpu = cpu_shares("cpu", gaps);
            let gpu = cpu_shares("gpu", gaps);
            let (derived, plain) = (cpu.encode(), gpu.encode());
            let (got, want) = (Rollup::decode(&derived, None).unwrap(), Rollup::decode(&plain, None).unwrap());
            for ((name, _), stats) in want.names.iter().zip(&want.stats) {
                let same = got.figure(&name.replace("gpu", "cpu"));
                assert_eq!(same, Some(stats.as_slice()), "gaps {gaps}, {name}: the same stats, step for step");
            }
            let idle = Rollup::decode(&derived, Some(&["cpu.idle"])).unwrap();
            assert_eq!(idle.figure("cpu.idle"), want.figure("gpu.idle"), "read alone, through its terms");
            if !gaps {
                assert!(derived.len() + 300 < plain.len(), "{} B derived, {} B plain", derived.len(), plain.len());
            }
        }
    }

    #[test]
    fn a_derived_figure_that_refers_to_itself_or_a_derived_one_is_an_error() {
        let body = cpu_shares("cpu", false).encode();
        let chunk = Rollup::decode(&body, None).unwrap();
        let idle = chunk.names.iter().position(|(n, _)| n == "cpu.idle").unwrap();
        let user = chunk.names.iter().position(|(n, _)| n == "cpu.user").unwrap();
        // Take the parts apart and point idle's first term at idle itself, then at user.
        let mut r = Reader::new(&body);
        let n = r.len().unwrap();
        let (starts, samples) = (Column::decode(&mut r, n).unwrap(), Column::decode(&mut r, n).unwrap());
        let names = r.bytes().unwrap().to_vec();
        let parts: Vec<Vec<u8>> = chunk.names.iter().map(|_| r.bytes().unwrap().to_vec()).collect();
        assert_eq!(parts[idle][0] & DERIVED, DERIVED, "idle is written derived");
        for bad_term in [idle, user, 99] {
            let mut p = Reader::new(&parts[idle]);
            p.byte().unwrap();
            p.signed().unwrap();
            p.len().unwrap();
            let at = parts[idle].len() - p.remaining();
            let mut part = parts[idle][..at].to_vec();
            let mut w = Writer::default();
            w.len(bad_term);
            part.extend_from_slice(&w.buf);
            p.len().unwrap();
            part.extend_from_slice(&parts[idle][parts[idle].len() - p.remaining()..]);
            let mut w = Writer::default();
            w.len(n);
            starts.encode(&mut w);
            samples.encode(&mut w);
            w.bytes(&names);
            for (i, original) in parts.iter().enumerate() {
                w.bytes(if i == idle { &part } else { original });
            }
            assert!(Rollup::decode(&w.buf, Some(&["cpu.idle"])).is_err(), "term {bad_term}");
        }
    }

    #[test]
    fn a_figure_missing_from_some_samples_keeps_its_own_counts() {
        let mut b = Builder::new(300_000, 0, false);
        b.add_sample(0, [("a", false, 1.0), ("b", false, 2.0)]);
        b.add_sample(1, [("a", false, 3.0)]);
        let r = b.finish();
        let back = Rollup::decode(&r.encode(), None).unwrap();
        assert_eq!(back.figure("b").unwrap()[0].unwrap().n, 1);
        assert_eq!(back.figure("a").unwrap()[0].unwrap().n, 2);
    }
}
