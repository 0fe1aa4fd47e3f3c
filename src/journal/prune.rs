//! Retention: `runs prune` removes the personal values of old runs (or whole runs) and
//! reclaims the space, so the values are gone from the file and its WAL, not just unlinked.
//!
//! A pruned run keeps what resume, exactly-once and the audit trail need — its summary, natural
//! keys, payload hashes, API ids, outcomes, HTTP statuses, control totals, the fields that
//! changed and the ids of those changes — and loses workers' names and NI/PPS numbers, the old
//! and new values of its changes, the values quoted in validation findings and the server's
//! messages. A report re-issued from it still balances, with "pruned" in the personal columns.

use rusqlite::params;
use serde::Serialize;
use serde_json::Value;

use super::records::RecordRow;
use super::{Journal, JournalError, now, protect};
use crate::model::{Change, Entity, RecordDetail};

/// What stands in for a removed value.
pub const PRUNED: &str = "pruned";

/// What `runs prune` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pruned {
    /// Runs whose personal values were removed now (or, with `whole`, that were removed).
    pub runs: Vec<String>,
    /// Records of those runs.
    pub records: usize,
    /// Whole runs were removed (`--all`), not only their personal values.
    pub whole: bool,
    /// Runs old enough but left alone because they can still be resumed (id, status): a
    /// resume needs their records.
    pub skipped: Vec<(String, String)>,
    /// Size of the journal and its WAL before and after.
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Why the space could not be reclaimed (another process had the journal open), if so.
    pub not_reclaimed: Option<String>,
}

/// What a run still holds, for `runs show`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Holding {
    /// When its personal values were removed.
    pub pruned: Option<String>,
    /// Workers whose name is kept.
    pub names: usize,
    /// Workers whose NI or PPS number is kept.
    pub identifiers: usize,
    /// Changes whose old and new values are kept (bank ones masked and hashed only).
    pub change_values: usize,
    /// Of those, bank changes (kept masked and hashed only).
    pub bank_changes: usize,
}

impl Holding {
    /// Whether the run holds any personal value.
    pub fn is_empty(&self) -> bool {
        self.names == 0 && self.identifiers == 0 && self.change_values == 0
    }
}

impl Journal {
    /// Remove the personal values of every run started before `before` (RFC 3339, UTC), or with
    /// `whole` the runs themselves; runs that can be resumed are skipped. Then reclaim the
    /// space: checkpoint the WAL, VACUUM, checkpoint again (truncating the WAL).
    pub fn prune(&self, before: &str, whole: bool) -> Result<Pruned, JournalError> {
        // What this connection deletes or overwrites from now on is zeroed in the file, not
        // just unlinked, even should the VACUUM below not run.
        self.conn()
            .pragma_update(None, "secure_delete", "ON")
            .map_err(|e| self.sql_err(e))?;
        let mut done = Pruned {
            whole,
            bytes_before: self.bytes(),
            ..Pruned::default()
        };
        let candidates: Vec<_> = self
            .runs()?
            .into_iter()
            .filter(|r| r.started.as_str() < before)
            .collect();
        for run in candidates {
            if run.status.is_resumable() {
                done.skipped.push((run.id, run.status.as_str().to_string()));
                continue;
            }
            if !whole && run.pruned.is_some() {
                continue;
            }
            let records = self.records(&run.id)?;
            if whole {
                self.remove_run(&run.id)?;
            } else {
                self.prune_run(&run.id, &records)?;
            }
            done.records += records.len();
            done.runs.push(run.id);
        }
        if !done.runs.is_empty() {
            done.not_reclaimed = self.reclaim()?;
        }
        done.bytes_after = self.bytes();
        Ok(done)
    }

    /// What a run still holds of personal values.
    pub fn holding(&self, run: &str) -> Result<Holding, JournalError> {
        let pruned = self.run(run)?.pruned;
        let mut holding = Holding {
            pruned,
            ..Holding::default()
        };
        for record in self.records(run)? {
            let person = matches!(record.entity, Entity::Candidates | Entity::CandidatesIe);
            let kept = |v: &Option<String>| v.as_deref().is_some_and(|v| v != PRUNED);
            if person && kept(&record.detail.name) {
                holding.names += 1;
            }
            if person && kept(&record.detail.identifier) {
                holding.identifiers += 1;
            }
            for change in &record.changed {
                let pruned = |v: &Value| v.is_null() || v.as_str() == Some(PRUNED);
                if !(pruned(&change.before) && pruned(&change.after)) {
                    holding.change_values += 1;
                    if protect::is_bank(change) {
                        holding.bank_changes += 1;
                    }
                }
            }
        }
        Ok(holding)
    }

