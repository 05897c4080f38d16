//! TCP sockets per state and the listening ones, as `sockets.sh` sums them on the server from
//! `ss -tan` or, where `ss` is missing, from `/proc/net/tcp` and `/proc/net/tcp6` (see
//! [proc_net(5)](https://man7.org/linux/man-pages/man5/proc_net.5.html)):
//!
//! ```text
//! listen 0.0.0.0:22                      listen tcp 00000000:0016
//! listen [::]:22                         listen tcp6 00000000000000000000000000000000:0016
//! source ss                              source proc
//! state ESTAB 12                         state 01 12
//! state TIME-WAIT 3                      state 06 3
//! ```
//!
//! On hosts with few sockets the program sends `ss -tan` itself after a line `@@raw`, and the
//! sums are made here.
//!
//! States get the kernel's names (`include/net/tcp_states.h`) either way.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Parsed, Problem, numbered_lines};

/// Where the figures came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketSource {
    Ss,
    ProcNetTcp,
}

/// A listening socket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listener {
    /// `tcp` or `tcp6`.
    pub protocol: &'static str,
    pub address: String,
    pub port: u16,
}

/// TCP sockets of IPv4 and IPv6 together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketStates {
    pub source: SocketSource,
    /// Sockets per state name (`ESTABLISHED`, `TIME_WAIT`, `LISTEN`, …).
    pub states: BTreeMap<String, u64>,
    /// Sorted, without duplicates (several `SO_REUSEPORT` sockets on one port are one entry).
    pub listening: Vec<Listener>,
}

/// The kernel's names for the hex states of `/proc/net/tcp`.
const PROC_STATES: [(&str, &str); 12] = [
    ("01", "ESTABLISHED"),
    ("02", "SYN_SENT"),
    ("03", "SYN_RECV"),
    ("04", "FIN_WAIT1"),
    ("05", "FIN_WAIT2"),
    ("06", "TIME_WAIT"),
    ("07", "CLOSE"),
    ("08", "CLOSE_WAIT"),
    ("09", "LAST_ACK"),
    ("0A", "LISTEN"),
    ("0B", "CLOSING"),
    ("0C", "NEW_SYN_RECV"),
];

/// The kernel's names for the states `ss` prints.
const SS_STATES: [(&str, &str); 11] = [
    ("ESTAB", "ESTABLISHED"),
    ("SYN-SENT", "SYN_SENT"),
    ("SYN-RECV", "SYN_RECV"),
    ("FIN-WAIT-1", "FIN_WAIT1"),
    ("FIN-WAIT-2", "FIN_WAIT2"),
    ("TIME-WAIT", "TIME_WAIT"),
    ("UNCONN", "CLOSE"),
    ("CLOSE-WAIT", "CLOSE_WAIT"),
    ("LAST-ACK", "LAST_ACK"),
    ("LISTEN", "LISTEN"),
    ("CLOSING", "CLOSING"),
];

