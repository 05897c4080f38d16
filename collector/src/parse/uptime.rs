//! `/proc/uptime`: see [proc_uptime(5)](https://man7.org/linux/man-pages/man5/proc_uptime.5.html).

use super::{Parsed, Problem, non_negative_f64, numbered_lines};

/// Time since boot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uptime {
    /// Seconds since boot (including time suspended).
    pub seconds: f64,
    /// Seconds each CPU spent idle, summed over all CPUs; `None` if the field is missing.
    pub idle_seconds: Option<f64>,
}

/// Parses `350735.47 234388.90`.
pub fn parse_uptime(body: &str) -> Result<Parsed<Uptime>, Problem> {
    let (n, line) = numbered_lines(body).next().ok_or_else(|| Problem::whole("empty"))?;
    let mut fields = line.split_whitespace();
    let first = fields.next().unwrap_or("");
    let seconds = non_negative_f64(first).ok_or_else(|| Problem::at(n, format!("uptime {first:?} is not a number")))?;
    let idle_seconds = fields.next().and_then(non_negative_f64);
    Ok(Parsed::clean(Uptime { seconds, idle_seconds }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_fields() {
        let u = parse_uptime("350735.47 234388.90\n").map(|p| p.value);
        assert_eq!(u, Ok(Uptime { seconds: 350735.47, idle_seconds: Some(234388.90) }));
    }

    #[test]
    fn rejects_garbage() {
        for body in ["", "\n", "abc 1\n", "-5 1\n", "inf 1\n", "NaN\n"] {
            assert!(parse_uptime(body).is_err(), "{body:?}");
        }
    }
}
