//! A block: a server's closed window of frames, packed column by column.
//!
//! Two blobs. `figures`: the frames' times and facts ids, the names of the figures found in the
//! window (deflated), then one [`Column`] per name, each length-prefixed so that one series can
//! be read without decoding the others (a column equal to an earlier one is that one's index).
//! `lists`: the users and the top-process lists of every frame as columns (texts through one
//! dictionary; shares of CPU and memory to hundredths of a percent), the whole deflated, which
//! catches the lists' repetition from one cycle to the next.

use std::collections::HashMap;

use fleetwatch_common::ProcessInfo;

use super::bytes::{FNV_OFFSET, Reader, Writer, corrupt, deflate, deflate_fast, fnv_step, inflate};
use super::column::Column;
use super::cycle::{Changing, Figure, Name, Value};
use crate::error::Result;
use crate::types::UserUsage;

const MAX_BLOB: u64 = 256 << 20;
/// Frames a block may claim to hold (a corrupt count cannot exhaust memory).
const MAX_FRAMES: usize = 1 << 20;

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
    Packed { figures: pack_figures(frames, effort), lists: pack_lists(frames, effort) }
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
    // Columns by a hash of their values: only those with the same hash are compared.
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, c) in columns.iter().enumerate() {
        let mut cw = Writer::default();
        let same = seen.entry(fingerprint(c)).or_default();
        let earlier = same.iter().copied().find(|&j| columns[j] == *c);
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

/// The figures blob of a block, opened: times, facts ids and names decoded, columns on demand.
pub(crate) struct Figures<'a> {
    pub(crate) ts: Vec<i64>,
    pub(crate) facts: Vec<i64>,
    names: Vec<Name>,
    raw: Vec<&'a [u8]>,
}

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
        Ok(Self { ts, facts, names, raw })
    }

    pub(crate) fn rows(&self) -> usize {
        self.ts.len()
    }

    /// The column of figure `name`, if the block has it.
    pub(crate) fn column(&self, name: &str) -> Result<Option<Column>> {
        let Some(i) = self.names.iter().position(|n| &**n == name) else { return Ok(None) };
        Ok(Some(self.decode(i)?))
    }

    /// Column `i`, read through a [`SAME_AS`] part to the column it repeats.
    fn decode(&self, i: usize) -> Result<Column> {
        let mut r = Reader::new(self.raw[i]);
        if self.raw[i].first() == Some(&SAME_AS) {
            r.byte()?;
            let j = r.len()?;
            if j >= i {
                return Err(corrupt("block column repeats a later one"));
            }
            r = Reader::new(self.raw[j]);
        }
        Column::decode(&mut r, self.rows())
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

/// Texts as indices into one dictionary per block.
#[derive(Default)]
struct Dictionary {
    index: HashMap<String, i64>,
    words: Vec<String>,
}

impl Dictionary {
    fn id(&mut self, s: &str) -> Option<i64> {
        if let Some(&i) = self.index.get(s) {
            return Some(i);
        }
        let i = self.words.len() as i64;
        self.index.insert(s.to_owned(), i);
        self.words.push(s.to_owned());
        Some(i)
    }
}

/// A share of CPU or memory in a list (a user's, a top process's), in percent, kept to
/// hundredths: finer than `ps` shows them (tenths) and than one clock tick (10 ms) over a
/// minute's cycle (0.017 %). The 7 digits other floats keep would store the division's noise:
/// it was a third of the lists' bytes.
fn share(x: f64) -> f64 {
    if x.is_finite() { (x * 100.0).round() / 100.0 } else { x }
}

fn pack_lists(frames: &[BlockFrame], effort: Effort) -> Vec<u8> {
    let mut dict = Dictionary::default();
    let mut w = Writer::default();
    // Users one after the other, each over the window (a user's figures change little from one
    // cycle to the next, so the columns' deltas are small); their order within a sample is not
    // kept: they come back by name.
    let mut users: Vec<(usize, &UserUsage)> =
        frames.iter().enumerate().flat_map(|(i, f)| f.changing.users.iter().map(move |u| (i, u))).collect();
    users.sort_by(|a, b| a.1.username.cmp(&b.1.username).then(a.0.cmp(&b.0)));
    let int = |v: Vec<Option<i64>>| Column::Int(v);
    let float = |v: Vec<Option<f64>>| Column::Float(v);
    let mut columns = vec![
        int(users.iter().map(|(i, _)| Some(*i as i64)).collect()),
        int(users.iter().map(|(_, u)| dict.id(&u.username)).collect()),
        float(users.iter().map(|(_, u)| Some(share(u.cpu))).collect()),
        float(users.iter().map(|(_, u)| Some(share(u.mem))).collect()),
        int(users.iter().map(|(_, u)| Some(u.rss_bytes)).collect()),
        int(users.iter().map(|(_, u)| Some(u.process_count)).collect()),
        int(users.iter().map(|(_, u)| dict.id(&u.top_process)).collect()),
        float(users.iter().map(|(_, u)| u.disk_bytes).collect()),
    ];
    // Top processes rank by rank, each rank over the window: the same processes tend to hold
    // the same ranks (the largest by memory above all), so the columns repeat.
    let mut procs: Vec<(i64, usize, usize, &ProcessInfo)> = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        for (list, ps) in [(0, &f.changing.by_cpu), (1, &f.changing.by_memory)] {
            procs.extend(ps.iter().enumerate().map(|(rank, p)| (list, rank, i, p)));
        }
    }
    procs.sort_by_key(|&(list, rank, frame, _)| (list, rank, frame));
    columns.extend([
        int(procs.iter().map(|p| Some(p.0)).collect()),
        int(procs.iter().map(|p| Some(p.2 as i64)).collect()),
        int(procs.iter().map(|p| Some(p.3.pid)).collect()),
        int(procs.iter().map(|p| dict.id(&p.3.user)).collect()),
        int(procs.iter().map(|p| dict.id(&p.3.command)).collect()),
        float(procs.iter().map(|p| Some(share(p.3.cpu_percent))).collect()),
        int(procs.iter().map(|p| Some(p.3.rss_bytes)).collect()),
        float(procs.iter().map(|p| Some(share(p.3.mem_percent))).collect()),
        int(procs.iter().map(|p| Some(p.3.threads)).collect()),
        int(procs.iter().map(|p| p.3.open_fds).collect()),
    ]);
    w.len(frames.len());
    w.len(dict.words.len());
    for word in &dict.words {
        w.text(word);
    }
    for c in &columns {
        w.len(c.len());
        c.encode_with(&mut w, effort);
    }
    match effort {
        Effort::Quick => deflate_fast(&w.buf),
        Effort::Small => deflate(&w.buf),
    }
}

