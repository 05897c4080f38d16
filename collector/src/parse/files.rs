//! Several files printed by one `head -n N FILE...`: POSIX `head` puts a line `==> FILE <==`
//! before each file when given more than one (and a blank line before every header but the
//! first). A file `head` could not open has no header at all.
//!
//! ```text
//! ==> /proc/uptime <==
//! 2394.88 1464.27
//!
//! ==> /proc/loadavg <==
//! 4.65 2.55 2.08 2/475 30358
//! ```

/// The files of one `head` run, in output order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files<'a> {
    /// Text before the first header (another command's output, or nothing).
    pub preamble: &'a str,
    /// (path, content) per header. The content keeps its lines as they were, ending in `\n`;
    /// the blank line `head` adds before the next header is left in it.
    pub files: Vec<(&'a str, &'a str)>,
}

impl<'a> Files<'a> {
    /// The content of `path`; the first one when a path is repeated.
    pub fn get(&self, path: &str) -> Option<&'a str> {
        self.files.iter().find(|(p, _)| *p == path).map(|(_, body)| *body)
    }
}

/// The path of a header line, if `line` is one: `==> PATH <==` with a non-empty path.
pub fn header_path(line: &str) -> Option<&str> {
    let path = line.trim_end_matches(['\n', '\r']).strip_prefix("==> ")?.strip_suffix(" <==")?;
    (!path.is_empty()).then_some(path)
}

/// Cuts `body` at its header lines. `accept` says which paths are real headers: a line that
/// looks like a header but names another path stays part of the file it appears in.
pub fn split_files<'a>(body: &'a str, accept: impl Fn(&str) -> bool) -> Files<'a> {
    let mut out = Files::default();
    // (path, offset where its content starts)
    let mut open: Option<(&'a str, usize)> = None;
    let mut preamble_end = None;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let Some(path) = header_path(line).filter(|p| accept(p)) else {
            continue;
        };
        match open.take() {
            Some((prev, from)) => out.files.push((prev, body.get(from..start).unwrap_or(""))),
            None => preamble_end = Some(start),
        }
        open = Some((path, offset));
    }
    match open {
        Some((path, from)) => out.files.push((path, body.get(from..).unwrap_or(""))),
        None => preamble_end = Some(body.len()),
    }
    out.preamble = body.get(..preamble_end.unwrap_or(0)).unwrap_or("");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_headers() {
        let body = "6.1 x86_64\n==> /a <==\n1\n2\n\n==> /b <==\n3\n";
        let f = split_files(body, |_| true);
        assert_eq!(f.preamble, "6.1 x86_64\n");
        assert_eq!(f.files, vec![("/a", "1\n2\n\n"), ("/b", "3\n")]);
        assert_eq!(f.get("/b"), Some("3\n"));
        assert_eq!(f.get("/c"), None);
    }

    #[test]
    fn unknown_headers_stay_content_and_no_header_is_all_preamble() {
        let f = split_files("==> /a <==\n==> /x <==\n", |p| p == "/a");
        assert_eq!(f.files, vec![("/a", "==> /x <==\n")]);
        let f = split_files("just text\n", |_| true);
        assert_eq!((f.preamble, f.files.len()), ("just text\n", 0));
        assert_eq!(header_path("==>  <=="), None);
        assert_eq!(header_path("==> /p <==\r\n"), Some("/p"));
    }

    #[test]
    fn a_file_without_final_newline_still_ends_at_the_next_header() {
        let f = split_files("==> /a <==\nx\n==> /b <==\ny", |_| true);
        assert_eq!(f.files, vec![("/a", "x\n"), ("/b", "y")]);
    }
}
