//! Short messages in a corner: a refresh that worked or failed, the live stream lost or back.

use std::time::Duration;

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Info,
    Success,
    Error,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Success => "success",
            Self::Error => "error",
        }
    }

    /// Errors stay longer: they are the ones to read.
    fn shown_for(self) -> Duration {
        match self {
            Self::Error => Duration::from_secs(10),
            _ => Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: Kind,
    text: String,
}

/// The toasts of the page (a context). `Copy`.
#[derive(Debug, Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

/// At most this many at once; the oldest goes first.
const MAX_SHOWN: usize = 4;

impl Toasts {
    pub fn new() -> Self {
        Self { list: RwSignal::new(Vec::new()), next: StoredValue::new(0) }
    }

    pub fn info(&self, text: impl Into<String>) {
        self.push(Kind::Info, text.into());
    }

    pub fn success(&self, text: impl Into<String>) {
        self.push(Kind::Success, text.into());
    }

    pub fn error(&self, text: impl Into<String>) {
        self.push(Kind::Error, text.into());
    }

    fn push(&self, kind: Kind, text: String) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.list.update(|l| {
            l.push(Toast { id, kind, text });
            if l.len() > MAX_SHOWN {
                l.remove(0);
            }
        });
        let this = *self;
        set_timeout(move || this.dismiss(id), kind.shown_for());
    }

    fn dismiss(&self, id: u64) {
        self.list.try_update(|l| l.retain(|t| t.id != id));
    }
}

/// Where the toasts appear; once, in the app shell.
#[component]
pub fn ToastHost(toasts: Toasts) -> impl IntoView {
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || toasts.list.get() key=|t| t.id let:t>
                <div class=format!("toast toast-{}", t.kind.as_str()) data-testid="toast">
                    <span>{t.text}</span>
                    <button
                        type="button"
                        class="toast-close"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(t.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
