//! The engine: stages in dependency order, records concurrently, and what later stages learn
//! from earlier ones (ids, failures). The exactly-once write loop is in `write.rs`, what a
//! stage reads in bulk in `listing.rs`.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::AtomicU32;
use std::sync::{Mutex, MutexGuard};

use futures::TryStreamExt;

use super::listed::CandidateList;
use super::progress::Progress;
use super::remote::{Remote, RemoteError, ServerRecord};
use super::{SubmitError, SubmitOptions, candidates, payment_rates, timesheets};
use crate::journal::{Acknowledged, Journal, RecordRow, RecordState, RecordUpdate};
use crate::model::{Action, Change, Entity, Record, RecordDetail};
use crate::plan::resolve::VatCodes;
use crate::plan::timesheet::{PayInfo, TimesheetList};
use crate::plan::{Decision, payload_hash};

/// A stage reads the whole list of what it may touch in one go (a page holds 100) when that
/// costs fewer requests than looking each record up: up to this many items per record.
pub(super) const LIST_ITEMS_PER_RECORD: usize = 50;

/// What the journal says of a record adopted after a 409.
pub const ADOPTED: &str = "the server already had it (HTTP 409 on create, another process or an earlier lost \
     write); found by its natural key and adopted, nothing was created twice";

/// Prefix of the placeholder id a dry run gives a record it would create.
pub const NEW_PREFIX: &str = "(new) ";

/// What later stages learn from earlier ones.
#[derive(Debug, Default)]
pub struct Refs {
    /// Agency Ref → `SR-…`.
    pub workers: HashMap<String, String>,
    /// Pay code (upper case) → id and default VAT code.
    pub pay: HashMap<String, PayInfo>,
    /// `worker:<ref>` / `pay:<CODE>` → why that record did not land.
    pub failed: HashMap<String, String>,
}

/// A worker created without its id in the answer (UK): its id is read after the stage.
#[derive(Debug, Clone)]
pub struct PendingId {
    pub seq: u32,
    pub entity: Entity,
    pub agency_ref: String,
    pub http_status: Option<u16>,
    pub message: Option<String>,
}

/// An update that may not go: its changes (classified) and why.
pub struct Held {
    pub changes: Vec<Change>,
    pub why: String,
}

/// One submission: the remote, the journal rows of the run, the VAT codes read once, what the
/// stages have learnt so far, and the listings of the current stage.
pub struct Engine<'a, R: Remote> {
    pub remote: &'a R,
    pub journal: &'a Journal,
    pub run: &'a str,
    pub prior: &'a HashMap<u32, RecordRow>,
    pub options: &'a SubmitOptions,
    pub vat: VatCodes,
    refs: Mutex<Refs>,
    duplicates: HashMap<u32, String>,
    /// Rows not sent whose key a valid row of the batch carries (that row is imported).
    superseded: HashSet<u32>,
    /// Candidates listed at the start of the stage (list shape), per country (`true` = Ireland).
    pub candidate_lists: HashMap<bool, CandidateList>,
    /// Timesheets listed at the start of the stage, per tax year.
    pub timesheet_lists: HashMap<i32, TimesheetList>,
    /// Payment rates listed at the start of their stage.
    pub rate_list: Option<Vec<ServerRecord>>,
    /// Workers created whose id the answer did not carry, to read after the stage.
    pub pending_ids: Mutex<Vec<PendingId>>,
    /// Kinds of record this process sent a write for (what the server held of them at the
    /// start of their stage may have changed).
    pub wrote: Mutex<HashSet<Entity>>,
    /// What the last runs left on this server, by kind and natural key (see
    /// [`crate::journal::Acknowledged`]).
    pub acknowledged: HashMap<Entity, HashMap<String, Acknowledged>>,
    /// The server, as the journal names it.
    pub base_url: String,
    /// Records failed with a server error since the last write that went through.
    pub(super) server_errors_in_row: AtomicU32,
}

/// Match the records of a resumed run to their journal rows by entity, natural key and payload
/// hash (files may be given in another order); new runs number records in input order.
pub fn align<'r>(records: &'r [Record], rows: &[RecordRow]) -> Option<Vec<(u32, &'r Record)>> {
    if rows.is_empty() {
        return Some(
            records
                .iter()
                .enumerate()
                .map(|(i, r)| (i as u32, r))
                .collect(),
        );
    }
    let mut free: HashMap<(Entity, String, String), Vec<u32>> = HashMap::new();
    for row in rows.iter().rev() {
        free.entry((
            row.entity,
            row.natural_key.clone(),
            row.payload_hash.clone(),
        ))
        .or_default()
        .push(row.seq);
    }
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let key = (record.entity, record.key.clone(), payload_hash(record));
        out.push((free.get_mut(&key)?.pop()?, record));
    }
    (out.len() == rows.len()).then_some(out)
}

