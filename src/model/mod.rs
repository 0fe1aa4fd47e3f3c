//! The types every stage shares, at the bottom of the crate: what a row is ([`Record`]), where
//! it came from ([`Provenance`]), what is wrong with it ([`Finding`], [`CellFinding`]).
//!
//! This module depends on no other module of the crate; every stage may depend on it.

mod finding;
mod record;

pub use finding::{CellFinding, Finding, Severity};
pub use record::{
    Body, Entity, LineDraft, PayRef, Provenance, Record, TimesheetDraft, VatRef, WorkerRef,
};
