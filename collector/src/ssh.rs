//! One SSH connection per server (russh), kept open across cycles. Every wait is bounded.

use std::sync::Arc;
use std::time::Duration;

use russh::ChannelMsg;
use russh::client::{self, Handle};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg};
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpStream;
use tokio::time::timeout;

use fleetwatch_config::{Credentials, SshServer};

use crate::error::{ChannelStep, CollectError, ConnectionError, Stage};
use crate::exec::ExecOutput;
use crate::hostkey::{Expectation, Verdict, Verifier};

/// Output caps: a lying server cannot make the collector hold more than this.
pub const MAX_STDOUT: usize = 8 * 1024 * 1024;
pub const MAX_STDERR: usize = 64 * 1024;

/// How long a goodbye may take before the connection is dropped without one.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest data packet the servers may send us. A connection's read buffer grows to the
/// largest packet it ever received and is never given back: at russh's default of 32 KiB, the
/// first cycle's output (every process, the inventory) left ~29 KiB per kept connection, 29 MiB
/// at 1,000 hosts, for steady outputs of ~5 KB (docs/benchmarks.md, issue #13).
const MAX_PACKET: u32 = 8 * 1024;

/// The russh client settings shared by all connections.
pub fn client_config() -> Arc<client::Config> {
    Arc::new(client::Config {
        // Connections live across cycles; keepalives find the dead ones.
        inactivity_timeout: None,
        keepalive_interval: Some(Duration::from_secs(60)),
        keepalive_max: 3,
        maximum_packet_size: MAX_PACKET,
        preferred: preferred(),
        ..Default::default()
    })
}

/// russh's algorithm preferences, with AES-GCM first where this CPU has AES and carry-less
/// multiply instructions: there it encrypts and authenticates a host-poll's ~16 KB for less
/// CPU than ChaCha20-Poly1305 (russh's first choice, made for CPUs without them), on both
/// ends of the connection (docs/benchmarks.md, issue #13). Elsewhere the order is russh's.
fn preferred() -> russh::Preferred {
    let mut p = russh::Preferred::default();
    if hardware_aes() {
        let first = russh::cipher::AES_256_GCM;
        let rest = p.cipher.iter().copied().filter(|n| *n != first);
        p.cipher = std::iter::once(first).chain(rest).collect::<Vec<_>>().into();
    }
    p
}

fn hardware_aes() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("aes") && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("aes") && std::arch::is_aarch64_feature_detected!("pmull")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// The credential offered to the server: a password (still secret), or a loaded private key.
enum Offer<'a> {
    Password(&'a SecretString),
    Key(Arc<PrivateKey>),
}

/// An authenticated SSH connection.
pub struct SshSession {
    handle: Handle<Verifier>,
    /// The fingerprint the server showed, and whether it was accepted on first use.
    pub verdict: Verdict,
}

