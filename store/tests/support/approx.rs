//! Comparing what comes back from compact storage with what went in.

#![allow(dead_code)]

use serde_json::Value;

/// Floats come back with 7 significant digits (store/src/compact/quantize.rs).
pub const RELATIVE: f64 = 5.0e-7;

/// The lists' shares of CPU and memory (a top process's, a user's) come back to hundredths of
/// a percent (store/src/compact/block.rs).
pub const SHARE: f64 = 0.005;

fn is_share(path: &str) -> bool {
    (path.contains("processes_by_") && (path.ends_with(".cpu_percent") || path.ends_with(".mem_percent")))
        || (path.contains("users[") && (path.ends_with(".cpu") || path.ends_with(".mem")))
}

/// `got` equals `want` except for floats, which may differ within the digits kept; integers
/// and texts are exact.
pub fn close(path: &str, want: &Value, got: &Value) {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) if (a.is_f64() || b.is_f64()) && is_share(path) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= SHARE + 1e-9, "{path}: {a} came back as {b}");
        }
        (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= RELATIVE * a.abs() + 1e-12, "{path}: {a} came back as {b}");
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: length");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                close(&format!("{path}[{i}]"), x, y);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{path}: fields");
            for (k, x) in a {
                close(&format!("{path}.{k}"), x, &b[k]);
            }
        }
        _ => assert_eq!(want, got, "{path}"),
    }
}

pub fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}
