//! The report as CSV (one row per record, control totals as columns of timesheet rows) and JSON.

use std::path::Path;

use super::model::RunReport;
use crate::writing::neutralise_csv;

pub fn write_csv(path: &Path, report: &RunReport) -> Result<(), Box<dyn std::error::Error>> {
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
    let control: std::collections::HashMap<u32, &super::model::ControlTotal> =
        report.control.iter().map(|c| (c.seq, c)).collect();
    for row in &report.rows {
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
        if let Some(c) = control.get(&row.seq) {
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
    }
    out.flush()?;
    Ok(())
}

pub fn write_json(path: &Path, report: &RunReport) -> Result<(), Box<dyn std::error::Error>> {
    let value = serde_json::json!({
        "summary": report.summary(Some(path.to_path_buf())),
        "run": report.run,
        "counts": report.entities().iter().map(|e| {
            let c = report.counts(Some(e));
            (e.clone(), c.0.iter().map(|(o, n)| (o.label().to_string(), serde_json::Value::from(*n))).collect::<serde_json::Map<_, _>>().into())
        }).collect::<serde_json::Map<String, serde_json::Value>>(),
        "records": report.rows,
        "changes": report.changes,
        "control_totals": report.control,
    });
    std::fs::write(path, serde_json::to_vec_pretty(&value)?)?;
    Ok(())
}
