//! Configuration: built-in defaults, then a TOML file, then environment variables; validated once
//! at start. Secrets are read here into [`SecretString`]s and exposed only by the SSH auth call.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fleetwatch_common::Thresholds;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::ConfigError;

/// The commented example printed by `fleetwatch default-config`.
pub const EXAMPLE: &str = include_str!("../../docs/fleetwatch.example.toml");

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/fleetwatch.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// A source of environment variables, so loading can be tested without touching the process's.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
    /// All variable names (for the `SERVER<n>_*` scheme).
    fn names(&self) -> Vec<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
    fn names(&self) -> Vec<String> {
        std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()).collect()
    }
}

impl Env for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned().filter(|v| !v.is_empty())
    }
    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// May hold a password: kept secret, exposed only to open the pool.
    pub database_url: SecretString,
    pub listen: SocketAddr,
    /// Directory holding the built web frontend.
    pub web_dir: PathBuf,
    pub collector: CollectorSettings,
    pub thresholds: Thresholds,
    pub ui: UiSettings,
    pub servers: Vec<Server>,
    /// Where the configuration came from, for the logs.
    pub source: String,
}

/// Collector settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CollectorSettings {
    /// Cron expression with a seconds field (6 fields) or seconds and year (7 fields).
    pub schedule: String,
    pub concurrency: usize,
    pub connect_timeout_secs: u64,
    pub command_timeout_secs: u64,
    /// Attempts per server per cycle (1 = no retry), with exponential backoff.
    pub retries: u32,
    /// First backoff delay; doubles at each further attempt.
    pub retry_backoff_ms: u64,
    /// A server whose last success is older than this is shown offline ("stale").
    /// Default: twice the schedule's interval plus the timeouts.
    pub stale_after_secs: Option<u64>,
    /// Run a cycle immediately at start, before the first scheduled one.
    pub collect_on_start: bool,
    /// With several collector processes on one database: a member not heard from for this long
    /// is dead, and the others take its servers over.
    pub member_timeout_secs: u64,
    /// Per-user disk usage (`du`), off by default: it is costly for the servers.
    pub user_disk: UserDiskSettings,
}

/// `[collector.user_disk]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserDiskSettings {
    pub enabled: bool,
    /// Absolute directories whose subdirectories are measured and attributed to their owners.
    pub paths: Vec<String>,
    /// Cron expression with seconds (UTC); daily at 03:00 by default.
    pub schedule: String,
    pub timeout_secs: u64,
}

impl Default for UserDiskSettings {
    fn default() -> Self {
        Self { enabled: false, paths: vec!["/home".into()], schedule: "0 0 3 * * *".into(), timeout_secs: 900 }
    }
}

impl Default for CollectorSettings {
    fn default() -> Self {
        Self {
            schedule: "0 */15 * * * *".into(),
            concurrency: 64,
            connect_timeout_secs: 10,
            command_timeout_secs: 30,
            retries: 3,
            retry_backoff_ms: 500,
            stale_after_secs: None,
            collect_on_start: true,
            member_timeout_secs: 30,
            user_disk: UserDiskSettings::default(),
        }
    }
}

impl CollectorSettings {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }
    pub fn command_timeout(&self) -> Duration {
        Duration::from_secs(self.command_timeout_secs)
    }
    pub fn member_timeout(&self) -> Duration {
        Duration::from_secs(self.member_timeout_secs)
    }

    /// The interval between two scheduled cycles (the shortest gap among the next few).
    pub fn schedule_interval(&self) -> Option<Duration> {
        let cron = parse_cron(&self.schedule).ok()?;
        let now = chrono::Utc::now();
        let times: Vec<_> = cron.iter_after(now).take(4).collect();
        times.windows(2).filter_map(|w| (w[1] - w[0]).to_std().ok()).min()
    }

    /// How old a last success may be before the server counts as offline ("stale").
    pub fn stale_after(&self) -> Duration {
        if let Some(s) = self.stale_after_secs {
            return Duration::from_secs(s);
        }
        let interval = self.schedule_interval().unwrap_or(Duration::from_secs(900));
        let attempt = self.connect_timeout() + self.command_timeout();
        interval * 2 + attempt * self.retries.max(1)
    }
}

fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    let fields = expr.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!(
            "expected 6 fields (seconds first) or 7 (with year), got {fields}: e.g. \"0 */15 * * * *\""
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .year(croner::parser::Year::Optional)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| e.to_string())
}

/// Dashboard settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiSettings {
    /// Seconds between refreshes when the live stream is unavailable.
    pub refresh_secs: u64,
}

impl Default for UiSettings {
    fn default() -> Self {
        Self { refresh_secs: 30 }
    }
}

/// How a server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    #[default]
    Ssh,
    /// Runs the scripts on the machine Fleetwatch runs on, without SSH.
    Local,
}

/// How the server's host key is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// A pinned `SHA256:…` fingerprint.
    Pinned(String),
    /// An OpenSSH known_hosts file.
    KnownHosts(PathBuf),
    /// Trust on first use: recorded in the store, enforced afterwards.
    TrustOnFirstUse,
}

/// How the collector authenticates.
#[derive(Clone)]
pub enum Credentials {
    Password(SecretString),
    Key { path: PathBuf, passphrase: Option<SecretString> },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password(_) => f.write_str("Password([REDACTED])"),
            Self::Key { path, passphrase } => f
                .debug_struct("Key")
                .field("path", path)
                .field("passphrase", &passphrase.as_ref().map(|_| "[REDACTED]"))
                .finish(),
        }
    }
}

/// SSH details of a server.
#[derive(Debug, Clone)]
pub struct SshServer {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub credentials: Credentials,
    pub host_key: HostKeyPolicy,
}

/// One validated server.
#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    pub tags: Vec<String>,
    /// `None` for the local transport.
    pub ssh: Option<SshServer>,
}

impl Server {
    pub fn local(name: &str) -> Self {
        Self { name: name.into(), tags: vec!["local".into()], ssh: None }
    }
    pub fn transport(&self) -> &'static str {
        if self.ssh.is_some() { "ssh" } else { "local" }
    }
}

// ---- The file format -------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    listen: Option<String>,
    web_dir: Option<PathBuf>,
    #[serde(default)]
    collector: CollectorSettings,
    #[serde(default)]
    thresholds: Thresholds,
    #[serde(default)]
    ui: UiSettings,
    #[serde(default)]
    servers: Vec<FileServer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileServer {
    name: String,
    #[serde(default)]
    transport: TransportKind,
    host: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    identity_file: Option<PathBuf>,
    passphrase_env: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    host_key: Option<String>,
    known_hosts_file: Option<PathBuf>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Where the config file is: `--config`/`FLEETWATCH_CONFIG`, else `./fleetwatch.toml` if present.
pub fn config_path(explicit: Option<&Path>, env: &dyn Env) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = env.var("FLEETWATCH_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let default = PathBuf::from("fleetwatch.toml");
    default.exists().then_some(default)
}

impl Config {
    /// Loads and validates the configuration.
    pub fn load(path: Option<&Path>, env: &dyn Env) -> Result<Self, ConfigError> {
        let (file, source) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|source| ConfigError::Read { path: p.display().to_string(), source })?;
                (Self::parse_file(&text, &p.display().to_string())?, p.display().to_string())
            }
            None => (FileConfig::default(), "built-in defaults".to_string()),
        };
        Self::build(file, source, env)
    }

    /// Parses and validates a config text (the file part only; env still applies).
    pub fn from_toml(text: &str, env: &dyn Env) -> Result<Self, ConfigError> {
        Self::build(Self::parse_file(text, "<text>")?, "<text>".into(), env)
    }

    fn parse_file(text: &str, path: &str) -> Result<FileConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse { path: path.into(), message: e.to_string() })
    }

    fn build(file: FileConfig, source: String, env: &dyn Env) -> Result<Self, ConfigError> {
        let database_url = database_url(file.database_url, env)?;
        let listen_text = env.var("FLEETWATCH_LISTEN").or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = listen_text.parse::<SocketAddr>().map_err(|e| {
            ConfigError::invalid("listen (or FLEETWATCH_LISTEN)", format!("{listen_text:?} is not host:port: {e}"))
        })?;
        let web_dir =
            env.var("FLEETWATCH_WEB_DIR").map(PathBuf::from).or(file.web_dir).unwrap_or_else(|| PathBuf::from("dist"));

        validate_collector(&file.collector)?;
        validate_thresholds(&file.thresholds)?;
        if !(5..=3600).contains(&file.ui.refresh_secs) {
            return Err(ConfigError::invalid("ui.refresh_secs", "must be between 5 and 3600 seconds"));
        }

        let mut servers = Vec::new();
        for (i, s) in file.servers.into_iter().enumerate() {
            servers.push(resolve_file_server(i, s, env)?);
        }
        servers.extend(env_servers(env)?);
        if servers.is_empty() && source == "built-in defaults" {
            servers.push(Server::local("local"));
        }
        let mut seen = HashSet::new();
        for s in &servers {
            if !seen.insert(s.name.as_str()) {
                return Err(ConfigError::invalid(format!("servers.{}", s.name), "server names must be unique"));
            }
        }
        Ok(Self {
            database_url,
            listen,
            web_dir,
            collector: file.collector,
            thresholds: file.thresholds,
            ui: file.ui,
            servers,
            source,
        })
    }
}

