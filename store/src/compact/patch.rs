//! A server's facts stored as what changed from an earlier facts row of the same server (its
//! base), not whole: most changes of a server's facts are one login, one container's state, the
//! fullest mount, a small part of the whole (mounts, interfaces, ports, system, containers).
//!
//! A patch is a JSON array of operations, each `[path]` (remove) or `[path, value]` (set), where
//! a path is an array of object keys (strings) and array indexes (numbers) from the root.
//! Objects are compared key by key and arrays of the same length item by item, at any depth;
//! anything else that differs (or an array whose length changed) is replaced whole.

use serde_json::Value;

use crate::error::{Error, Result};

/// The operations that turn `base` into `new` (an empty array when they are equal).
pub(crate) fn diff(base: &Value, new: &Value) -> Value {
    let mut ops = Vec::new();
    diff_into(&mut Vec::new(), base, new, &mut ops);
    Value::Array(ops)
}

fn diff_into(path: &mut Vec<Value>, base: &Value, new: &Value, ops: &mut Vec<Value>) {
    match (base, new) {
        (Value::Object(b), Value::Object(n)) => {
            for (k, nv) in n {
                path.push(Value::String(k.clone()));
                match b.get(k) {
                    Some(bv) => diff_into(path, bv, nv, ops),
                    None => ops.push(Value::Array(vec![Value::Array(path.clone()), nv.clone()])),
                }
                path.pop();
            }
            for k in b.keys().filter(|k| !n.contains_key(*k)) {
                path.push(Value::String(k.clone()));
                ops.push(Value::Array(vec![Value::Array(path.clone())]));
                path.pop();
            }
        }
        (Value::Array(b), Value::Array(n)) if b.len() == n.len() => {
            for (i, (bv, nv)) in b.iter().zip(n).enumerate() {
                path.push(Value::from(i));
                diff_into(path, bv, nv, ops);
                path.pop();
            }
        }
        _ if base == new => {}
        _ => ops.push(Value::Array(vec![Value::Array(path.clone()), new.clone()])),
    }
}

/// `base` with `patch` (made by [`diff`]) applied.
pub(crate) fn apply(mut base: Value, patch: &Value) -> Result<Value> {
    let ops = patch.as_array().ok_or_else(|| bad("not an array"))?;
    for op in ops {
        let (path, value) = match op.as_array().map(Vec::as_slice) {
            Some([Value::Array(path)]) => (path, None),
            Some([Value::Array(path), value]) => (path, Some(value)),
            _ => return Err(bad("an operation is neither [path] nor [path, value]")),
        };
        let Some((last, parents)) = path.split_last() else {
            base = value.cloned().ok_or_else(|| bad("the root removed"))?;
            continue;
        };
        let mut at = &mut base;
        for key in parents {
            at = child(at, key).ok_or_else(|| bad("a path leads nowhere"))?;
        }
        match (at, last, value) {
            (Value::Object(m), Value::String(k), Some(v)) => {
                m.insert(k.clone(), v.clone());
            }
            (Value::Object(m), Value::String(k), None) => {
                m.remove(k);
            }
            (Value::Array(a), Value::Number(i), Some(v)) => {
                let slot =
                    i.as_u64().and_then(|i| a.get_mut(i as usize)).ok_or_else(|| bad("an index past the end"))?;
                *slot = v.clone();
            }
            _ => return Err(bad("an operation does not fit its base")),
        }
    }
    Ok(base)
}

fn child<'a>(v: &'a mut Value, key: &Value) -> Option<&'a mut Value> {
    match (v, key) {
        (Value::Object(m), Value::String(k)) => m.get_mut(k),
        (Value::Array(a), Value::Number(i)) => a.get_mut(usize::try_from(i.as_u64()?).ok()?),
        _ => None,
    }
}

fn bad(what: &str) -> Error {
    Error::Corrupt(format!("stored facts patch: {what}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn round_trip(base: Value, new: Value) -> Value {
        let patch = diff(&base, &new);
        assert_eq!(apply(base, &patch).unwrap(), new, "patch {patch}");
        patch
    }

    #[test]
    fn equal_facts_need_no_operation() {
        let v = json!({"a": 1, "b": [1, 2, {"c": null}]});
        assert_eq!(round_trip(v.clone(), v), json!([]));
    }

    #[test]
    fn only_what_changed_is_kept() {
        let base = json!({"hostname": "web1", "details": {
            "sessions": [{"user": "ann", "tty": "pts/0"}],
            "containers": [{"name": "db", "state": "running"}, {"name": "web", "state": "running"}],
            "disks": [{"mount": "/", "size": 10}, {"mount": "/var", "size": 20}],
            "gone": true,
        }});
        let new = json!({"hostname": "web1", "details": {
            "sessions": [{"user": "ann", "tty": "pts/0"}, {"user": "bob", "tty": "pts/1"}],
            "containers": [{"name": "db", "state": "running"}, {"name": "web", "state": "exited"}],
            "disks": [{"mount": "/", "size": 10}, {"mount": "/var", "size": 20}],
            "added": null,
        }});
        let patch = round_trip(base, new);
        let sorted = |v: Value| {
            let mut ops: Vec<String> = v.as_array().unwrap().iter().map(Value::to_string).collect();
            ops.sort();
            ops
        };
        assert_eq!(
            sorted(patch),
            sorted(json!([
                [["details", "sessions"], [{"user": "ann", "tty": "pts/0"}, {"user": "bob", "tty": "pts/1"}]],
                [["details", "containers", 1, "state"], "exited"],
                [["details", "added"], null],
                [["details", "gone"]],
            ]))
        );
    }

    #[test]
    fn a_changed_kind_or_root_is_replaced_whole() {
        round_trip(json!({"a": {"b": 1}}), json!({"a": [1, 2]}));
        round_trip(json!({"a": 1}), json!([1]));
        round_trip(json!(null), json!({"details": null}));
    }

    #[test]
    fn a_patch_that_does_not_fit_its_base_is_an_error_not_a_panic() {
        let base = json!({"a": {"b": 1}, "l": [1]});
        for patch in [
            json!({"not": "ops"}),
            json!([["a", "b"]]),
            json!([[["x", "y"], 1]]),
            json!([[["l", 5], 1]]),
            json!([[["l", "k"], 1]]),
            json!([[[]]]),
            json!([[["a"], 1, 2]]),
        ] {
            assert!(apply(base.clone(), &patch).is_err(), "{patch}");
        }
    }
}
