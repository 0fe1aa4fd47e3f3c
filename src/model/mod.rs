//! The types every stage shares, at the bottom of the crate: what a row is ([`Record`]), where
//! it came from ([`Provenance`]), what is wrong with it ([`Finding`], [`CellFinding`]), what the
//! plan decides for it ([`Action`], [`Change`]), what the report shows of it ([`RecordDetail`],
//! [`Totals`]) and where it ended up ([`Outcome`], [`Counts`]).
//!
//! This module depends on no other module of the crate; every stage may depend on it.

mod action;
mod detail;
pub mod digits;
mod finding;
mod outcome;
mod packed;
mod record;

pub use action::{Action, Change, ChangeClass};
pub use detail::{RecordDetail, Totals};
pub use finding::{CellFinding, Finding, Severity};
pub use outcome::{Counts, Outcome};
pub use packed::PackedTimesheet;
pub use record::{
    Body, Entity, JsonBody, LineDraft, PayRef, Provenance, Record, TimesheetDraft, VatRef,
    WorkerRef,
};
