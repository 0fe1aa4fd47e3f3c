//! One import run end to end, below the command line: refuse a batch already imported, resume
//! an unfinished run of the same batch, journal the records, submit, close the run and say
//! what it did. (The exit status that follows is the command line's to decide and record.)

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Remote, SubmitError, SubmitOptions, align, initial_detail, submit};
use crate::journal::{Journal, JournalError, NewRecord, RunStatus, new_run_id};
use crate::model::{Counts, Outcome, Record};
use crate::plan::approval::Acceptance;
use crate::plan::{fingerprint, payload_hash};

/// The key of the run options that holds what the run accepts ([`Acceptance`]), so that a
/// resumed run keeps the decisions of its first process.
pub const ACCEPTANCE_OPTION: &str = "acceptance";

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub files: Vec<PathBuf>,
    /// The API the run talks to; part of the duplicate-batch check (the same batch may go to
    /// a sandbox and to Nxsys).
    pub base_url: String,
    /// Options recorded with the run (rate, concurrency, mask_pii, …).
    pub recorded_options: serde_json::Value,
    /// The API tenant written to (base URL and client id): one run at a time may send to it on
    /// this machine. `None` takes no such lock (tests of the engine against a fake).
    pub tenant: Option<String>,
    /// Resume this run instead of looking one up by fingerprint.
    pub resume: Option<String>,
    pub allow_duplicate_batch: bool,
    pub submit: SubmitOptions,
}

/// Why an import did not run or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "this batch was already imported by run {run} (finished {finished}); nothing was sent. \
         `nxsys-etl runs show {run}` shows what it did (add --report FILE to write its report \
         again); to send it again anyway add --allow-duplicate-batch"
    )]
    DuplicateBatch { run: String, finished: String },
    #[error(
        "this batch was already imported by run {run} (finished {finished}) and {held} of its \
         records are held for approval; nothing was sent. Check their old and new values in \
         that run's report (Changes sheet), then run the same import with --accept \
         identity,bank,pay (the classes you accept) or --approvals REPORT.xlsx (rows marked \
         approved) to send them"
    )]
    HeldForApproval {
        run: String,
        finished: String,
        held: usize,
    },
    #[error(
        "run {run} was of another batch (the files' contents differ); give the files of that run, \
         or leave out --resume to start a new run"
    )]
    ResumeMismatch { run: String },
    #[error("--dry-run plans a batch afresh and cannot resume run {run}; leave out --resume")]
    DryRunResume { run: String },
    #[error("run {run} is {status} and cannot be resumed; `nxsys-etl runs show {run}` shows it")]
    NotResumable { run: String, status: &'static str },
    #[error(
        "run {run} stopped: {message}. Nothing was sent twice; run the same import again to resume it"
    )]
    Aborted { run: String, message: String },
    #[error("run {run} interrupted — run the same command again to resume")]
    Interrupted { run: String },
    #[error(transparent)]
    Journal(#[from] JournalError),
}

impl ImportError {
    /// Whether the run could not start because of what was asked (exit 2) rather than
    /// because something failed (exit 3).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ImportError::DuplicateBatch { .. }
                | ImportError::HeldForApproval { .. }
                | ImportError::ResumeMismatch { .. }
                | ImportError::NotResumable { .. }
                | ImportError::DryRunResume { .. }
                | ImportError::Journal(JournalError::Busy { .. })
                | ImportError::Journal(JournalError::TenantBusy { .. })
                | ImportError::Journal(JournalError::UnknownRun(_))
        )
    }
}

/// How the run went, for the caller to report.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub run_id: String,
    /// Whether an unfinished run was picked up.
    pub resumed: bool,
    /// The run's records per outcome, as the journal has them at the end.
    pub counts: Counts,
    /// Records the server turned out to hold twice (another machine sent the same at once).
    pub server_duplicates: usize,
}

