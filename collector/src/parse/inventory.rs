//! Facts read once per connection (`inventory.sh`): `uname -r -m`, then os-release
//! ([os-release(5)](https://man7.org/linux/man-pages/man5/os-release.5.html)) and the start of
//! `/proc/cpuinfo` (see [proc_cpuinfo(5)](https://man7.org/linux/man-pages/man5/proc_cpuinfo.5.html)),
//! each after a `head` header. Also the current CPU frequency of cpufreq's `scaling_cur_freq`.

use super::files::split_files;
use super::{Parsed, Problem, non_negative_f64, numbered_lines};

const OS_RELEASE: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];
const CPUINFO: &str = "/proc/cpuinfo";

/// What does not change while a server is up.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inventory {
    /// `uname -r`.
    pub kernel: Option<String>,
    /// `uname -m`.
    pub arch: Option<String>,
    /// `PRETTY_NAME`, else `NAME VERSION`, else `NAME`.
    pub os_name: Option<String>,
    pub os_id: Option<String>,
    pub os_version: Option<String>,
    pub cpu_model: Option<String>,
    /// The first CPU's MHz at the time of the reading (x86 `cpu MHz`, POWER `clock`).
    pub cpu_mhz: Option<f64>,
}

/// Parses the section. Nothing readable at all is an error; a missing part is `None`.
pub fn parse_inventory(body: &str) -> Result<Parsed<Inventory>, Problem> {
    let files = split_files(body, |p| OS_RELEASE.contains(&p) || p == CPUINFO);
    let mut inv = Inventory::default();
    let mut warnings = Vec::new();
    if let Some((n, line)) = numbered_lines(files.preamble).next() {
        let mut f = line.split_whitespace();
        match (f.next(), f.next(), f.next()) {
            (Some(release), Some(machine), None) => {
                inv.kernel = Some(release.to_owned());
                inv.arch = Some(machine.to_owned());
            }
            _ => warnings.push(Problem::at(n, format!("not `uname -r -m` output: {line:?}"))),
        }
    }
    if let Some(os) = OS_RELEASE.iter().find_map(|p| files.get(p)) {
        let vars = os_release(os);
        let get = |k: &str| vars.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
        inv.os_name = get("PRETTY_NAME").or_else(|| match (get("NAME"), get("VERSION")) {
            (Some(n), Some(v)) => Some(format!("{n} {v}")),
            (n, _) => n,
        });
        inv.os_id = get("ID");
        inv.os_version = get("VERSION_ID");
    }
    if let Some(cpuinfo) = files.get(CPUINFO) {
        let (model, mhz) = cpuinfo_first_cpu(cpuinfo);
        inv.cpu_model = model;
        inv.cpu_mhz = mhz;
    }
    if inv == Inventory::default() {
        return Err(Problem::whole("neither uname, os-release nor cpuinfo could be read"));
    }
    Ok(Parsed { value: inv, warnings })
}

/// `KEY=value` lines; values may be in double or single quotes with backslash escapes.
fn os_release(body: &str) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    for (_, line) in numbered_lines(body) {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else { continue };
        let value = match raw.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => {
                let inner = raw.get(1..).unwrap_or("");
                let inner = inner.strip_suffix(char::from(q)).unwrap_or(inner);
                let mut v = String::with_capacity(inner.len());
                let mut chars = inner.chars();
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        v.extend(chars.next());
                    } else {
                        v.push(c);
                    }
                }
                v
            }
            _ => raw.to_owned(),
        };
        out.push((key.trim(), value));
    }
    out
}

