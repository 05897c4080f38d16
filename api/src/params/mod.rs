//! The API's typed edges: every query parameter (and path value) it reads, as small
//! `#[derive(Deserialize)]` structs, one concept each, shared by the JSON handlers and the
//! exports. A handler takes the ones it reads (`Query<Window>`, `Query<Points>`, …); unknown
//! parameters are ignored; a bad value is a 400 naming the parameter (`crate::extract`).

pub mod de;

use chrono::{DateTime, Utc};
use fleetwatch_alerts::Severity;
use fleetwatch_store::TimeRange;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Result};
use de::Bounded;

/// Longest history `…/metrics/historical/{hours}` may ask for: one year.
pub const MAX_HOURS: u32 = 8760;
/// Most points a history answer holds; the default is [`DEFAULT_POINTS`].
pub const MAX_POINTS: u32 = 10_000;
pub const DEFAULT_POINTS: u32 = 1_000;
/// Most users `/api/users/top` lists; the default is [`DEFAULT_LIMIT`].
pub const MAX_LIMIT: u32 = 1000;
pub const DEFAULT_LIMIT: u32 = 10;
/// The window of user activity (a user's history, the users export) when the request gives no
/// `from`: the 7 days up to `to`.
pub const ACTIVITY_DAYS: i64 = 7;

/// The `{hours}` of `…/metrics/historical/{hours}`.
pub type Hours = Bounded<1, MAX_HOURS>;

/// `from` and `to`, RFC 3339 times; by default the 24 hours up to now.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Window {
    #[serde(default, deserialize_with = "de::time")]
    pub from: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::time")]
    pub to: Option<DateTime<Utc>>,
}

impl Window {
    /// The window as the store's range, averaged into at most `max_points` points.
    /// `from` must be before `to`.
    pub fn range(&self, max_points: u32) -> Result<TimeRange> {
        let (from, to) = self.bounds()?;
        Ok(TimeRange { from, to, max_points: Some(max_points) })
    }

    /// `from` and `to` with their defaults; `from` must be before `to`.
    pub fn bounds(&self) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
        self.bounds_or(chrono::Duration::hours(24))
    }

    /// Whether the request gave `from` or `to`.
    pub fn given(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }

    /// `from` and `to`, `to` by default now and `from` by default `span` before `to`; `from`
    /// must be before `to`.
    pub fn bounds_or(&self, span: chrono::Duration) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
        let to = self.to.unwrap_or_else(Utc::now);
        let from = self.from.unwrap_or(to - span);
        if from >= to {
            return Err(ApiError::BadRequest("from must be before to".into()));
        }
        Ok((from, to))
    }
}

/// `max_points`: 1 to [`MAX_POINTS`], default [`DEFAULT_POINTS`].
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Points {
    #[serde(default)]
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000)]
    pub max_points: Bounded<1, MAX_POINTS, DEFAULT_POINTS>,
}

/// `interval`: the width of one point, as seed 001 names it (`1m`, `5m`, `15m`, `1h`). Given,
/// it replaces `max_points`: a window of `w` gets `w / interval` points (at most
/// [`MAX_POINTS`]).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Interval {
    #[serde(default)]
    pub interval: Option<Step>,
}

/// One of the widths `interval` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
pub enum Step {
    #[serde(rename = "1m")]
    OneMinute,
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "15m")]
    FifteenMinutes,
    #[serde(rename = "1h")]
    OneHour,
}

impl Step {
    /// As written in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::OneMinute => "1m",
            Step::FiveMinutes => "5m",
            Step::FifteenMinutes => "15m",
            Step::OneHour => "1h",
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Step::OneMinute => 60,
            Step::FiveMinutes => 300,
            Step::FifteenMinutes => 900,
            Step::OneHour => 3600,
        }
    }
}

impl Interval {
    /// `range` with as many points as the interval gives it, if one was asked for.
    pub fn apply(&self, mut range: TimeRange) -> TimeRange {
        if let Some(step) = self.interval {
            let span = (range.to - range.from).num_seconds().max(1);
            let points = (span + step.seconds() - 1) / step.seconds();
            range.max_points = Some(u32::try_from(points).unwrap_or(MAX_POINTS).clamp(1, MAX_POINTS));
        }
        range
    }
}

/// `at`: the RFC 3339 time whose snapshot to show; by default the latest.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct At {
    #[serde(default, deserialize_with = "de::time")]
    pub at: Option<DateTime<Utc>>,
}

/// `name`: one named series (`cpu.busy`, …); without it, the list of names.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesName {
    pub name: Option<String>,
}

/// `server`: one configured server; blank means all.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServerFilter {
    #[serde(default, deserialize_with = "de::filter")]
    pub server: Option<String>,
}

/// Which users to list: the same filters serve the users table and its export. Blank means
/// no filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    #[serde(default, deserialize_with = "de::filter")]
    pub server: Option<String>,
    /// A tag the user's server carries.
    #[serde(default, deserialize_with = "de::filter")]
    pub tag: Option<String>,
    /// A case-insensitive substring of the user name.
    #[serde(default, deserialize_with = "de::filter")]
    pub q: Option<String>,
}

/// Longest window `/api/metrics/recent` looks back: one day.
pub const MAX_RECENT_MINUTES: u32 = 1440;

/// `minutes`: how far back `/api/metrics/recent` looks, 1 to [`MAX_RECENT_MINUTES`], default 60.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Recent {
    #[serde(default)]
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1440)]
    pub minutes: Bounded<1, MAX_RECENT_MINUTES, 60>,
}

/// `hours`: how far back seed 001's `/api/system/health/…` history looks, 1 to [`MAX_HOURS`],
/// default 24.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoursBack {
    #[serde(default)]
    #[param(value_type = Option<u32>, minimum = 1, maximum = 8760)]
    pub hours: Bounded<1, MAX_HOURS, 24>,
}

/// `tag`: a tag the server carries; blank means any.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagFilter {
    #[serde(default, deserialize_with = "de::filter")]
    pub tag: Option<String>,
}

/// `severity`: `warning` or `critical`; absent means both.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeverityFilter {
    pub severity: Option<Severity>,
}

/// `limit`: 1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Limit {
    #[serde(default)]
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Bounded<1, MAX_LIMIT, DEFAULT_LIMIT>,
}

#[cfg(test)]
mod tests;
