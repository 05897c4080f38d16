//! One line of `df` output (POSIX, GNU `--output`, or `-i`), and the `/proc/mounts` escapes.

use std::borrow::Cow;

use super::{Inodes, Mount};
use crate::parse::split_fields;

/// `1024-blocks` (POSIX), `1K-blocks` (GNU without -P), `512-blocks`.
pub(super) fn header_block_size(header: &str) -> Option<u64> {
    let word = header.split_whitespace().nth(1)?;
    let size = word.strip_suffix("-blocks")?;
    match size.strip_suffix(['K', 'k']) {
        Some(k) => k.parse::<u64>().ok()?.checked_mul(1024),
        None => size.parse().ok(),
    }
}

/// One `df -P` line: device, total, used, available, capacity, mount point (which may hold
/// spaces). `Ok(None)` for a file system df could not size (`-`).
pub(super) fn df_row(line: &str, block_size: u64) -> Result<Option<Mount>, String> {
    let Some((f, mount_point)) = split_fields(line, 5) else {
        return Err("a df line has fewer than 6 fields".to_owned());
    };
    if mount_point.is_empty() {
        return Err("a df line has no mount point".to_owned());
    }
    if f[1] == "-" {
        return Ok(None);
    }
    let num = |s: &str, what: &str| {
        s.parse::<u64>()
            .map(|v| v.saturating_mul(block_size))
            .map_err(|_| format!("{what} {s:?} of {mount_point} is not a number"))
    };
    sized(Mount {
        device: f[0].to_owned(),
        mount_point: mount_point.to_owned(),
        fstype: None,
        total_bytes: num(f[1], "size")?,
        used_bytes: num(f[2], "used")?,
        available_bytes: num(f[3], "available")?,
        inodes: None,
    })
}

/// A row whose used space exceeds the file system's size is damaged (df computes used as size
/// minus free, so a real one never does): it is skipped rather than shown as more than full.
fn sized(m: Mount) -> Result<Option<Mount>, String> {
    if m.used_bytes > m.total_bytes {
        return Err(format!("used {} B of {} is more than its size {} B", m.used_bytes, m.mount_point, m.total_bytes));
    }
    Ok(Some(m))
}

/// One GNU `df --output` line: source, type, size, used, avail (KiB), inodes, iused, ifree,
/// mount point (which may hold spaces). `Ok(None)` for a file system df could not size.
pub(super) fn output_row(line: &str) -> Result<Option<Mount>, String> {
    let Some((f, mount_point)) = split_fields(line, 8) else {
        return Err("a df --output line has fewer than 9 fields".to_owned());
    };
    if mount_point.is_empty() {
        return Err("a df --output line has no mount point".to_owned());
    }
    if f[2] == "-" {
        return Ok(None);
    }
    let num =
        |s: &str, what: &str| s.parse::<u64>().map_err(|_| format!("{what} {s:?} of {mount_point} is not a number"));
    let inodes = match (f[5], f[6], f[7]) {
        ("-" | "0", _, _) => None,
        (t, u, fr) => {
            Some(Inodes { total: num(t, "inodes")?, used: num(u, "used inodes")?, free: num(fr, "free inodes")? })
        }
    };
    sized(Mount {
        device: f[0].to_owned(),
        mount_point: mount_point.to_owned(),
        fstype: Some(f[1].to_owned()),
        total_bytes: num(f[2], "size")?.saturating_mul(1024),
        used_bytes: num(f[3], "used")?.saturating_mul(1024),
        available_bytes: num(f[4], "available")?.saturating_mul(1024),
        inodes,
    })
}

/// One `df -P -i` line: device, inodes, used, free, IUse%, mount point. `Ok(None)` where df
/// shows no inode count (`-` or a total of 0).
pub(super) fn inode_row(line: &str) -> Result<Option<(String, Inodes)>, String> {
    let Some((f, mount_point)) = split_fields(line, 5) else {
        return Err("a df -i line has fewer than 6 fields".to_owned());
    };
    if mount_point.is_empty() {
        return Err("a df -i line has no mount point".to_owned());
    }
    if f[1] == "-" || f[1] == "0" {
        return Ok(None);
    }
    let num =
        |s: &str, what: &str| s.parse::<u64>().map_err(|_| format!("{what} {s:?} of {mount_point} is not a number"));
    let i = Inodes { total: num(f[1], "inodes")?, used: num(f[2], "used inodes")?, free: num(f[3], "free inodes")? };
    Ok(Some((mount_point.to_owned(), i)))
}

/// Undoes the octal escapes of `/proc/mounts` (`\040` space, `\011` tab, `\012` newline,
/// `\134` backslash). Borrowed when there is none (nearly every mount point).
pub(super) fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && let Some(&[d0, d1, d2]) = b.get(i + 1..i + 4)
            && [d0, d1, d2].iter().all(|d| (b'0'..=b'7').contains(d))
            && d0 <= b'3'
        {
            out.push((d0 - b'0') * 64 + (d1 - b'0') * 8 + (d2 - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_octal() {
        assert_eq!(unescape(r"/a\040b\011c\134d\\"), "/a b\tc\\d\\\\");
        assert_eq!(unescape(r"\999\04"), r"\999\04");
    }

    #[test]
    fn header_sizes() {
        assert_eq!(header_block_size("Filesystem 1024-blocks Used"), Some(1024));
        assert_eq!(header_block_size("Filesystem 1K-blocks Used"), Some(1024));
        assert_eq!(header_block_size("Filesystem 512-blocks Used"), Some(512));
        assert_eq!(header_block_size("Filesystem Size Used"), None);
    }
}
