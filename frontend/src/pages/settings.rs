//! Settings, for admins: users (add, remove), API tokens (create: the secret is shown once;
//! revoke) and the audit log.
//!
//! Hooks for browser tests: `page-settings`, `settings-users`, `user-row-<name>`, `user-add-*`,
//! `settings-tokens`, `token-new-*`, `token-secret`, `settings-audit`.

use fleetwatch_common::auth::{AuditItem, NewToken, NewUser, Role, Scope, TokenInfo, UserInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::action;
use crate::api::{ApiError, Client};
use crate::components::error_banner::ErrorBanner;

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn opt(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(when).unwrap_or_else(|| "—".into())
}

#[component]
pub fn Settings() -> impl IntoView {
    let users = RwSignal::new(Vec::<UserInfo>::new());
    let tokens = RwSignal::new(Vec::<TokenInfo>::new());
    let audit = RwSignal::new(Vec::<AuditItem>::new());
    let error = RwSignal::new(None::<ApiError>);
    let reload = move || {
        spawn_local(async move {
            let c = Client::default();
            let (u, t, a) = (c.users().await, c.tokens().await, c.audit().await);
            match (u, t, a) {
                (Ok(u), Ok(t), Ok(a)) => {
                    users.set(u);
                    tokens.set(t);
                    audit.set(a);
                    error.set(None);
                }
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => error.set(Some(e)),
            }
        });
    };
    reload();
    view! {
        <section class="page settings" data-testid="page-settings">
            <h1>"Settings"</h1>
            <ErrorBanner error=error what="Cannot load the settings" />
            <UsersSection users=users reload=Callback::new(move |()| reload()) />
            <TokensSection tokens=tokens reload=Callback::new(move |()| reload()) />
            <h2>"Audit log"</h2>
            <div class="table-wrap">
                <table class="data-table" data-testid="settings-audit">
                    <thead>
                        <tr>
                            <th>"When"</th>
                            <th>"Who"</th>
                            <th>"What"</th>
                            <th>"On"</th>
                            <th>"From"</th>
                            <th>"Detail"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            audit
                                .get()
                                .into_iter()
                                .map(|e| {
                                    view! {
                                        <tr>
                                            <td>{when(e.at)}</td>
                                            <td>{e.actor}</td>
                                            <td>{e.action}</td>
                                            <td>{e.target.unwrap_or_default()}</td>
                                            <td>{e.source.unwrap_or_default()}</td>
                                            <td>{e.detail.unwrap_or_default()}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn UsersSection(users: RwSignal<Vec<UserInfo>>, reload: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(String::from("viewer"));
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let user = NewUser {
            name: name.get_untracked().trim().to_owned(),
            role: Role::parse(&role.get_untracked()).unwrap_or(Role::Viewer),
            password: password.get_untracked(),
        };
        action::run(
            busy,
            (format!("User {} added", user.name), "Cannot add the user".to_owned()),
            async move { Client::default().add_user(&user).await },
            move |_| {
                name.set(String::new());
                password.set(String::new());
                reload.run(());
            },
        );
    };
    view! {
        <h2>"Users"</h2>
        <div class="table-wrap">
            <table class="data-table" data-testid="settings-users">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Role"</th>
                        <th>"Created"</th>
                        <th>"Password changed"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        users
                            .get()
                            .into_iter()
                            .map(|u| {
                                let target = u.name.clone();
                                let remove_busy = RwSignal::new(false);
                                let remove = move |_| {
                                    let target = target.clone();
                                    action::run(
                                        remove_busy,
                                        (format!("User {target} removed"), "Cannot remove the user".to_owned()),
                                        async move { Client::default().remove_user(&target).await },
                                        move |()| reload.run(()),
                                    );
                                };
                                view! {
                                    <tr data-testid=format!("user-row-{}", u.name)>
                                        <td>{u.name.clone()}</td>
                                        <td>{u.role.as_str()}</td>
                                        <td>{when(u.created)}</td>
                                        <td>{when(u.password_changed)}</td>
                                        <td>
                                            <button type="button" class="button" on:click=remove disabled=remove_busy>
                                                "Remove"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </div>
        <form class="inline-form" on:submit=add data-testid="user-add">
            <input
                type="text"
                placeholder="name"
                required
                data-testid="user-add-name"
                prop:value=name
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <select data-testid="user-add-role" on:change=move |ev| role.set(event_target_value(&ev))>
                {Role::ALL
                    .into_iter()
                    .map(|r| {
                        view! {
                            <option value=r.as_str() selected=r == Role::Viewer>
                                {r.as_str()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <input
                type="password"
                placeholder="password (10+ characters)"
                autocomplete="new-password"
                required
                data-testid="user-add-password"
                prop:value=password
                on:input=move |ev| password.set(event_target_value(&ev))
            />
            <button type="submit" class="button" disabled=busy data-testid="user-add-submit">
                "Add user"
            </button>
        </form>
    }
}

#[component]
fn TokensSection(tokens: RwSignal<Vec<TokenInfo>>, reload: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new(String::from("read"));
    let days = RwSignal::new(String::from("90"));
    let secret = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let token = NewToken {
            name: name.get_untracked().trim().to_owned(),
            scopes: vec![Scope::parse(&scope.get_untracked()).unwrap_or(Scope::Read)],
            expires_in_days: days.get_untracked().trim().parse().ok(),
            // An ingest token (bound to its push server) is made with the CLI.
            server: None,
        };
        action::run(
            busy,
            (format!("Token {} created", token.name), "Cannot create the token".to_owned()),
            async move { Client::default().create_token(&token).await },
            move |created| {
                secret.set(Some(created.secret));
                name.set(String::new());
                reload.run(());
            },
        );
    };
    view! {
        <h2>"API tokens"</h2>
        <p class="muted">"Send one as " <code>"Authorization: Bearer fwt_…"</code> " (scripts, Grafana)."</p>
        {move || {
            secret
                .get()
                .map(|s| {
                    view! {
                        <div class="token-secret" role="status">
                            "The new token, shown this once: "
                            <code data-testid="token-secret">{s}</code>
                        </div>
                    }
                })
        }}
        <div class="table-wrap">
            <table class="data-table" data-testid="settings-tokens">
                <thead>
                    <tr>
                        <th>"Id"</th>
                        <th>"Name"</th>
                        <th>"Scopes"</th>
                        <th>"By"</th>
                        <th>"Expires"</th>
                        <th>"Last used"</th>
                        <th>"Revoked"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        tokens
                            .get()
                            .into_iter()
                            .map(|t| {
                                let id = t.id;
                                let revoke_busy = RwSignal::new(false);
                                let revoke = move |_| {
                                    action::run(
                                        revoke_busy,
                                        (format!("Token {id} revoked"), "Cannot revoke the token".to_owned()),
                                        async move { Client::default().revoke_token(id).await },
                                        move |()| reload.run(()),
                                    );
                                };
                                let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
                                let live = t.revoked.is_none();
                                view! {
                                    <tr>
                                        <td>{t.id}</td>
                                        <td>{t.name}</td>
                                        <td>{scopes.join(", ")}</td>
                                        <td>{t.created_by}</td>
                                        <td>{opt(t.expires)}</td>
                                        <td>{opt(t.last_used)}</td>
                                        <td>{opt(t.revoked)}</td>
                                        <td>
                                            {live
                                                .then(|| {
                                                    view! {
                                                        <button type="button" class="button" on:click=revoke disabled=revoke_busy>
                                                            "Revoke"
                                                        </button>
                                                    }
                                                })}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </div>
        <form class="inline-form" on:submit=create data-testid="token-new">
            <input
                type="text"
                placeholder="name (e.g. grafana)"
                required
                data-testid="token-new-name"
                prop:value=name
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <select data-testid="token-new-scope" on:change=move |ev| scope.set(event_target_value(&ev))>
                {Scope::ALL
                    .into_iter()
                    .filter(|s| *s != Scope::Ingest)
                    .map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> })
                    .collect_view()}
            </select>
            <input
                type="number"
                min="1"
                max="3650"
                title="days until it expires (empty: never)"
                data-testid="token-new-days"
                prop:value=days
                on:input=move |ev| days.set(event_target_value(&ev))
            />
            <button type="submit" class="button" disabled=busy data-testid="token-new-submit">
                "Create token"
            </button>
        </form>
    }
}
