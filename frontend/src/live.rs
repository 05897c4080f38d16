//! Keeping [`Fleet`] current: a full load at start, then the server-sent events of `/api/events`.
//!
//! When the stream drops (server restarted, a proxy cut it), the page polls `/api/servers` every
//! `refresh_secs` and keeps reopening the stream with a growing delay; once it is back, one full
//! load catches up with what was missed. While the tab is hidden nothing is open and nothing is
//! asked. Events are applied once per animation frame, in batches, so a burst of five hundred
//! updates costs one redraw of the cards that changed. `alert` events (an alert's change) make
//! [`Alerts`] ask for the alerts again; so do a reconnection and a `resync`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use fleetwatch_common::ServerEvent;
use leptos::logging::{error, warn};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{EventSource, MessageEvent, VisibilityState};

use crate::alerts::Alerts;
use crate::api::Client;
use crate::fleet::{Fleet, Link};
use crate::format::now_ms;
use crate::perf;
use crate::toast::Toasts;

const EVENTS_URL: &str = "/api/events";
/// How often "2 min ago" is brought up to date.
const CLOCK_TICK: Duration = Duration::from_secs(10);
/// Reopening a stream the browser gave up on: 1 s, 2 s, 4 s … at most this.
const MAX_RETRY: Duration = Duration::from_secs(30);
/// Never poll faster than this, whatever `/api/ui-config` says.
const MIN_POLL_SECS: u64 = 2;

type Shared = Rc<RefCell<Conn>>;

/// The live connection: what must be closed or cancelled when it changes.
#[derive(Default)]
struct Conn {
    source: Option<EventSource>,
    /// The source's handlers; dropped with it.
    handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    poll: Option<IntervalHandle>,
    retry: Option<TimeoutHandle>,
    /// Reopening attempts since the stream was last open.
    attempts: u32,
    /// The stream was lost: events may have been missed.
    lost: bool,
    pending: Vec<ServerEvent>,
    flush_scheduled: bool,
}

/// Starts everything; called once by the app shell.
pub fn start(fleet: Fleet, alerts: Alerts, toasts: Toasts) {
    let conn: Shared = Rc::default();
    load_ui_config(conn.clone(), fleet, toasts);
    refresh(fleet, toasts, false);
    open(&conn, fleet, alerts, toasts);

    let c = conn.clone();
    let on_visibility = Closure::<dyn FnMut()>::new(move || {
        if hidden() {
            pause(&c, fleet);
        } else {
            refresh(fleet, toasts, false);
            alerts.reload();
            open(&c, fleet, alerts, toasts);
        }
    });
    if let Err(e) =
        document().add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref())
    {
        error!("cannot watch the tab's visibility: {e:?}");
    }
    // The app lives as long as the page: so does this listener.
    on_visibility.forget();

    if let Err(e) = set_interval_with_handle(move || fleet.now.set(now_ms()), CLOCK_TICK) {
        error!("cannot start the clock: {e:?}");
    }
}

/// Loads every server again (`manual`: the user asked, so say how it went).
pub fn refresh(fleet: Fleet, toasts: Toasts, manual: bool) {
    if fleet.loading.get_untracked() {
        return;
    }
    fleet.loading.set(true);
    spawn_local(async move {
        let result = Client::default().servers().await;
        perf::mark("fw:servers-parsed");
        let now = now_ms();
        fleet.now.set(now);
        match result {
            Ok(list) => {
                let n = list.len();
                fleet.replace_all(list, now);
                perf::mark("fw:servers-applied");
                if manual {
                    toasts.success(format!("Refreshed {n} {}", if n == 1 { "server" } else { "servers" }));
                }
            }
            Err(e) => {
                if manual || fleet.failure.with_untracked(Option::is_none) {
                    toasts.error(format!("Refresh failed: {e}"));
                }
                fleet.failure.set(Some(e));
            }
        }
        fleet.loading.set(false);
    });
}

fn load_ui_config(conn: Shared, fleet: Fleet, toasts: Toasts) {
    spawn_local(async move {
        match Client::default().ui_config().await {
            Ok(cfg) => {
                fleet.refresh_secs.set(cfg.refresh_secs.max(MIN_POLL_SECS));
                fleet.version.set(Some(cfg.version));
                // A poll started before the answer uses the default period: restart it.
                let polling = conn.borrow_mut().poll.take();
                if let Some(handle) = polling {
                    handle.clear();
                    start_polling(&conn, fleet, toasts);
                }
            }
            Err(e) => warn!("no /api/ui-config ({e}); polling every {} s", fleet.refresh_secs.get_untracked()),
        }
    });
}

fn hidden() -> bool {
    document().visibility_state() == VisibilityState::Hidden
}

