use super::*;
use crate::sample::fixtures::{at, snapshot};

#[test]
fn memory_disk_and_swap_figures() {
    let built = build("s", at(), &snapshot(1000, vec![], &[]), None).unwrap_or_else(|e| panic!("{e}"));
    let s = &built.sample;
    assert_eq!(s.ram_percentage, Some(75.0));
    assert_eq!(s.ram_used_bytes, Some(4096 * 750));
    assert_eq!(s.swap_percentage, Some(0.0));
    assert_eq!(s.disk_percentage, Some(90.0));
    assert_eq!(s.disk_mount.as_deref(), Some("/data"));
    assert_eq!(s.cpu_percent, None);
    assert_eq!(s.cpu_cores, Some(2));
}

#[test]
fn nothing_parsed_is_an_error() {
    let snap = Snapshot { errors: vec![SectionError::new("stat", "section missing")], ..Snapshot::default() };
    let err = build("s", at(), &snap, None).err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("no usable section in the output (stat: section missing)"));
}
