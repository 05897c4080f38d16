//! Opening the database at start, or later: a collector started while PostgreSQL is down starts
//! anyway, collects into the spool, and connects (and applies the migrations) when the database
//! comes back, retrying with backoff and saying so in the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fleetwatch_store::Store;

/// First wait before trying the database again; doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// The database: connected and migrated (`ready`), or being retried in the background.
pub struct Database {
    pub store: Arc<dyn Store>,
    /// Set once the database was reached and migrated; give it to `Collector::with_readiness`.
    pub ready: Arc<AtomicBool>,
    /// The background connection attempts, when the database was down at start.
    pub connecting: Option<tokio::task::JoinHandle<()>>,
}

/// Opens the database at `url` and applies the migrations. When PostgreSQL cannot be reached,
/// returns at once with a store that connects later and `ready` unset, and keeps trying in the
/// background. SQLite errors (a file that cannot be opened) are returned.
pub async fn open(url: &str) -> Result<Database, fleetwatch_store::Error> {
    let error = match fleetwatch_store::connect(url).await {
        Ok(store) => {
            let store: Arc<dyn Store> = Arc::from(store);
            match store.migrate().await {
                Ok(()) => {
                    return Ok(Database { store, ready: Arc::new(AtomicBool::new(true)), connecting: None });
                }
                Err(e) if fleetwatch_store::connect_lazy(url)?.is_some() => {
                    return Ok(later(store, e));
                }
                Err(e) => return Err(e),
            }
        }
        Err(e) => e,
    };
    match fleetwatch_store::connect_lazy(url)? {
        Some(store) => Ok(later(Arc::from(store), error)),
        None => Err(error),
    }
}

fn later(store: Arc<dyn Store>, error: fleetwatch_store::Error) -> Database {
    tracing::error!(
        error = %error,
        "cannot open the database; collecting anyway, samples go to the spool until it is back (retrying)"
    );
    let ready = Arc::new(AtomicBool::new(false));
    let (s, r) = (store.clone(), ready.clone());
    let connecting = tokio::spawn(async move {
        let mut wait = RETRY_FIRST;
        let mut tries = 1u32;
        loop {
            tokio::time::sleep(wait).await;
            tries += 1;
            match s.migrate().await {
                Ok(()) => {
                    r.store(true, Ordering::Release);
                    tracing::info!(tries, "database reachable: connected and migrated; the spool is replayed now");
                    return;
                }
                Err(e) => {
                    wait = (wait * 2).min(RETRY_MAX);
                    tracing::warn!(error = %e, tries, retry_in_secs = wait.as_secs(), "database still unreachable");
                }
            }
        }
    });
    Database { store, ready, connecting: Some(connecting) }
}
