//! Record rows: one per candidate, payment rate or timesheet of a run, with its state.

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError, now};

/// Where a record is in its life. `planned → sent → done | failed`; `blocked` and
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
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "planned" => RecordState::Planned,
            "sent" => RecordState::Sent,
            "done" => RecordState::Done,
            "failed" => RecordState::Failed,
            "blocked" => RecordState::Blocked,
            "unchanged" => RecordState::Unchanged,
            _ => return None,
        })
    }

    /// A final state: nothing more will happen to the record in this run.
    pub fn is_final(self) -> bool {
        !matches!(self, RecordState::Planned | RecordState::Sent)
    }
}

/// One record of a run as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RecordRow {
    pub run: String,
    pub seq: u32,
    /// Entity name (`candidates`, `candidates-ie`, `payment-rates`, `timesheets`).
    pub entity: String,
    /// The source rows, as JSON (`[{file, sheet, row}]`).
    pub provenance: serde_json::Value,
    pub natural_key: String,
    pub payload_hash: String,
    /// `create`, `update`, `unchanged`, `blocked` once planned.
    pub action: Option<String>,
    pub state: RecordState,
    pub api_id: Option<String>,
    pub http_status: Option<u16>,
    pub message: Option<String>,
    pub attempts: u32,
    /// Changed fields for an update (`[{field, before, after}]`).
    pub changed: serde_json::Value,
    /// What the report shows beyond the above (name, control totals), as JSON.
    pub detail: serde_json::Value,
    pub updated: String,
}

/// A record to add to a run.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub seq: u32,
    pub entity: String,
    pub provenance: serde_json::Value,
    pub natural_key: String,
    pub payload_hash: String,
    pub detail: serde_json::Value,
}

/// The outcome of a write (or of the decision not to write).
#[derive(Debug, Clone, Default)]
pub struct RecordUpdate {
    pub api_id: Option<String>,
    pub http_status: Option<u16>,
    pub message: Option<String>,
}

const RECORD_COLUMNS: &str = "run, seq, entity, provenance, natural_key, payload_hash, action, \
     state, api_id, http_status, message, attempts, changed, detail, updated";

fn json_or_null(text: Option<String>) -> serde_json::Value {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn read_record(row: &Row<'_>) -> rusqlite::Result<RecordRow> {
    let state: String = row.get(7)?;
    Ok(RecordRow {
        run: row.get(0)?,
        seq: row.get(1)?,
        entity: row.get(2)?,
        provenance: json_or_null(row.get(3)?),
        natural_key: row.get(4)?,
        payload_hash: row.get(5)?,
        action: row.get(6)?,
        // An unknown state is treated as `sent`: the safe reading (search before sending).
        state: RecordState::parse(&state).unwrap_or(RecordState::Sent),
        api_id: row.get(8)?,
        http_status: row.get(9)?,
        message: row.get(10)?,
        attempts: row.get(11)?,
        changed: json_or_null(row.get(12)?),
        detail: json_or_null(row.get(13)?),
        updated: row.get(14)?,
    })
}

impl Journal {
    /// Add the records of a run, all `planned`, in one transaction.
    pub fn insert_records(&self, run: &str, records: &[NewRecord]) -> Result<(), JournalError> {
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
                stmt.execute(params![
                    run,
                    r.seq,
                    r.entity,
                    r.provenance.to_string(),
                    r.natural_key,
                    r.payload_hash,
                    r.detail.to_string(),
                    stamp
                ])
                .map_err(|e| self.sql_err(e))?;
            }
        }
        tx.commit().map_err(|e| self.sql_err(e))
    }

    /// Every record of a run, in sequence order.
    pub fn records(&self, run: &str) -> Result<Vec<RecordRow>, JournalError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE run = ?1 ORDER BY seq"
            ))
            .map_err(|e| self.sql_err(e))?;
        let rows = stmt
            .query_map([run], read_record)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sql_err(e))?;
        Ok(rows)
    }

    /// Store the plan's decision for a record (and the changes it found, for an update).
    pub fn set_action(
        &self,
        run: &str,
        seq: u32,
        action: &str,
        changed: &serde_json::Value,
    ) -> Result<(), JournalError> {
        self.exec(
            "UPDATE records SET action = ?3, changed = ?4, updated = ?5 WHERE run = ?1 AND seq = ?2",
            params![run, seq, action, changed.to_string(), now()],
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
                update.message,
                now()
            ],
        )
    }

    /// `(seq, api_id)` of each record of `entity` that landed (`done` or `unchanged`, with an
    /// API id), in sequence order — without the rest of each row, for passes over big runs.
    pub fn landed(&self, run: &str, entity: &str) -> Result<Vec<(u32, String)>, JournalError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT seq, api_id FROM records
                 WHERE run = ?1 AND entity = ?2 AND state IN ('done', 'unchanged')
                   AND api_id IS NOT NULL
                 ORDER BY seq",
            )
            .map_err(|e| self.sql_err(e))?;
        stmt.query_map(params![run, entity], |row| Ok((row.get(0)?, row.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql_err(e))
    }

    /// The report detail of one record (`Null` when there is none or it is not JSON).
    pub fn detail(&self, run: &str, seq: u32) -> Result<serde_json::Value, JournalError> {
        self.conn()
            .query_row(
                "SELECT detail FROM records WHERE run = ?1 AND seq = ?2",
                params![run, seq],
                |row| row.get(0),
            )
            .optional()
            .map(|text| json_or_null(text.flatten()))
            .map_err(|e| self.sql_err(e))
    }

    /// Replace the report detail of a record (e.g. acknowledged and read-back totals).
    pub fn set_detail(
        &self,
        run: &str,
        seq: u32,
        detail: &serde_json::Value,
    ) -> Result<(), JournalError> {
        self.exec(
            "UPDATE records SET detail = ?3 WHERE run = ?1 AND seq = ?2",
            params![run, seq, detail.to_string()],
        )
    }

    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> Result<(), JournalError> {
        self.conn()
            .execute(sql, params)
            .map(drop)
            .map_err(|e| self.sql_err(e))
    }
}
