//! The report's data: rows with outcomes, control totals and counts, built from the journal.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::changes::{self, ChangeRow};
use super::mask::{is_sensitive_field, mask_text};
use crate::journal::protect::is_protected;
use crate::journal::{Journal, JournalError, RecordRow, RunRow, RunStatus};
use crate::model::{Change, Counts, Entity, Outcome, Provenance, Totals};

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
    /// The net read back when the server does not echo lines: only the net is tied.
    pub read_back_net: Option<rust_decimal::Decimal>,
    /// Landed on the server and the acknowledged and read-back totals equal the input.
    pub balanced: bool,
}

/// What "net only" means, where a report says it.
pub const NET_ONLY_NOTE: &str = "yes (net only): Nxsys does not echo each line's rate and units, so \
     only the timesheet's net was tied; lines and units read back are left blank";

impl ControlTotal {
    /// What the Balanced column says.
    pub fn balanced_text(&self) -> &'static str {
        match (
            self.balanced,
            self.read_back.is_none() && self.read_back_net.is_some(),
        ) {
            (true, false) => "yes",
            (true, true) => "yes (net only)",
            (false, _) => "NO",
        }
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
    /// Not landed: the server kept failing (5xx) on them; the next run sends them again.
    pub server_errors: usize,
    pub blocked: usize,
    pub pending: usize,
    /// Updates not sent: an identity, bank or pay change nothing accepted, or a conflict.
    pub held: usize,
    /// Offline dry run: records that would be sent, as a create or an update (not checked).
    pub would_create_or_update: usize,
    /// Workers whose identity and bank details change together (sent or held).
    pub fraud_patterns: usize,
    /// Records the server turned out to hold twice (see their messages).
    pub server_duplicates: usize,
    pub dry_run: bool,
    /// A dry run planned without Nxsys: nothing was checked against the server.
    pub offline: bool,
    pub report: Option<PathBuf>,
}

/// Everything a report shows about a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run: RunRow,
    pub mask_pii: bool,
    pub dry_run: bool,
    /// A dry run planned without Nxsys (`--offline`).
    pub offline: bool,
    pub rows: Vec<ReportRow>,
    /// Every field an update changed or would change (sent and held).
    pub changes: Vec<ChangeRow>,
    /// Records the server turned out to hold twice.
    pub server_duplicates: usize,
    pub control: Vec<ControlTotal>,
}

/// What an offline plan says wherever it is shown.
pub const OFFLINE_NOTE: &str = "offline — not checked against Nxsys";

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
        let offline = dry_run
            && run
                .options
                .get("offline")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let mut rows = Vec::with_capacity(records.len());
        let mut changes = Vec::new();
        let mut control = Vec::new();
        let mut server_duplicates = 0;
        for record in records {
            let detail = &record.detail;
            let outcome = match record.outcome(dry_run) {
                Outcome::WouldCreate | Outcome::WouldUpdate if offline => Outcome::WouldSend,
                outcome => outcome,
            };
            let hide = |s: &str| if mask { mask_text(s) } else { s.to_string() };
            let mut message = record.message.clone().unwrap_or_default();
            let notes: Vec<&str> = detail
                .findings
                .iter()
                .chain(&detail.warnings)
                .map(String::as_str)
                .collect();
            if !notes.is_empty() {
                let findings = notes.join("\n");
                message = if message.is_empty() {
                    findings
                } else {
                    format!("{findings}\n{message}")
                };
            }
            if !detail.server_duplicates.is_empty() {
                server_duplicates += 1;
            }
            let source = source_text(&record.provenance);
            let name = detail.name.clone().unwrap_or_default();
            changes.extend(changes::rows_of(
                record,
                outcome,
                &source,
                &hide(&record.natural_key),
                &name,
                mask,
            ));
            rows.push(ReportRow {
                seq: record.seq,
                entity: record.entity.name().to_string(),
                source,
                key: hide(&record.natural_key),
                name,
                identifier: detail.identifier.as_deref().map(&hide).unwrap_or_default(),
                outcome,
                api_id: record.api_id.clone().unwrap_or_default(),
                http_status: record.http_status,
                message: hide(&message),
                changes: changes_text(&record.changed, mask),
                attempts: record.attempts,
            });
            if let Some(input) = detail.input {
                let balanced = outcome.landed() && detail.totals_agree();
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
                    read_back_net: detail.read_back_net,
                    balanced,
                });
            }
        }
        RunReport {
            run,
            mask_pii: mask,
            dry_run,
            offline,
            rows,
            changes,
            server_duplicates,
            control,
        }
    }

    /// Records per outcome, for one entity or (with `None`) all.
    pub fn counts(&self, entity: Option<&str>) -> Counts {
        self.rows
            .iter()
            .filter(|row| entity.is_none_or(|e| e == row.entity))
            .map(|row| row.outcome)
            .collect()
    }

    /// Entities present, in dependency order.
    pub fn entities(&self) -> Vec<String> {
        Entity::ALL
            .iter()
            .filter(|e| self.rows.iter().any(|r| r.entity == e.name()))
            .map(|e| e.name().to_string())
            .collect()
    }

    /// Records whose identity and bank details change together.
    pub fn fraud_patterns(&self) -> usize {
        let mut seqs: Vec<u32> = self
            .changes
            .iter()
            .filter(|c| c.fraud_pattern)
            .map(|c| c.seq)
            .collect();
        seqs.dedup();
        seqs.len()
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
            server_errors: c.get(Outcome::ServerError),
            blocked: c.get(Outcome::Blocked),
            pending: c.get(Outcome::Pending),
            held: c.get(Outcome::Held),
            would_create_or_update: c.get(Outcome::WouldSend),
            fraud_patterns: self.fraud_patterns(),
            server_duplicates: self.server_duplicates,
            dry_run: self.dry_run,
            offline: self.offline,
            report,
        }
    }
}

/// `a.csv row 3` / `book.xlsx, sheet Timesheets, rows 3, 4, 9`.
fn source_text(provenance: &[Provenance]) -> String {
    let mut groups: Vec<(String, Vec<u32>)> = Vec::new();
    for s in provenance {
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
    crate::journal::protect::shown(v)
}

fn changes_text(changed: &[Change], mask: bool) -> String {
    changed
        .iter()
        .map(|c| {
            let field = &c.field;
            let (mut before, mut after) = (show(&c.before), show(&c.after));
            // A bank value the journal keeps is masked already.
            if mask && is_sensitive_field(field) {
                if !is_protected(&c.before) {
                    before = super::mask::mask_account(&before);
                }
                if !is_protected(&c.after) {
                    after = super::mask::mask_account(&after);
                }
            }
            format!("{field}: {before} → {after}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}
