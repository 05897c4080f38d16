//! `fleetwatch user …` and `fleetwatch token …`: the store's accounts from the command line.
//! Each change is written to the audit log as done by `cli`.

use std::io::{BufRead, IsTerminal};
use std::process::{Command as Process, ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use fleetwatch_config::Server;
use fleetwatch_store::Store;
use fleetwatch_store::auth::{
    AuditEntry, NewToken, Scope, UserRecord, digest, hash_password, new_token_secret, password_problem,
};

use crate::cli::{TokenAction, UserAction};

pub async fn user(store: &dyn Store, action: UserAction) -> Result<ExitCode> {
    match action {
        UserAction::Add { name, role } => {
            if store.user(&name).await?.is_some() {
                bail!("a user named {name:?} already exists (fleetwatch user passwd {name} sets its password)");
            }
            let password_hash = hash_password(&read_password(&name)?)?;
            let now = Utc::now();
            let record = UserRecord { name: name.clone(), role, password_hash, created: now, password_changed: now };
            store.create_user(&record).await.context("cannot add the user")?;
            audit(store, "user_added", &name, Some(format!("role {role}"))).await?;
            println!("user {name} added ({role})");
        }
        UserAction::Passwd { name } => {
            if store.user(&name).await?.is_none() {
                bail!("no user named {name:?}");
            }
            let hash = hash_password(&read_password(&name)?)?;
            store.set_password(&name, &hash, Utc::now()).await?;
            audit(store, "password_changed", &name, None).await?;
            println!("password of {name} changed; its sessions ended");
        }
        UserAction::Remove { name } => {
            if !store.delete_user(&name).await.context("cannot remove the user")? {
                bail!("no user named {name:?}");
            }
            audit(store, "user_removed", &name, None).await?;
            println!("user {name} removed");
        }
        UserAction::List => {
            println!("{:<24} {:<9} {:<25} {:<25}", "name", "role", "created", "password changed");
            for u in store.users().await? {
                println!(
                    "{:<24} {:<9} {:<25} {:<25}",
                    u.name,
                    u.role.as_str(),
                    u.created.to_rfc3339(),
                    u.password_changed.to_rfc3339()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An ingest token's server must be one with `transport = "push"`
/// ([`fleetwatch_common::auth::check_token_binding`] says the rest).
fn check_binding(servers: &[Server], scopes: &[Scope], server: Option<&str>) -> Result<()> {
    fleetwatch_common::auth::check_token_binding(scopes, server).map_err(|e| anyhow::anyhow!("--server: {e}"))?;
    if let Some(name) = server
        && !servers.iter().any(|s| s.name == name && s.push)
    {
        bail!("--server: {name:?} is not a server with transport = \"push\" in the configuration");
    }
    Ok(())
}

pub async fn token(store: &dyn Store, servers: &[Server], action: TokenAction) -> Result<ExitCode> {
    match action {
        TokenAction::Create { name, mut scopes, expires_in, server } => {
            if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
                bail!("token name: 1 to 64 characters, no control characters");
            }
            scopes.sort();
            scopes.dedup();
            check_binding(servers, &scopes, server.as_deref())?;
            let created = Utc::now();
            let expires = expires_in
                .map(chrono::Duration::from_std)
                .transpose()
                .context("--expires-in is too long")?
                .map(|d| created + d);
            let secret = new_token_secret()?;
            let new = NewToken {
                name: &name,
                scopes: &scopes,
                secret_hash: &digest(&secret),
                created_by: "cli",
                created,
                expires,
                server: server.as_deref(),
            };
            let id = store.create_token(new).await?;
            let words: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
            let bound = server.as_deref().map(|s| format!(", server {s}")).unwrap_or_default();
            audit(store, "token_created", &name, Some(format!("id {id}, scopes {}{bound}", words.join(",")))).await?;
            eprintln!("token {id} ({name}, {}) created; its secret, shown this once:", words.join(","));
            println!("{secret}");
        }
        TokenAction::List => {
            println!(
                "{:>5} {:<24} {:<18} {:<25} {:<25} {:<25} {:<16}",
                "id", "name", "scopes", "expires", "last used", "revoked", "server"
            );
            let ts = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
            for t in store.tokens().await? {
                let words: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
                println!(
                    "{:>5} {:<24} {:<18} {:<25} {:<25} {:<25} {:<16}",
                    t.id,
                    t.name,
                    words.join(","),
                    ts(t.expires),
                    ts(t.last_used),
                    ts(t.revoked),
                    t.server.as_deref().unwrap_or("-")
                );
            }
        }
        TokenAction::Revoke { id } => {
            if !store.revoke_token(id, Utc::now()).await? {
                bail!("no live token {id}");
            }
            audit(store, "token_revoked", &id.to_string(), None).await?;
            println!("token {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn audit(store: &dyn Store, action: &str, target: &str, detail: Option<String>) -> Result<()> {
    let entry = AuditEntry {
        id: 0,
        at: Utc::now(),
        actor: "cli".into(),
        action: action.into(),
        target: Some(target.into()),
        source: Some("cli".into()),
        detail,
    };
    store.record_audit(&entry).await.context("cannot write the audit log")
}

/// A new password: asked twice without echo on a terminal, else one line of standard input.
fn read_password(name: &str) -> Result<String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = prompt(&format!("Password for {name}: "))?;
        let second = prompt("Again: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if let Some(problem) = password_problem(&password) {
        bail!("{problem}");
    }
    Ok(password)
}

/// Reads one line from the terminal with its echo off (`stty`), restored afterwards.
fn prompt(text: &str) -> Result<String> {
    eprint!("{text}");
    let echo_off = Process::new("stty").arg("-echo").stdin(Stdio::inherit()).status().is_ok_and(|s| s.success());
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if echo_off && let Err(e) = Process::new("stty").arg("echo").stdin(Stdio::inherit()).status() {
        eprintln!("warning: cannot turn the terminal's echo back on: {e}");
    }
    eprintln!();
    read.context("cannot read the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
