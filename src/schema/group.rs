//! Timesheet lines into timesheets: lines of the same worker, tax year and tax period form one
//! timesheet. A whole batch merges them wherever they are; streaming validation merges lines
//! that follow each other, so memory stays flat.

use std::collections::HashMap;
use std::rc::Rc;

use super::build;
use super::load::SheetInfo;
use super::timesheet::TimesheetLine;
use crate::model::Finding;
use crate::model::{CellFinding, Record, TimesheetDraft};
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
}

/// Timesheet lines of one worker and period, with the sheet each line came from.
struct Group {
    key: String,
    draft: TimesheetDraft,
    findings: Vec<CellFinding>,
    sheets: Vec<Rc<SheetInfo>>,
}

impl Grouper {
    pub fn new(grouping: Grouping) -> Grouper {
        Grouper {
            grouping,
            open: Vec::new(),
            by_key: HashMap::new(),
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
                Some(last) if line.belongs_to(&last.draft) => (Some(self.open.len() - 1), None),
                Some(_) => {
                    done = self.flush(index);
                    (None, None)
                }
                None => (None, None),
            },
        };
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
                    draft,
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
        std::mem::take(&mut self.open)
            .into_iter()
            .map(|group| group.finish(index))
            .collect()
    }
}

impl Group {
    fn merge(&mut self, mut line: TimesheetLine<'_>, sheet: &Rc<SheetInfo>) {
        let first_row = self.draft.lines.first().map_or(0, |l| l.provenance.row);
        let new_row = line.line.provenance.row;
        let mut mismatch = |path: &str, what: &str| {
            let finding = Finding::error(
                "timesheet.period_mismatch",
                format!(
                    "{what} differs from row {first_row}, another line of the same worker \
                     and period; make the lines agree"
                ),
            );
            line.findings.push(build::place(
                &sheet.map,
                &sheet.at,
                new_row,
                sheet.map.index_of(path),
                finding,
            ));
        };
        if line.start_date.is_some() && line.start_date != self.draft.start_date {
            mismatch("startDate", "the start date");
        }
        if line.end_date.is_some() && line.end_date != self.draft.end_date {
            mismatch("endDate", "the end date");
        }
        self.draft.lines.push(line.line);
        self.findings.append(&mut line.findings);
        self.sheets.push(Rc::clone(sheet));
    }

    fn finish(mut self, index: &BatchIndex) -> Record {
        for (line, path, finding) in index.check_timesheet(&self.draft) {
            let (Some(sheet), Some(l)) = (self.sheets.get(line), self.draft.lines.get(line)) else {
                continue;
            };
            self.findings.push(build::place(
                &sheet.map,
                &sheet.at,
                l.provenance.row,
                sheet.map.index_of(path),
                finding,
            ));
        }
        Record::of_timesheet(self.key, self.draft, self.findings)
    }
}
