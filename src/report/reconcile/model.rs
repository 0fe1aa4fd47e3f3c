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

/// One record as the report shows it: its row, the fields it changes, its control totals.
#[derive(Debug, Clone)]
pub struct Entry {
    pub row: ReportRow,
    pub changes: Vec<ChangeRow>,
    pub control: Option<ControlTotal>,
}

/// How many rows that need attention the terminal summary shows.
const ATTENTION_SHOWN: usize = 20;

/// The control totals summed over the run's timesheets.
#[derive(Debug, Clone, Default)]
pub struct ControlTally {
    /// Input, acknowledged and read back. A timesheet read back by its net only adds its net.
    pub sums: [Totals; 3],
    pub timesheets: usize,
    pub balanced: usize,
    /// Some timesheet was tied by its net only.
    pub net_only: bool,
    /// The longest worker reference, in characters (a column as wide as it).
    pub widest_worker: usize,
}

impl ControlTally {
    fn add(&mut self, c: &ControlTotal) {
        for (k, totals) in [Some(c.input), c.acknowledged, c.read_back]
            .iter()
            .enumerate()
        {
            if let Some(t) = totals {
                add(&mut self.sums[k], t);
            }
        }
        if c.read_back.is_none()
            && let Some(net) = c.read_back_net
        {
            self.sums[2].net += net;
            self.net_only = true;
        }
        self.timesheets += 1;
        self.balanced += usize::from(c.balanced);
        self.widest_worker = self.widest_worker.max(c.worker.chars().count());
    }
}

/// Adds `t` to `sum`.
pub fn add(sum: &mut Totals, t: &Totals) {
    sum.lines += t.lines;
    sum.units += t.units;
    sum.net += t.net;
}

/// What the whole report adds up to, read in one pass before anything is written: the counts,
/// the totals and the first rows that need attention, never every row.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Records per outcome for each entity present, in dependency order.
    per_entity: Vec<(Entity, Counts)>,
    pub rows: usize,
    /// Changed fields (rows of the Changes sheet).
    pub changes: usize,
    /// Records whose identity and bank details change together.
    pub fraud_patterns: usize,
    /// Records the server turned out to hold twice.
    pub server_duplicates: usize,
    pub control: ControlTally,
    /// The first [`ATTENTION_SHOWN`] rows that need attention, and how many there are.
    pub attention: Vec<ReportRow>,
    pub attention_count: usize,
}

impl Tally {
    fn add(&mut self, entity: Entity, entry: &Entry) {
        let at = match self.per_entity.binary_search_by_key(&entity, |(e, _)| *e) {
            Ok(at) => at,
            Err(at) => {
                self.per_entity.insert(at, (entity, Counts::default()));
                at
            }
        };
        *self.per_entity[at]
            .1
            .0
            .entry(entry.row.outcome)
            .or_default() += 1;
        self.rows += 1;
        self.changes += entry.changes.len();
        self.fraud_patterns += usize::from(entry.changes.iter().any(|c| c.fraud_pattern));
        if let Some(c) = &entry.control {
            self.control.add(c);
        }
        if needs_attention(entry.row.outcome) {
            self.attention_count += 1;
            if self.attention.len() < ATTENTION_SHOWN {
                self.attention.push(entry.row.clone());
            }
        }
    }
}

/// Outcomes a person has to act on.
fn needs_attention(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Invalid
            | Outcome::Rejected
            | Outcome::ServerError
            | Outcome::Blocked
            | Outcome::Held
            | Outcome::Pending
    )
}

/// Where a report's records come from.
enum Records<'j> {
    /// Rows already read (tests, small runs).
    Held(Vec<RecordRow>),
    /// Streamed from the journal, one record at a time, each time they are needed.
    Journal(&'j Journal),
}

/// Everything a report shows about a run: the run, what it adds up to, and its records,
/// handed out one at a time ([`RunReport::each`]) so that a run of 100,000 records is reported
/// in constant memory.
pub struct RunReport<'j> {
    pub run: RunRow,
    pub mask_pii: bool,
    pub dry_run: bool,
    /// A dry run planned without Nxsys (`--offline`).
    pub offline: bool,
    pub tally: Tally,
    records: Records<'j>,
}

/// What an offline plan says wherever it is shown.
pub const OFFLINE_NOTE: &str = "offline — not checked against Nxsys";

