//! Timesheets with resolved ids, and how they match what the server holds.
//!
//! A timesheet's natural key is its worker, tax year and period, plus its dates and lines: a
//! server timesheet for the same worker and period with the same dates and the same lines (as a
//! multiset, compared as exact decimals) *is* this timesheet. Same worker and period with other
//! lines is an update of it.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

use super::Decision;
use super::resolve::VatCodes;
use crate::model::{Action, Change, PayRef, TimesheetDraft, Totals, WorkerRef};

mod listing;
pub use listing::{ListedTotals, PackedListed, TimesheetList};

/// One timesheet line with API ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub rate_id: String,
    pub rate: Decimal,
    pub units: Decimal,
    pub vat_id: Option<String>,
}

impl Line {
    fn sort_key(&self) -> (String, Decimal, Decimal, String) {
        (
            self.rate_id.clone(),
            self.rate.normalize(),
            self.units.normalize(),
            self.vat_id.clone().unwrap_or_default(),
        )
    }
}

/// A timesheet ready to send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimesheetPlan {
    pub worker_id: String,
    pub assignment_ref: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub tax_year: i32,
    pub tax_period: u32,
    pub month: Option<u32>,
    pub lines: Vec<Line>,
}

/// The control totals of timesheet lines.
pub fn totals(lines: &[Line]) -> Totals {
    Totals::of_lines(lines.iter().map(|l| (l.rate, l.units)))
}

impl TimesheetPlan {
    pub fn totals(&self) -> Totals {
        totals(&self.lines)
    }

    /// `OpenAPITimeSheetCreateDto` (decimals as strings, as the reference's example).
    pub fn create_body(&self) -> Value {
        json!({
            "subcontractorRef": self.worker_id,
            "assignmentRef": self.assignment_ref,
            "startDate": self.start_date,
            "endDate": self.end_date,
            "rates": self.rates_json(),
            "monthConfig": self.month,
            "taxYear": self.tax_year,
            "taxPeriodConfig": self.tax_period,
        })
    }

    /// `OpenAPITimeSheetEditDto`: the lines.
    pub fn edit_body(&self) -> Value {
        json!({ "rates": self.rates_json() })
    }

    fn rates_json(&self) -> Vec<Value> {
        self.lines
            .iter()
            .map(|l| {
                let mut line = json!({
                    "rateId": l.rate_id,
                    "rate": l.rate.normalize().to_string(),
                    "units": l.units.normalize().to_string(),
                });
                if let Some(vat) = &l.vat_id {
                    line["vatID"] = json!(vat);
                }
                line
            })
            .collect()
    }
}

/// What the plan needs to know about a pay code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayInfo {
    pub id: String,
    /// Its default VAT code id, used for lines that name no VAT code.
    pub default_vat: Option<String>,
}

/// Resolve a draft's keys to ids: workers by Agency Ref, pay codes by code (upper-case keys),
/// VAT letters. An unresolvable key blocks the timesheet with a message naming the row.
pub fn resolve(
    draft: &TimesheetDraft,
    workers: &HashMap<String, String>,
    pay: &HashMap<String, PayInfo>,
    vat: &VatCodes,
) -> Result<TimesheetPlan, String> {
    let worker_id = match &draft.worker {
        WorkerRef::Id(id) => id.clone(),
        WorkerRef::AgencyRef(r) => workers.get(r).cloned().ok_or_else(|| {
            format!(
                "worker with Agency Ref '{r}' is neither in this batch nor on the server; \
                 add them to the candidates sheet or correct the Agency Ref"
            )
        })?,
    };
    let mut lines = Vec::with_capacity(draft.lines.len());
    for line in &draft.lines {
        let at = format!("row {}", line.provenance.row);
        let info = match &line.pay {
            PayRef::Id(id) => PayInfo {
                id: id.clone(),
                default_vat: pay
                    .values()
                    .find(|p| &p.id == id)
                    .and_then(|p| p.default_vat.clone()),
            },
            PayRef::Code(code) => pay.get(&code.to_uppercase()).cloned().ok_or_else(|| {
                format!(
                    "{at}: pay code '{code}' is neither in this batch nor on the server; \
                     add it to the payment-rates sheet or correct the code"
                )
            })?,
        };
        let vat_id = match &line.vat {
            Some(v) => Some(vat.resolve(v).map_err(|e| format!("{at}: {e}"))?),
            None => info.default_vat.clone(),
        };
        lines.push(Line {
            rate_id: info.id,
            rate: line.rate,
            units: line.units,
            vat_id,
        });
    }
    Ok(TimesheetPlan {
        worker_id,
        assignment_ref: draft.assignment_ref.clone(),
        start_date: draft.start_date,
        end_date: draft.end_date,
        tax_year: draft.tax_year,
        tax_period: draft.tax_period,
        month: draft.month,
        lines,
    })
}

/// A timesheet as the server holds it (only what matching needs).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerTimesheet {
    pub id: String,
    pub worker_id: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub tax_year: Option<i32>,
    pub tax_period: Option<u32>,
    /// The lines when the server echoes them.
    pub lines: Option<Vec<Line>>,
    pub net: Option<Decimal>,
}