impl SshSession {
    /// Connects, verifies the host key, and authenticates, each step within `connect_timeout`.
    pub async fn connect(
        server: &SshServer,
        expectation: Expectation,
        config: Arc<client::Config>,
        connect_timeout: Duration,
    ) -> Result<Self, CollectError> {
        let secs = connect_timeout.as_secs();
        let (stream, addr) = open_stream(server, connect_timeout).await?;
        let (verifier, verdict_slot) = Verifier::new(expectation);
        let connected = timeout(connect_timeout, client::connect_stream(config, stream, verifier)).await;
        let take_verdict = || verdict_slot.lock().ok().and_then(|mut v| v.take());
        let mut handle = match connected {
            Err(_) => return Err(CollectError::Timeout { stage: Stage::Handshake, secs }),
            Ok(Err(source)) => {
                if let Some(err) = take_verdict().and_then(Verdict::into_error) {
                    return Err(err);
                }
                return Err(ConnectionError::Handshake { addr, source }.into());
            }
            Ok(Ok(h)) => h,
        };
        let verdict = take_verdict().ok_or(ConnectionError::NoVerdict)?;

        // Loaded only now: like credentials are offered, they are read once the key is trusted.
        let offer = match &server.credentials {
            Credentials::Password(pw) => Offer::Password(pw),
            Credentials::Key { path, passphrase } => Offer::Key(Arc::new(
                russh::keys::load_secret_key(path, passphrase.as_ref().map(|p| p.expose_secret()))
                    .map_err(|source| CollectError::Credentials { path: path.clone(), source })?,
            )),
        };
        let auth = async {
            match offer {
                Offer::Password(pw) => handle.authenticate_password(&server.user, pw.expose_secret()).await,
                Offer::Key(key) => {
                    let hash =
                        if key.algorithm().is_rsa() { handle.best_supported_rsa_hash().await?.flatten() } else { None };
                    handle.authenticate_publickey(&server.user, PrivateKeyWithHashAlg::new(key, hash)).await
                }
            }
        };
        match timeout(connect_timeout, auth).await {
            Err(_) => Err(CollectError::Timeout { stage: Stage::Authenticating, secs }),
            Ok(Err(source)) => Err(ConnectionError::Auth { addr, source }.into()),
            Ok(Ok(r)) if r.success() => Ok(Self { handle, verdict }),
            Ok(Ok(_)) => Err(CollectError::AuthFailed { user: server.user.clone() }),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Runs `command` with `stdin` as its input, reading until the channel closes.
    pub async fn exec(&self, command: &str, stdin: &[u8], limit: Duration) -> Result<ExecOutput, CollectError> {
        let secs = limit.as_secs();
        let run = async {
            let mut channel = self.handle.channel_open_session().await.map_err(channel_error(ChannelStep::Open))?;
            channel.exec(true, command).await.map_err(channel_error(ChannelStep::Exec))?;
            let mut out = ExecOutput::default();
            // The program is written once the server has said it runs the command, in two
            // messages: see [`send_program`].
            loop {
                match channel.wait().await {
                    Some(ChannelMsg::Success) => break,
                    Some(ChannelMsg::Failure) => return Err(ConnectionError::ExecRefused.into()),
                    Some(ChannelMsg::Data { data }) => out.push_stdout(&data, MAX_STDOUT)?,
                    Some(ChannelMsg::ExtendedData { data, ext: 1 }) => out.push_stderr(&data, MAX_STDERR),
                    Some(ChannelMsg::Close) | None => {
                        return Err(ConnectionError::Lost { stdout_bytes: out.stdout.len() }.into());
                    }
                    Some(_) => {}
                }
            }
            send_program(&channel, stdin).await?;
            channel.eof().await.map_err(channel_error(ChannelStep::SendEof))?;
            // Exit status may come before the last data, and EOF and exit status in either order:
            // read until the channel is closed.
            while let Some(msg) = channel.wait().await {
                match msg {
                    ChannelMsg::Data { data } => out.push_stdout(&data, MAX_STDOUT)?,
                    ChannelMsg::ExtendedData { data, ext: 1 } => out.push_stderr(&data, MAX_STDERR),
                    ChannelMsg::ExitStatus { exit_status } => out.exit_status = Some(exit_status as i32),
                    ChannelMsg::ExitSignal { signal_name, .. } => {
                        out.signal = Some(format!("{signal_name:?}"));
                    }
                    ChannelMsg::Close => return Ok(out),
                    _ => {}
                }
            }
            // The channel's messages ended without a close: the connection went away while the
            // program ran. What came so far is cut short; parsed, it could pass for a sample.
            Err(ConnectionError::Lost { stdout_bytes: out.stdout.len() }.into())
        };
        match timeout(limit, run).await {
            Ok(r) => r,
            Err(_) => Err(CollectError::Timeout { stage: Stage::RunningScripts, secs }),
        }
    }

    /// Says goodbye, within [`CLOSE_TIMEOUT`] (a session stuck on a full socket would make
    /// the goodbye wait), then drops the connection either way.
    pub async fn close(self) {
        match timeout(CLOSE_TIMEOUT, self.handle.disconnect(russh::Disconnect::ByApplication, "bye", "en")).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "disconnect failed"),
            Err(_) => tracing::debug!("disconnect timed out; connection dropped"),
        }
    }
}

