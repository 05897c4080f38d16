//! A page's view settings kept in its query string (`/users?sort=cpu&dir=desc`), so that what is
//! on screen can be bookmarked and shared.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

type Navigate = Box<dyn Fn(&str, NavigateOptions)>;

/// Reads and writes the query string of the current page. `Copy`.
#[derive(Clone, Copy)]
pub struct Query {
    map: Memo<leptos_router::params::ParamsMap>,
    navigate: StoredValue<Navigate, LocalStorage>,
}

impl Query {
    pub fn new() -> Self {
        let navigate = use_navigate();
        let navigate: Navigate = Box::new(move |u: &str, o| navigate(u, o));
        Self { map: use_query_map(), navigate: StoredValue::new_local(navigate) }
    }

    /// A parameter, `""` when absent (tracked).
    pub fn get(&self, key: &'static str) -> String {
        self.map.with(|m| m.get(key)).unwrap_or_default()
    }

    pub fn get_untracked(&self, key: &'static str) -> String {
        self.map.with_untracked(|m| m.get(key)).unwrap_or_default()
    }

    /// A parameter as a derived signal.
    pub fn signal(&self, key: &'static str) -> Signal<String> {
        let map = self.map;
        Signal::derive(move || map.with(|m| m.get(key)).unwrap_or_default())
    }

    /// Sets parameters (an empty value removes it) as a new history entry: the browser's back
    /// button returns to the previous view (range, moment, filter, sort, …).
    pub fn set(&self, updates: &[(&str, &str)]) {
        self.go(updates, false);
    }

    /// [`Query::set`] for what changes with each keystroke (a search box): replaces the
    /// history entry, so that back does not step through every letter.
    pub fn set_typed(&self, updates: &[(&str, &str)]) {
        self.go(updates, true);
    }

    fn go(&self, updates: &[(&str, &str)], replace: bool) {
        let location = window().location();
        let path = location.pathname().unwrap_or_else(|_| "/".into());
        let search = location.search().unwrap_or_default();
        let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
            return;
        };
        for (k, v) in updates {
            if v.is_empty() {
                params.delete(k);
            } else {
                params.set(k, v);
            }
        }
        let qs: String = params.to_string().into();
        if format!("?{qs}") == search || (qs.is_empty() && search.is_empty()) {
            return; // Nothing changes: no history entry.
        }
        let url = if qs.is_empty() { path } else { format!("{path}?{qs}") };
        self.navigate.with_value(|go| go(&url, NavigateOptions { replace, scroll: false, ..Default::default() }));
    }
}
