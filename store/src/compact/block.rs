//! A block: a server's closed window of frames, packed column by column.
//!
//! Two blobs. `figures`: the frames' times and facts ids, the names of the figures found in the
//! window (deflated), then one [`Column`] per name, each length-prefixed so that one series can
//! be read without decoding the others (a column equal to an earlier one is that one's index;
//! a CPU's shares computed from ticks are those ticks: [`super::ticks`]; a CPU share the others
//! imply is its difference from them: [`super::derived`]).
//! `lists`: the users and the top-process lists of every frame ([`super::lists`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::bytes::{FNV_OFFSET, Reader, Writer, corrupt, deflate, fnv_step, inflate};
use super::column::{Column, float_exponent};
use super::cycle::{Changing, Figure, Name, Value};
use super::derived::{Derivation, derivations};
use super::quantize::{from_steps, to_steps};
use super::ticks::{IDLE, IOWAIT, TickGroup, tick_columns, tick_groups};
use crate::error::Result;

const MAX_BLOB: u64 = 256 << 20;

/// One frame going into a block.
#[derive(Debug, Clone)]
pub(crate) struct BlockFrame {
    pub(crate) ts_ms: i64,
    pub(crate) facts_id: i64,
    pub(crate) changing: Changing,
}

/// The two blobs of a block.
#[derive(Debug, Clone)]
pub(crate) struct Packed {
    pub(crate) figures: Vec<u8>,
    pub(crate) lists: Vec<u8>,
}

/// How hard packing a block works for its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effort {
    /// Compaction, inside a cycle's write: columns without `pco` (whose search for a delta
    /// encoding was half of a block's packing time), lists deflated at the fastest level. Such
    /// a block lives hours: sealing packs its span again, with [`Effort::Small`].
    Quick,
    /// Sealing and retention: the smallest of every encoding.
    Small,
}

pub(crate) fn pack(frames: &[BlockFrame], effort: Effort) -> Packed {
    Packed { figures: pack_figures(frames, effort), lists: super::lists::pack(frames, effort) }
}

