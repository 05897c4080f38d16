//! Seed 004's `GET /api/servers/{host}/`: everything known about one configured server in one
//! answer — its configuration, status, latest headline sample and full collection, users,
//! current alerts, pinned host key and the names of its stored series.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use fleetwatch_common::{Details, ServerInfo, TopUser};
use serde::Serialize;

use super::alerts::AlertItem;
use super::known;
use crate::error::Result;
use crate::extract::Path;
use crate::fleet::{Fleet, ServerView};

/// Users listed at most.
const USERS: i64 = 1000;

/// The pinned host key, as the collector trusts it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PinnedKey {
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub first_seen: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServerDetail {
    /// Name, transport, host, port, tags, status and the latest sample's headline figures, as
    /// `/api/servers` lists them.
    #[serde(flatten)]
    pub server: ServerInfo,
    /// The latest full collection: CPU per core, memory, mounts, devices, interfaces, TCP,
    /// sessions, system, top processes, containers.
    pub details: Option<Details>,
    /// Its users by CPU, from the latest sample.
    pub users: Vec<TopUser>,
    /// Pending and firing alerts.
    pub alerts: Vec<AlertItem>,
    pub host_key: Option<PinnedKey>,
    /// The names `…/metrics/series?name=` charts.
    pub series: Vec<String>,
}

/// `GET /api/servers/{server_name}/` (and without the slash).
#[utoipa::path(
    get,
    path = "/api/servers/{server_name}",
    tag = "servers",
    params(("server_name" = String, Path, description = "A configured server's name")),
    responses((status = 200, description = "OK", body = ServerDetail))
)]
pub async fn detail(State(fleet): State<Fleet>, Path(name): Path<String>) -> Result<Json<ServerDetail>> {
    let meta = known(&fleet, &name)?;
    let store = fleet.store();
    let (status, latest, details, users, alerts, key, series) = tokio::try_join!(
        fleet.status(&name),
        store.latest_sample(&name),
        store.details(&name, None),
        store.top_users(Some(&name), USERS),
        store.alerts(),
        store.host_key(&name),
        store.series_names(&name),
    )?;
    let alerts =
        alerts.into_iter().filter(|(s, _)| *s == name).map(|(server, alert)| AlertItem { server, alert }).collect();
    Ok(Json(ServerDetail {
        server: ServerView { meta, status, latest }.info(),
        details,
        users,
        alerts,
        host_key: key.map(|k| PinnedKey { fingerprint: k.fingerprint, first_seen: k.first_seen }),
        series,
    }))
}
