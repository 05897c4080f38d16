//! How query and path values are read. Each reader says what it accepts; the extractors
//! (`crate::extract`) put the parameter's name in front, so every bad value answers e.g.
//! `max_points: expected a whole number from 1 to 10000, got "0"`.

use std::fmt::{self, Display};

use chrono::{DateTime, Utc};
use serde::de::{Error, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::echo;

/// A whole number from `MIN` to `MAX`, written in decimal; `DEFAULT` when absent (with
/// `#[serde(default)]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounded<const MIN: u32, const MAX: u32, const DEFAULT: u32 = MIN>(pub u32);

impl<const MIN: u32, const MAX: u32, const DEFAULT: u32> Default for Bounded<MIN, MAX, DEFAULT> {
    fn default() -> Self {
        Self(DEFAULT)
    }
}

impl<'de, const MIN: u32, const MAX: u32, const DEFAULT: u32> Deserialize<'de> for Bounded<MIN, MAX, DEFAULT> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let what = format_args!("a whole number from {MIN} to {MAX}");
        read(d, what, |text| text.parse().ok().filter(|n| (MIN..=MAX).contains(n)).map(Self))
    }
}

/// An RFC 3339 time, in UTC: `#[serde(default, deserialize_with = "de::time")]`.
pub fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    read(d, "an RFC 3339 time such as 2026-01-31T12:00:00Z", |text| {
        DateTime::parse_from_rfc3339(text).ok().map(|t| Some(t.with_timezone(&Utc)))
    })
}

/// A filter's value, trimmed; blank means no filter: `#[serde(default, deserialize_with = "de::filter")]`.
pub fn filter<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    Ok((!text.is_empty()).then(|| text.to_string()))
}

/// Reads a text value with `parse`. A bad value's error says `what` is accepted and (at most 64
/// characters of) what came. It is raised inside the visitor, where the path extractor, too,
/// learns which parameter failed.
fn read<'de, D, W, T>(d: D, what: W, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    W: Display,
{
    d.deserialize_str(Text { what, parse })
}

struct Text<W, F> {
    what: W,
    parse: F,
}

impl<W: Display, T, F: FnOnce(&str) -> Option<T>> Visitor<'_> for Text<W, F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.what.fmt(f)
    }

    fn visit_str<E: Error>(self, text: &str) -> Result<T, E> {
        let what = self.what;
        (self.parse)(text).ok_or_else(|| E::custom(format_args!("expected {what}, got {:?}", echo(text))))
    }
}
