//! Addresses and ports for test servers: any `127.x.y.z` works on Linux without setup, so each
//! test host gets a loopback address of its own and tests never fight over a port.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(1);

/// A loopback address no other test of this run uses: `127.<pid-derived>.<counter>.<2..>`.
pub fn unique_loopback() -> Ipv4Addr {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id();
    Ipv4Addr::new(127, 10 + (pid % 200) as u8, (n / 250) as u8 + 1, (n % 250) as u8 + 2)
}

/// A loopback address and port where nothing listens (connection refused).
pub fn closed_port() -> SocketAddr {
    SocketAddr::new(unique_loopback().into(), 2222)
}

/// A port of 127.0.0.1 nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
