//! The spool's files: numbered segments of frames, written in order and deleted whole once every
//! frame in them is stored (or dropped).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::record::{Entry, FRAME_HEAD, Framed, MAX_BODY, read_frame};

/// One segment file and what its intact frames hold.
#[derive(Debug)]
pub(super) struct Segment {
    pub id: u64,
    pub path: PathBuf,
    /// Length of the intact frames, from the start of the file.
    pub bytes: u64,
    pub frames: u64,
    /// When the newest of its samples was taken (epoch ms).
    pub newest_ms: i64,
}

/// What a scan found past the intact frames.
#[derive(Debug, PartialEq)]
pub(super) enum Tail {
    Clean,
    /// The last frame is incomplete: a write cut short by a crash.
    Torn(u64),
    /// A frame fails its CRC: the bytes from there on are unreadable.
    Corrupt(u64),
}

pub(super) fn file_name(id: u64) -> String {
    format!("{id:016}.seg")
}

/// The segment ids in `dir`, ascending.
pub(super) fn list(dir: &Path) -> std::io::Result<Vec<u64>> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(id) = name.strip_suffix(".seg").filter(|n| n.len() == 16).and_then(|n| n.parse::<u64>().ok()) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Reads a whole segment, checking every frame.
pub(super) fn scan(dir: &Path, id: u64) -> std::io::Result<(Segment, Tail)> {
    let path = dir.join(file_name(id));
    let bytes = std::fs::read(&path)?;
    let mut seg = Segment { id, path, bytes: 0, frames: 0, newest_ms: i64::MIN };
    let mut at = 0usize;
    let tail = loop {
        if at == bytes.len() {
            break Tail::Clean;
        }
        match read_frame(&bytes[at..]) {
            Framed::Frame(e) => {
                at += e.len as usize;
                seg.frames += 1;
                seg.newest_ms = seg.newest_ms.max(e.taken_ms);
            }
            Framed::Short => break Tail::Torn((bytes.len() - at) as u64),
            Framed::Corrupt => break Tail::Corrupt((bytes.len() - at) as u64),
        }
    };
    seg.bytes = at as u64;
    Ok((seg, tail))
}

/// Up to `max` frames of `seg` from byte `offset` (the start of a frame).
pub(super) fn read_from(seg: &Segment, offset: u64, max: usize) -> std::io::Result<Vec<Entry>> {
    let mut file = File::open(&seg.path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file.take(seg.bytes.saturating_sub(offset)));
    let mut out = Vec::new();
    let mut frame = Vec::new();
    while out.len() < max {
        frame.resize(FRAME_HEAD, 0);
        if reader.read_exact(&mut frame).is_err() {
            break;
        }
        let len = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
        if len > MAX_BODY {
            return Err(std::io::Error::other("a checked frame changed on disk"));
        }
        frame.resize(FRAME_HEAD + len, 0);
        reader.read_exact(&mut frame[FRAME_HEAD..])?;
        match read_frame(&frame) {
            Framed::Frame(e) => out.push(e),
            Framed::Short | Framed::Corrupt => return Err(std::io::Error::other("a checked frame changed on disk")),
        }
    }
    Ok(out)
}
