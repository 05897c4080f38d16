//! `/proc/net/dev`: counters per network interface, see
//! [proc_net(5)](https://man7.org/linux/man-pages/man5/proc_net.5.html).
//!
//! ```text
//! Inter-|   Receive                                                |  Transmit
//!  face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
//!     lo:  123456     789    0    0    0     0          0         0   123456     789    0    0    0     0       0          0
//! ```
//!
//! The name is cut at the first `:`, since old kernels glued large numbers to it
//! (`eth0:123456789`). Counters are `unsigned long` (32 bits on 32-bit kernels, so they wrap).

use super::{Parsed, Problem, numbered_lines};

/// One interface's counters since it appeared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetDev {
    pub name: String,
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_drops: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_drops: u64,
}

/// Parses the interface lines; the two header lines are skipped.
pub fn parse_netdev(body: &str) -> Result<Parsed<Vec<NetDev>>, Problem> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(body) {
        if line.contains('|') {
            continue;
        }
        let Some((name, rest)) = line.split_once(':') else {
            warnings.push(Problem::at(n, "no colon after the interface name"));
            continue;
        };
        let v: Vec<u64> = rest.split_whitespace().map_while(|s| s.parse().ok()).collect();
        if v.len() < 16 || name.trim().is_empty() {
            warnings.push(Problem::at(n, "not an interface line of 16 numbers"));
            continue;
        }
        out.push(NetDev {
            name: name.trim().to_owned(),
            rx_bytes: v[0],
            rx_packets: v[1],
            rx_errors: v[2],
            rx_drops: v[3],
            tx_bytes: v[8],
            tx_packets: v[9],
            tx_errors: v[10],
            tx_drops: v[11],
        });
    }
    if out.is_empty() {
        return Err(Problem::whole("no interface"));
    }
    Ok(Parsed { value: out, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_interfaces() {
        let body = "Inter-|   Receive                                                |  Transmit\n \
                    face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
                    lo: 100 2 0 0 0 0 0 0 100 2 0 0 0 0 0 0\n\
                    enp0s31f6:9999999999 7 1 2 0 0 0 0 5 6 3 4 0 0 0 0\n\
                    bad: 1 2 3\n";
        let p = parse_netdev(body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.warnings.len(), 1);
        let e = &p.value[1];
        assert_eq!(e.name, "enp0s31f6");
        assert_eq!((e.rx_bytes, e.rx_packets, e.rx_errors, e.rx_drops), (9_999_999_999, 7, 1, 2));
        assert_eq!((e.tx_bytes, e.tx_packets, e.tx_errors, e.tx_drops), (5, 6, 3, 4));
        assert!(parse_netdev("Inter-|\n face |\n").is_err());
    }
}
