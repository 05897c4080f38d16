use super::*;
use crate::protocol::{OPTIONAL_SECTIONS, SECTIONS};

fn plain() -> ProgramOptions {
    ProgramOptions { baseline: false, inventory: false, ..ProgramOptions::default() }
}

/// The scripts of the collection program (not the per-user disk usage one).
fn collection_scripts() -> impl Iterator<Item = Script> {
    SECTIONS.into_iter().chain(OPTIONAL_SECTIONS).filter_map(script)
}

#[test]
fn every_section_is_framed_once_in_order() {
    let p = program(&plain());
    let mut last = 0;
    for s in SECTIONS {
        let begin = format!("echo '@@fw begin {s}'\n");
        let end = format!("echo \"@@fw end {s} $?\"\n");
        assert_eq!(p.matches(&begin).count(), 1, "{s}");
        assert_eq!(p.matches(&end).count(), 1, "{s}");
        let at = p.find(&begin).unwrap_or_default();
        assert!(at > last, "{s} out of order");
        last = at;
    }
    for absent in ["files0", "sleep", "@@fw begin inventory", "@@fw begin pagesize", "@@fw begin fds"] {
        assert!(!p.contains(absent), "{absent}");
    }
    assert_eq!(p.lines().filter(|l| l.starts_with('#')).count(), 1, "comments are stripped but the heading");
}

#[test]
fn every_section_of_a_program_has_a_script() {
    for s in SectionName::ALL {
        assert_eq!(script(s).is_some(), !matches!(s, SectionName::Procs | SectionName::Procs0), "{s}");
    }
    assert_eq!(script(SectionName::Files0).map(|s| s.text), script(SectionName::Files).map(|s| s.text));
}

#[test]
fn baseline_reads_files_and_procs_before_a_sleep() {
    let p = program(&ProgramOptions { baseline: true, ..plain() });
    let files0 = p.find("@@fw begin files0").unwrap_or(usize::MAX);
    let sleep = p.find("sleep 1 </dev/null").unwrap_or(usize::MAX);
    let files = p.find("@@fw begin files'").unwrap_or(usize::MAX);
    assert!(files0 < sleep && sleep < files && files != usize::MAX);
    // Both read the processes with the files; the baseline prints them all (`prev` empty).
    let (baseline, rest) = p.split_at(sleep);
    assert!(baseline.contains("/proc/[0-9]*/stat") && rest.contains("\nfw_files_code\n"), "{p}");
    assert!(baseline.contains("fw begin files0'\n{\nprev=\n"), "{baseline}");
}

#[test]
fn the_baseline_sends_the_files_script_once_for_both_reads() {
    let first = program(&ProgramOptions { baseline: true, ..plain() });
    let steady = program(&plain());
    // The script's first line of code, as the servers get it.
    let line = code(SectionName::Files).lines().next().unwrap_or_default();
    assert!(!line.is_empty());
    assert_eq!(first.matches(line).count(), 1, "{first}");
    assert_eq!(steady.matches(line).count(), 1);
    assert!(first.contains("fw begin files0'\n{\nprev=\nfw_files_code\n}"), "{first}");
    assert!(first.contains("fw begin files'\n{\nprev=''\nfw_files_code\n}"), "{first}");
    assert!(!steady.contains("fw_files_code"), "a steady program runs the script in place");
    // The first program is no longer than the steady one by a second copy of the script.
    assert!(first.len() < steady.len() + code(SectionName::Files).len() / 2, "{} vs {}", first.len(), steady.len());
}

#[test]
fn no_section_forks_a_subshell() {
    let p = program(&ProgramOptions { baseline: true, inventory: true, fd_pids: vec![1], ..plain() });
    for line in p.lines() {
        assert!(!line.starts_with('(') && !line.starts_with(") "), "subshell: {line:?}");
    }
    assert!(p.contains("fw_mounts() {\n") && p.contains("}\nfw_mounts </dev/null\n"), "{p}");
}

