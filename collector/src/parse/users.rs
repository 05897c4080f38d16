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
//!
//! The program runs `who` with `TZ=UTC0`, so the times are UTC. The C-locale layouts have no
//! year: [`Session::login_time`] takes the latest year that does not put the login in the future.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

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

/// A login time as `who` prints it, in UTC (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LoginTime {
    year: Option<i32>,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

/// A clock a little fast on the server must not push a login of today into last year.
const FUTURE_SLACK_HOURS: i64 = 36;

impl Session {
    /// The login time in UTC, completing a missing year from `now` (the latest year that does
    /// not put the login more than a day and a half after `now`). `None` when unreadable.
    pub fn login_time(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let t = parse_login(&self.login)?;
        let at = |year: i32| {
            NaiveDate::from_ymd_opt(year, t.month, t.day)
                .and_then(|d| d.and_hms_opt(t.hour, t.minute, t.second))
                .map(|n| Utc.from_utc_datetime(&n))
        };
        match t.year {
            Some(y) => at(y),
            None => {
                let limit = now + chrono::Duration::hours(FUTURE_SLACK_HOURS);
                // Feb 29 exists one year in four: look back far enough to find one.
                (0..8).map(|back| now.year() - back).filter_map(at).find(|d| *d <= limit)
            }
        }
    }
}

/// `Nov 4 23:13`, `Nov 15 00:13:20`, `2023-11-14 23:13`.
fn parse_login(s: &str) -> Option<LoginTime> {
    let mut words = s.split_whitespace();
    let first = words.next()?;
    let (year, month, day) = match MONTHS.iter().position(|m| *m == first) {
        Some(i) => (None, u32::try_from(i).ok()? + 1, words.next()?.parse().ok()?),
        None => {
            let mut ymd = first.split('-');
            let y = ymd.next()?.parse().ok()?;
            let m = ymd.next()?.parse().ok()?;
            let d = ymd.next()?.parse().ok()?;
            (Some(y), m, d)
        }
    };
    let mut hms = words.next()?.split(':');
    let hour = hms.next()?.parse().ok()?;
    let minute = hms.next()?.parse().ok()?;
    let second = match hms.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    if words.next().is_some() {
        return None;
    }
    Some(LoginTime { year, month, day, hour, minute, second })
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

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn login_times_get_their_year_from_now() {
        let now = utc("2025-11-21T12:00:00Z");
        let session = |login: &str| Session { user: "a".into(), tty: "t".into(), login: login.into(), host: None };
        assert_eq!(session("Nov 4 23:13").login_time(now), Some(utc("2025-11-04T23:13:00Z")));
        assert_eq!(session("Nov 15 00:13:20").login_time(now), Some(utc("2025-11-15T00:13:20Z")));
        // Later in the year than now: last year's.
        assert_eq!(session("Dec 24 08:00").login_time(now), Some(utc("2024-12-24T08:00:00Z")));
        // Tomorrow by a fast server clock: still this year.
        assert_eq!(session("Nov 22 06:00").login_time(now), Some(utc("2025-11-22T06:00:00Z")));
        assert_eq!(session("Feb 29 10:00").login_time(now), Some(utc("2024-02-29T10:00:00Z")));
        assert_eq!(session("2023-11-14 23:13").login_time(now), Some(utc("2023-11-14T23:13:00Z")));
        for bad in ["", "Nov", "Nov 31 10:00", "Foo 1 10:00", "Nov 4 25:00", "2023-13-01 10:00", "Nov 4 10:00 x"] {
            assert_eq!(session(bad).login_time(now), None, "{bad:?}");
        }
    }

    #[test]
    fn old_busybox_header_is_skipped_and_junk_is_a_warning() {
        let p = parse_users("USER       TTY      IDLE      TIME           HOST\njunk\n");
        assert_eq!(p.map(|p| (p.value.len(), p.warnings.len())), Ok((0, 1)));
    }
}
