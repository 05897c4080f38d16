//! `/proc/sys/fs/file-nr`: allocated file handles, free ones (always 0 since 2.6), and the
//! maximum; see [proc_sys_fs(5)](https://man7.org/linux/man-pages/man5/proc_sys_fs.5.html).

use super::{Parsed, Problem, numbered_lines};

/// File handles of the whole system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileNr {
    /// Handles in use: allocated minus free.
    pub open: u64,
    /// `fs.file-max`.
    pub max: u64,
}

/// Parses `1344 0 9223372036854775807`.
pub fn parse_file_nr(body: &str) -> Result<Parsed<FileNr>, Problem> {
    let (n, line) = numbered_lines(body).next().ok_or_else(|| Problem::whole("empty"))?;
    let v: Vec<u64> = line.split_whitespace().map_while(|s| s.parse().ok()).collect();
    match v.as_slice() {
        [allocated, free, max, ..] => Ok(Parsed::clean(FileNr { open: allocated.saturating_sub(*free), max: *max })),
        _ => Err(Problem::at(n, "not three numbers")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_open_and_max() {
        assert_eq!(
            parse_file_nr("1344\t0\t9223372036854775807\n").map(|p| p.value),
            Ok(FileNr { open: 1344, max: 9_223_372_036_854_775_807 })
        );
        assert_eq!(parse_file_nr("3000 200 10000").map(|p| p.value.open), Ok(2800));
        assert!(parse_file_nr("1 2\n").is_err());
        assert!(parse_file_nr("").is_err());
    }
}
