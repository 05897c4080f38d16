use std::collections::BTreeMap;

use super::*;
use crate::fixture::{details, sample, t0};

fn read(metric: &str, d: Option<&Details>) -> (BTreeMap<String, f64>, Coverage) {
    let s = sample("a", 42.0, t0());
    let mut out = BTreeMap::new();
    let m = Metric::parse(metric).unwrap_or_else(|e| panic!("{metric}: {e}"));
    let coverage = m.read(&s, d, |i, v| {
        out.insert(i.to_owned(), v);
    });
    (out, coverage)
}

#[test]
fn every_series_name_reads_back_its_own_value() {
    let d = details("a", t0());
    let series = d.series();
    assert!(series.len() > 40, "the fixture fills every section: {}", series.len());
    for (name, value) in &series {
        let m = Metric::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (got, _) = read(name, Some(&d));
        assert_eq!(got.len(), 1, "{name} names one figure: {got:?}");
        assert_eq!(got.values().next(), Some(value), "{name}");
        let instance = got.keys().next().cloned().unwrap_or_default();
        let shown = if instance.is_empty() { m.as_str().to_owned() } else { m.instance_name(&instance) };
        assert_eq!(&shown, name);
    }
}

#[test]
fn the_known_patterns_cover_exactly_the_series() {
    let d = details("a", t0());
    let mut count = 0;
    for pattern in known_metrics().iter().filter(|p| !HEADLINES.iter().any(|h| h.0 == p.as_str())) {
        let (got, _) = read(pattern, Some(&d));
        assert!(!got.is_empty(), "{pattern} reads something from a full fixture");
        count += got.len();
    }
    assert_eq!(count, d.series().len(), "no figure is read twice or missed");
}

#[test]
fn headline_fields_and_their_aliases() {
    assert_eq!(read("cpu_percent", None).0.get(""), Some(&42.0));
    assert_eq!(read("ram_percent", None).0.get(""), Some(&40.0));
    assert_eq!(read("ram_percentage", None).0.get(""), Some(&40.0));
    assert_eq!(read("tcp_connections", None).0.get(""), Some(&12.0));
    let (none, coverage) = read("cpu_load_15min", None);
    assert!(none.is_empty());
    assert_eq!(coverage, Coverage::Partial);
}

#[test]
fn a_glob_in_the_brackets_is_one_instance_per_match() {
    let d = details("a", t0());
    let (disks, coverage) = read("disk[*].used_percent", Some(&d));
    assert_eq!(disks, BTreeMap::from([("/".to_owned(), 55.0), ("/var".to_owned(), 93.0)]));
    assert_eq!(coverage, Coverage::Complete);
    let (var, _) = read("disk[/v*].used_percent", Some(&d));
    assert_eq!(var.keys().collect::<Vec<_>>(), ["/var"]);
    let (cores, _) = read("cpu*.busy", Some(&d));
    assert_eq!(cores, BTreeMap::from([("cpu0".to_owned(), 25.0), ("cpu1".to_owned(), 35.0)]));
    let (tcp, _) = read("tcp[TIME_*]", Some(&d));
    assert_eq!(tcp, BTreeMap::from([("TIME_WAIT".to_owned(), 3.0)]));
    assert!(Metric::parse("disk[*].used_percent").is_ok_and(|m| m.is_per_instance()));
    assert!(Metric::parse("disk[/].used_percent").is_ok_and(|m| !m.is_per_instance()));
}

#[test]
fn missing_sections_are_partial_readings() {
    let mut d = details("a", t0());
    d.disks.clear();
    d.containers = None;
    assert_eq!(read("disk[*].used_percent", Some(&d)).1, Coverage::Partial);
    assert_eq!(read("container[*].cpu_percent", Some(&d)).1, Coverage::Partial);
    d.containers = Some(vec![]);
    assert_eq!(read("container[*].cpu_percent", Some(&d)).1, Coverage::Complete, "no containers is an answer");
    assert_eq!(read("cpu.busy", None).1, Coverage::Partial);
}

#[test]
fn unknown_names_are_refused_with_the_known_list() {
    for bad in ["cpu", "cpu_pct", "disk[*].used_pct", "disk[/]", "tcp[*].count", "mem.used", "cpux.busy", "nope[*].x"] {
        let err = Metric::parse(bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with(&format!("unknown metric `{bad}`")), "{bad}: {err}");
        assert!(err.contains("disk[*].used_percent"), "{err}");
    }
    assert_eq!(Metric::parse("  ").err(), Some(MetricError::Empty));
    assert!(matches!(Metric::parse("disk[].used_percent"), Err(MetricError::Glob(..))));
}
