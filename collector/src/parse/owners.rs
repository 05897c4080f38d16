//! The owner of each process: `ls -ln /proc`, whose third column is the uid owning
//! `/proc/PID` — the process's effective uid, or root for a non-dumpable process (see
//! [proc_pid(5)](https://man7.org/linux/man-pages/man5/proc_pid.5.html)).

use std::collections::HashMap;

use super::{Parsed, Problem, numbered_lines};

/// pid → uid, from the directory lines of `ls -ln /proc` (`dr-xr-xr-x 9 1000 1000 0 Jan 15
/// 09:12 1234`). Other entries (`total`, files, the `self` symlink) are ignored.
pub fn parse_owners(body: &str) -> Result<Parsed<HashMap<u32, u32>>, Problem> {
    let mut owners = HashMap::new();
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(body) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let is_dir = f.first().is_some_and(|p| p.starts_with('d'));
        let Some(pid) = f.last().and_then(|s| s.parse::<u32>().ok()) else {
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
    if owners.is_empty() {
        return Err(Problem::whole("no process directory"));
    }
    Ok(Parsed { value: owners, warnings })
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
        let o = parse_owners(body).map(|p| p.value).unwrap_or_default();
        assert_eq!(o.len(), 2);
        assert_eq!(o.get(&4242), Some(&1000));
        assert_eq!(o.get(&1), Some(&0));
    }

    #[test]
    fn nothing_usable_is_an_error() {
        assert!(parse_owners("").is_err());
        assert!(parse_owners("total 0\n").is_err());
        let p = parse_owners(
            "dr-xr-xr-x 9 root 0 0 Jan 1 00:00 7\ndr-xr-xr-x 9 5 5 0 Jan 1 00:00 8\nd????????? ? ? ? ? ? 9\n",
        );
        assert_eq!(p.map(|p| (p.value.len(), p.warnings.len())), Ok((1, 1)), "an exited process is no warning");
    }
}
