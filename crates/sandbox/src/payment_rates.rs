//! Payment rates (§9): `/nxsys/payment-rate`. Codes are unique (case-insensitively; a duplicate
//! → 409 `invalid_request`, a guess) and not updatable; `defaultVATCode` must name a VAT code.
//! PUT merges into the stored rate (`put-replaces`: replaces it); `default-rates-locked` refuses
//! PUT on the seeded PR100/PR101.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::errors::ApiError;
use super::pagination::{Endpoint, ListBody, Query};
use super::state::{Data, Shared};
use super::validate::{
    Kind, Mode, Spec, check, decimal, now_iso, number_style, opt, parse_id, parse_object, req,
    str_at,
};

pub const RATE_TYPE: &[&str] = &["RATE", "FIXED", "COST_OF_MATERIALS"];
pub const RATE_UNITS: &[&str] = &["HOURLY", "DAILY", "WEEKLY", "MONTHLY"];
pub const RATE_STATUS: &[&str] = &["ACTIVE", "INACTIVE"];

/// The boolean switches, in the reference's field order.
const FLAGS: &[&str] = &[
    "displayOnPayslip",
    "includeInCisCalculation",
    "includeNICalculation",
    "includeTaxCalculation",
    "includePensionCalculation",
    "includeAccrueHolidayPay",
    "raiseInvoice",
    "includeInPayeUmbrellaCalculation",
];

static SPEC: Spec = Spec {
    fields: &[
        req("code", Kind::Str),
        req("description", Kind::Str),
        req("type", Kind::Enum(RATE_TYPE)),
        req("units", Kind::Enum(RATE_UNITS)),
        opt("status", Kind::Enum(RATE_STATUS)),
        opt("hoursPerUnit", Kind::Num),
        opt("displayOnPayslip", Kind::Bool),
        opt("includeInCisCalculation", Kind::Bool),
        opt("includeNICalculation", Kind::Bool),
        opt("includeTaxCalculation", Kind::Bool),
        opt("includePensionCalculation", Kind::Bool),
        opt("includeAccrueHolidayPay", Kind::Bool),
        opt("raiseInvoice", Kind::Bool),
        opt("includeInPayeUmbrellaCalculation", Kind::Bool),
        opt("isStatutory", Kind::Bool),
        opt("defaultVATCode", Kind::Str),
    ],
    open: false,
};

/// The built-in pay codes (seeded as `PR-1` and `PR-2`).
pub const DEFAULT_CODES: &[&str] = &["PR100", "PR101"];

/// `hoursPerUnit` in the number style the quirks ask for.
fn check_numbers(map: &Map<String, Value>, shared: &Shared) -> Result<(), ApiError> {
    match map.get("hoursPerUnit") {
        Some(v) => number_style(v, "hoursPerUnit", shared.quirks.number_style()),
        None => Ok(()),
    }
}

/// A stored payment rate (pay code).
#[derive(Debug, Clone)]
pub struct PaymentRate {
    pub n: u64,
    pub code: String,
    pub description: String,
    pub rate_type: String,
    pub units: String,
    pub status: String,
    pub hours_per_unit: Decimal,
    /// Values of [`FLAGS`], same order.
    pub flags: [bool; 8],
    pub is_statutory: Option<bool>,
    pub default_vat: Option<u64>,
    pub created_at: String,
    pub updated_at: String,
}

impl PaymentRate {
    pub fn id(&self) -> String {
        format!("PR-{}", self.n)
    }

    /// A built-in pay code (seeded): included in NI, tax, pension and holiday pay, invoiced,
    /// standard VAT (`VC-1`).
    pub fn seeded(n: u64, code: &str, description: &str, units: &str, hours: i64) -> Self {
        const SEEDED_AT: &str = "2021-05-19T04:00:21.250Z";
        PaymentRate {
            flags: [true, false, true, true, true, true, true, true],
            hours_per_unit: Decimal::from(hours),
            default_vat: Some(1),
            created_at: SEEDED_AT.into(),
            updated_at: SEEDED_AT.into(),
            ..PaymentRate::blank(n, code, description, units)
        }
    }

