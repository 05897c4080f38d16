//! A tarpit for fault injection: a server that accepts TCP connections and never says a word,
//! to prove that every wait of the client is bounded.

use std::net::SocketAddr;

use tokio::io::AsyncReadExt;

use crate::net::unique_loopback;

/// Accepts connections on a loopback address of its own and stays silent, holding each
/// connection open until the client leaves (as a host that hangs before its SSH banner does), so
/// that a client which gives up leaves no socket behind on either side. Stops listening, and
/// drops the connections it holds, when dropped.
pub struct SilentServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl SilentServer {
    /// Starts listening on port 2222 of a fresh loopback address.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(unique_loopback().into(), 2222)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut held = tokio::task::JoinSet::new();
            while let Ok((mut s, _)) = listener.accept().await {
                // Reads (and ignores) what the client says until it closes its side.
                held.spawn(async move {
                    let mut buf = [0u8; 1024];
                    while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
                });
                while held.try_join_next().is_some() {}
            }
        });
        Self { addr, task }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts the held connections.
        self.task.abort();
    }
}
