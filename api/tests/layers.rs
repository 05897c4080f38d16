//! The crate's layers (see the opening of `src/lib.rs`): a module imports only modules of
//! later layers, so the fleet view and the live-stream hub never reach a handler, and no
//! import circle can come back.

use std::path::Path;

/// First to last; a module may import its own files and the modules of later layers.
const LAYERS: &[&[&str]] = &[
    &["router", "serve"],
    &["openapi"],
    &["handlers"],
    &["extract", "params", "schemas", "export", "metrics", "security"],
    &["state"],
    &["auth"],
    &["events", "ingest"],
    &["fleet", "rules"],
    &["error"],
];

#[test]
fn modules_import_only_later_layers() {
    let wrong = fleetwatch_testkit::layer_violations(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), LAYERS);
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}
