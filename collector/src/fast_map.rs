//! The hash map of a cycle's hot paths (processes by pid, owners, open files, users): std's map
//! with foldhash instead of SipHash, seeded at random per process as std's is, so a monitored
//! host cannot choose keys that collide. SipHash was 9 % of a steady host-poll's instructions
//! (callgrind, docs/benchmarks.md).

/// `HashMap` with foldhash; build one with `FastMap::default()`.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// `HashSet` with foldhash.
pub type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
