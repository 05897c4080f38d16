//! The PostgreSQL backend, for larger fleets or a shared database server.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Postgres;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::backend::{Backend, SqlStore};
use crate::error::Result;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// How long a query waits for a connection (including establishing one) before failing, so
/// that a database outage is an error and not a hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`crate::Store`] in a PostgreSQL database.
pub type PostgresStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
    /// Connects to `postgres://user:password@host:port/database` (or `postgresql://…`).
    /// Fails within about 5 s if the server cannot be reached; the database must exist.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?.application_name("fleetwatch");
        let pool =
            PgPoolOptions::new().max_connections(10).acquire_timeout(ACQUIRE_TIMEOUT).connect_with(options).await?;
        Ok(Self::new(pool))
    }

    /// Like [`Self::connect`], without reaching the server: the pool connects at its first query
    /// (which fails, as with an outage, while the server is down).
    pub fn connect_lazy(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?.application_name("fleetwatch");
        let pool = PgPoolOptions::new().max_connections(10).acquire_timeout(ACQUIRE_TIMEOUT).connect_lazy_with(options);
        Ok(Self::new(pool))
    }
}

impl Backend for Postgres {
    const LABEL: &'static str = "postgres";
    const SIZE_SQL: &'static str = crate::sql::POSTGRES_SIZE;

    const BEGIN_WRITE: &'static str = "BEGIN";
    const LOCK_ROWS: &'static str = " FOR UPDATE SKIP LOCKED";

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}
