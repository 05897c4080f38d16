//! Email: the title as subject, the lines as a plain-text body.

use super::text::{plain, title};
use super::{EmailMessage, RenderContext};
use crate::channel::EmailSettings;
use crate::group::Notification;

pub(super) fn render(settings: &EmailSettings, n: &Notification, ctx: &RenderContext<'_>) -> EmailMessage {
    let mut text = plain(n, ctx);
    text.push_str("\n\n-- \nSent by Fleetwatch");
    if let Some(public) = ctx.public_url {
        text.push_str(&format!(": {public}"));
    }
    text.push('\n');
    EmailMessage { from: settings.from.clone(), to: settings.to.clone(), subject: title(n), text }
}
