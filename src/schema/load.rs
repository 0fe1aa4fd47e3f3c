//! Reading a batch: open every file and sheet, find each header row and entity, then build the
//! records in dependency order (candidates, payment rates, timesheets) so that batch rules can
//! check timesheet lines against the workers and pay codes of the same batch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;

use super::build::{self, Context};
use super::columns;
use super::conventions::{Conventions, HOLD_ROWS};
use super::detect;
use super::group::{Grouper, Grouping};
use super::headers::{self, HeaderMap, Location};
use super::mapping::Mapping;
use super::timesheet::{self, TimesheetLine};
use crate::model::Finding;
use crate::model::{CellFinding, Entity, Record};
use crate::rules::batch::BatchIndex;
use crate::rules::number::Currency;
use crate::rules::{self, Enums};

use crate::source::{self, RowBuf, SheetReader, SourceError};

/// How to read the input. The default is [`ReadOptions::embedded`]: an empty enum list would
/// make every enum cell an error.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Treat every file and sheet as this entity (`--entity`).
    pub entity: Option<Entity>,
    /// Column renames, defaults and constants (`--mapping`).
    pub mapping: Option<Mapping>,
    /// Enum values and aliases.
    pub enums: Enums,
    /// `--strict`: identifiers Excel damaged (a mobile or sort code that lost its leading zero)
    /// are errors, never repaired.
    pub strict: bool,
    /// `--mask-pii`: messages about NI/PPS numbers and bank details do not quote the value.
    pub mask_pii: bool,
}

impl ReadOptions {
    /// The built-in columns and enum values, nothing overridden.
    pub fn embedded() -> Self {
        ReadOptions {
            entity: None,
            mapping: None,
            enums: Enums::embedded(),
            strict: false,
            mask_pii: false,
        }
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self::embedded()
    }
}

/// One sheet (or CSV file) that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceSummary {
    pub file: PathBuf,
    pub sheet: Option<String>,
    /// `None` when the entity could not be told.
    pub entity: Option<Entity>,
    /// Data rows (blank rows not counted).
    pub rows: u64,
}

/// Rows per entity and how many of them may be imported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub rows: u64,
    pub valid: u64,
    pub invalid: u64,
}

/// The result of reading a batch without keeping its records.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ValidationSummary {
    pub counts: BTreeMap<Entity, Counts>,
    /// Findings not tied to a record: file and sheet notes, header problems.
    pub findings: Vec<CellFinding>,
    pub sources: Vec<SourceSummary>,
}

impl ValidationSummary {
    /// Some row is invalid or some file/sheet finding is an error.
    pub fn has_errors(&self) -> bool {
        self.counts.values().any(|c| c.invalid > 0) || self.findings.iter().any(|f| f.is_error())
    }
}

/// A whole batch in memory.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Candidates, then payment rates, then timesheets.
    pub records: Vec<Record>,
    /// Findings not tied to a record.
    pub findings: Vec<CellFinding>,
    pub sources: Vec<SourceSummary>,
}

/// Read every file into records (timesheet lines of the same worker and period are merged,
/// wherever they are in the batch). `Err` only when a file cannot be read at all.
pub fn load_batch(files: &[PathBuf], opts: &ReadOptions) -> Result<Batch, SourceError> {
    let mut records = Vec::new();
    let summary = read(files, opts, Grouping::Whole, &mut |r| records.push(r))?;
    Ok(Batch {
        records,
        findings: summary.findings,
        sources: summary.sources,
    })
}

/// Read every file, handing each record to `on_record` as soon as it is complete. Timesheet
/// lines are merged when they follow each other, so memory stays flat however long the file.
pub fn validate_files(
    files: &[PathBuf],
    opts: &ReadOptions,
    mut on_record: impl FnMut(&Record),
) -> Result<ValidationSummary, SourceError> {
    read(files, opts, Grouping::Consecutive, &mut |r| on_record(&r))
}

