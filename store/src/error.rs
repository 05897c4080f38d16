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
