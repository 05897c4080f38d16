//! What a program is asked to do, and the words earlier cycles learnt that it is told.

use super::section::{ORDER, SectionName};

/// At most this many processes get their descriptors counted.
pub const MAX_FD_PIDS: usize = 64;

/// Which `df` a server has, learnt from the first cycle of a connection (see `scripts/mounts.sh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DfFlavour {
    /// GNU `df --output=…`: blocks, inodes and type in one run.
    Gnu,
    /// POSIX `df -P -k` and `df -P -i` (busybox, old coreutils).
    Posix,
}

impl DfFlavour {
    /// The value of the `df` variable of `scripts/mounts.sh`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Gnu => "gnu",
            Self::Posix => "posix",
        }
    }
}

/// How `scripts/containers.sh` asked the daemon for its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerClient {
    /// `nc -U` on the daemon's socket (the answer follows an `@@http` line).
    Nc,
    /// `curl --unix-socket` (the body follows an `@@json` line).
    Curl,
    /// The `docker`/`podman` CLI (`docker ps -a` lines follow an `@@ps` line): the last resort,
    /// never given up.
    Cli,
}

impl ContainerClient {
    /// The word in the script's `avoid` variable.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Nc => "nc",
            Self::Curl => "curl",
            Self::Cli => "cli",
        }
    }
}

/// What the collector remembers of a server's containers between cycles, so that the daemon is
/// asked for the list only when it may have changed (see `scripts/containers.sh`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainersSeen {
    /// Ids of the running containers the last cycle found in the cgroups, in the order printed.
    pub running: Vec<String>,
    /// The server's uptime (whole seconds) when the daemon last gave the list.
    pub listed_at: u64,
    /// Whether a container of that list has a health check (its health can change at any time).
    pub health_checks: bool,
}

impl ContainersSeen {
    /// Seconds after which the list is asked for again even when no container started or
    /// stopped (see [`LIST_EVERY_WITH_HEALTH_CHECKS`] and [`LIST_EVERY`]).
    pub fn list_every(&self) -> u64 {
        if self.health_checks { LIST_EVERY_WITH_HEALTH_CHECKS } else { LIST_EVERY }
    }
}

/// Where a container has a health check, the daemon is asked for the list at least this often
/// (seconds of the server's uptime): health changes without any container starting or stopping.
/// Docker runs health checks every 30 s by default and declares a container unhealthy after
/// three failures, so a minute keeps up with it.
pub const LIST_EVERY_WITH_HEALTH_CHECKS: u64 = 60;
/// Otherwise only a container created or removed without running changes the list: asked for
/// once an hour.
pub const LIST_EVERY: u64 = 3600;
/// A server without a usable container tool is asked again after this many seconds of its
/// uptime: docker or podman installed (or the SSH user let into their group) shows within ten
/// minutes.
pub const CONTAINERS_RECHECK_SECS: f64 = 600.0;

/// What to put in a program. `ProgramOptions::next` (in `sample::next_program`, which knows
/// the state carried between cycles) builds the options of a cycle from the previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramOptions {
    /// Read `files` once as `files0`, sleep a second, then run the usual sections: CPU, disk
    /// and network rates can then be computed without a previous cycle. Used on the first
    /// cycle of a connection.
    pub baseline: bool,
    /// Read the facts that do not change while the server is up (`inventory`, `pagesize`);
    /// the collector keeps them between cycles afterwards.
    pub inventory: bool,
    /// Count the open descriptors of these processes (the previous cycle's top ones).
    pub fd_pids: Vec<u32>,
    /// The `df` that works there; `None`: try GNU, fall back to POSIX.
    pub df: Option<DfFlavour>,
    /// Run `df` under `timeout`: a mount that can hang it (network, FUSE, unknown type) is or
    /// may be there.
    pub df_guard: bool,
    /// Run `scripts/containers.sh`. Left out for a while after it found neither docker nor
    /// podman ([`CONTAINERS_RECHECK_SECS`]): its 3 KB are a third of a steady program, and the
    /// program is sent to every server every cycle.
    pub ask_containers: bool,
    /// The containers of the last cycle; `None`: ask the daemon for the list now.
    pub containers: Option<ContainersSeen>,
    /// Clients of the daemon's socket that failed before: not tried again.
    pub container_clients_failed: Vec<ContainerClient>,
    /// Ask for the owners of the processes above this pid only (the collector knows the
    /// others'); `None`: of all.
    pub owners_since: Option<u32>,
    /// The processes of the last cycle as the collector knows them: the program then prints
    /// only the processes that are new, changed or gone (`scripts/files.sh`). Empty: all.
    pub known_procs: Vec<KnownProc>,
}

