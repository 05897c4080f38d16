//! A tarpit for fault injection: a server that accepts TCP connections and never says a word,
//! to prove that every wait of the client is bounded.

use std::net::SocketAddr;

use crate::net::unique_loopback;

/// Accepts connections on a loopback address of its own, holds them open and stays silent.
/// Stops listening when dropped.
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
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        Self { addr, task }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
