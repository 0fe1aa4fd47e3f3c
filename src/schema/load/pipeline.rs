//! The cell rules of a sheet's rows on a second thread, while this one reads the rows, learns
//! the columns' conventions and finishes the rows already checked (timesheet lines, grouping,
//! batch checks, records), in sheet order.
//!
//! The cell rules are about half of validating a row and depend only on the row, the sheet and
//! the decimal conventions known when the row is released, so each row is sent with a copy of
//! those conventions and checked there exactly as here. What comes back borrows nothing: a value
//! that borrowed its cell is kept as the cell text's byte range and borrowed again from the row
//! it came with ([`Held`]). Rows are sent in batches, a few batches ahead at most, so memory
//! stays flat; row buffers go back to a pool here.

use std::borrow::Cow;
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use super::{Currencies, ReadOptions, Run, SheetInfo, context};
use crate::model::{CellFinding, Provenance};
use crate::rules::ValueRef;
use crate::rules::number::Separators;
use crate::schema::build::CheckedRow;
use crate::schema::headers::Location;
use crate::source::RowBuf;

/// Rows per batch sent to the checking thread.
const BATCH: usize = 1024;
/// Batches sent and not yet finished, at most.
const AHEAD: usize = 4;

/// A row admitted for checking, with what it is checked with, and empty buffers for the
/// checked values: they go back and forth, so the checking thread allocates nothing that this
/// one frees (freeing another thread's memory costs a lock and cache traffic per row).
pub(super) struct Job {
    row: RowBuf,
    separators: Arc<[Separators]>,
    currencies: Currencies,
    values: Vec<Option<Held>>,
    failed: Vec<bool>,
    findings: Vec<CellFinding>,
}

/// A value as it crosses back: the byte range of the row's text it borrowed, or owned.
pub(super) enum Held {
    InRow(Range<usize>),
    Owned(ValueRef<'static>),
}

/// The two ends of the checking thread, and the batch being filled.
pub(in crate::schema) struct Pipe {
    jobs: Sender<Vec<Job>>,
    done: Receiver<Vec<Job>>,
    batch: Vec<Job>,
    in_flight: usize,
    separators: Arc<[Separators]>,
    pool: Vec<(RowBuf, Vec<Option<Held>>, Vec<bool>)>,
}

impl Pipe {
    /// Start the checking thread for rows of `sheet`; it ends when the pipe is dropped.
    pub(super) fn start<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        opts: &'scope ReadOptions,
        sheet: &'scope SheetInfo,
    ) -> Pipe {
        let (jobs, inbox) = channel::<Vec<Job>>();
        let (outbox, done) = channel();
        // The checking thread's own copy of the sheet's place: the provenance each checked row
        // builds is dropped there, and this thread builds its own, so the two threads do not
        // take turns on one reference count.
        let own = SheetInfo {
            map: sheet.map.clone(),
            at: Location {
                file: Arc::from(&*sheet.at.file),
                sheet: sheet.at.sheet.as_deref().map(Arc::from),
            },
            date1904: sheet.date1904,
            fix_file: sheet.fix_file,
        };
        scope.spawn(move || {
            for mut batch in inbox {
                for job in &mut batch {
                    let ctx = context(opts, &own, &job.separators);
                    let mut checked = ctx.check_row(&job.row);
                    job.findings = std::mem::take(&mut checked.findings);
                    hold(&job.row, checked, &mut job.values, &mut job.failed);
                }
                if outbox.send(batch).is_err() {
                    return;
                }
            }
        });
        Pipe {
            jobs,
            done,
            batch: Vec::with_capacity(BATCH),
            in_flight: 0,
            separators: Arc::from(Vec::new()),
            pool: Vec::new(),
        }
    }
}

