//! Reusable pieces of the pages.

pub mod gauge;
pub mod status_card;
pub mod status_pill;
