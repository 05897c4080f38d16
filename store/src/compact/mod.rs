//! The compact format of stored samples (issue #11), without SQL.
//!
//! A cycle is split ([`cycle`]) into its facts, which rarely change and are stored once per
//! change, and its changing part: named figures (the headline's and every `Details::series()`
//! figure, plus the details' other numbers) and the users and top-process lists. The changing
//! part is first stored as one hot frame per cycle ([`frame`], exact); when a server's window
//! closes it is packed with the window's other frames into one block ([`block`]): figures
//! column by column ([`column`]: constants, deltas or `pco`; floats kept to
//! [`quantize::SIGNIFICANT_DIGITS`] significant digits, CPU shares as their exact tick counts:
//! [`ticks`]), lists as columns too, deflated
//! ([`lists`]).

pub(crate) mod block;
pub(crate) mod bytes;
pub(crate) mod column;
pub(crate) mod cycle;
pub(crate) mod derived;
pub(crate) mod frame;
pub(crate) mod lists;
pub(crate) mod patch;
pub(crate) mod profile;
pub(crate) mod quantize;
pub(crate) mod rollup;
pub(crate) mod ticks;
pub(crate) mod walk;

#[cfg(test)]
mod tests;
