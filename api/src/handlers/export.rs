//! `GET /api/export/{users|metrics}.{xlsx|csv|json}`: the same data as the tables and charts,
//! as downloads. Filters: users take `server`, `tag`, `q` (as `/api/users/top`) and `from`, `to`
//! (the window of the activity sheets, by default the 7 days up to now); metrics take `server`,
//! `from`, `to` (as `…/metrics/range`).

use std::str::FromStr;

use axum::extract::State;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::known;
use super::users::filtered;
use crate::error::{ApiError, Result, echo};
use crate::export::Table;
use crate::export::tables::{
    history_table, overview_table, processes_table, user_days_table, user_totals_table, users_table,
};
use crate::extract::{Path, Query};
use crate::fleet::Fleet;
use crate::params::{ACTIVITY_DAYS, MAX_LIMIT, MAX_POINTS, ServerFilter, UserFilter, Window};

/// What an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Data {
    Users,
    Metrics,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xlsx,
    Csv,
    Json,
}

/// An export's file name: `{users|metrics}.{xlsx|csv|json}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ExportFile {
    data: Data,
    format: Format,
}

impl FromStr for ExportFile {
    /// A 404 naming the exports there are.
    type Err = ApiError;

    fn from_str(file: &str) -> Result<Self> {
        let (what, ext) = file.rsplit_once('.').unwrap_or((file, ""));
        let format = match ext {
            "xlsx" => Format::Xlsx,
            "csv" => Format::Csv,
            "json" => Format::Json,
            _ => {
                return Err(ApiError::NotFound(format!("no export named {:?}: use .xlsx, .csv or .json", echo(file))));
            }
        };
        let data = match what {
            "users" => Data::Users,
            "metrics" => Data::Metrics,
            _ => return Err(ApiError::NotFound(format!("no export named {:?}: try users or metrics", echo(what)))),
        };
        Ok(Self { data, format })
    }
}

impl ExportFile {
    fn name(self) -> (&'static str, &'static str) {
        let what = match self.data {
            Data::Users => "users",
            Data::Metrics => "metrics",
        };
        let ext = match self.format {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Json => "json",
        };
        (what, ext)
    }
}

/// `GET /api/export/{file}`. The query is read once the file name says which filters apply.
#[utoipa::path(
    get,
    path = "/api/export/{file}",
    tag = "export",
    params(("file" = crate::schemas::ExportName, Path, description = "`{users|metrics}.{xlsx|csv|json}`"), crate::params::UserFilter, crate::params::Window),
    responses((status = 200, description = "The download", content((crate::schemas::Spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"), (crate::schemas::AnyJson = "application/json"))))
)]
pub async fn download(State(fleet): State<Fleet>, Path(file): Path<String>, uri: Uri) -> Result<Response> {
    let file: ExportFile = file.parse()?;
    let tables = match file.data {
        Data::Users => users_tables(&fleet, &Query::parse(&uri)?, &Query::parse(&uri)?).await?,
        Data::Metrics => metrics_tables(&fleet, &Query::parse(&uri)?, &Query::parse(&uri)?).await?,
    };
    let (body, mime) = match file.format {
        Format::Xlsx => (
            crate::export::xlsx(&tables).map_err(|e| ApiError::Internal(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        Format::Csv => {
            (crate::export::csv(&tables).map_err(|e| ApiError::Internal(e.to_string()))?, "text/csv; charset=utf-8")
        }
        Format::Json => (crate::export::json(&tables).to_string().into_bytes(), "application/json"),
    };
    let (what, ext) = file.name();
    let stamp = Utc::now().format("%Y%m%d-%H%M%S");
    let disposition = format!("attachment; filename=\"fleetwatch-{what}-{stamp}.{ext}\"");
    let mut resp = body.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// The users of the latest samples, their activity per server per day and their totals over
/// `window`, and the overview of their servers.
async fn users_tables(fleet: &Fleet, filter: &UserFilter, window: &Window) -> Result<Vec<Table>> {
    let (from, to) = window.bounds_or(chrono::Duration::days(ACTIVITY_DAYS))?;
    let users = filtered(fleet, filter, MAX_LIMIT).await?;
    let days = super::activity::days(fleet, filter, from, to).await?;
    let totals = fleetwatch_common::user_activity::totals(&days, from, to);
    let mut view = fleet.view().await?;
    view.retain(|v| filter.server.as_ref().is_none_or(|s| *s == v.meta.name));
    if let Some(tag) = &filter.tag {
        view.retain(|v| v.meta.tags.contains(tag));
    }
    Ok(vec![users_table(&users), user_days_table(&days), user_totals_table(&totals), overview_table(&view)])
}

/// The overview, each server's history over `window`, its users and top processes.
async fn metrics_tables(fleet: &Fleet, filter: &ServerFilter, window: &Window) -> Result<Vec<Table>> {
    let server = filter.server.as_deref();
    if let Some(s) = server {
        known(fleet, s)?;
    }
    let range = window.range(MAX_POINTS)?;
    let mut view = fleet.view().await?;
    view.retain(|v| server.is_none_or(|s| s == v.meta.name));
    let mut tables = vec![overview_table(&view)];
    for v in &view {
        let points = fleet.store().history(&v.meta.name, range).await?;
        tables.push(history_table(&v.meta.name, &points));
    }
    let users = UserFilter { server: filter.server.clone(), ..Default::default() };
    tables.push(users_table(&filtered(fleet, &users, MAX_LIMIT).await?));
    let mut processes = fleet.store().latest_processes(server, fleetwatch_store::Ranking::Cpu).await?;
    processes.retain(|p| fleet.server(&p.server_name).is_some());
    if !processes.is_empty() {
        tables.push(processes_table(&processes));
    }
    Ok(tables)
}
