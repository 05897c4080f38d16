//! Host key verification. Never accept-any: a key is trusted because it matches a pinned
//! fingerprint, an OpenSSH known_hosts file, or the fingerprint recorded on first use.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use russh::keys::{HashAlg, PublicKey, PublicKeyOrCertificate};

use crate::error::CollectError;
pub use crate::error::TrustSource;

/// What the server's key must be.
#[derive(Debug, Clone)]
pub enum Expectation {
    /// A known fingerprint; `source` says where it came from (for the mismatch message).
    Fingerprint { fingerprint: String, source: TrustSource },
    /// An OpenSSH known_hosts file; the host must be listed.
    KnownHosts { path: PathBuf, host: String, port: u16 },
    /// No record yet: accept, and the caller records what was seen.
    FirstUse,
    /// Only look: note the key and refuse the connection (no credential is ever offered).
    ShowOnly,
}

/// What happened when the server showed its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Trusted {
        fingerprint: String,
    },
    /// Accepted under trust on first use: the caller must record `fingerprint`.
    FirstUse {
        fingerprint: String,
    },
    Mismatch {
        expected: String,
        presented: String,
        source: TrustSource,
    },
    Unknown {
        presented: String,
        known_hosts: String,
    },
    /// Under [`Expectation::ShowOnly`]: what the server showed; the connection was refused.
    Shown {
        presented: String,
    },
}

impl Verdict {
    /// The error for a verdict that refused the connection.
    pub fn into_error(self) -> Option<CollectError> {
        match self {
            Verdict::Mismatch { expected, presented, source } => {
                Some(CollectError::HostKeyMismatch { expected, presented, source_of_trust: source })
            }
            Verdict::Unknown { presented, known_hosts } => {
                Some(CollectError::HostKeyUnknown { presented, known_hosts })
            }
            _ => None,
        }
    }
}

/// The SHA-256 fingerprint as `ssh-keygen -l` prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The russh client handler: it only verifies the host key and remembers its verdict.
pub struct Verifier {
    expectation: Expectation,
    verdict: Arc<Mutex<Option<Verdict>>>,
}

impl Verifier {
    pub fn new(expectation: Expectation) -> (Self, Arc<Mutex<Option<Verdict>>>) {
        let verdict = Arc::new(Mutex::new(None));
        (Self { expectation, verdict: verdict.clone() }, verdict)
    }

    fn judge(&self, key: &PublicKey) -> Verdict {
        let presented = fingerprint(key);
        match &self.expectation {
            Expectation::Fingerprint { fingerprint, source } => {
                if *fingerprint == presented {
                    Verdict::Trusted { fingerprint: presented }
                } else {
                    Verdict::Mismatch { expected: fingerprint.clone(), presented, source: source.clone() }
                }
            }
            Expectation::KnownHosts { path, host, port } => {
                let file = path.display().to_string();
                match russh::keys::check_known_hosts_path(host, *port, key, path) {
                    Ok(true) => Verdict::Trusted { fingerprint: presented },
                    Ok(false) => Verdict::Unknown { presented, known_hosts: file },
                    Err(russh::keys::Error::KeyChanged { line }) => Verdict::Mismatch {
                        expected: format!("the key on line {line}"),
                        presented,
                        source: TrustSource::KnownHosts(path.clone()),
                    },
                    Err(e) => Verdict::Unknown { presented, known_hosts: format!("{file} ({e})") },
                }
            }
            Expectation::FirstUse => Verdict::FirstUse { fingerprint: presented },
            Expectation::ShowOnly => Verdict::Shown { presented },
        }
    }
}

impl russh::client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let public = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        let verdict = self.judge(&public);
        let accept = matches!(verdict, Verdict::Trusted { .. } | Verdict::FirstUse { .. });
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(verdict);
        }
        Ok(accept)
    }
}
