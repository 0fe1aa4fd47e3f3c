//! Record rows: one per candidate, payment rate or timesheet of a run, with its state.
//!
//! Rows carry the model's types; how each is stored (text, JSON) is the business of
//! `stored`, and a row that cannot be read back is an error naming its run and record.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::stored::{self, RECORD_COLUMNS};
use super::{Journal, JournalError, now, protect};
use crate::model::{Action, Change, Counts, Entity, Outcome, Provenance, RecordDetail};

/// Where a record is in its life. `planned → sent → done | failed`; `blocked`, `held` and
/// `unchanged` are decided without sending anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordState {
    /// Known, nothing sent yet.
    Planned,
    /// A write is (or was) in flight; its answer is not recorded. After a crash this means
    /// *ambiguous*: search the server before sending again.
    Sent,
    /// The server has it (created or updated); `api_id` says which record.
    Done,
    /// The server refused it (`http_status`, `message`).
    Failed,
    /// Not sent: invalid, or it depends on a record that failed.
    Blocked,
    /// Already on the server exactly as in the sheet: nothing to send.
    Unchanged,
    /// Not sent: an identity, bank or pay change that nothing accepted, or a conflict
    /// (`message` says which). A later run that accepts it sends it.
    Held,
    /// The server kept answering 5xx to its write while reads worked, and a search showed it
    /// absent: failed for this run, the others went on. A later run of the same batch sends it
    /// again (after a search, as the 5xx may have been applied after all).
    ServerError,
}

impl RecordState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Planned => "planned",
            RecordState::Sent => "sent",
            RecordState::Done => "done",
            RecordState::Failed => "failed",
            RecordState::Blocked => "blocked",
            RecordState::Unchanged => "unchanged",
            RecordState::Held => "held",
            RecordState::ServerError => "server_error",
        }
    }

    pub(super) fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "planned" => RecordState::Planned,
            "sent" => RecordState::Sent,
            "done" => RecordState::Done,
            "failed" => RecordState::Failed,
            "blocked" => RecordState::Blocked,
            "unchanged" => RecordState::Unchanged,
            "held" => RecordState::Held,
            "server_error" => RecordState::ServerError,
            _ => return None,
        })
    }

    /// A final state: nothing more will happen to the record in this run.
    pub fn is_final(self) -> bool {
        !matches!(self, RecordState::Planned | RecordState::Sent)
    }

    /// A final state that a resumed run keeps as it is. Server errors are sent again and
    /// blocked records are decided again (what blocked them may have landed since).
    pub fn settled(self) -> bool {
        self.is_final() && !matches!(self, RecordState::ServerError | RecordState::Blocked)
    }
}

/// One record of a run as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordRow {
    pub run: String,
    pub seq: u32,
    pub entity: Entity,
    /// The source rows the record was made of.
    pub provenance: Vec<Provenance>,
    pub natural_key: String,
    pub payload_hash: String,
    /// The plan's decision, once made.
    pub action: Option<Action>,
    pub state: RecordState,
    pub api_id: Option<String>,
    pub http_status: Option<u16>,
    pub message: Option<String>,
    pub attempts: u32,
    /// For an update: the fields that change.
    pub changed: Vec<Change>,
    /// What the report shows beyond the above (name, control totals).
    pub detail: RecordDetail,
    pub updated: String,
}

impl RecordRow {
    /// Where the record ended up, as the report says it. In a dry run (`dry_run`) a record
    /// still planned is one that would be created or updated, not one left pending.
    pub fn outcome(&self, dry_run: bool) -> Outcome {
        outcome_of(self.state, self.action, self.detail.invalid, dry_run)
    }
}

/// Where a record in `state` after `action` ended up; `invalid`: blocked for errors in the
/// sheet. See [`RecordRow::outcome`].
fn outcome_of(state: RecordState, action: Option<Action>, invalid: bool, dry_run: bool) -> Outcome {
    let update = action == Some(Action::Update);
    {
        match state {
            RecordState::Done if update => Outcome::Updated,
            RecordState::Done => Outcome::Created,
            RecordState::Unchanged => Outcome::Unchanged,
            RecordState::Held => Outcome::Held,
            RecordState::Failed => Outcome::Rejected,
            RecordState::ServerError => Outcome::ServerError,
            RecordState::Blocked if invalid => Outcome::Invalid,
            RecordState::Blocked => Outcome::Blocked,
            RecordState::Planned | RecordState::Sent if dry_run && update => Outcome::WouldUpdate,
            RecordState::Planned | RecordState::Sent if dry_run => Outcome::WouldCreate,
            RecordState::Planned | RecordState::Sent => Outcome::Pending,
        }
    }
}