/// Resolves the server's address and opens a TCP connection to it, each step within
/// `connect_timeout`; also returns `host:port`, for messages.
async fn open_stream(server: &SshServer, connect_timeout: Duration) -> Result<(TcpStream, String), CollectError> {
    let secs = connect_timeout.as_secs();
    let addr = format!("{}:{}", server.host, server.port);
    let addrs: Vec<_> = match timeout(connect_timeout, tokio::net::lookup_host(addr.as_str())).await {
        Err(_) => return Err(CollectError::Timeout { stage: Stage::Resolving, secs }),
        Ok(Err(_)) => return Err(CollectError::Dns { host: server.host.clone() }),
        Ok(Ok(a)) => a.collect(),
    };
    if addrs.is_empty() {
        return Err(CollectError::Dns { host: server.host.clone() });
    }
    let stream = match timeout(connect_timeout, TcpStream::connect(&addrs[..])).await {
        Err(_) => return Err(CollectError::Timeout { stage: Stage::Connecting, secs }),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(CollectError::ConnectionRefused { addr });
        }
        Ok(Err(source)) => return Err(ConnectionError::Tcp { addr, source }.into()),
        Ok(Ok(s)) => s,
    };
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "set_nodelay failed");
    }
    Ok((stream, addr))
}

/// The `SHA256:…` fingerprint of the host key the server shows, read in the key exchange, after
/// which the connection is refused: no credential is offered to a key not trusted yet. For
/// `fleetwatch host-key accept`.
pub async fn offered_host_key(
    server: &SshServer,
    config: Arc<client::Config>,
    connect_timeout: Duration,
) -> Result<String, CollectError> {
    let (stream, addr) = open_stream(server, connect_timeout).await?;
    let (verifier, verdict) = Verifier::new(Expectation::ShowOnly);
    let shaken = timeout(connect_timeout, client::connect_stream(config, stream, verifier)).await;
    let seen = verdict.lock().ok().and_then(|mut v| v.take());
    match (seen, shaken) {
        (Some(Verdict::Shown { presented }), _) => Ok(presented),
        (_, Err(_)) => Err(CollectError::Timeout { stage: Stage::Handshake, secs: connect_timeout.as_secs() }),
        (_, Ok(Err(source))) => Err(ConnectionError::Handshake { addr, source }.into()),
        (_, Ok(Ok(_))) => Err(ConnectionError::NoVerdict.into()),
    }
}

/// Writes `program` to the channel so that russh's buffers of the connection keep about the
/// program's size, not twice it (they keep their capacity for the connection's life, so this is
/// ~25 KB a host, 25 MB at 1,000 hosts; docs/benchmarks.md, issue #13).
///
/// - After the server's reply to the exec request: with nothing else queued, russh seals the
///   data straight into its output buffer instead of copying it through a plaintext one first.
/// - In two messages, the first a little over half: russh reserves room for exactly one message
///   (and a small margin), and a `Vec` grown past its capacity doubles. One message of N bytes
///   and the EOF after it left a 2N buffer; the first half's reservation, doubled by the
///   second, holds the second and the EOF.
async fn send_program(channel: &russh::Channel<russh::client::Msg>, program: &[u8]) -> Result<(), CollectError> {
    let (first, second) = program.split_at((program.len() / 2 + 128).min(program.len()));
    for part in [first, second] {
        if !part.is_empty() {
            channel.data_bytes(part.to_vec()).await.map_err(channel_error(ChannelStep::SendScript))?;
        }
    }
    Ok(())
}

fn channel_error(step: ChannelStep) -> impl FnOnce(russh::Error) -> CollectError {
    move |source| ConnectionError::Channel { step, source }.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_send_small_packets_and_aes_gcm_comes_first_where_the_cpu_has_it() {
        let config = client_config();
        assert!(config.maximum_packet_size <= 8 * 1024, "{}", config.maximum_packet_size);
        let first = config.preferred.cipher.first().copied();
        let default = russh::Preferred::default();
        if hardware_aes() {
            assert_eq!(first, Some(russh::cipher::AES_256_GCM));
        } else {
            assert_eq!(first, default.cipher.first().copied());
        }
        // Only the order moves: the same ciphers are offered.
        let mut ours: Vec<&str> = config.preferred.cipher.iter().map(|n| n.as_ref()).collect();
        let mut theirs: Vec<&str> = default.cipher.iter().map(|n| n.as_ref()).collect();
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(ours, theirs);
    }
}
