//! nxsys-etl: spreadsheets ⇄ the Nxsys umbrella-payroll API.
//!
//! The modules follow the pipeline of `DESIGN.md`:
//!
//! ```text
//! source → schema → rules → plan → submit → report
//!                            ↑       ↕
//!                           api ←→ journal
//! export: api → payslip rows → xlsx/csv        sandbox: local Nxsys simulator
//! ```
//!
//! Stage modules know nothing of the command line; `commands` wires them to `cli`.

pub mod api;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod export;
pub mod journal;
pub mod model;
pub mod plan;
pub mod report;
pub mod rules;
pub mod schema;
pub mod settings;
pub mod source;
pub mod submit;
pub mod synth;
pub mod writing;