#[test]
fn inventory_and_fds_when_asked() {
    let p = program(&ProgramOptions { inventory: true, fd_pids: vec![12, 345], ..plain() });
    let inventory = p.find("@@fw begin inventory").unwrap_or(usize::MAX);
    let pagesize = p.find("@@fw begin pagesize").unwrap_or(usize::MAX);
    let fds = p.find("@@fw begin fds'\nfw_fds() {\npids='12 345'\n").unwrap_or(usize::MAX);
    assert!(p.contains("@@fw begin files'\n{\n"), "plain scripts run in a brace group");
    let containers = p.find("@@fw begin containers").unwrap_or(usize::MAX);
    assert!(inventory < pagesize && pagesize < fds && fds < containers && containers != usize::MAX, "{p}");
    let many = program(&ProgramOptions { fd_pids: (0..1000).collect(), ..plain() });
    assert!(many.contains(&format!(" {}'\n", MAX_FD_PIDS - 1)) && !many.contains(&format!(" {MAX_FD_PIDS}'")));
}

#[test]
fn scripts_never_write_files_or_read_stdin() {
    for s in collection_scripts() {
        let code: Vec<&str> = s.text.lines().filter(|l| !is_comment_or_blank(l)).collect();
        for (i, line) in code.iter().enumerate() {
            // `read` reads a file given on its own line or on the `done` of its loop.
            if line.split_whitespace().any(|w| w == "read") {
                let redirected = line.contains(" <") || code[i..].iter().any(|l| l.trim_start().starts_with("done <"));
                assert!(redirected, "{}: `read` must read a file, never stdin: {line:?}", s.name);
            }
            // A quoted `head` header ("==> /proc/…") is text, not a redirection.
            let cleaned = line
                .replace("2>/dev/null", "")
                .replace(">/dev/null", "")
                .replace("2>&1", "")
                .replace(">&2", "")
                .replace("\"==> ", "\"");
            for redirect in [">/", "> /", ">>", ">\"", "> \"", ">$", "> $"] {
                assert!(!cleaned.contains(redirect), "{}: redirection in {line:?}", s.name);
            }
            for word in ["tee ", "mktemp", "touch ", "rm ", "dd ", "sed -i", "du "] {
                assert!(!cleaned.contains(word), "{}: {word} in {line:?}", s.name);
            }
        }
    }
}

#[test]
fn scripts_in_brace_groups_cannot_disturb_the_program() {
    for s in collection_scripts().filter(|s| !s.isolated) {
        for line in s.text.lines().filter(|l| !is_comment_or_blank(l)) {
            let words: Vec<&str> = line.split_whitespace().collect();
            for bad in ["exit", "return", "set", "cd", "export", "trap", "exec", "IFS", "readonly", "shift", "unset"] {
                assert!(
                    !words.iter().any(|w| *w == bad || w.starts_with(&format!("{bad}="))),
                    "{}: {bad} in {line:?}",
                    s.name
                );
            }
            assert!(!line.contains("()"), "{}: function definition in {line:?}", s.name);
        }
    }
}

#[test]
fn scripts_in_functions_return_and_never_exit() {
    let user_disk = script(SectionName::UserDisk);
    for s in collection_scripts().chain(user_disk).filter(|s| s.isolated) {
        for line in s.text.lines().filter(|l| !is_comment_or_blank(l)) {
            let words: Vec<&str> = line.split_whitespace().collect();
            for bad in ["exit", "exec", "cd", "trap"] {
                assert!(!words.contains(&bad), "{}: {bad} would end or change the whole program: {line:?}", s.name);
            }
        }
    }
}

#[test]
fn no_stats_stream_in_the_program() {
    let p = program(&ProgramOptions { baseline: true, inventory: true, fd_pids: vec![1], ..plain() });
    assert!(!p.contains("docker stats") && !p.contains("podman stats"));
    assert!(!p.contains("/proc/net/tcp ") || p.contains("command -v ss"), "tcp tables only as the fallback");
}

#[test]
fn the_user_disk_program_quotes_every_path() {
    let p = user_disk_program(&["/home".to_owned(), "/srv/it's".to_owned()]);
    assert!(p.contains("fw_user_disk() {\nset -- '/home' '/srv/it'\\''s'\n"), "{p}");
    let (disk, passwd) = (p.find("@@fw begin user_disk'"), p.find("@@fw begin passwd'"));
    assert!(disk.is_some() && disk < passwd, "{p}");
}
