//! A block's lists: each frame's users and top-process lists (by CPU, by memory), packed
//! column by column (texts through one dictionary per block; shares of CPU and memory to
//! hundredths of a percent), the whole deflated.
//!
//! Users come one after the other, each over the window: a user's figures change little from
//! one cycle to the next, so the columns' deltas are small. Their order within a frame is not
//! kept: they come back by name.
//!
//! Processes (version 2): each process of a frame once, even when it is in both lists (the
//! largest by memory are often among the busiest), with its rank in each list it is in, and the
//! rows sorted by pid, then frame: a process's pid, user, command, threads and memory then run
//! constant down the columns, which deltas and deflate all but erase. Version 1 (blocks
//! written before) kept each list rank by rank; it is read the same way.

use fleetwatch_common::ProcessInfo;

use super::block::BlockFrame;
use super::block::Effort;
use super::bytes::{Reader, Writer, corrupt, deflate, deflate_fast, inflate};
use super::column::Column;
use super::cycle::FrameLists;
use crate::error::Result;
use crate::types::UserUsage;

const MAX_BLOB: u64 = 256 << 20;
/// Frames a block may claim to hold (a corrupt count cannot exhaust memory).
const MAX_FRAMES: usize = 1 << 20;

/// The format [`pack`] writes, after a zero byte (a version 1 blob starts with its count of
/// frames, never zero).
const VERSION: u8 = 2;

/// Each frame's users and top-process lists (by CPU, by memory), in block order.
pub(crate) type Lists = Vec<FrameLists>;

/// Texts as indices into one dictionary per block.
#[derive(Default)]
struct Dictionary {
    index: std::collections::HashMap<String, i64>,
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

/// One process of one frame, as stored: in one list or in both.
struct Row<'a> {
    frame: usize,
    p: &'a ProcessInfo,
    cpu: f64,
    mem: f64,
    /// Its rank in the list by CPU and in the list by memory.
    ranks: [Option<i64>; 2],
}

impl Row<'_> {
    /// Whether `p` (with its shares as stored) is this row's process, as it is stored.
    fn is(&self, p: &ProcessInfo, cpu: f64, mem: f64) -> bool {
        let q = self.p;
        q.pid == p.pid
            && q.user == p.user
            && q.command == p.command
            && self.cpu.to_bits() == cpu.to_bits()
            && q.rss_bytes == p.rss_bytes
            && self.mem.to_bits() == mem.to_bits()
            && q.threads == p.threads
            && q.open_fds == p.open_fds
    }
}

/// The users' columns (both versions): each user over the window, by name then frame.
fn user_columns(frames: &[BlockFrame], dict: &mut Dictionary) -> Vec<Column> {
    let mut users: Vec<(usize, &UserUsage)> =
        frames.iter().enumerate().flat_map(|(i, f)| f.changing.users.iter().map(move |u| (i, u))).collect();
    users.sort_by(|a, b| a.1.username.cmp(&b.1.username).then(a.0.cmp(&b.0)));
    let int = |v: Vec<Option<i64>>| Column::Int(v);
    let float = |v: Vec<Option<f64>>| Column::Float(v);
    vec![
        int(users.iter().map(|(i, _)| Some(*i as i64)).collect()),
        int(users.iter().map(|(_, u)| dict.id(&u.username)).collect()),
        float(users.iter().map(|(_, u)| Some(share(u.cpu))).collect()),
        float(users.iter().map(|(_, u)| Some(share(u.mem))).collect()),
        int(users.iter().map(|(_, u)| Some(u.rss_bytes)).collect()),
        int(users.iter().map(|(_, u)| Some(u.process_count)).collect()),
        int(users.iter().map(|(_, u)| dict.id(&u.top_process)).collect()),
        float(users.iter().map(|(_, u)| u.disk_bytes).collect()),
    ]
}

/// The dictionary's words, then the columns, each with its length.
fn write_body(w: &mut Writer, frames: usize, dict: &Dictionary, columns: &[Column], effort: Effort) {
    w.len(frames);
    w.len(dict.words.len());
    for word in &dict.words {
        w.text(word);
    }
    for c in columns {
        w.len(c.len());
        c.encode_with(w, effort);
    }
}

