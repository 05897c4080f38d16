//! The servers a cluster member held at its last successful claim, kept in its state directory
//! so that a collector restarted while the database is down polls them again (and a member that
//! never held any, and knew no other, polls the whole configuration).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What the last successful claim saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub servers: HashSet<String>,
    /// Live members the claim knew, this one included.
    pub members: usize,
}

/// The file of one member's [`Held`].
#[derive(Debug, Clone)]
pub struct HeldFile {
    path: PathBuf,
}

impl HeldFile {
    pub fn new(dir: &Path, member: &str) -> Self {
        Self { path: dir.join(format!("collector-{}.held.json", crate::spool::file_safe(member))) }
    }

    /// What was kept, or nothing (never claimed; an unreadable file is logged).
    pub fn load(&self) -> Option<Held> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot read the servers held last");
                return None;
            }
        };
        serde_json::from_str(&text)
            .inspect_err(|e| tracing::warn!(path = %self.path.display(), error = %e, "servers held last: unreadable"))
            .ok()
    }

    /// Replaces the file (a new file renamed over the old, so a crash leaves one or the other).
    pub fn save(&self, held: &Held) {
        let tmp = self.path.with_extension("json.tmp");
        let written = serde_json::to_vec(held).map_err(std::io::Error::other).and_then(|bytes| {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        });
        if let Err(e) = written {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot keep the servers held last");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn what_a_member_held_is_read_back_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let file = HeldFile::new(dir.path(), "host/1");
        assert_eq!(file.load(), None);
        let held = Held { servers: ["a".to_string(), "b".to_string()].into(), members: 2 };
        file.save(&held);
        assert_eq!(HeldFile::new(dir.path(), "host/1").load(), Some(held));
        std::fs::write(dir.path().join("collector-host_1.held.json"), "{not json").unwrap();
        assert_eq!(file.load(), None);
    }
}
