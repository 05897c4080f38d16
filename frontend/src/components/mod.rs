//! Reusable pieces of the pages.

pub mod chart;
pub mod data_table;
pub mod gauge;
pub mod status_card;
pub mod status_pill;
pub mod tag_select;
pub mod users_table;