/// A sheet whose header row has been found.
struct Pending {
    reader: Box<dyn SheetReader>,
    sheet: Rc<SheetInfo>,
    /// Rows read while looking for the header, still to be processed.
    lookahead: Vec<RowBuf>,
}

/// A sheet's header map and place, shared by the records built from it.
pub(super) struct SheetInfo {
    pub map: HeaderMap,
    pub at: Location,
    pub date1904: bool,
    /// A CSV fix file this tool wrote (its header row has the error column): the `'` it put
    /// before formula-like cells is removed again (see [`crate::writing::restore_csv`]).
    pub fix_file: bool,
}

const HEADER_SEARCH_ROWS: usize = 20;

/// Read the batch, xlsx sheets streamed from another thread where possible; when a streamed
/// sheet's cells turn out to be out of order, read everything again through the range path
/// (nothing was handed on yet: records wait while a streamed sheet is being read).
fn read(
    files: &[PathBuf],
    opts: &ReadOptions,
    grouping: Grouping,
    on_record: &mut dyn FnMut(Record),
) -> Result<ValidationSummary, SourceError> {
    match read_once(files, opts, grouping, on_record, true) {
        Err(SourceError::Unordered { file, sheet }) => {
            tracing::debug!(file = %file.display(), sheet, "cells out of order: read again whole");
            read_once(files, opts, grouping, on_record, false)
        }
        other => other,
    }
}

fn read_once(
    files: &[PathBuf],
    opts: &ReadOptions,
    grouping: Grouping,
    on_record: &mut dyn FnMut(Record),
    stream: bool,
) -> Result<ValidationSummary, SourceError> {
    let mut run = Run {
        opts,
        index: BatchIndex::default(),
        grouper: Grouper::new(grouping),
        summary: ValidationSummary::default(),
        on_record,
        deferred: None,
    };
    let mut pending = Vec::new();
    for file in files {
        let opened = if stream {
            source::open_streaming(file)?
        } else {
            source::open(file)?
        };
        run.summary.findings.extend(opened.notes);
        for reader in opened.sheets {
            if let Some(sheet) = run.find_header(reader)? {
                pending.push(sheet);
            }
        }
    }
    // Dependency order, so timesheet lines can be checked against the batch's workers and codes.
    pending.sort_by_key(|p| p.sheet.map.entity);
    let last_streamed = pending.iter().rposition(|p| p.reader.streamed());
    if last_streamed.is_some() {
        run.deferred = Some(Vec::new());
    }
    for (i, sheet) in pending.into_iter().enumerate() {
        run.process(sheet)?;
        if Some(i) == last_streamed {
            run.hand_on_deferred();
        }
    }
    run.flush_all();
    for file in files {
        run.summary.no_rows_error(file);
    }
    Ok(run.summary)
}

impl ValidationSummary {
    /// A file that gave no data row at all (empty, blank, a header only, only hidden or empty
    /// sheets) is an error unless something more precise was already said about it (an error,
    /// or that a template's example row was skipped): "no errors" would read as "all done" when
    /// nothing was read.
    fn no_rows_error(&mut self, file: &Path) {
        let read_rows = self
            .sources
            .iter()
            .any(|s| s.file.as_path() == file && s.rows > 0);
        // An untouched template says its example row was skipped; that is explanation enough.
        let explained = self.findings.iter().any(|f| {
            *f.file == *file && (f.is_error() || f.finding.code == "row.template_example")
        });
        if read_rows || explained {
            return;
        }
        let at = Location::new(file, None);
        self.findings.push(at.sheet(Finding::error(
            "file.no_rows",
            "no rows to import: the file is empty, holds only a header row, or its sheets are \
             empty or hidden; add the rows under the template's headers (or unhide the sheet)",
        )));
    }
}

struct Run<'a> {
    opts: &'a ReadOptions,
    index: BatchIndex,
    grouper: Grouper,
    summary: ValidationSummary,
    on_record: &'a mut dyn FnMut(Record),
    /// Records held back while a streamed sheet may still turn out to be out of order.
    deferred: Option<Vec<Record>>,
}

