//! Addresses and ports for test servers: any `127.x.y.z` works on Linux without setup, so each
//! test host gets a loopback address of its own and tests never fight over a port.

use std::fs::{File, OpenOptions};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(1);

/// The lock files of the addresses this process took, held until it exits.
static HELD: Mutex<Vec<File>> = Mutex::new(Vec::new());

/// A loopback address no other test uses while this process runs: `127.<pid-derived>.<counter>.<2..>`,
/// claimed with a lock on a file named after it (in the temporary directory), because two test
/// processes whose ids differ by a multiple of 200 start from the same addresses (each test runs
/// in a process of its own under nextest). A lock dies with its process: nothing to clean up.
pub fn unique_loopback() -> Ipv4Addr {
    let dir = std::env::temp_dir().join("fleetwatch-test-loopback");
    let _ = std::fs::create_dir_all(&dir);
    let pid = std::process::id();
    loop {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let addr = Ipv4Addr::new(127, 10 + (pid % 200) as u8, (n / 250 % 250) as u8 + 1, (n % 250) as u8 + 2);
        let Ok(file) = OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(addr.to_string()))
        else {
            return addr; // no lock to be had here: as before, unique within the process
        };
        if file.try_lock().is_ok() {
            HELD.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(file);
            return addr;
        }
    }
}

/// A loopback address and port where nothing listens (connection refused).
pub fn closed_port() -> SocketAddr {
    SocketAddr::new(unique_loopback().into(), 2222)
}

/// A port of 127.0.0.1 nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
