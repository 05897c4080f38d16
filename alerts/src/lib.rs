//! Fleetwatch's alerting engine: decides which alerts exist (rules, built-in rules, their state
//! over time, silences) and what to send (one grouped message per channel, rendered as data).
//!
//! It must do no I/O: no network, no database, no clock (the time is always a parameter), no
//! environment or file reads (secrets are looked up through a [`SecretSource`] the caller passes).

pub mod builtin;
pub mod channel;
pub mod config;
pub mod delivery;
pub mod error;
pub mod evaluate;
pub mod glob;
pub mod group;
pub mod metric;
pub mod render;
pub mod rule;
pub mod silence;
pub mod state;

#[cfg(test)]
mod fixture;

pub use builtin::Defaults;
pub use channel::{Channel, ChannelConfig, ChannelKind, SecretSource};
pub use config::{Alerting, AlertsConfig};
pub use delivery::{Delivery, DeliveryConfig};
pub use error::{ConfigError, ConfigErrors};
pub use evaluate::{Failure, ServerView, evaluate};
pub use glob::Glob;
pub use group::{GroupStatus, Notification, group};
pub use metric::Metric;
pub use render::{Outgoing, RenderContext, render};
pub use rule::{Rule, RuleConfig, RuleSet};
pub use silence::{Silence, SilenceSpec, is_silenced};
pub use state::{AckError, Acknowledgement, Alert, AlertBook, AlertState, Severity, Transition, TransitionKind};
