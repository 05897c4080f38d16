//! The collector's layers (ARCHITECTURE.md): the schedule drives the cycle, the cycle drives the
//! transports, and below them the data flows one way, program output → parse → sample: `parse`
//! never imports `sample` or `program`, and every module may use the collection protocol.

use std::path::Path;

/// First to last; a module may import its own files and the modules of later layers.
const LAYERS: &[&[&str]] = &[
    &["schedule", "startup", "authorized_keys", "push"],
    &["cycle"],
    &["alerting"],
    &["identity"],
    &["cluster"],
    &["spool"],
    &["local"],
    &["ssh"],
    &["hostkey"],
    &["exec"],
    &["error"],
    &["sample"],
    &["program"],
    &["parse"],
    &["protocol"],
    &["fast_map"],
];

#[test]
fn modules_import_only_later_layers() {
    let wrong = fleetwatch_testkit::layer_violations(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), LAYERS);
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}
