//! The workspace's layering, as ARCHITECTURE.md states it ("Architecture invariants"): which
//! crate may depend on which. Data flows one way (config → schedule → ssh → parse → sample →
//! store → api → frontend), so no crate may name one further up, and `testkit` is never a normal
//! dependency.

#![allow(clippy::expect_used)]

use std::path::Path;

/// Each library crate, and the workspace crates it may use as a normal dependency.
const ALLOWED: &[(&str, &[&str])] = &[
    ("common", &[]),
    ("alerts", &["fleetwatch-common"]),
    ("configuration", &["fleetwatch-common", "fleetwatch-alerts"]),
    ("store", &["fleetwatch-common", "fleetwatch-alerts"]),
    ("collector", &["fleetwatch-common", "fleetwatch-config", "fleetwatch-store", "fleetwatch-alerts"]),
    ("api", &["fleetwatch-common", "fleetwatch-store", "fleetwatch-alerts"]),
    ("frontend", &["fleetwatch-common", "fleetwatch-alerts"]),
    ("testkit", &[]),
];

fn manifest(dir: &str) -> toml::Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn workspace_deps(m: &toml::Table, section: &str) -> Vec<String> {
    m.get(section)
        .and_then(|d| d.as_table())
        .map(|d| d.keys().filter(|k| k.starts_with("fleetwatch")).cloned().collect())
        .unwrap_or_default()
}

#[test]
fn every_workspace_crate_is_in_the_layer_table() {
    let root = manifest(".");
    let members = root["workspace"]["members"].as_array().expect("workspace.members");
    for member in members.iter().filter_map(|m| m.as_str()).filter(|m| *m != ".") {
        assert!(
            ALLOWED.iter().any(|(name, _)| *name == member),
            "crate {member} is not in tests/architecture.rs: say which crates it may use (and in ARCHITECTURE.md)"
        );
    }
}

#[test]
fn crates_depend_only_on_crates_below_them() {
    let mut wrong = Vec::new();
    for (dir, allowed) in ALLOWED {
        if !Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join("Cargo.toml").exists() {
            continue;
        }
        let m = manifest(dir);
        for dep in workspace_deps(&m, "dependencies") {
            if !allowed.contains(&dep.as_str()) {
                wrong.push(format!("{dir} depends on {dep}"));
            }
        }
    }
    assert!(wrong.is_empty(), "dependencies against the layers (ARCHITECTURE.md):\n{}", wrong.join("\n"));
}

#[test]
fn testkit_is_only_ever_a_dev_dependency() {
    let mut dirs: Vec<&str> = ALLOWED.iter().map(|(d, _)| *d).collect();
    dirs.push(".");
    for dir in dirs {
        if !Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join("Cargo.toml").exists() {
            continue;
        }
        let m = manifest(dir);
        assert!(
            !workspace_deps(&m, "dependencies").iter().any(|d| d == "fleetwatch-testkit"),
            "{dir}: fleetwatch-testkit is a normal dependency; it may only be a dev-dependency"
        );
    }
}
