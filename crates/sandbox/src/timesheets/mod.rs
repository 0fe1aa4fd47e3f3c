//! Timesheets (§10): `/nxsys/time-sheets`. References are checked (`subcontractorRef`,
//! `rates[i].rateId`, `rates[i].vatID`), totals computed (net = Σ rate × units per line rounded
//! to pennies, VAT per line from its VAT code), and each timesheet carries one payslip, created
//! and recalculated with it. Create → 201 `{data}`; update → 201 `{data:[…]}`.

mod body;
mod model;

pub use model::Timesheet;

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::pagination::{Endpoint, ListBody, Query};
use super::payroll::calculate;
use super::payslips::{Payslip, pay_date};
use super::state::{Data, Shared};
use super::validate::{Mode, check, now_iso, parse_id, parse_object};
use body::{SPEC, apply};

/// (Re)build the payslip of `ts`.
fn payslip_for(ts: &Timesheet, data: &Data, created_at: String) -> Payslip {
    let candidate = data.candidate(ts.subcontractor);
    let frequency = candidate
        .map_or("WEEKLY", |c| c.pay_frequency())
        .to_string();
    let (net, _) = ts.totals(data);
    Payslip {
        n: ts.payslip,
        timesheet: Some(ts.n),
        subcontractor: ts.subcontractor,
        name: candidate.map(|c| c.full_name()).unwrap_or_default(),
        tax_year: ts.tax_year,
        tax_period: ts.tax_period,
        payment_model: candidate.map_or("PAYEE", |c| c.payment_model()).to_string(),
        breakdown: calculate(net, &frequency),
        pay_date: pay_date(ts.tax_year, ts.tax_period, &frequency),
        pay_frequency: frequency,
        created_at,
    }
}

/// Agency Ref of the worker [`seed`] gives its timesheets to.
pub const SEED_WORKER: &str = "SEED-WORKER";