    /// A new rate before its body is applied: active, shown on payslips, every other switch
    /// off, one hour per unit, no default VAT code.
    fn blank(n: u64, code: &str, description: &str, units: &str) -> Self {
        let now = now_iso();
        PaymentRate {
            n,
            code: code.into(),
            description: description.into(),
            rate_type: "RATE".into(),
            units: units.into(),
            status: "ACTIVE".into(),
            hours_per_unit: Decimal::ONE,
            flags: [true, false, false, false, false, false, false, false],
            is_statutory: None,
            default_vat: None,
            created_at: now.clone(),
            updated_at: now,
        }
    }

    /// The object as served (§9.2 field order), with its default VAT code embedded.
    pub fn to_json(&self, data: &Data) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id()));
        m.insert("incrementId".into(), json!(self.n));
        m.insert("description".into(), json!(self.description));
        m.insert("displayOnPayslip".into(), json!(self.flags[0]));
        m.insert("status".into(), json!(self.status));
        m.insert("code".into(), json!(self.code));
        m.insert("type".into(), json!(self.rate_type));
        m.insert("units".into(), json!(self.units));
        m.insert(
            "hoursPerUnit".into(),
            json!(self.hours_per_unit.normalize().to_string()),
        );
        for (name, value) in FLAGS.iter().zip(self.flags).skip(1) {
            m.insert((*name).into(), json!(value));
        }
        m.insert("isStatutory".into(), json!(self.is_statutory));
        m.insert("author".into(), json!("USRP-1"));
        m.insert("createdAt".into(), json!(self.created_at));
        m.insert("updatedAt".into(), json!(self.updated_at));
        let vat = self
            .default_vat
            .and_then(|n| data.vat_code(n))
            .map(|v| v.to_json(true));
        m.insert("defaultVATCode".into(), vat.unwrap_or(Value::Null));
        Value::Object(m)
    }

    /// Apply checked body fields (create or update).
    fn apply(&mut self, body: &Map<String, Value>, data: &Data) -> Result<(), ApiError> {
        if let Some(s) = str_at(body, "description") {
            self.description = s.to_string();
        }
        if let Some(s) = str_at(body, "type") {
            self.rate_type = s.to_string();
        }
        if let Some(s) = str_at(body, "units") {
            self.units = s.to_string();
        }
        if let Some(s) = str_at(body, "status") {
            self.status = s.to_string();
        }
        if let Some(v) = body.get("hoursPerUnit").filter(|v| !v.is_null()) {
            let hours = decimal(v, "hoursPerUnit")?;
            // A fixed allowance or bonus stands for no hours, so 0 is allowed (a guess: the
            // reference only shows positive values); a negative number of hours is not.
            if hours < Decimal::ZERO {
                return Err(ApiError::unprocessable(
                    "hoursPerUnit",
                    "hoursPerUnit must not be negative",
                ));
            }
            self.hours_per_unit = hours;
        }
        for (i, name) in FLAGS.iter().enumerate() {
            if let (Some(b), Some(slot)) = (
                body.get(*name).and_then(Value::as_bool),
                self.flags.get_mut(i),
            ) {
                *slot = b;
            }
        }
        if let Some(v) = body.get("isStatutory") {
            self.is_statutory = v.as_bool();
        }
        match body.get("defaultVATCode") {
            Some(Value::String(id)) => {
                self.default_vat = Some(vat_ref(data, id, "defaultVATCode")?)
            }
            Some(Value::Null) => self.default_vat = None,
            _ => {}
        }
        Ok(())
    }
}

/// Resolve a `VC-…` reference, or 400 `invalid_parameter` naming `field`.
pub fn vat_ref(data: &Data, id: &str, field: &str) -> Result<u64, ApiError> {
    parse_id(id, "VC-")
        .ok()
        .filter(|n| data.vat_code(*n).is_some())
        .ok_or_else(|| {
            ApiError::invalid_parameter(
                field,
                format!("{field} {id:?} is not a VAT code of this employer"),
            )
        })
}

