//! `GET /metrics`: the Prometheus scrape (rendered by `crate::metrics`).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::Result;
use crate::fleet::Fleet;
use crate::metrics::{CONTENT_TYPE, Snapshot, render};

/// The fleet, its alerts (of configured servers), the outbox, the channels and the collectors'
/// own figures. The fleet and the alerts must be readable; the rest is left out when it is not.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "metrics",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4"))
)]
pub async fn scrape(State(fleet): State<Fleet>) -> Result<impl IntoResponse> {
    let store = fleet.store();
    let servers = fleet.view().await?;
    let mut alerts = store.alerts().await?;
    alerts.retain(|(server, _)| fleet.server(server).is_some());
    let outbox_depth = store.outbox_depth().await.ok();
    let channels = store.channel_results().await.unwrap_or_default();
    let totals = store.channel_totals().await.unwrap_or_default();
    let collectors = store.collector_stats().await.unwrap_or_default();
    let snap = Snapshot {
        servers: &servers,
        alerts: &alerts,
        outbox_depth,
        channels: &channels,
        totals: &totals,
        collectors: &collectors,
    };
    let body = render(&snap);
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], body))
}
