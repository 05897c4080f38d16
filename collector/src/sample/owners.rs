//! The owner of each process: the program asks only about the processes started since the
//! last cycle (see `scripts/owners.sh`) and the others keep the owner the collector remembers.

use crate::fast_map::FastMap;

use super::CarriedState;
use crate::parse::Snapshot;

/// The owners of this cycle's processes, from the program's answers and what the collector
/// kept: see [`merge_owners`].
pub(super) struct OwnerMerge {
    /// pid → uid of this cycle's processes; `None` without owners or processes.
    pub(super) uids: Option<FastMap<u32, u32>>,
    pub(super) cache: FastMap<u32, (u64, u32)>,
    pub(super) self_uid: Option<u32>,
    pub(super) complete: bool,
    pub(super) all_at: Option<f64>,
}

/// Places every process of this cycle: the program's answer for it (it asks only about the
/// processes started since the last cycle, unless it asked about all), else the kept owner of
/// the same pid *with the same start time*, else the SSH user for the program's own shell. A
/// process that was not new and still cannot be placed (a pid reused behind the kept owners)
/// makes the next program ask about all.
pub(super) fn merge_owners(snap: &Snapshot, kept: Option<&CarriedState>) -> OwnerMerge {
    let uptime = snap.uptime.map(|u| u.seconds);
    let mut merge = OwnerMerge {
        uids: None,
        cache: FastMap::default(),
        self_uid: kept.and_then(|k| k.self_uid),
        complete: false,
        all_at: kept.and_then(|k| k.owners_all_at),
    };
    let (Some(answers), Some(procs)) = (snap.owners.as_ref(), snap.procs.as_ref()) else {
        return merge;
    };
    // All were asked about when the shell itself was (older programs print no `self`).
    let asked_all = answers.self_pid.is_none_or(|p| answers.uids.contains_key(&p));
    let since = if asked_all { None } else { kept.and_then(CarriedState::owners_since) };
    let last_pid = snap.loadavg.and_then(|l| l.last_pid);
    if asked_all {
        merge.all_at = uptime;
        if let Some(uid) = answers.self_pid.and_then(|p| answers.uids.get(&p)) {
            merge.self_uid = Some(*uid);
        }
    }
    let mut uids = FastMap::with_capacity_and_hasher(procs.len(), Default::default());
    let mut unplaced = false;
    for p in procs {
        let known = kept.and_then(|k| k.owners.get(&p.pid)).filter(|(start, _)| *start == p.starttime).map(|(_, u)| *u);
        let own_shell = (answers.self_pid == Some(p.pid)).then_some(merge.self_uid).flatten();
        match answers.uids.get(&p.pid).copied().or(known).or(own_shell) {
            Some(uid) => {
                uids.insert(p.pid, uid);
                merge.cache.insert(p.pid, (p.starttime, uid));
            }
            // A new process that ended before `stat` reached it is simply gone.
            None => unplaced |= since.is_some_and(|s| !started_after(p.pid, s, last_pid)),
        }
    }
    merge.complete = !unplaced;
    merge.uids = Some(uids);
    merge
}

/// Whether `pid` was given out after `since` and up to `last` (the last pid given out when this
/// cycle read the processes), pids having possibly wrapped in between. Without `last`, every pid
/// above `since` counts.
fn started_after(pid: u32, since: u32, last: Option<u32>) -> bool {
    match last {
        Some(last) if last >= since => pid > since && pid <= last,
        Some(last) => pid > since || pid <= last,
        None => pid > since,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LoadAvg, OwnerAnswers, Uptime};
    use crate::sample::fixtures::{at, proc, snapshot};
    use crate::sample::{OWNERS_ALL_EVERY_SECS, build};

    #[test]
    fn owners_are_kept_by_pid_and_start_time_and_asked_for_new_processes_only() {
        let at_uptime = |mut snap: Snapshot, seconds: f64, answers: &[(u32, u32)], self_pid: u32| {
            snap.uptime = Some(Uptime { seconds, idle_seconds: None });
            // The shell is the last process started when the files were read.
            snap.loadavg = Some(LoadAvg { last_pid: Some(self_pid), ..LoadAvg::default() });
            snap.owners = Some(OwnerAnswers { uids: answers.iter().copied().collect(), self_pid: Some(self_pid) });
            snap
        };
        // First cycle: all asked (the shell, 900, among them).
        let procs1 = vec![proc(1, "init", 0, 1, 1), proc(500, "web", 0, 50, 1), proc(900, "sh", 0, 90, 1)];
        let snap1 = at_uptime(snapshot(1000, procs1, &[]), 100.0, &[(1, 0), (500, 1000), (900, 1000)], 900);
        let first = build("s", at(), &snap1, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.carried.self_uid, Some(1000));
        assert_eq!(first.carried.owners_since(), Some(900));
        // Second: only 950 was new; 1 and 500 come from the kept owners, 960 is the new shell.
        let procs2 = vec![
            proc(1, "init", 0, 1, 1),
            proc(500, "web", 0, 50, 1),
            proc(950, "cron", 0, 95, 1),
            proc(960, "sh", 0, 96, 1),
        ];
        let snap2 = at_uptime(snapshot(2000, procs2, &[]), 130.0, &[(950, 0)], 960);
        let second = build("s", at(), &snap2, Some(&first.carried)).unwrap_or_else(|e| panic!("{e}"));
        let users: Vec<(&str, i64)> = second.users.iter().map(|u| (u.username.as_str(), u.process_count)).collect();
        assert_eq!(users.iter().find(|u| u.0 == "a.b1"), Some(&("a.b1", 2)), "{users:?}");
        assert_eq!(users.iter().find(|u| u.0 == "root"), Some(&("root", 2)), "{users:?}");
        assert_eq!(second.carried.owners_since(), Some(960));
        // Third: pid 500 is another process now (another start time) and nobody said whose:
        // it is not counted, and the next program asks about all.
        let procs3 = vec![proc(1, "init", 0, 1, 1), proc(500, "job", 0, 120, 1), proc(970, "sh", 0, 97, 1)];
        let snap3 = at_uptime(snapshot(3000, procs3, &[]), 160.0, &[], 970);
        let third = build("s", at(), &snap3, Some(&second.carried)).unwrap_or_else(|e| panic!("{e}"));
        assert!(!third.carried.owners_complete);
        assert_eq!(third.carried.owners_since(), None);
        // Pids that wrapped: new ones lie above the old last pid or up to the new one.
        assert!(started_after(20, 32000, Some(50)) && started_after(32100, 32000, Some(50)));
        assert!(!started_after(31000, 32000, Some(50)) && !started_after(60, 32000, Some(50)));
        assert!(started_after(960, 900, Some(970)) && !started_after(32542, 900, Some(970)), "an old high pid");
        assert!(!third.users.iter().any(|u| u.top_process == "job"), "{:?}", third.users);
        // And all are asked about again ten minutes after the last time anyway.
        let late = CarriedState { uptime_seconds: Some(100.0 + OWNERS_ALL_EVERY_SECS), ..second.carried.clone() };
        assert_eq!(late.owners_since(), None);
    }
}
