//! Types shared by every Fleetwatch crate, including the WASM frontend.
//!
//! Nothing here does I/O: this crate must compile for `wasm32-unknown-unknown`.

pub mod auth;
pub mod details;
pub mod status;
pub mod url;
pub mod user_activity;
pub mod wire;

pub use details::*;
pub use status::{Level, Status, Threshold, Thresholds};
pub use url::percent_encode;
pub use user_activity::{UserDay, UserTotal};
pub use wire::*;