impl<'j> RunReport<'j> {
    /// A run's report, its records streamed from the journal. `mask_pii` overrides the run's
    /// own option.
    pub fn from_journal(
        journal: &'j Journal,
        run_id: &str,
        mask_pii: Option<bool>,
    ) -> Result<RunReport<'j>, JournalError> {
        let run = journal.run(run_id)?;
        RunReport::new(run, Records::Journal(journal), mask_pii)
    }

    fn new(
        run: RunRow,
        records: Records<'j>,
        mask_pii: Option<bool>,
    ) -> Result<RunReport<'j>, JournalError> {
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
        let mut report = RunReport {
            run,
            mask_pii: mask,
            dry_run,
            offline,
            tally: Tally::default(),
            records,
        };
        let mut tally = Tally::default();
        report.each_record(|record| {
            let entry = report.entry(&record);
            if !record.detail.server_duplicates.is_empty() {
                tally.server_duplicates += 1;
            }
            tally.add(record.entity, &entry);
            Ok::<_, JournalError>(())
        })?;
        report.tally = tally;
        Ok(report)
    }

    fn each_record<E: From<JournalError>>(
        &self,
        mut visit: impl FnMut(RecordRow) -> Result<(), E>,
    ) -> Result<(), E> {
        match &self.records {
            Records::Held(rows) => rows.iter().try_for_each(|r| visit(r.clone())),
            Records::Journal(journal) => journal.each_record(&self.run.id, visit),
        }
    }

    /// Hand every record, as the report shows it, to `visit`, in sequence order.
    pub fn each<E: From<JournalError>>(
        &self,
        mut visit: impl FnMut(Entry) -> Result<(), E>,
    ) -> Result<(), E> {
        self.each_record(|record| visit(self.entry(&record)))
    }

    /// Every entry, collected.
    #[cfg(test)]
    pub fn entries(&self) -> Result<Vec<Entry>, JournalError> {
        let mut all = Vec::new();
        self.each(|e| {
            all.push(e);
            Ok::<_, JournalError>(())
        })?;
        Ok(all)
    }

    /// One record as the report shows it.
    fn entry(&self, record: &RecordRow) -> Entry {
        let mask = self.mask_pii;
        let detail = &record.detail;
        let outcome = match record.outcome(self.dry_run) {
            Outcome::WouldCreate | Outcome::WouldUpdate if self.offline => Outcome::WouldSend,
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
        let source = source_text(&record.provenance);
        let name = detail.name.clone().unwrap_or_default();
        let changes = changes::rows_of(
            record,
            outcome,
            &source,
            &hide(&record.natural_key),
            &name,
            mask,
        );
        let control = detail.input.map(|input| ControlTotal {
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
            balanced: outcome.landed() && detail.totals_agree(),
        });
        let row = ReportRow {
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
        };
        Entry {
            row,
            changes,
            control,
        }
    }

    /// Records per outcome, for one entity or (with `None`) all.
    pub fn counts(&self, entity: Option<&str>) -> Counts {
        let mut all = Counts::default();
        for (e, counts) in &self.tally.per_entity {
            if entity.is_none_or(|name| name == e.name()) {
                for (outcome, n) in &counts.0 {
                    *all.0.entry(*outcome).or_default() += n;
                }
            }
        }
        all
    }

    /// Entities present, in dependency order.
    pub fn entities(&self) -> Vec<String> {
        self.tally
            .per_entity
            .iter()
            .map(|(e, _)| e.name().to_string())
            .collect()
    }

    /// Records whose identity and bank details change together.
    pub fn fraud_patterns(&self) -> usize {
        self.tally.fraud_patterns
    }

    /// The `--json` summary.
    pub fn summary(&self, report: Option<PathBuf>) -> Summary {
        let c = self.counts(None);
        Summary {
            run_id: self.run.id.clone(),
            rows: self.tally.rows,
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
            server_duplicates: self.tally.server_duplicates,
            dry_run: self.dry_run,
            offline: self.offline,
            report,
        }
    }
}

impl RunReport<'static> {
    /// Build from rows already read.
    pub fn build(
        run: RunRow,
        records: Vec<RecordRow>,
        mask_pii: Option<bool>,
    ) -> Result<RunReport<'static>, JournalError> {
        RunReport::new(run, Records::Held(records), mask_pii)
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
