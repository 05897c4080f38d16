//! `GET /api/events`: server-sent events, one `server` event per changed server, one `alert`
//! event per alert that fired, changed severity, resolved or was acknowledged, a `resync` event
//! when this client fell behind and missed some (reload everything), keep-alive comments every
//! 15 s. `X-Accel-Buffering: no` tells nginx not to buffer the stream.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::events::{EventHub, LiveEvent};

#[utoipa::path(
    get,
    path = "/api/events",
    tag = "events",
    responses((status = 200, description = "Server-sent events: collection state changes and alert transitions", body = String, content_type = "text/event-stream"))
)]
pub async fn stream(State(hub): State<Arc<EventHub>>) -> impl IntoResponse {
    let (rx, closed) = hub.subscribe();
    let sse =
        Sse::new(events(rx, closed)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keepalive"));
    let mut resp = sse.into_response();
    resp.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

fn events(
    rx: tokio::sync::broadcast::Receiver<LiveEvent>,
    closed: tokio::sync::watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold((rx, closed), |(mut rx, mut closed)| async move {
        loop {
            if *closed.borrow() {
                return None;
            }
            let next = tokio::select! {
                r = rx.recv() => r,
                _ = closed.changed() => return None,
            };
            match next {
                Ok(live) => {
                    let encoded = match &live {
                        LiveEvent::Server(info) => Event::default().event("server").json_data(info),
                        LiveEvent::Alert(alert) => Event::default().event("alert").json_data(alert),
                    };
                    match encoded {
                        Ok(ev) => return Some((Ok(ev), (rx, closed))),
                        Err(e) => tracing::warn!(error = %e, "cannot encode a live event"),
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    // Tell the client it missed events, so it reloads instead of showing stale cards.
                    tracing::debug!(skipped = n, "a slow live client skipped events");
                    return Some((Ok(Event::default().event("resync").data(n.to_string())), (rx, closed)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
