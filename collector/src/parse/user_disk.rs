//! Per-user disk usage: lines `uid KiB path` from `scripts/user_disk.sh`, summed per owner.

use std::collections::BTreeMap;

use crate::fast_map::FastMap;

use super::passwd::parse_passwd;
use super::{Parsed, Problem, numbered_lines, split_sections};
use crate::protocol::SectionName;

/// `(uid, bytes)` per directory line; bad lines become warnings.
pub fn parse_user_disk(body: &str) -> Result<Parsed<Vec<(u32, i64)>>, Problem> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(body) {
        let mut f = line.splitn(3, ' ');
        let uid = f.next().and_then(|s| s.parse::<u32>().ok());
        let kib = f.next().and_then(|s| s.parse::<i64>().ok());
        match (uid, kib) {
            (Some(uid), Some(kib)) if kib >= 0 => out.push((uid, kib.saturating_mul(1024))),
            _ => warnings.push(Problem::at(n, "not a `uid KiB path` line")),
        }
    }
    Ok(Parsed { value: out, warnings })
}

/// The whole output of `program::user_disk_program` → bytes per user name (an unknown uid is
/// shown as `uid N`).
pub fn user_disk_usage(stdout: &str) -> Result<BTreeMap<String, i64>, String> {
    let sections = split_sections(stdout);
    let find = |name: SectionName| sections.iter().find(|s| s.name == name.as_str());
    let usage = find(SectionName::UserDisk).ok_or("user_disk: section missing")?;
    if usage.status.is_none() {
        return Err("user_disk: output truncated".into());
    }
    let dirs = parse_user_disk(usage.body).map_err(|p| format!("user_disk: {}", p.message))?.value;
    let names: FastMap<u32, String> =
        find(SectionName::Passwd).and_then(|s| parse_passwd(s.body).ok()).map(|p| p.value).unwrap_or_default();
    let mut total = BTreeMap::new();
    for (uid, bytes) in dirs {
        let name = names.get(&uid).cloned().unwrap_or_else(|| format!("uid {uid}"));
        let sum: &mut i64 = total.entry(name).or_default();
        *sum = sum.saturating_add(bytes);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_summed_per_owner_and_bad_lines_are_skipped() {
        let out = "@@fw begin user_disk\n1000 10 /home/ann\n1000 6 /srv/ann data\n1001 x /home/bob\n0 4 /home/lost+found\n4242 1 /home/ghost\n@@fw end user_disk 0\n\
                   @@fw begin passwd\nroot:x:0:0::/root:/bin/sh\nann.b:x:1000:1000::/home/ann:/bin/sh\n@@fw end passwd 0\n";
        let u = user_disk_usage(out).unwrap_or_default();
        assert_eq!(u.get("ann.b"), Some(&(16 * 1024)));
        assert_eq!(u.get("root"), Some(&4096));
        assert_eq!(u.get("uid 4242"), Some(&1024));
        assert_eq!(u.len(), 3, "bob's line does not parse: {u:?}");
    }

    #[test]
    fn truncated_or_missing_output_is_an_error() {
        assert!(user_disk_usage("garbage").is_err());
        assert!(user_disk_usage("@@fw begin user_disk\n1000 10 /home/a\n").is_err());
    }
}
