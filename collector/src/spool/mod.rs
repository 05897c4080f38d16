//! The spool: samples the database cannot take now, kept on disk next to the collector and
//! replayed in the order they were taken when it can.
//!
//! An append-only log of checksummed frames (`record.rs`) in numbered segment files
//! (`segment.rs`) under `<collector.state_dir>/spool-<member>/`. A batch is appended with one
//! write and one `fsync`; a crash can only cut the last frame short, and the torn frame is cut off
//! when the spool is opened again. The replay position is kept in memory and a segment is deleted
//! once all its frames are stored, so after a crash the replay starts again at the first segment's
//! start: the caller skips each sample the database already holds (taken at or before its server's
//! latest stored sample), which makes the replay exactly once.
//!
//! Bounded by size and by age (`[spool]`): past the size bound the oldest segment is deleted, and
//! a sample older than the age bound is dropped instead of replayed; either way counted and logged.

mod held;
mod record;
mod segment;

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fleetwatch_store::Success;

pub use held::{Held, HeldFile};
pub use record::{DecodeError, Entry, Spooled};
use segment::{Segment, Tail};

/// The spool directory of `member` under the collector's state directory.
pub fn dir_of(state_dir: &Path, member: &str) -> PathBuf {
    state_dir.join(format!("spool-{}", file_safe(member)))
}

/// `member` as a file name: anything but ASCII letters, digits, `-`, `_` and `.` becomes `_`.
pub fn file_safe(member: &str) -> String {
    member.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
}

/// The spool's bounds.
#[derive(Debug, Clone, Copy)]
pub struct SpoolLimits {
    pub max_bytes: u64,
    pub max_age: Duration,
}

