//! Normalised payloads, record hashes and the batch fingerprint.
//!
//! The fingerprint identifies a batch by *what it would send*, not by its files: the same rows
//! saved as CSV instead of xlsx, or in another order, have the same fingerprint, so importing
//! them twice is caught. Provenance (file, row) is left out for the same reason.

use rust_decimal::Decimal;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::model::{Body, LineDraft, PayRef, Record, TimesheetDraft, VatRef, WorkerRef};

/// The record's payload as canonical JSON: keys sorted, decimals normalised (`10.50` → `10.5`),
/// timesheet lines in a stable order, provenance left out.
pub fn canonical_payload(record: &Record) -> Value {
    let body = match &record.body {
        Body::Candidate(v) | Body::PaymentRate(v) => sort_keys(&v.value()),
        // A packed timesheet always unpacks (it was packed from a draft with one row a line).
        Body::Timesheet(_) => record
            .timesheet()
            .map_or(Value::Null, |draft| timesheet_value(&draft)),
    };
    serde_json::json!({ "entity": record.entity.name(), "key": record.key, "body": body })
}

/// sha256 (hex) of the canonical payload.
pub fn payload_hash(record: &Record) -> String {
    sha256_hex(canonical_payload(record).to_string().as_bytes())
}

/// sha256 (hex) over the payload hashes of every record, sorted: independent of row order.
pub fn fingerprint(records: &[Record]) -> String {
    let mut hashes: Vec<String> = records.iter().map(payload_hash).collect();
    hashes.sort();
    sha256_hex(hashes.join("\n").as_bytes())
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sort_keys(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        Value::String(s) => Value::String(s.trim().to_string()),
        other => other.clone(),
    }
}

fn dec(d: Decimal) -> Value {
    Value::String(d.normalize().to_string())
}

fn line_value(line: &LineDraft) -> Value {
    let pay = match &line.pay {
        PayRef::Code(c) => format!("code:{}", c.to_uppercase()),
        PayRef::Id(id) => format!("id:{id}"),
    };
    let vat = line.vat.as_ref().map(|v| match v {
        VatRef::Letter(l) => format!("letter:{}", l.to_uppercase()),
        VatRef::Id(id) => format!("id:{id}"),
    });
    serde_json::json!({ "pay": pay, "rate": dec(line.rate), "units": dec(line.units), "vat": vat })
}

fn timesheet_value(t: &TimesheetDraft) -> Value {
    let worker = match &t.worker {
        WorkerRef::AgencyRef(r) => format!("ref:{r}"),
        WorkerRef::Id(id) => format!("id:{id}"),
    };
    let mut lines: Vec<Value> = t.lines.iter().map(line_value).collect();
    lines.sort_by_key(|l| l.to_string());
    serde_json::json!({
        "assignmentRef": t.assignment_ref,
        "endDate": t.end_date,
        "lines": lines,
        "month": t.month,
        "startDate": t.start_date,
        "taxPeriod": t.tax_period,
        "taxYear": t.tax_year,
        "worker": worker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Entity, Provenance};

    fn d(s: &str) -> Decimal {
        s.parse().expect("test decimal")
    }

    fn prov(row: u32) -> Provenance {
        Provenance {
            file: std::path::Path::new("t.csv").into(),
            sheet: None,
            row,
        }
    }

    fn sheet(lines: Vec<(&str, &str, &str)>, first_row: u32) -> Record {
        let lines = lines
            .into_iter()
            .enumerate()
            .map(|(i, (pay, rate, units))| LineDraft {
                provenance: prov(first_row + i as u32),
                pay: PayRef::Code(pay.into()),
                rate: d(rate),
                units: d(units),
                vat: Some(VatRef::Letter("S".into())),
            })
            .collect();
        Record::of_timesheet(
            "A1|2025|3".into(),
            TimesheetDraft {
                worker: WorkerRef::AgencyRef("A1".into()),
                assignment_ref: None,
                start_date: None,
                end_date: None,
                tax_year: 2025,
                tax_period: 3,
                month: None,
                lines,
            },
            vec![],
        )
    }

    #[test]
    fn row_order_provenance_and_decimal_spelling_do_not_change_the_hash() {
        let a = sheet(vec![("PR100", "12.50", "8"), ("PR101", "100", "1")], 2);
        let b = sheet(vec![("PR101", "100.00", "1.0"), ("pr100", "12.5", "8")], 40);
        assert_eq!(payload_hash(&a), payload_hash(&b));
        let c = sheet(vec![("PR100", "12.51", "8"), ("PR101", "100", "1")], 2);
        assert_ne!(payload_hash(&a), payload_hash(&c));
    }

    #[test]
    fn fingerprint_is_order_independent_and_content_sensitive() {
        let cand = |key: &str, name: &str| Record {
            entity: Entity::Candidates,
            provenance: vec![prov(2)],
            key: key.into(),
            body: Body::Candidate(
                serde_json::json!({"generalSetting": {"agencyRef": key, "forename": name}}).into(),
            ),
            findings: vec![],
        };
        let one = vec![cand("A1", "Ann"), cand("A2", "Bob")];
        let two = vec![cand("A2", "Bob"), cand("A1", "Ann")];
        assert_eq!(fingerprint(&one), fingerprint(&two));
        let three = vec![cand("A1", "Ann"), cand("A2", "Rob")];
        assert_ne!(fingerprint(&one), fingerprint(&three));
        assert_eq!(fingerprint(&one).len(), 64);
    }
}
