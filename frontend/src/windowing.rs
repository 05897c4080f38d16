//! Windowed ("virtual") rendering of a card grid that scrolls with the page: only the rows within
//! about a screen of the viewport are built, and the grid's padding stands in for the rows above
//! and below, so the scrollbar is true and nothing jumps while the window moves.
//!
//! The grid's CSS is the one source of its shape: the column count is read from the resolved
//! `grid-template-columns` (so `auto-fill` and the phone layout's single column just work), the
//! row height from `grid-auto-rows` and the gap from `row-gap`. Every card must fit its row.
//!
//! The window follows `scroll` and `resize`, measured in the event itself: browsers fire both at
//! most once per frame, in the frame's own update, so the cards are built before that frame is
//! drawn (a `requestAnimationFrame` asked for from the event runs a frame later in Chromium). It
//! follows focus too: a card reached with Tab is scrolled to by the browser, and the window moves
//! with it at once, before the next key press, so tabbing walks through every card.

use std::time::Duration;

use leptos::ev;
use leptos::html::Section;
use leptos::prelude::*;
use web_sys::HtmlElement;

/// Items built before the grid could be measured (it is not laid out yet).
const UNMEASURED: usize = 24;

/// The grid's shape and where it is on screen, as measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    pub cols: usize,
    /// A row's height plus the gap below it, in px.
    pub pitch: f64,
    /// The grid's top edge relative to the viewport's top, in px (negative once scrolled past).
    pub top: f64,
    /// The viewport's height, in px.
    pub view: f64,
}

/// The items to build, `start..end`, and the padding that holds the place of the others.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Window {
    pub start: usize,
    pub end: usize,
    /// In px.
    pub pad_top: f64,
    pub pad_bottom: f64,
}

impl Window {
    /// The rows of `count` items that come within `margin` px of the viewport; at least one row
    /// while there are items, so that the window never falls off the end of a list that shrank.
    pub fn over(count: usize, g: Geometry, margin: f64) -> Self {
        if count == 0 {
            return Self::default();
        }
        if g.cols == 0 || g.pitch.is_nan() || g.pitch <= 0.0 {
            return Self::unmeasured(count);
        }
        let rows = count.div_ceil(g.cols);
        // The part of the grid to build, in px from its top edge (`as` saturates and maps NaN to 0).
        let from = (-g.top - margin).max(0.0);
        let to = (g.view - g.top + margin).max(0.0);
        let first = ((from / g.pitch).floor() as usize).min(rows - 1);
        let last = ((to / g.pitch).ceil() as usize).clamp(first + 1, rows);
        Self {
            start: first * g.cols,
            end: (last * g.cols).min(count),
            pad_top: first as f64 * g.pitch,
            pad_bottom: (rows - last) as f64 * g.pitch,
        }
    }

    /// The first few items, before the grid has been measured.
    pub fn unmeasured(count: usize) -> Self {
        Self { start: 0, end: count.min(UNMEASURED), pad_top: 0.0, pad_bottom: 0.0 }
    }
}

/// Keeps a [`Window`] over `count` items for the grid `grid` (which must be in the page while
/// its component lives), following scroll, resize, focus, and changes of `count`. The margin is
/// a screen and a row above and below, so that a whole screen scrolled per frame (the compositor
/// scrolls ahead of the page by a frame) still finds the cards built; but the first items to come
/// are only those on screen, and the margin follows once they are painted: the first screen is
/// drawn sooner.
pub fn use_window(grid: NodeRef<Section>, count: Signal<usize>) -> Memo<Window> {
    let geometry = RwSignal::new(None::<Geometry>);
    let with_margin = RwSignal::new(false);
    let remeasure = move || {
        if let Some(el) = grid.get_untracked() {
            let g = measure(&el);
            if geometry.with_untracked(|old| *old != g) {
                geometry.set(g);
            }
        }
    };
    let pending = StoredValue::new(false);
    let schedule = move || {
        if !pending.get_value() {
            pending.set_value(true);
            request_animation_frame(move || {
                if pending.try_set_value(false).is_none() {
                    remeasure();
                }
            });
        }
    };
    let on_scroll = window_event_listener(ev::scroll, move |_| remeasure());
    let on_resize = window_event_listener(ev::resize, move |_| remeasure());
    // Focus scrolls the focused card into view synchronously: follow it now, so that the next
    // card is in the page before the next Tab is handled.
    let on_focus = window_event_listener(ev::focusin, move |_| remeasure());
    on_cleanup(move || {
        on_scroll.remove();
        on_resize.remove();
        on_focus.remove();
    });
    // Mounted, or the list changed (a load, a filter): the grid may have moved or been laid out
    // for the first time. Measured in the next frame, after this change is in the page.
    Effect::new(move |_| {
        grid.track();
        let n = count.get();
        schedule();
        if n > 0 && !with_margin.get_untracked() {
            // After the frame that paints the first items: a task of its own, after that frame.
            request_animation_frame(move || {
                set_timeout(
                    move || {
                        with_margin.try_set(true);
                    },
                    Duration::ZERO,
                )
            });
        }
    });
    Memo::new(move |_| {
        let n = count.get();
        match geometry.get() {
            Some(g) => Window::over(n, g, if with_margin.get() { g.view + g.pitch } else { 0.0 }),
            None => Window::unmeasured(n),
        }
    })
}