/// Parses the section. The `source` line (printed by awk only when it read a header) is
/// required: without it nothing was read, and zero sockets would be a lie.
pub fn parse_sockets(body: &str) -> Result<Parsed<SocketStates>, Problem> {
    let mut source = None;
    let mut states = BTreeMap::new();
    let mut raw_listen: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut warnings = Vec::new();
    let mut raw = false;
    for (n, line) in numbered_lines(body) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if raw {
            // `ss -tan`: a header, then `STATE RECV-Q SEND-Q LOCAL PEER` per socket.
            match f.as_slice() {
                ["State", ..] => source = Some(SocketSource::Ss),
                [state, _, _, local, _, ..] => {
                    let slot = states.entry(state_name(state)).or_insert(0u64);
                    *slot = slot.saturating_add(1);
                    if *state == "LISTEN" {
                        raw_listen.push((n, vec![*local]));
                    }
                }
                _ => warnings.push(Problem::at(n, format!("unknown line {line:?}"))),
            }
            continue;
        }
        match f.as_slice() {
            ["@@raw"] => raw = true,
            ["source", "ss"] => source = Some(SocketSource::Ss),
            ["source", "proc"] => source = Some(SocketSource::ProcNetTcp),
            ["state", name, count] => match count.parse::<u64>() {
                Ok(c) => {
                    let name = state_name(name);
                    let slot = states.entry(name).or_insert(0u64);
                    *slot = slot.saturating_add(c);
                }
                Err(_) => warnings.push(Problem::at(n, format!("count {count:?} is not a number"))),
            },
            ["listen", rest @ ..] => raw_listen.push((n, rest.to_vec())),
            _ => warnings.push(Problem::at(n, format!("unknown line {line:?}"))),
        }
    }
    let source = source.ok_or_else(|| Problem::whole("no source line: neither ss nor /proc/net/tcp was read"))?;
    // ss before iproute2 4.13 printed IPv6 without brackets (`:::22`) and `*` for the IPv4
    // any-address; later versions print `0.0.0.0`, `[::]`, and `*` for a dual-stack socket.
    let old_ss = raw_listen.iter().any(|(_, w)| {
        w.first().and_then(|a| a.rsplit_once(':')).is_some_and(|(h, _)| !h.starts_with('[') && h.contains(':'))
    });
    let mut listening = Vec::new();
    for (n, words) in raw_listen {
        let parsed = match (source, words.as_slice()) {
            (SocketSource::Ss, [addr]) => ss_listener(addr, old_ss),
            (SocketSource::ProcNetTcp, [proto, addr]) => proc_listener(proto, addr),
            _ => None,
        };
        match parsed {
            Some(l) => listening.push(l),
            None => warnings.push(Problem::at(n, format!("unreadable listening address {:?}", words.join(" ")))),
        }
    }
    listening.sort();
    listening.dedup();
    Ok(Parsed { value: SocketStates { source, states, listening }, warnings })
}

fn state_name(raw: &str) -> String {
    PROC_STATES
        .iter()
        .chain(SS_STATES.iter())
        .find(|(k, _)| k.eq_ignore_ascii_case(raw))
        .map_or_else(|| raw.to_ascii_uppercase().replace('-', "_"), |(_, v)| (*v).to_owned())
}

/// `0.0.0.0:22`, `127.0.0.53%lo:53`, `[::]:22`, `[fe80::1]%eth0:80`, `*:80` (IPv6 socket on
/// any address, IPv4 too unless v6only; IPv4 any-address for an old `ss`), `:::22` (old `ss`).
fn ss_listener(addr: &str, old_ss: bool) -> Option<Listener> {
    let (host, port) = addr.rsplit_once(':')?;
    let port = port.parse().ok()?;
    let (protocol, address) = if host == "*" && old_ss {
        ("tcp", "0.0.0.0".to_owned())
    } else if host == "*" {
        ("tcp6", "::".to_owned())
    } else if host.contains(':') && !host.starts_with('[') {
        host.split('%').next()?.parse::<Ipv6Addr>().ok()?;
        ("tcp6", host.to_owned())
    } else if let Some(inner) = host.strip_prefix('[') {
        let (ip, scope) = inner.split_once(']')?;
        ip.parse::<Ipv6Addr>().ok()?;
        ("tcp6", format!("{ip}{scope}"))
    } else {
        let ip = host.split('%').next()?;
        ip.parse::<Ipv4Addr>().ok()?;
        ("tcp", host.to_owned())
    };
    Some(Listener { protocol, address, port })
}

