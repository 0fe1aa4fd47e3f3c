//! Checking a timesheet body and applying it: references (`subcontractorRef`,
//! `rates[i].rateId`, `rates[i].vatID`), dates, periods, and the lines.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::model::{Line, Timesheet};
use crate::NumberStyle;
use crate::errors::ApiError;
use crate::payment_rates::vat_ref;
use crate::state::Data;
use crate::validate::{
    Kind, Mode, Spec, check, decimal, number_style, opt, parse_date, parse_id, req, str_at,
};

pub(super) static SPEC: Spec = Spec {
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

/// Largest accepted `rate` and `units` (in size): far beyond any real timesheet, and small
/// enough that totals and payslip arithmetic can never overflow.
const MAX_RATE: i64 = 1_000_000;
const MAX_UNITS: i64 = 100_000;

/// The decimal at `key` of a line, at most `max` in size, or an error naming `rates[i].key`.
fn bounded(map: &Map<String, Value>, path: &str, key: &str, max: i64) -> Result<Decimal, ApiError> {
    let field = format!("{path}.{key}");
    let value = decimal(map.get(key).unwrap_or(&Value::Null), &field)?;
    if value.abs() > Decimal::from(max) {
        return Err(ApiError::unprocessable(
            &field,
            format!("{field} {value} is too large (at most {max} either way)"),
        ));
    }
    Ok(value)
}

/// Check and apply `body` to `ts` (all fields for create, those present for update); line
/// `rate`/`units` must be given in `style`.
pub(super) fn apply(
    ts: &mut Timesheet,
    body: &Map<String, Value>,
    data: &Data,
    style: NumberStyle,
) -> Result<(), ApiError> {
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
    // Week 53 and its fortnightly/four-weekly equivalents exist in some years.
    let most = match frequency {
        "MONTHLY" => 12,
        "FOUR_WEEKLY" => 14,
        "FORTNIGHTLY" => 27,
        _ => 53,
    };
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
        ts.lines = lines(rates, data, style)?;
    }
    Ok(())
}

fn lines(rates: &Value, data: &Data, style: NumberStyle) -> Result<Vec<Line>, ApiError> {
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
            for key in ["rate", "units"] {
                if let Some(value) = map.get(key) {
                    number_style(value, &format!("{path}.{key}"), style)?;
                }
            }
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
                rate: bounded(map, &path, "rate", MAX_RATE)?,
                units: bounded(map, &path, "units", MAX_UNITS)?,
                vat_id,
            })
        })
        .collect()
}