/// Opens the stream (closing any previous one), unless the tab is hidden.
fn open(conn: &Shared, fleet: Fleet, alerts: Alerts, toasts: Toasts) {
    close(conn);
    if hidden() {
        fleet.link.set(Link::Paused);
        return;
    }
    let source = match EventSource::new(EVENTS_URL) {
        Ok(s) => s,
        Err(e) => {
            error!("cannot open {EVENTS_URL}: {e:?}");
            lost(conn, fleet, alerts, toasts);
            return;
        }
    };
    if fleet.link.get_untracked() != Link::Polling {
        fleet.link.set(Link::Connecting);
    }

    let c = conn.clone();
    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        let was_lost = {
            let mut conn = c.borrow_mut();
            conn.attempts = 0;
            std::mem::take(&mut conn.lost)
        };
        stop_polling(&c);
        fleet.link.set(Link::Live);
        if was_lost {
            toasts.info("Live updates are back");
            refresh(fleet, toasts, false);
            alerts.reload();
        }
    });
    let c = conn.clone();
    let on_server = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let Some(text) = e.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) else {
            return;
        };
        match serde_json::from_str::<ServerEvent>(&text) {
            Ok(event) => queue(&c, fleet, event),
            Err(e) => warn!("ignoring a server event that does not parse: {e}"),
        }
    });
    let c = conn.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| lost(&c, fleet, alerts, toasts));
    // The server skipped events for this client (it fell behind): reload everything once.
    let on_resync = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        refresh(fleet, toasts, false);
        alerts.reload();
    });
    // An alert changed: its data is not needed, the alerts are asked for again (once per burst).
    let on_alert = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| alerts.on_alert_event());

    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    if let Err(e) = source.add_event_listener_with_callback("server", on_server.as_ref().unchecked_ref()) {
        error!("cannot listen to server events: {e:?}");
    }
    if let Err(e) = source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref()) {
        error!("cannot listen to resync events: {e:?}");
    }
    if let Err(e) = source.add_event_listener_with_callback("alert", on_alert.as_ref().unchecked_ref()) {
        error!("cannot listen to alert events: {e:?}");
    }
    let mut c = conn.borrow_mut();
    c.source = Some(source);
    c.handlers = vec![on_open, on_server, on_error, on_resync, on_alert];
}

/// The stream failed: poll until it is back, and reopen it if the browser gave up on it.
fn lost(conn: &Shared, fleet: Fleet, alerts: Alerts, toasts: Toasts) {
    if hidden() {
        pause(conn, fleet);
        return;
    }
    let was_live = fleet.link.get_untracked() == Link::Live;
    conn.borrow_mut().lost = true;
    fleet.link.set(Link::Polling);
    if was_live {
        toasts.error(format!(
            "Live updates lost: checking every {} s until they are back",
            fleet.refresh_secs.get_untracked()
        ));
    }
    start_polling(conn, fleet, toasts);

    let given_up = conn.borrow().source.as_ref().is_none_or(|s| s.ready_state() == EventSource::CLOSED);
    if given_up && conn.borrow().retry.is_none() {
        close(conn);
        let attempts = {
            let mut c = conn.borrow_mut();
            c.attempts = c.attempts.saturating_add(1);
            c.attempts
        };
        let delay = Duration::from_secs(1 << attempts.min(5)).min(MAX_RETRY);
        let c = conn.clone();
        match set_timeout_with_handle(
            move || {
                c.borrow_mut().retry = None;
                open(&c, fleet, alerts, toasts);
            },
            delay,
        ) {
            Ok(handle) => conn.borrow_mut().retry = Some(handle),
            Err(e) => error!("cannot schedule a reconnection: {e:?}"),
        }
    }
}

fn pause(conn: &Shared, fleet: Fleet) {
    close(conn);
    stop_polling(conn);
    if let Some(handle) = conn.borrow_mut().retry.take() {
        handle.clear();
    }
    fleet.link.set(Link::Paused);
}

fn close(conn: &Shared) {
    let (source, handlers) = {
        let mut c = conn.borrow_mut();
        (c.source.take(), std::mem::take(&mut c.handlers))
    };
    if let Some(s) = source {
        s.set_onopen(None);
        s.set_onerror(None);
        s.close();
    }
    drop(handlers);
}

fn start_polling(conn: &Shared, fleet: Fleet, toasts: Toasts) {
    if conn.borrow().poll.is_some() {
        return;
    }
    let period = Duration::from_secs(fleet.refresh_secs.get_untracked().max(MIN_POLL_SECS));
    // Polls are quiet: the connection indicator already says the page is polling.
    match set_interval_with_handle(move || refresh(fleet, toasts, false), period) {
        Ok(handle) => conn.borrow_mut().poll = Some(handle),
        Err(e) => error!("cannot start polling: {e:?}"),
    }
}

fn stop_polling(conn: &Shared) {
    if let Some(handle) = conn.borrow_mut().poll.take() {
        handle.clear();
    }
}

/// Keeps an event until the next animation frame, then applies all that came meanwhile.
fn queue(conn: &Shared, fleet: Fleet, event: ServerEvent) {
    let schedule = {
        let mut c = conn.borrow_mut();
        c.pending.push(event);
        !std::mem::replace(&mut c.flush_scheduled, true)
    };
    if schedule {
        let c = conn.clone();
        request_animation_frame(move || {
            let batch = {
                let mut c = c.borrow_mut();
                c.flush_scheduled = false;
                std::mem::take(&mut c.pending)
            };
            fleet.apply(batch, now_ms());
        });
    }
}