impl Run<'_> {
    /// Read up to [`HEADER_SEARCH_ROWS`] rows to find the header row (the first row naming at
    /// least two known columns, else the first non-blank row), then the sheet's entity.
    fn find_header(
        &mut self,
        mut reader: Box<dyn SheetReader>,
    ) -> Result<Option<Pending>, SourceError> {
        let mapping = self.opts.mapping.as_ref();
        let forced = self.opts.entity.or(mapping.and_then(|m| m.entity));
        if let Some(name) = reader.sheet().filter(|n| is_help_sheet(n)) {
            let at = Location::new(reader.file(), Some(name));
            self.summary.findings.push(at.sheet(Finding::warning(
                "sheet.skipped",
                format!("sheet '{name}' holds instructions, not data, and was not read"),
            )));
            reader.finish()?;
            return Ok(None);
        }
        let mut lookahead = Vec::new();
        let mut header_at = None;
        while lookahead.len() < HEADER_SEARCH_ROWS {
            let mut buf = RowBuf::default();
            if !reader.next_row(&mut buf)? {
                break;
            }
            let score = match forced {
                Some(entity) => headers::score(entity, &buf, mapping),
                None => detect::from_headers(&buf, mapping).map_or(0, |(_, s)| s),
            };
            lookahead.push(buf);
            if score >= 2 {
                header_at = Some(lookahead.len() - 1);
                break;
            }
        }
        let at = Location::new(reader.file(), reader.sheet());
        let header_at = header_at.or_else(|| lookahead.iter().position(|r| !r.is_blank()));
        let Some(header_at) = header_at else {
            self.summary.findings.push(at.sheet(Finding::warning(
                "sheet.empty",
                "nothing to read: the sheet is empty",
            )));
            reader.finish()?;
            self.finish_sheet(&mut *reader, &at, None, 0);
            return Ok(None);
        };
        let mut rest = lookahead.split_off(header_at);
        let header = rest.remove(0);
        let stem = file_stem(&at.file);
        let Some(entity) = detect::detect(forced, at.sheet.as_deref(), &stem, &header, mapping)
        else {
            self.summary.findings.push(at.sheet(Finding::error(
                "entity.unknown",
                format!(
                    "cannot tell what this sheet holds from its name or its header row (row {}); \
                     name it Candidates, Candidates IE, Payment Rates or Timesheets, use the \
                     template's headers, or pass --entity",
                    header.row
                ),
            )));
            reader.finish()?;
            self.finish_sheet(&mut *reader, &at, None, 0);
            return Ok(None);
        };
        let (map, findings) = headers::map_headers(entity, &header, mapping, &at);
        self.summary.findings.extend(findings);
        let date1904 = reader.date1904();
        let fix_file = source::FileKind::of(&at.file).is_ok_and(|k| k == source::FileKind::Csv)
            && header
                .cells()
                .any(|c| headers::fold(c.text) == headers::fold(headers::ERROR_COLUMN));
        Ok(Some(Pending {
            reader,
            sheet: Rc::new(SheetInfo {
                map,
                at,
                date1904,
                fix_file,
            }),
            lookahead: rest,
        }))
    }

    fn finish_sheet(
        &mut self,
        reader: &mut dyn SheetReader,
        at: &Location,
        entity: Option<Entity>,
        rows: u64,
    ) {
        self.summary.findings.extend(reader.take_notes());
        self.summary.sources.push(SourceSummary {
            file: at.file.to_path_buf(),
            sheet: at.sheet.as_deref().map(str::to_string),
            entity,
            rows,
        });
    }

    /// Build and check every data row of a sheet. A row with an ambiguous `1,234` waits (up
    /// to [`HOLD_ROWS`] rows) for a later cell of its column to settle how it reads.
    fn process(&mut self, mut pending: Pending) -> Result<(), SourceError> {
        let sheet = Rc::clone(&pending.sheet);
        let mut conventions = Conventions::new(&sheet.map);
        let mut held = Vec::new();
        let mut rows = 0;
        for row in std::mem::take(&mut pending.lookahead) {
            rows += self.next_row(&sheet, &row, &mut conventions, &mut held);
        }
        let mut buf = RowBuf::default();
        while pending.reader.next_row(&mut buf)? {
            rows += self.next_row(&sheet, &buf, &mut conventions, &mut held);
        }
        rows += self.release(&sheet, &mut conventions, &mut held);
        if self.grouper.grouping() == Grouping::Consecutive {
            self.flush_all();
        }
        self.finish_sheet(
            &mut *pending.reader,
            &sheet.at,
            Some(sheet.map.entity),
            rows,
        );
        Ok(())
    }

    /// A data row in sheet order: processed now, or held while an ambiguous cell waits for
    /// its column to settle. Returns the rows that counted.
    fn next_row(
        &mut self,
        sheet: &Rc<SheetInfo>,
        row: &RowBuf,
        conventions: &mut Conventions,
        held: &mut Vec<RowBuf>,
    ) -> u64 {
        let restored;
        let row = if sheet.fix_file {
            restored = restore_fix_file_row(row);
            &restored
        } else {
            row
        };
        let waits = conventions.observe(row);
        if held.is_empty() && !waits {
            return self.row(sheet, row, conventions);
        }
        held.push(row.clone());
        if conventions.settled() || held.len() >= HOLD_ROWS {
            return self.release(sheet, conventions, held);
        }
        0
    }

    /// Process the held rows with what their columns now say.
    fn release(
        &mut self,
        sheet: &Rc<SheetInfo>,
        conventions: &mut Conventions,
        held: &mut Vec<RowBuf>,
    ) -> u64 {
        conventions.release();
        std::mem::take(held)
            .iter()
            .map(|row| self.row(sheet, row, conventions))
            .sum()
    }

    /// One data row; returns 1 when it counted (blank rows do not).
    fn row(&mut self, sheet: &Rc<SheetInfo>, row: &RowBuf, conventions: &mut Conventions) -> u64 {
        if row.is_blank() {
            return 0;
        }
        let currencies = conventions.currencies(row);
        let ctx = Context {
            map: &sheet.map,
            at: &sheet.at,
            mapping: self.opts.mapping.as_ref(),
            enums: &self.opts.enums,
            date1904: sheet.date1904,
            strict: self.opts.strict,
            separators: conventions.separators(),
            mask_pii: self.opts.mask_pii,
        };
        let entity = sheet.map.entity;
        if self.is_template_example(sheet, row) {
            self.summary.findings.push(sheet.at.row(
                row.row,
                Finding::warning(
                    "row.template_example",
                    "this is the template's example row; it was skipped — delete it",
                ),
            ));
            return 0;
        }
        let mut checked = ctx.check_row(row);
        let row_no = row.row;
        for (column, _, mixed) in &currencies {
            if let Some(finding) = mixed {
                checked
                    .findings
                    .push(ctx.place(row_no, Some(*column), finding.clone()));
            }
        }
        if entity == Entity::Timesheets {
            let mut line = timesheet::timesheet_line(&ctx, checked);
            // As the line's `WorkerRef` would be: by Agency Ref (empty when missing) or by id.
            let agency_ref = match &line.worker {
                Some(worker) => worker.agency_ref(),
                None => Some(""),
            };
            let l = &line.line;
            for (path, finding) in self.index.check_line_of(agency_ref, &l.pay, l.units) {
                let column = sheet.map.index_of(path);
                line.findings.push(ctx.place(row_no, column, finding));
            }
            let rate = (!currencies.is_empty())
                .then(|| sheet.map.index_of("rates[].rate"))
                .flatten();
            let written = currencies.iter().find(|(c, ..)| Some(*c) == rate);
            if let Some((_, currency, None)) = written
                && let Some(finding) = self.index.check_rate_currency_of(agency_ref, *currency)
            {
                line.findings.push(ctx.place(row_no, rate, finding));
            }
            self.push_line(line, sheet);
        } else {
            let paid = match entity {
                Entity::CandidatesIe => Currency::Eur,
                _ => Currency::Gbp,
            };
            if entity != Entity::PaymentRates {
                for (column, currency, mixed) in &currencies {
                    if *currency != paid && mixed.is_none() {
                        checked.findings.push(ctx.place(
                            row_no,
                            Some(*column),
                            wrong_currency(entity, *currency, paid),
                        ));
                    }
                }
            }
            // The batch checks read the body as built, before it is kept as text.
            let body = build::body(&sheet.map, &checked);
            let at = &checked.provenance;
            let found = match entity {
                Entity::Candidates | Entity::CandidatesIe => {
                    let mut found = self.index.check_candidate(&body, at);
                    found.extend(bank_consistency(&body));
                    found
                }
                Entity::PaymentRates => self.index.check_payment_rate(&body, at),
                Entity::Timesheets => Vec::new(),
            };
            let mut record = build::record(entity, body, checked);
            if matches!(entity, Entity::Candidates | Entity::CandidatesIe) {
                self.index.note_currency(&record.key, paid);
            }
            for (path, mut finding) in found {
                if self.opts.mask_pii && columns::is_sensitive_path(path) {
                    finding.message = build::mask_values(&finding.message);
                }
                let column = sheet.map.index_of(path);
                record.findings.push(ctx.place(row_no, column, finding));
            }
            self.emit(record);
        }
        1
    }

    fn is_template_example(&self, sheet: &SheetInfo, row: &RowBuf) -> bool {
        // Same test as `template::is_example`, without collecting the row.
        let mut cells = sheet
            .map
            .source_of
            .iter()
            .map(|s| s.and_then(|i| row.get(i)).map_or("", |c| c.text));
        sheet.map.columns().iter().all(|c| {
            cells
                .next()
                .is_some_and(|cell| c.example.is_empty() || cell == c.example)
        })
    }

    fn emit(&mut self, record: Record) {
        let counts = self.summary.counts.entry(record.entity).or_default();
        let rows = record.provenance.len() as u64;
        counts.rows += rows;
        if record.is_valid() {
            counts.valid += rows;
        } else {
            counts.invalid += rows;
        }
        match &mut self.deferred {
            Some(held) => held.push(record),
            None => (self.on_record)(record),
        }
    }

    /// Every streamed sheet was read in order: hand on the records held back, and the rest as
    /// they come.
    fn hand_on_deferred(&mut self) {
        for record in self.deferred.take().unwrap_or_default() {
            (self.on_record)(record);
        }
    }

    fn push_line(&mut self, line: TimesheetLine<'_>, sheet: &Rc<SheetInfo>) {
        for record in self.grouper.push(line, sheet, &self.index) {
            self.emit(record);
        }
    }

    /// Close every open timesheet and hand the records on.
    fn flush_all(&mut self) {
        for record in self.grouper.flush(&self.index) {
            self.emit(record);
        }
    }
}

