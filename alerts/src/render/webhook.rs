//! The generic webhook: a JSON body of ours, documented here and in the README, stable across
//! releases (`version` changes if a field ever changes meaning):
//!
//! ```json
//! {
//!   "version": 1,
//!   "status": "firing",              // or "resolved"
//!   "severity": "critical",          // the worst in `alerts`
//!   "channel": "ops",
//!   "title": "CRITICAL 2 alerts on 2 servers: server-offline",
//!   "count": 2,
//!   "alerts": [{
//!     "rule": "server-offline", "server": "web-1", "instance": "",
//!     "kind": "firing",              // firing | severity_changed | renotify | resolved
//!     "severity": "critical", "previous_severity": null,
//!     "metric": null, "value": null, "fired_value": null,
//!     "since": "2026-12-01T12:00:00Z", "at": "2026-12-01T12:00:00Z",
//!     "detail": "connection refused",
//!     "url": "https://fleet.example.com/servers/web-1"   // null without public_url
//!   }]
//! }
//! ```
//!
//! Every alert is listed (no "… and N more"): the receiver is a program.
//!
//! With a `template` (see [`Template`]), the body is the template filled in instead.

use secrecy::SecretString;
use serde_json::json;

use super::template::Template;
use super::text::{link, title};
use super::{Body, HttpRequest, RenderContext, bearer, json};
use crate::group::Notification;

pub const VERSION: u32 = 1;

pub(super) fn render(
    url: &SecretString,
    token: Option<&SecretString>,
    template: Option<&Template>,
    n: &Notification,
    ctx: &RenderContext<'_>,
) -> HttpRequest {
    if let Some(t) = template {
        return HttpRequest { url: url.clone(), headers: bearer(token), body: Body::JsonText(t.render(n, ctx)) };
    }
    let alerts: Vec<serde_json::Value> = n
        .alerts
        .iter()
        .map(|t| {
            json!({
                "rule": t.rule,
                "server": t.server,
                "instance": t.instance,
                "kind": t.kind,
                "severity": t.severity,
                "previous_severity": t.previous_severity,
                "metric": t.metric,
                "value": t.value,
                "fired_value": t.fired_value,
                "since": t.since,
                "at": t.at,
                "detail": t.detail,
                "url": link(ctx, &t.server),
            })
        })
        .collect();
    let body = json!({
        "version": VERSION,
        "status": n.status,
        "severity": n.severity,
        "channel": n.channel,
        "title": title(n),
        "count": alerts.len(),
        "alerts": alerts,
    });
    json(url.clone(), bearer(token), body)
}
