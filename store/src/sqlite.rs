//! The SQLite backend: one file, WAL mode, for single-host installs.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::backend::{Backend, SqlStore};
use crate::error::Result;
use crate::state_upserts::{self, BatchFuture, StateRow};

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// How long a connection waits for another writer before failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`crate::Store`] in a SQLite database file.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    /// Opens (creating it and its parent directory if missing) the database at `url`:
    /// `sqlite://path/to/file.db` (relative to the working directory) or `sqlite:///abs/path.db`.
    /// `sqlite::memory:` gives a private in-memory database that lives as long as the store.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable at every checkpoint; with WAL, NORMAL loses at most the last commits on
            // power loss, never consistency.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let in_memory = is_in_memory(url);
        if !in_memory {
            create_parent_dir(options.get_filename())?;
        }
        let mut pool = SqlitePoolOptions::new().max_connections(4).acquire_timeout(BUSY_TIMEOUT);
        if in_memory {
            // The database goes with its last connection: keep exactly one, for good (shared-cache
            // connections would also fail with "table is locked" instead of waiting).
            pool = pool.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None);
        }
        // Two processes opening a new file at once (`fleetwatch serve` and `fleetwatch collector`
        // started together): one of them finds it locked while the other switches it to WAL,
        // and SQLite does not wait on that lock. Try again for as long as a busy writer is waited
        // for.
        let started = std::time::Instant::now();
        loop {
            match pool.clone().connect_with(options.clone()).await {
                Err(e) if is_locked(&e) && started.elapsed() < BUSY_TIMEOUT => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                result => {
                    let mut store = Self::new(result?);
                    if !in_memory {
                        store.migration_lock = Some(options.get_filename().to_path_buf());
                    }
                    return Ok(store);
                }
            }
        }
    }
}

/// SQLITE_BUSY or SQLITE_LOCKED, with any extended code.
fn is_locked(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

fn create_parent_dir(file: &Path) -> Result<()> {
    let Some(dir) = file.parent() else {
        return Ok(());
    };
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        sqlx::Error::Configuration(
            format!("cannot create directory {} for the SQLite database: {e}", dir.display()).into(),
        )
    })?;
    Ok(())
}

impl Backend for Sqlite {
    const LABEL: &'static str = "sqlite";
    const SIZE_SQL: &'static str = crate::sql::SQLITE_SIZE;

    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const LOCK_ROWS: &'static str = "";

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }

    fn upsert_states<'c>(conn: &'c mut sqlx::SqliteConnection, rows: Vec<StateRow<'c>>) -> BatchFuture<'c, ()> {
        state_upserts::sqlite_states(conn, rows)
    }
}
