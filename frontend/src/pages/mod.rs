//! One module per tab.

pub mod dashboard;
