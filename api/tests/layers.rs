//! The crate's layers (see the opening of `src/lib.rs`): a module imports only modules of
//! later layers, so the fleet view and the live-stream hub never reach a handler, and no
//! import circle can come back.

use std::path::Path;

/// First to last; a module may import its own files and the modules of later layers.
const LAYERS: &[&[&str]] =
    &[&["router"], &["handlers"], &["extract", "params", "export"], &["state"], &["events"], &["fleet"], &["error"]];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_import_only_later_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap_or(&file);
        let first = rel.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
        let module = first.trim_end_matches(".rs");
        // The crate root wires everything; unit tests may reach a sibling to drive their module.
        if module == "lib" || rel.ends_with("tests.rs") {
            continue;
        }
        let Some(own) = layer(module) else {
            wrong.push(format!("{}: module {module} is in no layer: add it to LAYERS and lib.rs", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // Code only: comments may name any module.
        let code: String =
            text.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
        for used in code.split("crate::").skip(1) {
            let target: String = used.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let ok = target == module || layer(&target).is_some_and(|l| l > own);
            if !ok {
                wrong.push(format!("{}: {module} imports crate::{target}", rel.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}
