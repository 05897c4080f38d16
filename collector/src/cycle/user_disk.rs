//! The slow per-user disk usage run (`du` under `collector.user_disk.paths`), on the same kept
//! connections as the regular cycle.

use chrono::Utc;
use futures::StreamExt;

use super::Collector;
use super::report::Mode;
use crate::error::{CollectError, ParseError};
use crate::parse::user_disk::user_disk_usage;
use crate::program::user_disk_program;

impl Collector {
    /// Measures per-user disk usage on every server this process collects, and stores it. Runs
    /// on its own slow schedule: it waits for a server's regular collection rather than skipping
    /// it. Returns the per-server outcome (the number of users measured).
    pub async fn run_user_disk(&self) -> Vec<(String, Result<usize, CollectError>)> {
        let cfg = &self.settings.user_disk;
        let text = user_disk_program(&cfg.paths);
        let limit = cfg.timeout();
        let Some(entries) = self.claimed().await else { return Vec::new() };
        futures::stream::iter(entries.into_iter().filter(|e| e.collected()))
            .map(|entry| {
                let text = text.as_str();
                async move {
                    let mut slot = entry.slot.lock().await;
                    let result = async {
                        let ran = self.exec_on(&entry.server, &mut slot, text, limit, Mode::Store).await?;
                        let usage =
                            user_disk_usage(&String::from_utf8_lossy(&ran.output.stdout)).map_err(ParseError::UserDisk)?;
                        let rows: Vec<(String, i64)> = usage.into_iter().collect();
                        if !self.database_ready() {
                            tracing::warn!(server = %entry.server.name, "per-user disk usage not stored: the database is unreachable");
                        } else if let Err(e) = self.store.record_user_disk(&entry.server.name, Utc::now(), &rows).await {
                            self.check_reachable(&e).await;
                            tracing::error!(server = %entry.server.name, error = ?e, "cannot store per-user disk usage");
                        }
                        Ok(rows.len())
                    }
                    .await;
                    if let Err(e) = &result {
                        tracing::warn!(server = %entry.server.name, error = %e, "per-user disk usage failed");
                    }
                    (entry.server.name.clone(), result)
                }
            })
            .buffer_unordered(self.settings.concurrency_for(self.entries.len()))
            .collect()
            .await
    }
}
