//! The page size, from `getconf PAGESIZE` (RSS in `/proc/PID/stat` counts pages).

use super::{Parsed, Problem, numbered_lines};

/// Bytes per page: a power of two between 512 bytes and 1 GiB.
pub fn parse_pagesize(body: &str) -> Result<Parsed<u64>, Problem> {
    let (n, line) = numbered_lines(body).next().ok_or_else(|| Problem::whole("empty"))?;
    let s = line.trim();
    match s.parse::<u64>() {
        Ok(v) if v.is_power_of_two() && (512..=1 << 30).contains(&v) => Ok(Parsed::clean(v)),
        _ => Err(Problem::at(n, format!("page size {s:?} is not a plausible number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_powers_of_two() {
        assert_eq!(parse_pagesize("4096\n").map(|p| p.value), Ok(4096));
        assert_eq!(parse_pagesize("65536").map(|p| p.value), Ok(65536));
    }

    #[test]
    fn rejects_the_rest() {
        for body in ["", "0", "4095", "-4096", "four", "99999999999999999999999"] {
            assert!(parse_pagesize(body).is_err(), "{body:?}");
        }
    }
}
