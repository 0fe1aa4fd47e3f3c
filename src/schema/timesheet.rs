//! Timesheet rows into lines: the worker (Agency Ref or Worker ID), the pay code (Pay Code or
//! Rate ID), the period, and the key `worker|taxYear|taxPeriod` that groups lines into one
//! timesheet (compared field by field; the text is written once per timesheet).

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::build::{CheckedRow, Context, starts_with_ignore_case};
use super::columns::columns;
use crate::model::Finding;
use crate::model::digits::push_digits;
use crate::model::{CellFinding, Entity, LineDraft, PayRef, TimesheetDraft, VatRef, WorkerRef};
use crate::rules::ValueRef;

/// One timesheet row: the fields that decide its timesheet, and the line itself. The worker
/// and assignment borrow the row's cells: only the first line of a timesheet gives them to the
/// record, the others are merged into it.
pub struct TimesheetLine<'a> {
    /// Worker, tax year and period are all present and valid: the line belongs to the
    /// timesheet `worker|taxYear|taxPeriod` ([`TimesheetLine::key`]).
    pub keyed: bool,
    /// The worker: an API id (`SR-…`) or an Agency Ref; `None` when neither was given.
    pub worker: Option<Worker<'a>>,
    pub assignment_ref: Option<Cow<'a, str>>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub tax_year: i32,
    pub tax_period: u32,
    pub month: Option<u32>,
    pub line: LineDraft,
    pub findings: Vec<CellFinding>,
}

/// A worker as a line names it, borrowing the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Worker<'a> {
    AgencyRef(Cow<'a, str>),
    Id(Cow<'a, str>),
}

impl Worker<'_> {
    /// The worker as written in a timesheet key.
    pub fn text(&self) -> &str {
        match self {
            Worker::AgencyRef(s) | Worker::Id(s) => s,
        }
    }

    /// The Agency Ref, when the line names the worker by it.
    pub fn agency_ref(&self) -> Option<&str> {
        match self {
            Worker::AgencyRef(s) => Some(s),
            Worker::Id(_) => None,
        }
    }

    fn to_owned_ref(&self) -> WorkerRef {
        match self {
            Worker::AgencyRef(s) => WorkerRef::AgencyRef(s.to_string()),
            Worker::Id(s) => WorkerRef::Id(s.to_string()),
        }
    }
}

impl TimesheetLine<'_> {
    /// `worker|taxYear|taxPeriod` when the line is keyed.
    pub fn key(&self) -> Option<String> {
        let worker = self.worker.as_ref().filter(|_| self.keyed)?;
        Some(key_of(worker.text(), self.tax_year, self.tax_period))
    }

    /// Whether the line belongs to the timesheet `draft` (same worker, tax year and period;
    /// the same test as comparing their keys).
    pub fn belongs_to(&self, draft: &TimesheetDraft) -> bool {
        self.keyed
            && self.tax_year == draft.tax_year
            && self.tax_period == draft.tax_period
            && self
                .worker
                .as_ref()
                .is_some_and(|w| w.text() == worker_text(&draft.worker))
    }

    /// A timesheet of this one line (the first of its timesheet).
    pub fn into_draft(self) -> (TimesheetDraft, Vec<CellFinding>) {
        let draft = TimesheetDraft {
            worker: self
                .worker
                .as_ref()
                .map_or(WorkerRef::AgencyRef(String::new()), Worker::to_owned_ref),
            assignment_ref: self.assignment_ref.map(Cow::into_owned),
            start_date: self.start_date,
            end_date: self.end_date,
            tax_year: self.tax_year,
            tax_period: self.tax_period,
            month: self.month,
            lines: vec![self.line],
        };
        (draft, self.findings)
    }
}

