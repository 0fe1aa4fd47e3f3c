//! The report as CSV (one row per record, control totals as columns of timesheet rows) and JSON.

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::model::RunReport;
use crate::writing::neutralise_csv;

pub fn write_csv(path: &Path, report: &RunReport) -> Result<(), Box<dyn Error>> {
    let mut out = csv::Writer::from_path(path)?;
    out.write_record([
        "run",
        "entity",
        "source",
        "key",
        "name",
        "identifier",
        "outcome",
        "api_id",
        "http_status",
        "message",
        "changes",
        "attempts",
        "input_lines",
        "input_units",
        "input_net",
        "ack_lines",
        "ack_units",
        "ack_net",
        "readback_lines",
        "readback_units",
        "readback_net",
        "balanced",
    ])?;
    report.each(|entry| -> Result<(), Box<dyn Error>> {
        let row = &entry.row;
        let mut cells: Vec<String> = vec![
            report.run.id.clone(),
            row.entity.clone(),
            row.source.clone(),
            row.key.clone(),
            row.name.clone(),
            row.identifier.clone(),
            row.outcome.label().to_string(),
            row.api_id.clone(),
            row.http_status.map(|s| s.to_string()).unwrap_or_default(),
            row.message.clone(),
            row.changes.clone(),
            row.attempts.to_string(),
        ];
        if let Some(c) = &entry.control {
            for (k, t) in [Some(c.input), c.acknowledged, c.read_back]
                .iter()
                .enumerate()
            {
                match t {
                    Some(t) => cells.extend([
                        t.lines.to_string(),
                        t.units.normalize().to_string(),
                        t.net.normalize().to_string(),
                    ]),
                    None => {
                        let net = c.read_back_net.filter(|_| k == 2);
                        cells.extend([
                            String::new(),
                            String::new(),
                            net.map(|n| n.normalize().to_string()).unwrap_or_default(),
                        ])
                    }
                }
            }
            cells.push(match c.balanced_text() {
                "NO" => "no".into(),
                text => text.into(),
            });
        } else {
            cells.extend(std::iter::repeat_n(String::new(), 10));
        }
        out.write_record(cells.iter().map(|c| neutralise_csv(c).into_owned()))?;
        Ok(())
    })?;
    out.flush()?;
    Ok(())
}

/// The JSON report: the summary, the run and the counts, then the records, the changes and the
/// control totals, each array streamed from the journal, one element a line.
pub fn write_json(path: &Path, report: &RunReport) -> Result<(), Box<dyn Error>> {
    let counts: serde_json::Map<String, Value> = report
        .entities()
        .iter()
        .map(|e| {
            let by_outcome: serde_json::Map<String, Value> = report
                .counts(Some(e))
                .0
                .iter()
                .map(|(o, n)| (o.label().to_string(), Value::from(*n)))
                .collect();
            (e.clone(), by_outcome.into())
        })
        .collect();
    let mut out = BufWriter::new(File::create(path)?);
    writeln!(out, "{{")?;
    let summary = serde_json::to_value(report.summary(Some(path.to_path_buf())))?;
    for (key, value) in [
        ("summary", summary),
        ("run", serde_json::to_value(&report.run)?),
        ("counts", Value::Object(counts)),
    ] {
        writeln!(out, "  \"{key}\": {},", serde_json::to_string(&value)?)?;
    }
    let mut first = true;
    write!(out, "  \"records\": [")?;
    report.each(|e| element(&mut out, &mut first, &e.row))?;
    write!(out, "\n  ],\n  \"changes\": [")?;
    first = true;
    report.each(|e| {
        e.changes
            .iter()
            .try_for_each(|c| element(&mut out, &mut first, c))
    })?;
    write!(out, "\n  ],\n  \"control_totals\": [")?;
    first = true;
    report.each(|e| match &e.control {
        Some(c) => element(&mut out, &mut first, c),
        None => Ok(()),
    })?;
    writeln!(out, "\n  ]\n}}")?;
    out.flush()?;
    Ok(())
}

/// One element of a JSON array, on its own line.
fn element(
    out: &mut impl Write,
    first: &mut bool,
    item: &impl Serialize,
) -> Result<(), Box<dyn Error>> {
    out.write_all(if *first { b"\n    " } else { b",\n    " })?;
    *first = false;
    serde_json::to_writer(&mut *out, item)?;
    Ok(())
}