/// Add `count` timesheets (each with its payslip) straight into `data`, for the UK worker with
/// Agency Ref `SEED-WORKER` (created on first use, weekly, PAYEE); returns the worker's id.
/// Timesheet i has one line: `PR-1` (PR100 hourly), rate 12.50, units 1 + i / 52, tax period
/// 1 + i mod 52 of `tax_year`, so no two are duplicates of each other.
pub fn seed(data: &mut Data, count: usize, tax_year: i64) -> String {
    let existing = data
        .candidates
        .iter()
        .find(|c| !c.ireland && c.agency_ref() == SEED_WORKER)
        .map(|c| c.n);
    let now = now_iso();
    let worker = existing.unwrap_or_else(|| {
        data.next_candidate += 1;
        let n = data.next_candidate;
        let body = json!({
            "generalSetting": {
                "agencyRef": SEED_WORKER, "forename": "Seed", "surname": "Worker",
                "payFrequency": "WEEKLY",
            },
            "payrollSetting": { "paymentModel": "PAYEE" },
        });
        data.candidates.push(super::candidates::Candidate {
            n,
            ireland: false,
            body: body.as_object().cloned().unwrap_or_default(),
            created_at: now.clone(),
            updated_at: now.clone(),
        });
        n
    });
    data.timesheets.reserve(count);
    data.payslips.reserve(count);
    for i in 0..count {
        let ts = Timesheet {
            n: data.next_timesheet + 1,
            subcontractor: worker,
            assignment_ref: None,
            start_date: None,
            end_date: None,
            lines: vec![model::Line {
                rate_id: 1,
                rate: rust_decimal::Decimal::new(1250, 2),
                units: rust_decimal::Decimal::from(1 + i / 52),
                vat_id: None,
            }],
            month_config: None,
            tax_year,
            tax_period: (i % 52) as i64 + 1,
            payslip: data.next_payslip + 1,
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        *data.timesheet_keys.entry(ts.fingerprint()).or_insert(0) += 1;
        data.next_timesheet = ts.n;
        data.next_payslip = ts.payslip;
        let payslip = payslip_for(&ts, data, now.clone());
        data.timesheets.push(ts);
        data.put_payslip(payslip);
    }
    format!("SR-{worker}")
}

/// `POST /nxsys/time-sheets` → 201 `{data}`.
pub async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, ApiError> {
    let map = parse_object(&body)?;
    check(&map, "", &SPEC, Mode::Create)?;
    let mut data = shared.data();
    let now = now_iso();
    let mut ts = Timesheet {
        n: data.next_timesheet + 1,
        subcontractor: 0,
        assignment_ref: None,
        start_date: None,
        end_date: None,
        lines: Vec::new(),
        month_config: None,
        tax_year: 0,
        tax_period: 0,
        payslip: data.next_payslip + 1,
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    apply(&mut ts, &map, &data, shared.quirks.number_style())?;
    let seen = {
        let seen = data.timesheet_keys.entry(ts.fingerprint()).or_insert(0);
        *seen += 1;
        *seen
    };
    if seen > 1 {
        data.duplicate_timesheets += 1;
    }
    data.next_timesheet = ts.n;
    data.next_payslip = ts.payslip;
    let payslip = payslip_for(&ts, &data, now);
    let answer = ts.to_json(&data, !shared.quirks.no_line_echo);
    data.timesheets.push(ts);
    data.put_payslip(payslip);
    Ok((StatusCode::CREATED, Json(json!({ "data": answer }))).into_response())
}

/// `GET /nxsys/time-sheets?page&size&subcontractorRef&taxYear&taxPeriod&search` → `{data, meta, totalDocs}`.
pub async fn list(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListBody<Value>>, ApiError> {
    let q = Query::list(raw.as_deref(), Endpoint::Timesheets, &shared.quirks)?;
    let page = q.page()?;
    let worker = match q.get("subcontractorRef") {
        Some(id) => Some(parse_id(id, "SR-").map_err(|_| {
            ApiError::invalid_parameter(
                "subcontractorRef",
                format!("{id:?} is not a candidate id such as SR-12"),
            )
        })?),
        None => None,
    };
    let (year, period) = (q.int("taxYear")?, q.int("taxPeriod")?);
    let search = q.get("search").map(str::to_lowercase);
    let data = shared.data();
    let found = page.select(
        data.timesheets.iter(),
        |t| {
            worker.is_none_or(|w| t.subcontractor == w)
                && year.is_none_or(|y| t.tax_year == y)
                && period.is_none_or(|p| t.tax_period == p)
                && search.as_deref().is_none_or(|s| {
                    t.id().to_lowercase().contains(s)
                        || data.candidate(t.subcontractor).is_some_and(|c| {
                            c.full_name().to_lowercase().contains(s)
                                || c.agency_ref().to_lowercase().contains(s)
                        })
                })
        },
        |t| t.to_json(&data, !shared.quirks.no_line_echo),
    );
    Ok(page.answer("data", found, shared.quirks.meta_pagination))
}

/// `GET /nxsys/time-sheets/{id}` → `{data}`.
pub async fn get(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let n = parse_id(&id, "TS-")?;
    let data = shared.data();
    let ts = data
        .timesheet(n)
        .ok_or_else(|| ApiError::not_found("Timesheet", &id))?;
    Ok(Json(
        json!({ "data": ts.to_json(&data, !shared.quirks.no_line_echo) }),
    ))
}

/// `PUT /nxsys/time-sheets/{id}` → 201 `{data:[timesheet]}`; the payslip is recalculated.
pub async fn update(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let n = parse_id(&id, "TS-")?;
    let map = parse_object(&body)?;
    check(&map, "", &SPEC, Mode::Update)?;
    let mut data = shared.data();
    let mut ts = data
        .timesheet(n)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Timesheet", &id))?;
    apply(&mut ts, &map, &data, shared.quirks.number_style())?;
    ts.updated_at = now_iso();
    let created = data
        .payslips
        .iter()
        .find(|p| p.n == ts.payslip)
        .map(|p| p.created_at.clone())
        .unwrap_or_else(now_iso);
    let payslip = payslip_for(&ts, &data, created);
    let answer = ts.to_json(&data, !shared.quirks.no_line_echo);
    data.put_payslip(payslip);
    if let Some(slot) = data.timesheet_mut(n) {
        *slot = ts;
    }
    Ok((StatusCode::CREATED, Json(json!({ "data": [answer] }))).into_response())
}
