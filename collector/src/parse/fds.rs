//! Open file descriptors of a few processes: `PID COUNT` lines from `fds.sh`.

use crate::fast_map::FastMap;

use super::{Parsed, Problem, numbered_lines};

/// pid → number of open descriptors. Empty output is fine: no process was readable.
pub fn parse_fds(body: &str) -> Result<Parsed<FastMap<u32, u64>>, Problem> {
    let mut out = FastMap::default();
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(body) {
        let mut f = line.split_whitespace();
        match (f.next().and_then(|s| s.parse().ok()), f.next().and_then(|s| s.parse().ok()), f.next()) {
            (Some(pid), Some(count), None) => {
                out.insert(pid, count);
            }
            _ => warnings.push(Problem::at(n, "not a \"PID COUNT\" line")),
        }
    }
    Ok(Parsed { value: out, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pairs() {
        let p = parse_fds("12 4\n900 10001\nx 1\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.value.get(&900), Some(&10001));
        assert_eq!((p.value.len(), p.warnings.len()), (2, 1));
    }
}
