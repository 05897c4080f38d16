//! `fleetwatch authorized-keys-line`: the `~/.ssh/authorized_keys` line that lets the collector's
//! key in to run its program and nothing else. `restrict` turns off pty, port, agent and X11
//! forwarding and `~/.ssh/rc`; `command="sh -s"` makes sshd run the collector's own command
//! whatever the client asks for (the program still arrives on stdin). `from=` is added only
//! when asked for.
//!
//! Only the public half of the configured key is ever printed; the private key is loaded the
//! way the collector loads it, so the line matches the key really offered.

use std::path::PathBuf;

use fleetwatch_config::{Credentials, Server};
use secrecy::ExposeSecret;

use crate::cycle::REMOTE_COMMAND;

/// Why no line can be given.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizedKeysError {
    #[error("no server named {name:?} in the configuration (servers: {known})")]
    UnknownServer { name: String, known: String },
    #[error(
        "server {server} is collected on this machine (local transport): there is no SSH key to put in authorized_keys"
    )]
    Local { server: String },
    #[error(
        "server {server} logs in with a password: an authorized_keys line needs a key; give it an identity_file first"
    )]
    Password { server: String },
    #[error("cannot load identity file {} of server {server}: {source}", path.display())]
    Key {
        server: String,
        path: PathBuf,
        #[source]
        source: Box<russh::keys::Error>,
    },
    #[error("cannot write the public key of {} in OpenSSH format: {source}", path.display())]
    Encode {
        path: PathBuf,
        #[source]
        source: Box<russh::keys::ssh_key::Error>,
    },
    #[error("--from {value:?}: {why}")]
    From { value: String, why: &'static str },
}

/// The line for the server called `name` among `servers`, with `from=` when `from` is given.
pub fn line_for(servers: &[Server], name: &str, from: Option<&str>) -> Result<String, AuthorizedKeysError> {
    let server = servers.iter().find(|s| s.name == name).ok_or_else(|| AuthorizedKeysError::UnknownServer {
        name: name.to_owned(),
        known: servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
    })?;
    line(server, from)
}

/// The line for `server`: its collector key's public half with the restricting options.
pub fn line(server: &Server, from: Option<&str>) -> Result<String, AuthorizedKeysError> {
    let Some(ssh) = &server.ssh else {
        return Err(AuthorizedKeysError::Local { server: server.name.clone() });
    };
    let (path, passphrase) = match &ssh.credentials {
        Credentials::Password(_) => return Err(AuthorizedKeysError::Password { server: server.name.clone() }),
        Credentials::Key { path, passphrase } => (path, passphrase),
    };
    if let Some(from) = from {
        check_from(from)?;
    }
    let key = russh::keys::load_secret_key(path, passphrase.as_ref().map(|p| p.expose_secret())).map_err(|source| {
        AuthorizedKeysError::Key { server: server.name.clone(), path: path.clone(), source: Box::new(source) }
    })?;
    let mut public = key.public_key().clone();
    public.set_comment(comment(&server.name));
    let public = public
        .to_openssh()
        .map_err(|source| AuthorizedKeysError::Encode { path: path.clone(), source: Box::new(source) })?;
    Ok(format_line(&public, from))
}

/// `options public-key`: `public` is an OpenSSH public key line (`type base64 [comment]`).
pub fn format_line(public: &str, from: Option<&str>) -> String {
    let from = from.map(|f| format!("from=\"{f}\",")).unwrap_or_default();
    format!("{from}restrict,command=\"{REMOTE_COMMAND}\" {public}")
}

/// The key's comment in the line: says who it is for, in characters no parser stumbles on.
fn comment(server: &str) -> String {
    let safe: String =
        server.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' }).collect();
    format!("fleetwatch-collector@{safe}")
}

/// A `from=` pattern list (sshd(8) "PATTERNS"): comma-separated host or address patterns, CIDR
/// masks, `*`/`?` wildcards, `!` negation. Anything that could end the option (a quote, a
/// space, a line break) is refused, so the line cannot be made to grant more than it says.
pub fn check_from(value: &str) -> Result<(), AuthorizedKeysError> {
    let refuse = |why| Err(AuthorizedKeysError::From { value: value.to_owned(), why });
    if value.is_empty() {
        return refuse("empty: give host or address patterns, e.g. 192.0.2.10 or 10.0.0.0/8");
    }
    if value.split(',').any(|p| p.is_empty() || p == "!") {
        return refuse("an empty pattern between commas");
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || ".:*?!,/_-%".contains(c)) {
        return refuse("only host names, addresses, CIDR masks, * ? ! and commas are allowed (no quotes or spaces)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_options_restrict_and_force_the_collectors_command() {
        let line = format_line("ssh-ed25519 AAAAC3Nz x@y", None);
        assert_eq!(line, "restrict,command=\"sh -s\" ssh-ed25519 AAAAC3Nz x@y");
        let line = format_line("ssh-ed25519 AAAAC3Nz x@y", Some("10.0.0.0/8,!10.0.0.9"));
        assert_eq!(line, "from=\"10.0.0.0/8,!10.0.0.9\",restrict,command=\"sh -s\" ssh-ed25519 AAAAC3Nz x@y");
    }

    #[test]
    fn from_patterns_that_could_break_out_of_the_option_are_refused() {
        for ok in ["192.0.2.10", "10.0.0.0/8,!10.0.0.9", "*.example.com", "fe80::1%eth0", "collector-1"] {
            assert!(check_from(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a,,b", "!", "1.2.3.4\" ssh-rsa", "a b", "a\nb", "a\"", "x,"] {
            assert!(matches!(check_from(bad), Err(AuthorizedKeysError::From { .. })), "{bad:?}");
        }
    }

    #[test]
    fn the_comment_is_one_safe_word() {
        assert_eq!(comment("web-1.example"), "fleetwatch-collector@web-1.example");
        assert_eq!(comment("a b\"c\n"), "fleetwatch-collector@a-b-c-");
    }
}