fn pack_figures(frames: &[BlockFrame], effort: Effort) -> Vec<u8> {
    let n = frames.len();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<(&str, bool)> = Vec::new();
    let mut columns: Vec<Column> = Vec::new();
    // Each figure's column in the frame before; frames of the same facts share their names
    // (the same `Arc`s), so a frame like the one before reuses its map instead of hashing every
    // name again.
    let mut map: Vec<usize> = Vec::new();
    let mut before: &[Figure] = &[];
    for (row, f) in frames.iter().enumerate() {
        let figures = f.changing.figures.as_slice();
        let same = figures.len() == before.len()
            && figures.iter().zip(before).all(|(a, b)| std::sync::Arc::ptr_eq(&a.name, &b.name));
        if !same {
            map.clear();
            for fig in figures {
                let c = *index.entry(&*fig.name).or_insert_with(|| {
                    let float = matches!(fig.value, Value::F(_));
                    names.push((&*fig.name, float));
                    columns.push(if float { Column::Float(vec![None; n]) } else { Column::Int(vec![None; n]) });
                    columns.len() - 1
                });
                map.push(c);
            }
            before = figures;
        }
        for (fig, &c) in figures.iter().zip(&map) {
            match (&mut columns[c], fig.value) {
                (Column::Int(v), Value::I(x)) => v[row] = x,
                (Column::Int(v), Value::F(x)) => v[row] = x.map(|x| x as i64),
                (Column::Float(v), Value::F(x)) => v[row] = x,
                (Column::Float(v), Value::I(x)) => v[row] = x.map(|x| x as f64),
            }
        }
    }
    let mut w = Writer::default();
    w.len(n);
    Column::Int(frames.iter().map(|f| Some(f.ts_ms)).collect()).encode(&mut w);
    Column::Int(frames.iter().map(|f| Some(f.facts_id)).collect()).encode(&mut w);
    let name_text: String =
        names.iter().map(|(name, float)| format!("{}{name}\n", if *float { 'f' } else { 'i' })).collect();
    w.bytes(&deflate(name_text.as_bytes()));
    // CPU shares that are ratios of ticks, written as their ticks (and `busy` as nothing).
    let mut ticked: HashMap<usize, Vec<u8>> = HashMap::new();
    for g in tick_groups(&names) {
        ticked.extend(tick_parts(&columns, &g, effort).unwrap_or_default());
    }
    // CPU shares the others imply: each such column is written derived or plain, never as the
    // repeat of another (nor another as its repeat), so a derivation's terms are plain columns.
    let derived: HashMap<usize, Derivation> = derivations(&names)
        .into_iter()
        .filter(|(i, d)| !ticked.contains_key(i) && d.terms.iter().all(|(j, _)| !ticked.contains_key(j)))
        .collect();
    let terms: std::collections::HashSet<usize> =
        derived.values().flat_map(|d| d.terms.iter().map(|&(j, _)| j)).collect();
    let quantized: HashMap<usize, Column> = terms.iter().map(|&j| (j, columns[j].quantized())).collect();
    // Columns by a hash of their values: only those with the same hash are compared.
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, c) in columns.iter().enumerate() {
        let mut cw = Writer::default();
        if let Some(part) = ticked.get(&i) {
            // Its values come back exactly: a later equal column may repeat it.
            seen.entry(fingerprint(c)).or_default().push(i);
            w.bytes(part);
            continue;
        }
        if let Some(d) = derived.get(&i) {
            c.encode_with(&mut cw, effort);
            if let Some(part) = derive(c, d, &quantized, effort)
                && part.len() < cw.buf.len()
            {
                cw.buf = part;
            }
            w.bytes(&cw.buf);
            continue;
        }
        let same = seen.entry(fingerprint(c)).or_default();
        // A derivation's term is written whole: were it the repeat of a column read back
        // exactly (a share from its ticks), it would not read back as `quantized` has it.
        let earlier = if terms.contains(&i) { None } else { same.iter().copied().find(|&j| columns[j] == *c) };
        if earlier.is_none() {
            same.push(i);
        }
        match earlier {
            // The same readings under two names (a headline figure and its series, such as
            // `~cpu_percent` and `cpu.busy`): stored once.
            Some(j) => {
                cw.byte(SAME_AS);
                cw.len(j);
            }
            None => c.encode_with(&mut cw, effort),
        }
        w.bytes(&cw.buf);
    }
    w.buf
}

/// A CPU's share columns as [`TICKS`] parts and its `busy` as a [`BUSY`] one, by column index,
/// if every row's shares are ratios of ticks ([`super::ticks`]); `busy` is left out (written as
/// any other column) unless every row of it is what `idle` and `iowait` give.
fn tick_parts(columns: &[Column], g: &TickGroup, effort: Effort) -> Option<Vec<(usize, Vec<u8>)>> {
    let floats: Vec<&[Option<f64>]> = g
        .members
        .iter()
        .map(|&j| match &columns[j] {
            Column::Float(v) => Some(v.as_slice()),
            Column::Int(_) => None,
        })
        .collect::<Option<_>>()?;
    let rows = floats.first().map_or(0, |v| v.len());
    let mut shares: Vec<Option<[f64; 8]>> = Vec::with_capacity(rows);
    for row in 0..rows {
        let values: Vec<Option<f64>> = floats.iter().map(|v| v[row].filter(|x| x.is_finite())).collect();
        if values.iter().all(Option::is_none) {
            shares.push(None);
        } else {
            let all: Vec<f64> = values.into_iter().collect::<Option<_>>()?;
            shares.push(Some(<[f64; 8]>::try_from(all).ok()?));
        }
    }
    let (totals, ticks) = tick_columns(&shares)?;
    let mut out = Vec::with_capacity(9);
    for (role, &i) in g.members.iter().enumerate() {
        let mut w = Writer::default();
        w.byte(TICKS);
        w.byte(role as u8);
        for &j in &g.members {
            w.len(j);
        }
        let column = if role == IDLE { &totals } else { &ticks[role] };
        Column::Int(column.clone()).encode_with(&mut w, effort);
        out.push((i, w.buf));
    }
    if let Some(b) = g.busy
        && let Column::Float(v) = &columns[b]
    {
        let implied = shares.iter().map(|s| s.map(|s| super::ticks::busy(s[IDLE], s[IOWAIT]).to_bits()));
        if v.iter().map(|x| x.filter(|x| x.is_finite()).map(f64::to_bits)).eq(implied) {
            let mut w = Writer::default();
            w.byte(BUSY);
            w.len(g.members[IDLE]);
            w.len(g.members[IOWAIT]);
            out.push((b, w.buf));
        }
    }
    Some(out)
}