fn database_url(file: Option<String>, env: &dyn Env) -> Result<SecretString, ConfigError> {
    if let Some(url) = secret_var(env, "DATABASE_URL")? {
        return Ok(url);
    }
    let pg_host = env.var("POSTGRES_HOST");
    let pg_password = secret_var(env, "POSTGRES_PASSWORD")?;
    if pg_host.is_some() || pg_password.is_some() {
        let host = pg_host.unwrap_or_else(|| "localhost".into());
        let user = env.var("POSTGRES_USER").unwrap_or_else(|| "postgres".into());
        let db = env.var("POSTGRES_DB").unwrap_or_else(|| "fleetwatch".into());
        let port = env.var("POSTGRES_PORT").unwrap_or_else(|| "5432".into());
        let auth = match pg_password {
            Some(p) => format!("{}:{}@", encode(&user), encode(p.expose_secret())),
            None => format!("{}@", encode(&user)),
        };
        return Ok(SecretString::from(format!("postgres://{auth}{host}:{port}/{}", encode(&db))));
    }
    Ok(SecretString::from(file.unwrap_or_else(|| DEFAULT_DATABASE_URL.into())))
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for URL user info.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reads `NAME`, else the file named by `NAME_FILE` (Docker secrets), trimmed of its final newline.
fn secret_var(env: &dyn Env, name: &str) -> Result<Option<SecretString>, ConfigError> {
    if let Some(v) = env.var(name) {
        return Ok(Some(SecretString::from(v)));
    }
    let file_var = format!("{name}_FILE");
    match env.var(&file_var) {
        Some(path) => read_secret_file(Path::new(&path), &file_var).map(Some),
        None => Ok(None),
    }
}

fn read_secret_file(path: &Path, key: &str) -> Result<SecretString, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::invalid(key, format!("cannot read {}: {e}", path.display())))?;
    Ok(SecretString::from(text.trim_end_matches(['\r', '\n']).to_string()))
}

