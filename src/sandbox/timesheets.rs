//! Timesheets (§10): `/nxsys/time-sheets`. References are checked (`subcontractorRef`,
//! `rates[i].rateId`, `rates[i].vatID`), totals computed (net = Σ rate × units per line rounded
//! to pennies, VAT per line from its VAT code), and each timesheet carries one payslip, created
//! and recalculated with it. Create → 201 `{data}`; update → 201 `{data:[…]}`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use super::errors::ApiError;
use super::pagination::Query;
use super::payment_rates::vat_ref;
use super::payroll::{calculate, pennies};
use super::payslips::{Payslip, pay_date};
use super::state::{Data, Shared};
use super::validate::{
    Kind, Mode, Spec, check, decimal, now_iso, opt, parse_date, parse_id, parse_object, req, str_at,
};

static SPEC: Spec = Spec {
    fields: &[
        req("subcontractorRef", Kind::Str),
        opt("assignmentRef", Kind::Str),
        opt("startDate", Kind::Date),
        opt("endDate", Kind::Date),
        req("rates", Kind::Any),
        opt("monthConfig", Kind::Int),
        req("taxYear", Kind::Int),
        req("taxPeriodConfig", Kind::Int),
    ],
    open: false,
};

static LINE: Spec = Spec {
    fields: &[
        req("rateId", Kind::Str),
        req("rate", Kind::Num),
        req("units", Kind::Num),
        opt("vatID", Kind::Str),
    ],
    open: false,
};

/// One timesheet line.
#[derive(Debug, Clone)]
pub struct Line {
    pub rate_id: u64,
    pub rate: Decimal,
    pub units: Decimal,
    /// The line's VAT code; when absent, the payment rate's default applies.
    pub vat_id: Option<u64>,
}

/// A stored timesheet.
#[derive(Debug, Clone)]
pub struct Timesheet {
    pub n: u64,
    pub subcontractor: u64,
    pub assignment_ref: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub lines: Vec<Line>,
    pub month_config: Option<i64>,
    pub tax_year: i64,
    pub tax_period: i64,
    pub payslip: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// The VAT percentage of a line (its own code, else its rate's default, else none).
fn vat_percent(data: &Data, line: &Line) -> (Option<u64>, Decimal) {
    let id = line
        .vat_id
        .or_else(|| data.payment_rate(line.rate_id).and_then(|r| r.default_vat));
    let pct = id
        .and_then(|n| data.vat_code(n))
        .map_or(Decimal::ZERO, |v| v.rate);
    (id, pct)
}

impl Timesheet {
    pub fn id(&self) -> String {
        format!("TS-{}", self.n)
    }

    /// (net, VAT) in pennies.
    pub fn totals(&self, data: &Data) -> (Decimal, Decimal) {
        self.lines.iter().fold(
            (pennies(Decimal::ZERO), pennies(Decimal::ZERO)),
            |(net, vat), line| {
                let line_net = pennies(line.rate * line.units);
                let (_, pct) = vat_percent(data, line);
                (
                    net + line_net,
                    vat + pennies(line_net * pct / Decimal::ONE_HUNDRED),
                )
            },
        )
    }