pub(crate) fn pack(frames: &[BlockFrame], effort: Effort) -> Vec<u8> {
    let mut dict = Dictionary::default();
    let mut w = Writer::default();
    let int = |v: Vec<Option<i64>>| Column::Int(v);
    let float = |v: Vec<Option<f64>>| Column::Float(v);
    let mut columns = user_columns(frames, &mut dict);
    let mut rows: Vec<Row<'_>> = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let first = rows.len();
        for (list, ps) in [&f.changing.by_cpu, &f.changing.by_memory].into_iter().enumerate() {
            for (rank, p) in ps.iter().enumerate() {
                let (cpu, mem, rank) = (share(p.cpu_percent), share(p.mem_percent), Some(rank as i64));
                match rows[first..].iter_mut().find(|r| r.ranks[list].is_none() && r.is(p, cpu, mem)) {
                    Some(row) => row.ranks[list] = rank,
                    None => {
                        let mut ranks = [None; 2];
                        ranks[list] = rank;
                        rows.push(Row { frame: i, p, cpu, mem, ranks });
                    }
                }
            }
        }
    }
    // Stable: a frame's two rows of one pid (the lists disagreeing about it) keep their order.
    rows.sort_by_key(|r| (r.p.pid, r.frame));
    columns.extend([
        int(rows.iter().map(|r| Some(r.frame as i64)).collect()),
        int(rows.iter().map(|r| Some(r.p.pid)).collect()),
        int(rows.iter().map(|r| dict.id(&r.p.user)).collect()),
        int(rows.iter().map(|r| dict.id(&r.p.command)).collect()),
        float(rows.iter().map(|r| Some(r.cpu)).collect()),
        int(rows.iter().map(|r| Some(r.p.rss_bytes)).collect()),
        float(rows.iter().map(|r| Some(r.mem)).collect()),
        int(rows.iter().map(|r| Some(r.p.threads)).collect()),
        int(rows.iter().map(|r| r.p.open_fds).collect()),
        int(rows.iter().map(|r| r.ranks[0]).collect()),
        int(rows.iter().map(|r| r.ranks[1]).collect()),
    ]);
    w.byte(0);
    w.byte(VERSION);
    write_body(&mut w, frames.len(), &dict, &columns, effort);
    match effort {
        Effort::Quick => deflate_fast(&w.buf),
        Effort::Small => deflate(&w.buf),
    }
}

/// The columns of a lists blob, read in order.
struct Columns<'a> {
    r: Reader<'a>,
}

impl Columns<'_> {
    fn next(&mut self) -> Result<Column> {
        let n = self.r.len()?;
        Column::decode(&mut self.r, n)
    }

    fn ints(&mut self) -> Result<Vec<Option<i64>>> {
        Ok(match self.next()? {
            Column::Int(v) => v,
            Column::Float(v) => v.into_iter().map(|x| x.map(|x| x as i64)).collect(),
        })
    }

    fn floats(&mut self) -> Result<Vec<Option<f64>>> {
        Ok(match self.next()? {
            Column::Float(v) => v,
            Column::Int(v) => v.into_iter().map(|x| x.map(|x| x as f64)).collect(),
        })
    }
}

/// Row `i` of a column, if it has one and it is present.
fn at<T: Copy>(v: &[Option<T>], i: usize) -> Option<T> {
    v.get(i).copied().flatten()
}

/// A frame index as the block's lists hold it, if it is one of `frames`.
fn frame_of(v: &[Option<i64>], i: usize, frames: usize) -> Option<usize> {
    at(v, i).and_then(|f| usize::try_from(f).ok()).filter(|&f| f < frames)
}

