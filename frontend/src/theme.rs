//! Light and dark. The system's choice applies until the user picks one with the toggle; the
//! pick is kept in `localStorage` and set on `<html data-theme>` (index.html applies it before
//! the first paint, so a reload does not flash the other theme).

use leptos::logging::warn;
use leptos::prelude::*;

const KEY: &str = "fleetwatch-theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "light" => Some(Self::Light),
            "dark" => Some(Self::Dark),
            _ => None,
        }
    }

    fn other(self) -> Self {
        match self {
            Self::Light => Self::Dark,
            Self::Dark => Self::Light,
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The remembered pick, else the system's preference.
fn initial() -> Theme {
    let saved = storage().and_then(|s| s.get_item(KEY).ok().flatten()).and_then(|v| Theme::parse(&v));
    saved.unwrap_or_else(|| {
        let dark = window().match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches());
        if dark { Theme::Dark } else { Theme::Light }
    })
}

fn apply(theme: Theme) {
    if let Some(root) = document().document_element()
        && let Err(e) = root.set_attribute("data-theme", theme.as_str())
    {
        warn!("cannot set the theme: {e:?}");
    }
}

/// The button that switches between light and dark and remembers the choice.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(initial());
    let toggle = move |_| {
        let next = theme.get_untracked().other();
        theme.set(next);
        apply(next);
        match storage() {
            Some(s) => {
                if let Err(e) = s.set_item(KEY, next.as_str()) {
                    warn!("cannot remember the theme: {e:?}");
                }
            }
            None => warn!("no localStorage: the theme will not be remembered"),
        }
    };
    view! {
        <button
            type="button"
            class="icon-button theme-toggle"
            data-testid="theme-toggle"
            data-theme=move || theme.get().as_str()
            aria-label=move || format!("Switch to {} mode", theme.get().other().as_str())
            title=move || format!("Switch to {} mode", theme.get().other().as_str())
            on:click=toggle
        >
            {move || if theme.get() == Theme::Dark { "☾" } else { "☀" }}
        </button>
    }
}
