//! Payslips (§11): one per timesheet, created and recalculated with it (see [`super::payroll`]).
//! `GET /nxsys/payslips?page&size&taxYear&taxPeriod&payFrequency&paymentModel&candidateIds`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{Datelike, Days, Months, NaiveDate};
use std::fmt::Write;

use super::errors::ApiError;
use super::pagination::{Endpoint, Query, raw_list_response};
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
    /// Append the object as served: money as decimal strings, `margin` as a number.
    ///
    /// Written with `core::fmt` rather than serde: the payslip list is the hot path of exports,
    /// and this is several times faster in debug builds (tests check the output parses and holds
    /// every field).
    ///
    /// Without `worker_id` (the `payslip-no-worker-id` quirk) there is no `subcontractorId`.
    pub fn write_json(&self, out: &mut String, worker_id: bool) {
        let b = &self.breakdown;
        let text = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "null".into());
        let timesheet = self
            .timesheet
            .map_or_else(|| "null".to_string(), |t| format!("\"TS-{t}\""));
        let pay_date = self
            .pay_date
            .map_or_else(|| "null".to_string(), |d| format!("\"{d}\""));
        let worker = if worker_id {
            format!("\"subcontractorId\":\"SR-{}\",", self.subcontractor)
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "{{\"id\":\"PL-{n}\",\"incrementId\":{n},\"timesheetId\":{timesheet},\
             {worker}\"subcontractorName\":{name},\"agencyName\":null,\
             \"taxYear\":{year},\"taxPeriod\":{period},\"payFrequency\":{freq},\"paymentModel\":{model},\
             \"timesheetValue\":\"{value}\",\"margin\":{margin},\"employerNI\":\"{eni}\",\
             \"employerPension\":\"{epen}\",\"apprenticeshipLevy\":\"{levy}\",\"gross\":\"{gross}\",\
             \"taxableGross\":\"{taxable}\",\"tax\":\"{tax}\",\"employeeNI\":\"{ni}\",\
             \"employeePension\":\"{pen}\",\"studentLoan\":\"{loan}\",\"net\":\"{net}\",\
             \"materials\":\"0.00\",\"payDate\":{pay_date},\"createdAt\":{created}}}",
            n = self.n,
            name = text(&self.name),
            year = self.tax_year,
            period = self.tax_period,
            freq = text(&self.pay_frequency),
            model = text(&self.payment_model),
            value = b.timesheet_value,
            margin = b.margin,
            eni = b.employer_ni,
            epen = b.employer_pension,
            levy = b.apprenticeship_levy,
            gross = b.gross,
            taxable = b.taxable_gross,
            tax = b.tax,
            ni = b.employee_ni,
            pen = b.employee_pension,
            loan = b.student_loan,
            net = b.net,
            created = text(&self.created_at),
        );
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

/// The filters of a payslip list request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    year: Option<i64>,
    periods: Option<(i64, i64)>,
    frequency: Option<String>,
    model: Option<String>,
    ids: Option<Vec<u64>>,
}

impl Filter {
    fn parse(q: &Query) -> Result<Filter, ApiError> {
        let ids = q
            .get("candidateIds")
            .map(|list| {
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
                    .collect::<Result<Vec<u64>, ApiError>>()
            })
            .transpose()?;
        Ok(Filter {
            year: q.int("taxYear")?,
            periods: period_range(q)?,
            frequency: q.get("payFrequency").map(str::to_ascii_uppercase),
            model: q.get("paymentModel").map(str::to_ascii_uppercase),
            ids,
        })
    }

    fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    fn matches(&self, p: &Payslip) -> bool {
        self.year.is_none_or(|y| p.tax_year == y)
            && self
                .periods
                .is_none_or(|(a, b)| (a..=b).contains(&p.tax_period))
            && self
                .frequency
                .as_deref()
                .is_none_or(|f| p.pay_frequency.eq_ignore_ascii_case(f))
            && self
                .model
                .as_deref()
                .is_none_or(|m| p.payment_model.eq_ignore_ascii_case(m))
            && self
                .ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&p.subcontractor))
    }
}

