//! A crate's module layers, checked from its source: a module may import (`crate::x`) only
//! itself and modules of later layers, so the data flow stays one way and no circle comes back.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The imports in `src` (a crate's `src/` folder) that go against `layers` (first to last: a
/// module may import its own files and the modules of later layers). `lib.rs` wires everything
/// and `tests.rs` files may drive a sibling, so both are skipped; comments may name anything.
pub fn layer_violations(src: &Path, layers: &[&[&str]]) -> Vec<String> {
    let layer = |module: &str| layers.iter().position(|l| l.contains(&module));
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap_or(&file);
        let first = rel.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
        let module = first.trim_end_matches(".rs");
        if module == "lib" || module == "main" || rel.ends_with("tests.rs") {
            continue;
        }
        let Some(own) = layer(module) else {
            wrong.push(format!("{}: module {module} is in no layer: add it to the layer table", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let code: String =
            text.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
        for used in code.split("crate::").skip(1) {
            let target: String = used.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if target != module && layer(&target).is_none_or(|l| l <= own) {
                wrong.push(format!("{}: {module} imports crate::{target}", rel.display()));
            }
        }
    }
    wrong
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn an_import_back_up_is_reported_and_a_downward_one_is_not() {
        let dir = crate_with(&[
            ("lib.rs", "mod parse; mod sample;"),
            ("sample.rs", "use crate::parse::x;"),
            ("parse/mod.rs", "// crate::sample in a comment is fine\nuse crate::sample::y;"),
        ]);
        let wrong = layer_violations(dir.path(), &[&["sample"], &["parse"]]);
        assert_eq!(wrong, vec!["parse/mod.rs: parse imports crate::sample".to_string()]);
    }

    #[test]
    fn a_module_in_no_layer_is_reported() {
        let dir = crate_with(&[("extra.rs", "")]);
        let wrong = layer_violations(dir.path(), &[&["sample"]]);
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(wrong[0].contains("module extra is in no layer"), "{wrong:?}");
    }
}
