//! The report detail recorded for each record when a run starts.

use crate::model::{Body, CellFinding, Entity, Record, RecordDetail, WorkerRef};

/// A finding with its place: `row 5, column H (NI Number): …`.
pub fn finding_text(f: &CellFinding) -> String {
    let mut place = Vec::new();
    if let Some(row) = f.row {
        place.push(format!("row {row}"));
    }
    match (&f.column, &f.header) {
        (Some(c), Some(h)) => place.push(format!("column {c} ({h})")),
        (Some(c), None) => place.push(format!("column {c}")),
        _ => {}
    }
    if place.is_empty() {
        f.finding.message.clone()
    } else {
        format!("{}: {}", place.join(", "), f.finding.message)
    }
}

fn text_at<'a>(body: &'a serde_json::Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(body, |v, key| v.get(key))
        .and_then(|v| v.as_str())
}

/// Name, identifier, validity, findings and input totals of a record.
pub fn initial_detail(record: &Record) -> RecordDetail {
    let mut detail = RecordDetail {
        invalid: !record.is_valid(),
        findings: record
            .findings
            .iter()
            .filter(|f| f.is_error() || f.finding.is_repair())
            .map(|f| {
                if f.finding.is_repair() {
                    // Which rule reconstructed the value, for the auditor.
                    format!("{} [{}]", finding_text(f), f.finding.code)
                } else {
                    finding_text(f)
                }
            })
            .collect(),
        ..RecordDetail::default()
    };
    match &record.body {
        Body::Candidate(body) => {
            let body = &body.value();
            let name = [
                text_at(body, &["generalSetting", "forename"]),
                text_at(body, &["generalSetting", "surname"]),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            detail.name = (!name.is_empty()).then_some(name);
            let id_field = if record.entity == Entity::CandidatesIe {
                "PPSNumber"
            } else {
                "NINumber"
            };
            detail.identifier = text_at(body, &["generalSetting", id_field]).map(str::to_string);
        }
        Body::PaymentRate(body) => {
            detail.name = text_at(&body.value(), &["description"]).map(str::to_string);
        }
        Body::Timesheet(_) => {
            let Some(draft) = record.timesheet() else {
                return detail;
            };
            let worker = match &draft.worker {
                WorkerRef::AgencyRef(r) => r.clone(),
                WorkerRef::Id(id) => {
                    detail.worker_id = Some(id.clone());
                    id.clone()
                }
            };
            detail.name = Some(worker.clone());
            detail.worker = Some(worker);
            detail.tax_year = Some(draft.tax_year);
            detail.tax_period = Some(draft.tax_period);
            detail.input = Some(draft.totals());
        }
    }
    detail
}
