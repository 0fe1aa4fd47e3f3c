//! Payslips (§11): one per timesheet, created and recalculated with it (see [`super::payroll`]).
//! `GET /nxsys/payslips?page&size&taxYear&taxPeriod&payFrequency&paymentModel&candidateIds`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use super::errors::ApiError;
use super::pagination::Query;
use super::payroll::Breakdown;
use super::state::Shared;
use super::validate::parse_id;

/// A stored payslip.
#[derive(Debug, Clone)]
pub struct Payslip {
    pub n: u64,
    /// `None` for payslips seeded without a timesheet.
    pub timesheet: Option<u64>,
    pub subcontractor: u64,
    pub name: String,
    pub tax_year: i64,
    pub tax_period: i64,
    pub pay_frequency: String,
    pub payment_model: String,
    pub breakdown: Breakdown,
    pub pay_date: Option<NaiveDate>,
    pub created_at: String,
}

/// The last day of a tax period: the tax year starts on 6 April of `tax_year`.
pub fn pay_date(tax_year: i64, tax_period: i64, pay_frequency: &str) -> Option<NaiveDate> {
    let start = NaiveDate::from_ymd_opt(i32::try_from(tax_year).ok()?, 4, 6)?;
    let period = u32::try_from(tax_period).ok().filter(|p| *p >= 1)?;
    let end = match pay_frequency {
        "MONTHLY" => start.checked_add_months(Months::new(period))?,
        "FORTNIGHTLY" => start.checked_add_days(Days::new(14 * u64::from(period)))?,
        "FOUR_WEEKLY" => start.checked_add_days(Days::new(28 * u64::from(period)))?,
        _ => start.checked_add_days(Days::new(7 * u64::from(period)))?,
    };
    end.pred_opt().filter(|d| d.year() > 0)
}

impl Payslip {
    pub fn id(&self) -> String {
        format!("PL-{}", self.n)
    }

    /// The object as served: money as decimal strings, `margin` as a number.
    pub fn to_json(&self) -> Value {
        let b = &self.breakdown;
        let s = |d: rust_decimal::Decimal| d.to_string();
        json!({
            "id": self.id(),
            "incrementId": self.n,
            "timesheetId": self.timesheet.map(|t| format!("TS-{t}")),
            "subcontractorId": format!("SR-{}", self.subcontractor),
            "subcontractorName": self.name,
            "agencyName": null,
            "taxYear": self.tax_year,
            "taxPeriod": self.tax_period,
            "payFrequency": self.pay_frequency,
            "paymentModel": self.payment_model,
            "timesheetValue": s(b.timesheet_value),
            "margin": b.margin.to_f64().unwrap_or(0.0),
            "employerNI": s(b.employer_ni),
            "employerPension": s(b.employer_pension),
            "apprenticeshipLevy": s(b.apprenticeship_levy),
            "gross": s(b.gross),
            "taxableGross": s(b.taxable_gross),
            "tax": s(b.tax),
            "employeeNI": s(b.employee_ni),
            "employeePension": s(b.employee_pension),
            "studentLoan": s(b.student_loan),
            "net": s(b.net),
            "materials": "0.00",
            "payDate": self.pay_date.map(|d| d.to_string()),
            "createdAt": self.created_at,
        })
    }
}

/// `taxPeriod` as one period or a range `a-b`.
fn period_range(q: &Query) -> Result<Option<(i64, i64)>, ApiError> {
    let Some(raw) = q.get("taxPeriod") else {
        return Ok(None);
    };
    let bad = || {
        ApiError::invalid_parameter(
            "taxPeriod",
            format!("taxPeriod must be a number or a range such as 1-4; got {raw:?}"),
        )
    };
    let (a, b) = raw.split_once('-').unwrap_or((raw, raw));
    let a: i64 = a.trim().parse().map_err(|_| bad())?;
    let b: i64 = b.trim().parse().map_err(|_| bad())?;
    Ok(Some((a, b)))
}

/// `GET /nxsys/payslips` → `{items, meta, totalDocs}`.
pub async fn list(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(raw.as_deref());
    let page = q.page()?;
    let year = q.int("taxYear")?;
    let periods = period_range(&q)?;
    let frequency = q.get("payFrequency");
    let model = q.get("paymentModel");
    let ids = match q.get("candidateIds") {
        None => None,
        Some(list) => Some(
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|id| {
                    parse_id(id, "SR-").map_err(|_| {
                        ApiError::invalid_parameter(
                            "candidateIds",
                            format!("{id:?} is not a candidate id such as SR-12"),
                        )
                    })
                })
                .collect::<Result<Vec<u64>, ApiError>>()?,
        ),
    };
    let filtered = year.is_some()
        || periods.is_some()
        || frequency.is_some()
        || model.is_some()
        || ids.is_some();
    let data = shared.data();
    let (items, total) = if filtered {
        page.select(
            data.payslips.iter(),
            |p| {
                year.is_none_or(|y| p.tax_year == y)
                    && periods.is_none_or(|(a, b)| (a..=b).contains(&p.tax_period))
                    && frequency.is_none_or(|f| p.pay_frequency.eq_ignore_ascii_case(f))
                    && model.is_none_or(|m| p.payment_model.eq_ignore_ascii_case(m))
                    && ids
                        .as_ref()
                        .is_none_or(|ids| ids.contains(&p.subcontractor))
            },
            Payslip::to_json,
        )
    } else {
        let items = data
            .payslips
            .iter()
            .skip(page.offset())
            .take(page.size)
            .map(Payslip::to_json)
            .collect();
        (items, data.payslips.len())
    };
    Ok(Json(page.body(
        "items",
        items,
        total,
        shared.quirks.meta_pagination,
    )))
}

#[cfg(test)]
mod tests {
    use super::pay_date;

    #[test]
    fn pay_dates_end_the_period() {
        assert_eq!(
            pay_date(2025, 1, "WEEKLY").unwrap().to_string(),
            "2025-04-12"
        );
        assert_eq!(
            pay_date(2025, 52, "WEEKLY").unwrap().to_string(),
            "2026-04-04"
        );
        assert_eq!(
            pay_date(2025, 1, "MONTHLY").unwrap().to_string(),
            "2025-05-05"
        );
        assert_eq!(
            pay_date(2025, 12, "MONTHLY").unwrap().to_string(),
            "2026-04-05"
        );
        assert!(pay_date(2025, 0, "WEEKLY").is_none());
    }
}
