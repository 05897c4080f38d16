//! A plain table of typed rows, its columns given by the page: the per-server sections
//! (processes, disks, network, sessions, containers).

use leptos::prelude::*;

/// One column: its heading, whether it holds numbers (right-aligned), how a row reads in it,
/// and where its cell links to, if anywhere.
pub struct Col<T> {
    pub title: &'static str,
    pub num: bool,
    pub cell: fn(&T) -> String,
    pub link: Option<fn(&T) -> String>,
}

impl<T> Col<T> {
    pub const fn text(title: &'static str, cell: fn(&T) -> String) -> Self {
        Self { title, num: false, cell, link: None }
    }

    pub const fn num(title: &'static str, cell: fn(&T) -> String) -> Self {
        Self { title, num: true, cell, link: None }
    }

    /// Text that links to `href(row)`.
    pub const fn link(title: &'static str, cell: fn(&T) -> String, href: fn(&T) -> String) -> Self {
        Self { title, num: false, cell, link: Some(href) }
    }
}

/// The table, with `data-testid=table-<name>`; an empty `rows` gives one line saying so.
pub fn data_table<T>(name: &'static str, empty: &'static str, cols: &[Col<T>], rows: &[T]) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="muted" data-testid=format!("table-{name}")>{empty}</p> }.into_any();
    }
    let head = cols.iter().map(|c| view! { <th scope="col" class:num=c.num>{c.title}</th> }).collect_view();
    let body = rows
        .iter()
        .map(|r| {
            let cells = cols
                .iter()
                .map(|c| match c.link {
                    Some(href) => view! {
                        <td class:num=c.num>
                            <a href=href(r)>{(c.cell)(r)}</a>
                        </td>
                    }
                    .into_any(),
                    None => view! { <td class:num=c.num>{(c.cell)(r)}</td> }.into_any(),
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid=format!("table-{name}")>
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
    .into_any()
}
