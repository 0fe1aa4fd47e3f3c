//! What the submit stage needs from the Nxsys API, as a trait ([`Remote`]): the API client
//! implements it (`nxsys`), and so does the stand-in a `--dry-run` without credentials uses
//! ([`Offline`]).
//!
//! Every `find_*` re-checks the natural key on what comes back: a server-side filter is never
//! trusted blindly (an API that ignores an unknown query parameter returns everything).

mod nxsys;
mod offline;

use std::future::Future;

use serde_json::Value;

pub use super::listed::ListedCandidate;
use crate::model::Entity;
use crate::plan::timesheet::{ListedTotals, ServerTimesheet, TimesheetList, TimesheetPlan};

pub use nxsys::remote_error;
pub use offline::Offline;

/// Why a call failed, in the three ways the submit stage treats differently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// The server refused the data (4xx): final for this record, never retried.
    #[error("{message}")]
    Rejected { status: u16, message: String },
    /// A write was sent and no answer came back (timeout, 5xx, dropped connection): it may or
    /// may not have been applied. Search by natural key before sending again.
    #[error("no answer to a write: {message}")]
    Ambiguous { message: String },
    /// The server answered a write with 5xx: like [`RemoteError::Ambiguous`] it may have been
    /// applied (search before sending again); a record whose writes keep getting this while
    /// the searches work is failed for the run, not the whole run.
    #[error("{message}")]
    ServerError { status: u16, message: String },
    /// Nothing can go on: authentication failed, the API is unreachable. Stops the run, which
    /// stays resumable.
    #[error("{message}")]
    Abort { message: String },
}

/// A record on the server: its id and its JSON, shaped like the create body so that the plan's
/// field comparison applies (references flattened to their ids).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerRecord {
    pub id: String,
    pub json: Value,
}

/// How to look a candidate up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateKey {
    /// Ireland (`/candidates/ireland`) rather than UK.
    pub ireland: bool,
    pub agency_ref: String,
    /// NI number (UK) or PPS number (Ireland), when the sheet has one.
    pub identifier: Option<String>,
}

/// The API operations the submit stage uses.
pub trait Remote: Sync {
    /// `(id, letter)` of every VAT code.
    fn vat_codes(&self) -> impl Future<Output = Result<Vec<(String, String)>, RemoteError>>;

    /// Candidates whose Agency Ref equals `key.agency_ref` and, separately, those whose NI/PPS
    /// number equals `key.identifier` (full records, as `get_candidate` returns them).
    fn find_candidates(
        &self,
        key: &CandidateKey,
    ) -> impl Future<Output = Result<Vec<ServerRecord>, RemoteError>>;

    /// The id of the candidate with exactly this Agency Ref (one list request, no full read).
    fn find_candidate_id(
        &self,
        ireland: bool,
        agency_ref: &str,
    ) -> impl Future<Output = Result<Option<String>, RemoteError>>;

    /// Every candidate (list shape: `id`, `agencyRef`, `NINumber`/`PPSNumber`, …), or `None`
    /// when there are more than `limit` (then look them up one by one instead).
    fn list_candidates(
        &self,
        ireland: bool,
        limit: usize,
    ) -> impl Future<Output = Result<Option<Vec<ListedCandidate>>, RemoteError>>;

    /// Create a candidate; the id when the answer carries one (UK answers 201 with no body).
    fn create_candidate(
        &self,
        ireland: bool,
        body: &Value,
    ) -> impl Future<Output = Result<Option<String>, RemoteError>>;

    fn update_candidate(
        &self,
        ireland: bool,
        id: &str,
        body: &Value,
    ) -> impl Future<Output = Result<(), RemoteError>>;

    fn get_candidate(
        &self,
        ireland: bool,
        id: &str,
    ) -> impl Future<Output = Result<ServerRecord, RemoteError>>;

    /// Whether the server's look-up filters for `entity` narrow a list (a server may ignore
    /// or refuse them): when they do not, a stage reads the whole collection once instead of
    /// looking records up one by one. Learnt once, from the first answer or a probe.
    fn filters_narrow(&self, _entity: Entity) -> impl Future<Output = Result<bool, RemoteError>> {
        async { Ok(true) }
    }

    /// Fields of `entity`'s body the server does not keep (so never compared): an Irish
    /// worker's PPS number on a server that refuses the field.
    fn unkept_fields(&self, _entity: Entity) -> Vec<&'static str> {
        Vec::new()
    }

    /// Every payment rate, or `None` when there are more than `limit`.
    fn list_payment_rates(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Option<Vec<ServerRecord>>, RemoteError>>;

    /// The payment rate with exactly this code, if any.
    fn find_payment_rate(
        &self,
        code: &str,
    ) -> impl Future<Output = Result<Option<ServerRecord>, RemoteError>>;

    fn create_payment_rate(
        &self,
        body: &Value,
    ) -> impl Future<Output = Result<ServerRecord, RemoteError>>;

    fn update_payment_rate(
        &self,
        id: &str,
        body: &Value,
    ) -> impl Future<Output = Result<ServerRecord, RemoteError>>;

    fn get_payment_rate(&self, id: &str)
    -> impl Future<Output = Result<ServerRecord, RemoteError>>;

    /// Timesheets of a worker in a tax year and period.
    fn find_timesheets(
        &self,
        worker_id: &str,
        tax_year: i32,
        tax_period: u32,
    ) -> impl Future<Output = Result<Vec<ServerTimesheet>, RemoteError>>;

    /// Every timesheet of a tax year, or `None` when there are more than `limit`.
    fn list_timesheets(
        &self,
        tax_year: i32,
        limit: usize,
    ) -> impl Future<Output = Result<Option<TimesheetList>, RemoteError>>;

    /// [`Remote::list_timesheets`] with each timesheet's lines boiled down to their totals:
    /// what the read-back needs. A remote that can should boil each page as it arrives.
    fn list_timesheet_totals(
        &self,
        tax_year: i32,
        limit: usize,
    ) -> impl Future<Output = Result<Option<Vec<ListedTotals>>, RemoteError>> {
        async move {
            Ok(self
                .list_timesheets(tax_year, limit)
                .await?
                .map(|list| list.into_timesheets().map(ListedTotals::from).collect()))
        }
    }

    fn get_timesheet(&self, id: &str)
    -> impl Future<Output = Result<ServerTimesheet, RemoteError>>;

    /// Create the timesheet (`plan.create_body()` on the wire).
    fn create_timesheet(
        &self,
        plan: &TimesheetPlan,
    ) -> impl Future<Output = Result<ServerTimesheet, RemoteError>>;

    /// Replace the lines of timesheet `id` (`plan.edit_body()` on the wire).
    fn update_timesheet(
        &self,
        id: &str,
        plan: &TimesheetPlan,
    ) -> impl Future<Output = Result<ServerTimesheet, RemoteError>>;
}