/// Model and MHz of the first CPU block; the keys differ by architecture.
fn cpuinfo_first_cpu(body: &str) -> (Option<String>, Option<f64>) {
    let mut model = None;
    let mut fallback_model = None;
    let mut mhz = None;
    let mut seen_processor = false;
    for (_, line) in numbered_lines(body) {
        let Some((key, value)) = line.split_once(':') else { continue };
        let (key, value) = (key.trim(), value.trim());
        match key {
            // A second block begins: the first CPU is complete.
            "processor" if seen_processor => break,
            "processor" => seen_processor = true,
            "model name" | "cpu model" if !value.is_empty() => model = model.or(Some(value.to_owned())),
            "Processor" | "cpu" | "Hardware" if !value.is_empty() => {
                fallback_model = fallback_model.or(Some(value.to_owned()));
            }
            "cpu MHz" => mhz = mhz.or(non_negative_f64(value)),
            "clock" => mhz = mhz.or(value.strip_suffix("MHz").and_then(non_negative_f64)),
            _ => {}
        }
    }
    (model.or(fallback_model), mhz.filter(|m| *m > 0.0))
}

/// `scaling_cur_freq`: the current frequency in kHz → MHz.
pub fn parse_cpufreq(body: &str) -> Result<Parsed<f64>, Problem> {
    let (n, line) = numbered_lines(body).next().ok_or_else(|| Problem::whole("empty"))?;
    match line.trim().parse::<u64>() {
        Ok(khz) if khz > 0 => Ok(Parsed::clean(khz as f64 / 1000.0)),
        _ => Err(Problem::at(n, format!("frequency {:?} is not a number of kHz", line.trim()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const X86: &str = "6.1.0-18-amd64 x86_64\n==> /etc/os-release <==\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n\
                       NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n# comment\n\n\
                       ==> /usr/lib/os-release <==\nPRETTY_NAME=\"Other\"\n\n==> /proc/cpuinfo <==\nprocessor\t: 0\n\
                       vendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\ncpu MHz\t\t: 2199.998\n\n\
                       processor\t: 1\nmodel name\t: Other CPU\n";

    #[test]
    fn x86_debian() {
        let i = parse_inventory(X86).unwrap_or_else(|e| panic!("{e}")).value;
        assert_eq!(i.kernel.as_deref(), Some("6.1.0-18-amd64"));
        assert_eq!(i.arch.as_deref(), Some("x86_64"));
        assert_eq!(i.os_name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        assert_eq!((i.os_id.as_deref(), i.os_version.as_deref()), (Some("debian"), Some("12")));
        assert_eq!(i.cpu_model.as_deref(), Some("Intel(R) Xeon(R) CPU @ 2.20GHz"));
        assert_eq!(i.cpu_mhz, Some(2199.998));
    }

    #[test]
    fn arm_and_power_and_quoting() {
        let body = "5.10 armv7l\n==> /usr/lib/os-release <==\nNAME='Alpine \\'Linux\\''\nVERSION=3.19\n\
                    ==> /proc/cpuinfo <==\nprocessor : 0\nmodel name : ARMv7 Processor rev 4 (v7l)\nHardware : BCM2835\n";
        let i = parse_inventory(body).unwrap_or_else(|e| panic!("{e}")).value;
        assert_eq!(i.os_name.as_deref(), Some("Alpine 'Linux' 3.19"));
        assert_eq!(i.cpu_model.as_deref(), Some("ARMv7 Processor rev 4 (v7l)"));
        assert_eq!(i.cpu_mhz, None);
        let power =
            "==> /proc/cpuinfo <==\nprocessor : 0\ncpu : POWER9 (raw), altivec supported\nclock : 3800.000000MHz\n";
        let i = parse_inventory(power).unwrap_or_else(|e| panic!("{e}")).value;
        assert_eq!((i.cpu_model.as_deref(), i.cpu_mhz), (Some("POWER9 (raw), altivec supported"), Some(3800.0)));
        assert_eq!(i.kernel, None);
    }

    #[test]
    fn nothing_is_an_error() {
        assert!(parse_inventory("").is_err());
        let p = parse_inventory("oops\n==> /proc/cpuinfo <==\nprocessor : 0\nmodel name : X\n");
        assert_eq!(p.map(|p| p.warnings.len()), Ok(1));
    }

    #[test]
    fn cpufreq_khz() {
        assert_eq!(parse_cpufreq("2400000\n").map(|p| p.value), Ok(2400.0));
        assert!(parse_cpufreq("0\n").is_err());
        assert!(parse_cpufreq("").is_err());
    }
}