fn validate_collector(c: &CollectorSettings) -> Result<(), ConfigError> {
    parse_cron(&c.schedule).map_err(|e| ConfigError::invalid("collector.schedule", e))?;
    if c.concurrency == 0 {
        return Err(ConfigError::invalid("collector.concurrency", "must be at least 1"));
    }
    if c.connect_timeout_secs == 0 || c.command_timeout_secs == 0 {
        return Err(ConfigError::invalid("collector.*_timeout_secs", "timeouts must be at least 1 second"));
    }
    if c.member_timeout_secs < 2 {
        return Err(ConfigError::invalid("collector.member_timeout_secs", "must be at least 2 seconds"));
    }
    let ud = &c.user_disk;
    parse_cron(&ud.schedule).map_err(|e| ConfigError::invalid("collector.user_disk.schedule", e))?;
    if ud.timeout_secs == 0 {
        return Err(ConfigError::invalid("collector.user_disk.timeout_secs", "must be at least 1 second"));
    }
    if let Some(p) = ud.paths.iter().find(|p| !p.starts_with('/') || p.contains(['\n', '\0'])) {
        return Err(ConfigError::invalid("collector.user_disk.paths", format!("{p:?} is not an absolute path")));
    }
    if c.retries == 0 || c.retries > 10 {
        return Err(ConfigError::invalid("collector.retries", "must be between 1 and 10 attempts"));
    }
    Ok(())
}

fn validate_thresholds(t: &Thresholds) -> Result<(), ConfigError> {
    for (name, th) in [("cpu", t.cpu), ("ram", t.ram), ("disk", t.disk)] {
        let ok = (0.0..=100.0).contains(&th.warning) && (0.0..=100.0).contains(&th.critical);
        if !ok || th.warning > th.critical {
            return Err(ConfigError::invalid(
                format!("thresholds.{name}"),
                "warning and critical must be percentages with warning <= critical",
            ));
        }
    }
    Ok(())
}

fn validate_name(key: &str, name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok { Ok(()) } else { Err(ConfigError::invalid(key, format!("{name:?}: names are 1-128 of A-Z a-z 0-9 - _ ."))) }
}

fn validate_fingerprint(key: &str, fp: &str) -> Result<(), ConfigError> {
    let ok = fp
        .strip_prefix("SHA256:")
        .is_some_and(|b64| b64.len() == 43 && b64.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/'));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::invalid(key, "expected a fingerprint as printed by `ssh-keygen -lf`: SHA256:<43 characters>"))
    }
}

fn resolve_file_server(i: usize, s: FileServer, env: &dyn Env) -> Result<Server, ConfigError> {
    let key = |field: &str| format!("servers[{i}] ({}).{field}", s.name);
    validate_name(&format!("servers[{i}].name"), &s.name)?;
    if s.transport == TransportKind::Local {
        let extra = s.host.is_some() || s.user.is_some() || s.identity_file.is_some() || s.password_env.is_some();
        if extra {
            return Err(ConfigError::invalid(key("transport"), "a local server takes no host, user or credentials"));
        }
        return Ok(Server { name: s.name.clone(), tags: s.tags, ssh: None });
    }
    let host = s.host.clone().ok_or_else(|| ConfigError::invalid(key("host"), "required for an SSH server"))?;
    let user = s.user.clone().ok_or_else(|| ConfigError::invalid(key("user"), "required for an SSH server"))?;
    let credentials = match (&s.identity_file, &s.password_env, &s.password_file) {
        (Some(path), None, None) => {
            let passphrase = match &s.passphrase_env {
                Some(var) => Some(SecretString::from(env.var(var).ok_or_else(|| {
                    ConfigError::invalid(key("passphrase_env"), format!("environment variable {var} is not set"))
                })?)),
                None => None,
            };
            Credentials::Key { path: path.clone(), passphrase }
        }
        (None, Some(var), None) => Credentials::Password(SecretString::from(env.var(var).ok_or_else(|| {
            ConfigError::invalid(key("password_env"), format!("environment variable {var} is not set"))
        })?)),
        (None, None, Some(path)) => Credentials::Password(read_secret_file(path, &key("password_file"))?),
        (None, None, None) => {
            return Err(ConfigError::invalid(
                key("identity_file"),
                "an SSH server needs identity_file, password_env or password_file",
            ));
        }
        _ => {
            return Err(ConfigError::invalid(
                key("identity_file"),
                "give only one of identity_file, password_env, password_file",
            ));
        }
    };
    let host_key = match (s.host_key, s.known_hosts_file) {
        (Some(fp), None) => {
            validate_fingerprint(&key("host_key"), &fp)?;
            HostKeyPolicy::Pinned(fp)
        }
        (None, Some(path)) => HostKeyPolicy::KnownHosts(path),
        (None, None) => HostKeyPolicy::TrustOnFirstUse,
        (Some(_), Some(_)) => {
            return Err(ConfigError::invalid(key("host_key"), "give host_key or known_hosts_file, not both"));
        }
    };
    Ok(Server {
        name: s.name,
        tags: s.tags,
        ssh: Some(SshServer { host, port: s.port.unwrap_or(22), user, credentials, host_key }),
    })
}

