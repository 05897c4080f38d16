//! What differs between the two databases, and the store type both share.
//!
//! Everything else is written once, generic in the backend: the [`crate::Store`]
//! implementation in `sql_store.rs`, the SQL in `sql.rs` and `columns.rs`.

use sqlx::database::HasStatementCache;
use sqlx::migrate::Migrator;
use sqlx::{Database, Pool};
use std::sync::{Arc, OnceLock};

use crate::signal::LatestSignal;
use crate::state_upserts::{BatchFuture, StateRow};

/// A database Fleetwatch can store in: implemented for [`sqlx::Sqlite`] (`sqlite.rs`) and
/// [`sqlx::Postgres`] (`postgres.rs`). Both keep prepared statements per connection; statements
/// whose text varies with a batch's size are run with `persistent(false)` so that they do not
/// pile up there.
pub trait Backend: Database + HasStatementCache {
    /// The name [`crate::Store::stats`] reports.
    const LABEL: &'static str;
    /// A query returning the database size in bytes as one `BIGINT`.
    const SIZE_SQL: &'static str;
    /// How a transaction that will write starts: SQLite takes the write lock at once (a read
    /// first would fail, not wait, when another writer commits in between).
    const BEGIN_WRITE: &'static str;
    /// Appended to a `SELECT` whose rows the transaction will delete, so that two processes
    /// never take the same rows (PostgreSQL; SQLite serialises writers anyway).
    const LOCK_ROWS: &'static str;
    /// This backend's embedded migrations (`migrations/<backend>/`).
    fn migrator() -> &'static Migrator;
    /// How many rows a statement changed (each driver has its own result type).
    fn rows_affected(result: &Self::QueryResult) -> u64;
    /// Run in a transaction that stored samples, to tell other processes (`signal.rs`).
    const NOTIFY_LATEST: Option<&'static str> = None;
    /// Run after a write that met many servers the store did not know yet (a fleet added at
    /// once, or the first cycle after a start; see [`crate::cache::Cache::fleet_grew`]), so that
    /// the planner counts them. PostgreSQL's statistics of `servers`, taken while the fleet was
    /// small, otherwise make each frame's foreign-key check scan the table; autovacuum's own
    /// analyze comes a minute later at best, never where it is off.
    const ANALYZE_SERVERS: Option<&'static str> = None;
    /// Stores servers' states after a success, each server at most once (`state_upserts.rs`).
    fn upsert_states<'c>(conn: &'c mut Self::Connection, rows: Vec<StateRow<'c>>) -> BatchFuture<'c, ()>;
    /// Starts telling `signal` of the samples other processes store, if this backend can.
    fn listen_latest(_pool: &Pool<Self>, _signal: std::sync::Weak<LatestSignal>) {}
}

/// A [`crate::Store`] in a database of backend `DB`: [`crate::SqliteStore`] or
/// [`crate::PostgresStore`], opened by their `connect`.
pub struct SqlStore<DB: Database> {
    pub(crate) pool: Pool<DB>,
    pub(crate) cache: Arc<crate::cache::Cache>,
    /// Where the backend can tell changes from other processes (PostgreSQL), and whether
    /// it listens yet (from the first [`crate::Store::latest_signal`] call).
    pub(crate) latest: Option<Arc<LatestSignal>>,
    pub(crate) listening: OnceLock<()>,
    /// A file locked (`flock`) while migrations run, where the database has no lock of its own
    /// for them (a SQLite file: sqlx's migrator takes none there, and two processes migrating a
    /// new file at once both create its tables, and one fails).
    pub(crate) migration_lock: Option<std::path::PathBuf>,
    /// The packing of closed windows that writes left running (see `crate::packing`).
    pub(crate) packing: crate::packing::Packing,
}

impl<DB: Database> SqlStore<DB> {
    pub(crate) fn new(pool: Pool<DB>) -> Self {
        Self {
            pool,
            cache: Arc::default(),
            latest: None,
            listening: OnceLock::new(),
            migration_lock: None,
            packing: crate::packing::Packing::default(),
        }
    }

    /// Another handle on the same pool and cache, for work that outlives a call (packing).
    pub(crate) fn sibling(&self) -> Self {
        Self { cache: self.cache.clone(), ..Self::new(self.pool.clone()) }
    }

    /// With a [`LatestSignal`]: for a backend that can tell other processes' changes.
    pub(crate) fn signalled(self) -> Self {
        Self { latest: Some(Arc::default()), ..self }
    }
}

impl<DB: Backend> std::fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").field("backend", &DB::LABEL).finish_non_exhaustive()
    }
}