/// The same lines, in any order, decimals compared exactly (`8` = `8.00`). A line without a
/// VAT code on one side matches any VAT code on the other (the server may fill in a default).
pub fn same_lines(a: &[Line], b: &[Line]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut left: Vec<_> = a.iter().map(Line::sort_key).collect();
    let mut right: Vec<_> = b.iter().map(Line::sort_key).collect();
    left.sort();
    right.sort();
    left.iter().zip(&right).all(|(x, y)| {
        x.0 == y.0 && x.1 == y.1 && x.2 == y.2 && (x.3 == y.3 || x.3.is_empty() || y.3.is_empty())
    })
}

/// Same worker, year and period (a server copy that does not say is not the same).
pub fn same_slot(plan: &TimesheetPlan, server: &ServerTimesheet) -> bool {
    server.worker_id.as_deref() == Some(plan.worker_id.as_str())
        && server.tax_year == Some(plan.tax_year)
        && server.tax_period == Some(plan.tax_period)
}

/// This very timesheet: same slot, same dates (when the sheet gives them), same lines (or, when
/// the server does not echo lines, the same net value).
pub fn is_same_timesheet(plan: &TimesheetPlan, server: &ServerTimesheet) -> bool {
    let dates = (plan.start_date.is_none() || plan.start_date == server.start_date)
        && (plan.end_date.is_none() || plan.end_date == server.end_date);
    let content = match (&server.lines, server.net) {
        (Some(lines), _) => same_lines(&plan.lines, lines),
        (None, Some(net)) => net == plan.totals().net,
        (None, None) => false,
    };
    same_slot(plan, server) && dates && content
}

/// The sheet's dates are the server timesheet's (a sheet that gives no date matches any).
fn same_dates(plan: &TimesheetPlan, server: &ServerTimesheet) -> bool {
    (plan.start_date.is_none() || plan.start_date == server.start_date)
        && (plan.end_date.is_none() || plan.end_date == server.end_date)
}

/// `TS-1 (2025-04-06 to 2025-04-08)`.
fn describe(server: &ServerTimesheet) -> String {
    let date = |d: Option<NaiveDate>| d.map_or("?".to_string(), |d| d.to_string());
    format!(
        "{} ({} to {})",
        server.id,
        date(server.start_date),
        date(server.end_date)
    )
}

/// Match a timesheet by worker, period and dates:
/// - the same timesheet (dates and lines) on the server → unchanged;
/// - none with the same dates → create, warning when another timesheet of the worker and
///   period exists (a supplementary timesheet, or a mistake worth a look);
/// - one with the same dates and other lines → update (a *pay* change);
/// - several with the same dates → a conflict, never "the first one".
pub fn decide(plan: &TimesheetPlan, existing: &[ServerTimesheet]) -> Decision {
    if let Some(same) = existing.iter().find(|s| is_same_timesheet(plan, s)) {
        return Decision {
            action: Action::Unchanged,
            existing_id: Some(same.id.clone()),
            ..Decision::create()
        };
    }
    let slot: Vec<&ServerTimesheet> = existing.iter().filter(|s| same_slot(plan, s)).collect();
    let dated: Vec<&ServerTimesheet> = slot
        .iter()
        .copied()
        .filter(|s| same_dates(plan, s))
        .collect();
    match dated.as_slice() {
        [] => {
            let mut decision = Decision::create();
            if !slot.is_empty() {
                let others: Vec<String> = slot.iter().map(|s| describe(s)).collect();
                decision.warning = Some(format!(
                    "another timesheet exists for this worker and period: {}; this one has other                      dates, so it was created beside it (nothing of the other was changed)",
                    others.join(", ")
                ));
            }
            decision
        }
        [server] => Decision {
            action: Action::Update,
            existing_id: Some(server.id.clone()),
            changes: vec![Change::new(
                "rates",
                server
                    .lines
                    .as_ref()
                    .map(|l| lines_summary(l))
                    .unwrap_or(Value::Null),
                lines_summary(&plan.lines),
            )],
            ..Decision::create()
        },
        several => {
            let ids: Vec<String> = several.iter().map(|s| describe(s)).collect();
            Decision {
                action: Action::Update,
                conflict: Some(format!(
                    "held: {} server timesheets match this worker, period and dates ({}), so                      which one the sheet means is unclear; nothing was sent. Remove the extra                      one on Nxsys, or give the sheet's timesheet other dates",
                    several.len(),
                    ids.join(", ")
                )),
                ..Decision::create()
            }
        }
    }
}

/// Lines as short text for the report, e.g. `PR-1 8 × 12.5 VC-2; PR-2 1 × 100`.
pub fn lines_summary(lines: &[Line]) -> Value {
    Value::String(
        lines
            .iter()
            .map(|l| {
                let vat = l
                    .vat_id
                    .as_deref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                format!(
                    "{} {} × {}{vat}",
                    l.rate_id,
                    l.units.normalize(),
                    l.rate.normalize()
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    )
}

#[cfg(test)]
mod tests;
