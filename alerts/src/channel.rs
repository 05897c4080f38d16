//! `[[alerts.channels]]`: where notifications go. The configuration ([`ChannelConfig`]) names
//! its secrets inline, by environment variable (`*_env`) or by file (`*_file`, for Docker and
//! Kubernetes secrets); [`ChannelConfig::resolve`] reads them through the caller's
//! [`SecretSource`] into [`SecretString`]s, which print as `[REDACTED]` in any `Debug`.

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{ConfigError, ConfigErrors};
use crate::render::Template;

/// How the message is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// A JSON body of ours (see `render::webhook`), for scripts and other tools.
    Webhook,
    /// Slack incoming webhook.
    Slack,
    /// Discord webhook.
    Discord,
    /// Microsoft Teams workflow webhook (Adaptive Card).
    Teams,
    /// Telegram bot `sendMessage`.
    Telegram,
    /// ntfy topic.
    Ntfy,
    /// Gotify application.
    Gotify,
    /// SMTP.
    Email,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Slack => "slack",
            Self::Discord => "discord",
            Self::Teams => "teams",
            Self::Telegram => "telegram",
            Self::Ntfy => "ntfy",
            Self::Gotify => "gotify",
            Self::Email => "email",
        }
    }

    /// The optional keys this kind reads, beyond `name` and `kind`; required ones are checked
    /// by [`ChannelConfig::resolve`].
    fn keys(self) -> &'static [&'static str] {
        match self {
            Self::Slack | Self::Discord | Self::Teams => &["url"],
            Self::Webhook => &["url", "token", "template"],
            Self::Ntfy | Self::Gotify => &["url", "token"],
            Self::Telegram => &["token", "chat_id", "api_url"],
            Self::Email => &["host", "port", "tls", "from", "to", "username", "password"],
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587 by default).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465 by default).
    Implicit,
    /// No encryption: only for a relay on localhost (port 25 by default).
    None,
}

impl SmtpTls {
    pub fn default_port(self) -> u16 {
        match self {
            Self::Starttls => 587,
            Self::Implicit => 465,
            Self::None => 25,
        }
    }
}

/// One `[[alerts.channels]]` entry as written. `Debug` is derived: every secret field is a
/// [`SecretString`], whose `Debug` is redacted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// Referenced by rules' `channels`.
    pub name: String,
    pub kind: ChannelKind,
    /// The webhook or topic URL (a secret: whoever has it can post), or Gotify's base URL.
    pub url: Option<SecretString>,
    pub url_env: Option<String>,
    pub url_file: Option<PathBuf>,
    /// Telegram bot token, Gotify application token, ntfy or webhook bearer token.
    pub token: Option<SecretString>,
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Webhook: a body of one's own with `{{server}}`, `{{rule}}`, `{{severity}}`, `{{value}}`,
    /// `{{state}}`, `{{message}}` and `{{url}}` filled in (JSON-escaped); see
    /// [`crate::render::Template`].
    pub template: Option<String>,
    /// Telegram: the chat to post to.
    pub chat_id: Option<String>,
    /// Telegram: the Bot API base URL (default `https://api.telegram.org`).
    pub api_url: Option<String>,
    /// Email: SMTP server.
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<SmtpTls>,
    pub from: Option<String>,
    pub to: Option<Vec<String>>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
}

/// Where `*_env` and `*_file` secrets are read: the process in production, a map in tests.
pub trait SecretSource {
    fn env(&self, name: &str) -> Option<String>;
    fn file(&self, path: &Path) -> Result<String, String>;
}

pub const TELEGRAM_API: &str = "https://api.telegram.org";

/// A channel ready to render for: secrets read, kind-specific settings checked.
#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub target: Target,
}