/// The positions matching the last filtered query, kept while the payslips are unchanged: an
/// export pages through one filter up to a thousand times.
#[derive(Debug)]
pub struct FilterCache {
    filter: Filter,
    version: u64,
    matches: Vec<usize>,
}

/// `GET /nxsys/payslips` → `{items, meta, totalDocs}`.
pub async fn list(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::list(raw.as_deref(), Endpoint::Payslips, &shared.quirks)?;
    let page = q.page()?;
    let filter = Filter::parse(&q)?;
    let worker_id = !shared.quirks.payslip_no_worker_id;
    let mut data = shared.data();
    let (items, total): (Vec<String>, usize) = if filter.is_empty() {
        let items = data
            .payslips
            .iter()
            .skip(page.offset())
            .take(page.size)
            .map(|p| render(p, worker_id))
            .collect();
        (items, data.payslips.len())
    } else {
        let fresh = data
            .payslip_cache
            .as_ref()
            .is_some_and(|c| c.filter == filter && c.version == data.payslip_version);
        if !fresh {
            let matches = (0..data.payslips.len())
                .filter(|&i| data.payslips.get(i).is_some_and(|p| filter.matches(p)))
                .collect();
            data.payslip_cache = Some(FilterCache {
                filter,
                version: data.payslip_version,
                matches,
            });
        }
        let matches = data
            .payslip_cache
            .as_ref()
            .map_or(&[][..], |c| c.matches.as_slice());
        let items = matches
            .iter()
            .skip(page.offset())
            .take(page.size)
            .filter_map(|&i| data.payslips.get(i))
            .map(|p| render(p, worker_id))
            .collect();
        (items, matches.len())
    };
    Ok(raw_list_response(
        &page,
        "items",
        &items,
        total,
        shared.quirks.meta_pagination,
    ))
}

fn render(p: &Payslip, worker_id: bool) -> String {
    let mut s = String::with_capacity(720);
    p.write_json(&mut s, worker_id);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payroll::calculate;
    use rust_decimal::Decimal;
    use serde_json::{Value, json};

    #[test]
    fn payslip_json_holds_every_field_and_escapes_text() {
        let p = Payslip {
            n: 7,
            timesheet: Some(3),
            subcontractor: 12,
            name: "Zoë \"Zed\" O'Neil\\".into(),
            tax_year: 2025,
            tax_period: 1,
            pay_frequency: "WEEKLY".into(),
            payment_model: "PAYEE".into(),
            breakdown: calculate(Decimal::from(1000), "WEEKLY"),
            pay_date: pay_date(2025, 1, "WEEKLY"),
            created_at: "2025-04-01T09:00:00.000Z".into(),
        };
        let v: Value = serde_json::from_str(&render(&p, true)).unwrap();
        let expected = json!({
            "id": "PL-7", "incrementId": 7, "timesheetId": "TS-3", "subcontractorId": "SR-12",
            "subcontractorName": "Zoë \"Zed\" O'Neil\\", "agencyName": null, "taxYear": 2025,
            "taxPeriod": 1, "payFrequency": "WEEKLY", "paymentModel": "PAYEE",
            "timesheetValue": "1000.00", "margin": 15.0, "employerNI": "112.56",
            "employerPension": "21.79", "apprenticeshipLevy": "4.23", "gross": "846.42",
            "taxableGross": "810.10", "tax": "113.67", "employeeNI": "48.35",
            "employeePension": "36.32", "studentLoan": "0.00", "net": "648.08",
            "materials": "0.00", "payDate": "2025-04-12", "createdAt": "2025-04-01T09:00:00.000Z"
        });
        assert_eq!(v, expected);
        let seeded = Payslip {
            timesheet: None,
            pay_date: None,
            ..p
        };
        let v: Value = serde_json::from_str(&render(&seeded, false)).unwrap();
        assert_eq!(
            (v["timesheetId"].is_null(), v["payDate"].is_null()),
            (true, true)
        );
        // Without the worker id: the same object less `subcontractorId`.
        assert!(v.get("subcontractorId").is_none());
        assert_eq!(v["subcontractorName"], "Zoë \"Zed\" O'Neil\\");
        assert_eq!(
            v.as_object().unwrap().len(),
            expected.as_object().unwrap().len() - 1
        );
    }

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
