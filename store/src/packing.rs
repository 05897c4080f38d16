//! Packing the windows a cycle closes, after the cycle's write instead of inside it.
//!
//! A server's samples are written as hot frames and packed into a block once its window of
//! `WINDOW` (`samples.rs`) frames closes (see ARCHITECTURE.md, "Samples"). At 1,000 servers
//! about 16 windows close in every cycle, and packing them was half of the cycle's write
//! (docs/benchmarks.md, issue #11). So `record_successes` commits the frames and returns, and a
//! task packs the closed windows in a transaction of its own. The next write, `maintain`,
//! `cleanup`, `stats` and [`crate::Store::flush`] wait for it first, so packing never overlaps
//! another write of this store and a server's latest frame is never packed. A packing that
//! fails (or never ran: the process ended) is done again at the server's next write: a window
//! with at least `WINDOW` hot frames besides the latest is due at every write.

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};
use tokio::task::JoinHandle;

use crate::backend::{Backend, SqlStore};
use crate::error::Result;

/// When a write packs the windows it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pack {
    /// In the write's transaction (converting old samples, a server twice in one batch).
    Now,
    /// In a task of its own after the write commits ([`SqlStore::pack_later`]).
    Later,
}

/// The packing tasks writes started and no one waited for yet.
#[derive(Debug, Default)]
pub(crate) struct Packing {
    tasks: tokio::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl<DB> SqlStore<DB>
where
    DB: Backend,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<String>: Encode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> f64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> Vec<u8>: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
{
    /// Starts packing the windows that `written` (`(server id, frame id)` of a committed write)
    /// closed.
    pub(crate) async fn pack_later(&self, written: Vec<(i64, i64)>) {
        if written.is_empty() {
            return;
        }
        let worker = self.sibling();
        let task = tokio::spawn(async move {
            if let Err(e) = worker.pack_in_own_transaction(&written).await {
                tracing::warn!(error = %e, servers = written.len(), "packing closed windows failed; tried again at the servers' next write");
            }
        });
        self.packing.tasks.lock().await.push(task);
    }

    async fn pack_in_own_transaction(&self, written: &[(i64, i64)]) -> Result<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        self.pack_closed(&mut tx, written).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Waits for the packing that earlier writes started.
    pub(crate) async fn settle(&self) {
        let tasks = std::mem::take(&mut *self.packing.tasks.lock().await);
        for task in tasks {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "a packing task ended abnormally; tried again at the servers' next write");
            }
        }
    }
}
