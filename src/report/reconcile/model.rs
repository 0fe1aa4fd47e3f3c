//! The report's data: rows with outcomes, control totals and counts, built from the journal.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::mask::{is_sensitive_field, mask_text};
use crate::commands::exit::Exit;
use crate::journal::{Journal, JournalError, RecordRow, RecordState, RunRow, RunStatus};
use crate::plan::timesheet::Totals;

/// What the submit stage records about a record for the report (the journal's `detail`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordDetail {
    /// Worker's name, or the pay code's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// NI or PPS number of a candidate (masked in reports with `--mask-pii`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// The row was invalid (validation errors in `findings`).
    #[serde(default)]
    pub invalid: bool,
    /// Validation findings with their cell references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// Timesheets: the worker as the sheet names them, and the resolved `SR-…` id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_period: Option<u32>,
    /// Control totals at input, as the API acknowledged the write, and as read back after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Totals>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Totals>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_back: Option<Totals>,
}

/// Where a record ended up, as the report says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    /// Invalid in the sheet: not sent.
    Invalid,
    /// Refused by the server.
    Rejected,
    /// Not sent because something it depends on failed or could not be resolved.
    Blocked,
    /// Dry run: would be created / updated.
    WouldCreate,
    WouldUpdate,
    /// The run stopped before this record finished (resume it).
    Pending,
}

impl Outcome {
    pub const ALL: [Outcome; 9] = [
        Outcome::Created,
        Outcome::Updated,
        Outcome::Unchanged,
        Outcome::Invalid,
        Outcome::Rejected,
        Outcome::Blocked,
        Outcome::WouldCreate,
        Outcome::WouldUpdate,
        Outcome::Pending,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Invalid => "invalid",
            Outcome::Rejected => "rejected",
            Outcome::Blocked => "blocked",
            Outcome::WouldCreate => "would create",
            Outcome::WouldUpdate => "would update",
            Outcome::Pending => "pending",
        }
    }

    fn of(record: &RecordRow, invalid: bool, dry_run: bool) -> Outcome {
        let action = record.action.as_deref();
        match record.state {
            RecordState::Done if action == Some("update") => Outcome::Updated,
            RecordState::Done => Outcome::Created,
            RecordState::Unchanged => Outcome::Unchanged,
            RecordState::Failed => Outcome::Rejected,
            RecordState::Blocked if invalid => Outcome::Invalid,
            RecordState::Blocked => Outcome::Blocked,
            RecordState::Planned | RecordState::Sent if dry_run => match action {
                Some("update") => Outcome::WouldUpdate,
                _ => Outcome::WouldCreate,
            },
            RecordState::Planned | RecordState::Sent => Outcome::Pending,
        }
    }
}

/// One input record in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    pub seq: u32,
    pub entity: String,
    /// Where it came from, e.g. `workers.xlsx, sheet Candidates, row 14`.
    pub source: String,
    pub key: String,
    pub name: String,
    pub identifier: String,
    pub outcome: Outcome,
    pub api_id: String,
    pub http_status: Option<u16>,
    pub message: String,
    /// For updates: `field: before → after; …`.
    pub changes: String,
    pub attempts: u32,
}

/// Control totals of one worker and period.
#[derive(Debug, Clone, Serialize)]
pub struct ControlTotal {
    /// The record's sequence number in the run.
    pub seq: u32,
    pub worker: String,
    pub worker_id: String,
    pub tax_year: Option<i32>,
    pub tax_period: Option<u32>,
    pub outcome: Outcome,
    pub input: Totals,
    pub acknowledged: Option<Totals>,
    pub read_back: Option<Totals>,
    /// Landed on the server and the acknowledged and read-back totals equal the input.
    pub balanced: bool,
}

/// Count of records per outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts(pub BTreeMap<Outcome, usize>);

impl Counts {
    pub fn get(&self, outcome: Outcome) -> usize {
        self.0.get(&outcome).copied().unwrap_or(0)
    }
}

/// The `--json` summary of an import.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub run_id: String,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub invalid: usize,
    pub rejected: usize,
    pub blocked: usize,
    pub pending: usize,
    pub dry_run: bool,
    pub report: Option<PathBuf>,
}

/// Everything a report shows about a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run: RunRow,
    pub mask_pii: bool,
    pub dry_run: bool,
    pub rows: Vec<ReportRow>,
    pub control: Vec<ControlTotal>,
}

impl RunReport {
    /// Read a run and its records from the journal. `mask_pii` overrides the run's own option.
    pub fn from_journal(
        journal: &Journal,
        run_id: &str,
        mask_pii: Option<bool>,
    ) -> Result<RunReport, JournalError> {
        let run = journal.run(run_id)?;
        let records = journal.records(run_id)?;
        Ok(RunReport::build(run, &records, mask_pii))
    }

