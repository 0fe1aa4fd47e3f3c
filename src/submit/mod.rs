//! Submit stage: run the plan concurrently under the shared limiter, exactly once, journaling
//! intent before each write and the outcome after.
//!
//! Work goes in dependency order — candidates (UK and Ireland), then payment rates, then
//! timesheets — each stage awaiting the previous, with `concurrency` records in flight. Per
//! record: look it up on the server by natural key, decide (see [`crate::plan`]), commit `sent`
//! to the journal, write, record the outcome. A write whose answer is lost is *ambiguous*: the
//! server is searched by natural key, found → done with its id, not found → sent again. A record
//! the journal shows as `sent` from an earlier, interrupted process is treated the same way.

mod candidates;
mod detail;
mod engine;
mod listed;
mod listing;
mod payment_rates;
mod progress;
pub mod remote;
mod run;
mod shape;
mod stop;
mod timesheets;
mod write;

use std::collections::HashMap;

pub use detail::{finding_text, initial_detail};
pub use engine::align;
pub use remote::{Offline, Remote, RemoteError, remote_error};
pub use run::{ImportError, ImportOutcome, ImportRequest, import};
pub use stop::{request_stop, stop_requested};

use crate::journal::{Journal, JournalError, RecordRow};
use crate::model::Record;
use crate::plan::approval::Acceptance;

/// How to submit.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
    /// Records in flight at once.
    pub concurrency: usize,
    /// Decide only: reads to resolve ids, no writes.
    pub dry_run: bool,
    /// No server at all (a dry run without credentials): the server is taken as empty and
    /// VAT codes are not checked.
    pub offline: bool,
    /// Draw progress bars (the caller decides: a terminal, no `--json`, `-q`, `--no-progress`).
    pub progress: bool,
    /// What lets identity, bank and pay changes through; any other such change is held.
    pub acceptance: Acceptance,
    /// How long a record's write may keep getting 5xx (each followed by a search showing it
    /// absent) before the record is failed with a server error and the run goes on
    /// ([`SERVER_ERROR_BUDGET`] unless a test shortens it).
    pub server_error_budget: std::time::Duration,
}

/// How long one record's write is retried while the server answers it 5xx and answers the
/// searches between: long enough to ride out a short outage, short enough that a record the
/// server always fails on (a bug on its side, or a validation error sent as 500) costs the
/// month's run ten seconds, not the run.
pub const SERVER_ERROR_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a submission stopped before every record reached a final state.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Authentication failed, the API is unreachable, or it keeps losing answers. The run is
    /// resumable: run the same `import` again.
    #[error("{0}")]
    Aborted(String),
    /// A stop was requested ([`request_stop`]): the records in flight finished, no other was
    /// started. Resumable.
    #[error("interrupted")]
    Interrupted,
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Submit `work` (journal sequence number and record) for run `run_id`. `prior` holds the
/// journal rows of a resumed run (empty for a new one): records already final are skipped,
/// records left `sent` are searched for before anything is sent again.
pub async fn submit<R: Remote>(
    remote: &R,
    journal: &Journal,
    run_id: &str,
    work: &[(u32, &Record)],
    prior: &HashMap<u32, RecordRow>,
    options: &SubmitOptions,
) -> Result<(), SubmitError> {
    engine::Engine::new(remote, journal, run_id, prior, options)
        .await?
        .run(work)
        .await
}

#[cfg(test)]
mod tests;