/// The seed deployment's scheme: `SERVER<n>_NAME`, `_HOST`, `_IP`, `_USERNAME`, `_PASSWORD`,
/// plus `_PORT`, `_KEY` (identity file), `_HOST_KEY` (pinned fingerprint), `_TAGS` (comma-separated).
fn env_servers(env: &dyn Env) -> Result<Vec<Server>, ConfigError> {
    let mut numbers: Vec<u32> = env
        .names()
        .iter()
        .filter_map(|k| {
            let rest = k.strip_prefix("SERVER")?;
            let (n, field) = rest.split_once('_')?;
            let known = ["NAME", "HOST", "IP", "USERNAME"].contains(&field);
            if known { n.parse().ok() } else { None }
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut out = Vec::new();
    for n in numbers {
        let var = |f: &str| env.var(&format!("SERVER{n}_{f}"));
        let key = |f: &str| format!("SERVER{n}_{f}");
        let address = var("IP")
            .or_else(|| var("HOST"))
            .ok_or_else(|| ConfigError::invalid(key("HOST"), format!("SERVER{n}_HOST or SERVER{n}_IP is required")))?;
        let name = var("NAME").or_else(|| var("HOST")).unwrap_or_else(|| address.clone());
        validate_name(&key("NAME"), &name)?;
        let user = var("USERNAME").ok_or_else(|| ConfigError::invalid(key("USERNAME"), "required"))?;
        let port = match var("PORT") {
            Some(p) => p.parse().map_err(|_| ConfigError::invalid(key("PORT"), format!("{p:?} is not a port")))?,
            None => 22,
        };
        let credentials = match (var("KEY"), secret_var(env, &key("PASSWORD"))?) {
            (Some(path), None) => {
                Credentials::Key { path: PathBuf::from(path), passphrase: secret_var(env, &key("KEY_PASSPHRASE"))? }
            }
            (None, Some(pw)) => Credentials::Password(pw),
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    key("KEY"),
                    format!("give SERVER{n}_KEY or SERVER{n}_PASSWORD, not both"),
                ));
            }
            (None, None) => {
                return Err(ConfigError::invalid(
                    key("PASSWORD"),
                    format!("SERVER{n}_PASSWORD or SERVER{n}_KEY is required"),
                ));
            }
        };
        let host_key = match var("HOST_KEY") {
            Some(fp) => {
                validate_fingerprint(&key("HOST_KEY"), &fp)?;
                HostKeyPolicy::Pinned(fp)
            }
            None => HostKeyPolicy::TrustOnFirstUse,
        };
        let tags = var("TAGS")
            .map(|t| t.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        out.push(Server { name, tags, ssh: Some(SshServer { host: address, port, user, credentials, host_key }) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn no_file_means_the_local_machine_and_sqlite() {
        let c = Config::load(None, &env(&[])).unwrap();
        assert_eq!(c.servers.len(), 1);
        assert_eq!(c.servers[0].name, "local");
        assert!(c.servers[0].ssh.is_none());
        assert_eq!(c.database_url.expose_secret(), DEFAULT_DATABASE_URL);
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
    }

    #[test]
    fn the_example_config_is_valid() {
        let c = Config::from_toml(EXAMPLE, &env(&[("WEB1_SSH_PASSWORD", "x")])).unwrap();
        assert!(c.servers.len() >= 2);
        assert_eq!(c.collector.schedule, "0 */15 * * * *");
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let e = Config::from_toml("colector = {}", &env(&[])).unwrap_err().to_string();
        assert!(e.contains("colector"), "{e}");
    }

    #[test]
    fn a_missing_password_variable_is_named() {
        let toml = "[[servers]]\nname='a'\nhost='h'\nuser='u'\npassword_env='NOPE_PW'\n";
        let e = Config::from_toml(toml, &env(&[])).unwrap_err().to_string();
        assert!(e.contains("NOPE_PW") && e.contains("servers[0]"), "{e}");
    }

    #[test]
    fn five_field_cron_is_refused() {
        let e = Config::from_toml("[collector]\nschedule='*/5 * * * *'", &env(&[])).unwrap_err().to_string();
        assert!(e.contains("collector.schedule"), "{e}");
    }

    #[test]
    fn seed_environment_scheme_defines_servers() {
        let e = env(&[
            ("SERVER1_NAME", "db-1"),
            ("SERVER1_HOST", "db1.example"),
            ("SERVER1_IP", "192.0.2.5"),
            ("SERVER1_USERNAME", "monitor"),
            ("SERVER1_PASSWORD", "hunter2"),
            ("SERVER12_HOST", "web12"),
            ("SERVER12_USERNAME", "root"),
            ("SERVER12_KEY", "/keys/id"),
            ("SERVER12_PORT", "2222"),
        ]);
        let c = Config::load(None, &e).unwrap();
        assert_eq!(c.servers.len(), 2, "env servers replace the default local one");
        let s1 = c.servers[0].ssh.as_ref().unwrap();
        assert_eq!((c.servers[0].name.as_str(), s1.host.as_str(), s1.port), ("db-1", "192.0.2.5", 22));
        let s12 = c.servers[1].ssh.as_ref().unwrap();
        assert_eq!((c.servers[1].name.as_str(), s12.port), ("web12", 2222));
        assert!(matches!(s12.credentials, Credentials::Key { .. }));
    }

    #[test]
    fn postgres_variables_build_an_encoded_url() {
        let e = env(&[("POSTGRES_HOST", "db"), ("POSTGRES_PASSWORD", "p@ss/word"), ("POSTGRES_DB", "fw")]);
        let c = Config::load(None, &e).unwrap();
        assert_eq!(c.database_url.expose_secret(), "postgres://postgres:p%40ss%2Fword@db:5432/fw");
        let e = env(&[("DATABASE_URL", "sqlite://x.db"), ("POSTGRES_HOST", "db")]);
        assert_eq!(Config::load(None, &e).unwrap().database_url.expose_secret(), "sqlite://x.db");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let e = env(&[
            ("SERVER1_HOST", "h"),
            ("SERVER1_USERNAME", "u"),
            ("SERVER1_PASSWORD", "sup3r-secret-pw"),
            ("DATABASE_URL", "postgres://u:db-secret-pw@h/d"),
        ]);
        let c = Config::load(None, &e).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("sup3r-secret-pw") && !dbg.contains("db-secret-pw"), "{dbg}");
    }

    #[test]
    fn duplicate_names_and_bad_fingerprints_are_refused() {
        let toml = "[[servers]]\nname='a'\ntransport='local'\n[[servers]]\nname='a'\ntransport='local'\n";
        assert!(Config::from_toml(toml, &env(&[])).unwrap_err().to_string().contains("unique"));
        let toml = "[[servers]]\nname='a'\nhost='h'\nuser='u'\nidentity_file='/k'\nhost_key='MD5:aa'\n";
        assert!(Config::from_toml(toml, &env(&[])).unwrap_err().to_string().contains("host_key"));
    }

    #[test]
    fn stale_after_follows_the_schedule() {
        let s = CollectorSettings { schedule: "*/10 * * * * *".into(), retries: 1, ..Default::default() };
        assert_eq!(s.schedule_interval(), Some(Duration::from_secs(10)));
        assert_eq!(s.stale_after(), Duration::from_secs(20 + 40));
    }
}
