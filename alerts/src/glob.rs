//! A tiny glob: `*` matches any run of characters (`/` included, possibly none), `?` exactly one
//! character; every other character is literal. Brackets are literal on purpose: series names
//! hold them (`disk[/var].used_percent`), so `[…]` classes would make those names unwritable.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    #[error("empty pattern")]
    Empty,
    #[error("`{0}` is not supported in a server pattern: only `*` (any run) and `?` (one character) are special")]
    Unsupported(char),
}

/// A compiled pattern.
#[derive(Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
    literal: bool,
    /// `*` (or `**`…): matches everything, the common case of `disk[*]`.
    any: bool,
}

impl Glob {
    /// Any non-empty pattern; every character but `*` and `?` is literal.
    pub fn new(pattern: &str) -> Result<Self, GlobError> {
        if pattern.is_empty() {
            return Err(GlobError::Empty);
        }
        let any = pattern.bytes().all(|b| b == b'*');
        Ok(Self { pattern: pattern.to_owned(), literal: !pattern.contains(['*', '?']), any })
    }

    /// A pattern over server names. Brackets, braces and whitespace are refused rather than
    /// taken literally: `web-[0-9]*` would silently match nothing, which is worse than an error.
    pub fn server(pattern: &str) -> Result<Self, GlobError> {
        if let Some(c) = pattern.chars().find(|c| matches!(c, '[' | ']' | '{' | '}') || c.is_whitespace()) {
            return Err(GlobError::Unsupported(c));
        }
        Self::new(pattern)
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// True when the pattern has no `*` or `?`: it matches one text, itself.
    pub fn is_literal(&self) -> bool {
        self.literal
    }

    pub fn matches(&self, text: &str) -> bool {
        if self.literal {
            return self.pattern == text;
        }
        if self.any {
            return true;
        }
        wildcard(self.pattern.as_bytes(), text)
    }
}

/// The byte length of the character starting at `i` (1 past the end, so loops always advance).
fn char_len(text: &str, i: usize) -> usize {
    text.get(i..).and_then(|rest| rest.chars().next()).map_or(1, char::len_utf8)
}

/// Iterative matching with one backtrack point (the last `*`): linear in practice, no allocation.
fn wildcard(pattern: &[u8], text: &str) -> bool {
    let bytes = text.as_bytes();
    let (mut p, mut t) = (0, 0);
    // After the last `*`: where the pattern resumes, and where in the text that attempt began.
    let mut star: Option<(usize, usize)> = None;
    while t < bytes.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(b'?') => {
                p += 1;
                t += char_len(text, t);
            }
            Some(&c) if c == bytes[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((resume, began)) => {
                    let next = began + char_len(text, began);
                    star = Some((resume, next));
                    p = resume;
                    t = next;
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.pattern)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

impl Serialize for Glob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.pattern)
    }
}

impl<'de> Deserialize<'de> for Glob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Glob::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p).map(|g| g.matches(t)).unwrap_or(false)
    }

    #[test]
    fn star_and_question_mark() {
        assert!(m("web-*", "web-1"));
        assert!(m("web-*", "web-"));
        assert!(!m("web-*", "db-1"));
        assert!(m("*", ""));
        assert!(m("*-prod", "eu-web-prod"));
        assert!(!m("*-prod", "eu-web-prod2"));
        assert!(m("a*b*c", "aXXbYYbc"));
        assert!(!m("a*b*c", "aXXbYYbd"));
        assert!(m("db-?", "db-7"));
        assert!(!m("db-?", "db-17"));
        assert!(m("*?", "x"));
        assert!(!m("*?", ""));
        assert!(m("**a", "a"));
    }

    #[test]
    fn brackets_and_slashes_are_literal() {
        assert!(m("disk[*].used_percent", "disk[/var/lib].used_percent"));
        assert!(m("disk[/].used_percent", "disk[/].used_percent"));
        assert!(!m("disk[/].used_percent", "disk[/var].used_percent"));
        assert!(m("/var/*", "/var/lib/docker"));
    }

    #[test]
    fn question_mark_takes_one_character_not_one_byte() {
        assert!(m("caf?", "café"));
        assert!(m("?-ü-*", "é-ü-x"));
        assert!(!m("caf??", "café"));
        assert!(m("*é", "ééé"));
    }

    #[test]
    fn server_patterns_refuse_what_would_silently_match_nothing() {
        assert_eq!(Glob::server("web-[0-9]"), Err(GlobError::Unsupported('[')));
        assert_eq!(Glob::server("{a,b}"), Err(GlobError::Unsupported('{')));
        assert_eq!(Glob::server("a b"), Err(GlobError::Unsupported(' ')));
        assert_eq!(Glob::server(""), Err(GlobError::Empty));
        assert!(Glob::server("web-*").is_ok_and(|g| !g.is_literal()));
        assert!(Glob::server("web-1").is_ok_and(|g| g.is_literal() && g.matches("web-1")));
    }
}