/// The grid's geometry, or `None` while it is not laid out (not in the page, or hidden).
fn measure(el: &HtmlElement) -> Option<Geometry> {
    let win = window();
    let style = win.get_computed_style(el).ok().flatten()?;
    let get = |name: &str| style.get_property_value(name).ok();
    // Resolved to one length per column only while the grid is laid out.
    let columns = get("grid-template-columns")?;
    if columns.contains('(') {
        return None;
    }
    let cols = columns.split_whitespace().filter(|t| px(t).is_some()).count();
    let row = px(&get("grid-auto-rows")?)?;
    let gap = get("row-gap").as_deref().and_then(px).unwrap_or(0.0);
    let view = win.inner_height().ok()?.as_f64()?;
    (cols > 0 && row > 0.0).then(|| Geometry { cols, pitch: row + gap, top: el.get_bounding_client_rect().top(), view })
}

/// `"12.5px"` → 12.5.
fn px(value: &str) -> Option<f64> {
    value.trim().strip_suffix("px")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 4 columns, rows 250 px high with a 10 px gap, a 900 px viewport.
    fn at(top: f64) -> Geometry {
        Geometry { cols: 4, pitch: 260.0, top, view: 900.0 }
    }

    #[test]
    fn the_window_holds_the_viewport_and_a_screen_either_side() {
        // At the top of the page, the grid 150 px down: rows 0..3 are on screen, 4 more below.
        let w = Window::over(500, at(150.0), 900.0);
        assert_eq!((w.start, w.end, w.pad_top), (0, 4 * 7, 0.0));
        assert_eq!(w.pad_bottom, (125 - 7) as f64 * 260.0);
        // Scrolled 10,000 px down: the grid from 9,850 to 10,750 px is on screen.
        let w = Window::over(500, at(150.0 - 10_000.0), 900.0);
        let (first, last) = ((9_850.0 - 900.0) / 260.0, (10_750.0 + 900.0) / 260.0);
        assert_eq!(w.start, 4 * (first as usize));
        assert_eq!(w.end, 4 * (last as usize + 1));
        // The padding and the built rows always add up to the whole grid.
        let built = (w.end - w.start) / 4;
        assert_eq!(w.pad_top + built as f64 * 260.0 + w.pad_bottom, 125.0 * 260.0);
    }

    #[test]
    fn the_window_stays_inside_the_list() {
        // Three rows, the last with 2 of 4 cards, all within reach: all built, no padding.
        let w = Window::over(10, at(-200.0), 900.0);
        assert_eq!((w.start, w.end, w.pad_top, w.pad_bottom), (0, 10, 0.0, 0.0));
        // Without the margin, only the rows on screen: the grid from 200 to 1,100 px.
        let w = Window::over(10, at(-200.0), 0.0);
        assert_eq!((w.start, w.end, w.pad_top), (0, 10, 0.0));
        let w = Window::over(10, at(-300.0), 0.0);
        assert_eq!((w.start, w.end, w.pad_top), (4, 10, 260.0));
        // Scrolled far past the end (the list just shrank): the last row is still built.
        let w = Window::over(10, at(-100_000.0), 900.0);
        assert_eq!((w.start, w.end), (8, 10));
        assert_eq!(Window::over(0, at(0.0), 900.0), Window::default());
    }

    #[test]
    fn an_unmeasured_or_hidden_grid_builds_the_first_few() {
        let zero = Geometry { cols: 0, pitch: 0.0, top: 0.0, view: 900.0 };
        assert_eq!(Window::over(500, zero, 900.0), Window::unmeasured(500));
        assert_eq!(Window::unmeasured(500).end, UNMEASURED);
        assert_eq!(Window::unmeasured(3).end, 3);
        assert_eq!(px(" 262.5px"), Some(262.5));
        assert_eq!(px("auto"), None);
    }
}
