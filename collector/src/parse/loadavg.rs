//! `/proc/loadavg`: see [proc_loadavg(5)](https://man7.org/linux/man-pages/man5/proc_loadavg.5.html).

use super::{Parsed, Problem, non_negative_f64, numbered_lines};

/// Load averages (runnable plus uninterruptible tasks) and thread counts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LoadAvg {
    pub one: f64,
    pub five: f64,
    pub fifteen: f64,
    /// Currently runnable scheduling entities (the `3` of `3/160`).
    pub runnable: Option<u32>,
    /// Scheduling entities (threads) that exist (the `160` of `3/160`).
    pub threads: Option<u32>,
    /// The pid the kernel gave out last (the `11206`), in this pid namespace.
    pub last_pid: Option<u32>,
}

/// Parses `0.20 0.18 0.12 1/80 11206`.
pub fn parse_loadavg(body: &str) -> Result<Parsed<LoadAvg>, Problem> {
    let (n, line) = numbered_lines(body).next().ok_or_else(|| Problem::whole("empty"))?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    let load = |i: usize, what: &str| {
        let s = fields.get(i).copied().unwrap_or("");
        non_negative_f64(s).ok_or_else(|| Problem::at(n, format!("{what} load {s:?} is not a number")))
    };
    let (one, five, fifteen) = (load(0, "1 minute")?, load(1, "5 minute")?, load(2, "15 minute")?);
    let (runnable, threads) = match fields.get(3).and_then(|s| s.split_once('/')) {
        Some((r, t)) => (r.parse().ok(), t.parse().ok()),
        None => (None, None),
    };
    let last_pid = fields.get(4).and_then(|s| s.parse().ok());
    Ok(Parsed::clean(LoadAvg { one, five, fifteen, runnable, threads, last_pid }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_loads_and_threads() {
        let l = parse_loadavg("1.26 0.86 0.40 3/160 13902\n").map(|p| p.value);
        assert_eq!(
            l,
            Ok(LoadAvg {
                one: 1.26,
                five: 0.86,
                fifteen: 0.40,
                runnable: Some(3),
                threads: Some(160),
                last_pid: Some(13902)
            })
        );
    }

    #[test]
    fn thread_counts_are_optional() {
        let l = parse_loadavg("0.00 0.01 0.05\n").map(|p| p.value.threads);
        assert_eq!(l, Ok(None));
    }

    #[test]
    fn rejects_garbage() {
        for body in ["", "1.0 2.0\n", "1.0 x 3.0 1/2 3\n", "-1 0 0\n"] {
            assert!(parse_loadavg(body).is_err(), "{body:?}");
        }
    }
}