/// Each frame's users and top-process lists (by CPU, by memory), in block order.
pub(crate) type Lists = Vec<(Vec<UserUsage>, Vec<ProcessInfo>, Vec<ProcessInfo>)>;

pub(crate) fn unpack_lists(blob: &[u8]) -> Result<Lists> {
    let raw = inflate(blob, MAX_BLOB)?;
    let mut r = Reader::new(&raw);
    let frames = r.len()?;
    let words = (0..r.len()?).map(|_| r.text()).collect::<Result<Vec<_>>>()?;
    let mut next = || -> Result<Column> {
        let n = r.len()?;
        Column::decode(&mut r, n)
    };
    let ints = |c: Column| -> Vec<Option<i64>> {
        match c {
            Column::Int(v) => v,
            Column::Float(v) => v.into_iter().map(|x| x.map(|x| x as i64)).collect(),
        }
    };
    let floats = |c: Column| -> Vec<Option<f64>> {
        match c {
            Column::Float(v) => v,
            Column::Int(v) => v.into_iter().map(|x| x.map(|x| x as f64)).collect(),
        }
    };
    let word = |i: Option<i64>| -> Result<String> {
        i.and_then(|i| usize::try_from(i).ok())
            .and_then(|i| words.get(i).cloned())
            .ok_or_else(|| corrupt("dictionary index"))
    };
    let user_frames = ints(next()?);
    let (names, cpu, mem, rss, count, top, disk) =
        (ints(next()?), floats(next()?), floats(next()?), ints(next()?), ints(next()?), ints(next()?), floats(next()?));
    let mut users = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        users.push(UserUsage {
            username: word(*name)?,
            cpu: cpu.get(i).copied().flatten().unwrap_or(0.0),
            mem: mem.get(i).copied().flatten().unwrap_or(0.0),
            rss_bytes: rss.get(i).copied().flatten().unwrap_or(0),
            process_count: count.get(i).copied().flatten().unwrap_or(0),
            top_process: word(top.get(i).copied().flatten())?,
            disk_bytes: disk.get(i).copied().flatten(),
        });
    }
    let (list, frame) = (ints(next()?), ints(next()?));
    let (pid, user, command, pcpu, prss, pmem, threads, fds) = (
        ints(next()?),
        ints(next()?),
        ints(next()?),
        floats(next()?),
        ints(next()?),
        floats(next()?),
        ints(next()?),
        ints(next()?),
    );
    let mut out: Lists = Vec::new();
    out.resize_with(frames.min(MAX_FRAMES), Default::default);
    for (i, p) in pid.iter().enumerate() {
        let process = ProcessInfo {
            pid: p.unwrap_or(0),
            user: word(user.get(i).copied().flatten())?,
            command: word(command.get(i).copied().flatten())?,
            cpu_percent: pcpu.get(i).copied().flatten().unwrap_or(f64::NAN),
            rss_bytes: prss.get(i).copied().flatten().unwrap_or(0),
            mem_percent: pmem.get(i).copied().flatten().unwrap_or(f64::NAN),
            threads: threads.get(i).copied().flatten().unwrap_or(0),
            open_fds: fds.get(i).copied().flatten(),
        };
        let at = frame.get(i).copied().flatten().and_then(|f| usize::try_from(f).ok());
        let slot = at.and_then(|f| out.get_mut(f)).ok_or_else(|| corrupt("process row of no frame"))?;
        match list.get(i).copied().flatten() {
            Some(0) => slot.1.push(process),
            Some(1) => slot.2.push(process),
            _ => return Err(corrupt("process list")),
        }
    }
    for (u, frame) in users.into_iter().zip(user_frames) {
        let slot = frame.and_then(|f| usize::try_from(f).ok()).and_then(|f| out.get_mut(f));
        slot.ok_or_else(|| corrupt("user row of no frame"))?.0.push(u);
    }
    Ok(out)
}
