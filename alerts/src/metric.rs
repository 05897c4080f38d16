//! What a rule's `metric` names, and how it is read from one server's latest [`Sample`] and
//! [`Details`]. Names are those of the API: a headline field of `Sample` (`cpu_percent`,
//! `ram_percentage`, …) or a series of [`Details::series`] (`cpu.iowait`, `disk[/var].used_percent`,
//! `tcp[TIME_WAIT]`, …). A glob inside the brackets (or in a core's number, `cpu*.busy`) matches
//! many: one alert instance per match, keyed by the matched name inside the brackets.
//!
//! The figures are read straight from the structs (no string is built per figure): rules run
//! on every server at every cycle. `tests.rs` holds the reading to `Details::series` so the two
//! can never name a figure differently.

mod table;
#[cfg(test)]
mod tests;

use std::fmt;

use fleetwatch_common::{ContainerInfo, Details, DiskIo, DiskUsage, NetInterface, Sample};

use crate::glob::{Glob, GlobError};
use table::{CONTAINER, DETAILS, DISK, DISKIO, HEADLINES, NET, Reader, SampleFn, family_field};

/// Why a metric name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("empty metric name")]
    Empty,
    #[error("unknown metric `{0}`; known: {known}", known = known_metrics().join(", "))]
    Unknown(String),
    #[error("bad pattern in `{0}`: {1}")]
    Glob(String, GlobError),
}

/// Whether one reading saw every instance the metric can have on this server. Alerts of an
/// instance that a complete reading did not see (an unmounted disk, a removed container) are
/// resolved; after a partial reading (the section is missing) they keep their state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    Complete,
    Partial,
}

/// A parsed metric name.
#[derive(Clone)]
pub struct Metric {
    text: String,
    source: Source,
}

#[derive(Clone)]
enum Source {
    Headline(SampleFn),
    Details(Reader<Details>),
    Core(Glob),
    Disk(Glob, Reader<DiskUsage>),
    DiskIo(Glob, Reader<DiskIo>),
    Net(Glob, Reader<NetInterface>),
    Tcp(Glob),
    Container(Glob, Reader<ContainerInfo>),
}

impl Metric {
    pub fn parse(text: &str) -> Result<Self, MetricError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(MetricError::Empty);
        }
        let unknown = || MetricError::Unknown(text.to_owned());
        let glob = |key: &str| Glob::new(key).map_err(|e| MetricError::Glob(text.to_owned(), e));
        let source = if let Some((family, rest)) = text.split_once('[') {
            let (key, field) = rest.rsplit_once(']').ok_or_else(unknown)?;
            let field = field.strip_prefix('.').unwrap_or(field);
            let key = glob(key)?;
            match family {
                "disk" => Source::Disk(key, family_field(DISK, field).ok_or_else(unknown)?),
                "diskio" => Source::DiskIo(key, family_field(DISKIO, field).ok_or_else(unknown)?),
                "net" => Source::Net(key, family_field(NET, field).ok_or_else(unknown)?),
                "container" => Source::Container(key, family_field(CONTAINER, field).ok_or_else(unknown)?),
                "tcp" if field.is_empty() => Source::Tcp(key),
                _ => return Err(unknown()),
            }
        } else if let Some(f) = HEADLINES.iter().find(|h| h.0 == text || h.1.contains(&text)) {
            Source::Headline(f.2)
        } else if let Some(f) = DETAILS.iter().find(|d| d.0 == text) {
            Source::Details(f.1)
        } else if let Some(core) = text.strip_suffix(".busy").filter(|c| is_core_pattern(c)) {
            Source::Core(glob(core)?)
        } else {
            return Err(unknown());
        };
        Ok(Self { text: text.to_owned(), source })
    }

    /// The name as written in the rule.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the metric can have more than one instance per server (a glob in its key).
    pub fn is_per_instance(&self) -> bool {
        self.key().is_some_and(|k| !k.is_literal())
    }

    fn key(&self) -> Option<&Glob> {
        match &self.source {
            Source::Headline(_) | Source::Details(_) => None,
            Source::Core(k) | Source::Tcp(k) => Some(k),
            Source::Disk(k, _) | Source::DiskIo(k, _) | Source::Net(k, _) | Source::Container(k, _) => Some(k),
        }
    }

    /// The series name of one instance, for messages: `disk[*].used_percent` with instance
    /// `/var` is `disk[/var].used_percent`; a metric without instances is its own name.
    pub fn instance_name(&self, instance: &str) -> String {
        match (&self.source, self.text.split_once('[')) {
            (Source::Core(_), _) => format!("{instance}.busy"),
            (_, Some((family, rest))) => {
                let field = rest.rsplit_once(']').map_or("", |(_, f)| f);
                format!("{family}[{instance}]{field}")
            }
            _ => self.text.clone(),
        }
    }

    /// Calls `each(instance, value)` for every figure this metric names on the server: instance
    /// `""` for a single figure, the bracketed name (mount, device, interface, state, container)
    /// or core name (`cpu3`) otherwise. Non-finite values are skipped, as `Details::series` does.
    pub fn read<'a>(
        &self,
        sample: &'a Sample,
        details: Option<&'a Details>,
        mut each: impl FnMut(&'a str, f64),
    ) -> Coverage {
        let Some(d) = details else {
            return match self.source {
                Source::Headline(f) => single(f(sample), each),
                _ => Coverage::Partial,
            };
        };
        match &self.source {
            Source::Headline(f) => single(f(sample), each),
            Source::Details(f) => single(f(d), each),
            Source::Core(k) => {
                let cores = d.cpu.as_ref().map_or(&[][..], |c| c.cores.as_slice());
                family(cores, |c| &c.name, k, |c| Some(c.busy), each)
            }
            Source::Disk(k, f) => family(&d.disks, |x| &x.mount, k, *f, each),
            Source::DiskIo(k, f) => family(&d.disk_io, |x| &x.device, k, *f, each),
            Source::Net(k, f) => family(&d.network, |x| &x.name, k, *f, each),
            Source::Container(k, f) => match &d.containers {
                // The engine answered: an empty list is a real "no containers".
                Some(list) => {
                    family(list, |x| &x.name, k, *f, each);
                    Coverage::Complete
                }
                None => Coverage::Partial,
            },
            Source::Tcp(k) => match &d.tcp {
                Some(tcp) => {
                    for (state, n) in tcp.states.iter().filter(|(s, _)| k.matches(s)) {
                        each(state, *n as f64);
                    }
                    Coverage::Complete
                }
                None => Coverage::Partial,
            },
        }
    }
}

