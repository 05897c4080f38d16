//! The owner of each process: the uid owning `/proc/PID` — the process's effective uid, or root
//! for a non-dumpable process (see
//! [proc_pid(5)](https://man7.org/linux/man-pages/man5/proc_pid.5.html)) — as
//! `stat -c '%u %n' /proc/PID…` prints it (`1000 /proc/4242`) or, where there is no `stat`,
//! as the third column of `ls -lnd /proc/PID…` (or of `ls -ln /proc`, as older programs ran it).
//! The line `self PID` names the program's own shell. Only the processes the collector does not
//! know yet are asked about (see `scripts/owners.sh`), so an answer may hold no process at all.

use crate::fast_map::FastMap;

use super::{Parsed, Problem, numbered_lines};

/// What the `owners` section told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerAnswers {
    /// pid → uid of the processes asked about.
    pub uids: FastMap<u32, u32>,
    /// The pid of the program's own shell (`self PID`), when printed.
    pub self_pid: Option<u32>,
}

/// pid → uid, from `UID /proc/PID` lines or from the directory lines of `ls -lnd /proc/PID` or
/// `ls -ln /proc` (`dr-xr-xr-x 9 1000 1000 0 Jan 15 09:12 1234`). Other entries (`total`,
/// files, the `self` symlink) are ignored. Without a `self` line (older programs), no process
/// at all is an error.
pub fn parse_owners(body: &str) -> Result<Parsed<OwnerAnswers>, Problem> {
    let mut owners = FastMap::default();
    let mut self_pid = None;
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(body) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if let ["self", pid] = f.as_slice() {
            match pid.parse::<u32>() {
                Ok(pid) => self_pid = Some(pid),
                Err(_) => warnings.push(Problem::at(n, format!("self pid {pid:?} is not a number"))),
            }
            continue;
        }
        if let [uid, path] = f.as_slice()
            && let Some(pid) = path.strip_prefix("/proc/").and_then(|p| p.parse::<u32>().ok())
        {
            match uid.parse::<u32>() {
                Ok(uid) => {
                    owners.insert(pid, uid);
                }
                Err(_) => warnings.push(Problem::at(n, format!("uid of pid {pid} is not a number"))),
            }
            continue;
        }
        let is_dir = f.first().is_some_and(|p| p.starts_with('d'));
        let Some(pid) = f.last().and_then(|s| s.strip_prefix("/proc/").unwrap_or(s).parse::<u32>().ok()) else {
            continue;
        };
        if !is_dir || f.len() < 4 {
            continue;
        }
        match f.get(2).map(|s| (*s, s.parse::<u32>())) {
            Some((_, Ok(uid))) => {
                owners.insert(pid, uid);
            }
            // GNU ls prints `d?????????  ? ? ? …` for a process that exited between its
            // readdir and its lstat: gone, not an error.
            Some(("?", _)) => {}
            _ => warnings.push(Problem::at(n, format!("uid of pid {pid} is not a number"))),
        }
    }
    if owners.is_empty() && self_pid.is_none() {
        return Err(Problem::whole("no process directory"));
    }
    Ok(Parsed { value: OwnerAnswers { uids: owners, self_pid }, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_pids_to_uids() {
        let body = "total 0\n\
                    dr-xr-xr-x  9    0    0 0 Jan 15 09:12 1\n\
                    dr-xr-xr-x  9 1000 1000 0 Jan 15  2023 4242\n\
                    dr-xr-xr-x  2    0    0 0 Jan 15 09:12 acpi\n\
                    lrwxrwxrwx  1    0    0 0 Jan 15 09:12 self -> 4243\n\
                    -r--r--r--  1    0    0 0 Jan 15 09:12 uptime\n";
        let o = parse_owners(body).map(|p| p.value.uids).unwrap_or_default();
        assert_eq!(o.len(), 2);
        assert_eq!(o.get(&4242), Some(&1000));
        assert_eq!(o.get(&1), Some(&0));
    }

    #[test]
    fn maps_pids_to_uids_as_stat_prints_them() {
        let o = parse_owners("self 77\n0 /proc/1\n1000 /proc/4242\nx /proc/7\n0 /proc/self\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.value.uids.len(), 2);
        assert_eq!((o.value.uids.get(&1), o.value.uids.get(&4242)), (Some(&0), Some(&1000)));
        assert_eq!(o.value.self_pid, Some(77));
        assert_eq!(o.warnings.len(), 1, "{:?}", o.warnings);
        let ls = parse_owners("dr-xr-xr-x 9 1000 1000 0 Jan 15 09:12 /proc/4242\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ls.value.uids.get(&4242), Some(&1000), "ls -lnd prints the path");
        let nothing_new = parse_owners("self 78\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(nothing_new.value.uids.is_empty() && nothing_new.warnings.is_empty(), "no new process: fine");
    }

    #[test]
    fn nothing_usable_is_an_error() {
        assert!(parse_owners("").is_err());
        assert!(parse_owners("total 0\n").is_err());
        let p = parse_owners(
            "dr-xr-xr-x 9 root 0 0 Jan 1 00:00 7\ndr-xr-xr-x 9 5 5 0 Jan 1 00:00 8\nd????????? ? ? ? ? ? 9\n",
        );
        assert_eq!(p.map(|p| (p.value.uids.len(), p.warnings.len())), Ok((1, 1)), "an exited process is no warning");
    }
}
