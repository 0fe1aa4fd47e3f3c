//! The integration tests: one binary (one link of the crate), a module per area, as ripgrep's
//! `tests/`. Every test talks to an in-process sandbox or runs the real binary on loopback.
//!
//! Run one area with `cargo test --test it import::`, one test with its full path.

mod api;
mod architecture;
mod auth;
mod bad_input;
mod changes;
mod cli;
mod doctor;
mod export;
mod faults;
mod import;
// Peak RSS through `wait4`, in KiB as Linux reports it.
#[cfg(target_os = "linux")]
mod memory;
mod overlap;
mod privacy;
mod rate_learning;
mod rendered;
mod requests;
mod run;
mod sandbox;
mod secrets;
mod server_errors;
mod synth;
mod through_excel;
mod two_paths;
mod validate;
mod variants;
