//! `fleetwatch notify-test CHANNEL`: sends a test message through one configured channel and
//! prints what the receiver answered.

use std::process::ExitCode;

use anyhow::{Result, bail};
use fleetwatch_alerts::{RenderContext, render};
use fleetwatch_collector::alerting::{DeliverySettings, send, test_notification};
use fleetwatch_config::Config;

pub async fn notify_test(config: &Config, name: &str) -> Result<ExitCode> {
    let channels = &config.alerting.channels;
    let Some(channel) = channels.iter().find(|c| c.name == name) else {
        let known: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
        if known.is_empty() {
            bail!("unknown channel {name:?}: no channel is configured ([[alerts.channels]])");
        }
        bail!("unknown channel {name:?}; configured channels: {}", known.join(", "));
    };
    let ctx = RenderContext { public_url: config.public_url.as_deref(), ..RenderContext::default() };
    let outgoing = render(channel, &test_notification(name, chrono::Utc::now()), &ctx);
    let timeout = DeliverySettings::default().timeout;
    match send(&reqwest::Client::new(), channel, outgoing, timeout).await {
        Ok(answer) => {
            println!(
                "{name} ({}): delivered; the receiver answered {} {}",
                channel.kind().as_str(),
                answer.status,
                answer.body
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("{name} ({}): NOT delivered: {e}", channel.kind().as_str());
            Ok(ExitCode::FAILURE)
        }
    }
}
