//! A fresh PostgreSQL database per test, on the server named by `FLEETWATCH_TEST_PG_URL`
//! (default [`DEFAULT_PG_URL`]). A missing server fails the test, never skips it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// Where the PostgreSQL test server is, when `FLEETWATCH_TEST_PG_URL` does not say.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, uniquely named PostgreSQL database. [`PgTestDb::drop_db`] drops it and fails the test
/// if it cannot; a database never dropped that way is dropped on a best-effort basis when this
/// value is, so a failing test leaves nothing behind either.
pub struct PgTestDb {
    admin_url: String,
    name: String,
    /// The URL of the fresh database.
    pub url: String,
    dropped: bool,
}

impl PgTestDb {
    /// Creates the database. Panics, saying how to fix it, when PostgreSQL cannot be reached.
    pub async fn create() -> Self {
        let admin_url = admin_url();
        let mut admin = admin_connection(&admin_url).await;
        let name = unique_name();
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE for the test");
        admin.close().await.expect("close admin connection");
        let url = with_database(&admin_url, &name);
        Self { admin_url, name, url, dropped: false }
    }

    /// The database's name (to check that it never reaches an error message, say).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database now, closing any connection still open to it.
    pub async fn drop_db(mut self) {
        self.dropped = true;
        let mut admin = admin_connection(&self.admin_url).await;
        sqlx::raw_sql(AssertSqlSafe(drop_statement(&self.name)))
            .execute(&mut admin)
            .await
            .expect("DROP DATABASE after the test");
        admin.close().await.expect("close admin connection");
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin_url, statement) = (self.admin_url.clone(), drop_statement(&self.name));
        // A runtime of its own: this may run while the test's runtime is shutting down, or on
        // one of its worker threads, where blocking on it would panic.
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async {
                let connect = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(&admin_url));
                if let Ok(Ok(mut admin)) = connect.await
                    && let Err(e) = sqlx::raw_sql(AssertSqlSafe(statement)).execute(&mut admin).await
                {
                    eprintln!("could not drop a test database: {e}");
                }
            });
        });
        if dropper.join().is_err() {
            eprintln!("could not drop a test database: the dropping thread panicked");
        }
    }
}

fn admin_url() -> String {
    std::env::var("FLEETWATCH_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string())
}

fn drop_statement(name: &str) -> String {
    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
}

async fn admin_connection(url: &str) -> PgConnection {
    let attempt = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(url)).await;
    match attempt {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!("{}", unreachable_message(url, &e.to_string())),
        Err(_) => panic!("{}", unreachable_message(url, "no answer within 10 s")),
    }
}

fn unreachable_message(url: &str, cause: &str) -> String {
    format!(
        "PostgreSQL is required by this test but not reachable at {}: {cause}. \
         Start it (`make test-deps`, or `pg_ctlcluster 15 main start`) or point FLEETWATCH_TEST_PG_URL \
         at a server where this user may CREATE DATABASE.",
        redact(url)
    )
}

/// `fw_test_<pid>_<nanos>_<n>`: unique across parallel tests and concurrent test processes.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("fw_test_{}_{nanos}_{n}", std::process::id())
}

/// `url` with its database (the path) replaced by `name`, keeping any `?query`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    match query {
        Some(q) => format!("{}/{name}?{q}", &base[..authority_end]),
        None => format!("{}/{name}", &base[..authority_end]),
    }
}

/// `url` without the password of its user info, for messages.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return "<unparsable URL>".to_string();
    };
    let rest = &url[scheme_end..];
    let authority = rest.split('/').next().unwrap_or(rest);
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _password)) => format!("{}{user}:***{}", &url[..scheme_end], &url[scheme_end + at..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_rewritten_and_redacted() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(redact("postgres://u:s3cret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }

    async fn exists(name: &str) -> bool {
        let mut admin = admin_connection(&admin_url()).await;
        let found: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(&mut admin)
            .await
            .unwrap();
        found.is_some()
    }

    #[tokio::test]
    async fn a_database_is_gone_after_drop_db_and_after_drop() {
        let db = PgTestDb::create().await;
        let name = db.name().to_string();
        let conn = PgConnection::connect(&db.url).await.expect("the fresh database answers");
        conn.close().await.unwrap();
        assert!(exists(&name).await);
        db.drop_db().await;
        assert!(!exists(&name).await, "drop_db drops it");

        let db = PgTestDb::create().await;
        let name = db.name().to_string();
        let _open = PgConnection::connect(&db.url).await.unwrap();
        drop(db);
        assert!(!exists(&name).await, "Drop drops it too, even with a connection open");
    }
}
