//! Timesheet lines into timesheets: lines of the same worker, tax year and tax period form one
//! timesheet. A whole batch merges them wherever they are; streaming validation merges lines
//! that follow each other, so memory stays flat.

use std::collections::HashMap;
use std::rc::Rc;

use super::build;
use super::load::SheetInfo;
use super::timesheet::TimesheetLine;
use crate::model::Finding;
use crate::model::{CellFinding, PackedTimesheet, Provenance, Record, TimesheetDraft};
use crate::rules::batch::BatchIndex;

/// How far apart lines of one timesheet may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Grouping {
    /// Anywhere in the batch (everything is held until the end).
    Whole,
    /// Only one after another (a timesheet closes when another starts).
    Consecutive,
}

/// The open timesheets.
pub(super) struct Grouper {
    grouping: Grouping,
    open: Vec<Group>,
    by_key: HashMap<String, usize>,
    /// The group the last line went to (whole batch): the others are packed.
    last: Option<usize>,
}

/// Timesheet lines of one worker and period, with the sheet each line came from.
struct Group {
    key: String,
    lines: Lines,
    findings: Vec<CellFinding>,
    sheets: Vec<Rc<SheetInfo>>,
}

/// A timesheet's lines as its group holds them: open while they arrive, packed once a line of
/// another timesheet comes (a whole batch holds every timesheet until its end: 100,000
/// timesheets of 4 lines took ≈ 110 MB open, ≈ 45 MB packed). A line for a packed timesheet
/// opens it again.
enum Lines {
    Open(TimesheetDraft),
    Packed {
        packed: PackedTimesheet,
        rows: Vec<Provenance>,
    },
}

impl Grouper {
    pub fn new(grouping: Grouping) -> Grouper {
        Grouper {
            grouping,
            open: Vec::new(),
            by_key: HashMap::new(),
            last: None,
        }
    }

    pub fn grouping(&self) -> Grouping {
        self.grouping
    }

    /// Add a line; returns the records it completes (a line that cannot be keyed is a record
    /// of its own; in consecutive mode a new key closes the open timesheet).
    pub fn push(
        &mut self,
        line: TimesheetLine<'_>,
        sheet: &Rc<SheetInfo>,
        index: &BatchIndex,
    ) -> Vec<Record> {
        if !line.keyed {
            // Without worker, tax year and period the line belongs to no timesheet.
            let key = format!("row {}", line.line.provenance.row);
            let (draft, findings) = line.into_draft();
            return vec![Record::of_timesheet(key, draft, findings)];
        }
        let mut done = Vec::new();
        // Consecutive grouping compares the line with the last timesheet, field by field; only
        // a whole batch looks keys up, and only a new timesheet writes its key.
        let (existing, key) = match self.grouping {
            Grouping::Whole => {
                let key = line.key().unwrap_or_default();
                (self.by_key.get(&key).copied(), Some(key))
            }
            Grouping::Consecutive => match self.open.last() {
                Some(last) if last.lines.accepts(&line) => (Some(self.open.len() - 1), None),
                Some(_) => {
                    done = self.flush(index);
                    (None, None)
                }
                None => (None, None),
            },
        };
        let at = existing.unwrap_or(self.open.len());
        if self.grouping == Grouping::Whole
            && let Some(last) = self.last.replace(at).filter(|&last| last != at)
            && let Some(group) = self.open.get_mut(last)
        {
            group.lines.pack();
        }
        match existing.and_then(|i| self.open.get_mut(i)) {
            Some(group) => group.merge(line, sheet),
            None => {
                let key = key.or_else(|| line.key()).unwrap_or_default();
                if self.grouping == Grouping::Whole {
                    self.by_key.insert(key.clone(), self.open.len());
                }
                let (draft, findings) = line.into_draft();
                self.open.push(Group {
                    key,
                    lines: Lines::Open(draft),
                    findings,
                    sheets: vec![Rc::clone(sheet)],
                });
            }
        }
        done
    }

    /// Close every open timesheet: run the whole-timesheet checks and return the records.
    pub fn flush(&mut self, index: &BatchIndex) -> Vec<Record> {
        self.by_key.clear();
        self.last = None;
        std::mem::take(&mut self.open)
            .into_iter()
            .map(|group| group.finish(index))
            .collect()
    }
}

