//! Login sessions as `who` prints them (see [who(1)](https://man7.org/linux/man-pages/man1/who.1.html)),
//! with `LC_ALL=C`. Three layouts are recognised:
//!
//! ```text
//! alice    pts/0        Nov 14 23:13 (10.0.0.5)                   GNU coreutils, C locale
//! alice    pts/0        2023-11-14 23:13 (10.0.0.5)               GNU coreutils, other locales
//! alice           pts/0           00:03   Nov 14 23:13:20  10.0.0.5   busybox (IDLE column)
//! ```
//!
//! Old busybox versions print a `USER TTY IDLE TIME HOST` header first; it is skipped.

use super::{Parsed, Problem, numbered_lines, split_fields};

/// One login session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub tty: String,
    /// The login time as `who` prints it, in the server's time zone and without a year.
    pub login: String,
    /// Where the session comes from (remote address, X display, `tmux(123).%0`), if known.
    pub host: Option<String>,
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Parses `who` output; an empty body means nobody is logged in.
pub fn parse_users(body: &str) -> Result<Parsed<Vec<Session>>, Problem> {
    let mut sessions = Vec::new();
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(body) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first() == Some(&"USER") && f.get(1) == Some(&"TTY") {
            continue;
        }
        match session(line, &f) {
            Some(s) => sessions.push(s),
            None => warnings.push(Problem::at(n, format!("not a who line: {line:?}"))),
        }
    }
    Ok(Parsed { value: sessions, warnings })
}

fn session(line: &str, f: &[&str]) -> Option<Session> {
    let (user, tty) = (*f.first()?, *f.get(1)?);
    let third = *f.get(2)?;
    // Index of the first field after the time, and whether the host is in parentheses.
    let (login, after, parenthesised) = if MONTHS.contains(&third) {
        (f.get(2..5)?.join(" "), 5, true)
    } else if is_iso_date(third) {
        (f.get(2..4)?.join(" "), 4, true)
    } else if f.get(3).is_some_and(|m| MONTHS.contains(m)) {
        // busybox: f[2] is the idle time.
        (f.get(3..6)?.join(" "), 6, false)
    } else {
        return None;
    };
    // The rest of the line: the host may hold spaces.
    let (_, rest) = split_fields(line, after)?;
    let rest = rest.trim();
    let host =
        if parenthesised { rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(rest) } else { rest };
    let host = (!host.is_empty()).then(|| host.to_owned());
    Some(Session { user: user.to_owned(), tty: tty.to_owned(), login, host })
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Option<Session> {
        parse_users(line).ok()?.value.into_iter().next()
    }

    #[test]
    fn gnu_c_locale() {
        let s = one("alice    pts/0        Nov  4 23:13 (10.0.0.5)\n");
        assert_eq!(
            s,
            Some(Session {
                user: "alice".into(),
                tty: "pts/0".into(),
                login: "Nov 4 23:13".into(),
                host: Some("10.0.0.5".into())
            })
        );
    }

    #[test]
    fn gnu_iso_and_no_host() {
        let s = one("root     tty1         2023-11-15 01:13\n");
        assert_eq!(s.map(|s| (s.login, s.host)), Some(("2023-11-15 01:13".into(), None)));
    }

    #[test]
    fn host_with_parentheses_inside() {
        let s = one("bob      pts/2        Nov 15 02:13 (tmux(1255).%0)\n");
        assert_eq!(s.and_then(|s| s.host), Some("tmux(1255).%0".into()));
    }

    #[test]
    fn busybox_layout() {
        let s = one("j.doe2          pts/1           ?       Nov 15 00:13:20  2001:db8::7\n");
        assert_eq!(
            s.map(|s| (s.user, s.login, s.host)),
            Some(("j.doe2".into(), "Nov 15 00:13:20".into(), Some("2001:db8::7".into())))
        );
        let s = one("root            tty1            old     Nov 15 01:13:20  \n");
        assert_eq!(s.map(|s| s.host), Some(None));
    }

    #[test]
    fn old_busybox_header_is_skipped_and_junk_is_a_warning() {
        let p = parse_users("USER       TTY      IDLE      TIME           HOST\njunk\n");
        assert_eq!(p.map(|p| (p.value.len(), p.warnings.len())), Ok((0, 1)));
    }
}