/// Column `c` as a [`DERIVED`] part: its steps' differences from what `d`'s terms (as read back:
/// `quantized`) say, `None` where a row of `c` has a value and a term has none.
fn derive(c: &Column, d: &Derivation, quantized: &HashMap<usize, Column>, effort: Effort) -> Option<Vec<u8>> {
    let Column::Float(values) = c else { return None };
    let e = float_exponent(values.iter().flatten().copied(), None);
    let term = |j: usize, row: usize| match quantized.get(&j)? {
        Column::Float(v) => v[row],
        Column::Int(v) => v[row].map(|x| x as f64),
    };
    let mut residuals = Vec::with_capacity(values.len());
    for (row, v) in values.iter().enumerate() {
        residuals.push(match v.filter(|x| x.is_finite()) {
            None => None,
            Some(v) => {
                let predicted = d.predict(|j| term(j, row))?;
                Some((to_steps(v, e) as i64).wrapping_sub(to_steps(predicted, e) as i64))
            }
        });
    }
    let mut w = Writer::default();
    w.byte(DERIVED);
    w.signed(d.constant);
    w.len(d.terms.len());
    for &(j, minus) in &d.terms {
        w.len(j);
        w.byte(u8::from(minus));
    }
    w.signed(i64::from(e));
    Column::Int(residuals).encode_with(&mut w, effort);
    Some(w.buf)
}

/// A hash of a column's kind and values (FNV-1a over their bits): equal columns hash the same.
fn fingerprint(c: &Column) -> u64 {
    let mut h = FNV_OFFSET;
    let mut add = |x: u64| h = fnv_step(h, x);
    match c {
        Column::Int(v) => {
            add(1);
            v.iter().for_each(|x| add(x.map_or(u64::MAX, |x| x as u64 ^ 0x5555)));
        }
        Column::Float(v) => {
            add(2);
            v.iter().for_each(|x| add(x.map_or(u64::MAX, f64::to_bits)));
        }
    }
    h
}

/// A column part that holds no column but the index of an earlier, equal one (a tag no
/// [`Column`] starts with).
const SAME_AS: u8 = 3;

/// A column part that holds a float column as the integer differences of its steps from the
/// sum of other columns ([`super::derived`]): the constant, the terms (index, whether
/// subtracted), the step exponent, then the differences as an integer [`Column`] (missing
/// where the column's value is). Another tag no [`Column`] starts with.
const DERIVED: u8 = 7;

/// A column part that holds a CPU's share as its tick counts ([`super::ticks`]): its place in
/// [`super::ticks::FIELDS`], the indices of the CPU's eight share columns, then an integer
/// [`Column`]: the share's ticks, or for `idle` the interval's total ticks (`idle`'s are the
/// total less the others'). Another tag no [`Column`] starts with.
const TICKS: u8 = 11;

/// A column part that holds a CPU's `busy` as nothing but the indices of its `idle` and
/// `iowait` columns, both [`TICKS`] parts: `100 − idle − iowait`, as the collector computes it.
const BUSY: u8 = 15;

/// The figures blob of a block, opened: times, facts ids and names decoded, columns on demand.
pub(crate) struct Figures<'a> {
    pub(crate) ts: Vec<i64>,
    pub(crate) facts: Vec<i64>,
    names: Vec<Name>,
    raw: Vec<&'a [u8]>,
    /// Each [`TICKS`] part once decoded: reading a CPU's shares needs its totals for every
    /// share and every share's ticks for `idle` (and `busy`), each decoded once per block.
    ticks: Vec<OnceLock<TickPart>>,
}

/// A [`TICKS`] part's header and integer column: its role, the group's columns, its ticks (or
/// for `idle`, the totals).
type TickPart = (usize, Vec<usize>, Vec<Option<i64>>);