impl Group {
    fn merge(&mut self, mut line: TimesheetLine<'_>, sheet: &Rc<SheetInfo>) {
        let Some(draft) = self.lines.open() else {
            self.findings.append(&mut line.findings);
            let row = line.line.provenance.row;
            self.findings.push(place(sheet, row, None, unreadable()));
            return;
        };
        let first_row = draft.lines.first().map_or(0, |l| l.provenance.row);
        let new_row = line.line.provenance.row;
        let mut mismatch = |path: &str, what: &str| {
            let finding = Finding::error(
                "timesheet.period_mismatch",
                format!(
                    "{what} differs from row {first_row}, another line of the same worker \
                     and period; make the lines agree"
                ),
            );
            line.findings
                .push(place(sheet, new_row, Some(path), finding));
        };
        if line.start_date.is_some() && line.start_date != draft.start_date {
            mismatch("startDate", "the start date");
        }
        if line.end_date.is_some() && line.end_date != draft.end_date {
            mismatch("endDate", "the end date");
        }
        draft.lines.push(line.line);
        self.findings.append(&mut line.findings);
        self.sheets.push(Rc::clone(sheet));
    }

    fn finish(mut self, index: &BatchIndex) -> Record {
        let checked = match &self.lines {
            Lines::Open(draft) => index.check_timesheet(draft),
            Lines::Packed { packed, rows } => match packed.unpack(rows) {
                Some(draft) => index.check_timesheet(&draft),
                None => {
                    // Not checked, so not valid: the record is refused, not sent unchecked.
                    if let (Some(sheet), Some(at)) = (self.sheets.first(), rows.first()) {
                        self.findings.push(place(sheet, at.row, None, unreadable()));
                    }
                    Vec::new()
                }
            },
        };
        for (line, path, finding) in checked {
            let (Some(sheet), Some(at)) = (self.sheets.get(line), self.lines.row(line)) else {
                continue;
            };
            self.findings.push(place(sheet, at, Some(path), finding));
        }
        match self.lines {
            Lines::Open(draft) => Record::of_timesheet(self.key, draft, self.findings),
            Lines::Packed { packed, rows } => {
                Record::of_packed(self.key, packed, rows, self.findings)
            }
        }
    }
}

/// `finding` at `row` of `sheet`, in the column of `path` (`None`: the row as a whole).
fn place(sheet: &SheetInfo, row: u32, path: Option<&str>, finding: Finding) -> CellFinding {
    let column = path.and_then(|p| sheet.map.index_of(p));
    build::place(&sheet.map, &sheet.at, row, column, finding)
}

/// A timesheet whose packed lines do not read back (which `PackedTimesheet::pack` rules out).
fn unreadable() -> Finding {
    Finding::error(
        "timesheet.internal",
        "internal error: the lines of this timesheet could not be read back, so nothing of it \
         is sent; please report this",
    )
}

impl Lines {
    /// Whether `line` belongs to this timesheet (same worker, tax year and period).
    fn accepts(&self, line: &TimesheetLine<'_>) -> bool {
        match self {
            Lines::Open(draft) => line.belongs_to(draft),
            Lines::Packed { packed, .. } => line.belongs_to(packed.head()),
        }
    }

    /// The row of line `i`.
    fn row(&self, i: usize) -> Option<u32> {
        match self {
            Lines::Open(draft) => draft.lines.get(i).map(|l| l.provenance.row),
            Lines::Packed { rows, .. } => rows.get(i).map(|p| p.row),
        }
    }

    /// Pack the lines (no line of this timesheet is expected next).
    fn pack(&mut self) {
        let Lines::Open(draft) = self else {
            return;
        };
        let rows = draft.lines.iter().map(|l| l.provenance.clone()).collect();
        let draft = TimesheetDraft {
            worker: draft.worker.clone(),
            assignment_ref: draft.assignment_ref.take(),
            lines: std::mem::take(&mut draft.lines),
            ..*draft
        };
        *self = Lines::Packed {
            packed: PackedTimesheet::pack(draft),
            rows,
        };
    }

    /// The draft, open to another line. `None` only if the packed lines do not read back,
    /// which `PackedTimesheet::pack` rules out.
    fn open(&mut self) -> Option<&mut TimesheetDraft> {
        if let Lines::Packed { packed, rows } = self {
            *self = Lines::Open(packed.unpack(rows)?);
        }
        match self {
            Lines::Open(draft) => Some(draft),
            Lines::Packed { .. } => None,
        }
    }
}
