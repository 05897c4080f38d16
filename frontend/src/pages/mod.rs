//! One module per tab.

pub mod alerts;
pub mod alerts_current;
pub mod alerts_history;
pub mod alerts_silences;
pub mod compare;
pub mod dashboard;
pub mod login;
pub mod overview;
pub mod server;
pub mod server_sections;
pub mod settings;
pub mod user;
pub mod users;
