//! Data fetched from the API that stays on screen while it is fetched again: a failed or slow
//! reload shows above the last good answer instead of replacing it, and an answer that arrives
//! after a newer request was made is dropped.

use std::future::Future;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiError;
use crate::fleet::Fleet;
use crate::format::now_ms;
use crate::toast::Toasts;

pub struct Remote<T: Send + Sync + 'static> {
    pub data: RwSignal<Option<T>>,
    pub error: RwSignal<Option<ApiError>>,
    pub loading: RwSignal<bool>,
    seq: StoredValue<u64>,
}

impl<T: Send + Sync + 'static> Clone for Remote<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for Remote<T> {}

impl<T: Send + Sync + 'static> Remote<T> {
    pub fn new() -> Self {
        Self {
            data: RwSignal::new(None),
            error: RwSignal::new(None),
            loading: RwSignal::new(false),
            seq: StoredValue::new(0),
        }
    }

    /// Starts a request; its answer replaces the data unless a newer request was started since.
    pub fn load(&self, request: impl Future<Output = Result<T, ApiError>> + 'static) {
        let this = *self;
        let Some(n) = this.seq.try_update_value(|s| {
            *s += 1;
            *s
        }) else {
            return;
        };
        this.loading.try_set(true);
        spawn_local(async move {
            let result = request.await;
            // The page may be gone, or a newer request under way.
            if this.seq.try_get_value() != Some(n) {
                return;
            }
            match result {
                Ok(v) => {
                    this.data.try_set(Some(v));
                    this.error.try_set(None);
                }
                Err(e) => {
                    this.error.try_set(Some(e));
                }
            }
            this.loading.try_set(false);
        });
    }

    /// A toast when a load fails after one that did not: a run of failed reloads is told once
    /// (the view shows the error where its data is).
    pub fn toast_failures(&self, toasts: Toasts, what: &'static str) {
        let error = self.error;
        Effect::new(move |was_failing: Option<bool>| {
            let failing = error.with(Option::is_some);
            if failing
                && !was_failing.unwrap_or(false)
                && let Some(e) = error.get_untracked()
            {
                toasts.error(format!("{what}: {e}"));
            }
            failing
        });
    }
}

/// Runs `f` now and again whenever the fleet receives news, at most once per `gap` (a burst of
/// live updates gives one call at its start and one after it).
pub fn on_fleet_news(fleet: Fleet, gap: Duration, f: impl Fn() + Clone + 'static) {
    let last = StoredValue::new(f64::NEG_INFINITY);
    let trailing = StoredValue::new(false);
    Effect::new(move |_| {
        fleet.updated.track();
        let now = now_ms();
        let since = now - last.get_value();
        let gap_ms = gap.as_millis() as f64;
        if since >= gap_ms {
            last.set_value(now);
            f();
        } else if !trailing.get_value() {
            trailing.set_value(true);
            let f = f.clone();
            set_timeout(
                move || {
                    // Gone with its page: nothing to do.
                    if trailing.try_set_value(false).is_none() {
                        last.set_value(now_ms());
                        f();
                    }
                },
                Duration::from_millis((gap_ms - since).max(0.0) as u64),
            );
        }
    });
}
