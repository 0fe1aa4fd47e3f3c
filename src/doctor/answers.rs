//! What the answers look like: money as strings or numbers, whether a timesheet echoes its
//! lines, a candidate read by id nested or flat, and whether payslips name their worker by id.

use serde_json::{Map, Value};

use crate::api::ApiError;
use crate::api::traits::Shape;

use super::lists::Listing;
use super::probe::Probe;
use super::{Check, segments};

const MONEY_KEYS: [&str; 9] = [
    "rate",
    "units",
    "hoursPerUnit",
    "totalNet",
    "totalVat",
    "totalPrices",
    "amount",
    "netPay",
    "grossPay",
];

fn money_kinds(item: &Value, strings: &mut Vec<String>, numbers: &mut Vec<String>) {
    let Some(map) = item.as_object() else { return };
    for key in MONEY_KEYS {
        match map.get(key) {
            Some(Value::String(s))
                if s.trim().parse::<f64>().is_ok() && !strings.iter().any(|k| k == key) =>
            {
                strings.push(key.to_string());
            }
            Some(Value::Number(_)) if !numbers.iter().any(|k| k == key) => {
                numbers.push(key.to_string());
            }
            _ => {}
        }
    }
}

pub(super) fn money_check(rates: &[Value], sheets: &[Value]) -> Check {
    let name = "money in answers";
    let (mut strings, mut numbers) = (Vec::new(), Vec::new());
    for item in rates.iter().take(20).chain(sheets.iter().take(20)) {
        money_kinds(item, &mut strings, &mut numbers);
        if let Some(lines) = item.get("rates").and_then(Value::as_array) {
            for line in lines {
                money_kinds(line, &mut strings, &mut numbers);
            }
        }
    }
    if strings.is_empty() && numbers.is_empty() {
        return Check::new(
            name,
            "could not run: no payment rate or timesheet carries an amount",
            "reads amounts as decimal strings or numbers",
        )
        .not_run();
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    Check::new(
        name,
        format!(
            "as strings: {}; as numbers: {}",
            list(&strings),
            list(&numbers)
        ),
        "reads either, exactly (decimal, not floating point)",
    )
}

pub(super) async fn line_echo_check(
    probe: &Probe<'_>,
    sheets: &[Value],
) -> Result<(Check, Option<bool>), ApiError> {
    let name = "timesheet line echo";
    let Some(first) = sheets.first() else {
        return Ok((
            Check::new(
                name,
                "could not run: there is no timesheet to read",
                "learns on the first timesheet import",
            )
            .not_run(),
            None,
        ));
    };
    let mut lines = first.get("rates").and_then(Value::as_array).cloned();
    if lines.is_none()
        && let Some(id) = id_of(first)
    {
        let answer = probe.get(&["time-sheets", &id], &[]).await?;
        lines = answer
            .json()
            .map(unwrap_data)
            .and_then(|v| v.get("rates").and_then(Value::as_array).cloned());
    }
    let Some(lines) = lines.filter(|l| !l.is_empty()) else {
        return Ok((
            Check::new(
                name,
                "could not run: the timesheet shows no lines",
                "learns on the first timesheet import",
            )
            .not_run(),
            None,
        ));
    };
    let echoes = lines.iter().all(|line| {
        line.as_object()
            .is_some_and(|l| l.contains_key("rate") && l.contains_key("vatID"))
    });
    Ok(if echoes {
        (
            Check::new(
                name,
                "each line of rates[] shows its rate, units and vatID",
                "compares the lines it sent with those the server holds",
            ),
            Some(true),
        )
    } else {
        (
            Check::new(
                name,
                "rates[] holds the payment-rate objects without each line's rate, units or vatID",
                "cannot compare timesheet lines with the server's: matches timesheets by worker \
                 and period, and trusts its journal for what was sent",
            ),
            Some(false),
        )
    })
}

fn unwrap_data(v: Value) -> Value {
    match v {
        Value::Object(mut o) if o.get("data").is_some_and(Value::is_object) => {
            o.remove("data").unwrap_or(Value::Null)
        }
        other => other,
    }
}

fn id_of(item: &Value) -> Option<String> {
    match item.get("id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn first_id(listing: &Listing) -> Option<String> {
    listing.items.first().and_then(id_of)
}

pub(super) async fn candidate_shape_check(
    probe: &Probe<'_>,
    candidate: Option<(&str, String)>,
) -> Result<(Check, Shape), ApiError> {
    let name = "candidate by id";
    let Some((endpoint, id)) = candidate else {
        return Ok((
            Check::new(
                name,
                "could not run: there is no candidate to read",
                "learns on the first update",
            )
            .not_run(),
            Shape::Unknown,
        ));
    };
    let mut segs = segments(endpoint);
    segs.push(&id);
    let answer = probe.get(&segs, &[]).await?;
    if !answer.ok() {
        return Ok((
            Check::new(
                name,
                format!("GET {endpoint}/{{id}} answered {}", answer.error_words()),
                "cannot read a candidate to compare it before an update",
            )
            .failed(),
            Shape::Unknown,
        ));
    }
    let body = answer.json().map(unwrap_data).unwrap_or(Value::Null);
    let Some(map) = body.as_object() else {
        return Ok((
            Check::new(
                name,
                "the answer is not a JSON object",
                "cannot read a candidate",
            )
            .failed(),
            Shape::Unknown,
        ));
    };
    let nested = ["generalSetting", "payrollSetting"]
        .iter()
        .any(|k| map.get(*k).is_some_and(Value::is_object));
    Ok(if nested {
        (
            Check::new(
                name,
                "nested, as the create body (generalSetting, payrollSetting, …)",
                "compares field by field",
            ),
            Shape::Nested,
        )
    } else {
        (
            Check::new(
                name,
                "flat: every field at the top level, no generalSetting/payrollSetting objects",
                "reads the fields from the top level and compares them as if nested",
            ),
            Shape::Flat,
        )
    })
}

fn worker_id(item: &Map<String, Value>) -> bool {
    ["subcontractorId", "candidateId", "subcontractorRef"]
        .iter()
        .any(|k| match item.get(*k) {
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(Value::Number(_)) => true,
            Some(Value::Object(o)) => o.get("id").is_some_and(|v| !v.is_null()),
            _ => false,
        })
}

pub(super) fn payslip_check(payslips: &[Value]) -> (Check, Option<bool>) {
    let name = "payslip worker id";
    let items: Vec<&Map<String, Value>> = payslips
        .iter()
        .take(20)
        .filter_map(Value::as_object)
        .collect();
    if items.is_empty() {
        return (
            Check::new(
                name,
                "could not run: there is no payslip to read",
                "a per-worker export leaves out any payslip that names no worker by id",
            )
            .not_run(),
            None,
        );
    }
    if items.iter().all(|i| worker_id(i)) {
        (
            Check::new(
                name,
                "payslips name their worker by id",
                "exports per worker by id",
            ),
            Some(true),
        )
    } else {
        (
            Check::new(
                name,
                "payslips name their worker by name only (no subcontractorId)",
                "a per-worker export leaves out (and counts) every payslip it cannot prove is of \
                 a worker asked for; a whole-account export is unaffected",
            ),
            Some(false),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payslips_without_a_worker_id_are_seen() {
        let (_, with) = payslip_check(&[json!({"subcontractorId": "SR-1"})]);
        assert_eq!(with, Some(true));
        let (_, without) = payslip_check(&[json!({"subcontractorName": "Ann"})]);
        assert_eq!(without, Some(false));
        let (c, none) = payslip_check(&[]);
        assert_eq!(none, None);
        assert!(!c.ran);
    }
}
