//! Push services: ntfy (headers carry title, priority and tags; the body is the message) and
//! Gotify (`POST /message` with a JSON body).

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::text::{lines, link, title};
use super::{Body, HeaderValue, HttpRequest, RenderContext, bearer, json};
use crate::group::{GroupStatus, Notification};
use crate::state::Severity;

/// ntfy priorities (1–5) and emoji tags by outcome.
fn ntfy_priority(n: &Notification) -> (&'static str, &'static str) {
    match (n.status, n.severity) {
        (GroupStatus::Resolved, _) => ("3", "white_check_mark"),
        (GroupStatus::Firing, Severity::Critical) => ("5", "rotating_light"),
        (GroupStatus::Firing, Severity::Warning) => ("4", "warning"),
    }
}

/// A header value as ntfy reads it: ASCII as is, anything else RFC 2047-encoded.
fn header_text(s: &str) -> String {
    if s.is_ascii() { s.to_owned() } else { format!("=?UTF-8?B?{}?=", base64(s.as_bytes())) }
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The page a click opens: the one server's page, or the dashboard.
fn click(n: &Notification, ctx: &RenderContext<'_>) -> Option<String> {
    match n.alerts.as_slice() {
        [one] => link(ctx, &one.server),
        _ => ctx.public_url.map(str::to_owned),
    }
}

/// ntfy: `POST` to the topic URL with `Title`, `Priority`, `Tags` (and `Click`) headers.
pub(super) fn ntfy(
    url: &SecretString,
    token: Option<&SecretString>,
    n: &Notification,
    ctx: &RenderContext<'_>,
) -> HttpRequest {
    let (priority, tag) = ntfy_priority(n);
    let mut headers = bearer(token);
    let plain = |v: String| HeaderValue::Plain(v);
    headers.push(("Title".to_owned(), plain(header_text(&title(n)))));
    headers.push(("Priority".to_owned(), plain(priority.to_owned())));
    headers.push(("Tags".to_owned(), plain(tag.to_owned())));
    if let Some(c) = click(n, ctx) {
        headers.push(("Click".to_owned(), plain(c)));
    }
    HttpRequest { url: url.clone(), headers, body: Body::Text(lines(n, ctx).join("\n")) }
}

/// Gotify: `POST {url}/message` with the application token in `X-Gotify-Key`.
pub(super) fn gotify(
    url: &SecretString,
    token: &SecretString,
    n: &Notification,
    ctx: &RenderContext<'_>,
) -> HttpRequest {
    let priority = match (n.status, n.severity) {
        (GroupStatus::Resolved, _) => 2,
        (GroupStatus::Firing, Severity::Warning) => 5,
        (GroupStatus::Firing, Severity::Critical) => 8,
    };
    let mut body = json!({
        "title": title(n),
        "message": lines(n, ctx).join("\n"),
        "priority": priority,
        "extras": { "client::display": { "contentType": "text/plain" } },
    });
    if let Some(c) = click(n, ctx) {
        body["extras"]["client::notification"] = json!({ "click": { "url": c } });
    }
    let endpoint = format!("{}/message", url.expose_secret().trim_end_matches('/'));
    let headers = vec![("X-Gotify-Key".to_owned(), HeaderValue::Secret(token.clone()))];
    json(endpoint.into(), headers, body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_rfc_4648_examples() {
        for (raw, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(raw.as_bytes()), encoded);
        }
        assert_eq!(super::header_text("café"), "=?UTF-8?B?Y2Fmw6k=?=");
        assert_eq!(super::header_text("plain"), "plain");
    }
}