/// A row of a CSV fix file as the user's file had it: the safety `'` the tool put before
/// formula-like text (`'+44 7700 900123`, `'-Smith`) removed, any other apostrophe kept.
fn restore_fix_file_row(row: &RowBuf) -> RowBuf {
    let mut restored = RowBuf::default();
    restored.row = row.row;
    for cell in row.cells() {
        restored.push_text(crate::writing::restore_csv(cell.text));
    }
    restored
}

/// A candidate's amount written in the other country's currency.
fn wrong_currency(entity: Entity, written: Currency, paid: Currency) -> Finding {
    let who = match entity {
        Entity::CandidatesIe => "Irish candidates are paid",
        _ => "UK candidates are paid",
    };
    Finding::error(
        "money.currency",
        format!(
            "this amount is written in {} but {who} in {}; write it in {} (convert it if it \
             really was agreed in {}), or move the row to the other country's sheet",
            written.sign(),
            paid.sign(),
            paid.sign(),
            written.sign()
        ),
    )
}

/// A GB IBAN given with a sort code and account number must carry them.
fn bank_consistency(body: &serde_json::Value) -> Option<(&'static str, Finding)> {
    let text = |p: &str| body.pointer(p).and_then(serde_json::Value::as_str);
    let iban = text("/bankSetting/IBANReference")?;
    let sort = text("/bankSetting/sortCode")?;
    let account = text("/bankSetting/accountNumber")?;
    rules::uk_bank_consistency(iban, sort, account).map(|f| ("bankSetting.IBANReference", f))
}