/// One figure, instance `""`; a missing one is a partial reading.
fn single<'a>(value: Option<f64>, mut each: impl FnMut(&'a str, f64)) -> Coverage {
    match value.filter(|v| v.is_finite()) {
        Some(v) => {
            each("", v);
            Coverage::Complete
        }
        None => Coverage::Partial,
    }
}

/// `cpu0`, `cpu12`, `cpu*`, `cpu?`: a core's name or a pattern over them (not `cpu` itself,
/// whose fields are the total's).
fn is_core_pattern(name: &str) -> bool {
    name.strip_prefix("cpu")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '?'))
}

/// Reads one family: an empty list is taken as "not collected" (every real host has a disk,
/// an interface and a core), so its alerts are kept rather than resolved.
fn family<'a, T>(
    items: &'a [T],
    name: fn(&T) -> &String,
    key: &Glob,
    field: Reader<T>,
    mut each: impl FnMut(&'a str, f64),
) -> Coverage {
    for item in items {
        let n = name(item);
        if key.matches(n)
            && let Some(v) = field(item).filter(|v| v.is_finite())
        {
            each(n, v);
        }
    }
    if items.is_empty() { Coverage::Partial } else { Coverage::Complete }
}

/// Every metric a rule may name, with `*` where a name is chosen (a mount, a device, …).
pub fn known_metrics() -> Vec<String> {
    let mut out: Vec<String> = HEADLINES.iter().map(|h| h.0.to_owned()).collect();
    out.extend(DETAILS.iter().map(|d| d.0.to_owned()));
    out.push("cpu*.busy".to_owned());
    for (family, fields) in [
        ("disk", DISK.iter().map(|f| f.0).collect::<Vec<_>>()),
        ("diskio", DISKIO.iter().map(|f| f.0).collect()),
        ("net", NET.iter().map(|f| f.0).collect()),
        ("container", CONTAINER.iter().map(|f| f.0).collect()),
    ] {
        out.extend(fields.into_iter().map(|f| format!("{family}[*].{f}")));
    }
    out.push("tcp[*]".to_owned());
    out
}

impl fmt::Debug for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Metric({:?})", self.text)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
