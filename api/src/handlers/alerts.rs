//! `/api/alerts…`: the current alerts, their history, acknowledgements and the channels' last
//! delivery results.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use fleetwatch_alerts::{Acknowledgement, Alert, Transition};
use fleetwatch_store::HistoryQuery;
use serde::{Deserialize, Serialize};

use super::{actor, known, who};
use crate::auth::{Auth, Caller};
use crate::error::{ApiError, Result, echo};
use crate::extract::{self, Path, Query};
use crate::fleet::Fleet;
use crate::params::{ServerFilter, SeverityFilter, TagFilter, Window};
use crate::rules::AlertRules;

/// Most transitions `/api/alerts/history` answers, newest first.
pub const MAX_HISTORY: i64 = 1000;

/// One current alert: its server and the alert's own fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertItem {
    pub server: String,
    #[serde(flatten)]
    pub alert: Alert,
}

/// One stored transition with its id; an acknowledgement (`kind: "acknowledged"`) also says
/// who and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryItem {
    pub id: i64,
    #[serde(flatten)]
    pub transition: Transition,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
}

/// A channel's last delivery result: never its URL or secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelItem {
    pub name: String,
    pub ok: bool,
    pub at: DateTime<Utc>,
    pub error: Option<String>,
}

/// Which alert to acknowledge; `instance` is left out for a rule with one alert per server.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AlertKey {
    pub server: String,
    pub rule: String,
    #[serde(default)]
    pub instance: String,
}

/// The optional body of an acknowledgement: who (default `api`) and why, both stored.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// Longest `comment`, in characters.
pub const MAX_COMMENT: usize = 1000;

impl AckBody {
    /// Checks the fields and makes the acknowledgement: `by` as [`actor`] reads it, `comment`
    /// text of at most [`MAX_COMMENT`] (line breaks and tabs allowed), trimmed; a blank comment
    /// is none.
    pub fn acknowledgement(self, at: DateTime<Utc>) -> Result<Acknowledgement> {
        let by = actor(self.by.as_deref())?;
        let comment = self.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = comment {
            if c.chars().count() > MAX_COMMENT {
                return Err(ApiError::BadRequest(format!("comment: at most {MAX_COMMENT} characters")));
            }
            if c.chars().any(|ch| ch.is_control() && ch != '\n' && ch != '\t') {
                return Err(ApiError::BadRequest(
                    "comment: control characters other than line breaks and tabs are not allowed".into(),
                ));
            }
        }
        Ok(Acknowledgement { by, at, comment: comment.map(str::to_owned) })
    }
}

/// `GET /api/alerts?server=&tag=&severity=`: pending and firing alerts of configured servers.
#[utoipa::path(
    get,
    path = "/api/alerts",
    tag = "alerts",
    params(crate::params::ServerFilter, crate::params::TagFilter, crate::params::SeverityFilter),
    responses((status = 200, description = "OK", body = Vec<AlertItem>))
)]
pub async fn list(
    State(fleet): State<Fleet>,
    Query(f): Query<ServerFilter>,
    Query(TagFilter { tag }): Query<TagFilter>,
    Query(SeverityFilter { severity }): Query<SeverityFilter>,
) -> Result<Json<Vec<AlertItem>>> {
    if let Some(name) = &f.server {
        known(&fleet, name)?;
    }
    let alerts = fleet.store().alerts().await?;
    let items = alerts
        .into_iter()
        .filter(|(server, alert)| {
            let Some(meta) = fleet.server(server) else { return false };
            f.server.as_ref().is_none_or(|s| s == server)
                && tag.as_ref().is_none_or(|t| meta.tags.iter().any(|x| x == t))
                && severity.is_none_or(|s| s == alert.severity)
        })
        .map(|(server, alert)| AlertItem { server, alert })
        .collect();
    Ok(Json(items))
}

/// `GET /api/alerts/history?from=&to=&server=`: transitions seen in the window, newest first.
#[utoipa::path(
    get,
    path = "/api/alerts/history",
    tag = "alerts",
    params(crate::params::Window, crate::params::ServerFilter),
    responses((status = 200, description = "Newest first", body = Vec<HistoryItem>))
)]
pub async fn history(
    State(fleet): State<Fleet>,
    Query(window): Query<Window>,
    Query(f): Query<ServerFilter>,
) -> Result<Json<Vec<HistoryItem>>> {
    if let Some(name) = &f.server {
        known(&fleet, name)?;
    }
    let (from, to) = window.bounds()?;
    let query = HistoryQuery { from, to, server: f.server, limit: MAX_HISTORY };
    let entries = fleet.store().alert_history(&query).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| HistoryItem { id: e.id, transition: e.transition, acknowledged: e.acknowledged })
            .collect(),
    ))
}

/// `POST /api/alerts/{server}/{rule}[/{instance}]/ack`, body `{"by": …, "comment": …}`
/// optional: acknowledges a firing alert (again: replaces who and why); 404 when there is none,
/// 400 naming the field when the body does not check.
#[utoipa::path(
    post,
    path = "/api/alerts/{server}/{rule}/{instance}/ack",
    tag = "alerts",
    params(("server" = String, Path), ("rule" = String, Path), ("instance" = String, Path, description = "Left out (`/api/alerts/{server}/{rule}/ack`) for a rule with one alert per server")),
    request_body = Option<AckBody>,
    responses((status = 204, description = "Acknowledged"))
)]
pub async fn ack(
    State(fleet): State<Fleet>,
    State(auth): State<Arc<Auth>>,
    Extension(caller): Extension<Caller>,
    Path(key): Path<AlertKey>,
    body: Bytes,
) -> Result<StatusCode> {
    // No body, an empty one and `null` all mean "no who and why".
    let body: AckBody = if body.iter().all(u8::is_ascii_whitespace) {
        AckBody::default()
    } else {
        extract::Json::<Option<AckBody>>::parse(&body)?.unwrap_or_default()
    };
    let by = who(&caller, body.by.as_deref())?;
    let mut ack = body.acknowledgement(Utc::now())?;
    ack.by = by;
    if fleet.store().acknowledge_alert(&key.server, &key.rule, &key.instance, &ack).await? {
        tracing::info!(server = %key.server, rule = %key.rule, instance = %key.instance, by = %ack.by, "alert acknowledged");
        let target = format!("{}/{}/{}", key.server, key.rule, key.instance);
        auth.audit(&caller, "alert_acknowledged", Some(&target), ack.comment.clone()).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "no firing alert {:?} of server {:?} (instance {:?})",
            echo(&key.rule),
            echo(&key.server),
            echo(&key.instance)
        )))
    }
}

/// `GET /api/alerts/channels`: each channel's last delivery result, by name.
#[utoipa::path(
    get,
    path = "/api/alerts/channels",
    tag = "alerts",
    responses((status = 200, description = "OK", body = Vec<ChannelItem>))
)]
pub async fn channels(State(fleet): State<Fleet>) -> Result<Json<Vec<ChannelItem>>> {
    let results = fleet.store().channel_results().await?;
    Ok(Json(results.into_iter().map(|r| ChannelItem { name: r.channel, ok: r.ok, at: r.at, error: r.error }).collect()))
}

/// `GET /api/alerts/rules`: the rules as loaded (built-in ones included, with their effective
/// levels), the standing silences, and the channels by name and kind only.
#[utoipa::path(
    get,
    path = "/api/alerts/rules",
    tag = "alerts",
    responses((status = 200, description = "OK", body = AlertRules))
)]
pub async fn rules(State(rules): State<Arc<AlertRules>>) -> Json<AlertRules> {
    Json(rules.as_ref().clone())
}
