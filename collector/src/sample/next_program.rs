//! The options of the next cycle's program, from the state carried from this one.

use super::CarriedState;
use crate::parse::ProcStat;
use crate::protocol::{KnownProc, MAX_FD_PIDS, ProgramOptions};

/// Above this many processes the program is not given the table (it prints every process):
/// the table goes to `awk` as one argument, and Linux caps one argument at 128 KiB
/// (`MAX_ARG_STRLEN`); a process takes at most 16 bytes of it (a token of 8, a pid of up to 7
/// digits and a space).
pub const MAX_KNOWN_PROCS: usize = 7000;

impl ProgramOptions {
    /// The program for the cycle after `prev` (the previous cycle's carried state, `None` on
    /// the first cycle of a connection): a baseline and the inventory when there is nothing to
    /// compare with or nothing kept, the descriptors of the previous top processes, and what
    /// earlier cycles taught about `df`, the mounts and the containers.
    pub fn next(prev: Option<&CarriedState>) -> Self {
        Self {
            baseline: prev.is_none(),
            inventory: prev.is_none_or(|c| c.inventory.is_none() || c.page_size.is_none()),
            fd_pids: prev.map(|c| c.top_pids.iter().copied().take(MAX_FD_PIDS).collect()).unwrap_or_default(),
            df: prev.and_then(|c| c.df),
            df_guard: prev.is_none_or(|c| c.mounts_may_hang != Some(false)),
            ask_containers: prev.is_none_or(|c| !c.no_containers_lately()),
            containers: prev.and_then(|c| c.containers_seen.clone()),
            container_clients_failed: prev.map(|c| c.container_clients_failed.clone()).unwrap_or_default(),
            owners_since: prev.and_then(CarriedState::owners_since),
            known_procs: prev
                .and_then(|c| c.proc_table.as_ref())
                .filter(|t| t.len() <= MAX_KNOWN_PROCS)
                .map(|t| t.iter().map(known).collect())
                .unwrap_or_default(),
        }
    }
}

/// A process of the kept table as the next program compares it.
pub(crate) fn known(p: &ProcStat) -> KnownProc {
    KnownProc {
        pid: p.pid,
        starttime: p.starttime,
        utime: p.utime,
        stime: p.stime,
        rss_pages: p.rss_pages,
        threads: p.threads,
        state: p.state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::program;
    use crate::protocol::{
        BEGIN_MARKER, CONTAINERS_RECHECK_SECS, ContainerClient, ContainersSeen, DfFlavour, LIST_EVERY,
        LIST_EVERY_WITH_HEALTH_CHECKS,
    };

    #[test]
    fn what_earlier_cycles_learnt_reaches_df_and_containers() {
        let first = program(&ProgramOptions::next(None));
        assert!(first.contains("df=\nguard=1\n") && first.contains("seen=\nlisted=\n"), "{first}");
        let owners = CarriedState {
            owners: [(7, (1, 0)), (4242, (9, 1000))].into_iter().collect(),
            self_uid: Some(1000),
            owners_complete: true,
            owners_all_at: Some(100.0),
            uptime_seconds: Some(130.0),
            last_pid: Some(4242),
            ..CarriedState::default()
        };
        assert!(program(&ProgramOptions::next(Some(&owners))).contains("since=4242\n"));
        let kept = CarriedState {
            df: Some(DfFlavour::Gnu),
            mounts_may_hang: Some(false),
            containers_seen: Some(ContainersSeen {
                running: vec!["ab".into(), "cd".into()],
                listed_at: 4242,
                health_checks: false,
            }),
            container_clients_failed: vec![ContainerClient::Nc],
            ..CarriedState::default()
        };
        let next = program(&ProgramOptions::next(Some(&kept)));
        assert!(next.contains("df=gnu\nguard=\n"), "{next}");
        assert!(next.contains(&format!("seen=' ab cd'\nlisted=4242\nevery={LIST_EVERY}\navoid='nc'\n")), "{next}");
        let mut health = kept.clone();
        if let Some(seen) = health.containers_seen.as_mut() {
            seen.health_checks = true;
        }
        assert!(
            program(&ProgramOptions::next(Some(&health))).contains(&format!("every={LIST_EVERY_WITH_HEALTH_CHECKS}\n"))
        );
        assert!(next.contains("since=\n"), "no owners known: all asked about");
        let risky = CarriedState { mounts_may_hang: Some(true), ..kept.clone() };
        assert!(program(&ProgramOptions::next(Some(&risky))).contains("guard=1\n"));
        let unread = CarriedState { mounts_may_hang: None, ..kept };
        assert!(program(&ProgramOptions::next(Some(&unread))).contains("guard=1\n"), "unknown mounts: guarded");
    }

    #[test]
    fn next_asks_for_what_the_carried_state_lacks() {
        let first = ProgramOptions::next(None);
        assert!(first.baseline && first.inventory && first.fd_pids.is_empty());
        let mut kept = CarriedState { top_pids: vec![7, 9], ..CarriedState::default() };
        let second = ProgramOptions::next(Some(&kept));
        assert!(!second.baseline && second.inventory, "nothing kept yet");
        assert_eq!(second.fd_pids, [7, 9]);
        kept.inventory = Some(crate::parse::Inventory::default());
        kept.page_size = Some(4096);
        assert!(!ProgramOptions::next(Some(&kept)).inventory);
        assert!(ProgramOptions::default().inventory && !ProgramOptions::default().baseline);
    }

    #[test]
    fn a_server_without_a_container_tool_is_asked_again_only_ten_minutes_later() {
        let marker = format!("{BEGIN_MARKER}containers'");
        assert!(program(&ProgramOptions::next(None)).contains(&marker), "the first program looks");
        let none_at = |now: f64| CarriedState {
            no_containers_at: Some(1000.0),
            uptime_seconds: Some(now),
            ..CarriedState::default()
        };
        let quiet = program(&ProgramOptions::next(Some(&none_at(1010.0))));
        assert!(!quiet.contains(&marker) && !quiet.contains("podman"), "{quiet}");
        let later = ProgramOptions::next(Some(&none_at(1000.0 + CONTAINERS_RECHECK_SECS)));
        assert!(later.ask_containers && program(&later).contains(&marker), "ten minutes on: asked again");
        assert!(ProgramOptions::next(Some(&none_at(20.0))).ask_containers, "rebooted since: asked again");
        let unknown = CarriedState { uptime_seconds: Some(1010.0), ..CarriedState::default() };
        assert!(ProgramOptions::next(Some(&unknown)).ask_containers, "never looked: asked");
    }
}
