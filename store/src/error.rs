//! The store's error type.

/// A store failure. The `Display` text never contains a connection URL or password.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unsupported database URL scheme {0:?}: use sqlite:// or postgres://")]
    UnsupportedScheme(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid stored value: {0}")]
    Corrupt(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether the database could not be reached at all (down, refusing connections, the
    /// connection lost, shutting down, no connection free in time), as opposed to refusing a
    /// statement. A caller that sees it can stop waiting on the database until a ping answers.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Database(
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed,
            ) => true,
            // PostgreSQL's class 57P: "operator intervention" (shutting down, cannot connect now).
            Error::Database(sqlx::Error::Database(e)) => e.code().is_some_and(|c| c.starts_with("57P")),
            _ => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Error;

    #[tokio::test]
    async fn a_database_nobody_listens_for_is_unavailable() {
        // Port 1 on loopback: refused at once, retried by the pool until its acquire timeout.
        let store = crate::connect_lazy("postgres://fleetwatch@127.0.0.1:1/none").unwrap().unwrap();
        let e = store.ping().await.unwrap_err();
        assert!(e.is_unavailable(), "{e:?}");
    }

    #[test]
    fn a_refused_statement_or_value_is_not_unavailable() {
        assert!(!Error::Database(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!Error::Conflict("host key".into()).is_unavailable());
        assert!(!Error::Corrupt("block".into()).is_unavailable());
        assert!(Error::Database(sqlx::Error::PoolTimedOut).is_unavailable());
    }
}
