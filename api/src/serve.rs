//! The accept loop: HTTP/1.1 on a TCP listener, each client's address in its requests, and the
//! deadlines a server on the open internet needs. `axum::serve` installs no timer, so hyper's
//! header deadline never fires there, and its HTTP/2 detection waits for a first byte without
//! end: a client that connects and sends nothing, or half a request line, holds its connection
//! forever (slowloris). Here a client gets [`Limits::header_read`] to send each request head
//! (from the connection's start, and between requests on a kept-alive connection) and
//! [`Limits::body_read`] for its body. HTTP/1.1 only: browsers speak HTTP/2 only over TLS,
//! which nginx terminates.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// How long a client may take, per connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// To send a request's head (request line and headers), from the connection's start or the
    /// previous response: past it the connection is closed (also an idle kept-alive one).
    pub header_read: Duration,
    /// To send a request's body, from its head: past it the body reads as an error and the
    /// request is answered 4xx (uploads here are small: an ingest is at most 8 MiB).
    pub body_read: Duration,
    /// At shutdown, how long open connections (live streams among them) may take to end.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { header_read: Duration::from_secs(10), body_read: Duration::from_secs(30), drain: Duration::from_secs(5) }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves; handlers see each client's address
/// (the login limits and the audit log use it).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, shutdown, Limits::default()).await
}

/// [`serve`] with other [`Limits`].
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read);
    let app = app.layer(RequestBodyTimeoutLayer::new(limits.body_read));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone().map_request(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app)));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain, graceful.shutdown()).await.is_err() {
        tracing::info!(drain = ?limits.drain, "connections still open at shutdown were closed");
    }
    Ok(())
}
