//! The webhook's optional `template`: a body of the user's, with placeholders filled in for each
//! message. Every value is JSON-escaped without quotes, so the template writes the quotes:
//! `{"text": "{{message}}", "host": "{{server}}"}`.
//!
//! | placeholder | value |
//! |---|---|
//! | `{{server}}` | the server; for a grouped message, the distinct servers joined by `, ` |
//! | `{{rule}}` | the rule; for a grouped message, the distinct rules joined by `, ` |
//! | `{{severity}}` | `warning` or `critical` (the worst of the message) |
//! | `{{value}}` | the latest value of a single alert (`93.2`); empty for a check or a group |
//! | `{{state}}` | `firing` or `resolved` |
//! | `{{message}}` | the plain text of the message: the title, then one line per alert |
//! | `{{url}}` | the server's page (the dashboard for a group); empty without `public_url` |
//!
//! The template is checked when the configuration is loaded: an unknown placeholder, an
//! unclosed `{{`, or a body that is not JSON once filled in is an error naming the key.

use std::fmt;

use super::RenderContext;
use super::text::{link, number, plain};
use crate::group::Notification;

/// The placeholders, in the order of the table above.
pub const PLACEHOLDERS: [&str; 7] = ["server", "rule", "severity", "value", "state", "message", "url"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// An index into [`PLACEHOLDERS`].
    Field(usize),
}

/// A checked template.
#[derive(Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template").field("pieces", &self.pieces.len()).finish()
    }
}

impl Template {
    /// Reads `text`; the error says what is wrong (the caller names the key).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("`{{{{` at byte {} is never closed", text.len() - rest.len() + open))?;
            let name = after[..close].trim();
            let field = PLACEHOLDERS.iter().position(|p| *p == name).ok_or_else(|| {
                format!(
                    "unknown placeholder `{{{{{name}}}}}`; known: {}",
                    PLACEHOLDERS.map(|p| format!("{{{{{p}}}}}")).join(", ")
                )
            })?;
            pieces.push(Piece::Field(field));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        let template = Self { pieces };
        // Filled with awkward values, or with none (a check has no value, a group no single
        // one), the body must still be JSON.
        let awkward =
            ["web-1, db \"2\"", "disk-full", "critical", "93.2", "firing", "one\n\\two\t", "https://x/?a=1&b"];
        for sample in [awkward, [""; PLACEHOLDERS.len()]] {
            serde_json::from_str::<serde_json::Value>(&template.fill(|i| sample[i].to_owned())).map_err(|e| {
                format!("is not JSON once its placeholders are filled in (write them inside quotes): {e}")
            })?;
        }
        Ok(template)
    }

    /// The body for `n`.
    pub fn render(&self, n: &Notification, ctx: &RenderContext<'_>) -> String {
        self.fill(|i| match PLACEHOLDERS[i] {
            "server" => distinct(n.alerts.iter().map(|t| t.server.as_str())),
            "rule" => distinct(n.alerts.iter().map(|t| t.rule.as_str())),
            "severity" => n.severity.as_str().to_owned(),
            "value" => match n.alerts.as_slice() {
                [one] => one.value.map(number).unwrap_or_default(),
                _ => String::new(),
            },
            "state" => n.status.as_str().to_owned(),
            "message" => plain(n, ctx),
            _ => match n.alerts.as_slice() {
                [one] => link(ctx, &one.server),
                _ if n.server_count() == 1 => n.alerts.first().and_then(|t| link(ctx, &t.server)),
                _ => ctx.public_url.map(|u| u.trim_end_matches('/').to_owned()),
            }
            .unwrap_or_default(),
        })
    }

    fn fill(&self, value: impl Fn(usize) -> String) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(i) => out.push_str(&escape(&value(*i))),
            }
        }
        out
    }
}

/// `a, b`, each once, in order of appearance.
fn distinct<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for n in names {
        if !seen.contains(&n) {
            seen.push(n);
        }
    }
    seen.join(", ")
}

/// `text` as the inside of a JSON string.
fn escape(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}