/// One process of the last cycle, as the program compares it with its current reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownProc {
    pub pid: u32,
    pub starttime: u64,
    pub utime: u64,
    pub stime: u64,
    pub rss_pages: u64,
    pub threads: u64,
    pub state: char,
}

impl KnownProc {
    /// `TOKENPID`, as `scripts/files.sh` reads it: TOKEN is the 8 characters the script's awk
    /// computes from the process's current stat line ([`KnownProc::token`]), PID in decimal. A
    /// state that is not a letter never matches (the process is printed).
    pub fn write_to(&self, out: &mut String) {
        match self.token() {
            Some(token) => out.extend(token.iter().map(|&b| char::from(b))),
            None => out.push_str("!!!!!!!!"),
        }
        push_number(out, u64::from(self.pid));
    }

    /// The script's two 24-bit polynomial hashes of START UTIME STIME RSS THREADS and the
    /// state's place among the letters, 4 characters of [`TOKEN_ALPHABET`] each. The moduli are
    /// primes below 2^24 and the multipliers below them, so the awk's doubles compute exactly
    /// what these integers do. `None` for a state that is not a letter.
    pub fn token(&self) -> Option<[u8; 8]> {
        let state = STATE_LETTERS.find(self.state).filter(|_| self.state.is_ascii_alphabetic())? as u64 + 1;
        let (mut h, mut g) = (0u64, 0u64);
        for v in [self.starttime, self.utime, self.stime, self.rss_pages, self.threads, state] {
            h = (h * TOKEN_MULTIPLIERS[0] + v % TOKEN_MODULI[0]) % TOKEN_MODULI[0];
            g = (g * TOKEN_MULTIPLIERS[1] + v % TOKEN_MODULI[1]) % TOKEN_MODULI[1];
        }
        let mut token = [0u8; 8];
        for (i, hash) in [h, g].into_iter().enumerate() {
            for j in 0..4 {
                token[i * 4 + j] = TOKEN_ALPHABET[((hash >> (6 * (3 - j))) % 64) as usize];
            }
        }
        Some(token)
    }
}

/// The characters of a process token (the awk's `B`): safe in single quotes and in `awk -v`.
const TOKEN_ALPHABET: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
/// The letters a state is numbered by (the awk's `L`), from 1.
const STATE_LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const TOKEN_MODULI: [u64; 2] = [16_777_213, 16_777_199];
const TOKEN_MULTIPLIERS: [u64; 2] = [9_576_890, 5_144_123];

/// Appends `n` in decimal without allocating (a program holds hundreds of them).
fn push_number(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[start..] {
        out.push(char::from(d));
    }
}

impl Default for ProgramOptions {
    /// The program of a first reading without baseline: everything but the sleep.
    fn default() -> Self {
        Self {
            baseline: false,
            inventory: true,
            fd_pids: Vec::new(),
            df: None,
            df_guard: true,
            ask_containers: true,
            containers: None,
            container_clients_failed: Vec::new(),
            owners_since: None,
            known_procs: Vec::new(),
        }
    }
}

impl ProgramOptions {
    /// Whether the program has `section`.
    pub fn has(&self, section: SectionName) -> bool {
        match section {
            SectionName::Files0 => self.baseline,
            SectionName::Inventory | SectionName::PageSize => self.inventory,
            SectionName::Fds => !self.fd_pids.is_empty(),
            SectionName::Containers => self.ask_containers,
            SectionName::Procs | SectionName::Procs0 | SectionName::UserDisk | SectionName::Passwd => false,
            SectionName::Files
            | SectionName::Owners
            | SectionName::Users
            | SectionName::Sockets
            | SectionName::Mounts => true,
        }
    }

