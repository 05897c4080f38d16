//! A hot frame: the changing part of one cycle, stored whole (exact floats) until its window is
//! compacted. Figures are written in walk order without their names (the frame's facts name
//! them); the lists row by row. Not compressed: a frame lives for one window only, and
//! deflating it would cost more time per write than the few hundred bytes it saves while hot.

use fleetwatch_common::ProcessInfo;

use super::bytes::{Reader, Writer, decimal, from_decimal};
use super::cycle::{Changing, Figure, Name, Value};
use crate::error::Result;
use crate::types::UserUsage;

#[cfg(test)]
pub(crate) fn encode(c: &Changing) -> Vec<u8> {
    let values: Vec<Value> = c.figures.iter().map(|f| f.value).collect();
    encode_parts(&values, &c.users, &c.by_cpu, &c.by_memory)
}

/// A frame of the figures' `values` (in walk order), the users and the top processes.
///
/// Version 2: a zero byte and the version (a version 1 frame starts with its count of figures,
/// never zero: the headline's are always there), then the figures (a tag: 0 integer missing,
/// 1 integer, 2 float missing, 3 float as 8 bytes, 4 + k a float of k ≤ 3 decimals as a
/// varint, see [`super::bytes::decimal`]), then the lists, their floats as
/// [`Writer::float`]. Every float comes back with its bits.
pub(crate) fn encode_parts(
    values: &[Value],
    users: &[UserUsage],
    by_cpu: &[ProcessInfo],
    by_memory: &[ProcessInfo],
) -> Vec<u8> {
    // A value takes at most 10 bytes, a list row rarely more than 64.
    let rows = users.len() + by_cpu.len() + by_memory.len();
    let mut w = Writer { buf: Vec::with_capacity(16 + values.len() * 10 + rows * 64) };
    w.byte(0);
    w.byte(VERSION);
    w.len(values.len());
    for value in values {
        match *value {
            Value::I(None) => w.byte(0),
            Value::I(Some(v)) => {
                w.byte(1);
                w.signed(v);
            }
            Value::F(None) => w.byte(2),
            Value::F(Some(v)) => match decimal(v) {
                Some((k, m)) => {
                    w.byte(4 + k);
                    w.signed(m);
                }
                None => {
                    w.byte(3);
                    w.f64(v);
                }
            },
        }
    }
    w.len(users.len());
    for u in users {
        w.text(&u.username);
        w.float(u.cpu);
        w.float(u.mem);
        w.signed(u.rss_bytes);
        w.signed(u.process_count);
        w.text(&u.top_process);
        match u.disk_bytes {
            None => w.byte(0),
            Some(v) => {
                w.byte(1);
                w.float(v);
            }
        }
    }
    for list in [by_cpu, by_memory] {
        w.len(list.len());
        for p in list {
            w.signed(p.pid);
            w.text(&p.user);
            w.text(&p.command);
            w.float(p.cpu_percent);
            w.signed(p.rss_bytes);
            w.float(p.mem_percent);
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

/// The frame format [`encode_parts`] writes.
const VERSION: u8 = 2;

/// Decodes a frame (either version); its figures get the `names` of its facts (in walk order).
pub(crate) fn decode(body: &[u8], names: &[(Name, bool, bool)]) -> Result<Changing> {
    let mut r = Reader::new(body);
    let v2 = body.first() == Some(&0);
    if v2 {
        r.byte()?;
        if r.byte()? != VERSION {
            return Err(super::bytes::corrupt("frame version"));
        }
    }
    // Version 1 wrote every list float as its 8 bytes.
    let float = |r: &mut Reader<'_>| if v2 { r.float() } else { r.f64() };
    let n = r.len()?;
    let mut figures = Vec::with_capacity(n.min(4096));
    for i in 0..n {
        let value = match r.byte()? {
            0 => Value::I(None),
            1 => Value::I(Some(r.signed()?)),
            2 => Value::F(None),
            3 => Value::F(Some(r.f64()?)),
            tag @ 4..=7 if v2 => Value::F(Some(from_decimal(tag - 4, r.signed()?))),
            _ => return Err(super::bytes::corrupt("frame value")),
        };
        let name = names.get(i).map_or_else(|| Name::from(""), |n| n.0.clone());
        figures.push(Figure { name, value });
    }
    let users = (0..r.len()?)
        .map(|_| {
            Ok(UserUsage {
                username: r.text()?,
                cpu: float(&mut r)?,
                mem: float(&mut r)?,
                rss_bytes: r.signed()?,
                process_count: r.signed()?,
                top_process: r.text()?,
                disk_bytes: if r.byte()? == 0 { None } else { Some(float(&mut r)?) },
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
                    cpu_percent: float(&mut r)?,
                    rss_bytes: r.signed()?,
                    mem_percent: float(&mut r)?,
                    threads: r.signed()?,
                    open_fds: if r.byte()? == 0 { None } else { Some(r.signed()?) },
                })
            })
            .collect::<Result<Vec<_>>>()?;
    }
    let [by_cpu, by_memory] = lists;
    Ok(Changing { figures, users, by_cpu, by_memory })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A frame as version 1 wrote it (before 2026-12-04): every float as its 8 bytes.
    fn version_1(c: &Changing) -> Vec<u8> {
        let mut w = Writer::default();
        w.len(c.figures.len());
        for f in &c.figures {
            match f.value {
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
        w.len(c.users.len());
        for u in &c.users {
            w.text(&u.username);
            w.f64(u.cpu);
            w.f64(u.mem);
            w.signed(u.rss_bytes);
            w.signed(u.process_count);
            w.text(&u.top_process);
            w.byte(1);
            w.f64(u.disk_bytes.unwrap());
        }
        for list in [&c.by_cpu, &c.by_memory] {
            w.len(list.len());
            for p in list {
                w.signed(p.pid);
                w.text(&p.user);
                w.text(&p.command);
                w.f64(p.cpu_percent);
                w.signed(p.rss_bytes);
                w.f64(p.mem_percent);
                w.signed(p.threads);
                w.byte(0);
            }
        }
        w.buf
    }

    fn changing() -> (Changing, Vec<(Name, bool, bool)>) {
        let values = [Value::I(Some(7)), Value::F(Some(0.0)), Value::F(Some(14.076_041_666_666_676)), Value::F(None)];
        let values = values.iter().chain(&[Value::F(Some(1.03)), Value::I(None), Value::F(Some(-0.0))]);
        let names: Vec<(Name, bool, bool)> = (0..7).map(|i| (Name::from(format!("f{i}")), true, true)).collect();
        let figures = values.zip(&names).map(|(v, n)| Figure { name: n.0.clone(), value: *v }).collect();
        let users = vec![UserUsage {
            username: "alice".into(),
            cpu: 12.5,
            mem: 1.0 / 3.0,
            rss_bytes: 1 << 30,
            process_count: 12,
            top_process: "postgres".into(),
            disk_bytes: Some(4.5e9),
        }];
        let p = |pid: i64, cpu: f64| ProcessInfo {
            pid,
            user: "bob".into(),
            command: "make -j2".into(),
            cpu_percent: cpu,
            rss_bytes: 123_456,
            mem_percent: 0.7,
            threads: 3,
            open_fds: None,
        };
        (Changing { figures, users, by_cpu: vec![p(10, 99.9), p(11, 0.1 + 0.2)], by_memory: vec![p(12, 0.0)] }, names)
    }

    #[test]
    fn a_version_1_frame_still_reads() {
        let (c, names) = changing();
        let back = decode(&version_1(&c), &names).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn a_version_2_frame_keeps_every_bit_in_fewer_bytes() {
        let (c, names) = changing();
        let body = encode(&c);
        assert_eq!(&body[..2], &[0, VERSION]);
        let back = decode(&body, &names).unwrap();
        let bits = |c: &Changing| -> Vec<Option<u64>> {
            c.figures
                .iter()
                .map(|f| match f.value {
                    Value::F(x) => x.map(f64::to_bits),
                    Value::I(x) => x.map(|x| x as u64),
                })
                .collect()
        };
        assert_eq!(bits(&back), bits(&c), "-0.0 stays -0.0");
        assert_eq!(back, c);
        assert!(body.len() + 40 < version_1(&c).len(), "{} bytes against {}", body.len(), version_1(&c).len());
        assert!(decode(&[0, 9, 0, 0, 0, 0], &names).is_err(), "an unknown version is refused");
    }
}