/// Import `records` (the whole batch, valid or not) through `remote`.
pub async fn import<R: Remote>(
    remote: &R,
    journal: &Journal,
    records: &[Record],
    request: &ImportRequest,
) -> Result<ImportOutcome, ImportError> {
    let fingerprint = fingerprint(records);
    let dry_run = request.submit.dry_run;
    // Held until the run ends: a second process importing the same batch is refused, not
    // run alongside (two processes could both create the same worker).
    let mut tenant_lock = match &request.tenant {
        Some(tenant) if !dry_run => Some(journal.lock_tenant(tenant)?),
        _ => None,
    };
    let _lock = if dry_run {
        None
    } else {
        Some(journal.lock_batch(&fingerprint)?)
    };
    let existing = match &request.resume {
        Some(id) if dry_run => return Err(ImportError::DryRunResume { run: id.clone() }),
        Some(id) => {
            let run = journal.run(id)?;
            if run.fingerprint != fingerprint {
                return Err(ImportError::ResumeMismatch { run: run.id });
            }
            if !run.status.is_resumable() {
                return Err(ImportError::NotResumable {
                    run: run.id,
                    status: run.status.as_str(),
                });
            }
            Some(run)
        }
        None if dry_run => None,
        None => {
            let runs = journal.runs_with_fingerprint(&fingerprint, &request.base_url)?;
            if let Some(done) = runs.iter().find(|r| r.status == RunStatus::Finished)
                && !request.allow_duplicate_batch
            {
                // A batch whose held records are now accepted goes again: a new run, in which
                // what landed before is unchanged and the accepted updates are sent.
                let held = journal.outcome_counts(&done.id)?.get(Outcome::Held);
                let finished = done.finished.clone().unwrap_or_default();
                let run = done.id.clone();
                match (held, request.submit.acceptance.is_empty()) {
                    (0, _) => return Err(ImportError::DuplicateBatch { run, finished }),
                    (held, true) => {
                        return Err(ImportError::HeldForApproval {
                            run,
                            finished,
                            held,
                        });
                    }
                    (_, false) => {}
                }
            }
            runs.into_iter().find(|r| r.status.is_resumable())
        }
    };

    let (run_id, resumed, prior) = match existing {
        Some(run) => {
            let rows = journal.records(&run.id)?;
            journal.set_run_status(&run.id, RunStatus::Running)?;
            (run.id, true, rows)
        }
        None => {
            let id = new_run_id();
            let status = if dry_run {
                RunStatus::DryRun
            } else {
                RunStatus::Running
            };
            let mut recorded = request.recorded_options.clone();
            if let Some(map) = recorded.as_object_mut() {
                map.insert(
                    ACCEPTANCE_OPTION.into(),
                    serde_json::to_value(&request.submit.acceptance).unwrap_or_default(),
                );
            }
            journal.insert_run(
                &id,
                &request.files,
                &fingerprint,
                &request.base_url,
                &recorded,
                status,
            )?;
            let new = records.iter().enumerate().map(|(i, r)| NewRecord {
                seq: i as u32,
                entity: r.entity,
                provenance: r.provenance.clone(),
                natural_key: r.key.clone(),
                payload_hash: payload_hash(r),
                detail: initial_detail(r),
            });
            journal.insert_records(&id, new)?;
            (id, false, Vec::new())
        }
    };
    if let Some(lock) = &mut tenant_lock {
        lock.describe(&format!(
            "run {run_id}, pid {}, journal {}",
            std::process::id(),
            journal.path().display()
        ));
    }
    let Some(work) = align(records, &prior) else {
        return Err(ImportError::ResumeMismatch { run: run_id });
    };
    let prior: HashMap<u32, _> = prior.into_iter().map(|r| (r.seq, r)).collect();
    // A resumed run keeps what its first process accepted (flags and approval file).
    let mut options = request.submit.clone();
    if resumed {
        let first = journal.run(&run_id)?.options;
        if let Some(accepted) = first.get(ACCEPTANCE_OPTION).cloned()
            && let Ok(accepted) = serde_json::from_value::<Acceptance>(accepted)
        {
            options.acceptance.merge(accepted);
        }
    }

    match submit(remote, journal, &run_id, &work, &prior, &options).await {
        Ok(()) => {
            let counts = journal.outcome_counts(&run_id)?;
            let server_duplicates = journal.server_duplicate_count(&run_id)?;
            let status = if dry_run {
                RunStatus::DryRun
            } else if counts.get(Outcome::ServerError) > 0 {
                // Resumable: the next import of the batch sends those records again.
                RunStatus::Incomplete
            } else {
                RunStatus::Finished
            };
            journal.set_run_status(&run_id, status)?;
            Ok(ImportOutcome {
                run_id,
                resumed,
                counts,
                server_duplicates,
            })
        }
        Err(SubmitError::Aborted(message)) => {
            let status = if dry_run {
                RunStatus::DryRun
            } else {
                RunStatus::Aborted
            };
            journal.set_run_status(&run_id, status)?;
            Err(ImportError::Aborted {
                run: run_id,
                message,
            })
        }
        Err(SubmitError::Interrupted) => {
            let status = if dry_run {
                RunStatus::DryRun
            } else {
                RunStatus::Interrupted
            };
            journal.set_run_status(&run_id, status)?;
            Err(ImportError::Interrupted { run: run_id })
        }
        Err(SubmitError::Journal(e)) => Err(e.into()),
    }
}