/// Sheets the templates (and many agencies' workbooks) use for help text.
fn is_help_sheet(name: &str) -> bool {
    matches!(
        headers::fold(name).as_str(),
        "instructions" | "lists" | "readme" | "help" | "notes" | "guidance"
    )
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(name: &str, bytes: &[u8]) -> ValidationSummary {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        validate_files(&[path], &ReadOptions::default(), |_| {}).expect("readable")
    }

    #[test]
    fn a_file_without_rows_is_an_error_not_a_pass() {
        for (name, bytes) in [
            ("empty.csv", &b""[..]),
            ("blank.csv", b"\n\n"),
            ("payment-rates.csv", b"Code,Description,Type,Units\n"),
        ] {
            let summary = validate(name, bytes);
            assert!(summary.has_errors(), "{name}");
            assert!(
                summary
                    .findings
                    .iter()
                    .any(|f| f.finding.code == "file.no_rows"),
                "{name}: {:?}",
                summary.findings
            );
        }
    }

    /// Candidate rows with these sort codes and IBANs (the IBAN column last, after the sort
    /// code it is evidence for); the codes of each row's findings.
    fn bank_rows(rows: &[(&str, &str)], strict: bool) -> Vec<Vec<&'static str>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("candidates.csv");
        let mut text = String::from(
            "Agency Ref,Forename,Surname,Account Number,Sort Code,Payment Model,IBAN\n",
        );
        for (i, (sort, iban)) in rows.iter().enumerate() {
            text.push_str(&format!("AG-{i},Ann,Lee,86496244,{sort},PAYE,{iban}\n"));
        }
        std::fs::write(&path, text).expect("write");
        let opts = ReadOptions {
            entity: Some(Entity::Candidates),
            strict,
            ..ReadOptions::default()
        };
        let mut found = Vec::new();
        validate_files(&[path], &opts, |r| {
            let mut codes: Vec<_> = r.findings.iter().map(|f| f.finding.code).collect();
            codes.retain(|c| c.starts_with("sort_code") || c.starts_with("iban"));
            found.push(codes);
        })
        .expect("readable");
        found
    }

    #[test]
    fn a_short_sort_code_in_text_is_repaired_when_the_row_iban_confirms_it() {
        let confirms = "GB26NWBK00079486496244";
        let contradicts = "GB29NWBK60161331926819";
        assert_eq!(
            bank_rows(
                &[("794", confirms), ("794", ""), ("794", contradicts)],
                false
            ),
            [
                vec!["sort_code.repaired"],
                vec!["sort_code.length"],
                vec!["sort_code.length"]
            ]
        );
        assert_eq!(
            bank_rows(&[("794", confirms)], true),
            [vec!["sort_code.length"]]
        );
    }

    #[test]
    fn no_rows_is_not_added_when_a_precise_error_was_given() {
        let summary = validate("x.csv", b"Colour,Shape\nred,round\n");
        let codes: Vec<&str> = summary.findings.iter().map(|f| f.finding.code).collect();
        assert_eq!(codes, ["entity.unknown"]);
    }
}