/// What each kind needs, and nothing else.
#[derive(Debug, Clone)]
pub enum Target {
    Webhook { url: SecretString, token: Option<SecretString>, template: Option<Template> },
    Slack { url: SecretString },
    Discord { url: SecretString },
    Teams { url: SecretString },
    Telegram { api_url: String, token: SecretString, chat_id: String },
    Ntfy { url: SecretString, token: Option<SecretString> },
    Gotify { url: SecretString, token: SecretString },
    Email(EmailSettings),
}

/// SMTP settings of an email channel.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub from: String,
    pub to: Vec<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

impl Channel {
    pub fn kind(&self) -> ChannelKind {
        match self.target {
            Target::Webhook { .. } => ChannelKind::Webhook,
            Target::Slack { .. } => ChannelKind::Slack,
            Target::Discord { .. } => ChannelKind::Discord,
            Target::Teams { .. } => ChannelKind::Teams,
            Target::Telegram { .. } => ChannelKind::Telegram,
            Target::Ntfy { .. } => ChannelKind::Ntfy,
            Target::Gotify { .. } => ChannelKind::Gotify,
            Target::Email(_) => ChannelKind::Email,
        }
    }
}

/// One secret of a channel: inline, `_env` or `_file`, at most one of them.
struct SecretKeys<'a> {
    field: &'static str,
    inline: &'a Option<SecretString>,
    env: &'a Option<String>,
    file: &'a Option<PathBuf>,
}

impl SecretKeys<'_> {
    fn is_set(&self) -> bool {
        self.inline.is_some() || self.env.is_some() || self.file.is_some()
    }

    fn read(&self, at: &str, source: &dyn SecretSource) -> Result<Option<SecretString>, ConfigError> {
        let f = self.field;
        let value = match (self.inline, self.env, self.file) {
            (None, None, None) => return Ok(None),
            (Some(v), None, None) => v.expose_secret().to_owned(),
            (None, Some(var), None) => source
                .env(var)
                .ok_or_else(|| ConfigError::new(format!("{at}.{f}_env"), format!("variable {var} is not set")))?,
            (None, None, Some(path)) => source.file(path).map_err(|e| {
                ConfigError::new(format!("{at}.{f}_file"), format!("cannot read {}: {e}", path.display()))
            })?,
            _ => return Err(ConfigError::new(format!("{at}.{f}"), format!("set only one of {f}, {f}_env, {f}_file"))),
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(ConfigError::new(format!("{at}.{f}"), "is empty"));
        }
        Ok(Some(SecretString::from(value)))
    }
}

fn http_url(key: String, url: &str) -> Result<(), ConfigError> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        Err(ConfigError::new(key, "must start with http:// or https://"))
    }
}

impl ChannelConfig {
    fn secret(&self, field: &'static str) -> SecretKeys<'_> {
        match field {
            "url" => SecretKeys { field, inline: &self.url, env: &self.url_env, file: &self.url_file },
            "token" => SecretKeys { field, inline: &self.token, env: &self.token_env, file: &self.token_file },
            _ => SecretKeys { field, inline: &self.password, env: &self.password_env, file: &self.password_file },
        }
    }

    /// The kind-specific keys that are set, by their base name (`url` for `url_env` too).
    fn keys_set(&self) -> Vec<&'static str> {
        let plain = [
            ("template", self.template.is_some()),
            ("chat_id", self.chat_id.is_some()),
            ("api_url", self.api_url.is_some()),
            ("host", self.host.is_some()),
            ("port", self.port.is_some()),
            ("tls", self.tls.is_some()),
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
            ("username", self.username.is_some()),
        ];
        let secrets = ["url", "token", "password"].map(|f| (f, self.secret(f).is_set()));
        plain.into_iter().chain(secrets).filter(|(_, set)| *set).map(|(k, _)| k).collect()
    }

