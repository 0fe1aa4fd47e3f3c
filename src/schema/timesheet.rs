//! Timesheet rows into lines: the worker (Agency Ref or Worker ID), the pay code (Pay Code or
//! Rate ID), the period, and the key `worker|taxYear|taxPeriod` that groups lines into one
//! timesheet.

use std::str::FromStr;
use std::sync::OnceLock;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::build::{CheckedRow, Context, starts_with_ignore_case};
use super::columns::columns;
use crate::model::Finding;
use crate::model::{CellFinding, Entity, LineDraft, PayRef, TimesheetDraft, VatRef, WorkerRef};
use crate::rules::Value;

/// One timesheet row: the fields that decide its timesheet, and the line itself.
pub struct TimesheetLine {
    /// `worker|taxYear|taxPeriod`, or `None` when one of them is missing or invalid.
    pub key: Option<String>,
    pub draft: TimesheetDraft,
    pub findings: Vec<CellFinding>,
}

fn text_of(value: Option<Value>) -> Option<String> {
    match value? {
        Value::Text(s) if !s.is_empty() => Some(s),
        Value::Integer(i) => Some(i.to_string()),
        Value::Decimal(d) => Some(d.to_string()),
        _ => None,
    }
}

fn int_of(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Integer(i) => Some(*i),
        Value::Text(s) => s.trim().parse().ok(),
        Value::Decimal(d) if d.fract().is_zero() => d.to_string().parse().ok(),
        _ => None,
    }
}

fn decimal_of(value: Option<&Value>) -> Option<Decimal> {
    match value? {
        Value::Decimal(d) => Some(*d),
        Value::Integer(i) => Some(Decimal::from(*i)),
        Value::Text(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

fn date_of(value: Option<&Value>) -> Option<NaiveDate> {
    match value? {
        Value::Date(d) => Some(*d),
        Value::Text(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
        _ => None,
    }
}

/// Upper-cased; text that is already plain upper-case ASCII is kept as it is (no allocation).
fn upper(text: String) -> String {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_lowercase())
    {
        text
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
pub fn timesheet_line(ctx: &Context<'_>, row: CheckedRow) -> TimesheetLine {
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
        (Some(id), _) => Some(WorkerRef::Id(id)),
        (None, Some(r)) => Some(WorkerRef::AgencyRef(r)),
        (None, None) => None,
    };
    let worker_failed = cell_failed(f.subcontractor_ref) || cell_failed(f.agency_ref);
    let pay = match (rate_id, code) {
        (Some(id), _) => Some(PayRef::Id(id)),
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
            VatRef::Id(v)
        } else {
            VatRef::Letter(v)
        }
    });
    let key = match (&worker, tax_year, tax_period) {
        (Some(w), Some(y), Some(p)) => Some(key_of(worker_text(w), y, p)),
        _ => None,
    };
    let line = LineDraft {
        provenance,
        pay: pay.unwrap_or(PayRef::Code(String::new())),
        rate: decimal_of(get(f.rate)).unwrap_or_default(),
        units: decimal_of(get(f.units)).unwrap_or_default(),
        vat,
    };
    TimesheetLine {
        key,
        draft: TimesheetDraft {
            worker: worker.unwrap_or(WorkerRef::AgencyRef(String::new())),
            assignment_ref,
            start_date: date_of(get(f.start_date)),
            end_date: date_of(get(f.end_date)),
            tax_year: tax_year.unwrap_or_default(),
            tax_period: tax_period.unwrap_or_default(),
            month: int_of(get(f.month)).and_then(|m| u32::try_from(m).ok()),
            lines: vec![line],
        },
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
    push_digits(&mut key, year.unsigned_abs());
    key.push('|');
    push_digits(&mut key, period);
    key
}

/// The decimal digits of `n`.
fn push_digits(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
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