    fn prune_run(&self, run: &str, records: &[RecordRow]) -> Result<(), JournalError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.sql_err(e))?;
        {
            let mut stmt = tx
                .prepare(
                    "UPDATE records SET detail = ?3, changed = ?4, message = ?5
                     WHERE run = ?1 AND seq = ?2",
                )
                .map_err(|e| self.sql_err(e))?;
            for record in records {
                let detail = minimise_detail(record.entity, &record.detail);
                let changes: Vec<Change> = record.changed.iter().map(minimise_change).collect();
                let message = minimise_message(record);
                stmt.execute(params![
                    run,
                    record.seq,
                    super::stored::json(&detail, run, record.seq)?,
                    super::stored::changes_json(&changes, run, record.seq)?,
                    message
                ])
                .map_err(|e| self.sql_err(e))?;
            }
            tx.execute(
                "UPDATE runs SET pruned = ?2 WHERE id = ?1",
                params![run, now()],
            )
            .map_err(|e| self.sql_err(e))?;
        }
        tx.commit().map_err(|e| self.sql_err(e))
    }

    fn remove_run(&self, run: &str) -> Result<(), JournalError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.sql_err(e))?;
        tx.execute("DELETE FROM records WHERE run = ?1", [run])
            .map_err(|e| self.sql_err(e))?;
        tx.execute("DELETE FROM runs WHERE id = ?1", [run])
            .map_err(|e| self.sql_err(e))?;
        tx.commit().map_err(|e| self.sql_err(e))
    }

    /// Copy the WAL into the file and empty it, rebuild the file without free pages, and empty
    /// the WAL again: what was removed is then in neither. `Some(why)` when another process
    /// holding the journal open kept a step from completing.
    fn reclaim(&self) -> Result<Option<String>, JournalError> {
        let conn = self.conn();
        let checkpoint = |conn: &rusqlite::Connection| -> Result<bool, JournalError> {
            let busy: i64 = conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
                .map_err(|e| self.sql_err(e))?;
            Ok(busy == 0)
        };
        let first = checkpoint(&conn)?;
        if let Err(e) = conn.execute_batch("VACUUM") {
            return Ok(Some(format!(
                "VACUUM failed ({e}); run `nxsys-etl runs prune` again when no other nxsys-etl \
                 is running"
            )));
        }
        let second = checkpoint(&conn)?;
        Ok((!(first && second)).then(|| {
            "another process has the journal open, so its write-ahead log could not be emptied; \
             run `nxsys-etl runs prune` again when no other nxsys-etl is running"
                .to_string()
        }))
    }

    /// Bytes of the journal file and its WAL.
    fn bytes(&self) -> u64 {
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        size(&self.path) + size(std::path::Path::new(&wal))
    }
}

/// A record's detail without personal values: a worker's name and NI/PPS number, and the
/// values quoted in findings and warnings, become "pruned"; ids, periods and control totals
/// stay. (A pay code's description and a timesheet's worker reference are not personal.)
fn minimise_detail(entity: Entity, detail: &RecordDetail) -> RecordDetail {
    let person = matches!(entity, Entity::Candidates | Entity::CandidatesIe);
    let gone = |v: &Option<String>| v.as_ref().map(|_| PRUNED.to_string());
    RecordDetail {
        name: if person {
            gone(&detail.name)
        } else {
            detail.name.clone()
        },
        identifier: gone(&detail.identifier),
        findings: detail.findings.iter().map(|f| minimise_note(f)).collect(),
        warnings: detail.warnings.iter().map(|f| minimise_note(f)).collect(),
        ..detail.clone()
    }
}

/// `row 5, column H (NI Number): 'XX1' is not…` → `row 5, column H (NI Number): pruned`: where
/// the finding was, not what the cell held.
fn minimise_note(note: &str) -> String {
    match note.split_once(": ") {
        Some((place, _)) if place.starts_with("row ") || place.contains("column ") => {
            format!("{place}: {PRUNED}")
        }
        _ => PRUNED.to_string(),
    }
}

/// A change without its values: field, class, what accepted it and its id stay.
fn minimise_change(change: &Change) -> Change {
    let gone = |v: &Value| {
        if v.is_null() {
            Value::Null
        } else {
            Value::String(PRUNED.into())
        }
    };
    Change {
        before: gone(&change.before),
        after: gone(&change.after),
        ..change.clone()
    }
}

