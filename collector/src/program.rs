//! The shell program the collector runs on a server, in one `sh -s` exec.
//!
//! It is assembled from the POSIX sh scripts in `scripts/` (see `scripts/README.md`). Each script
//! is one *section*, framed by the marker lines of [`crate::protocol`], which
//! [`crate::parse::split_sections`] reads back. Which sections a program has, and in which
//! order, is the protocol's to say ([`ProgramOptions::sections`]); this module only writes them.
//!
//! Every section runs with stdin from `/dev/null`: the program itself arrives on the shell's
//! stdin, and a command reading stdin would swallow the rest of it. No section runs in a
//! subshell: a fork costs 0.15 ms under dash and 0.3–0.65 ms under bash, and a cycle has a
//! budget of 20 ms of the server's CPU.

use std::sync::OnceLock;

use crate::protocol::{
    BASELINE_SLEEP_SECONDS, BEGIN_MARKER, DfFlavour, END_MARKER, LIST_EVERY_WITH_HEALTH_CHECKS, MAX_FD_PIDS,
    SectionName,
};

/// What to put in a program: the input of [`program`].
pub use crate::protocol::ProgramOptions;

/// One script of `scripts/`: the section it prints and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Script {
    pub name: SectionName,
    pub text: &'static str,
    /// Runs as a shell function `fw_NAME() { … }` called once: needed by scripts that `return`
    /// early, `set --` (a function has its own positional parameters) or keep variables of
    /// their own. The others run in a brace group `{ … }`. Neither forks, unlike a subshell
    /// `( … )` (0.15 ms with dash, 0.3–0.65 ms with bash, measured).
    pub isolated: bool,
}

/// The script that prints `section`; `None` for the sections only older programs printed
/// (`procs`, `procs0`). The baseline `files0` is the `files` script under another name.
pub fn script(section: SectionName) -> Option<Script> {
    let (text, isolated) = match section {
        SectionName::Files | SectionName::Files0 => (include_str!("../../scripts/files.sh"), false),
        SectionName::Owners => (include_str!("../../scripts/owners.sh"), true),
        SectionName::Users => (include_str!("../../scripts/users.sh"), false),
        SectionName::Sockets => (include_str!("../../scripts/sockets.sh"), false),
        SectionName::Fds => (include_str!("../../scripts/fds.sh"), true),
        SectionName::Containers => (include_str!("../../scripts/containers.sh"), true),
        SectionName::Mounts => (include_str!("../../scripts/mounts.sh"), true),
        SectionName::Inventory => (include_str!("../../scripts/inventory.sh"), false),
        SectionName::PageSize => (include_str!("../../scripts/pagesize.sh"), true),
        // Per-user disk usage and the account names for it: the slow, separately scheduled program.
        SectionName::UserDisk => (include_str!("../../scripts/user_disk.sh"), true),
        SectionName::Passwd => (include_str!("../../scripts/passwd.sh"), false),
        SectionName::Procs | SectionName::Procs0 => return None,
    };
    Some(Script { name: section, text, isolated })
}

/// The first line of every program. bash reads a script from a pipe one byte at a time (one
/// `read` system call per byte, so that a command reading stdin gets the rest): 6 KB of program
/// cost it 1.6 ms of CPU, measured. This line has bash (4.0 and later; `sh` on RHEL-likes)
/// read the rest in bulk with `read -N` and run it with `eval`; other shells skip it (dash and
/// busybox sh read their input in blocks).
const BASH_BULK_READ: &str = "if [ \"${BASH_VERSINFO:-0}\" -ge 4 ] 2>/dev/null; then IFS= read -r -d '' -N 1048576 fw_program; eval \"$fw_program\"; exit; fi\n";

/// A fixed locale so no tool translates or reformats its output, and the standard directories
/// first in `PATH`: a non-interactive SSH session often lacks the sbin directories (`ss` lives
/// in /usr/sbin on RHEL), and a user's own `~/bin/head` must not run in place of the real one.
/// The user's `PATH` stays after them for systems that keep their tools elsewhere (NixOS).
const PROLOGUE: &str = "\
# Fleetwatch collection program: read-only, POSIX sh. See scripts/README.md.
LC_ALL=C; export LC_ALL; LANG=C; export LANG
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export PATH
";

/// The function holding `files.sh` in a program that runs it twice, and the call that runs it.
const FILES_FUNCTION: &str = "fw_files_code";
const FILES_CALL: &str = "fw_files_code\n";

/// The whole program text, to be written to the stdin of `sh -s`: the sections of
/// [`ProgramOptions::sections`] in their order, each told what earlier cycles learnt.
pub fn program(opts: &ProgramOptions) -> String {
    let mut out = String::with_capacity(8192);
    out.push_str(BASH_BULK_READ);
    out.push_str(PROLOGUE);
    let sections: Vec<SectionName> = opts.sections().collect();
    // The baseline reads the processes with the same script as the delta after it: sent once,
    // as a function both call (a program sent first keeps its size in russh's buffers for the
    // connection's life: docs/benchmarks.md, issue #13).
    let shared = [SectionName::Files0, SectionName::Files].iter().all(|s| sections.contains(s));
    if shared {
        out.push_str(FILES_FUNCTION);
        out.push_str("() {\n");
        out.push_str(code(SectionName::Files));
        out.push_str("}\n");
    }
    for section in sections {
        let Some(s) = script(section) else { continue };
        let shared_files = shared && matches!(section, SectionName::Files | SectionName::Files0);
        push_section(&mut out, &s, &prelude(section, opts), if shared_files { FILES_CALL } else { code(section) });
        if section == SectionName::Files0 {
            out.push_str(&format!("sleep {BASELINE_SLEEP_SECONDS} </dev/null\n"));
        }
    }
    out
}

