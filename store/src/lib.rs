//! Persistence for Fleetwatch: the [`Store`] trait and its SQLite and PostgreSQL backends, the
//! only place in the workspace that knows SQL. It must not reach for HTTP, SSH or the collector:
//! it stores what it is given and reads it back.
//!
//! The backend is chosen once, from the URL scheme, by [`connect`]. Timestamps are stored as unix
//! epoch milliseconds: what goes in with finer precision comes back rounded down to the
//! millisecond. Bounds (`since`, `before`) are compared exactly.

mod alerts;
pub mod auth;
mod backend;
mod cache;
mod columns;
mod compact;
mod error;
mod legacy;
mod packing;
mod postgres;
mod reads;
mod retention;
mod rollup_sql;
mod rollups;
mod rows;
mod sample_sql;
mod samples;
mod sealing;
mod signal;
mod sql;
mod sql_store;
mod sqlite;
mod state_upserts;
mod types;
mod user_day_sql;
mod user_day_store;
mod user_days;
mod values;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fleetwatch_common::{Details, HistoryPoint, OfflineReason, Sample, SeriesPoint, TopUser, UserDay};

pub use alerts::{
    AlertStore, Attempt, ChannelResult, ChannelTotals, Claim, CollectorStats, Evaluation, HistoryEntry, HistoryQuery,
    HostKeyOffer, KeyAcceptance, KeyAccepted, NewNotification, OutboxItem, StoredSilence,
};
pub use auth::AuthStore;
pub use backend::SqlStore;
pub use error::{Error, Result};
pub use postgres::PostgresStore;
pub use signal::LatestSignal;
pub use sqlite::SqliteStore;
pub use types::{
    DbStats, FigureSummary, HostKeyRecord, Maintenance, ProcessRecord, Ranking, Retention, ServerBytes, ServerState,
    Success, TableStats, TierStats, TimeRange, UserDisk, UserUsage,
};

/// For the storage benchmark only: where the bytes of blocks of `window` cycles and of one
/// rollup chunk of `tier_ms` buckets go (see `store/src/compact/profile.rs`).
#[doc(hidden)]
pub fn bench_profile(
    cycles: &[(Sample, Vec<UserUsage>, Details)],
    window: usize,
    tier_ms: i64,
) -> Vec<(String, usize)> {
    compact::profile::profile(cycles, window, tier_ms)
}