    /// Checks the entry and reads its secrets. `at` is its key, e.g. `alerts.channels[0]`.
    pub fn resolve(&self, at: &str, source: &dyn SecretSource) -> Result<Channel, ConfigErrors> {
        let mut errors = ConfigErrors(Vec::new());
        if self.name.trim().is_empty() {
            errors.push(format!("{at}.name"), "must not be empty");
        }
        let kind = self.kind;
        for key in self.keys_set().into_iter().filter(|k| !kind.keys().contains(k)) {
            errors.push(format!("{at}.{key}"), format!("not used by kind {}", kind.as_str()));
        }
        let mut read = |field: &'static str, required: bool| match self.secret(field).read(at, source) {
            Ok(None) if required => {
                errors.push(
                    format!("{at}.{field}"),
                    format!("required for kind {} ({field}, {field}_env or {field}_file)", kind.as_str()),
                );
                None
            }
            Ok(v) => v,
            Err(e) => {
                errors.0.push(e);
                None
            }
        };
        let needs_url = kind.keys().contains(&"url");
        let url = if needs_url { read("url", true) } else { None };
        let token = match kind {
            ChannelKind::Telegram | ChannelKind::Gotify => read("token", true),
            ChannelKind::Webhook | ChannelKind::Ntfy => read("token", false),
            _ => None,
        };
        let password = if kind == ChannelKind::Email { read("password", false) } else { None };
        if let Some(u) = &url
            && let Err(e) = http_url(format!("{at}.url"), u.expose_secret())
        {
            errors.0.push(e);
        }
        let target = self.target(at, url, token, password, &mut errors);
        errors.or_ok(()).and_then(|()| {
            target.map(|target| Channel { name: self.name.clone(), target }).ok_or_else(|| ConfigErrors(Vec::new()))
        })
    }

    fn target(
        &self,
        at: &str,
        url: Option<SecretString>,
        token: Option<SecretString>,
        password: Option<SecretString>,
        errors: &mut ConfigErrors,
    ) -> Option<Target> {
        let mut required = |key: &str, value: &Option<String>| -> Option<String> {
            let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
            if v.is_none() {
                errors.push(format!("{at}.{key}"), format!("required for kind {}", self.kind.as_str()));
            }
            v
        };
        Some(match self.kind {
            ChannelKind::Webhook => {
                let template = match self.template.as_deref().map(Template::parse).transpose() {
                    Ok(t) => t,
                    Err(e) => {
                        errors.push(format!("{at}.template"), e);
                        None
                    }
                };
                Target::Webhook { url: url?, token, template }
            }
            ChannelKind::Slack => Target::Slack { url: url? },
            ChannelKind::Discord => Target::Discord { url: url? },
            ChannelKind::Teams => Target::Teams { url: url? },
            ChannelKind::Ntfy => Target::Ntfy { url: url?, token },
            ChannelKind::Gotify => Target::Gotify { url: url?, token: token? },
            ChannelKind::Telegram => {
                let chat_id = required("chat_id", &self.chat_id);
                let api_url = self.api_url.clone().unwrap_or_else(|| TELEGRAM_API.to_owned());
                if let Err(e) = http_url(format!("{at}.api_url"), &api_url) {
                    errors.0.push(e);
                }
                Target::Telegram { api_url: api_url.trim_end_matches('/').to_owned(), token: token?, chat_id: chat_id? }
            }
            ChannelKind::Email => {
                let host = required("host", &self.host);
                let from = required("from", &self.from);
                let to: Vec<String> = self.to.iter().flatten().map(|t| t.trim().to_owned()).collect();
                if to.is_empty() {
                    errors.push(format!("{at}.to"), "required for kind email: at least one address");
                }
                for (i, t) in to.iter().enumerate().filter(|(_, t)| !t.contains('@')) {
                    errors.push(format!("{at}.to[{i}]"), format!("`{t}` is not an email address"));
                }
                if password.is_some() && self.username.is_none() {
                    errors.push(format!("{at}.username"), "required when a password is set");
                }
                let tls = self.tls.unwrap_or_default();
                Target::Email(EmailSettings {
                    host: host?,
                    port: self.port.unwrap_or(tls.default_port()),
                    tls,
                    from: from?,
                    to,
                    username: self.username.clone(),
                    password,
                })
            }
        })
    }
}
