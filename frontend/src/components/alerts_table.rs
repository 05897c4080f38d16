//! The table of pending and firing alerts, sortable by every column, with the actions of each
//! row: acknowledge (a firing alert not yet acknowledged) and silence.
//!
//! Hooks for browser tests: `table[data-testid=alerts-table]`, rows `tr[data-testid=alert-row]`
//! with `data-server`, `data-rule`, `data-instance`, `data-state`, `data-severity`,
//! `data-acknowledged` and `data-silenced` (`true`/`false`); buttons `ack` and `silence`.

use std::cmp::Ordering;

use fleetwatch_alerts::AlertState;
use leptos::prelude::*;

use crate::alert_wire::AlertItem;
use crate::api::server_href;
use crate::components::sort_header::{Sort, SortColumn, sort_header};
use crate::components::when::When;
use crate::format::{MISSING, figure, millis};

/// One row: the alert, and the silence made here that holds it back, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub item: AlertItem,
    /// The id of an active silence (`/api/silences`) that covers it.
    pub silenced_by: Option<i64>,
}

impl AlertRow {
    /// Silenced by a silence made here, or held back by one (a configured window included).
    pub fn silenced(&self) -> bool {
        self.silenced_by.is_some() || self.item.held_back()
    }

    /// When it started firing, or reached its level while pending (epoch ms).
    pub fn since_ms(&self) -> f64 {
        let a = &self.item.alert;
        millis(&a.firing_since.unwrap_or(a.since))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertColumn {
    Severity,
    State,
    Server,
    Rule,
    Instance,
    Value,
    Since,
    Acknowledged,
    Silenced,
}

impl SortColumn for AlertColumn {
    fn all() -> &'static [Self] {
        &[
            Self::Severity,
            Self::State,
            Self::Server,
            Self::Rule,
            Self::Instance,
            Self::Value,
            Self::Since,
            Self::Acknowledged,
            Self::Silenced,
        ]
    }

    fn key(self) -> &'static str {
        match self {
            Self::Severity => "severity",
            Self::State => "state",
            Self::Server => "server",
            Self::Rule => "rule",
            Self::Instance => "instance",
            Self::Value => "value",
            Self::Since => "since",
            Self::Acknowledged => "ack",
            Self::Silenced => "silenced",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Severity => "Severity",
            Self::State => "State",
            Self::Server => "Server",
            Self::Rule => "Rule",
            Self::Instance => "Instance",
            Self::Value => "Value",
            Self::Since => "Since",
            Self::Acknowledged => "Acknowledged",
            Self::Silenced => "Silenced",
        }
    }

    fn hint(self) -> Option<&'static str> {
        match self {
            Self::State => Some("pending: the level is reached, its for_secs not yet over"),
            Self::Instance => Some("the mount, device, container… the alert is about"),
            Self::Value => Some("the latest value (the value it fired at in the tooltip)"),
            Self::Since => Some("when it started firing, or reached its level while pending"),
            Self::Silenced => Some("notifications held back by a silence or maintenance window"),
            _ => None,
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Self::Value | Self::Since)
    }

    /// The worst first.
    fn descending_first(self) -> bool {
        self.numeric() || self == Self::Severity
    }
}

impl AlertColumn {
    fn compare(self, a: &AlertRow, b: &AlertRow) -> Ordering {
        let (x, y) = (&a.item.alert, &b.item.alert);
        match self {
            // Firing before pending within a severity.
            Self::Severity => (x.severity, a.item.is_firing()).cmp(&(y.severity, b.item.is_firing())),
            Self::State => a.item.is_firing().cmp(&b.item.is_firing()),
            Self::Server => a.item.server.cmp(&b.item.server),
            Self::Rule => x.rule.cmp(&y.rule),
            Self::Instance => x.instance.cmp(&y.instance),
            // Unknown values sort below every known one.
            Self::Value => match (x.value, y.value) {
                (Some(v), Some(w)) => v.total_cmp(&w),
                (v, w) => v.is_some().cmp(&w.is_some()),
            },
            Self::Since => a.since_ms().total_cmp(&b.since_ms()),
            Self::Acknowledged => x.acknowledged.is_some().cmp(&y.acknowledged.is_some()),
            Self::Silenced => a.silenced().cmp(&b.silenced()),
        }
    }
}

/// Sorts by one column, ties broken by server, rule and instance so the order holds across reloads.
pub fn sort_alerts(rows: &mut [AlertRow], column: AlertColumn, descending: bool) {
    rows.sort_by(|a, b| {
        let o = column.compare(a, b);
        let o = if descending { o.reverse() } else { o };
        o.then_with(|| a.item.key().cmp(&b.item.key()))
    });
}

/// What a row's buttons do.
#[derive(Clone, Copy)]
pub struct RowActions {
    pub acknowledge: Callback<AlertItem>,
    pub silence: Callback<AlertItem>,
}

