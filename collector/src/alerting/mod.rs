//! Alerting inside the collector process: [`AlertEngine`] evaluates the rules right after each
//! cycle on what the cycle found (and on a timer, for staleness, on what the store holds), and
//! writes the new alert states, their history and the notifications to send in one
//! transaction; [`Delivery`] sends the queued notifications, one task per channel, with
//! retries and backoff.
//!
//! Nothing here blocks or fails a cycle: an evaluation error is logged and counted. Secrets
//! stay in the channels (`SecretString`) and are exposed only in the request that needs them.

mod deliver;
mod engine;
mod send;

pub use deliver::{Delivery, DeliverySettings};
pub use engine::{AlertEngine, EvaluateError, Observation, Observed, Outcome};
pub use send::{Answer, SendError, send, test_notification};