/// The server's words may quote what it was sent: gone (its HTTP status stays). The tool's own
/// notes (held for approval, blocked by…) name fields and references, not values: kept.
fn minimise_message(record: &RecordRow) -> Option<String> {
    let message = record.message.as_deref()?;
    if record.http_status.is_some() || message.contains('\'') {
        Some(PRUNED.to_string())
    } else {
        Some(message.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::journal::{NewRecord, RecordState, RecordUpdate, RunStatus};
    use crate::model::{Action, ChangeClass, Provenance, Totals};

    fn record(seq: u32, entity: Entity, detail: RecordDetail) -> NewRecord {
        NewRecord {
            seq,
            entity,
            provenance: vec![Provenance {
                file: std::path::Path::new("a.csv").into(),
                sheet: None,
                row: seq + 2,
            }],
            natural_key: format!("AG{seq:05}"),
            payload_hash: format!("h{seq}"),
            detail,
        }
    }

    /// A finished run of one worker (name, NI, an accepted surname and bank change, a
    /// finding quoting the NI number) and one timesheet with control totals.
    fn finished_run(journal: &Journal, id: &str, status: RunStatus) {
        let files = vec![PathBuf::from("workers.csv")];
        journal
            .insert_run(id, &files, "fp", "http://x", &json!({}), status)
            .unwrap();
        let worker = RecordDetail {
            name: Some("Ann Gorringe".into()),
            identifier: Some("QQ123456C".into()),
            findings: vec![
                "row 2, column E (NI Number): NI number 'QQ123456C' starts with 'QQ'".into(),
            ],
            ..RecordDetail::default()
        };
        let totals = Totals::new(2, 41.into(), 543.into());
        let timesheet = RecordDetail {
            name: Some("AG00000".into()),
            worker: Some("AG00000".into()),
            tax_year: Some(2025),
            tax_period: Some(1),
            input: Some(totals),
            read_back: Some(totals),
            ..RecordDetail::default()
        };
        journal
            .insert_records(
                id,
                &[
                    record(0, Entity::Candidates, worker),
                    record(1, Entity::Timesheets, timesheet),
                ],
            )
            .unwrap();
        let changes = [
            Change {
                class: ChangeClass::Identity,
                accepted: Some("--accept identity".into()),
                id: Some("c1".into()),
                ..Change::new("generalSetting.surname", json!("Smith"), json!("Gorringe"))
            },
            Change {
                class: ChangeClass::Bank,
                accepted: Some("--accept bank".into()),
                id: Some("c2".into()),
                ..Change::new(
                    "bankSetting.accountNumber",
                    json!("31926819"),
                    json!("55501234"),
                )
            },
        ];
        journal.set_action(id, 0, Action::Update, &changes).unwrap();
        journal.set_action(id, 1, Action::Create, &[]).unwrap();
        for (seq, api) in [(0, "SR-1"), (1, "TS-1")] {
            journal
                .set_state(
                    id,
                    seq,
                    RecordState::Done,
                    &RecordUpdate {
                        api_id: Some(api.into()),
                        http_status: Some(200),
                        message: Some("saved 'Gorringe'".into()),
                    },
                )
                .unwrap();
        }
    }

    /// Every byte of the journal and its WAL.
    fn bytes(dir: &std::path::Path) -> Vec<u8> {
        let mut all = Vec::new();
        for name in ["journal.sqlite", "journal.sqlite-wal"] {
            if let Ok(b) = std::fs::read(dir.join(name)) {
                all.extend(b);
            }
        }
        all
    }

    fn holds(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    #[test]
    fn bank_values_are_stored_masked_and_hashed_only() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path())
            .unwrap()
            .with_key_file(dir.path().join("k").join("journal.key"));
        finished_run(&journal, "r1", RunStatus::Finished);
        let on_disk = bytes(dir.path());
        for clear in ["31926819", "55501234"] {
            assert!(
                !holds(&on_disk, clear),
                "{clear} is in the journal in clear"
            );
        }
        let row = &journal.records("r1").unwrap()[0];
        let bank = &row.changed[1];
        assert_eq!(bank.before["masked"], "******19");
        assert_eq!(bank.after["masked"], "******34");
        assert_eq!(bank.id.as_deref(), Some("c2"));
        // Identity values stay while the run is within its retention (the Changes sheet).
        assert_eq!(row.changed[0].after, json!("Gorringe"));
        let holding = journal.holding("r1").unwrap();
        assert_eq!((holding.names, holding.identifiers), (1, 1));
        assert_eq!((holding.change_values, holding.bank_changes), (2, 1));
        assert!(dir.path().join("k").join("journal.key").is_file());
    }

    #[test]
    fn pruning_removes_personal_values_from_the_file_and_keeps_outcomes_and_totals() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        finished_run(&journal, "r1", RunStatus::Finished);
        finished_run(&journal, "r2", RunStatus::Aborted);
        let before_rows = journal.records("r1").unwrap();
        let pruned = journal.prune("9999", false).unwrap();
        assert_eq!(pruned.runs, ["r1"]);
        assert_eq!(pruned.records, 2);
        assert_eq!(pruned.skipped, [("r2".to_string(), "aborted".to_string())]);
        assert!(pruned.not_reclaimed.is_none(), "{pruned:?}");

        let rows = journal.records("r1").unwrap();
        for (was, now) in before_rows.iter().zip(&rows) {
            assert_eq!(
                (
                    &was.state,
                    &was.action,
                    &was.api_id,
                    &was.natural_key,
                    &was.payload_hash
                ),
                (
                    &now.state,
                    &now.action,
                    &now.api_id,
                    &now.natural_key,
                    &now.payload_hash
                )
            );
            assert_eq!(was.detail.input, now.detail.input);
            assert_eq!(was.detail.read_back, now.detail.read_back);
        }
        assert_eq!(rows[0].detail.name.as_deref(), Some(PRUNED));
        assert_eq!(rows[0].detail.identifier.as_deref(), Some(PRUNED));
        assert_eq!(
            rows[0].detail.findings,
            ["row 2, column E (NI Number): pruned"]
        );
        assert_eq!(rows[0].changed[0].after, json!(PRUNED));
        assert_eq!(rows[0].changed[0].id.as_deref(), Some("c1"));
        assert_eq!(rows[0].message.as_deref(), Some(PRUNED));
        // A timesheet's worker reference is an id, not a personal value.
        assert_eq!(rows[1].detail.worker.as_deref(), Some("AG00000"));
        assert!(journal.run("r1").unwrap().pruned.is_some());
        let holding = journal.holding("r1").unwrap();
        assert!(
            holding.is_empty() && holding.pruned.is_some(),
            "{holding:?}"
        );

        // The values of r1 are gone from the bytes; r2 (resumable) still has its own.
        drop(journal);
        let journal = Journal::open(dir.path()).unwrap();
        journal.remove_run("r2").unwrap();
        journal.reclaim().unwrap();
        let on_disk = bytes(dir.path());
        for clear in ["Gorringe", "QQ123456C", "Smith"] {
            assert!(!holds(&on_disk, clear), "{clear} is still in the journal");
        }
        // Pruning again finds nothing new.
        assert!(journal.prune("9999", false).unwrap().runs.is_empty());
    }

    #[test]
    fn pruning_whole_runs_removes_them_and_respects_the_cutoff() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        finished_run(&journal, "r1", RunStatus::Finished);
        finished_run(&journal, "r2", RunStatus::DryRun);
        // Nothing started before 2000.
        let none = journal.prune("2000-01-01T00:00:00.000Z", true).unwrap();
        assert!(none.runs.is_empty() && none.skipped.is_empty());
        let all = journal.prune("9999", true).unwrap();
        assert_eq!(all.runs.len(), 2);
        assert_eq!(all.records, 4);
        assert!(journal.runs().unwrap().is_empty());
        assert_eq!(journal.record_count("r1").unwrap(), 0);
        assert!(all.bytes_after <= all.bytes_before, "{all:?}");
    }

    #[test]
    fn a_schema_2_journal_is_read_as_it_is_and_migrated_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        finished_run(&journal, "r1", RunStatus::Finished);
        drop(journal);
        let conn = rusqlite::Connection::open(dir.path().join("journal.sqlite")).unwrap();
        conn.execute_batch(
            "ALTER TABLE runs DROP COLUMN pruned; DROP TABLE acknowledged; PRAGMA user_version = 2;",
        )
            .unwrap();
        drop(conn);
        let read = Journal::open_read_only(dir.path())
            .unwrap()
            .expect("runs to read");
        assert_eq!(read.runs().unwrap()[0].pruned, None);
        drop(read);
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.prune("9999", false).unwrap().runs, ["r1"]);
        assert!(journal.run("r1").unwrap().pruned.is_some());
    }
}