    /// What makes two timesheets the same submission.
    fn fingerprint(&self) -> String {
        let mut lines: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{}:{}:{}:{:?}",
                    l.rate_id,
                    l.rate.normalize(),
                    l.units.normalize(),
                    l.vat_id
                )
            })
            .collect();
        lines.sort();
        format!(
            "{}|{:?}|{:?}|{}|{}|{}",
            self.subcontractor,
            self.start_date,
            self.end_date,
            self.tax_year,
            self.tax_period,
            lines.join(",")
        )
    }

    /// The object as served (§10.3), lines echoed in `rates`.
    pub fn to_json(&self, data: &Data) -> Value {
        let (net, vat) = self.totals(data);
        let money = |d: Decimal| json!(d.to_f64().unwrap_or(0.0));
        let gross = net + vat;
        let rates: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                let mut rate = data
                    .payment_rate(line.rate_id)
                    .map(|r| r.to_json(data))
                    .unwrap_or_else(|| json!({ "id": format!("PR-{}", line.rate_id) }));
                if let Some(map) = rate.as_object_mut() {
                    map.insert("rate".into(), json!(line.rate.to_string()));
                    map.insert("units".into(), json!(line.units.to_string()));
                    let (vat_id, _) = vat_percent(data, line);
                    map.insert("vatID".into(), json!(vat_id.map(|n| format!("VC-{n}"))));
                }
                rate
            })
            .collect();
        let mut head = json!({
            "invoicingAddress": { "address": ["Address 1", "Address 2", "Address 3"], "city": "Agency City",
                                  "county": "Bristan", "postCode": "EH21 6UU", "country": "GB" },
            "companyRef": { "id": "COM-1" },
            "workLocation": {},
            "siteId": null,
            "rates": rates,
            "subcontractorRef": { "id": format!("SR-{}", self.subcontractor) },
            "agencyRef": { "id": "AY-1" },
            "assignmentRef": self.assignment_ref,
            "monthConfig": self.month_config,
            "taxYear": self.tax_year,
            "author": "USRP-1",
            "startDate": self.start_date,
            "endDate": self.end_date,
            "taxPeriod": self.tax_period,
            "taxPeriodConfig": self.tax_period,
            "currentYear": self.created_at.get(..4).unwrap_or(""),
            "approveStatus": "PENDING",
            "invoiceStatus": "AWAITING_INVOICING",
            "employment": { "id": self.subcontractor },
        });
        let tail = json!({
            "isIncludeCIS": false,
            "timesheetApprovalNeeded": "TRUE",
            "totalNet": money(net),
            "totalPrices": money(gross),
            "totalVat": money(vat),
            "totalInvoiceNet": money(net),
            "totalInvoicePrices": money(gross),
            "totalInvoiceVat": money(vat),
            "receipt": 0,
            "outstanding": money(gross),
            "outstandingInvoice": money(gross),
            "holidayPaid": 0,
            "isIssueP45": false,
            "invoiceNo": "",
            "creditNo": "",
            "raiseInvoice": true,
            "isOnlyHPRate": false,
            "isOnlyStatutory": false,
            "employmentId": self.subcontractor,
            "idNo": self.n,
            "updatedAt": self.updated_at,
            "payrollBreakdownId": null,
            "s3Url": null,
            "id": self.id(),
            "incrementId": self.n,
            "isInvoice": false,
            "createdAt": self.created_at,
            "deletedAt": null,
            "payslipId": format!("PL-{}", self.payslip),
        });
        if let (Some(head), Value::Object(tail)) = (head.as_object_mut(), tail) {
            head.extend(tail);
        }
        head
    }
}

/// Check and apply `body` to `ts` (all fields for create, those present for update).
fn apply(ts: &mut Timesheet, body: &Map<String, Value>, data: &Data) -> Result<(), ApiError> {
    if let Some(id) = str_at(body, "subcontractorRef") {
        ts.subcontractor = parse_id(id, "SR-")
            .ok()
            .filter(|n| data.candidate(*n).is_some())
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    "subcontractorRef",
                    format!("subcontractorRef {id:?} is not a candidate of this employer"),
                )
            })?;
    }
    if let Some(v) = body.get("assignmentRef") {
        ts.assignment_ref = v.as_str().map(str::to_string);
    }
    for (key, slot) in [
        ("startDate", &mut ts.start_date),
        ("endDate", &mut ts.end_date),
    ] {
        if let Some(v) = body.get(key) {
            *slot = v.as_str().map(str::to_string);
        }
    }
    if let (Some(start), Some(end)) = (&ts.start_date, &ts.end_date)
        && parse_date(start, "startDate")? > parse_date(end, "endDate")?
    {
        return Err(ApiError::unprocessable(
            "endDate",
            "endDate is before startDate",
        ));
    }
    if let Some(v) = body.get("monthConfig") {
        ts.month_config = v.as_i64();
        if ts.month_config.is_some_and(|m| !(1..=12).contains(&m)) {
            return Err(ApiError::unprocessable(
                "monthConfig",
                "monthConfig must be from 1 to 12",
            ));
        }
    }
    if let Some(y) = body.get("taxYear").and_then(Value::as_i64) {
        if !(2000..=2100).contains(&y) {
            return Err(ApiError::unprocessable(
                "taxYear",
                format!("taxYear {y} is not a tax year such as 2025"),
            ));
        }
        ts.tax_year = y;
    }
    if let Some(p) = body.get("taxPeriodConfig").and_then(Value::as_i64) {
        ts.tax_period = p;
    }
    let frequency = data
        .candidate(ts.subcontractor)
        .map_or("WEEKLY", |c| c.pay_frequency());
    let most = if frequency == "MONTHLY" { 12 } else { 53 };
    if !(1..=most).contains(&ts.tax_period) {
        return Err(ApiError::unprocessable(
            "taxPeriodConfig",
            format!(
                "taxPeriodConfig {} is outside 1–{most} for a {frequency} worker",
                ts.tax_period
            ),
        ));
    }
    if let Some(rates) = body.get("rates") {
        ts.lines = lines(rates, data)?;
    }
    Ok(())
}