impl<'a, R: Remote> Engine<'a, R> {
    pub async fn new(
        remote: &'a R,
        journal: &'a Journal,
        run: &'a str,
        prior: &'a HashMap<u32, RecordRow>,
        options: &'a SubmitOptions,
    ) -> Result<Engine<'a, R>, SubmitError> {
        let base_url = journal.run(run)?.base_url;
        let mut acknowledged = HashMap::new();
        if !options.offline {
            for entity in [Entity::Candidates, Entity::CandidatesIe] {
                acknowledged.insert(entity, journal.acknowledged(&base_url, entity)?);
            }
        }
        let vat = if options.offline {
            VatCodes::unchecked()
        } else {
            VatCodes::new(read(remote.vat_codes()).await?)
        };
        Ok(Engine {
            remote,
            journal,
            run,
            prior,
            options,
            vat,
            refs: Mutex::new(Refs::default()),
            duplicates: HashMap::new(),
            superseded: HashSet::new(),
            candidate_lists: HashMap::new(),
            timesheet_lists: HashMap::new(),
            rate_list: None,
            pending_ids: Mutex::new(Vec::new()),
            wrote: Mutex::new(HashSet::new()),
            acknowledged,
            base_url,
            server_errors_in_row: AtomicU32::new(0),
        })
    }

    pub fn refs(&self) -> MutexGuard<'_, Refs> {
        self.refs.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn dry_run(&self) -> bool {
        self.options.dry_run
    }

    /// Run every stage, then read back what landed for the control totals.
    pub async fn run(mut self, work: &[(u32, &Record)]) -> Result<(), SubmitError> {
        self.duplicates = find_duplicates(work);
        self.superseded = superseded(work);
        let totals: Vec<(Entity, u64)> = Entity::ALL
            .iter()
            .map(|e| {
                (
                    *e,
                    work.iter().filter(|(_, r)| r.entity == *e).count() as u64,
                )
            })
            .collect();
        let progress = Progress::new(self.options.progress, &totals);
        let stages: [&[Entity]; 3] = [
            &[Entity::Candidates, Entity::CandidatesIe],
            &[Entity::PaymentRates],
            &[Entity::Timesheets],
        ];
        for stage in stages {
            let items: Vec<(u32, &Record)> = work
                .iter()
                .filter(|(_, r)| stage.contains(&r.entity))
                .copied()
                .collect();
            tracing::info!(stage = ?stage, records = items.len(), "stage starts");
            self.list_before_stage(&items).await?;
            if stage.contains(&Entity::Timesheets) {
                timesheets::resolve_outside_refs(&self, &items).await?;
            }
            let engine = &self;
            let progress = &progress;
            futures::stream::iter(items.iter().copied().map(Ok::<_, SubmitError>))
                .try_for_each_concurrent(
                    self.options.concurrency.max(1),
                    |(seq, record)| async move {
                        engine.process(seq, record).await?;
                        progress.inc(record.entity);
                        Ok(())
                    },
                )
                .await?;
            if super::stop_requested() {
                progress.finish();
                return Err(SubmitError::Interrupted);
            }
            if stage.contains(&Entity::Candidates) && !self.options.dry_run {
                self.after_candidates(&items).await?;
            }
        }
        progress.finish();
        if !self.options.dry_run {
            tracing::info!("reading back what landed");
            let stage_lists = std::mem::take(&mut self.timesheet_lists);
            self.read_back(work, stage_lists).await?;
        }
        tracing::info!("submission finished");
        Ok(())
    }

    async fn process(&self, seq: u32, record: &Record) -> Result<(), SubmitError> {
        // Asked to stop: start nothing more (the record stays pending, for the resume), while
        // the records already in flight finish.
        if super::stop_requested() {
            return Ok(());
        }
        if let Some(row) = self.prior.get(&seq)
            && row.state.settled()
        {
            self.remember_final(record, row);
            return Ok(());
        }
        // A row that is not sent speaks for its key (blocks the timesheets that need it) only
        // when no valid row of the batch has the same key: that one is the one imported.
        let speaks = !self.superseded.contains(&seq);
        if !record.is_valid() {
            if speaks {
                let why = format!("it has errors in the sheet, {}", at(record));
                self.remember_failure(record, &why);
            }
            return self.block(
                seq,
                "invalid: not sent; fix the cells listed and import again",
            );
        }
        if let Some(first) = self.duplicates.get(&seq) {
            return self.block(seq, first);
        }
        match record.entity {
            Entity::Candidates | Entity::CandidatesIe => {
                candidates::process(self, seq, record).await
            }
            Entity::PaymentRates => payment_rates::process(self, seq, record).await,
            Entity::Timesheets => timesheets::process(self, seq, record).await,
        }
    }

    /// Whether an earlier process sent this record with this action and never recorded the
    /// answer, or got 5xx for it (which may have been applied after all).
    pub fn was_sent(&self, seq: u32, action: Action) -> bool {
        self.prior.get(&seq).is_some_and(|row| {
            matches!(row.state, RecordState::Sent | RecordState::ServerError)
                && row.action == Some(action)
        })
    }

    /// A final record of an earlier process: learn its id or its failure.
    fn remember_final(&self, record: &Record, row: &RecordRow) {
        match (row.state, &row.api_id) {
            (RecordState::Done | RecordState::Unchanged, Some(id)) => {
                self.remember_success(record, id);
            }
            // Created before a crash, its id not read yet: read it with the others.
            (RecordState::Done, None)
                if matches!(record.entity, Entity::Candidates | Entity::CandidatesIe) =>
            {
                self.pend(row.seq, record, row.http_status, row.message.clone());
            }
            (RecordState::Held, _) => {
                self.remember_failure(record, "its update is held for approval");
            }
            _ => self.remember_failure(record, row.message.as_deref().unwrap_or("it did not land")),
        }
    }

    /// A candidate or payment rate landed (or is already there) as `id`.
    pub fn remember_success(&self, record: &Record, id: &str) {
        let mut refs = self.refs();
        match record.entity {
            Entity::Candidates | Entity::CandidatesIe => {
                refs.workers.insert(record.key.clone(), id.to_string());
            }
            Entity::PaymentRates => {
                let default_vat = payment_rates::default_vat(self, record);
                refs.pay.insert(
                    record.key.to_uppercase(),
                    PayInfo {
                        id: id.to_string(),
                        default_vat,
                    },
                );
            }
            Entity::Timesheets => {}
        }
    }

    /// A candidate or payment rate did not land: timesheets that need it are blocked.
    pub fn remember_failure(&self, record: &Record, why: &str) {
        let key = match record.entity {
            Entity::Candidates | Entity::CandidatesIe => format!("worker:{}", record.key),
            Entity::PaymentRates => format!("pay:{}", record.key.to_uppercase()),
            Entity::Timesheets => return,
        };
        self.refs().failed.insert(key, why.to_string());
    }

    pub fn set_action(
        &self,
        seq: u32,
        action: Action,
        changes: &[Change],
    ) -> Result<(), SubmitError> {
        Ok(self.journal.set_action(self.run, seq, action, changes)?)
    }

    /// Review a planned update: `Ok(changes)` classified and marked with what accepts them
    /// when it may go; `Err(why)` when it must be held (a conflict, or a guarded change nothing
    /// accepted).
    pub fn review(&self, record: &Record, decision: &Decision) -> Result<Vec<Change>, Held> {
        let mut changes = decision.changes.clone();
        let verdict = match &decision.conflict {
            Some(why) => Err(why.clone()),
            None => self
                .options
                .acceptance
                .review(record.entity, &record.key, &mut changes),
        };
        match verdict {
            Ok(()) => Ok(changes),
            Err(why) => Err(Held { changes, why }),
        }
    }

    /// Journal a held update (its changes classified, nothing sent); the records that need it
    /// are not sent either.
    pub fn hold(
        &self,
        seq: u32,
        record: &Record,
        existing_id: Option<String>,
        held: Held,
    ) -> Result<(), SubmitError> {
        self.remember_failure(record, "its update is held for approval");
        self.set_action(seq, Action::Update, &held.changes)?;
        self.finish(seq, RecordState::Held, existing_id, None, Some(held.why))
    }

    /// A worker landed, but the answer did not say its id: journal it as done and read its id
    /// after the stage ([`Engine::after_candidates`]).
    pub fn await_id(
        &self,
        seq: u32,
        record: &Record,
        http_status: Option<u16>,
        message: Option<String>,
    ) -> Result<(), SubmitError> {
        self.finish(seq, RecordState::Done, None, http_status, message.clone())?;
        self.pend(seq, record, http_status, message);
        Ok(())
    }

    /// Add a created worker to those whose id is read after the stage.
    fn pend(&self, seq: u32, record: &Record, http_status: Option<u16>, message: Option<String>) {
        self.pending_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(PendingId {
                seq,
                entity: record.entity,
                agency_ref: record.key.clone(),
                http_status,
                message,
            });
    }

    pub fn block(&self, seq: u32, message: &str) -> Result<(), SubmitError> {
        self.set_action(seq, Action::Blocked, &[])?;
        self.finish(
            seq,
            RecordState::Blocked,
            None,
            None,
            Some(message.to_string()),
        )
    }

    /// The record is on the server as `id`: remember the id for the records that refer to it,
    /// and journal the record `state` (done or unchanged) with the answer's status or a note.
    pub fn on_server(
        &self,
        seq: u32,
        record: &Record,
        state: RecordState,
        id: &str,
        http_status: Option<u16>,
        message: Option<String>,
    ) -> Result<(), SubmitError> {
        self.remember_success(record, id);
        self.finish(seq, state, Some(id.to_string()), http_status, message)
    }

    pub fn finish(
        &self,
        seq: u32,
        state: RecordState,
        api_id: Option<String>,
        http_status: Option<u16>,
        message: Option<String>,
    ) -> Result<(), SubmitError> {
        Ok(self.journal.set_state(
            self.run,
            seq,
            state,
            &RecordUpdate {
                api_id,
                http_status,
                message,
            },
        )?)
    }

    /// The report detail of a record as the run started with it: a resumed run's as its
    /// journal row held it, a new run's as [`super::initial_detail`] made it.
    pub fn detail(&self, seq: u32, record: &Record) -> RecordDetail {
        match self.prior.get(&seq) {
            Some(row) => row.detail.clone(),
            None => super::initial_detail(record),
        }
    }

    pub fn set_detail(&self, seq: u32, detail: &RecordDetail) -> Result<(), SubmitError> {
        Ok(self.journal.set_detail(self.run, seq, detail)?)
    }
}

