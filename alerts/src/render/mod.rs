//! Each channel kind's request, as data: the caller's delivery code sends an [`Outgoing`]
//! as it is. Every message says what, where, since when, the value, the severity, and links to
//! the server's page under `public_url`. Secrets (webhook URLs, tokens) stay [`SecretString`]s
//! and never appear in `Debug` output.

mod chat;
mod email;
mod push;
mod template;
mod text;
mod webhook;

#[cfg(test)]
mod tests;

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::channel::{Channel, Target};
use crate::group::Notification;

pub use template::{PLACEHOLDERS, Template};
pub use text::server_url;

/// What the messages link to and how long they get.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// Where the dashboard is reached, e.g. `https://fleet.example.com`; no links without it.
    pub public_url: Option<&'a str>,
    /// Chat messages list this many alerts, then "… and N more" (the webhook lists them all).
    pub max_listed: usize,
}

impl Default for RenderContext<'_> {
    fn default() -> Self {
        Self { public_url: None, max_listed: 20 }
    }
}

/// One message to deliver.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Http(HttpRequest),
    Email(EmailMessage),
}

/// An HTTP request; always a POST.
#[derive(Clone)]
pub struct HttpRequest {
    /// May hold a secret (a webhook URL, a bot token in the path).
    pub url: SecretString,
    pub headers: Vec<(String, HeaderValue)>,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub enum HeaderValue {
    Plain(String),
    /// An access token; `Debug` shows `[REDACTED]`.
    Secret(SecretString),
}

impl HeaderValue {
    /// The value to put on the wire.
    pub fn expose(&self) -> &str {
        match self {
            Self::Plain(v) => v,
            Self::Secret(v) => v.expose_secret(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Sent with `Content-Type: application/json`.
    Json(serde_json::Value),
    /// Sent with `Content-Type: text/plain; charset=utf-8`.
    Text(String),
    /// JSON already written (a webhook's template), sent as it is with
    /// `Content-Type: application/json`.
    JsonText(String),
}

impl Body {
    pub fn content_type(&self) -> &'static str {
        match self {
            Self::Json(_) | Self::JsonText(_) => "application/json",
            Self::Text(_) => "text/plain; charset=utf-8",
        }
    }

    /// The bytes to send.
    pub fn into_text(self) -> String {
        match self {
            Self::Json(v) => v.to_string(),
            Self::Text(t) | Self::JsonText(t) => t,
        }
    }
}

/// A mail; the SMTP settings are the channel's [`crate::channel::EmailSettings`].
#[derive(Debug, Clone, PartialEq)]
pub struct EmailMessage {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("url", &redacted_url(self.url.expose_secret()))
            .field("headers", &self.headers)
            .field("body", &self.body)
            .finish()
    }
}

/// `https://hooks.slack.com/[REDACTED]`: the scheme and host, never the path or query.
fn redacted_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // user:password@host
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    format!("{scheme}://{host}/[REDACTED]")
}

/// The request for `channel` carrying `notification`.
pub fn render(channel: &Channel, n: &Notification, ctx: &RenderContext<'_>) -> Outgoing {
    match &channel.target {
        Target::Webhook { url, token, template } => {
            Outgoing::Http(webhook::render(url, token.as_ref(), template.as_ref(), n, ctx))
        }
        Target::Slack { url } => Outgoing::Http(chat::slack(url, n, ctx)),
        Target::Discord { url } => Outgoing::Http(chat::discord(url, n, ctx)),
        Target::Teams { url } => Outgoing::Http(chat::teams(url, n, ctx)),
        Target::Telegram { api_url, token, chat_id } => Outgoing::Http(chat::telegram(api_url, token, chat_id, n, ctx)),
        Target::Ntfy { url, token } => Outgoing::Http(push::ntfy(url, token.as_ref(), n, ctx)),
        Target::Gotify { url, token } => Outgoing::Http(push::gotify(url, token, n, ctx)),
        Target::Email(settings) => Outgoing::Email(email::render(settings, n, ctx)),
    }
}

/// A JSON POST to `url`.
fn json(url: SecretString, headers: Vec<(String, HeaderValue)>, body: serde_json::Value) -> HttpRequest {
    HttpRequest { url, headers, body: Body::Json(body) }
}

fn bearer(token: Option<&SecretString>) -> Vec<(String, HeaderValue)> {
    token
        .map(|t| ("Authorization".to_owned(), HeaderValue::Secret(format!("Bearer {}", t.expose_secret()).into())))
        .into_iter()
        .collect()
}
