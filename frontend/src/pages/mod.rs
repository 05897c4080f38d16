//! One module per tab.

pub mod dashboard;
pub mod overview;
pub mod server;
pub mod server_sections;
pub mod users;
