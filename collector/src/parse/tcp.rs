//! TCP counters kept by the kernel: `/proc/net/snmp` then `/proc/net/sockstat` and
//! `/proc/net/sockstat6` (see [proc_net(5)](https://man7.org/linux/man-pages/man5/proc_net.5.html)).
//!
//! ```text
//! Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens ... CurrEstab InSegs ...
//! Tcp: 1 200 120000 -1 334 200 ... 4 26692 ...
//! TCP: inuse 14 orphan 0 tw 130 alloc 17 mem 0
//! TCP6: inuse 2
//! ```
//!
//! These counters cost nothing to read, unlike `/proc/net/tcp`, whose read walks the whole
//! connection hash table. `CurrEstab` is RFC 1213's tcpCurrEstab: the sockets in ESTABLISHED *or
//! CLOSE_WAIT*, IPv4 and IPv6 together (the kernel counts it in `tcp_set_state` for both
//! families); `tw` counts TIME_WAIT sockets of both families. Counts per state, LISTEN included,
//! come from the `sockets` section (see [`super::parse_sockets`]).

use std::collections::BTreeMap;

use super::{Parsed, Problem, numbered_lines};

/// TCP socket counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpCounts {
    /// Sockets in ESTABLISHED or CLOSE_WAIT (`CurrEstab`), IPv4 and IPv6.
    pub established: u64,
    /// Sockets in TIME_WAIT (`tw` of sockstat), IPv4 and IPv6.
    pub time_wait: Option<u64>,
    /// Sockets in any other state, LISTEN included (`inuse` of `TCP:` plus `TCP6:`).
    pub in_use: Option<u64>,
    /// Sockets no longer attached to a process, still closing (`orphan`).
    pub orphaned: Option<u64>,
    /// Connections opened since boot, by this host (`ActiveOpens`) and to it (`PassiveOpens`).
    pub active_opens: Option<u64>,
    pub passive_opens: Option<u64>,
}

impl TcpCounts {
    /// Sockets in ESTABLISHED or CLOSE_WAIT (`CurrEstab`): the headline `tcp_connections`.
    pub fn established(&self) -> u64 {
        self.established
    }
}

/// Parses the three files; the `Tcp:` header and value lines with `CurrEstab` are required.
pub fn parse_tcp(body: &str) -> Result<Parsed<TcpCounts>, Problem> {
    let mut counts = TcpCounts::default();
    let mut warnings = Vec::new();
    let mut header: Option<Vec<&str>> = None;
    let mut established = None;
    for (n, line) in numbered_lines(body) {
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("Tcp:") => match header.take() {
                None => header = Some(fields.collect()),
                Some(names) => {
                    let values: BTreeMap<&str, &str> = names.iter().copied().zip(fields).collect();
                    let get = |k: &str| values.get(k).and_then(|v| v.parse::<u64>().ok());
                    established = get("CurrEstab");
                    if established.is_none() {
                        return Err(Problem::at(n, "CurrEstab is missing or not a number"));
                    }
                    counts.active_opens = get("ActiveOpens");
                    counts.passive_opens = get("PassiveOpens");
                }
            },
            Some("TCP:") => {
                let pairs = pairs(fields);
                counts.in_use = add(counts.in_use, pairs.get("inuse"));
                counts.orphaned = pairs.get("orphan");
                counts.time_wait = pairs.get("tw");
                if pairs.get("inuse").is_none() {
                    warnings.push(Problem::at(n, "no inuse count"));
                }
            }
            Some("TCP6:") => counts.in_use = add(counts.in_use, pairs(fields).get("inuse")),
            _ => {}
        }
    }
    counts.established = established.ok_or_else(|| Problem::whole("no Tcp: value line"))?;
    Ok(Parsed { value: counts, warnings })
}

/// `inuse 14 orphan 0 tw 130` → name → number.
struct Pairs<'a>(Vec<(&'a str, u64)>);

impl Pairs<'_> {
    fn get(&self, key: &str) -> Option<u64> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

fn pairs<'a>(mut fields: impl Iterator<Item = &'a str>) -> Pairs<'a> {
    let mut out = Vec::new();
    while let (Some(k), Some(v)) = (fields.next(), fields.next()) {
        if let Ok(v) = v.parse() {
            out.push((k, v));
        }
    }
    Pairs(out)
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.saturating_add(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "\
Ip: Forwarding DefaultTTL
Ip: 1 64
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 334 200 90 41 4 26692 18983 1 0 131 0
Udp: InDatagrams NoPorts
Udp: 0 0
sockets: used 108
TCP: inuse 14 orphan 1 tw 130 alloc 17 mem 0
UDP: inuse 0 mem 0
TCP6: inuse 2
UDP6: inuse 0
";

    #[test]
    fn reads_the_counters() {
        let c = parse_tcp(BODY).map(|p| p.value);
        assert_eq!(
            c,
            Ok(TcpCounts {
                established: 4,
                time_wait: Some(130),
                in_use: Some(16),
                orphaned: Some(1),
                active_opens: Some(334),
                passive_opens: Some(200),
            })
        );
    }

    #[test]
    fn sockstat_is_optional() {
        let body: String = BODY.lines().take(4).map(|l| format!("{l}\n")).collect();
        let c = parse_tcp(&body).map(|p| (p.value.established, p.value.time_wait));
        assert_eq!(c, Ok((4, None)));
    }

    #[test]
    fn curr_estab_is_required() {
        assert!(parse_tcp("").is_err());
        assert!(parse_tcp("TCP: inuse 1 orphan 0 tw 0\n").is_err());
        assert!(parse_tcp("Tcp: A CurrEstab\nTcp: 1 x\n").is_err());
        assert!(parse_tcp("Tcp: A CurrEstab\n").is_err());
    }
}
