//! A hot frame: the changing part of one cycle, stored whole (exact floats) until its window is
//! compacted. Figures are written in walk order without their names (the frame's facts name
//! them); the lists row by row. Not compressed: a frame lives for one window only, and
//! deflating it would cost more time per write than the few hundred bytes it saves while hot.

use fleetwatch_common::ProcessInfo;

use super::bytes::{Reader, Writer};
use super::cycle::{Changing, Figure, Name, Value};
use crate::error::Result;
use crate::types::UserUsage;

#[cfg(test)]
pub(crate) fn encode(c: &Changing) -> Vec<u8> {
    let values: Vec<Value> = c.figures.iter().map(|f| f.value).collect();
    encode_parts(&values, &c.users, &c.by_cpu, &c.by_memory)
}

/// A frame of the figures' `values` (in walk order), the users and the top processes.
pub(crate) fn encode_parts(
    values: &[Value],
    users: &[UserUsage],
    by_cpu: &[ProcessInfo],
    by_memory: &[ProcessInfo],
) -> Vec<u8> {
    // A value takes at most 10 bytes, a list row rarely more than 64.
    let rows = users.len() + by_cpu.len() + by_memory.len();
    let mut w = Writer { buf: Vec::with_capacity(16 + values.len() * 10 + rows * 64) };
    w.len(values.len());
    for value in values {
        match *value {
            Value::I(None) => w.byte(0),
            Value::I(Some(v)) => {
                w.byte(1);
                w.signed(v);
            }
            Value::F(None) => w.byte(2),
            Value::F(Some(v)) => {
                w.byte(3);
                w.f64(v);
            }
        }
    }
    w.len(users.len());
    for u in users {
        w.text(&u.username);
        w.f64(u.cpu);
        w.f64(u.mem);
        w.signed(u.rss_bytes);
        w.signed(u.process_count);
        w.text(&u.top_process);
        opt_f64(&mut w, u.disk_bytes);
    }
    for list in [by_cpu, by_memory] {
        w.len(list.len());
        for p in list {
            w.signed(p.pid);
            w.text(&p.user);
            w.text(&p.command);
            w.f64(p.cpu_percent);
            w.signed(p.rss_bytes);
            w.f64(p.mem_percent);
            w.signed(p.threads);
            match p.open_fds {
                None => w.byte(0),
                Some(v) => {
                    w.byte(1);
                    w.signed(v);
                }
            }
        }
    }
    w.buf
}

fn opt_f64(w: &mut Writer, v: Option<f64>) {
    match v {
        None => w.byte(0),
        Some(v) => {
            w.byte(1);
            w.f64(v);
        }
    }
}

/// Decodes a frame; its figures get the `names` of its facts (in walk order).
pub(crate) fn decode(body: &[u8], names: &[(Name, bool, bool)]) -> Result<Changing> {
    let mut r = Reader::new(body);
    let n = r.len()?;
    let mut figures = Vec::with_capacity(n.min(4096));
    for i in 0..n {
        let value = match r.byte()? {
            0 => Value::I(None),
            1 => Value::I(Some(r.signed()?)),
            2 => Value::F(None),
            3 => Value::F(Some(r.f64()?)),
            _ => return Err(super::bytes::corrupt("frame value")),
        };
        let name = names.get(i).map_or_else(|| Name::from(""), |n| n.0.clone());
        figures.push(Figure { name, value });
    }
    let users = (0..r.len()?)
        .map(|_| {
            Ok(UserUsage {
                username: r.text()?,
                cpu: r.f64()?,
                mem: r.f64()?,
                rss_bytes: r.signed()?,
                process_count: r.signed()?,
                top_process: r.text()?,
                disk_bytes: if r.byte()? == 0 { None } else { Some(r.f64()?) },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut lists: [Vec<ProcessInfo>; 2] = [Vec::new(), Vec::new()];
    for list in &mut lists {
        *list = (0..r.len()?)
            .map(|_| {
                Ok(ProcessInfo {
                    pid: r.signed()?,
                    user: r.text()?,
                    command: r.text()?,
                    cpu_percent: r.f64()?,
                    rss_bytes: r.signed()?,
                    mem_percent: r.f64()?,
                    threads: r.signed()?,
                    open_fds: if r.byte()? == 0 { None } else { Some(r.signed()?) },
                })
            })
            .collect::<Result<Vec<_>>>()?;
    }
    let [by_cpu, by_memory] = lists;
    Ok(Changing { figures, users, by_cpu, by_memory })
}
