//! Cutting the program's output into sections at the marker lines of [`crate::protocol`].

use crate::protocol::{BEGIN_MARKER, END_MARKER};

/// One section of the output as framed by the program, not yet parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawSection<'a> {
    pub name: &'a str,
    /// The lines between the markers, each ending in `\n`.
    pub body: &'a str,
    /// The exit status of the section's subshell; `None` when the end marker is missing
    /// (output truncated) or its status is not a number.
    pub status: Option<i32>,
}

/// Cuts the output into sections. Text outside sections (a chatty `.bashrc`, a banner) is
/// ignored. A section whose end marker is missing (a new `begin` or the end of the output comes
/// first) gets `status: None`. An `end` marker naming another section than the open one is
/// ignored.
pub fn split_sections(stdout: &str) -> Vec<RawSection<'_>> {
    let mut out = Vec::new();
    // (name, byte offset where the body starts)
    let mut open: Option<(&str, usize)> = None;
    for start in marker_lines(stdout) {
        let rest = stdout.get(start..).unwrap_or("");
        let (line, offset) = match rest.find('\n') {
            Some(i) => (rest.get(..i).unwrap_or(""), start + i + 1),
            None => (rest, stdout.len()),
        };
        let text = line.trim_end_matches(['\n', '\r']);
        if let Some(name) = text.strip_prefix(BEGIN_MARKER) {
            if let Some((prev, body_start)) = open.take() {
                out.push(RawSection { name: prev, body: stdout.get(body_start..start).unwrap_or(""), status: None });
            }
            open = Some((name.trim(), offset));
        } else if let Some(rest) = text.strip_prefix(END_MARKER) {
            let mut words = rest.split_whitespace();
            let name = words.next().unwrap_or("");
            if let Some((open_name, body_start)) = open
                && open_name == name
            {
                out.push(RawSection {
                    name,
                    body: stdout.get(body_start..start).unwrap_or(""),
                    status: words.next().and_then(|s| s.parse().ok()),
                });
                open = None;
            }
        }
    }
    if let Some((name, body_start)) = open {
        out.push(RawSection { name, body: stdout.get(body_start..).unwrap_or(""), status: None });
    }
    out
}

/// The byte offsets of the lines that may be markers (both start with [`MARKER_PREFIX`]),
/// found by searching the whole output rather than walking it line by line: a steady output
/// has ~150 lines and ~20 markers, and the line walk was 6 % of a host-poll's instructions.
/// `@` is rare in the output, so the search is for it (`memchr`), then for the prefix around it.
fn marker_lines(stdout: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = stdout.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(at) = stdout.get(from..).and_then(|rest| rest.find('@')).map(|i| from + i) {
            from = at + 1;
            let line_start = at == 0 || bytes.get(at - 1) == Some(&b'\n');
            if line_start && bytes.get(at..).is_some_and(|rest| rest.starts_with(MARKER_PREFIX.as_bytes())) {
                from = at + MARKER_PREFIX.len();
                return Some(at);
            }
        }
        None
    })
}

/// What [`BEGIN_MARKER`] and [`END_MARKER`] start with.
const MARKER_PREFIX: &str = "@@fw ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_markers_start_with_the_prefix_searched_for() {
        assert!(BEGIN_MARKER.starts_with(MARKER_PREFIX) && END_MARKER.starts_with(MARKER_PREFIX));
        // `@` inside lines, at a line's start without the prefix, and the prefix mid-line.
        let s = split_sections("a@b\n@x\n@@fw begin a\nmail@@fw begin b\n@@\n@@fw end a 0\n@");
        assert_eq!(s, vec![RawSection { name: "a", body: "mail@@fw begin b\n@@\n", status: Some(0) }]);
    }

    #[test]
    fn crlf_lines_and_a_marker_on_the_first_line() {
        let s = split_sections("@@fw begin a\r\nx\r\n@@fw end a 0\r\n");
        assert_eq!(s, vec![RawSection { name: "a", body: "x\r\n", status: Some(0) }]);
    }

    #[test]
    fn sections_are_cut_at_their_markers() {
        let out = "motd noise\n@@fw begin a\nx\ny\n@@fw end a 0\nbetween\n@@fw begin b\n@@fw end b 3\n";
        let s = split_sections(out);
        assert_eq!(
            s,
            vec![
                RawSection { name: "a", body: "x\ny\n", status: Some(0) },
                RawSection { name: "b", body: "", status: Some(3) },
            ]
        );
    }

    #[test]
    fn a_missing_end_marks_the_section_truncated() {
        let s = split_sections("@@fw begin a\nx\n@@fw begin b\ny\n@@fw end b 0\n@@fw begin c\nz");
        let got: Vec<_> = s.iter().map(|r| (r.name, r.body, r.status)).collect();
        assert_eq!(got, vec![("a", "x\n", None), ("b", "y\n", Some(0)), ("c", "z", None)]);
    }

    #[test]
    fn an_end_for_another_section_is_ignored() {
        let s = split_sections("@@fw begin a\n@@fw end b 0\nx\n@@fw end a 0\n");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].body, "@@fw end b 0\nx\n");
        assert_eq!(s[0].status, Some(0));
    }

    #[test]
    fn crlf_and_garbage_status_are_tolerated() {
        let s = split_sections("@@fw begin a\r\nx\r\n@@fw end a zero\r\n");
        assert_eq!(s[0].name, "a");
        assert_eq!(s[0].status, None);
    }
}