/// The shell variables a section's script reads (see each script's header).
fn prelude(section: SectionName, opts: &ProgramOptions) -> String {
    match section {
        SectionName::Fds => {
            let pids: Vec<String> = opts.fd_pids.iter().take(MAX_FD_PIDS).map(u32::to_string).collect();
            format!("pids='{}'\n", pids.join(" "))
        }
        SectionName::Owners => {
            format!("since={}\n", opts.owners_since.map(|p| p.to_string()).unwrap_or_default())
        }
        SectionName::Mounts => {
            format!("df={}\nguard={}\n", opts.df.map_or("", DfFlavour::as_str), if opts.df_guard { "1" } else { "" })
        }
        SectionName::Containers => {
            // Ids are hexadecimal and client names are the script's own words (the parser keeps
            // no other), so both are safe in single quotes.
            let avoid: Vec<&str> = opts.container_clients_failed.iter().map(|c| c.as_str()).collect();
            let avoid = avoid.join(" ");
            match &opts.containers {
                Some(c) => format!(
                    "seen='{}'\nlisted={}\nevery={}\navoid='{avoid}'\n",
                    c.running.iter().map(|id| format!(" {id}")).collect::<String>(),
                    c.listed_at,
                    c.list_every(),
                ),
                None => format!("seen=\nlisted=\nevery={LIST_EVERY_WITH_HEALTH_CHECKS}\navoid='{avoid}'\n"),
            }
        }
        SectionName::Files => {
            // Digits, ':' and a letter only: safe in single quotes.
            let mut known = String::with_capacity(opts.known_procs.len() * 16 + 8);
            known.push_str("prev='");
            for (i, k) in opts.known_procs.iter().enumerate() {
                if i > 0 {
                    known.push(' ');
                }
                k.write_to(&mut known);
            }
            known.push_str("'\n");
            known
        }
        // The baseline prints every process: it is what the first rates are computed against.
        SectionName::Files0 => "prev=\n".to_owned(),
        _ => String::new(),
    }
}

/// The per-user disk usage program over `paths` (absolute directories; each passed as one
/// single-quoted argument, so no character in a path is interpreted by the shell).
pub fn user_disk_program(paths: &[String]) -> String {
    let args: Vec<String> = paths.iter().map(|p| format!("'{}'", p.replace('\'', "'\\''"))).collect();
    let mut out = format!("{BASH_BULK_READ}{PROLOGUE}");
    for (section, prelude) in
        [(SectionName::UserDisk, format!("set -- {}\n", args.join(" "))), (SectionName::Passwd, String::new())]
    {
        if let Some(s) = script(section) {
            push_section(&mut out, &s, &prelude, code(section));
        }
    }
    out
}

/// Frames one section running `body` (its script's code, or a call of it); `prelude` (variable
/// settings) goes first inside the group.
fn push_section(out: &mut String, s: &Script, prelude: &str, body: &str) {
    let name = s.name.as_str();
    let function = format!("fw_{name}");
    let (open, close) = if s.isolated {
        (format!("{function}() {{"), format!("}}\n{function}"))
    } else {
        ("{".to_owned(), "}".to_owned())
    };
    out.push_str("echo '");
    out.push_str(BEGIN_MARKER);
    out.push_str(name);
    out.push_str("'\n");
    out.push_str(&open);
    out.push('\n');
    out.push_str(prelude);
    out.push_str(body);
    out.push_str(&close);
    out.push_str(" </dev/null\necho \"");
    out.push_str(END_MARKER);
    out.push_str(name);
    out.push_str(" $?\"\n");
}

/// A section's script as the servers get it: code only (comment lines stay in scripts/), each
/// line ending in a newline. Made once per process: filtering the lines cost each host-poll
/// about 15 µs, most of writing its program (docs/benchmarks.md, issue #13).
fn code(section: SectionName) -> &'static str {
    static CODE: OnceLock<Vec<String>> = OnceLock::new();
    let all = CODE.get_or_init(|| {
        SectionName::ALL
            .iter()
            .map(|&s| {
                let mut code = String::new();
                for line in script(s).map_or("", |s| s.text).lines().filter(|l| !is_comment_or_blank(l)) {
                    code.push_str(line);
                    code.push('\n');
                }
                code
            })
            .collect()
    });
    SectionName::ALL.iter().position(|&s| s == section).and_then(|i| all.get(i)).map_or("", String::as_str)
}

fn is_comment_or_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

#[cfg(test)]
mod tests;
