//! How figures read on the page. Pure functions of their inputs (the clock is passed in), except
//! [`now_ms`] and [`local_time`], which ask the browser.

use chrono::{DateTime, Utc};

/// Milliseconds since the Unix epoch, from the browser's clock.
///
/// `chrono::Utc::now()` would panic on wasm32 without chrono's `wasmbind` feature.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn millis(t: &DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64
}

/// Epoch ms as a UTC time (the epoch itself if out of range).
pub fn utc(ms: f64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms as i64).unwrap_or_default()
}

/// `2 min ago` and the like; a time in the future (clock skew) reads `just now`.
pub fn ago(then_ms: f64, now_ms: f64) -> String {
    let secs = ((now_ms - then_ms) / 1000.0).floor();
    if secs < 10.0 {
        "just now".to_owned()
    } else if secs < 60.0 {
        format!("{secs} s ago")
    } else if secs < 3_600.0 {
        format!("{} min ago", (secs / 60.0).floor())
    } else if secs < 86_400.0 {
        format!("{} h ago", (secs / 3_600.0).floor())
    } else {
        format!("{} d ago", (secs / 86_400.0).floor())
    }
}

/// `in 5 min` and the like, for a time to come; `now` once it has come.
pub fn until(then_ms: f64, now_ms: f64) -> String {
    let secs = ((then_ms - now_ms) / 1000.0).ceil();
    if secs <= 0.0 {
        "now".to_owned()
    } else if secs < 60.0 {
        format!("in {secs} s")
    } else if secs < 3_600.0 {
        format!("in {} min", (secs / 60.0).round())
    } else if secs < 86_400.0 {
        format!("in {} h", (secs / 3_600.0).round())
    } else {
        format!("in {} d", (secs / 86_400.0).round())
    }
}

/// The browser's local time of day, with the date in front when it is not today.
pub fn local_time(ms: f64, now_ms: f64) -> String {
    let t = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    let now = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(now_ms));
    let time = format!("{:02}:{:02}:{:02}", t.get_hours(), t.get_minutes(), t.get_seconds());
    let same_day =
        t.get_full_year() == now.get_full_year() && t.get_month() == now.get_month() && t.get_date() == now.get_date();
    if same_day { time } else { format!("{}-{:02}-{:02} {time}", t.get_full_year(), t.get_month() + 1, t.get_date()) }
}

/// An uptime in its two largest units: `12 d 4 h`, `3 h 12 min`, `7 min`.
pub fn uptime(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min")
    }
}

/// The mark of a figure the server did not report.
pub const MISSING: &str = "–";

pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| MISSING.to_owned(), |v| format!("{v:.0}%"))
}

pub fn load(v: Option<f64>) -> String {
    v.map_or_else(|| MISSING.to_owned(), |v| format!("{v:.2}"))
}

/// A figure of unknown unit (an alert's value): at most two decimals, no trailing zeros.
pub fn figure(v: Option<f64>) -> String {
    v.map_or_else(
        || MISSING.to_owned(),
        |v| {
            let s = format!("{v:.2}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".to_owned() } else { s.to_owned() }
        },
    )
}

pub fn count(v: Option<i64>) -> String {
    v.map_or_else(|| MISSING.to_owned(), |v| v.to_string())
}

/// A size in binary units: `512 B`, `7.8 GiB`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n.max(0) as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{v:.0} {}", UNITS[unit]) } else { format!("{v:.1} {}", UNITS[unit]) }
}

/// A rate of bytes in binary units: `1.5 MiB/s`.
pub fn bytes_per_sec(v: f64) -> String {
    format!("{}/s", bytes(v.round() as i64))
}

/// A rate of things: `12.5/s`.
pub fn per_sec(v: f64) -> String {
    format!("{v:.1}/s")
}

/// `used of total`, when both are known.
pub fn used_of(used: Option<i64>, total: Option<i64>) -> Option<String> {
    Some(format!("{} of {}", bytes(used?), bytes(total?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_the_largest_unit() {
        let now = 1_000_000_000.0;
        assert_eq!(ago(now + 5_000.0, now), "just now");
        assert_eq!(ago(now - 3_000.0, now), "just now");
        assert_eq!(ago(now - 42_000.0, now), "42 s ago");
        assert_eq!(ago(now - 150_000.0, now), "2 min ago");
        assert_eq!(ago(now - 7_300_000.0, now), "2 h ago");
        assert_eq!(ago(now - 3.0 * 86_400_000.0, now), "3 d ago");
        assert_eq!(until(now - 1.0, now), "now");
        assert_eq!(until(now + 30_000.0, now), "in 30 s");
        assert_eq!(until(now + 3_600_000.0, now), "in 1 h");
        assert_eq!(until(now + 4.0 * 3_600_000.0 - 5_000.0, now), "in 4 h");
        assert_eq!(until(now + 86_400_000.0, now), "in 1 d");
    }

    #[test]
    fn uptimes_keep_two_units() {
        assert_eq!(uptime(-5), "0 min");
        assert_eq!(uptime(59), "0 min");
        assert_eq!(uptime(7 * 60), "7 min");
        assert_eq!(uptime(3 * 3_600 + 12 * 60 + 9), "3 h 12 min");
        assert_eq!(uptime(12 * 86_400 + 4 * 3_600 + 59), "12 d 4 h");
    }

    #[test]
    fn missing_figures_are_marked_not_zeroed() {
        assert_eq!(percent(None), MISSING);
        assert_eq!(percent(Some(42.4)), "42%");
        assert_eq!(load(Some(0.4)), "0.40");
        assert_eq!(count(Some(0)), "0");
        assert_eq!(count(None), MISSING);
        assert_eq!(figure(None), MISSING);
        assert_eq!(figure(Some(97.0)), "97");
        assert_eq!(figure(Some(0.4567)), "0.46");
        assert_eq!(figure(Some(1_200.5)), "1200.5");
        assert_eq!(figure(Some(-0.001)), "0");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(bytes(-1), "0 B");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(8 * 1024 * 1024 * 1024 - 1), "8.0 GiB");
        assert_eq!(used_of(Some(1536), Some(1 << 20)).as_deref(), Some("1.5 KiB of 1.0 MiB"));
        assert_eq!(used_of(None, Some(1)), None);
        assert_eq!(bytes_per_sec(1536.4), "1.5 KiB/s");
        assert_eq!(per_sec(3.0), "3.0/s");
    }
}