/// `0100007F:0CEA` (IPv4, the 32-bit word in host byte order: little endian on the systems
/// Fleetwatch meets) or 32 hex digits for IPv6 (four such words); the port is big-endian hex.
fn proc_listener(proto: &str, addr: &str) -> Option<Listener> {
    let (ip, port) = addr.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |s: &str| u32::from_str_radix(s, 16).ok().map(u32::swap_bytes);
    let (protocol, address) = match (proto, ip.len()) {
        ("tcp", 8) => ("tcp", Ipv4Addr::from(word(ip)?).to_string()),
        ("tcp6", 32) => {
            let mut words = [0u32; 4];
            for (i, w) in words.iter_mut().enumerate() {
                *w = word(ip.get(i * 8..i * 8 + 8)?)?;
            }
            let bits = words.iter().fold(0u128, |acc, w| (acc << 32) | u128::from(*w));
            ("tcp6", Ipv6Addr::from(bits).to_string())
        }
        _ => return None,
    };
    Some(Listener { protocol, address, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener(protocol: &'static str, address: &str, port: u16) -> Listener {
        Listener { protocol, address: address.into(), port }
    }

    #[test]
    fn raw_ss_is_summed_like_the_awk_summary() {
        let raw = "@@raw\nState  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n\
                   LISTEN 0      128          0.0.0.0:22         0.0.0.0:*\n\
                   LISTEN 0      128             [::]:22            [::]:*\n\
                   ESTAB  0      0          10.0.0.5:22      10.0.0.9:51234\n\
                   ESTAB  0      36         10.0.0.5:22      10.0.0.9:51240\n\
                   TIME-WAIT 0   0          10.0.0.5:80      10.0.0.7:40000\n";
        let summary =
            "listen 0.0.0.0:22\nlisten [::]:22\nsource ss\nstate LISTEN 2\nstate ESTAB 2\nstate TIME-WAIT 1\n";
        let a = parse_sockets(raw).unwrap_or_else(|e| panic!("{e}"));
        let b = parse_sockets(summary).unwrap_or_else(|e| panic!("{e}"));
        assert!(a.warnings.is_empty(), "{:?}", a.warnings);
        assert_eq!(a.value, b.value);
        assert!(parse_sockets("@@raw\n").is_err(), "no header: ss did not run");
    }

    #[test]
    fn ss_output() {
        let body = "listen 127.0.0.1:5432\nlisten [::]:22\nlisten 0.0.0.0:22\nlisten *:80\nlisten 0.0.0.0:22\n\
                    listen 127.0.0.53%lo:53\nsource ss\nstate LISTEN 6\nstate ESTAB 2\nstate TIME-WAIT 100\n\
                    state SYN-RECV 1\nstate UNCONN 1\n";
        let p = parse_sockets(body).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let s = p.value;
        assert_eq!(s.source, SocketSource::Ss);
        let states: Vec<(&str, u64)> = s.states.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(states, [("CLOSE", 1), ("ESTABLISHED", 2), ("LISTEN", 6), ("SYN_RECV", 1), ("TIME_WAIT", 100)]);
        assert_eq!(
            s.listening,
            [
                listener("tcp", "0.0.0.0", 22),
                listener("tcp", "127.0.0.1", 5432),
                listener("tcp", "127.0.0.53%lo", 53),
                listener("tcp6", "::", 22),
                listener("tcp6", "::", 80),
            ]
        );
    }

    #[test]
    fn old_ss_prints_ipv6_without_brackets_and_star_for_ipv4() {
        let s = parse_sockets("listen *:22\nlisten :::22\nlisten ::ffff:127.0.0.1:8080\nsource ss\n")
            .unwrap_or_else(|e| panic!("{e}"))
            .value;
        assert_eq!(
            s.listening,
            [listener("tcp", "0.0.0.0", 22), listener("tcp6", "::", 22), listener("tcp6", "::ffff:127.0.0.1", 8080)]
        );
    }

    #[test]
    fn proc_output() {
        let body = "listen tcp 0100007F:0CEA\nlisten tcp6 00000000000000000000000001000000:1F90\n\
                    listen tcp6 0000000000000000FFFF00000100007F:0016\nsource proc\nstate 0A 3\nstate 01 4\nstate 06 2\n";
        let s = parse_sockets(body).unwrap_or_else(|e| panic!("{e}")).value;
        assert_eq!(s.source, SocketSource::ProcNetTcp);
        assert_eq!(s.states.get("ESTABLISHED"), Some(&4));
        assert_eq!(s.states.get("TIME_WAIT"), Some(&2));
        assert_eq!(s.states.get("LISTEN"), Some(&3));
        assert_eq!(
            s.listening,
            [
                listener("tcp", "127.0.0.1", 3306),
                listener("tcp6", "::1", 8080),
                listener("tcp6", "::ffff:127.0.0.1", 22)
            ]
        );
    }

    #[test]
    fn nothing_read_is_an_error_and_junk_is_a_warning() {
        assert!(parse_sockets("").is_err());
        assert!(parse_sockets("state ESTAB 2\n").is_err());
        let p = parse_sockets("source ss\nlisten nonsense\nstate ESTAB x\nwhat\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.warnings.len(), 3);
        assert!(p.value.states.is_empty(), "nothing counted, honestly");
    }
}
