//! One spooled sample on disk: a frame with its length and a CRC-32 of its body, so a write torn
//! by a crash (or a flipped bit) is found and never replayed as a sample.
//!
//! ```text
//! frame = body_len: u32 LE | crc32(body): u32 LE | body
//! body  = taken_ms: i64 LE | name_len: u16 LE | server name | deflated JSON of the sample
//! ```
//! The server and the time the sample was taken sit outside the deflated part, so the replay
//! can skip a sample the database already holds without inflating it.

use std::io::{Read, Write};

use fleetwatch_common::{Details, Sample};
use fleetwatch_store::{Success, UserUsage};
use serde::{Deserialize, Serialize};

/// Bytes before the body: its length and its CRC.
pub(super) const FRAME_HEAD: usize = 8;

/// A body longer than this is taken for a corrupt length (a sample is tens of KiB deflated).
pub(super) const MAX_BODY: usize = 64 * 1024 * 1024;

/// A sample waiting in the spool, owned.
#[derive(Debug, Clone)]
pub struct Spooled {
    pub sample: Sample,
    pub users: Vec<UserUsage>,
    pub details: Option<Details>,
    pub duration_ms: i64,
}

impl Spooled {
    pub fn from_success(s: &Success<'_>) -> Self {
        Self {
            sample: s.sample.clone(),
            users: s.users.to_vec(),
            details: s.details.cloned(),
            duration_ms: s.duration_ms,
        }
    }

    pub fn success(&self) -> Success<'_> {
        Success {
            sample: &self.sample,
            users: &self.users,
            details: self.details.as_ref(),
            duration_ms: self.duration_ms,
        }
    }

    /// When the sample was taken, in the store's precision (epoch milliseconds).
    pub fn taken_ms(&self) -> i64 {
        self.sample.timestamp.timestamp_millis()
    }
}

/// A frame read back: where it came from and its still-deflated sample.
#[derive(Debug, Clone)]
pub struct Entry {
    pub server: String,
    pub taken_ms: i64,
    /// The frame's whole length on disk.
    pub(super) len: u64,
    payload: Vec<u8>,
}

/// Why a spooled sample cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot inflate the spooled sample: {0}")]
    Inflate(#[from] std::io::Error),
    #[error("the spooled sample is not a sample: {0}")]
    Json(#[from] serde_json::Error),
}

impl Entry {
    /// The sample. Details that do not read back (a non-finite figure is written as `null`)
    /// are left out with a warning; the sample itself is kept.
    pub fn decode(&self) -> Result<Spooled, DecodeError> {
        let mut json = Vec::new();
        flate2::read::DeflateDecoder::new(self.payload.as_slice()).read_to_end(&mut json)?;
        let wire: WireOwned = serde_json::from_slice(&json)?;
        let details = match wire.details {
            serde_json::Value::Null => None,
            v => match serde_json::from_value::<Details>(v) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::warn!(server = %self.server, error = %e, "spooled details unreadable; the sample is kept without them");
                    None
                }
            },
        };
        Ok(Spooled {
            users: wire.users.into_iter().map(User::into_usage).collect(),
            sample: wire.sample,
            details,
            duration_ms: wire.duration_ms,
        })
    }
}

