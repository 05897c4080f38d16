#![allow(clippy::unwrap_used)]

use axum::http::Uri;
use chrono::{TimeZone, Utc};
use serde::de::DeserializeOwned;

use super::*;
use crate::extract::Query;

fn parse<T: DeserializeOwned>(query: &str) -> Result<T> {
    Query::parse(&format!("/api/x?{query}").parse::<Uri>().unwrap())
}

/// The message of a 400, or a panic.
fn refusal<T: DeserializeOwned + std::fmt::Debug>(query: &str) -> String {
    match parse::<T>(query) {
        Err(ApiError::BadRequest(m)) => m,
        other => panic!("{query}: {other:?}"),
    }
}

#[test]
fn absent_parameters_take_their_defaults() {
    assert_eq!(parse::<Points>("").unwrap().max_points.0, DEFAULT_POINTS);
    assert_eq!(parse::<Limit>("other=1").unwrap().limit.0, DEFAULT_LIMIT);
    let w = parse::<Window>("").unwrap();
    assert_eq!((w.from, w.to), (None, None));
    let r = w.range(5).unwrap();
    assert_eq!((r.to - r.from, r.max_points), (chrono::Duration::hours(24), Some(5)));
    assert_eq!(parse::<At>("").unwrap().at, None);
    assert_eq!(parse::<SeriesName>("").unwrap().name, None);
}

#[test]
fn values_are_read_as_today() {
    let w = parse::<Window>("from=2026-01-31T12:00:00%2B01:00&to=2026-01-31T12:00:00Z").unwrap();
    assert_eq!(w.from, Some(Utc.with_ymd_and_hms(2026, 1, 31, 11, 0, 0).unwrap()), "in UTC");
    assert_eq!(parse::<Points>("max_points=10000").unwrap().max_points.0, 10_000);
    assert_eq!(parse::<Limit>("limit=1").unwrap().limit.0, 1);
    let f = parse::<UserFilter>("server=%20web-1%20&tag=&q=Bo").unwrap();
    assert_eq!((f.server.as_deref(), f.tag, f.q.as_deref()), (Some("web-1"), None, Some("Bo")));
    assert_eq!(parse::<ServerFilter>("server=++").unwrap().server, None, "blank is no filter");
    assert_eq!(parse::<SeriesName>("name=").unwrap().name.as_deref(), Some(""));
}

#[test]
fn a_bad_value_names_the_parameter_and_what_it_accepts() {
    assert_eq!(refusal::<Points>("max_points=0"), r#"max_points: expected a whole number from 1 to 10000, got "0""#);
    assert_eq!(refusal::<Limit>("limit=x"), r#"limit: expected a whole number from 1 to 1000, got "x""#);
    assert_eq!(
        refusal::<Window>("to=yesterday"),
        r#"to: expected an RFC 3339 time such as 2026-01-31T12:00:00Z, got "yesterday""#
    );
    assert!(refusal::<At>("at=").starts_with("at: expected an RFC 3339 time"));
    assert!(refusal::<Window>("from=1").starts_with("from: "));
    let long = refusal::<Limit>(&format!("limit={}", "9".repeat(500)));
    assert!(long.len() < 120, "at most 64 characters of input are echoed: {long}");
}

#[test]
fn from_must_be_before_to() {
    let w = parse::<Window>("from=2026-01-31T12:00:00Z&to=2026-01-31T12:00:00Z").unwrap();
    assert!(matches!(w.range(1), Err(ApiError::BadRequest(m)) if m == "from must be before to"));
}

#[test]
fn an_interval_sets_the_points_of_a_window() {
    let w = parse::<Window>("from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z").unwrap();
    let range = w.range(DEFAULT_POINTS).unwrap();
    let at = |q: &str| parse::<Interval>(q).unwrap().apply(range).max_points;
    assert_eq!(at("interval=1m"), Some(1440));
    assert_eq!(at("interval=5m"), Some(288));
    assert_eq!(at("interval=15m"), Some(96));
    assert_eq!(at("interval=1h"), Some(24));
    assert_eq!(at(""), Some(DEFAULT_POINTS), "no interval: max_points stands");
    assert!(refusal::<Interval>("interval=2m").contains("interval"));
}
