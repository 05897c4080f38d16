//! `fleetwatch host-key list` and `fleetwatch host-key accept SERVER [FINGERPRINT] [--yes]`: the
//! host keys trusted on first use, and re-accepting one after the server's key changed.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use fleetwatch_collector::ssh::{client_config, offered_host_key};
use fleetwatch_config::{Config, HostKeyPolicy};
use fleetwatch_store::{HostKeyOffer, KeyAcceptance, KeyAccepted, Store};

/// Who the store records as having accepted a key from the command line.
const BY: &str = "fleetwatch host-key accept";

/// One line per SSH server: how its key is trusted, the fingerprint, and a changed key waiting.
pub async fn list(config: &Config, store: &dyn Store) -> Result<ExitCode> {
    let offers: HashMap<String, HostKeyOffer> =
        store.host_key_offers().await?.into_iter().map(|o| (o.server_name.clone(), o)).collect();
    for server in &config.servers {
        let Some(ssh) = &server.ssh else { continue };
        let name = &server.name;
        let recorded = match &ssh.host_key {
            HostKeyPolicy::Pinned(fp) => {
                println!("{name}\tpinned\t{fp}");
                continue;
            }
            HostKeyPolicy::KnownHosts(path) => {
                println!("{name}\tknown_hosts\t{}", path.display());
                continue;
            }
            HostKeyPolicy::TrustOnFirstUse => match store.host_key(name).await? {
                Some(r) => {
                    println!("{name}\tfirst use\t{}\tsince {}", r.fingerprint, r.first_seen.to_rfc3339());
                    r.fingerprint
                }
                None => {
                    println!("{name}\tfirst use\tnot recorded yet");
                    continue;
                }
            },
        };
        if let Some(o) = offers.get(name).filter(|o| o.fingerprint != recorded) {
            println!(
                "  CHANGED: offered {} (last seen {}); to trust it: fleetwatch host-key accept {name}",
                o.fingerprint,
                o.seen.to_rfc3339()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Connects once to `name`, shows the recorded and the offered fingerprint, and records the
/// offered one when confirmed by `yes` or by `fingerprint` (which must be the offered one).
pub async fn accept(
    config: &Config,
    store: &dyn Store,
    name: &str,
    fingerprint: Option<&str>,
    yes: bool,
) -> Result<ExitCode> {
    let Some(server) = config.servers.iter().find(|s| s.name == name) else {
        let known: Vec<&str> = config.servers.iter().map(|s| s.name.as_str()).collect();
        bail!("unknown server {name:?}; configured servers: {}", known.join(", "));
    };
    let Some(ssh) = &server.ssh else { bail!("{name} uses the local transport: it has no host key") };
    match &ssh.host_key {
        HostKeyPolicy::Pinned(fp) => {
            bail!("the host key of {name} is pinned in the configuration ({fp}): change host_key there")
        }
        HostKeyPolicy::KnownHosts(path) => {
            bail!("{name} is checked against {}: update that file (ssh-keygen -R, ssh-keyscan)", path.display())
        }
        HostKeyPolicy::TrustOnFirstUse => {}
    }
    let Some(recorded) = store.host_key(name).await? else {
        println!("no host key is recorded for {name} yet: the collector trusts the first one it sees");
        return Ok(ExitCode::SUCCESS);
    };
    let offered = offered_host_key(ssh, client_config(), config.collector.connect_timeout())
        .await
        .with_context(|| format!("cannot read the host key of {name}"))?;
    let same = if offered == recorded.fingerprint { " (unchanged)" } else { "" };
    println!("{name} ({}:{})", ssh.host, ssh.port);
    println!("  recorded: {} (trusted since {})", recorded.fingerprint, recorded.first_seen.to_rfc3339());
    println!("  offered:  {offered}{same}");
    match (fingerprint, yes) {
        (Some(fp), _) if fp.trim() != offered => bail!("{name} offers {offered}, not {}: nothing accepted", fp.trim()),
        (None, false) => {
            println!("not accepted: run again with --yes, or with the offered fingerprint as argument, to accept it");
            return Ok(ExitCode::FAILURE);
        }
        _ => {}
    }
    let acceptance =
        KeyAcceptance { server: name, fingerprint: &offered, by: BY, at: chrono::Utc::now(), only_offered: false };
    match store.accept_host_key(&acceptance).await? {
        KeyAccepted::Accepted { previous } => {
            println!(
                "accepted: {offered} is now the host key of {name} (was {previous}); \
                 its host-key-changed alert resolves at the next successful collection"
            );
            Ok(ExitCode::SUCCESS)
        }
        KeyAccepted::NothingRecorded => {
            println!("no host key is recorded for {name} any more: the collector trusts the first one it sees");
            Ok(ExitCode::SUCCESS)
        }
        KeyAccepted::NotOffered { .. } => bail!("the store refused the key of {name}"),
    }
}