fn lines(rates: &Value, data: &Data) -> Result<Vec<Line>, ApiError> {
    let items = rates.as_array().ok_or_else(|| {
        ApiError::invalid_request("rates must be an array of lines").field("rates")
    })?;
    if items.is_empty() {
        return Err(ApiError::unprocessable(
            "rates",
            "rates must hold at least one line",
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("rates[{i}]");
            let map = item.as_object().ok_or_else(|| {
                ApiError::invalid_request(format!("{path} must be an object")).field(path.clone())
            })?;
            check(map, &path, &LINE, Mode::Create)?;
            let rate_id = str_at(map, "rateId").unwrap_or("");
            let rate_n = parse_id(rate_id, "PR-")
                .ok()
                .filter(|n| data.payment_rate(*n).is_some())
                .ok_or_else(|| {
                    let field = format!("{path}.rateId");
                    ApiError::invalid_parameter(
                        &field,
                        format!("{field} {rate_id:?} is not a payment rate of this employer"),
                    )
                })?;
            let vat_id = match str_at(map, "vatID") {
                Some(id) => Some(vat_ref(data, id, &format!("{path}.vatID"))?),
                None => None,
            };
            Ok(Line {
                rate_id: rate_n,
                rate: decimal(
                    map.get("rate").unwrap_or(&Value::Null),
                    &format!("{path}.rate"),
                )?,
                units: decimal(
                    map.get("units").unwrap_or(&Value::Null),
                    &format!("{path}.units"),
                )?,
                vat_id,
            })
        })
        .collect()
}

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
    apply(&mut ts, &map, &data)?;
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
    let answer = ts.to_json(&data);
    data.timesheets.push(ts);
    data.payslips.push(payslip);
    Ok((StatusCode::CREATED, Json(json!({ "data": answer }))).into_response())
}

/// `GET /nxsys/time-sheets?page&size&subcontractorRef&taxYear&taxPeriod&search` → `{data, meta, totalDocs}`.
pub async fn list(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(raw.as_deref());
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
    let (items, total) = page.select(
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
        |t| t.to_json(&data),
    );
    Ok(Json(page.body(
        "data",
        items,
        total,
        shared.quirks.meta_pagination,
    )))
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
    Ok(Json(json!({ "data": ts.to_json(&data) })))
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
    apply(&mut ts, &map, &data)?;
    ts.updated_at = now_iso();
    let created = data
        .payslips
        .iter()
        .find(|p| p.n == ts.payslip)
        .map(|p| p.created_at.clone())
        .unwrap_or_else(now_iso);
    let payslip = payslip_for(&ts, &data, created);
    let answer = ts.to_json(&data);
    if let Ok(i) = data.payslips.binary_search_by_key(&payslip.n, |p| p.n)
        && let Some(slot) = data.payslips.get_mut(i)
    {
        *slot = payslip;
    }
    if let Some(slot) = data.timesheet_mut(n) {
        *slot = ts;
    }
    Ok((StatusCode::CREATED, Json(json!({ "data": [answer] }))).into_response())
}