impl<'a> Figures<'a> {
    pub(crate) fn open(blob: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(blob);
        let n = r.len()?;
        let ints = |c: Column| match c {
            Column::Int(v) => Ok(v.into_iter().map(|x| x.unwrap_or(0)).collect::<Vec<i64>>()),
            Column::Float(_) => Err(corrupt("block times")),
        };
        let ts = ints(Column::decode(&mut r, n)?)?;
        let facts = ints(Column::decode(&mut r, n)?)?;
        let text = inflate(r.bytes()?, MAX_BLOB)?;
        let text = String::from_utf8(text).map_err(|_| corrupt("block names"))?;
        let names: Vec<Name> = text.lines().map(|l| Name::from(l.get(1..).unwrap_or_default())).collect();
        let raw = (0..names.len()).map(|_| r.bytes()).collect::<Result<Vec<_>>>()?;
        let ticks = (0..raw.len()).map(|_| OnceLock::new()).collect();
        Ok(Self { ts, facts, names, raw, ticks })
    }

    pub(crate) fn rows(&self) -> usize {
        self.ts.len()
    }

    /// The column of figure `name`, if the block has it.
    pub(crate) fn column(&self, name: &str) -> Result<Option<Column>> {
        let Some(i) = self.names.iter().position(|n| &**n == name) else { return Ok(None) };
        Ok(Some(self.decode(i)?))
    }

    /// Column `i`, read through a [`SAME_AS`] part to the column it repeats, or from the terms
    /// of a [`DERIVED`] one.
    fn decode(&self, i: usize) -> Result<Column> {
        self.decode_part(i, true)
    }

    /// Column `i`; `derived`: whether it may be a [`DERIVED`] part (a term may not).
    fn decode_part(&self, i: usize, derived: bool) -> Result<Column> {
        let mut r = Reader::new(self.raw[i]);
        match self.raw[i].first() {
            Some(&SAME_AS) => {
                r.byte()?;
                let j = r.len()?;
                if j >= i {
                    return Err(corrupt("block column repeats a later one"));
                }
                self.decode_part(j, derived)
            }
            Some(&DERIVED) if derived => {
                r.byte()?;
                let constant = r.signed()?;
                let n = r.len()?;
                let mut terms = Vec::with_capacity(n.min(16));
                for _ in 0..n {
                    let j = r.len()?;
                    if j >= self.raw.len() {
                        return Err(corrupt("block column derived from a missing one"));
                    }
                    terms.push((j, r.byte()? != 0));
                }
                let e = i32::try_from(r.signed()?).map_err(|_| corrupt("derived column exponent"))?;
                let Column::Int(residuals) = Column::decode(&mut r, self.rows())? else {
                    return Err(corrupt("derived column"));
                };
                let d = Derivation { constant, terms };
                let cols: HashMap<usize, Column> =
                    d.terms.iter().map(|&(j, _)| Ok((j, self.decode_part(j, false)?))).collect::<Result<_>>()?;
                let term = |j: usize, row: usize| match cols.get(&j) {
                    Some(Column::Float(v)) => v.get(row).copied().flatten(),
                    Some(Column::Int(v)) => v.get(row).copied().flatten().map(|x| x as f64),
                    None => None,
                };
                let mut out = Vec::with_capacity(residuals.len());
                for (row, r) in residuals.into_iter().enumerate() {
                    out.push(match r {
                        None => None,
                        Some(r) => {
                            let predicted = d
                                .predict(|j| term(j, row))
                                .ok_or_else(|| corrupt("derived column without its terms"))?;
                            Some(from_steps(r.wrapping_add(to_steps(predicted, e) as i64), e))
                        }
                    });
                }
                Ok(Column::Float(out))
            }
            Some(&DERIVED) => Err(corrupt("block column derived from a derived one")),
            Some(&TICKS) => self.ticked(i),
            Some(&BUSY) => {
                r.byte()?;
                let (idle, iowait) = (r.len()?, r.len()?);
                if self.raw.get(idle).and_then(|p| p.first()) != Some(&TICKS)
                    || self.raw.get(iowait).and_then(|p| p.first()) != Some(&TICKS)
                {
                    return Err(corrupt("block busy column without its shares"));
                }
                let (Column::Float(idle), Column::Float(iowait)) = (self.ticked(idle)?, self.ticked(iowait)?) else {
                    return Err(corrupt("block busy column"));
                };
                Ok(Column::Float(
                    idle.iter().zip(&iowait).map(|(a, b)| Some(super::ticks::busy((*a)?, (*b)?))).collect(),
                ))
            }
            _ => Column::decode(&mut r, self.rows()),
        }
    }

