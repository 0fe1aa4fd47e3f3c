//! nxsys-etl: spreadsheets ⇄ the Nxsys umbrella-payroll API.
//!
//! Data flows through the stages
//!
//! ```text
//! source → schema → rules → plan → submit → report        export: api → payslip rows → xlsx/csv
//! ```
//!
//! and dependencies run one way, from `commands` down to `model`: a module uses only modules of
//! lower layers (`docs/architecture.md` lists them; `tests/it/architecture.rs` checks them).
//! Stages know nothing of the command line; `commands` resolves the settings, calls the stages
//! and turns their results and errors into exit codes. The Nxsys simulator is a crate of its own,
//! `nxsys-sandbox`, which never depends on this one.

pub mod api;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod doctor;
pub mod export;
pub mod journal;
pub mod model;
pub mod plan;
pub mod progress;
pub mod report;
pub mod rules;
pub mod schema;
pub mod settings;
pub mod source;
pub mod submit;
pub mod synth;
pub mod writing;