/// Everything Fleetwatch stores. Every method is implemented identically by both backends,
/// which the contract test in `store/tests/contract.rs` checks.
#[async_trait]
pub trait Store: AlertStore + AuthStore + Send + Sync + 'static {
    /// Applies the embedded migrations of this backend.
    async fn migrate(&self) -> Result<()>;

    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> Result<()>;

    /// Stores a successful collection: the sample, its per-user rows, and the server's state
    /// (`ok`, `last_attempt = last_success = sample.timestamp`, reason cleared), in one
    /// transaction. The sample becomes the server's latest (the last call wins, whatever its
    /// timestamp). Usernames must be unique within `users`, else nothing is stored and the
    /// result is `Error::Database`. NaN or infinite readings are stored as `None` (as 0 for the
    /// required `cpu`/`mem` of a user, with a warning). When the server's window of hot samples
    /// closes, it is packed into a block after the transaction commits, before the store's next
    /// write (see ARCHITECTURE.md, "Samples").
    async fn record_success(
        &self,
        sample: &Sample,
        users: &[UserUsage],
        details: Option<&Details>,
        duration_ms: i64,
    ) -> Result<()>;

    /// Stores the successful collections of one cycle in one transaction, with multi-row
    /// inserts: the same as `record_success` for each in turn, at a fraction of the cost. If one
    /// of them is refused, none is stored.
    async fn record_successes(&self, batch: &[Success<'_>]) -> Result<()>;

    /// Stores a failed collection: the server's state becomes not ok with this reason and detail;
    /// its last sample and `last_success` are kept.
    async fn record_failure(
        &self,
        server_name: &str,
        at: DateTime<Utc>,
        reason: OfflineReason,
        detail: &str,
        duration_ms: i64,
    ) -> Result<()>;

    /// The state of every server that was ever attempted, by name.
    async fn server_states(&self) -> Result<Vec<ServerState>>;

    /// The latest sample of every server that has one.
    async fn latest_samples(&self) -> Result<Vec<Sample>>;

    /// A value that changes whenever [`Store::latest_samples`] would answer differently (a
    /// sample stored for any server), and is cheap to read: a reader keeps what it built from
    /// the latest samples while this stays the same.
    async fn latest_generation(&self) -> Result<(i64, i64)>;

    /// A signal that [`Store::latest_generation`] may have moved, read without a query, where
    /// the backend can tell changes made by other processes too (PostgreSQL; `signal.rs`).
    /// The first call starts listening (in the calling tokio runtime).
    fn latest_signal(&self) -> Option<std::sync::Arc<LatestSignal>> {
        None
    }

    /// The latest sample of one server.
    async fn latest_sample(&self, server_name: &str) -> Result<Option<Sample>>;

    /// The samples of one server taken within `range` (both ends included), oldest first,
    /// averaged into at most `range.max_points` buckets. A range that needs buckets of 5
    /// minutes or more is read from the rollup tiers (see [`Store::series`]).
    async fn history(&self, server_name: &str, range: TimeRange) -> Result<Vec<HistoryPoint>>;

    /// Per-user usage from the latest sample of each server (or of one server), highest CPU first.
    async fn top_users(&self, server_name: Option<&str>, limit: i64) -> Result<Vec<TopUser>>;

    /// Per-user usage of one server as stored at `at`: the users of the same sample
    /// [`Store::details`] answers for that moment (its last sample with details at or before
    /// `at`), highest CPU first, each with that sample's time; empty when there is none. The
    /// disk column is the one collected with the sample.
    async fn users_at(&self, server_name: &str, at: DateTime<Utc>) -> Result<Vec<TopUser>>;

    /// The host key fingerprint recorded on first use for this server, if any.
    async fn host_key(&self, server_name: &str) -> Result<Option<HostKeyRecord>>;

    /// Records a host key fingerprint trusted on first use. Never overwrites an existing one:
    /// returns `Error::Conflict` if a different fingerprint is already recorded.
    async fn save_host_key(&self, record: &HostKeyRecord) -> Result<()>;

    /// The details of a server's latest sample (`at = None`), or of its last sample at or before
    /// `at`: "what did this server look like at 03:12".
    async fn details(&self, server_name: &str, at: Option<DateTime<Utc>>) -> Result<Option<Details>>;

    /// One named series of a server (see `Details::series`) within `range`, oldest first,
    /// averaged into at most `range.max_points` points, each with the lowest and highest value
    /// within it. Read from raw samples when the points are narrower than 5 minutes, else from
    /// the coarsest rollup tier (5 min, 1 h, 1 day) not wider than a point that holds data from
    /// `range.from` (or goes furthest back), its not yet summarised end from raw samples.
    async fn series(&self, server_name: &str, name: &str, range: TimeRange) -> Result<Vec<SeriesPoint>>;

    /// Average, minimum and maximum over `range` of the history's figures (`cpu_percent`,
    /// `ram_percentage`, …) and of the named series, read as [`Store::series`] reads.
    async fn summary(&self, server_name: &str, series: &[&str], range: TimeRange) -> Result<Vec<FigureSummary>>;

    /// The maintenance pass, run on its own schedule by the collector: summarises each
    /// complete UTC day's activity per user and server from raw samples (see
    /// [`Store::user_days`]) and what aged into the rollup tiers (5 min from raw samples, 1 h
    /// from 5 min, 1 day from 1 h), then
    /// deletes raw samples and buckets older than their tier's `retention` (never before the
    /// next tier has summarised them; a server's latest sample and each tier's newest chunk
    /// per server stay; raw samples also stay until their users' days are summarised; user days
    /// go with the 1-day tier's age). Small batches and short transactions throughout.
    async fn maintain(&self, retention: &Retention, now: DateTime<Utc>) -> Result<Maintenance>;

    /// Activity per user, per server, per UTC day (CPU-seconds, average and peak memory and
    /// processes, sessions; see `store/src/user_days.rs` for how each is computed) for the UTC
    /// days from `from`'s through `to`'s, of one user and one server or all, sorted by day,
    /// server and user. Days the maintenance pass has not summarised yet (today's, or all before
    /// its first run) are computed from raw samples. Kept as long as the 1-day tier.
    async fn user_days(
        &self,
        user: Option<&str>,
        server: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<UserDay>>;

    /// The series names of a server's latest sample.
    async fn series_names(&self, server_name: &str) -> Result<Vec<String>>;

    /// Top processes by `ranking` of each server's latest sample, or of one server.
    async fn latest_processes(&self, server_name: Option<&str>, ranking: Ranking) -> Result<Vec<ProcessRecord>>;

    /// Replaces a server's per-user disk usage with a new measurement (bytes per user name).
    async fn record_user_disk(&self, server_name: &str, at: DateTime<Utc>, usage: &[(String, i64)]) -> Result<()>;

    /// The latest per-user disk usage of every server (or one), largest first. `top_users`
    /// reports it as each user's `disk`.
    async fn user_disk(&self, server_name: Option<&str>) -> Result<Vec<UserDisk>>;

    /// Records that collector `member_id` is alive at `now`.
    async fn heartbeat(&self, member_id: &str, now: DateTime<Utc>) -> Result<()>;

    /// Collector members whose last heartbeat is at or after `since`, sorted.
    async fn live_members(&self, since: DateTime<Utc>) -> Result<Vec<String>>;

    /// Takes (or keeps) the lease on a server for `member_id`: granted when the lease is free,
    /// already held by `member_id`, or held by a member with no heartbeat since `alive_since`.
    /// Returns whether `member_id` holds it now. Atomic: two members never both get `true`.
    async fn acquire_lease(
        &self,
        server_name: &str,
        member_id: &str,
        now: DateTime<Utc>,
        alive_since: DateTime<Utc>,
    ) -> Result<bool>;

    /// Gives a lease back (only if `member_id` holds it).
    async fn release_lease(&self, server_name: &str, member_id: &str) -> Result<()>;

    /// A member leaving: its leases and its heartbeat row go, so others take over at once.
    async fn leave(&self, member_id: &str) -> Result<()>;

    /// Every lease as (server, member), by server.
    async fn leases(&self) -> Result<Vec<(String, String)>>;

    /// Row counts, oldest and newest timestamp per table (sample time for samples and user rows,
    /// last attempt for server states, first use for host keys), and the database size
    /// (SQLite: the main file, without its `-wal`). `samples` and `sample_users` count the
    /// samples and their user rows wherever they are kept (hot frames and packed blocks).
    async fn stats(&self) -> Result<DbStats>;

    /// Deletes samples (and their user rows) older than `before`; returns how many samples went.
    /// A block holding samples on both sides of `before` is packed again without the older ones;
    /// facts no sample uses any more go too.
    /// A server's latest sample is kept however old it is, so that an offline server still shows
    /// its last known values. Deletes in batches, so SQLite writers are never blocked for long.
    async fn cleanup(&self, before: DateTime<Utc>) -> Result<u64>;

    /// Waits for the work earlier calls left running (packing the windows of hot samples that a
    /// write closed, after it returned; see ARCHITECTURE.md, "Samples"). Nothing is lost without
    /// it; a process about to exit calls it so that the work is done now, not at the next start.
    async fn flush(&self) -> Result<()> {
        Ok(())
    }
}

/// Opens the store named by `url`: `sqlite://path` (created if missing) or `postgres://…` /
/// `postgresql://…`. Any other scheme is an error naming the URL's scheme (never the whole URL,
/// which may hold a password).
pub async fn connect(url: &str) -> Result<Box<dyn Store>> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => Ok(Box::new(SqliteStore::connect(url).await?)),
        "postgres" | "postgresql" => Ok(Box::new(PostgresStore::connect(url).await?)),
        other => Err(Error::UnsupportedScheme(other.to_string())),
    }
}

/// [`connect`] without reaching the server, for PostgreSQL (`None` for SQLite, a file that opens
/// now or not at all): a collector started while the database is down runs with it, and its
/// queries fail, as in an outage, until the server is back.
pub fn connect_lazy(url: &str) -> Result<Option<Box<dyn Store>>> {
    match url.split_once(':').map(|(s, _)| s).unwrap_or("") {
        "postgres" | "postgresql" => Ok(Some(Box::new(PostgresStore::connect_lazy(url)?))),
        _ => Ok(None),
    }
}