/// A record to add to a run.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub seq: u32,
    pub entity: Entity,
    pub provenance: Vec<Provenance>,
    pub natural_key: String,
    pub payload_hash: String,
    pub detail: RecordDetail,
}

/// The outcome of a write (or of the decision not to write).
#[derive(Debug, Clone, Default)]
pub struct RecordUpdate {
    pub api_id: Option<String>,
    pub http_status: Option<u16>,
    pub message: Option<String>,
}

impl Journal {
    /// Add the records of a run, all `planned`, in one transaction. They are taken one at a
    /// time: a batch of 100,000 records is never held twice over.
    pub fn insert_records<R: std::borrow::Borrow<NewRecord>>(
        &self,
        run: &str,
        records: impl IntoIterator<Item = R>,
    ) -> Result<(), JournalError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.sql_err(e))?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO records (run, seq, entity, provenance, natural_key,
                         payload_hash, state, detail, updated)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'planned', ?7, ?8)",
                )
                .map_err(|e| self.sql_err(e))?;
            let stamp = now();
            for r in records {
                let r = r.borrow();
                stmt.execute(params![
                    run,
                    r.seq,
                    r.entity.name(),
                    stored::provenance_json(&r.provenance, run, r.seq)?,
                    r.natural_key,
                    r.payload_hash,
                    stored::json(&protect::protect_detail(&r.detail), run, r.seq)?,
                    stamp
                ])
                .map_err(|e| self.sql_err(e))?;
            }
        }
        tx.commit().map_err(|e| self.sql_err(e))
    }

    /// Every record of a run, in sequence order.
    pub fn records(&self, run: &str) -> Result<Vec<RecordRow>, JournalError> {
        let mut rows = Vec::new();
        self.each_record(run, |row| {
            rows.push(row);
            Ok::<_, JournalError>(())
        })?;
        Ok(rows)
    }

    /// Hand every record of a run to `visit`, in sequence order, one at a time: a report of
    /// 100,000 records is written without holding them (the journal is locked meanwhile, so
    /// `visit` must not call it).
    pub fn each_record<E: From<JournalError>>(
        &self,
        run: &str,
        mut visit: impl FnMut(RecordRow) -> Result<(), E>,
    ) -> Result<(), E> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE run = ?1 ORDER BY seq"
            ))
            .map_err(|e| self.sql_err(e))?;
        let rows = stmt
            .query_map([run], stored::read_record)
            .map_err(|e| self.sql_err(e))?;
        for row in rows {
            visit(row.map_err(|e| self.sql_err(e))??)?;
        }
        Ok(())
    }

    /// How many records a run has.
    pub fn record_count(&self, run: &str) -> Result<usize, JournalError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM records WHERE run = ?1", [run], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as usize)
            .map_err(|e| self.sql_err(e))
    }

    /// The records of a run per outcome (see [`RecordRow::outcome`]): what the run did.
    pub fn outcome_counts(&self, run: &str) -> Result<Counts, JournalError> {
        let dry_run = self.run(run)?.status == super::RunStatus::DryRun;
        // Counted by SQLite, not by reading every row: a run may hold 100,000 records.
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT state, action, coalesce(json_extract(detail, '$.invalid'), 0), count(*),
                        min(seq)
                 FROM records WHERE run = ?1 GROUP BY 1, 2, 3",
            )
            .map_err(|e| self.sql_err(e))?;
        let groups = stmt
            .query_map(params![run], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, bool>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, u32>(4)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sql_err(e))?;
        let mut counts = Counts::default();
        for (state, action, invalid, n, seq) in groups {
            let corrupt = |what: String| JournalError::CorruptRecord {
                run: run.to_string(),
                seq,
                what,
            };
            let state = RecordState::parse(&state)
                .ok_or_else(|| corrupt(format!("unknown state '{state}'")))?;
            let action = match action {
                None => None,
                Some(text) => Some(
                    Action::parse(&text)
                        .ok_or_else(|| corrupt(format!("unknown action '{text}'")))?,
                ),
            };
            *counts
                .0
                .entry(outcome_of(state, action, invalid, dry_run))
                .or_default() += usize::try_from(n).unwrap_or(0);
        }
        Ok(counts)
    }

    /// How many records of `run` the server turned out to hold twice.
    pub fn server_duplicate_count(&self, run: &str) -> Result<usize, JournalError> {
        self.conn()
            .query_row(
                "SELECT count(*) FROM records WHERE run = ?1
                   AND json_array_length(json_extract(detail, '$.server_duplicates')) > 0",
                params![run],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| usize::try_from(n).unwrap_or(0))
            .map_err(|e| self.sql_err(e))
    }

    /// Store the plan's decision for a record (and the changes it found, for an update).
    pub fn set_action(
        &self,
        run: &str,
        seq: u32,
        action: Action,
        changes: &[Change],
    ) -> Result<(), JournalError> {
        // Bank values are kept masked and hashed only (see `protect`).
        let changed = stored::changes_json(&self.protected(changes)?, run, seq)?;
        self.exec(
            "UPDATE records SET action = ?3, changed = ?4, updated = ?5 WHERE run = ?1 AND seq = ?2",
            params![run, seq, action.as_str(), changed, now()],
        )
    }

    /// Commit the intent to write: state `sent`, one more attempt. Call BEFORE the request.
    pub fn mark_sent(&self, run: &str, seq: u32) -> Result<(), JournalError> {
        self.exec(
            "UPDATE records SET state = 'sent', attempts = attempts + 1, updated = ?3
             WHERE run = ?1 AND seq = ?2",
            params![run, seq, now()],
        )
    }

    /// Record where a record ended up (or an intermediate fact, such as the API id of a
    /// candidate that was found while its state stays `sent`).
    pub fn set_state(
        &self,
        run: &str,
        seq: u32,
        state: RecordState,
        update: &RecordUpdate,
    ) -> Result<(), JournalError> {
        self.exec(
            "UPDATE records SET state = ?3, api_id = COALESCE(?4, api_id),
                 http_status = COALESCE(?5, http_status), message = ?6, updated = ?7
             WHERE run = ?1 AND seq = ?2",
            params![
                run,
                seq,
                state.as_str(),
                update.api_id,
                update.http_status,
                update.message.as_deref().map(protect::scrub_text),
                now()
            ],
        )
    }

    /// `(seq, api_id)` of each record of `entity` that landed (`done` or `unchanged`, with an
    /// API id), in sequence order — without the rest of each row, for passes over big runs.
    pub fn landed(&self, run: &str, entity: Entity) -> Result<Vec<(u32, String)>, JournalError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT seq, api_id FROM records
                 WHERE run = ?1 AND entity = ?2 AND state IN ('done', 'unchanged')
                   AND api_id IS NOT NULL
                 ORDER BY seq",
            )
            .map_err(|e| self.sql_err(e))?;
        stmt.query_map(params![run, entity.name()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.sql_err(e))
    }

    /// The report detail of one record.
    pub fn detail(&self, run: &str, seq: u32) -> Result<RecordDetail, JournalError> {
        let text: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT detail FROM records WHERE run = ?1 AND seq = ?2",
                params![run, seq],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sql_err(e))?;
        match text {
            Some(text) => stored::detail(text, run, seq),
            None => Err(JournalError::UnknownRecord {
                run: run.to_string(),
                seq,
            }),
        }
    }

    /// Replace the report detail of a record (e.g. acknowledged and read-back totals).
    pub fn set_detail(
        &self,
        run: &str,
        seq: u32,
        detail: &RecordDetail,
    ) -> Result<(), JournalError> {
        let text = stored::json(&protect::protect_detail(detail), run, seq)?;
        self.exec(
            "UPDATE records SET detail = ?3 WHERE run = ?1 AND seq = ?2",
            params![run, seq, text],
        )
    }

    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> Result<(), JournalError> {
        self.conn()
            .execute(sql, params)
            .map(drop)
            .map_err(|e| self.sql_err(e))
    }
}
