//! How the model's types are stored in record rows — names as text, structures as JSON — and
//! read back: a value that cannot be read is a [`JournalError::CorruptRecord`] naming the run
//! and record, never a default.

use std::path::PathBuf;

use rusqlite::Row;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::JournalError;
use super::records::{RecordRow, RecordState};
use crate::model::{Action, Change, Entity, Provenance, RecordDetail};

/// The columns [`read_record`] expects, in its order.
pub(super) const RECORD_COLUMNS: &str = "run, seq, entity, provenance, natural_key, \
     payload_hash, action, state, api_id, http_status, message, attempts, changed, detail, updated";

/// A record row read as the model's types. The outer error is SQLite's; the inner one says
/// what in the row cannot be read.
pub(super) fn read_record(row: &Row<'_>) -> rusqlite::Result<Result<RecordRow, JournalError>> {
    let run: String = row.get(0)?;
    let seq: u32 = row.get(1)?;
    let entity: String = row.get(2)?;
    let provenance: String = row.get(3)?;
    let action: Option<String> = row.get(6)?;
    let state: String = row.get(7)?;
    let changed: Option<String> = row.get(12)?;
    let detail: Option<String> = row.get(13)?;
    let typed = (|| {
        let entity =
            Entity::from_name(&entity).ok_or_else(|| format!("unknown entity '{entity}'"))?;
        let state = RecordState::parse(&state).ok_or_else(|| format!("unknown state '{state}'"))?;
        let action = match action {
            None => None,
            Some(text) => {
                Some(Action::parse(&text).ok_or_else(|| format!("unknown action '{text}'"))?)
            }
        };
        let provenance: Vec<Provenance> = from_json(&provenance, "provenance")?;
        let changed: Vec<Change> = match changed.as_deref() {
            None | Some("null") => Vec::new(),
            Some(text) => from_json(text, "changed")?,
        };
        Ok((
            entity,
            state,
            action,
            provenance,
            changed,
            detail_of(detail)?,
        ))
    })();
    let (entity, state, action, provenance, changed, detail) = match typed {
        Ok(typed) => typed,
        Err(what) => return Ok(Err(corrupt(&run, seq, what))),
    };
    Ok(Ok(RecordRow {
        run,
        seq,
        entity,
        provenance,
        natural_key: row.get(4)?,
        payload_hash: row.get(5)?,
        action,
        state,
        api_id: row.get(8)?,
        http_status: row.get(9)?,
        message: row.get(10)?,
        attempts: row.get(11)?,
        changed,
        detail,
        updated: row.get(14)?,
    }))
}

/// The `detail` column of record `seq` of `run`, read.
pub(super) fn detail(
    text: Option<String>,
    run: &str,
    seq: u32,
) -> Result<RecordDetail, JournalError> {
    detail_of(text).map_err(|what| corrupt(run, seq, what))
}

fn detail_of(text: Option<String>) -> Result<RecordDetail, String> {
    from_json(text.as_deref().ok_or("it has no detail")?, "detail")
}

/// `value` as JSON text for record `seq` of `run`.
pub(super) fn json<T: Serialize + ?Sized>(
    value: &T,
    run: &str,
    seq: u32,
) -> Result<String, JournalError> {
    serde_json::to_string(value).map_err(|e| JournalError::Unstorable {
        run: run.to_string(),
        seq,
        what: e.to_string(),
    })
}

/// Provenance as JSON (`[{file, sheet, row}]`). The journal keeps file names for people to
/// read: a name that is not UTF-8 is stored with its unreadable bytes replaced.
pub(super) fn provenance_json(
    provenance: &[Provenance],
    run: &str,
    seq: u32,
) -> Result<String, JournalError> {
    let readable: Vec<Provenance> = provenance
        .iter()
        .map(|p| Provenance {
            file: PathBuf::from(p.file.to_string_lossy().into_owned()).into(),
            ..p.clone()
        })
        .collect();
    json(&readable, run, seq)
}

/// Changed fields as JSON; `null` when there are none.
pub(super) fn changes_json(
    changes: &[Change],
    run: &str,
    seq: u32,
) -> Result<String, JournalError> {
    if changes.is_empty() {
        Ok("null".to_string())
    } else {
        json(changes, run, seq)
    }
}

fn from_json<T: DeserializeOwned>(text: &str, column: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("its {column} is not readable: {e}"))
}

fn corrupt(run: &str, seq: u32, what: String) -> JournalError {
    JournalError::CorruptRecord {
        run: run.to_string(),
        seq,
        what,
    }
}
