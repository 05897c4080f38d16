//! A change asked of the API from a button (acknowledge, silence, delete): busy while it runs,
//! and a toast either way, so a failure is never silent.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiError;
use crate::toast::Toasts;

/// Runs `request` unless `busy` (set meanwhile). On success the toast says `done_text` and
/// `done` gets the answer; on failure the toast says `failed_text` and why.
pub fn run<T: 'static>(
    busy: RwSignal<bool>,
    (done_text, failed_text): (String, String),
    request: impl Future<Output = Result<T, ApiError>> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    let toasts = expect_context::<Toasts>();
    spawn_local(async move {
        match request.await {
            Ok(v) => {
                toasts.success(done_text);
                done(v);
            }
            Err(e) => toasts.error(format!("{failed_text}: {e}")),
        }
        busy.try_set(false);
    });
}
