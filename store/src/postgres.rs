//! The PostgreSQL backend, for larger fleets or a shared database server.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Pool;
use sqlx::Postgres;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::sync::Weak;

use crate::backend::{Backend, SqlStore};
use crate::error::Result;
use crate::signal::{self, LatestSignal};
use crate::state_upserts::{self, BatchFuture, StateRow};

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
        Ok(Self::new(pool).signalled())
    }

    /// Like [`Self::connect`], without reaching the server: the pool connects at its first query
    /// (which fails, as with an outage, while the server is down).
    pub fn connect_lazy(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?.application_name("fleetwatch");
        let pool = PgPoolOptions::new().max_connections(10).acquire_timeout(ACQUIRE_TIMEOUT).connect_lazy_with(options);
        Ok(Self::new(pool).signalled())
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

    fn upsert_states<'c>(conn: &'c mut sqlx::PgConnection, rows: Vec<StateRow<'c>>) -> BatchFuture<'c, ()> {
        state_upserts::postgres_states(conn, rows)
    }

    /// Delivered to the listeners at commit, once per transaction.
    const NOTIFY_LATEST: Option<&'static str> = Some("NOTIFY fleetwatch_latest");

    const ANALYZE_SERVERS: Option<&'static str> = Some("ANALYZE servers");

    fn listen_latest(pool: &Pool<Postgres>, signal: Weak<LatestSignal>) {
        // Its own connection, outside the pool the queries share (a listener keeps it).
        let options = pool.connect_options();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::debug!("no tokio runtime: not listening for new samples");
            return;
        };
        runtime.spawn(async move {
            let mut wait = RECONNECT_FIRST;
            loop {
                match listen(&options, &signal).await {
                    Listened::Dropped => return,
                    Listened::Failed { listened, error } => {
                        if listened {
                            // It had worked: the next failure starts its waits from the first.
                            wait = RECONNECT_FIRST;
                        }
                        tracing::warn!(error = %error, "not listening for new samples; retrying");
                    }
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RECONNECT_MAX);
            }
        });
    }
}

/// How soon a lost listening connection is opened again, at first and at most.
const RECONNECT_FIRST: Duration = Duration::from_millis(250);
const RECONNECT_MAX: Duration = Duration::from_secs(30);

enum Listened {
    /// The store is gone.
    Dropped,
    /// The connection could not be opened (`listened`: false) or failed after listening.
    Failed { listened: bool, error: sqlx::Error },
}

/// Listens on [`signal::CHANNEL`] and moves `signal` on every notification, until the
/// connection fails or the store is dropped.
async fn listen(options: &PgConnectOptions, signal: &Weak<LatestSignal>) -> Listened {
    let opened = async {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(signal::CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    let mut listener = match opened.await {
        Ok(l) => l,
        Err(error) => return Listened::Failed { listened: false, error },
    };
    let Some(s) = signal.upgrade() else { return Listened::Dropped };
    s.listening();
    drop(s);
    loop {
        let got = listener.try_recv().await;
        let Some(s) = signal.upgrade() else { return Listened::Dropped };
        match got {
            // A notification, or the connection lost and opened again (what was sent meanwhile is
            // lost): either way, the epoch moves.
            Ok(_) => s.bump(),
            Err(error) => {
                s.deaf();
                return Listened::Failed { listened: true, error };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_write_transactions_notify_the_channel_the_store_listens_on() {
        let notify = <Postgres as Backend>::NOTIFY_LATEST.unwrap_or_default();
        assert_eq!(notify, format!("NOTIFY {}", signal::CHANNEL));
    }
}
