//! Storing a cycle's samples as servers finish: reports are gathered and written in one
//! transaction when [`BATCH_MAX`] are waiting, when the first of them has waited [`BATCH_WAIT`],
//! or when the cycle ends; so a slow server delays the others' samples by at most that wait.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use super::Collector;
use super::report::ServerReport;

/// At most this many samples in one write.
pub(super) const BATCH_MAX: usize = 256;

/// A finished sample waits at most this long for others to share its write.
pub(super) const BATCH_WAIT: Duration = Duration::from_millis(250);

impl Collector {
    /// Receives the cycle's reports as servers finish and stores their samples in batches;
    /// returns every report, in the order they arrived, once the sender is dropped and the last
    /// batch is written.
    pub(super) async fn store_as_they_finish(&self, mut rx: UnboundedReceiver<ServerReport>) -> Vec<ServerReport> {
        let mut reports: Vec<ServerReport> = Vec::new();
        // Indices into `reports` of the samples not yet written.
        let mut waiting: Vec<usize> = Vec::new();
        let mut deadline: Option<Instant> = None;
        loop {
            let next = match deadline {
                Some(at) => tokio::select! {
                    r = rx.recv() => Some(r),
                    () = tokio::time::sleep_until(at) => None,
                },
                None => Some(rx.recv().await),
            };
            let done = match next {
                Some(Some(report)) => {
                    if report.result.is_ok() {
                        deadline.get_or_insert_with(|| Instant::now() + BATCH_WAIT);
                        waiting.push(reports.len());
                    }
                    reports.push(report);
                    if waiting.len() < BATCH_MAX {
                        continue;
                    }
                    false
                }
                Some(None) => true,
                None => false,
            };
            let batch: Vec<&ServerReport> = waiting.drain(..).map(|i| &reports[i]).collect();
            self.store_batch(&batch).await;
            deadline = None;
            if done {
                return reports;
            }
        }
    }
}
