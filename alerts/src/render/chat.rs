//! Chat services: Slack, Discord, Microsoft Teams, Telegram. Each posts the same plain text
//! (title, then one line per alert) in the shape its service documents.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::text::{lines, plain, title, truncate};
use super::{HttpRequest, RenderContext, json};
use crate::group::Notification;

/// Slack truncates `text` beyond 40,000 characters; we stay under it ourselves.
const SLACK_MAX: usize = 40_000;
/// Discord refuses `content` over 2,000 characters.
const DISCORD_MAX: usize = 2_000;
/// Telegram refuses `text` over 4,096 characters.
const TELEGRAM_MAX: usize = 4_096;

/// Slack incoming webhook: `{"text": …}`.
pub(super) fn slack(url: &SecretString, n: &Notification, ctx: &RenderContext<'_>) -> HttpRequest {
    json(url.clone(), vec![], json!({ "text": truncate(plain(n, ctx), SLACK_MAX) }))
}

/// Discord webhook: `{"content": …}`, at most 2,000 characters.
pub(super) fn discord(url: &SecretString, n: &Notification, ctx: &RenderContext<'_>) -> HttpRequest {
    json(url.clone(), vec![], json!({ "content": truncate(plain(n, ctx), DISCORD_MAX) }))
}

/// Teams workflow webhook ("Post to a channel when a webhook request is received"): a message
/// whose `attachments` hold one Adaptive Card.
pub(super) fn teams(url: &SecretString, n: &Notification, ctx: &RenderContext<'_>) -> HttpRequest {
    let mut body = vec![json!({
        "type": "TextBlock", "text": title(n), "weight": "Bolder", "size": "Medium", "wrap": true,
    })];
    body.extend(lines(n, ctx).into_iter().map(|l| json!({ "type": "TextBlock", "text": l, "wrap": true })));
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if let Some(public) = ctx.public_url {
        card["actions"] = json!([{ "type": "Action.OpenUrl", "title": "Open Fleetwatch", "url": public }]);
    }
    let message = json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    });
    json(url.clone(), vec![], message)
}

/// Telegram Bot API: `POST {api_url}/bot{token}/sendMessage` with `chat_id` and `text`.
pub(super) fn telegram(
    api_url: &str,
    token: &SecretString,
    chat_id: &str,
    n: &Notification,
    ctx: &RenderContext<'_>,
) -> HttpRequest {
    let url = SecretString::from(format!("{api_url}/bot{}/sendMessage", token.expose_secret()));
    let body = json!({
        "chat_id": chat_id,
        "text": truncate(plain(n, ctx), TELEGRAM_MAX),
        "disable_web_page_preview": true,
    });
    json(url, vec![], body)
}
