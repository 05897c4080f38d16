//! `/proc/meminfo`: see [proc_meminfo(5)](https://man7.org/linux/man-pages/man5/proc_meminfo.5.html).
//!
//! Values are printed in KiB although the unit says `kB`; they are converted to bytes here.

use super::{Parsed, Problem, numbered_lines};

/// The fields of `/proc/meminfo` Fleetwatch uses, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemInfo {
    pub total: u64,
    pub free: Option<u64>,
    /// `MemAvailable`, since Linux 3.14: the kernel's estimate of memory available for new work.
    pub available: Option<u64>,
    pub buffers: Option<u64>,
    pub cached: Option<u64>,
    /// Reclaimable slab (dentries, inodes), since Linux 2.6.19.
    pub s_reclaimable: Option<u64>,
    pub swap_total: Option<u64>,
    pub swap_free: Option<u64>,
}

impl MemInfo {
    /// Memory available for new work: `MemAvailable`, or on kernels without it (before 3.14)
    /// the classic estimate `MemFree + Buffers + Cached + SReclaimable` (each missing term 0,
    /// `MemFree` required), never more than `MemTotal`.
    pub fn available_bytes(&self) -> Option<u64> {
        if let Some(a) = self.available {
            return Some(a.min(self.total));
        }
        let free = self.free?;
        let estimate =
            [self.buffers, self.cached, self.s_reclaimable].into_iter().flatten().fold(free, u64::saturating_add);
        Some(estimate.min(self.total))
    }
}

/// Parses `Key:   value kB` lines. `MemTotal` must be there and be a number; another
/// unreadable field is skipped with a warning.
pub fn parse_meminfo(body: &str) -> Result<Parsed<MemInfo>, Problem> {
    let mut total = None;
    let mut m = MemInfo::default();
    let mut warnings = Vec::new();
    for (n, line) in numbered_lines(body) {
        let Some((key, value)) = line.split_once(':') else {
            warnings.push(Problem::at(n, "no colon"));
            continue;
        };
        let key = key.trim();
        let slot = match key {
            "MemTotal" => &mut total,
            "MemFree" => &mut m.free,
            "MemAvailable" => &mut m.available,
            "Buffers" => &mut m.buffers,
            "Cached" => &mut m.cached,
            "SReclaimable" => &mut m.s_reclaimable,
            "SwapTotal" => &mut m.swap_total,
            "SwapFree" => &mut m.swap_free,
            _ => continue,
        };
        match bytes(value) {
            Some(v) => *slot = Some(v),
            None if key == "MemTotal" => {
                return Err(Problem::at(n, "MemTotal is not a number"));
            }
            None => warnings.push(Problem::at(n, format!("{key} is not a number"))),
        }
    }
    m.total = total.ok_or_else(|| Problem::whole("no MemTotal line"))?;
    Ok(Parsed { value: m, warnings })
}

/// `" 16303428 kB"` → bytes (saturating); a value without unit is taken as is.
fn bytes(value: &str) -> Option<u64> {
    let mut fields = value.split_whitespace();
    let number: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        None => Some(number),
        Some("kB") => Some(number.saturating_mul(1024)),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_kib_to_bytes() {
        let m = parse_meminfo("MemTotal:       16303428 kB\nMemAvailable:    8000000 kB\nHugePages_Total: 0\n")
            .map(|p| p.value)
            .unwrap_or_default();
        assert_eq!(m.total, 16_303_428 * 1024);
        assert_eq!(m.available_bytes(), Some(8_000_000 * 1024));
    }

    #[test]
    fn estimates_available_without_memavailable() {
        let m = MemInfo {
            total: 1000,
            free: Some(100),
            buffers: Some(50),
            cached: Some(200),
            s_reclaimable: None,
            ..MemInfo::default()
        };
        assert_eq!(m.available_bytes(), Some(350));
        assert_eq!(MemInfo { total: 10, free: None, ..m }.available_bytes(), None);
        assert_eq!(MemInfo { total: 10, ..m }.available_bytes(), Some(10));
    }

    #[test]
    fn saturates_absurd_values() {
        let m = parse_meminfo("MemTotal: 18446744073709551615 kB\n").map(|p| p.value.total);
        assert_eq!(m, Ok(u64::MAX));
    }

    #[test]
    fn memtotal_must_be_a_number() {
        let e = parse_meminfo("MemFree: 1 kB\nBuffers: 2 kB\nMemTotal: lots kB\n");
        assert_eq!(e, Err(Problem::at(3, "MemTotal is not a number")));
        assert_eq!(parse_meminfo("MemFree: 1 kB\n"), Err(Problem::whole("no MemTotal line")));
    }

    #[test]
    fn other_bad_fields_are_warnings() {
        let p = parse_meminfo("MemTotal: 4 kB\nMemFree: -3 kB\nnonsense\nCached: 1 MB\n");
        assert_eq!(p.map(|p| (p.value.free, p.warnings.len())), Ok((None, 3)));
    }
}
