//! What Fleetwatch's tests share: real `sshd` hosts on loopback addresses, a fresh PostgreSQL
//! database per test, a loop-mounted file system, child processes, polling with deadlines, a headless browser, YAML and paths.
//!
//! A dev-dependency only: no crate may depend on it normally, and it depends on no Fleetwatch
//! crate (so every crate's tests can use it). Its helpers panic with a message saying what to
//! fix, because that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
pub mod disk;
pub mod files;
pub mod layers;
pub mod net;
pub mod pg;
pub mod process;
pub mod sshd;
pub mod tarpit;
pub mod wait;
pub mod yaml;

pub use browser::{headless_chromium, web_dir};
pub use disk::LoopMount;
pub use files::{copy_dir, open_up, read, repo};
pub use layers::layer_violations;
pub use net::{closed_port, free_port, unique_loopback};
pub use pg::PgTestDb;
pub use process::{KillOnDrop, Proc, run, signal, text};
pub use sshd::{Sshd, TEST_USER, fingerprint, test_password};
pub use tarpit::SilentServer;
pub use wait::{wait_for, wait_until};
pub use yaml::{yaml, yaml_docs};
