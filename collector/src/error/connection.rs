//! A connection that failed after the TCP connect was attempted: the step, and the I/O or SSH
//! error underneath (`#[source]`).

use std::fmt;

/// Why a connection failed (offline reason "connection failed"; retried).
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The TCP connect failed for another reason than a refusal.
    #[error("{addr}: {source}")]
    Tcp {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("SSH handshake with {addr} failed: {source}")]
    Handshake {
        addr: String,
        #[source]
        source: russh::Error,
    },
    /// The handshake ended without the host key being judged.
    #[error("no host key was verified")]
    NoVerdict,
    /// The authentication exchange broke (a refusal is [`super::CollectError::AuthFailed`]).
    #[error("authentication with {addr} failed: {source}")]
    Auth {
        addr: String,
        #[source]
        source: russh::Error,
    },
    /// A step of running the program on an open connection.
    #[error("{step}: {source}")]
    Channel {
        step: ChannelStep,
        #[source]
        source: russh::Error,
    },
    /// The server answered the exec request with a failure: it does not run the program.
    #[error("the server refused to run the program (exec request denied)")]
    ExecRefused,
    /// The connection went away before the program's channel closed (the server dropped it
    /// mid-output): the partial output is never parsed.
    #[error("the connection was lost while the program ran ({stdout_bytes} bytes of output received)")]
    Lost { stdout_bytes: usize },
    /// Trust on first use needs the recorded key, and the database did not answer.
    #[error("the database is unavailable, so the recorded host key cannot be checked")]
    HostKeyUnreadable,
    /// A key trusted on first use could not be recorded, so it is not used.
    #[error("cannot record the host key: database unavailable")]
    HostKeyUnrecorded,
}

/// The steps of one exec on an SSH connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelStep {
    Open,
    Exec,
    SendScript,
    SendEof,
}

impl fmt::Display for ChannelStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Open => "cannot open a channel",
            Self::Exec => "exec failed",
            Self::SendScript => "sending the script failed",
            Self::SendEof => "sending EOF failed",
        })
    }
}
