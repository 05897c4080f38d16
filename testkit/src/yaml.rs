//! YAML files (docker-compose.yml, the Kubernetes manifests) read as JSON values, as docker
//! compose and kubectl read them.
//!
//! The parser is `serde_norway`, the maintained fork of the archived `serde_yaml`: the same API
//! (`Value::apply_merge` included), on `unsafe-libyaml-norway`, itself maintained, where the
//! `serde_yaml_ng` fork still builds on the archived `unsafe-libyaml`.

use serde_norway::Value;

/// How deep merge keys may bring merge keys of their own before we give up.
const MAX_MERGE_DEPTH: usize = 8;

/// A YAML document as JSON, with `<<` merge keys applied (as docker compose does).
pub fn yaml(text: &str) -> serde_json::Value {
    let mut value: Value = serde_norway::from_str(text).unwrap_or_else(|e| panic!("invalid YAML: {e}"));
    // A merged mapping may bring merge keys of its own (an anchor built on another anchor).
    for _ in 0..MAX_MERGE_DEPTH {
        value.apply_merge().unwrap_or_else(|e| panic!("YAML merge keys: {e}"));
        if !has_merge_key(&value) {
            return serde_json::to_value(value).unwrap_or_else(|e| panic!("YAML as JSON: {e}"));
        }
    }
    panic!("merge keys nested too deep")
}

fn has_merge_key(v: &Value) -> bool {
    match v {
        Value::Mapping(m) => m.iter().any(|(k, v)| k.as_str() == Some("<<") || has_merge_key(v)),
        Value::Sequence(s) => s.iter().any(has_merge_key),
        _ => false,
    }
}

/// Every document of a multi-document YAML file (separated by `---` lines), as JSON.
pub fn yaml_docs(text: &str) -> Vec<serde_json::Value> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else if let Some(doc) = docs.last_mut() {
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs.iter().map(|d| yaml(d)).filter(|v| !v.is_null()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keys_are_applied_also_when_an_anchor_builds_on_another() {
        let v = yaml(
            "base: &base\n  restart: always\n  image: x\n\
             app: &app\n  <<: *base\n  image: y\n\
             svc:\n  <<: *app\n  ports: [80]\n",
        );
        assert_eq!(v["svc"], serde_json::json!({"restart": "always", "image": "y", "ports": [80]}));
        assert!(!v.to_string().contains("<<"), "{v}");
    }

    #[test]
    fn documents_are_split_and_empty_ones_dropped() {
        let docs = yaml_docs("---\na: 1\n---\n\n---\nb: [2]\n");
        assert_eq!(docs, [serde_json::json!({"a": 1}), serde_json::json!({"b": [2]})]);
    }
}