    /// A [`TICKS`] part, decoded the first time it is asked for.
    fn tick_part(&self, i: usize) -> Result<&TickPart> {
        let cell = self.ticks.get(i).ok_or_else(|| corrupt("block share of a missing column"))?;
        if let Some(p) = cell.get() {
            return Ok(p);
        }
        let p = self.read_tick_part(i)?;
        Ok(cell.get_or_init(|| p))
    }

    fn read_tick_part(&self, i: usize) -> Result<TickPart> {
        let part = self.raw.get(i).ok_or_else(|| corrupt("block share of a missing column"))?;
        let mut r = Reader::new(part);
        if r.byte()? != TICKS {
            return Err(corrupt("block share without its ticks"));
        }
        let role = usize::from(r.byte()?);
        let members = (0..8).map(|_| r.len()).collect::<Result<Vec<usize>>>()?;
        if members.get(role) != Some(&i) {
            return Err(corrupt("block share in the wrong place"));
        }
        let Column::Int(v) = Column::decode(&mut r, self.rows())? else { return Err(corrupt("block ticks")) };
        Ok((role, members, v))
    }

    /// Column `i`, a [`TICKS`] part: each row's share from its ticks and the total.
    fn ticked(&self, i: usize) -> Result<Column> {
        let (role, members, own) = self.tick_part(i)?;
        let (role, own) = (*role, own.as_slice());
        let mut others = Vec::with_capacity(8);
        for (k, &j) in members.iter().enumerate() {
            if k == role || (role != IDLE && k != IDLE) {
                continue;
            }
            let (their_role, their_members, v) = self.tick_part(j)?;
            if *their_role != k || their_members != members {
                return Err(corrupt("block shares of two CPUs mixed"));
            }
            others.push(v.as_slice());
        }
        let count = |x: Option<i64>| x.map(|x| u64::try_from(x).map_err(|_| corrupt("negative ticks"))).transpose();
        let mut out = Vec::with_capacity(self.rows());
        for row in 0..self.rows() {
            let at = |v: &[Option<i64>]| v.get(row).copied().flatten();
            let value = if role == IDLE {
                let Some(total) = count(at(own))? else {
                    out.push(None);
                    continue;
                };
                let mut rest = total;
                for v in &others {
                    let t = count(at(v))?.ok_or_else(|| corrupt("block ticks missing"))?;
                    rest = rest.checked_sub(t).ok_or_else(|| corrupt("block ticks above their total"))?;
                }
                (total > 0).then(|| super::ticks::share(rest, total))
            } else {
                match (count(at(own))?, count(others.first().and_then(|v| at(v)))?) {
                    (Some(t), Some(total)) if total > 0 && t <= total => Some(super::ticks::share(t, total)),
                    (None, None) => None,
                    _ => return Err(corrupt("block ticks do not match their total")),
                }
            };
            out.push(value);
        }
        Ok(Column::Float(out))
    }

    /// Every column, by name.
    pub(crate) fn all(&self) -> Result<HashMap<Name, Column>> {
        Ok(self.in_order()?.into_iter().collect())
    }

    /// Every column, in the block's order of names.
    pub(crate) fn in_order(&self) -> Result<Vec<(Name, Column)>> {
        self.names.iter().enumerate().map(|(i, name)| Ok((name.clone(), self.decode(i)?))).collect()
    }
}

/// Row `row` of a column as a figure value.
pub(crate) fn value_at(c: &Column, row: usize) -> Value {
    match c {
        Column::Int(v) => Value::I(v.get(row).copied().flatten()),
        Column::Float(v) => Value::F(v.get(row).copied().flatten()),
    }
}
