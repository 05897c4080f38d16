//! The kernel's host name, `/proc/sys/kernel/hostname`: see
//! [proc_sys_kernel(5)](https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html).

use super::{Parsed, Problem, numbered_lines};

/// Longest name accepted; the kernel's own limit is 64 bytes.
const MAX_LEN: usize = 255;

/// The first non-empty line, trimmed.
pub fn parse_hostname(body: &str) -> Result<Parsed<String>, Problem> {
    let (n, line) = numbered_lines(body).next().ok_or_else(|| Problem::whole("empty"))?;
    let name = line.trim();
    if name.len() > MAX_LEN {
        return Err(Problem::at(n, format!("longer than {MAX_LEN} bytes")));
    }
    if name.chars().any(char::is_control) {
        return Err(Problem::at(n, "contains control characters"));
    }
    Ok(Parsed::clean(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_the_name() {
        assert_eq!(parse_hostname("web-1.example\n").map(|p| p.value), Ok("web-1.example".to_owned()));
    }

    #[test]
    fn rejects_empty_and_control_characters() {
        assert!(parse_hostname("").is_err());
        assert!(parse_hostname("  \n").is_err());
        assert!(parse_hostname("a\u{1b}[2Jb\n").is_err());
        assert!(parse_hostname(&"x".repeat(300)).is_err());
    }
}
