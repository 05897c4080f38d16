//! The children of an element kept in step with a list of keys that gains and loses items but
//! never reorders them, such as a window sliding over a sorted list: a new key's view is inserted
//! at its place, a gone key's view is removed, and every other view is left where it is.
//!
//! Leptos' `<For>` would do, but its diff (tachys 0.2.19, `group_adjacent_moves`) merges the
//! items that need no DOM move into the move of the items before them, so adding items in front
//! moves every kept item: each row the dashboard's window moved upwards re-inserted, restyled and
//! re-laid out every built card (a frame cost three times that of a row downwards).

use std::collections::HashSet;

use leptos::html::Section;
use leptos::prelude::*;
use leptos::tachys::reactive_graph::{OwnedView, OwnedViewState};
use leptos::tachys::view::any_view::AnyViewState;
use leptos::tachys::view::{Mountable, Render};
use web_sys::Element;

type Child = (String, OwnedViewState<AnyViewState>);

/// Appends to `parent` one `view(key)` per key of `keys`, in order, and keeps them in step. Each
/// view has a reactive owner of its own, disposed when its key goes.
pub fn ordered_children(parent: NodeRef<Section>, keys: Memo<Vec<String>>, view: impl Fn(String) -> AnyView + 'static) {
    // Children of the calling component, not of the effect below (whose owner is cleared each run).
    let Some(owner) = Owner::current() else {
        leptos::logging::error!("ordered_children needs a reactive owner");
        return;
    };
    let children = StoredValue::new_local(Vec::<Child>::new());
    let build = move |key: &str| {
        let child = owner.with(Owner::new);
        let v = child.with(|| view(key.to_owned()));
        OwnedView::new_with_owner(v, child).build()
    };
    Effect::new(move |_| {
        let keys = keys.get();
        if let Some(parent) = parent.get() {
            untrack(|| children.update_value(|c| sync(c, &keys, &parent, &build)));
        }
    });
}

fn sync(
    children: &mut Vec<Child>,
    keys: &[String],
    parent: &Element,
    build: &dyn Fn(&str) -> OwnedViewState<AnyViewState>,
) {
    let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
    children.retain_mut(|(key, state)| {
        let keep = wanted.contains(key.as_str());
        if !keep {
            state.unmount();
        }
        keep
    });
    // What is left comes in the order of `keys` (always, for a window over one sorted list); if
    // it ever did not, start over rather than move anything.
    let mut rest = keys.iter();
    if !children.iter().all(|(key, _)| rest.any(|k| k == key)) {
        for (_, state) in children.iter_mut() {
            state.unmount();
        }
        children.clear();
    }
    let mut old = std::mem::take(children).into_iter().peekable();
    let mut new: Vec<Child> = Vec::with_capacity(keys.len());
    // New views not in the page yet: they go right before the next kept view that is in the page
    // (one that renders nothing has no place to go before), or at the end.
    let mut waiting: Vec<usize> = Vec::new();
    for key in keys {
        if let Some(kept) = old.next_if(|(k, _)| k == key) {
            waiting.retain(|&i| !kept.1.insert_before_this(&mut new[i].1));
            new.push(kept);
        } else {
            waiting.push(new.len());
            new.push((key.clone(), build(key)));
        }
    }
    for i in waiting {
        new[i].1.mount(parent, None);
    }
    *children = new;
}