/// What the spool holds and has dropped, for the logs and the cycle's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpoolStats {
    /// Samples waiting to be stored.
    pub depth: u64,
    /// Bytes on disk (segments not yet deleted).
    pub bytes: u64,
    /// Samples dropped by this process: past the size or age bound, or unreadable.
    pub dropped: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("spool {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode a sample for the spool: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Frames read for the replay, valid until the head moves by other means (see [`Spool::ack`]).
pub struct Peeked {
    generation: u64,
    pub entries: Vec<Entry>,
}

/// The on-disk spool of one collector member (hold its `MemberLock` while this lives).
pub struct Spool {
    dir: PathBuf,
    limits: SpoolLimits,
    segment_max: u64,
    /// Oldest first; the last one is written to.
    segments: VecDeque<Segment>,
    /// Bytes and frames of the first segment already replayed.
    head_offset: u64,
    head_frames: u64,
    /// Changes whenever the head moves other than by an ack (a bound dropped its segment).
    generation: u64,
    writer: Option<File>,
    dropped: u64,
}

impl Spool {
    /// Opens (creating it if missing) the spool in `dir`, checking every frame; a torn last frame
    /// is cut off, and what follows a corrupt frame is logged and left out.
    pub fn open(dir: &Path, limits: SpoolLimits) -> Result<Self, SpoolError> {
        let io = |source| SpoolError::Io { path: dir.to_path_buf(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let ids = segment::list(dir).map_err(io)?;
        let mut segments = VecDeque::new();
        for (i, id) in ids.iter().enumerate() {
            let (seg, tail) = segment::scan(dir, *id).map_err(io)?;
            match tail {
                Tail::Clean => {}
                Tail::Torn(n) if i + 1 == ids.len() => {
                    tracing::warn!(segment = %seg.path.display(), bytes = n, "spool: cutting off a sample cut short by a crash");
                }
                Tail::Torn(n) | Tail::Corrupt(n) => {
                    tracing::error!(segment = %seg.path.display(), bytes = n, "spool: unreadable bytes left out");
                }
            }
            if tail != Tail::Clean {
                let f = OpenOptions::new().write(true).open(&seg.path).map_err(io)?;
                f.set_len(seg.bytes).map_err(io)?;
                f.sync_all().map_err(io)?;
            }
            if seg.frames == 0 {
                std::fs::remove_file(&seg.path).map_err(io)?;
                continue;
            }
            segments.push_back(seg);
        }
        let segment_max = (limits.max_bytes / 8).clamp(64 << 10, 32 << 20);
        let spool = Self {
            dir: dir.to_path_buf(),
            limits,
            segment_max,
            segments,
            head_offset: 0,
            head_frames: 0,
            generation: 0,
            writer: None,
            dropped: 0,
        };
        let stats = spool.stats();
        if stats.depth > 0 {
            tracing::info!(
                samples = stats.depth,
                bytes = stats.bytes,
                dir = %dir.display(),
                "spool: samples kept from an earlier run wait for the database"
            );
        }
        Ok(spool)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn stats(&self) -> SpoolStats {
        let frames: u64 = self.segments.iter().map(|s| s.frames).sum();
        SpoolStats {
            depth: frames - self.head_frames,
            bytes: self.segments.iter().map(|s| s.bytes).sum(),
            dropped: self.dropped,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.stats().depth == 0
    }

    /// Appends `batch`, in order, with one write and one `fsync`; then applies the bounds.
    pub fn append(&mut self, batch: &[Success<'_>]) -> Result<(), SpoolError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut bytes = Vec::new();
        let mut newest = i64::MIN;
        for s in batch {
            bytes.extend_from_slice(&record::encode(s)?);
            newest = newest.max(s.sample.timestamp.timestamp_millis());
        }
        let full = self.segments.back().is_none_or(|s| s.bytes >= self.segment_max);
        if self.writer.is_none() || full {
            self.start_segment()?;
        }
        let (Some(seg), Some(w)) = (self.segments.back_mut(), self.writer.as_mut()) else {
            return Err(SpoolError::Io {
                path: self.dir.clone(),
                source: std::io::Error::other("no segment to write"),
            });
        };
        let io = |source| SpoolError::Io { path: seg.path.clone(), source };
        if let Err(e) = w.write_all(&bytes).and_then(|()| w.sync_data()) {
            // Cut off whatever part was written, so the file ends on a whole frame again.
            if let Err(cut) = w.set_len(seg.bytes) {
                tracing::error!(error = %cut, "spool: cannot cut off a failed write");
            }
            return Err(io(e));
        }
        seg.bytes += bytes.len() as u64;
        seg.frames += batch.len() as u64;
        seg.newest_ms = seg.newest_ms.max(newest);
        self.apply_bounds(chrono::Utc::now().timestamp_millis())
    }

    fn start_segment(&mut self) -> Result<(), SpoolError> {
        let id = self.segments.back().map_or(1, |s| s.id + 1);
        let path = self.dir.join(segment::file_name(id));
        let io = |source| SpoolError::Io { path: path.clone(), source };
        let file = OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
        // The new name itself must survive a crash.
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io)?;
        self.writer = Some(file);
        self.segments.push_back(Segment { id, path, bytes: 0, frames: 0, newest_ms: i64::MIN });
        Ok(())
    }

    /// Deletes the oldest segments while the spool is over its size bound (the one being
    /// written excepted) or while their newest sample is past the age bound.
    fn apply_bounds(&mut self, now_ms: i64) -> Result<(), SpoolError> {
        let cutoff = now_ms.saturating_sub(self.limits.max_age.as_millis().min(i64::MAX as u128) as i64);
        loop {
            let bytes: u64 = self.segments.iter().map(|s| s.bytes).sum();
            let Some(first) = self.segments.front() else { return Ok(()) };
            let over_size = bytes > self.limits.max_bytes && self.segments.len() > 1;
            let too_old = first.newest_ms < cutoff;
            if !over_size && !too_old {
                return Ok(());
            }
            let lost = first.frames - self.head_frames;
            self.remove_first()?;
            self.generation += 1;
            self.dropped += lost;
            tracing::warn!(
                samples = lost,
                dropped_total = self.dropped,
                bound = if over_size { "size" } else { "age" },
                max_bytes = self.limits.max_bytes,
                max_age_secs = self.limits.max_age.as_secs(),
                "spool full: the oldest samples were dropped"
            );
        }
    }

    /// Deletes the first segment; the replay goes on at the start of the next.
    fn remove_first(&mut self) -> Result<(), SpoolError> {
        if let Some(seg) = self.segments.pop_front() {
            if self.segments.is_empty() {
                self.writer = None;
            }
            std::fs::remove_file(&seg.path).map_err(|source| SpoolError::Io { path: seg.path.clone(), source })?;
        }
        self.head_offset = 0;
        self.head_frames = 0;
        Ok(())
    }

    /// Up to `max` of the oldest waiting samples, in order, without removing them.
    pub fn peek(&self, max: usize) -> Result<Peeked, SpoolError> {
        let mut entries = Vec::new();
        let mut offset = self.head_offset;
        for seg in &self.segments {
            if entries.len() >= max {
                break;
            }
            let more = segment::read_from(seg, offset, max - entries.len())
                .map_err(|source| SpoolError::Io { path: seg.path.clone(), source })?;
            entries.extend(more);
            offset = 0;
        }
        Ok(Peeked { generation: self.generation, entries })
    }

    /// Whether `e` is past the age bound (to be dropped, not replayed).
    pub fn expired(&self, e: &Entry, now_ms: i64) -> bool {
        now_ms.saturating_sub(e.taken_ms) > self.limits.max_age.as_millis().min(i64::MAX as u128) as i64
    }

    /// Counts samples dropped by the replay (expired or unreadable).
    pub fn count_dropped(&mut self, n: u64) {
        self.dropped += n;
    }

    /// Removes the first `n` samples of `peeked` (stored, skipped or dropped): a segment goes
    /// once all its samples are gone. Nothing happens when a bound moved the head since the
    /// peek: those samples come back and are skipped as already stored.
    pub fn ack(&mut self, peeked: &Peeked, n: usize) -> Result<(), SpoolError> {
        if peeked.generation != self.generation {
            return Ok(());
        }
        for e in peeked.entries.iter().take(n) {
            let Some(frames) = self.segments.front().map(|s| s.frames) else { break };
            self.head_offset += e.len;
            self.head_frames += 1;
            if self.head_frames >= frames {
                self.remove_first()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