/// `POST /nxsys/payment-rate` → 201 `{data}`.
pub async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, ApiError> {
    let map = parse_object(&body)?;
    check(&map, "", &SPEC, Mode::Create)?;
    check_numbers(&map, &shared)?;
    let code = str_at(&map, "code").unwrap_or("").trim().to_string();
    let mut data = shared.data();
    if data
        .payment_rates
        .iter()
        .any(|r| r.code.eq_ignore_ascii_case(&code))
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_request",
            format!("A payment rate with code {code:?} already exists"),
        )
        .field("code"));
    }
    let mut rate = PaymentRate::blank(data.next_payment_rate + 1, &code, "", "");
    rate.apply(&map, &data)?;
    data.next_payment_rate = rate.n;
    let answer = rate.to_json(&data);
    data.payment_rates.push(rate);
    Ok((StatusCode::CREATED, Json(json!({ "data": answer }))).into_response())
}

/// `GET /nxsys/payment-rate?page&size&code&status&search` → `{data, meta, totalDocs}`.
pub async fn list(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListBody<Value>>, ApiError> {
    let q = Query::list(raw.as_deref(), Endpoint::PaymentRates, &shared.quirks)?;
    let page = q.page()?;
    let (code, status) = (q.get("code"), q.get("status"));
    let search = q.get("search").map(str::to_lowercase);
    let data = shared.data();
    let found = page.select(
        data.payment_rates.iter(),
        |r| {
            code.is_none_or(|c| r.code.eq_ignore_ascii_case(c))
                && status.is_none_or(|s| r.status.eq_ignore_ascii_case(s))
                && search.as_deref().is_none_or(|s| {
                    r.code.to_lowercase().contains(s) || r.description.to_lowercase().contains(s)
                })
        },
        |r| r.to_json(&data),
    );
    Ok(page.answer("data", found, shared.quirks.meta_pagination))
}

/// `GET /nxsys/payment-rate/{id}` → `{data}`.
pub async fn get(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let n = parse_id(&id, "PR-")?;
    let data = shared.data();
    let rate = data
        .payment_rate(n)
        .ok_or_else(|| ApiError::not_found("Payment rate", &id))?;
    Ok(Json(json!({ "data": rate.to_json(&data) })))
}

/// `PUT /nxsys/payment-rate/{id}` → `{data}`; `code` cannot change. Merges into the stored rate,
/// or with `put-replaces` replaces it (fields left out go back to a new rate's defaults).
pub async fn update(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let n = parse_id(&id, "PR-")?;
    if shared.quirks.default_rates_locked
        && shared
            .data()
            .payment_rate(n)
            .is_some_and(|r| DEFAULT_CODES.iter().any(|c| r.code.eq_ignore_ascii_case(c)))
    {
        return Err(ApiError::invalid_request("default payment rates cannot be altered").rule());
    }
    let map = parse_object(&body)?;
    check(&map, "", &SPEC, Mode::Update)?;
    if shared.quirks.put_replaces {
        // The edit body has no `code` (codes are not updatable); every other required field is.
        for field in SPEC
            .fields
            .iter()
            .filter(|f| f.required && f.name != "code")
        {
            if !map.contains_key(field.name) {
                return Err(
                    ApiError::invalid_request(format!("{} is required", field.name))
                        .field(field.name),
                );
            }
        }
    }
    check_numbers(&map, &shared)?;
    let mut data = shared.data();
    let mut rate = data
        .payment_rate(n)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Payment rate", &id))?;
    if let Some(code) = str_at(&map, "code")
        && !code.trim().eq_ignore_ascii_case(&rate.code)
    {
        return Err(ApiError::invalid_parameter(
            "code",
            format!(
                "The code of payment rate {id} ({}) cannot be changed",
                rate.code
            ),
        ));
    }
    if shared.quirks.put_replaces {
        rate = PaymentRate {
            created_at: rate.created_at.clone(),
            ..PaymentRate::blank(n, &rate.code, "", "")
        };
    }
    rate.apply(&map, &data)?;
    rate.updated_at = now_iso();
    let answer = rate.to_json(&data);
    if let Ok(i) = data.payment_rates.binary_search_by_key(&n, |r| r.n)
        && let Some(slot) = data.payment_rates.get_mut(i)
    {
        *slot = rate;
    }
    Ok(Json(json!({ "data": answer })))
}
