//! Sending one rendered message: an HTTP POST (reqwest) or a mail (lettre SMTP with STARTTLS,
//! implicit TLS, or plain for a local relay). Errors say what the receiver answered and never
//! hold a URL (webhook URLs are secrets) or a password.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fleetwatch_alerts::channel::{EmailSettings, SmtpTls, Target};
use fleetwatch_alerts::render::{EmailMessage, HttpRequest};
use fleetwatch_alerts::{
    AlertState, Channel, GroupStatus, Notification, Outgoing, Severity, Transition, TransitionKind,
};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

/// How much of a receiver's answer is kept.
const MAX_BODY: usize = 200;

/// What the receiver answered to a delivered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status, or the SMTP reply code.
    pub status: u16,
    /// The start of the body (HTTP) or the reply text (SMTP).
    pub body: String,
}

/// A message that was not delivered. The text is safe to log and store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("request failed: {0}")]
    Request(String),
    #[error("email: {0}")]
    Email(String),
    #[error("no answer within {0} s")]
    Timeout(u64),
}

fn short(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_BODY) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// Sends `outgoing` through `channel` within `timeout`.
pub async fn send(
    http: &reqwest::Client,
    channel: &Channel,
    outgoing: Outgoing,
    timeout: Duration,
) -> Result<Answer, SendError> {
    let sending = async {
        match (outgoing, &channel.target) {
            (Outgoing::Http(request), _) => post(http, request, timeout).await,
            (Outgoing::Email(message), Target::Email(settings)) => mail(settings, message, timeout).await,
            (Outgoing::Email(_), _) => Err(SendError::Email("the channel has no SMTP settings".into())),
        }
    };
    tokio::time::timeout(timeout, sending).await.unwrap_or(Err(SendError::Timeout(timeout.as_secs())))
}

async fn post(http: &reqwest::Client, r: HttpRequest, timeout: Duration) -> Result<Answer, SendError> {
    let mut request =
        http.post(r.url.expose_secret()).timeout(timeout).header(reqwest::header::CONTENT_TYPE, r.body.content_type());
    for (name, value) in &r.headers {
        request = request.header(name.as_str(), value.expose());
    }
    let body = r.body.into_text();
    let answer = request.body(body).send().await.map_err(|e| SendError::Request(e.without_url().to_string()))?;
    let status = answer.status().as_u16();
    let text = answer.text().await.map_err(|e| SendError::Request(e.without_url().to_string()))?;
    if (200..300).contains(&status) {
        Ok(Answer { status, body: short(&text) })
    } else {
        Err(SendError::Status { status, body: short(&text) })
    }
}

async fn mail(s: &EmailSettings, m: EmailMessage, timeout: Duration) -> Result<Answer, SendError> {
    let bad = |e: &dyn std::fmt::Display| SendError::Email(e.to_string());
    let mut builder = Message::builder().from(m.from.parse().map_err(|e| bad(&e))?).subject(m.subject);
    for to in &m.to {
        builder = builder.to(to.parse().map_err(|e| bad(&e))?);
    }
    let message = builder.header(ContentType::TEXT_PLAIN).body(m.text).map_err(|e| bad(&e))?;
    let transport = match s.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.as_str()),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host).map_err(|e| bad(&e))?,
        SmtpTls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(|e| bad(&e))?,
    };
    let mut transport = transport.port(s.port).timeout(Some(timeout));
    if let (Some(user), Some(password)) = (&s.username, &s.password) {
        transport = transport.credentials(Credentials::new(user.clone(), password.expose_secret().to_owned()));
    }
    let reply = transport.build().send(message).await.map_err(|e| bad(&e))?;
    let code = reply.code().to_string().parse().unwrap_or(250);
    Ok(Answer { status: code, body: short(&reply.message().collect::<Vec<_>>().join(" ")) })
}

/// The message `fleetwatch notify-test` sends: one warning about the server `fleetwatch`.
pub fn test_notification(channel: &str, now: DateTime<Utc>) -> Notification {
    let alert = Transition {
        rule: "notify-test".into(),
        server: "fleetwatch".into(),
        instance: String::new(),
        kind: TransitionKind::Firing,
        from: AlertState::Ok,
        to: AlertState::Firing,
        severity: Severity::Warning,
        previous_severity: None,
        metric: None,
        fired_value: None,
        value: None,
        since: now,
        at: now,
        detail: Some("a test message from `fleetwatch notify-test`: this channel works".into()),
        notify: true,
        silenced: false,
    };
    Notification {
        channel: channel.into(),
        status: GroupStatus::Firing,
        severity: Severity::Warning,
        alerts: vec![alert],
    }
}
