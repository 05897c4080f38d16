//! The fleet's latest samples as one kept answer: built once per change of the store, not once
//! per request (at 1,000 servers it is ~440 KB of JSON, ~17 ms of CPU to read and serialise).
//!
//! Whether the store moved is asked with [`Store::latest_generation`], one cheap query, and that
//! query is shared: a request waits for a check that *started after it arrived* (so it never
//! misses a sample stored before it came), and every request waiting at that moment takes the
//! same check's answer. Under 64 concurrent requests that is a couple of queries per burst
//! instead of 64. A rebuild runs under the same lock, so a change is rebuilt once, not by each
//! waiting request.
//!
//! Where the store has a live [`fleetwatch_store::LatestSignal`] (PostgreSQL: samples stored in
//! this process move it at once, those of another process when PostgreSQL delivers their
//! `NOTIFY`), a request whose answer was built or checked at the signal's current epoch takes it
//! without asking the store at all; the round trip per burst was what kept PostgreSQL's p99
//! above SQLite's under load (docs/benchmarks.md). The store is still asked at least every
//! [`RECHECK`], in case the listening connection died without a word.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fleetwatch_store::Store;
use tokio::sync::Mutex;

/// [`Store::latest_generation`]: moves whenever a server's latest sample does.
type Generation = (i64, i64);

/// An answer kept between requests: its JSON, and the same gzipped once.
#[derive(Debug, Clone)]
pub struct Kept {
    pub json: Bytes,
    pub gzip: Bytes,
}

/// See the module: the shared freshness check and the kept answer.
#[derive(Debug, Default)]
pub(super) struct LatestAnswer {
    /// How many generation checks have started; a check's number is this after its start.
    checks_started: AtomicU64,
    state: Mutex<Checked>,
}

/// How long a kept answer is served on the signal alone before the store is asked again.
const RECHECK: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct Checked {
    /// The number of the last check that finished, and what it read.
    check: u64,
    generation: Option<Generation>,
    /// The answer and the generation read before its samples were.
    kept: Option<(Generation, Kept)>,
    /// The signal's epoch read before the last check started, and when that check started.
    checked_at: Option<(u64, Instant)>,
    /// The same, of the last check whose generation the kept answer has (so the kept answer
    /// is at least as new as the store at that epoch).
    confirmed: Option<(u64, Instant)>,
}

impl LatestAnswer {
    /// The kept answer if the store has not moved since it was built, or the one `build` makes
    /// now (from samples read after the generation was, so never older than it).
    pub(super) async fn get<E, F, Fut>(&self, store: &dyn Store, build: F) -> Result<Kept, E>
    where
        E: From<fleetwatch_store::Error>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Kept, E>>,
    {
        let signal = store.latest_signal();
        let epoch = signal.as_ref().and_then(|s| s.epoch());
        let arrived_after = self.checks_started.load(Ordering::SeqCst);
        let mut state = self.state.lock().await;
        if let (Some(epoch), Some((confirmed, at)), Some((_, kept))) = (epoch, state.confirmed, &state.kept)
            && confirmed == epoch
            && at.elapsed() < RECHECK
        {
            return Ok(kept.clone());
        }
        let generation = match state.generation {
            Some(generation) if state.check > arrived_after => generation,
            _ => {
                // No check has started since this request arrived: run one (the requests
                // waiting behind this lock take its answer).
                let check = self.checks_started.fetch_add(1, Ordering::SeqCst) + 1;
                let started = Instant::now();
                let epoch = signal.as_ref().and_then(|s| s.epoch());
                let generation = store.latest_generation().await?;
                (state.check, state.generation) = (check, Some(generation));
                state.checked_at = epoch.map(|e| (e, started));
                generation
            }
        };
        if let Some((built_at, kept)) = &state.kept
            && *built_at == generation
        {
            let kept = kept.clone();
            state.confirmed = state.checked_at;
            return Ok(kept);
        }
        let kept = build().await?;
        state.kept = Some((generation, kept.clone()));
        state.confirmed = state.checked_at;
        Ok(kept)
    }
}