#[component]
pub fn AlertsTable(
    #[prop(into)] rows: Signal<Vec<AlertRow>>,
    sort: Sort<AlertColumn>,
    actions: RowActions,
    /// The browser's clock in ms, ticking.
    #[prop(into)]
    now: Signal<f64>,
) -> impl IntoView {
    let headers = AlertColumn::all().iter().map(|c| sort_header(*c, Some(sort))).collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table alerts-table" data-testid="alerts-table">
                <thead>
                    <tr>
                        {headers} <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    // Keyed by the whole row: a reload that changes nothing keeps every row (and
                    // the focus on its buttons).
                    <For each=move || rows.get() key=|r| format!("{r:?}") let:row>
                        <Row row=row actions=actions now=now />
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Row(row: AlertRow, actions: RowActions, now: Signal<f64>) -> impl IntoView {
    let silenced = row.silenced();
    let since = row.since_ms();
    let AlertRow { item, silenced_by } = row;
    let a = &item.alert;
    let firing = a.state == AlertState::Firing;
    let severity = a.severity.as_str();
    let state = if firing { "firing" } else { "pending" };
    let acked = a.acknowledged.clone();
    let is_acked = acked.is_some();
    let value_title = a.fired_value.map(|v| format!("fired at {}", figure(Some(v))));
    let detail = a.detail.clone();
    let detail_title = detail.clone();
    let silenced_text = match (silenced_by, item.held_back()) {
        (Some(id), _) => format!("silenced (#{id})"),
        (None, true) => "held back".to_owned(),
        (None, false) => MISSING.to_owned(),
    };
    let silenced_title = silenced.then_some("its notifications are held back; it is still recorded");
    let ack_view = acked.map(|k| {
        let at = millis(&k.at);
        view! {
            <span class="acked">"by " {k.by} " "</span>
            <When ms=at now=now />
        }
    });
    let for_ack = item.clone();
    let for_silence = item.clone();
    let href = server_href(&item.server);
    view! {
        <tr
            data-testid="alert-row"
            data-server=item.server.clone()
            data-rule=a.rule.clone()
            data-instance=a.instance.clone()
            data-state=state
            data-severity=severity
            data-acknowledged=is_acked.to_string()
            data-silenced=silenced.to_string()
            class:pending=!firing
        >
            <td>
                <span class=format!("status-pill status-{severity}")>{severity}</span>
            </td>
            <td>{state}</td>
            <td>
                <a href=href>{item.server.clone()}</a>
            </td>
            <td class="mono" title=detail_title>
                {a.rule.clone()}
                {detail.map(|d| view! { <span class="alert-detail">{d}</span> })}
            </td>
            <td class="mono">{if a.instance.is_empty() { MISSING.to_owned() } else { a.instance.clone() }}</td>
            <td class="num" title=value_title>
                {figure(a.value)}
            </td>
            <td class="num">
                <When ms=since now=now />
            </td>
            <td>
                {match ack_view {
                    Some(v) => v.into_any(),
                    None => MISSING.into_any(),
                }}
            </td>
            <td title=silenced_title>{silenced_text}</td>
            <td>
                <div class="row-actions">
                {(firing && a.acknowledged.is_none())
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                data-testid="ack"
                                on:click=move |_| actions.acknowledge.run(for_ack.clone())
                            >
                                "Acknowledge"
                            </button>
                        }
                    })}
                <button
                    type="button"
                    data-testid="silence"
                    on:click=move |_| actions.silence.run(for_silence.clone())
                >
                    "Silence"
                </button>
                </div>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(server: &str, rule: &str, severity: &str, value: Option<f64>, silenced_by: Option<i64>) -> AlertRow {
        let json = format!(
            r#"{{"server":"{server}","rule":"{rule}","instance":"","state":"firing","severity":"{severity}",
               "since":"2026-12-03T03:00:00Z","firing_since":null,"fired_value":null,"value":{},"detail":null,
               "acknowledged":null,"notified":true,"last_notified":null}}"#,
            value.map_or("null".to_owned(), |v| v.to_string())
        );
        let item = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        AlertRow { item, silenced_by }
    }

    fn order(rows: &[AlertRow]) -> Vec<&str> {
        rows.iter().map(|r| r.item.alert.rule.as_str()).collect()
    }

    #[test]
    fn sorting_goes_both_ways_with_stable_ties() {
        let mut rows = vec![
            row("b", "r1", "warning", Some(5.0), None),
            row("a", "r2", "critical", None, Some(1)),
            row("a", "r3", "warning", Some(9.0), None),
        ];
        sort_alerts(&mut rows, AlertColumn::Severity, true);
        assert_eq!(order(&rows), ["r2", "r3", "r1"], "critical first, then by server");
        sort_alerts(&mut rows, AlertColumn::Value, true);
        assert_eq!(order(&rows), ["r3", "r1", "r2"], "unknown value last");
        sort_alerts(&mut rows, AlertColumn::Silenced, true);
        assert_eq!(order(&rows), ["r2", "r3", "r1"]);
        sort_alerts(&mut rows, AlertColumn::Server, false);
        assert_eq!(order(&rows), ["r2", "r3", "r1"]);
    }

    #[test]
    fn every_column_has_a_key_that_reads_back() {
        for c in AlertColumn::all() {
            assert_eq!(AlertColumn::parse(c.key()), Some(*c));
        }
    }
}
