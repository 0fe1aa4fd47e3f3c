//! Run rows: one per `import` invocation (or resumed run).

use std::path::PathBuf;

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{Journal, JournalError, now};

/// How a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Started and not finished: killed, or still going. Resumable.
    Running,
    /// Stopped on an error that affects every row (authentication, API unreachable, journal).
    /// Resumable.
    Aborted,
    /// Every record reached a final state.
    Finished,
    /// Every record reached a final state, but the server failed on some (5xx while it
    /// answered the others). Resumable: the next import of the batch sends those again.
    Incomplete,
    /// A `--dry-run`: planned only, nothing sent. Never resumed, never blocks a real import.
    DryRun,
    /// Stopped by Ctrl-C or SIGTERM: what was in flight finished (or is searched for on
    /// resume), nothing more was sent. Resumable.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Aborted => "aborted",
            RunStatus::Finished => "finished",
            RunStatus::Incomplete => "incomplete",
            RunStatus::DryRun => "dry-run",
            RunStatus::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "running" => RunStatus::Running,
            "aborted" => RunStatus::Aborted,
            "finished" => RunStatus::Finished,
            "incomplete" => RunStatus::Incomplete,
            "dry-run" => RunStatus::DryRun,
            "interrupted" => RunStatus::Interrupted,
            _ => return None,
        })
    }

    /// Whether `import` picks this run up again.
    pub fn is_resumable(self) -> bool {
        matches!(
            self,
            RunStatus::Running
                | RunStatus::Aborted
                | RunStatus::Interrupted
                | RunStatus::Incomplete
        )
    }
}

/// One run as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub id: String,
    pub started: String,
    pub finished: Option<String>,
    pub files: Vec<PathBuf>,
    pub fingerprint: String,
    pub base_url: String,
    /// The options the run was started with (rate, concurrency, mask_pii, …).
    pub options: serde_json::Value,
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    /// When `runs prune` removed the run's personal values (`None`: it still holds them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruned: Option<String>,
}

const RUN_COLUMNS: &str =
    "id, started, finished, files, fingerprint, base_url, options, status, exit_code, pruned";

/// [`RUN_COLUMNS`] of a journal older than schema 3 (read, not yet migrated).
const RUN_COLUMNS_V2: &str =
    "id, started, finished, files, fingerprint, base_url, options, status, exit_code, NULL";

/// A run row read. The outer error is SQLite's; the inner one says what in the row cannot be
/// read.
fn read_run(row: &Row<'_>) -> rusqlite::Result<Result<RunRow, JournalError>> {
    let id: String = row.get(0)?;
    let files: String = row.get(3)?;
    let options: String = row.get(6)?;
    let status: String = row.get(7)?;
    let typed = (|| {
        let files: Vec<PathBuf> = serde_json::from_str(&files)
            .map_err(|e| format!("its file list is not readable: {e}"))?;
        let options = serde_json::from_str(&options)
            .map_err(|e| format!("its options are not readable: {e}"))?;
        let status =
            RunStatus::parse(&status).ok_or_else(|| format!("unknown status '{status}'"))?;
        Ok((files, options, status))
    })();
    let (files, options, status) = match typed {
        Ok(typed) => typed,
        Err(what) => return Ok(Err(JournalError::Corrupt { run: id, what })),
    };
    Ok(Ok(RunRow {
        id,
        started: row.get(1)?,
        finished: row.get(2)?,
        files,
        fingerprint: row.get(4)?,
        base_url: row.get(5)?,
        options,
        status,
        exit_code: row.get(8)?,
        pruned: row.get(9)?,
    }))
}

/// A new run id: UTC time to the second plus 4 random hex digits, e.g. `20261129-104512-3f9a`.
/// Sorts by start time.
pub fn new_run_id() -> String {
    let suffix: u16 = rand::random();
    format!(
        "{}-{suffix:04x}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    )
}

impl Journal {
    /// The run columns this journal's schema has.
    pub(super) fn run_columns(&self) -> &'static str {
        if self.version >= 3 {
            RUN_COLUMNS
        } else {
            RUN_COLUMNS_V2
        }
    }

    /// Record the start of a run (status `running`, or `dry-run`).
    pub fn insert_run(
        &self,
        id: &str,
        files: &[PathBuf],
        fingerprint: &str,
        base_url: &str,
        options: &serde_json::Value,
        status: RunStatus,
    ) -> Result<RunRow, JournalError> {
        // File names are kept for people to read: one that is not UTF-8 is stored with its
        // unreadable bytes replaced.
        let names: Vec<String> = files
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect();
        let files_json = serde_json::Value::from(names).to_string();
        let started = now();
        self.conn()
            .execute(
                "INSERT INTO runs (id, started, files, fingerprint, base_url, options, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    started,
                    files_json,
                    fingerprint,
                    base_url,
                    options.to_string(),
                    status.as_str()
                ],
            )
            .map_err(|e| self.sql_err(e))?;
        Ok(RunRow {
            id: id.to_string(),
            started,
            finished: None,
            files: files.to_vec(),
            fingerprint: fingerprint.to_string(),
            base_url: base_url.to_string(),
            options: options.clone(),
            status,
            exit_code: None,
            pruned: None,
        })
    }

    /// Set a run's status; `finished`/`aborted`/`dry-run` also stamp the end time. The exit
    /// status is cleared: the command that ends the run records it ([`Journal::set_exit_code`]).
    pub fn set_run_status(&self, id: &str, status: RunStatus) -> Result<(), JournalError> {
        let finished = (status != RunStatus::Running).then(now);
        self.conn()
            .execute(
                "UPDATE runs SET status = ?2, finished = ?3, exit_code = NULL WHERE id = ?1",
                params![id, status.as_str(), finished],
            )
            .map_err(|e| self.sql_err(e))?;
        Ok(())
    }

    /// Record the exit status the command that ran the run ended with.
    pub fn set_exit_code(&self, id: &str, exit_code: i32) -> Result<(), JournalError> {
        self.conn()
            .execute(
                "UPDATE runs SET exit_code = ?2 WHERE id = ?1",
                params![id, exit_code],
            )
            .map_err(|e| self.sql_err(e))?;
        Ok(())
    }

    /// One run by id.
    pub fn run(&self, id: &str) -> Result<RunRow, JournalError> {
        self.conn()
            .query_row(
                &format!("SELECT {} FROM runs WHERE id = ?1", self.run_columns()),
                [id],
                read_run,
            )
            .optional()
            .map_err(|e| self.sql_err(e))?
            .ok_or_else(|| JournalError::UnknownRun(id.to_string()))?
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRow>, JournalError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {} FROM runs ORDER BY started DESC, id DESC",
                self.run_columns()
            ))
            .map_err(|e| self.sql_err(e))?;
        let rows = stmt
            .query_map([], read_run)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter().collect()
    }

    /// Runs of this batch against this API (dry runs excluded), newest first.
    pub fn runs_with_fingerprint(
        &self,
        fingerprint: &str,
        base_url: &str,
    ) -> Result<Vec<RunRow>, JournalError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {} FROM runs
                 WHERE fingerprint = ?1 AND base_url = ?2 AND status <> 'dry-run'
                 ORDER BY started DESC, id DESC",
                self.run_columns()
            ))
            .map_err(|e| self.sql_err(e))?;
        let rows = stmt
            .query_map(params![fingerprint, base_url], read_run)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter().collect()
    }
}
