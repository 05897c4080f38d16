//! Network: per-interface traffic between two readings of `/proc/net/dev`, and the TCP
//! sockets per state with the listening ones.

use std::collections::BTreeMap;

use fleetwatch_common::details::{ListeningPort, NetInterface, TcpStats};

use super::{CarriedState, Timed, deltas, to_i64};
use crate::parse::{NetDev, SocketStates};

/// TCP sockets per state and the listening ports, as the details show them.
pub(super) fn tcp_stats(s: &SocketStates) -> TcpStats {
    TcpStats {
        states: s.states.iter().map(|(k, v)| (k.clone(), to_i64(*v))).collect::<BTreeMap<_, _>>(),
        listening: s
            .listening
            .iter()
            .map(|l| ListeningPort { protocol: l.protocol.to_owned(), address: l.address.clone(), port: l.port })
            .collect(),
    }
}

/// Per-interface traffic over the interval.
pub(super) fn network(
    earlier: Option<&CarriedState>,
    current: &CarriedState,
    warnings: &mut Vec<String>,
) -> Vec<NetInterface> {
    let before = earlier.and_then(|e| e.nets.as_ref());
    let Some((before, now, dt)) = Timed::interval(before, current.nets.as_ref()) else { return Vec::new() };
    let mut out: Vec<NetInterface> = Vec::new();
    for n in now.value.values() {
        let Some(b) = before.value.get(&n.name) else { continue };
        let field = |x: &NetDev| {
            [x.rx_bytes, x.tx_bytes, x.rx_packets, x.tx_packets, x.rx_errors, x.tx_errors, x.rx_drops, x.tx_drops]
        };
        let Some([rx_b, tx_b, rx_p, tx_p, rx_e, tx_e, rx_d, tx_d]) = deltas(field(b), field(n)) else {
            warnings.push(format!("netdev: counters of {} went backwards; no rate this cycle", n.name));
            continue;
        };
        out.push(NetInterface {
            name: n.name.clone(),
            rx_bytes_per_sec: rx_b as f64 / dt,
            tx_bytes_per_sec: tx_b as f64 / dt,
            rx_packets_per_sec: rx_p as f64 / dt,
            tx_packets_per_sec: tx_p as f64 / dt,
            rx_errors: to_i64(rx_e),
            tx_errors: to_i64(tx_e),
            rx_drops: to_i64(rx_d),
            tx_drops: to_i64(tx_d),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Listener, SocketSource};

    fn reading(uptime: f64, nets: &[NetDev]) -> CarriedState {
        let value = nets.iter().map(|n| (n.name.clone(), n.clone())).collect();
        CarriedState { nets: Some(Timed { uptime, value }), ..CarriedState::default() }
    }

    fn dev(name: &str, bytes: u64) -> NetDev {
        NetDev { name: name.into(), rx_bytes: bytes, tx_bytes: bytes / 2, rx_drops: bytes / 1000, ..NetDev::default() }
    }

    #[test]
    fn interfaces_get_rates_and_one_whose_counters_went_back_gets_none() {
        let before = reading(50.0, &[dev("eth0", 10_000), dev("eth1", 10_000)]);
        let now = reading(54.0, &[dev("eth1", 50_000), dev("eth0", 5_000), dev("new0", 1)]);
        let mut warnings = Vec::new();
        let got = network(Some(&before), &now, &mut warnings);
        assert_eq!(got.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["eth1"], "sorted, known ones only");
        assert_eq!((got[0].rx_bytes_per_sec, got[0].tx_bytes_per_sec, got[0].rx_drops), (10_000.0, 5_000.0, 40));
        assert_eq!(warnings, ["netdev: counters of eth0 went backwards; no rate this cycle"]);
        assert!(network(None, &now, &mut warnings).is_empty());
    }

    #[test]
    fn sockets_keep_their_states_and_listeners() {
        let s = SocketStates {
            source: SocketSource::Ss,
            states: [("ESTAB".to_owned(), 7u64), ("TIME-WAIT".to_owned(), u64::MAX)].into(),
            listening: vec![Listener { protocol: "tcp6", address: "::".into(), port: 22 }],
        };
        let t = tcp_stats(&s);
        assert_eq!(t.states.get("ESTAB"), Some(&7));
        assert_eq!(t.states.get("TIME-WAIT"), Some(&i64::MAX), "saturates");
        assert_eq!(t.listening, [ListeningPort { protocol: "tcp6".into(), address: "::".into(), port: 22 }]);
    }
}
