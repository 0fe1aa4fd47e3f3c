//! Timesheet rows into lines: the worker (Agency Ref or Worker ID), the pay code (Pay Code or
//! Rate ID), the period, and the key `worker|taxYear|taxPeriod` that groups lines into one
//! timesheet.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::build::{CheckedRow, Context, starts_with_ignore_case};
use super::record::{CellFinding, LineDraft, PayRef, TimesheetDraft, VatRef, WorkerRef};
use crate::rules::{Finding, Value};

/// One timesheet row: the fields that decide its timesheet, and the line itself.
pub struct TimesheetLine {
    /// `worker|taxYear|taxPeriod`, or `None` when one of them is missing or invalid.
    pub key: Option<String>,
    pub draft: TimesheetDraft,
    pub findings: Vec<CellFinding>,
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Text(s) if !s.is_empty() => Some(s.clone()),
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

/// A timesheet line from a checked row. `ctx` places row-level findings.
pub fn timesheet_line(ctx: &Context<'_>, row: CheckedRow) -> TimesheetLine {
    let map = ctx.map;
    let get = |path: &str| map.index_of(path).and_then(|i| row.values.get(i)?.as_ref());
    let mut findings = row.findings;
    let line_row = row.provenance.row;
    let either = |a: &str, b: &str, what: &str, code: &'static str| {
        let present = |p: &str| map.index_of(p).is_some_and(|i| map.locate(i).is_some());
        Finding::error(
            code,
            if present(a) || present(b) {
                format!("{what}: fill in one of them")
            } else {
                format!("{what}, and the sheet has neither column; add one")
            },
        )
    };
    let cell_failed = |path: &str| {
        map.index_of(path)
            .and_then(|i| row.failed.get(i))
            .copied()
            .unwrap_or(false)
    };
    let worker = match (text_of(get("subcontractorRef")), text_of(get("agencyRef"))) {
        (Some(id), _) => Some(WorkerRef::Id(id)),
        (None, Some(r)) => Some(WorkerRef::AgencyRef(r)),
        (None, None) => None,
    };
    let worker_failed = cell_failed("subcontractorRef") || cell_failed("agencyRef");
    let pay = match (text_of(get("rates[].rateId")), text_of(get("rates[].code"))) {
        (Some(id), _) => Some(PayRef::Id(id)),
        (None, Some(code)) => Some(PayRef::Code(code.to_uppercase())),
        (None, None) => None,
    };
    let pay_failed = cell_failed("rates[].rateId") || cell_failed("rates[].code");
    let mut extra = Vec::new();
    if worker.is_none() && !worker_failed {
        extra.push(either(
            "agencyRef",
            "subcontractorRef",
            "each line needs the worker's Agency Ref or Worker ID",
            "timesheet.worker_missing",
        ));
    }
    if pay.is_none() && !pay_failed {
        extra.push(either(
            "rates[].code",
            "rates[].rateId",
            "each line needs a Pay Code or Rate ID",
            "timesheet.pay_code_missing",
        ));
    }
    findings.extend(extra.into_iter().map(|f| ctx.place(line_row, None, f)));
    let tax_year = int_of(get("taxYear")).and_then(|y| i32::try_from(y).ok());
    let tax_period = int_of(get("taxPeriodConfig")).and_then(|p| u32::try_from(p).ok());
    let vat = text_of(get("rates[].vatID")).map(|v| {
        if starts_with_ignore_case(&v, "VC-") {
            VatRef::Id(v)
        } else {
            VatRef::Letter(v)
        }
    });
    let key = match (&worker, tax_year, tax_period) {
        (Some(w), Some(y), Some(p)) => Some(format!("{}|{y}|{p}", worker_text(w))),
        _ => None,
    };
    let line = LineDraft {
        provenance: row.provenance,
        pay: pay.unwrap_or(PayRef::Code(String::new())),
        rate: decimal_of(get("rates[].rate")).unwrap_or_default(),
        units: decimal_of(get("rates[].units")).unwrap_or_default(),
        vat,
    };
    TimesheetLine {
        key,
        draft: TimesheetDraft {
            worker: worker.unwrap_or(WorkerRef::AgencyRef(String::new())),
            assignment_ref: text_of(get("assignmentRef")),
            start_date: date_of(get("startDate")),
            end_date: date_of(get("endDate")),
            tax_year: tax_year.unwrap_or_default(),
            tax_period: tax_period.unwrap_or_default(),
            month: int_of(get("monthConfig")).and_then(|m| u32::try_from(m).ok()),
            lines: vec![line],
        },
        findings,
    }
}

/// The worker as written in a timesheet key.
pub fn worker_text(worker: &WorkerRef) -> &str {
    match worker {
        WorkerRef::AgencyRef(s) | WorkerRef::Id(s) => s,
    }
}
