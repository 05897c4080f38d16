//! Sortable table headers: a column type says its key, title and natural order, [`Sort`] holds
//! the order kept in the page's query string (`?sort=cpu&dir=desc`), and [`sort_header`] draws a
//! `<th>` whose button changes it. Used by the Users and Alerts tables.

use leptos::prelude::*;

use crate::query::Query;

/// A column a table can be sorted by.
pub trait SortColumn: Copy + PartialEq + Send + Sync + 'static {
    /// Every column, in display order.
    fn all() -> &'static [Self];
    /// Its name in the query string and in `data-column`.
    fn key(self) -> &'static str;
    fn title(self) -> &'static str;
    /// More words for the header's tooltip.
    fn hint(self) -> Option<&'static str> {
        None
    }
    /// Numbers are right-aligned, and read best largest first.
    fn numeric(self) -> bool;
    /// Whether a first click sorts it largest first.
    fn descending_first(self) -> bool {
        self.numeric()
    }

    fn parse(key: &str) -> Option<Self> {
        Self::all().iter().copied().find(|c| c.key() == key)
    }
}

/// The sort order of a sortable table and what a header click does.
pub struct Sort<C: Send + Sync + 'static> {
    pub column: Signal<C>,
    pub descending: Signal<bool>,
    pub on_click: Callback<C>,
}

impl<C: Send + Sync> Clone for Sort<C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C: Send + Sync> Copy for Sort<C> {}

impl<C: SortColumn> Sort<C> {
    /// The order in the query's `sort` and `dir` (`default` when absent). A click on the same
    /// column flips the order, a new one starts in its natural order; `also` are set with it
    /// (e.g. `("page", "")` to go back to the first page).
    pub fn in_query(query: Query, default: C, also: &'static [(&'static str, &'static str)]) -> Self {
        let column = Signal::derive(move || C::parse(&query.get("sort")).unwrap_or(default));
        let descending = Signal::derive(move || match query.get("dir").as_str() {
            "asc" => false,
            "desc" => true,
            _ => column.get().descending_first(),
        });
        let on_click = Callback::new(move |c: C| {
            let desc = if column.get_untracked() == c { !descending.get_untracked() } else { c.descending_first() };
            let mut updates = vec![("sort", c.key()), ("dir", if desc { "desc" } else { "asc" })];
            updates.extend_from_slice(also);
            query.set(&updates);
        });
        Self { column, descending, on_click }
    }
}

/// The `<th>` of column `c`: a button with the sort mark when the table is sorted here, plain
/// words otherwise.
pub fn sort_header<C: SortColumn>(c: C, sort: Option<Sort<C>>) -> impl IntoView {
    let aria = move || {
        sort.filter(|s| s.column.get() == c)
            .map(|s| if s.descending.get() { "descending" } else { "ascending" })
            .unwrap_or("none")
    };
    let class = if c.numeric() { "num" } else { "" };
    let inner = match sort {
        Some(s) => view! {
            <button type="button" class="sort" on:click=move |_| s.on_click.run(c) title=c.hint()>
                {c.title()}
                <span class="sort-mark" aria-hidden="true">
                    {move || match aria() {
                        "descending" => "▼",
                        "ascending" => "▲",
                        _ => "",
                    }}
                </span>
            </button>
        }
        .into_any(),
        None => view! { <span title=c.hint()>{c.title()}</span> }.into_any(),
    };
    view! {
        <th scope="col" class=class data-column=c.key() aria-sort=move || sort.map(|_| aria())>
            {inner}
        </th>
    }
}
