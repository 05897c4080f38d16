//! Push ingest wired: the API's `Ingest` trait implemented with the collector's
//! `PushReceiver` (the API never imports the collector), and `fleetwatch push-script`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fleetwatch_api::ingest::{Ingest, IngestError, Ingested};
use fleetwatch_collector::push::{PushError, PushReceiver, push_script};
use fleetwatch_common::Transport;
use fleetwatch_config::Config;
use fleetwatch_store::Store;

/// The collector's parsers and sample building behind the API's push endpoint.
pub struct PushIngest(PushReceiver);

impl PushIngest {
    pub fn new(config: &Config, store: Arc<dyn Store>) -> Self {
        Self(PushReceiver::new(&config.servers, store))
    }
}

#[async_trait]
impl Ingest for PushIngest {
    async fn ingest(&self, server: &str, output: &[u8], at: DateTime<Utc>) -> Result<Ingested, IngestError> {
        match self.0.receive(server, output, at).await {
            Ok(r) => Ok(Ingested { warnings: r.warnings }),
            Err(PushError::NotPush(name)) => Err(IngestError::NotPush(name)),
            Err(PushError::Unusable(why)) => Err(IngestError::Unusable(why)),
            Err(PushError::Store(e)) => Err(IngestError::Store(e)),
        }
    }
}

/// `fleetwatch push-script --server NAME [--url URL] [--token-file PATH]`: prints the script.
pub fn print_script(config: &Config, server: &str, url: Option<&str>, token_file: &str) -> Result<ExitCode> {
    let Some(s) = config.servers.iter().find(|s| s.name == server) else {
        let names: Vec<&str> = config.servers.iter().map(|s| s.name.as_str()).collect();
        bail!("no server named {server:?} in the configuration (servers: {})", names.join(", "));
    };
    if s.transport() != Transport::Push {
        bail!("{server:?} uses the {} transport: only a server with transport = \"push\" pushes", s.transport());
    }
    let Some(url) = url.or(config.public_url.as_deref()) else {
        bail!("give --url (the address the host reaches Fleetwatch at), or set public_url in the config");
    };
    print!("{}", push_script(server, url, token_file)?);
    Ok(ExitCode::SUCCESS)
}