/// Non-empty text of a value, borrowed when the value borrows.
fn text_of(value: Option<ValueRef<'_>>) -> Option<Cow<'_, str>> {
    match value? {
        ValueRef::Text(s) if !s.is_empty() => Some(s),
        ValueRef::Integer(i) => Some(Cow::Owned(i.to_string())),
        ValueRef::Decimal(d) => Some(Cow::Owned(d.to_string())),
        _ => None,
    }
}

fn int_of(value: Option<&ValueRef<'_>>) -> Option<i64> {
    match value? {
        ValueRef::Integer(i) => Some(*i),
        ValueRef::Text(s) => s.trim().parse().ok(),
        ValueRef::Decimal(d) if d.fract().is_zero() => d.to_string().parse().ok(),
        _ => None,
    }
}

fn decimal_of(value: Option<&ValueRef<'_>>) -> Option<Decimal> {
    match value? {
        ValueRef::Decimal(d) => Some(*d),
        ValueRef::Integer(i) => Some(Decimal::from(*i)),
        ValueRef::Text(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

fn date_of(value: Option<&ValueRef<'_>>) -> Option<NaiveDate> {
    match value? {
        ValueRef::Date(d) => Some(*d),
        ValueRef::Text(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
        _ => None,
    }
}

/// Upper-cased and owned; text that is already plain upper-case ASCII is only copied.
fn upper(text: Cow<'_, str>) -> String {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_lowercase())
    {
        text.into_owned()
    } else {
        text.to_uppercase()
    }
}

/// The schema column index of each timesheet field. The timesheet column table is static, so
/// the indices are worked out once rather than looked up by path on every line.
struct Fields {
    agency_ref: Option<usize>,
    subcontractor_ref: Option<usize>,
    assignment_ref: Option<usize>,
    start_date: Option<usize>,
    end_date: Option<usize>,
    tax_year: Option<usize>,
    tax_period: Option<usize>,
    month: Option<usize>,
    rate_id: Option<usize>,
    code: Option<usize>,
    rate: Option<usize>,
    units: Option<usize>,
    vat: Option<usize>,
}

impl Fields {
    fn get() -> &'static Fields {
        static FIELDS: OnceLock<Fields> = OnceLock::new();
        FIELDS.get_or_init(|| {
            let at = |path: &str| {
                columns(Entity::Timesheets)
                    .iter()
                    .position(|c| c.path == path)
            };
            Fields {
                agency_ref: at("agencyRef"),
                subcontractor_ref: at("subcontractorRef"),
                assignment_ref: at("assignmentRef"),
                start_date: at("startDate"),
                end_date: at("endDate"),
                tax_year: at("taxYear"),
                tax_period: at("taxPeriodConfig"),
                month: at("monthConfig"),
                rate_id: at("rates[].rateId"),
                code: at("rates[].code"),
                rate: at("rates[].rate"),
                units: at("rates[].units"),
                vat: at("rates[].vatID"),
            }
        })
    }
}

/// A timesheet line from a checked row. `ctx` places row-level findings.
pub fn timesheet_line<'a>(ctx: &Context<'_>, row: CheckedRow<'a>) -> TimesheetLine<'a> {
    let map = ctx.map;
    let f = Fields::get();
    let CheckedRow {
        provenance,
        mut values,
        failed,
        mut findings,
    } = row;
    let line_row = provenance.row;
    let mut take = |index: Option<usize>| index.and_then(|i| values.get_mut(i)?.take());
    let worker_id = text_of(take(f.subcontractor_ref));
    let agency_ref = text_of(take(f.agency_ref));
    let rate_id = text_of(take(f.rate_id));
    let code = text_of(take(f.code));
    let vat = text_of(take(f.vat));
    let assignment_ref = text_of(take(f.assignment_ref));
    let get = |index: Option<usize>| index.and_then(|i| values.get(i)?.as_ref());
    let either = |a: Option<usize>, b: Option<usize>, what: &str, code: &'static str| {
        let present = |i: Option<usize>| i.is_some_and(|i| map.locate(i).is_some());
        Finding::error(
            code,
            if present(a) || present(b) {
                format!("{what}: fill in one of them")
            } else {
                format!("{what}, and the sheet has neither column; add one")
            },
        )
    };
    let cell_failed =
        |index: Option<usize>| index.and_then(|i| failed.get(i)).copied().unwrap_or(false);
    let worker = match (worker_id, agency_ref) {
        (Some(id), _) => Some(Worker::Id(id)),
        (None, Some(r)) => Some(Worker::AgencyRef(r)),
        (None, None) => None,
    };
    let worker_failed = cell_failed(f.subcontractor_ref) || cell_failed(f.agency_ref);
    let pay = match (rate_id, code) {
        (Some(id), _) => Some(PayRef::Id(id.into_owned())),
        (None, Some(code)) => Some(PayRef::Code(upper(code))),
        (None, None) => None,
    };
    let pay_failed = cell_failed(f.rate_id) || cell_failed(f.code);
    if worker.is_none() && !worker_failed {
        let finding = either(
            f.agency_ref,
            f.subcontractor_ref,
            "each line needs the worker's Agency Ref or Worker ID",
            "timesheet.worker_missing",
        );
        findings.push(ctx.place(line_row, None, finding));
    }
    if pay.is_none() && !pay_failed {
        let finding = either(
            f.code,
            f.rate_id,
            "each line needs a Pay Code or Rate ID",
            "timesheet.pay_code_missing",
        );
        findings.push(ctx.place(line_row, None, finding));
    }
    let tax_year = int_of(get(f.tax_year)).and_then(|y| i32::try_from(y).ok());
    let tax_period = int_of(get(f.tax_period)).and_then(|p| u32::try_from(p).ok());
    let vat = vat.map(|v| {
        if starts_with_ignore_case(&v, "VC-") {
            VatRef::Id(v.into_owned())
        } else {
            VatRef::Letter(v.into_owned())
        }
    });
    let keyed = worker.is_some() && tax_year.is_some() && tax_period.is_some();
    let line = LineDraft {
        provenance,
        pay: pay.unwrap_or(PayRef::Code(String::new())),
        rate: decimal_of(get(f.rate)).unwrap_or_default(),
        units: decimal_of(get(f.units)).unwrap_or_default(),
        vat,
    };
    TimesheetLine {
        keyed,
        worker,
        assignment_ref,
        start_date: date_of(get(f.start_date)),
        end_date: date_of(get(f.end_date)),
        tax_year: tax_year.unwrap_or_default(),
        tax_period: tax_period.unwrap_or_default(),
        month: int_of(get(f.month)).and_then(|m| u32::try_from(m).ok()),
        line,
        findings,
    }
}

/// `worker|year|period`, the same text as `format!("{worker}|{year}|{period}")` without the
/// formatting machinery (built once per line).
fn key_of(worker: &str, year: i32, period: u32) -> String {
    let mut key = String::with_capacity(worker.len() + 16);
    key.push_str(worker);
    key.push('|');
    if year < 0 {
        key.push('-');
    }
    push_digits(&mut key, year.unsigned_abs().into());
    key.push('|');
    push_digits(&mut key, period.into());
    key
}

/// The worker as written in a timesheet key.
pub fn worker_text(worker: &WorkerRef) -> &str {
    match worker {
        WorkerRef::AgencyRef(s) | WorkerRef::Id(s) => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_as_formatted() {
        for (worker, year, period) in [
            ("AG-1", 2025, 1),
            ("", 0, 0),
            ("SR-9", -12, u32::MAX),
            ("IE-2001", i32::MIN, 52),
            ("x", i32::MAX, 10),
        ] {
            assert_eq!(
                key_of(worker, year, period),
                format!("{worker}|{year}|{period}")
            );
        }
    }
}
