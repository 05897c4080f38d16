//! Throw-away databases for the contract test.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// Where the PostgreSQL test server is, when `FLEETWATCH_TEST_PG_URL` does not say.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, uniquely named PostgreSQL database, dropped by [`PgTestDb::drop_db`].
pub struct PgTestDb {
    admin_url: String,
    name: String,
    /// The URL of the fresh database.
    pub url: String,
}

impl PgTestDb {
    /// Creates the database. Panics, saying how to fix it, when PostgreSQL cannot be reached:
    /// a missing database server must fail the test, never skip it.
    pub async fn create() -> Self {
        let admin_url = std::env::var("FLEETWATCH_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
        let mut admin = admin_connection(&admin_url).await;
        let name = unique_name();
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE for the test");
        admin.close().await.expect("close admin connection");
        let url = with_database(&admin_url, &name);
        Self { admin_url, name, url }
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_db(self) {
        let mut admin = admin_connection(&self.admin_url).await;
        sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)))
            .execute(&mut admin)
            .await
            .expect("DROP DATABASE after the test");
        admin.close().await.expect("close admin connection");
    }
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
         Start it (`pg_ctlcluster 15 main start`) or point FLEETWATCH_TEST_PG_URL at a server \
         where this user may CREATE DATABASE.",
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
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
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
