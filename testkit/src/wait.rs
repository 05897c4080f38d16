//! Polling with a deadline: a test waits for a condition, never for a fixed time, and fails
//! saying what it waited for.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long to sleep between two checks.
const POLL: Duration = Duration::from_millis(100);

/// Polls `check` until it returns `Some`, failing with `what` after `limit`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// Polls `check` until it returns `Ok`, failing with `what` and the last `Err` after `limit`.
pub async fn wait_until<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + limit;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(last) => assert!(Instant::now() < deadline, "timed out waiting for {what}; last seen: {last}"),
        }
        tokio::time::sleep(POLL).await;
    }
}