pub(crate) fn unpack(blob: &[u8]) -> Result<Lists> {
    let raw = inflate(blob, MAX_BLOB)?;
    let mut r = Reader::new(&raw);
    let v2 = raw.first() == Some(&0);
    if v2 {
        r.byte()?;
        if r.byte()? != VERSION {
            return Err(corrupt("lists version"));
        }
    }
    let frames = r.len()?.min(MAX_FRAMES);
    let words = (0..r.len()?).map(|_| r.text()).collect::<Result<Vec<_>>>()?;
    let word = |i: Option<i64>| -> Result<String> {
        i.and_then(|i| usize::try_from(i).ok())
            .and_then(|i| words.get(i).cloned())
            .ok_or_else(|| corrupt("dictionary index"))
    };
    let mut c = Columns { r };
    let user_frames = c.ints()?;
    let (names, cpu, mem, rss, count, top, disk) =
        (c.ints()?, c.floats()?, c.floats()?, c.ints()?, c.ints()?, c.ints()?, c.floats()?);
    let mut out: Lists = Vec::new();
    out.resize_with(frames, Default::default);
    for (i, name) in names.iter().enumerate() {
        let user = UserUsage {
            username: word(*name)?,
            cpu: at(&cpu, i).unwrap_or(0.0),
            mem: at(&mem, i).unwrap_or(0.0),
            rss_bytes: at(&rss, i).unwrap_or(0),
            process_count: at(&count, i).unwrap_or(0),
            top_process: word(at(&top, i))?,
            disk_bytes: at(&disk, i),
        };
        let f = frame_of(&user_frames, i, frames).ok_or_else(|| corrupt("user row of no frame"))?;
        out[f].0.push(user);
    }
    // Version 1: which list and the frame, rank by rank; version 2: the frame, then the ranks
    // after the processes' own columns.
    let list = if v2 { Vec::new() } else { c.ints()? };
    let frame = c.ints()?;
    let (pid, user, command, pcpu, prss, pmem, threads, fds) =
        (c.ints()?, c.ints()?, c.ints()?, c.floats()?, c.ints()?, c.floats()?, c.ints()?, c.ints()?);
    let ranks = if v2 { [c.ints()?, c.ints()?] } else { [Vec::new(), Vec::new()] };
    // Version 2's processes by frame and list, with their ranks.
    let mut ranked: Vec<[Vec<(i64, ProcessInfo)>; 2]> = Vec::new();
    if v2 {
        ranked.resize_with(frames, Default::default);
    }
    for i in 0..pid.len() {
        let process = ProcessInfo {
            pid: at(&pid, i).unwrap_or(0),
            user: word(at(&user, i))?,
            command: word(at(&command, i))?,
            cpu_percent: at(&pcpu, i).unwrap_or(f64::NAN),
            rss_bytes: at(&prss, i).unwrap_or(0),
            mem_percent: at(&pmem, i).unwrap_or(f64::NAN),
            threads: at(&threads, i).unwrap_or(0),
            open_fds: at(&fds, i),
        };
        let f = frame_of(&frame, i, frames).ok_or_else(|| corrupt("process row of no frame"))?;
        if v2 {
            let (by_cpu, by_memory) = (at(&ranks[0], i), at(&ranks[1], i));
            match (by_cpu, by_memory) {
                (None, None) => return Err(corrupt("process row in no list")),
                (Some(a), Some(b)) => {
                    ranked[f][0].push((a, process.clone()));
                    ranked[f][1].push((b, process));
                }
                (Some(a), None) => ranked[f][0].push((a, process)),
                (None, Some(b)) => ranked[f][1].push((b, process)),
            }
        } else {
            match at(&list, i) {
                Some(0) => out[f].1.push(process),
                Some(1) => out[f].2.push(process),
                _ => return Err(corrupt("process list")),
            }
        }
    }
    for (slot, [mut by_cpu, mut by_memory]) in out.iter_mut().zip(ranked) {
        by_cpu.sort_by_key(|p| p.0);
        by_memory.sort_by_key(|p| p.0);
        slot.1 = by_cpu.into_iter().map(|p| p.1).collect();
        slot.2 = by_memory.into_iter().map(|p| p.1).collect();
    }
    Ok(out)
}

/// How many process rows a (version 2) blob stores.
#[cfg(test)]
pub(crate) fn process_rows(blob: &[u8]) -> Result<usize> {
    let raw = inflate(blob, MAX_BLOB)?;
    let mut r = Reader::new(&raw);
    let (_, _, _) = (r.byte()?, r.byte()?, r.len()?);
    for _ in 0..r.len()? {
        r.text()?;
    }
    let mut c = Columns { r };
    for _ in 0..8 {
        c.next()?;
    }
    Ok(c.next()?.len())
}

/// Version 1 as it was written (blocks of earlier releases), kept to test that they still read.
#[cfg(test)]
pub(crate) fn pack_v1(frames: &[BlockFrame]) -> Vec<u8> {
    let mut dict = Dictionary::default();
    let mut w = Writer::default();
    let int = |v: Vec<Option<i64>>| Column::Int(v);
    let float = |v: Vec<Option<f64>>| Column::Float(v);
    let mut columns = user_columns(frames, &mut dict);
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
    write_body(&mut w, frames.len(), &dict, &columns, Effort::Small);
    deflate(&w.buf)
}