/// A read: any failure stops the run (the client has already retried what can be retried).
pub async fn read<T>(call: impl Future<Output = Result<T, RemoteError>>) -> Result<T, SubmitError> {
    call.await.map_err(|e| match e {
        RemoteError::Abort { message }
        | RemoteError::Ambiguous { message }
        | RemoteError::ServerError { message, .. } => SubmitError::Aborted(message),
        RemoteError::Rejected { status, message } => SubmitError::Aborted(format!(
            "the API refused a lookup (HTTP {status}): {message}"
        )),
    })
}

/// Where a record came from: `payment-rates.csv row 3` (its first row).
fn at(record: &Record) -> String {
    record
        .provenance
        .first()
        .map(|p| match &p.sheet {
            Some(sheet) => format!("{}, sheet {sheet}, row {}", p.file.display(), p.row),
            None => format!("{} row {}", p.file.display(), p.row),
        })
        .unwrap_or_default()
}

/// The key later stages know a record by: workers by Agency Ref, pay codes in any case.
fn ref_key(record: &Record) -> (&'static str, String) {
    let group = match record.entity {
        Entity::Candidates | Entity::CandidatesIe => "worker",
        Entity::PaymentRates => "pay",
        Entity::Timesheets => "timesheet",
    };
    (group, record.key.to_uppercase())
}

