//! The columns of `samples`, each named once.
//!
//! [`SAMPLE_COLUMNS`] drives everything that touches them: the INSERT's column list and bound
//! values, the SELECT list, and the decoding of a row back into a [`Sample`] (by position, in
//! the table's order). [`HISTORY_FIGURES`] does the same for the averaged history query. Storing a new
//! [`Sample`] field is one migration per backend and one line here.

use fleetwatch_common::{HistoryPoint, Sample};
use sqlx::query_builder::Separated;
use sqlx::{ColumnIndex, Database, Decode, Encode, Row, Type};

use crate::error::Result;
use crate::values::{finite, from_ms};

/// Where a column's value lives in a [`Sample`], which also fixes how it is bound and read.
#[derive(Clone, Copy)]
pub(crate) enum Field {
    /// `server_name`, never NULL.
    ServerName,
    /// `ts_ms`: [`Sample::timestamp`] as epoch milliseconds.
    Timestamp,
    /// A reading stored as REAL; NaN and infinities are stored as NULL.
    Real(fn(&Sample) -> &Option<f64>, fn(&mut Sample) -> &mut Option<f64>),
    /// A count or size stored as INTEGER.
    Integer(fn(&Sample) -> &Option<i64>, fn(&mut Sample) -> &mut Option<i64>),
    Text(fn(&Sample) -> &Option<String>, fn(&mut Sample) -> &mut Option<String>),
}

/// One column of `samples`.
pub(crate) struct Column {
    pub(crate) name: &'static str,
    pub(crate) field: Field,
}

/// A column named after the [`Sample`] field it holds.
macro_rules! column {
    ($kind:ident $field:ident) => {
        Column { name: stringify!($field), field: Field::$kind(|s| &s.$field, |s| &mut s.$field) }
    };
}

/// The columns of `samples` besides its `id`, in the order they are inserted and selected.
pub(crate) const SAMPLE_COLUMNS: &[Column] = &[
    Column { name: "server_name", field: Field::ServerName },
    Column { name: "ts_ms", field: Field::Timestamp },
    column!(Real cpu_percent),
    column!(Real cpu_load_1min),
    column!(Real cpu_load_5min),
    column!(Real cpu_load_15min),
    column!(Real ram_percentage),
    column!(Real swap_percentage),
    column!(Real disk_percentage),
    column!(Integer logged_users),
    column!(Integer tcp_connections),
    column!(Integer uptime_seconds),
    column!(Integer cpu_cores),
    column!(Integer ram_total_bytes),
    column!(Integer ram_used_bytes),
    column!(Integer disk_total_bytes),
    column!(Integer disk_used_bytes),
    column!(Text disk_mount),
    column!(Text hostname),
];

/// A column of `samples` that history averages, and the [`HistoryPoint`] field the average
/// lands in (named alike).
pub(crate) struct Figure {
    pub(crate) name: &'static str,
    pub(crate) field: fn(&mut HistoryPoint) -> &mut Option<f64>,
}

macro_rules! figure {
    ($field:ident) => {
        Figure { name: stringify!($field), field: |p| &mut p.$field }
    };
}

/// What the history query averages, in its order (after the bucket's time, before its count).
pub(crate) const HISTORY_FIGURES: &[Figure] = &[
    figure!(cpu_percent),
    figure!(cpu_load_5min),
    figure!(ram_percentage),
    figure!(disk_percentage),
    figure!(cpu_load_1min),
    figure!(cpu_load_15min),
    figure!(swap_percentage),
    figure!(tcp_connections),
    figure!(logged_users),
];

/// Pushes the headline's values besides the server's name and the time, in [`SAMPLE_COLUMNS`]
/// order (NaN and infinities as NULL), into a `VALUES` tuple.
pub(crate) fn push_headline<DB>(b: &mut Separated<'_, DB, &'static str>, s: &Sample)
where
    DB: Database,
    for<'a> Option<String>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
{
    for c in SAMPLE_COLUMNS {
        match c.field {
            Field::ServerName | Field::Timestamp => continue,
            Field::Real(get, _) => b.push_bind(finite(*get(s))),
            Field::Integer(get, _) => b.push_bind(*get(s)),
            Field::Text(get, _) => b.push_bind(get(s).clone()),
        };
    }
}

/// Decodes a row selected with [`SAMPLE_COLUMNS`]' list, by position.
pub(crate) fn read_sample<R: Row>(row: &R) -> Result<Sample>
where
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> f64: Decode<'r, R::Database> + Type<R::Database>,
{
    let mut s = Sample::default();
    for (i, c) in SAMPLE_COLUMNS.iter().enumerate() {
        match c.field {
            Field::ServerName => s.server_name = row.try_get(i)?,
            Field::Timestamp => s.timestamp = from_ms(row.try_get(i)?)?,
            Field::Real(_, set) => *set(&mut s) = row.try_get(i)?,
            Field::Integer(_, set) => *set(&mut s) = row.try_get(i)?,
            Field::Text(_, set) => *set(&mut s) = row.try_get(i)?,
        }
    }
    Ok(s)
}