/// The frame of `s`.
pub fn encode(s: &Success<'_>) -> Result<Vec<u8>, serde_json::Error> {
    let wire = WireRef {
        sample: s.sample,
        users: s.users.iter().map(User::from_usage).collect(),
        duration_ms: s.duration_ms,
        details: s.details,
    };
    let json = serde_json::to_vec(&wire)?;
    let name = s.sample.server_name.as_bytes();
    let name = &name[..name.len().min(usize::from(u16::MAX))];
    let mut body = Vec::with_capacity(json.len() / 4 + name.len() + 16);
    body.extend_from_slice(&s.sample.timestamp.timestamp_millis().to_le_bytes());
    body.extend_from_slice(&(name.len() as u16).to_le_bytes());
    body.extend_from_slice(name);
    let mut z = flate2::write::DeflateEncoder::new(body, flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    z.write_all(&json).map_err(serde_json::Error::io)?;
    let body = z.finish().map_err(serde_json::Error::io)?;
    let mut frame = Vec::with_capacity(FRAME_HEAD + body.len());
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(&crc(&body).to_le_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// What is at the start of `bytes`.
pub(super) enum Framed {
    /// A whole, intact frame.
    Frame(Entry),
    /// Fewer bytes than the frame claims: the end of the log (or a write torn by a crash).
    Short,
    /// A frame whose CRC or layout is wrong.
    Corrupt,
}

/// Reads the frame at the start of `bytes`.
pub(super) fn read_frame(bytes: &[u8]) -> Framed {
    if bytes.len() < FRAME_HEAD {
        return Framed::Short;
    }
    let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let sum = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    if !(10..=MAX_BODY).contains(&len) {
        return Framed::Corrupt;
    }
    let Some(body) = bytes.get(FRAME_HEAD..FRAME_HEAD + len) else { return Framed::Short };
    if crc(body) != sum {
        return Framed::Corrupt;
    }
    let mut ms = [0u8; 8];
    ms.copy_from_slice(&body[..8]);
    let name_len = usize::from(u16::from_le_bytes([body[8], body[9]]));
    let Some(name) = body.get(10..10 + name_len) else { return Framed::Corrupt };
    Framed::Frame(Entry {
        server: String::from_utf8_lossy(name).into_owned(),
        taken_ms: i64::from_le_bytes(ms),
        len: (FRAME_HEAD + len) as u64,
        payload: body[10 + name_len..].to_vec(),
    })
}

fn crc(bytes: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(bytes);
    c.sum()
}

#[derive(Serialize)]
struct WireRef<'a> {
    sample: &'a Sample,
    users: Vec<User>,
    duration_ms: i64,
    details: Option<&'a Details>,
}

#[derive(Deserialize)]
struct WireOwned {
    sample: Sample,
    users: Vec<User>,
    duration_ms: i64,
    #[serde(default)]
    details: serde_json::Value,
}

/// [`UserUsage`] as spooled; a non-finite figure (JSON has none) reads back as 0, as the store
/// would store it.
#[derive(Serialize, Deserialize)]
struct User {
    name: String,
    cpu: Option<f64>,
    mem: Option<f64>,
    rss: i64,
    procs: i64,
    top: String,
    disk: Option<f64>,
}

impl User {
    fn from_usage(u: &UserUsage) -> Self {
        Self {
            name: u.username.clone(),
            cpu: Some(u.cpu),
            mem: Some(u.mem),
            rss: u.rss_bytes,
            procs: u.process_count,
            top: u.top_process.clone(),
            disk: u.disk_bytes,
        }
    }

    fn into_usage(self) -> UserUsage {
        UserUsage {
            username: self.name,
            cpu: self.cpu.unwrap_or(0.0),
            mem: self.mem.unwrap_or(0.0),
            rss_bytes: self.rss,
            process_count: self.procs,
            top_process: self.top,
            disk_bytes: self.disk,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn sample(name: &str) -> Spooled {
        Spooled {
            sample: Sample { server_name: name.into(), cpu_percent: Some(f64::NAN), ..Default::default() },
            users: vec![UserUsage { username: "alice".into(), cpu: 12.5, ..Default::default() }],
            details: Some(Details::default()),
            duration_ms: 42,
        }
    }

    #[test]
    fn a_frame_reads_back_as_its_sample_and_a_flipped_bit_is_found() {
        let s = sample("web-1");
        let frame = encode(&s.success()).unwrap();
        let Framed::Frame(e) = read_frame(&frame) else { panic!("frame not read") };
        assert_eq!((e.server.as_str(), e.taken_ms, e.len), ("web-1", s.taken_ms(), frame.len() as u64));
        let back = e.decode().unwrap();
        assert_eq!(back.users, s.users);
        assert_eq!(back.details, s.details);
        assert_eq!(back.duration_ms, 42);
        // NaN has no JSON form: read back as "not available", as the store keeps it.
        assert_eq!(back.sample.cpu_percent, None);
        for i in [0, 5, 9, frame.len() - 1] {
            let mut bad = frame.clone();
            bad[i] ^= 0x10;
            assert!(!matches!(read_frame(&bad), Framed::Frame(_)), "flipped byte {i} went unnoticed");
        }
        assert!(matches!(read_frame(&frame[..frame.len() - 1]), Framed::Short));
    }
}
