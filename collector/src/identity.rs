//! A collector's identity among the members of a cluster, stable across restarts, and the lock
//! that keeps two live processes on one machine from sharing it.
//!
//! The default identity is `<hostname>-<hash>`, the hash taken over the database's address (its
//! scheme, host, port and path: never the user, password or query) and the config file's path,
//! so the collector restarted after a `kill -9` holds its leases again at its first cycle instead
//! of waiting `member_timeout` for its dead self to expire.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::cluster::host_name;
use crate::spool::file_safe;

/// The identity cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "collector member {member:?} is already running on this machine{by} (lock {path}): \
         stop it, or give this one another collector.member_id"
    )]
    InUse { member: String, by: String, path: PathBuf },
    #[error("cannot lock {path} for collector member {member:?}: {source}")]
    Io {
        member: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The configured identity, or the default one for this machine, database and config file.
pub fn member_id(configured: Option<&str>, database_url: &str, config_path: Option<&Path>) -> String {
    if let Some(id) = configured {
        return id.to_owned();
    }
    let path = config_path.map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    let key = format!("{}\0{}", public_address(database_url), path.as_deref().unwrap_or(Path::new("")).display());
    format!("{}-{:08x}", host_name(), fnv1a(key.as_bytes()) as u32)
}

/// `scheme://host:port/path` of a database URL: its user, password and query are left out.
fn public_address(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or("");
    let Some((scheme, rest)) = url.split_once("://") else {
        // `sqlite:file.db`, `sqlite::memory:`: no authority, hence no credentials.
        return url.to_owned();
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}{path}")
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// An exclusive lock on a member identity, held while this value lives (the operating system
/// releases it when the process dies, however it dies).
#[derive(Debug)]
pub struct MemberLock {
    _file: File,
    path: PathBuf,
}

impl MemberLock {
    /// Takes the lock of `member` in `dir` (created if missing), or says who holds it.
    pub fn acquire(dir: &Path, member: &str) -> Result<Self, IdentityError> {
        let path = dir.join(format!("collector-{}.lock", file_safe(member)));
        let io = |source| IdentityError::Io { member: member.to_owned(), path: path.clone(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let by = match file.read_to_string(&mut holder) {
                    Ok(_) if !holder.trim().is_empty() => format!(" as process {}", holder.trim()),
                    _ => String::new(),
                };
                return Err(IdentityError::InUse { member: member.to_owned(), by, path });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(Self { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_default_identity_never_holds_a_secret_and_is_stable() {
        let a = member_id(None, "postgres://fw:s3cret@db:5432/fleet?password=other", Some(Path::new("/etc/fw.toml")));
        assert!(!a.contains("s3cret") && !a.contains("other"), "{a}");
        assert!(a.starts_with(&format!("{}-", host_name())), "{a}");
        // The same database with another password is the same member.
        let b = member_id(None, "postgres://fw:changed@db:5432/fleet", Some(Path::new("/etc/fw.toml")));
        assert_eq!(a, b);
        // Another database or config file is another member.
        assert_ne!(a, member_id(None, "postgres://fw:s3cret@db:5432/other", Some(Path::new("/etc/fw.toml"))));
        assert_ne!(a, member_id(None, "postgres://fw:s3cret@db:5432/fleet", Some(Path::new("/etc/fw2.toml"))));
        assert_eq!(member_id(Some("edge-1"), "sqlite://x.db", None), "edge-1");
        assert_eq!(public_address("postgres://u:p@h:1/d?sslmode=require"), "postgres://h:1/d");
        assert_eq!(public_address("sqlite:///var/lib/fw.db"), "sqlite:///var/lib/fw.db");
    }

    #[test]
    fn one_identity_is_locked_by_one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = MemberLock::acquire(dir.path(), "host-1").unwrap();
        let err = MemberLock::acquire(dir.path(), "host-1").unwrap_err();
        assert!(err.to_string().contains("already running"), "{err}");
        assert!(err.to_string().contains(&std::process::id().to_string()), "{err}");
        MemberLock::acquire(dir.path(), "host-2").unwrap();
        drop(first);
        MemberLock::acquire(dir.path(), "host-1").unwrap();
    }
}