    /// Build from rows already read.
    pub fn build(run: RunRow, records: &[RecordRow], mask_pii: Option<bool>) -> RunReport {
        let mask = mask_pii.unwrap_or_else(|| {
            run.options
                .get("mask_pii")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        });
        let dry_run = run.status == RunStatus::DryRun;
        let mut rows = Vec::with_capacity(records.len());
        let mut control = Vec::new();
        for record in records {
            let detail: RecordDetail =
                serde_json::from_value(record.detail.clone()).unwrap_or_default();
            let outcome = Outcome::of(record, detail.invalid, dry_run);
            let hide = |s: &str| if mask { mask_text(s) } else { s.to_string() };
            let mut message = record.message.clone().unwrap_or_default();
            if !detail.findings.is_empty() {
                let findings = detail.findings.join("\n");
                message = if message.is_empty() {
                    findings
                } else {
                    format!("{findings}\n{message}")
                };
            }
            rows.push(ReportRow {
                seq: record.seq,
                entity: record.entity.clone(),
                source: source_text(&record.provenance),
                key: hide(&record.natural_key),
                name: detail.name.clone().unwrap_or_default(),
                identifier: detail.identifier.as_deref().map(&hide).unwrap_or_default(),
                outcome,
                api_id: record.api_id.clone().unwrap_or_default(),
                http_status: record.http_status,
                message: hide(&message),
                changes: changes_text(&record.changed, mask),
                attempts: record.attempts,
            });
            if let Some(input) = detail.input {
                let landed = matches!(
                    outcome,
                    Outcome::Created | Outcome::Updated | Outcome::Unchanged
                );
                let balanced = landed
                    && detail.read_back == Some(input)
                    && detail.acknowledged.is_none_or(|a| a == input);
                control.push(ControlTotal {
                    seq: record.seq,
                    worker: detail.worker.clone().unwrap_or_default(),
                    worker_id: detail.worker_id.clone().unwrap_or_default(),
                    tax_year: detail.tax_year,
                    tax_period: detail.tax_period,
                    outcome,
                    input,
                    acknowledged: detail.acknowledged,
                    read_back: detail.read_back,
                    balanced,
                });
            }
        }
        RunReport {
            run,
            mask_pii: mask,
            dry_run,
            rows,
            control,
        }
    }

    /// Records per outcome, for one entity or (with `None`) all.
    pub fn counts(&self, entity: Option<&str>) -> Counts {
        let mut counts = Counts::default();
        for row in &self.rows {
            if entity.is_none_or(|e| e == row.entity) {
                *counts.0.entry(row.outcome).or_default() += 1;
            }
        }
        counts
    }

    /// Entities present, in dependency order.
    pub fn entities(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for e in crate::model::Entity::ALL {
            if self.rows.iter().any(|r| r.entity == e.name()) {
                seen.push(e.name().to_string());
            }
        }
        for r in &self.rows {
            if !seen.contains(&r.entity) {
                seen.push(r.entity.clone());
            }
        }
        seen
    }

    /// 0 when every record landed (or would, for a dry run), 1 when some are invalid,
    /// rejected or blocked, 3 when some are still pending (the run stopped).
    pub fn exit(&self) -> Exit {
        let counts = self.counts(None);
        if counts.get(Outcome::Pending) > 0 {
            Exit::Aborted
        } else if counts.get(Outcome::Invalid)
            + counts.get(Outcome::Rejected)
            + counts.get(Outcome::Blocked)
            > 0
        {
            Exit::Rows
        } else {
            Exit::Ok
        }
    }

    /// The `--json` summary.
    pub fn summary(&self, report: Option<PathBuf>) -> Summary {
        let c = self.counts(None);
        Summary {
            run_id: self.run.id.clone(),
            rows: self.rows.len(),
            created: c.get(Outcome::Created) + c.get(Outcome::WouldCreate),
            updated: c.get(Outcome::Updated) + c.get(Outcome::WouldUpdate),
            unchanged: c.get(Outcome::Unchanged),
            invalid: c.get(Outcome::Invalid),
            rejected: c.get(Outcome::Rejected),
            blocked: c.get(Outcome::Blocked),
            pending: c.get(Outcome::Pending),
            dry_run: self.dry_run,
            report,
        }
    }
}

#[derive(Deserialize)]
struct Source {
    file: PathBuf,
    sheet: Option<String>,
    row: u32,
}

/// `a.csv row 3` / `book.xlsx, sheet Timesheets, rows 3, 4, 9`.
fn source_text(provenance: &Value) -> String {
    let sources: Vec<Source> = serde_json::from_value(provenance.clone()).unwrap_or_default();
    let mut groups: Vec<(String, Vec<u32>)> = Vec::new();
    for s in sources {
        let place = match &s.sheet {
            Some(sheet) => format!("{}, sheet {sheet}", s.file.display()),
            None => s.file.display().to_string(),
        };
        match groups.iter_mut().find(|(p, _)| *p == place) {
            Some((_, rows)) => rows.push(s.row),
            None => groups.push((place, vec![s.row])),
        }
    }
    groups
        .into_iter()
        .map(|(place, rows)| {
            let list: Vec<String> = rows.iter().map(u32::to_string).collect();
            let word = if rows.len() == 1 { "row" } else { "rows" };
            format!("{place}, {word} {}", list.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(empty)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn changes_text(changed: &Value, mask: bool) -> String {
    let Some(items) = changed.as_array() else {
        return String::new();
    };
    items
        .iter()
        .map(|c| {
            let field = c.get("field").and_then(Value::as_str).unwrap_or("?");
            let (mut before, mut after) = (
                show(c.get("before").unwrap_or(&Value::Null)),
                show(c.get("after").unwrap_or(&Value::Null)),
            );
            if mask && is_sensitive_field(field) {
                before = super::mask::mask_account(&before);
                after = super::mask::mask_account(&after);
            }
            format!("{field}: {before} → {after}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}