/// Keep what the rules said about `row` in its job's buffers (on the checking thread).
fn hold(
    row: &RowBuf,
    checked: CheckedRow<'_>,
    values: &mut Vec<Option<Held>>,
    failed: &mut Vec<bool>,
) {
    let held = |value: ValueRef<'_>| match value {
        ValueRef::Text(Cow::Borrowed(text)) => match row.span_of(text) {
            Some(range) => Held::InRow(range),
            None => Held::Owned(ValueRef::Text(Cow::Owned(text.to_string()))),
        },
        other => Held::Owned(other.detached()),
    };
    values.extend(checked.values.into_iter().map(|v| v.map(held)));
    failed.extend_from_slice(&checked.failed);
}

/// The checked row again, borrowing `row`, with the provenance `check_row` gives it.
fn attach<'r>(
    row: &'r RowBuf,
    sheet: &SheetInfo,
    values: &mut Vec<Option<Held>>,
    failed: &[bool],
    findings: Vec<CellFinding>,
) -> CheckedRow<'r> {
    let value = |held: Held| match held {
        Held::InRow(range) => ValueRef::Text(Cow::Borrowed(row.span(range))),
        Held::Owned(value) => value,
    };
    CheckedRow {
        provenance: Provenance {
            file: sheet.at.file.clone(),
            sheet: sheet.at.sheet.clone(),
            row: row.row,
        },
        values: values.drain(..).map(|v| v.map(value)).collect(),
        failed: failed.to_vec(),
        findings,
    }
}

impl Run<'_> {
    /// Queue an admitted row for its cell rules; finish the oldest batches once enough are
    /// on their way.
    pub(super) fn send_to_check(
        &mut self,
        sheet: &Rc<SheetInfo>,
        row: &RowBuf,
        separators: &[Separators],
        currencies: Currencies,
    ) {
        let Some(pipe) = self.pipe.as_mut() else {
            return;
        };
        if *pipe.separators != *separators {
            pipe.separators = Arc::from(separators);
        }
        let (mut copy, values, mut failed) = pipe.pool.pop().unwrap_or_default();
        copy.copy_from(row);
        failed.clear();
        pipe.batch.push(Job {
            row: copy,
            separators: Arc::clone(&pipe.separators),
            currencies,
            values,
            failed,
            findings: Vec::new(),
        });
        if pipe.batch.len() < BATCH {
            return;
        }
        let batch = std::mem::replace(&mut pipe.batch, Vec::with_capacity(BATCH));
        if pipe.jobs.send(batch).is_ok() {
            pipe.in_flight += 1;
        }
        while self.pipe.as_ref().is_some_and(|p| p.in_flight > AHEAD) {
            if !self.finish_batch(sheet) {
                break;
            }
        }
    }

    /// Send what is queued and finish every row still on its way.
    pub(super) fn drain(
        &mut self,
        sheet: &Rc<SheetInfo>,
    ) -> Result<(), crate::source::SourceError> {
        if let Some(pipe) = self.pipe.as_mut() {
            let batch = std::mem::take(&mut pipe.batch);
            if !batch.is_empty() && pipe.jobs.send(batch).is_ok() {
                pipe.in_flight += 1;
            }
        }
        while self.pipe.as_ref().is_some_and(|p| p.in_flight > 0) {
            if !self.finish_batch(sheet) {
                break;
            }
        }
        Ok(())
    }

    /// Finish the oldest checked batch; `false` when the checking thread is gone (it
    /// panicked: the scope reports that panic).
    fn finish_batch(&mut self, sheet: &Rc<SheetInfo>) -> bool {
        let Some(pipe) = self.pipe.as_mut() else {
            return false;
        };
        let Ok(batch) = pipe.done.recv() else {
            return false;
        };
        pipe.in_flight -= 1;
        let opts = self.opts;
        let mut spare = Vec::with_capacity(batch.len());
        for job in batch {
            let Job {
                row,
                separators,
                currencies,
                mut values,
                failed,
                findings,
            } = job;
            let ctx = context(opts, sheet, &separators);
            let checked = attach(&row, sheet, &mut values, &failed, findings);
            self.finish_row(sheet, &ctx, row.row, checked, &currencies);
            spare.push((row, values, failed));
        }
        if let Some(pipe) = self.pipe.as_mut() {
            pipe.pool.extend(spare);
        }
        true
    }
}
