//! How each backend stores a cycle's servers' states in bulk.
//!
//! SQLite takes multi-row `VALUES` of at most [`ROWS_PER_INSERT`] rows. PostgreSQL takes one
//! array per column (`UNNEST`): one statement text whatever the batch's size, prepared once per
//! connection, where 1,000 states in `VALUES` made it parse and plan 26,000 parameters every
//! cycle (17 ms of statements at 1,000 servers, 9.5 ms now).
//!
//! The hot frames stay in multi-row `VALUES` on both (`samples.rs`): `UNNEST` of their bodies
//! (3 MB a cycle at 1,000 servers) took 62–72 ms instead of 31–33, PostgreSQL materialising the
//! arrays' rows before inserting them.

use std::future::Future;
use std::pin::Pin;

use fleetwatch_common::Sample;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::columns::{Field, SAMPLE_COLUMNS, push_headline};
use crate::error::Result;
use crate::sample_sql as sql;
use crate::samples::ROWS_PER_INSERT;
use crate::values::{finite, to_ms};

/// A backend's bulk write, borrowing its connection.
pub type BatchFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// A server's state after a success: its sample, the poll's duration in ms and the id of the
/// frame just stored.
pub type StateRow<'a> = (&'a Sample, i64, i64);

/// SQLite: [`crate::backend::Backend::upsert_states`].
pub(crate) fn sqlite_states<'c>(conn: &'c mut SqliteConnection, rows: Vec<StateRow<'c>>) -> BatchFuture<'c, ()> {
    Box::pin(async move {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut qb = QueryBuilder::<Sqlite>::new(sql::UPSERT_STATES.as_str());
            qb.push_values(chunk, |mut b, (s, duration, id)| {
                b.push_bind(s.server_name.clone()).push_bind(true).push_bind(to_ms(s.timestamp));
                b.push_bind(to_ms(s.timestamp)).push_bind(*duration).push_bind(*id).push_bind(to_ms(s.timestamp));
                push_headline(&mut b, s);
            });
            qb.push(sql::UPSERT_STATES_CONFLICT.as_str());
            qb.build().persistent(false).execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// PostgreSQL: [`crate::backend::Backend::upsert_states`].
pub(crate) fn postgres_states<'c>(conn: &'c mut sqlx::PgConnection, rows: Vec<StateRow<'c>>) -> BatchFuture<'c, ()> {
    Box::pin(async move {
        let names: Vec<&str> = rows.iter().map(|(s, _, _)| s.server_name.as_str()).collect();
        let times: Vec<i64> = rows.iter().map(|(s, _, _)| to_ms(s.timestamp)).collect();
        let mut q = sqlx::query(sql::UPSERT_STATES_UNNEST.as_str())
            .bind(names)
            .bind(vec![true; rows.len()])
            .bind(&times)
            .bind(&times)
            .bind(rows.iter().map(|r| r.1).collect::<Vec<i64>>())
            .bind(rows.iter().map(|r| r.2).collect::<Vec<i64>>())
            .bind(&times);
        for c in SAMPLE_COLUMNS {
            q = match c.field {
                Field::ServerName | Field::Timestamp => continue,
                Field::Real(get, _) => q.bind(column(&rows, |s| finite(*get(s)))),
                Field::Integer(get, _) => q.bind(column(&rows, |s| *get(s))),
                Field::Text(get, _) => q.bind(column(&rows, |s| get(s).as_deref())),
            };
        }
        q.execute(&mut *conn).await?;
        Ok(())
    })
}

/// One headline column of a batch of states, as an array.
fn column<'a, T>(rows: &[StateRow<'a>], value: impl Fn(&'a Sample) -> T) -> Vec<T> {
    rows.iter().map(|(s, _, _)| value(s)).collect()
}