/// Records whose natural key repeats an earlier valid record of the same kind: only the first
/// is imported (sending both would create a duplicate or overwrite one with the other). The
/// message names both rows.
fn find_duplicates(work: &[(u32, &Record)]) -> HashMap<u32, String> {
    let mut seen: HashMap<(&str, String), &Record> = HashMap::new();
    let mut out = HashMap::new();
    for (seq, record) in work {
        if !record.is_valid() {
            continue;
        }
        match seen.get(&ref_key(record)) {
            Some(first) => {
                out.insert(
                    *seq,
                    format!(
                        "duplicate of {} (same key '{}'): {} was not imported, the first row \
                         is — remove one of the rows",
                        at(first),
                        record.key,
                        at(record)
                    ),
                );
            }
            None => {
                seen.insert(ref_key(record), record);
            }
        }
    }
    out
}

/// Invalid or duplicate records whose key a valid record of the batch carries: what later
/// stages learn of that key comes from the valid one.
fn superseded(work: &[(u32, &Record)]) -> HashSet<u32> {
    let valid: HashSet<(&str, String)> = work
        .iter()
        .filter(|(_, r)| r.is_valid())
        .map(|(_, r)| ref_key(r))
        .collect();
    let mut first_valid: HashSet<(&str, String)> = HashSet::new();
    work.iter()
        .filter(|(_, r)| {
            let key = ref_key(r);
            if r.is_valid() {
                // The first valid record speaks; later valid ones are duplicates.
                !first_valid.insert(key)
            } else {
                valid.contains(&key)
            }
        })
        .map(|(seq, _)| *seq)
        .collect()
}