    /// The sections of the program, in the order they run.
    pub fn sections(&self) -> impl Iterator<Item = SectionName> + '_ {
        ORDER.into_iter().filter(|s| self.has(*s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{OPTIONAL_SECTIONS, SECTIONS};

    #[test]
    fn every_program_has_the_required_sections_and_the_options_add_the_others() {
        let plain = ProgramOptions { inventory: false, ask_containers: false, ..ProgramOptions::default() };
        assert!(plain.sections().eq(SECTIONS));
        let full =
            ProgramOptions { baseline: true, inventory: true, fd_pids: vec![1], ask_containers: true, ..plain.clone() };
        assert!(full.sections().eq(ORDER));
        let optional: Vec<SectionName> = full.sections().filter(|s| !plain.has(*s)).collect();
        assert_eq!(optional.len(), OPTIONAL_SECTIONS.len() + 1, "{optional:?}");
        assert!(!full.has(SectionName::UserDisk) && !full.has(SectionName::Procs0));
    }

    #[test]
    fn words_of_the_scripts() {
        assert_eq!([DfFlavour::Gnu.as_str(), DfFlavour::Posix.as_str()], ["gnu", "posix"]);
        let clients = [ContainerClient::Nc, ContainerClient::Curl, ContainerClient::Cli].map(ContainerClient::as_str);
        assert_eq!(clients, ["nc", "curl", "cli"]);
        let seen = ContainersSeen { health_checks: true, ..ContainersSeen::default() };
        assert_eq!((seen.list_every(), ContainersSeen::default().list_every()), (60, 3600));
    }

    fn known(starttime: u64, utime: u64, stime: u64, rss_pages: u64, threads: u64, state: char) -> KnownProc {
        KnownProc { pid: 4242, starttime, utime, stime, rss_pages, threads, state }
    }

    #[test]
    fn a_process_token_moves_with_every_figure_and_only_with_them() {
        let base = known(123_456_789, 5_000, 700, 25_000, 4, 'S');
        let token = base.token();
        assert!(token.is_some_and(|t| t.iter().all(|b| TOKEN_ALPHABET.contains(b))), "{token:?}");
        let mut text = String::new();
        base.write_to(&mut text);
        assert_eq!(Some(&text.as_bytes()[..8]), token.as_ref().map(|t| &t[..]));
        assert_eq!(&text[8..], "4242");
        assert_eq!(KnownProc { pid: 7, ..base }.token(), token, "the pid is beside the token, not in it");
        // One figure moved by any amount, or two of them together by the amounts a cycle sees.
        let mut tokens = std::collections::HashSet::new();
        tokens.insert(token);
        for d in [1, 2, 3, 63, 64, 4095, 4096, 16_777_199, 16_777_213, 1 << 30] {
            for moved in [
                known(123_456_789 + d, 5_000, 700, 25_000, 4, 'S'),
                known(123_456_789, 5_000 + d, 700, 25_000, 4, 'S'),
                known(123_456_789, 5_000, 700 + d, 25_000, 4, 'S'),
                known(123_456_789, 5_000, 700, 25_000 + d, 4, 'S'),
                known(123_456_789, 5_000, 700, 25_000u64.abs_diff(d), 4, 'S'),
                known(123_456_789, 5_000, 700, 25_000, 4 + d, 'S'),
                known(123_456_789, 5_000 + d, 700 + d, 25_000 + d, 4, 'S'),
            ] {
                assert!(tokens.insert(moved.token()), "{moved:?} gives a token already seen");
            }
        }
        for state in ['R', 'D', 'Z', 'T', 't', 'I', 'X', 'x', 'K', 'W', 'P'] {
            assert!(tokens.insert(known(123_456_789, 5_000, 700, 25_000, 4, state).token()), "{state}");
        }
        // A state that is not a letter never matches what the script computes.
        let mut odd = String::new();
        known(1, 1, 1, 1, 1, '?').write_to(&mut odd);
        assert_eq!(odd, "!!!!!!!!4242");
    }

    #[test]
    fn token_products_stay_exact_in_a_double() {
        for (m, a) in TOKEN_MODULI.iter().zip(TOKEN_MULTIPLIERS) {
            assert!(a < *m && (m - 1) * a + (m - 1) < 1 << 53, "the awk computes in doubles");
            assert!(*m < 1 << 24, "4 characters of 6 bits hold the hash");
        }
    }
}
