//! `performance.mark`s on the way from `/api/servers` to the first cards, read by the bench
//! (`frontend/bench/bench.py`) and shown in the browser's profiler.

use leptos::logging::warn;
use leptos::prelude::window;

pub fn mark(name: &str) {
    if let Some(p) = window().performance()
        && let Err(e) = p.mark(name)
    {
        warn!("performance.mark failed: {e:?}");
    }
}
