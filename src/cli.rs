//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "fleetwatch", version, about = "Agentless monitor for fleets of Linux servers")]
pub struct Cli {
    /// Config file (TOML). Default: $FLEETWATCH_CONFIG, else ./fleetwatch.toml if present,
    /// else built-in defaults that monitor this machine.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collector, API and dashboard in one process.
    Serve,
    /// Only the scheduled collector.
    Collector,
    /// Only the API and the dashboard.
    Api,
    /// Collect every server once, store the results, evaluate the alerts and queue their
    /// notifications; print one line per server and how many notifications were queued.
    CollectOnce,
    /// Apply the database migrations.
    Migrate,
    /// Measure per-user disk usage (`du` under collector.user_disk.paths) once, and store it.
    CollectUserDisk,
    /// Validate the config, then connect to every server and diagnose it without storing.
    Check,
    /// Print a fully commented example config.
    DefaultConfig,
    /// Exit 0 when healthy: the database answers and, with --collector, a collector process on
    /// this host has sent a heartbeat within `member_timeout_secs` (for container healthchecks).
    Healthcheck {
        #[arg(long)]
        collector: bool,
    },
    /// Print the exact shell program sent to every server (read-only; nothing is written there).
    Script {
        /// The first-cycle variant, which takes a one-second CPU baseline.
        #[arg(long)]
        baseline: bool,
    },
    /// Send a test message through one `[[alerts.channels]]` entry and print what the receiver
    /// answered (exit 1 when it was not delivered).
    NotifyTest {
        /// The channel's `name`.
        channel: String,
    },
    /// Host keys trusted on first use: list them, or accept a server's new key after it changed.
    HostKey {
        #[command(subcommand)]
        action: HostKeyAction,
    },
    /// Print the `~/.ssh/authorized_keys` line for a server's monitored account: the public half
    /// of the collector's key for it, with `restrict,command="sh -s"` (it may run the collection
    /// program and nothing else: no other command, pty or forwarding).
    AuthorizedKeysLine {
        /// The server's `name` (it must log in with a key).
        #[arg(long)]
        server: String,
        /// Accept the key only from these addresses or hosts (sshd's `from="…"` patterns, e.g.
        /// 192.0.2.10 or 10.0.0.0/8).
        #[arg(long, value_name = "PATTERNS")]
        from: Option<String>,
    },
    /// Print the POSIX sh script a push server's host runs from cron or a systemd timer: it
    /// runs the collection program and posts its output to `POST /api/ingest` with the
    /// server's ingest token (`fleetwatch token create NAME --scope ingest --server SERVER`).
    PushScript {
        /// The server's `name` (it must have `transport = "push"`).
        #[arg(long)]
        server: String,
        /// Where the host reaches Fleetwatch (e.g. https://mon.example.com); default:
        /// `public_url` of the config.
        #[arg(long)]
        url: Option<String>,
        /// The token file the script reads by default (it takes `--token-file` at run time too).
        #[arg(long, value_name = "PATH", default_value = fleetwatch_collector::push::DEFAULT_TOKEN_FILE)]
        token_file: String,
    },
    /// Dashboard users: add, change a password (ends their sessions), remove, list.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// API tokens (`Authorization: Bearer …`): create (the secret is printed once), list, revoke.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Row counts, oldest and newest sample per table, database size, bytes per tier (raw,
    /// 5m, 1h, 1d) and per server.
    DbStats,
    /// Roll up and delete what is past each tier's `[retention]` age now (the collector does it
    /// on its own schedule). A server's latest sample is always kept.
    Cleanup {
        /// Keep raw samples this long instead of `retention.raw` (e.g. 90d, 12h, "1h 30m"; a
        /// bare number is seconds).
        #[arg(long, value_name = "DURATION", value_parser = fleetwatch_config::duration::parse)]
        older_than: Option<Duration>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HostKeyAction {
    /// Each SSH server: how its host key is trusted, the fingerprint, and a changed key it offered.
    List,
    /// Connect once to SERVER, show its recorded and offered SHA256 fingerprints, and record the
    /// offered one when confirmed (`--yes`, or the offered fingerprint as FINGERPRINT). The
    /// server's host-key-changed alert resolves at the next successful collection.
    Accept {
        /// The server's `name`.
        server: String,
        /// The `SHA256:…` fingerprint to accept; it must be the one the server offers.
        fingerprint: Option<String>,
        /// Accept whatever key the server offers now.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user. The password is asked on the terminal (twice), or read as one line from
    /// standard input when that is not a terminal.
    Add {
        name: String,
        /// admin (everything), operator (acknowledge, silence, collect) or viewer (read).
        #[arg(long, default_value = "viewer", value_parser = parse_role)]
        role: fleetwatch_store::auth::Role,
    },
    /// Set a user's password (asked as for `add`); every session of the user ends.
    Passwd { name: String },
    /// Remove a user and end its sessions (not the last admin).
    Remove { name: String },
    /// Every user with its role.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print its secret: it is shown this once and stored only as a digest.
    Create {
        name: String,
        /// read, ingest or admin; repeat for several.
        #[arg(long = "scope", required = true, value_parser = parse_scope)]
        scopes: Vec<fleetwatch_store::auth::Scope>,
        /// Expires after this long (e.g. 90d); never by default.
        #[arg(long, value_name = "DURATION", value_parser = fleetwatch_config::duration::parse)]
        expires_in: Option<Duration>,
        /// The push server an `ingest` token pushes for (required with `--scope ingest`, which
        /// then is its only scope).
        #[arg(long, value_name = "NAME")]
        server: Option<String>,
    },
    /// Every token: id, name, scopes, expiry, last use, revoked.
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

fn parse_role(text: &str) -> Result<fleetwatch_store::auth::Role, String> {
    fleetwatch_store::auth::Role::parse(text).ok_or_else(|| format!("{text:?}: expected admin, operator or viewer"))
}

fn parse_scope(text: &str) -> Result<fleetwatch_store::auth::Scope, String> {
    fleetwatch_store::auth::Scope::parse(text).ok_or_else(|| format!("{text:?}: expected read, ingest or admin"))
}
