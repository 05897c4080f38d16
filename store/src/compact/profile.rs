//! Where a block's and a rollup chunk's bytes go, for the storage benchmark (`--profile`): the
//! same packing as the store, taken apart by part and by column encoding.

use std::collections::BTreeMap;

use fleetwatch_common::{Details, Sample};

use super::block::{BlockFrame, Effort, pack};
use super::bytes::{Reader, Writer};
use super::column::Column;
use super::cycle::{Cycle, Value};
use super::rollup::Builder;
use crate::types::UserUsage;

/// Bytes by part, for cycles packed `window` at a time and for one chunk of `tier_ms` buckets
/// built from the same cycles.
pub(crate) fn profile(
    cycles: &[(Sample, Vec<UserUsage>, Details)],
    window: usize,
    tier_ms: i64,
) -> Vec<(String, usize)> {
    let mut out: BTreeMap<String, usize> = BTreeMap::new();
    let frames: Vec<BlockFrame> = cycles
        .iter()
        .enumerate()
        .map(|(i, (sample, users, details))| {
            let cycle = Cycle { sample: sample.clone(), users: users.clone(), details: Some(details.clone()) };
            let (_, changing) = cycle.split();
            BlockFrame { ts_ms: crate::values::to_ms(sample.timestamp), facts_id: 1 + (i as i64 / 500), changing }
        })
        .collect();
    for chunk in frames.chunks(window.max(1)) {
        let packed = pack(chunk, Effort::Small);
        *out.entry("block figures".into()).or_default() += packed.figures.len();
        *out.entry("block lists".into()).or_default() += packed.lists.len();
        let figures = super::block::Figures::open(&packed.figures).map(|f| f.all());
        if let Ok(Ok(columns)) = figures {
            for (name, c) in &columns {
                let mut w = Writer::default();
                c.encode(&mut w);
                *out.entry(format!("block family {}", family(name))).or_default() += w.buf.len() + 1;
                let kind = match w.buf.first().map(|t| t & 24) {
                    Some(0) => "const",
                    Some(8) => "deltas",
                    Some(24) => "packed",
                    _ => "pco",
                };
                *out.entry(format!("block columns {kind}")).or_default() += w.buf.len() + 1;
                *out.entry(format!("block columns {kind} (count)")).or_default() += 1;
            }
        }
    }
    let mut b = Builder::new(tier_ms, 0, false);
    for f in &frames {
        b.add_sample(
            f.ts_ms,
            f.changing.figures.iter().filter_map(|fig| match fig.value {
                Value::I(Some(v)) => Some((&*fig.name, true, v as f64)),
                Value::F(Some(v)) if v.is_finite() => Some((&*fig.name, false, v)),
                _ => None,
            }),
        );
    }
    let rollup = b.finish();
    let t0 = std::time::Instant::now();
    let body = rollup.encode();
    out.insert("rollup encode µs (count)".into(), t0.elapsed().as_micros() as usize);
    let t0 = std::time::Instant::now();
    let _ = super::rollup::Rollup::decode(&body, None);
    out.insert("rollup decode µs (count)".into(), t0.elapsed().as_micros() as usize);
    out.insert(format!("rollup chunk ({} buckets)", rollup.len()), body.len());
    // Each figure part: flag, counts?, avg, min, max, last (or derived: counted whole).
    let mut r = Reader::new(&body);
    let n = r.len().unwrap_or(0);
    let _ = (Column::decode(&mut r, n), Column::decode(&mut r, n));
    let names = r.bytes().map(<[u8]>::len).unwrap_or(0);
    out.insert("rollup names".into(), names);
    let mut by_figure: Vec<(usize, String)> = Vec::new();
    for (name, _) in &rollup.names {
        let Ok(part) = r.bytes() else { break };
        by_figure.push((part.len(), name.clone()));
        let mut p = Reader::new(part);
        let flag = p.byte().unwrap_or(0);
        if flag == 0x80 {
            *out.entry("rollup same as an earlier figure (count)".into()).or_default() += 1;
            continue;
        }
        if flag & 8 != 0 {
            // Derived from other figures: a layout of its own, counted whole.
            *out.entry("rollup derived from other figures (count)".into()).or_default() += 1;
            *out.entry("rollup derived".into()).or_default() += part.len();
            continue;
        }
        if flag & 1 != 0 {
            let _ = Column::decode(&mut p, n);
        }
        for what in ["avg", "min", "max", "last"] {
            let before = p_len(&p);
            if what == "min" && flag & 2 != 0 {
                let _ = p.signed();
            }
            let _ = Column::decode(&mut p, n);
            *out.entry(format!("rollup {what}")).or_default() += before - p_len(&p);
        }
    }
    for (bytes, name) in &by_figure {
        *out.entry(format!("rollup family {}", family(name))).or_default() += *bytes;
    }
    by_figure.sort();
    for (bytes, name) in by_figure.iter().rev().take(25) {
        out.insert(format!("rollup figure {name}"), *bytes);
    }
    for (cut, label) in [(100, "<100"), (400, "100-400"), (1000, "400-1000"), (usize::MAX, ">1000")] {
        let n = by_figure.iter().filter(|(b, _)| *b < cut).count();
        *out.entry(format!("rollup figures {label} B (count)")).or_default() += n;
    }
    out.into_iter().collect()
}

/// A figure's name with its device, core or container left out: `diskio[*].busy_percent`.
fn family(name: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in name.chars() {
        match c {
            '[' => {
                inside = true;
                out.push_str("[*");
            }
            ']' => {
                inside = false;
                out.push(']');
            }
            _ if inside => {}
            c if c.is_ascii_digit() && !out.ends_with('*') => out.push('*'),
            c if c.is_ascii_digit() => {}
            c => out.push(c),
        }
    }
    out
}

fn p_len(r: &Reader<'_>) -> usize {
    r.remaining()
}
