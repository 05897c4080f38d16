//! Reusable pieces of the pages.

pub mod ack_form;
pub mod alert_badge;
pub mod alerts_table;
pub mod chart;
pub mod data_table;
pub mod error_banner;
pub mod filter_select;
pub mod gauge;
pub mod range_picker;
pub mod series_chart;
pub mod server_alerts;
pub mod sheet;
pub mod silence_form;
pub mod sort_header;
pub mod status_card;
pub mod status_pill;
pub mod users_table;
pub mod when;
