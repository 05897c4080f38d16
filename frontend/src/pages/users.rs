//! The Users tab: the fleet's top users, filtered by server and tag (asked of the API), searched by
//! user name, sorted by any column and paginated here; every setting is in the URL, and the
//! "Export to Excel" link carries the same filters.
//!
//! Hooks for browser tests: `[data-testid=page-users]`, `users-server`, `users-tag`,
//! `users-search`, `export-users`, `page-prev`, `page-next`, `page-info`, `users-count`.

use std::time::Duration;

use fleetwatch_common::TopUser;
use leptos::prelude::*;

use crate::api::{Client, MAX_USERS, users_export_url};
use crate::components::error_banner::ErrorBanner;
use crate::components::filter_select::FilterSelect;
use crate::components::sort_header::Sort;
use crate::components::users_table::{Column, UsersTable, sort_users};
use crate::fleet::Fleet;
use crate::query::Query;
use crate::remote::{Remote, on_fleet_news};
use crate::toast::Toasts;

const PAGE_SIZE: usize = 25;
const REFETCH_GAP: Duration = Duration::from_secs(10);

/// Rows whose user name contains `q` (any case).
pub fn search(rows: &[TopUser], q: &str) -> Vec<TopUser> {
    let q = q.trim().to_lowercase();
    rows.iter().filter(|u| q.is_empty() || u.username.to_lowercase().contains(&q)).cloned().collect()
}

/// The number of pages for `n` rows (at least one) and the page index clamped to them.
pub fn page_of(n: usize, page: usize) -> (usize, usize) {
    let pages = n.div_ceil(PAGE_SIZE).max(1);
    (pages, page.min(pages - 1))
}

#[component]
pub fn Users() -> impl IntoView {
    let fleet = expect_context::<Fleet>();
    let toasts = expect_context::<Toasts>();
    let query = Query::new();
    let server = query.signal("server");
    let tag = query.signal("tag");
    let users = Remote::<Vec<TopUser>>::new();

    let load = move || {
        let (s, t) = (server.get_untracked(), tag.get_untracked());
        users.load(async move { Client::default().top_users(&s, &t, MAX_USERS).await });
    };
    // New filters: ask again now.
    Effect::new(move |_| {
        server.track();
        tag.track();
        load();
    });
    // New samples: ask again, not too often. (Its first call duplicates the one above and is dropped.)
    on_fleet_news(fleet, REFETCH_GAP, load);

    let sort = Sort::in_query(query, Column::Cpu, &[("page", "")]);
    let (column, descending) = (sort.column, sort.descending);
    let matching = Memo::new(move |_| {
        let q = query.get("q");
        let mut rows = users.data.with(|d| d.as_deref().map(|d| search(d, &q)).unwrap_or_default());
        sort_users(&mut rows, column.get(), descending.get());
        rows
    });
    let page = Memo::new(move |_| {
        let asked = query.get("page").parse::<usize>().unwrap_or(1).max(1) - 1;
        page_of(matching.with(Vec::len), asked)
    });
    let shown = Signal::derive(move || {
        let (_, p) = page.get();
        matching.with(|m| m.iter().skip(p * PAGE_SIZE).take(PAGE_SIZE).cloned().collect::<Vec<_>>())
    });
    let go = move |p: usize| {
        let p = (p + 1).to_string();
        query.set(&[("page", if p == "1" { "" } else { &p })]);
    };
    let export = move || users_export_url("xlsx", &server.get(), &tag.get(), &query.get("q"));
    let tags = Memo::new(move |_| fleet.tags());

    view! {
        <section class="page" data-testid="page-users">
            <div class="page-head">
                <h1 class="page-title">"Users"</h1>
                <a
                    class="button"
                    data-testid="export-users"
                    href=export
                    download
                    on:click=move |_| toasts.info("Preparing the workbook…")
                >
                    "Export to Excel"
                </a>
            </div>
            <div class="toolbar" role="search">
                <input
                    type="search"
                    data-testid="users-search"
                    placeholder="Search by user name"
                    aria-label="Search by user name"
                    prop:value=move || query.get("q")
                    on:input=move |ev| query.set_typed(&[("q", &event_target_value(&ev)), ("page", "")])
                />
                <FilterSelect
                    label="Server"
                    testid="users-server"
                    choices=fleet.names()
                    selected=server
                    on_pick=move |s: String| query.set(&[("server", &s), ("page", "")])
                />
                <FilterSelect
                    label="Tag"
                    testid="users-tag"
                    selected=tag
                    choices=tags
                    on_pick=move |t: String| query.set(&[("tag", &t), ("page", "")])
                />
                <span class="shown" data-testid="users-count" aria-live="polite">
                    {move || {
                        users
                            .data
                            .with(Option::is_some)
                            .then(|| {
                                let n = matching.with(Vec::len);
                                format!("{n} {}", if n == 1 { "user" } else { "users" })
                            })
                    }}
                </span>
            </div>
            <ErrorBanner error=users.error what="Cannot load the users" />
            <UsersTable rows=shown sort=sort />
            {move || {
                let loaded = users.data.with(Option::is_some);
                let any = users.data.with(|d| d.as_ref().is_some_and(|d| !d.is_empty()));
                if !loaded {
                    Some(view! { <p class="placeholder">"Loading users…"</p> }.into_any())
                } else if !any {
                    Some(
                        view! {
                            <p class="placeholder empty" data-testid="empty">
                                "No user activity yet: users show up here once a server has been collected"
                                {move || {
                                    (!server.get().is_empty() || !tag.get().is_empty())
                                        .then_some(" (or try without the server and tag filters)")
                                }}
                                "."
                            </p>
                        }
                            .into_any(),
                    )
                } else if matching.with(Vec::is_empty) {
                    Some(
                        view! {
                            <p class="placeholder empty" data-testid="empty">
                                "No user name contains “" {query.get("q")} "”."
                            </p>
                        }
                            .into_any(),
                    )
                } else {
                    None
                }
            }}
            <nav class="pager" aria-label="Pages">
                <button
                    type="button"
                    data-testid="page-prev"
                    disabled=move || page.get().1 == 0
                    on:click=move |_| go(page.get_untracked().1.saturating_sub(1))
                >
                    "← Previous"
                </button>
                <span data-testid="page-info">
                    {move || {
                        let (pages, p) = page.get();
                        format!("Page {} of {pages}", p + 1)
                    }}
                </span>
                <button
                    type="button"
                    data-testid="page-next"
                    disabled=move || { page.get().1 + 1 >= page.get().0 }
                    on:click=move |_| go(page.get_untracked().1 + 1)
                >
                    "Next →"
                </button>
            </nav>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_clamped_to_the_rows() {
        assert_eq!(page_of(0, 3), (1, 0));
        assert_eq!(page_of(25, 0), (1, 0));
        assert_eq!(page_of(26, 1), (2, 1));
        assert_eq!(page_of(26, 9), (2, 1));
    }
}
