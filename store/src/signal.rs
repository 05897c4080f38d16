//! A signal that the fleet's latest samples may have moved: an epoch readers compare instead of
//! asking the database ([`crate::Store::latest_generation`]) on every request.
//!
//! - Samples written through this store move it before `record_successes` returns.
//! - On PostgreSQL, samples written by another process (the collector beside `fleetwatch api`)
//!   move it when PostgreSQL delivers the `NOTIFY` their transaction sent at commit. The store
//!   listens on a connection of its own, opened at the first [`crate::Store::latest_signal`]
//!   call (`postgres.rs`), so a collector that never asks holds no listening connection.
//! - While that connection is down the signal is not *live* ([`LatestSignal::epoch`] is `None`)
//!   and readers ask the store as before; it moves when the connection is back, since
//!   notifications sent meanwhile are lost.
//!
//! SQLite has no such signal: another process may write the same file, and nothing tells.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

/// The `NOTIFY` channel of PostgreSQL's write transactions.
pub(crate) const CHANNEL: &str = "fleetwatch_latest";

/// See the module.
#[derive(Debug)]
pub struct LatestSignal {
    epoch: watch::Sender<u64>,
    live: AtomicBool,
}

impl Default for LatestSignal {
    fn default() -> Self {
        Self { epoch: watch::Sender::new(0), live: AtomicBool::new(false) }
    }
}

impl LatestSignal {
    /// The epoch, while every change is told: two equal readings mean that no latest sample
    /// moved between them (other processes' changes: once PostgreSQL has delivered them).
    /// `None` while changes from elsewhere may go untold.
    pub fn epoch(&self) -> Option<u64> {
        self.live.load(Ordering::SeqCst).then(|| *self.epoch.borrow())
    }

    /// Every move of the epoch, live or not (to wait on one).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.epoch.subscribe()
    }

    /// Whether changes from other processes are told now.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    pub(crate) fn bump(&self) {
        self.epoch.send_modify(|e| *e += 1);
    }

    /// Listening (again): the epoch moves first, for what was missed while not.
    pub(crate) fn listening(&self) {
        self.bump();
        self.live.store(true, Ordering::SeqCst);
    }

    /// Not listening: readers stop trusting the epoch before it moves.
    pub(crate) fn deaf(&self) {
        self.live.store(false, Ordering::SeqCst);
        self.bump();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_is_given_only_while_live_and_moves_with_every_change() {
        let s = LatestSignal::default();
        assert_eq!(s.epoch(), None, "not live before listening");
        s.bump();
        assert_eq!(s.epoch(), None);
        s.listening();
        let a = s.epoch();
        assert!(a.is_some(), "live");
        assert_eq!(s.epoch(), a, "nothing moved");
        s.bump();
        assert_ne!(s.epoch(), a);
        s.deaf();
        assert_eq!(s.epoch(), None);
        let b = *s.subscribe().borrow();
        s.listening();
        assert!(s.epoch().is_some_and(|e| e > b), "what was missed while deaf moves the epoch");
    }
}
