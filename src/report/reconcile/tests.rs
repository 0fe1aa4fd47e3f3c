use super::changes::ChangeRow;
use super::*;
use crate::journal::{RecordRow, RecordState, RunRow, RunStatus};
use crate::model::{Action, Change, ChangeClass, Entity, Provenance, RecordDetail, Totals};
use serde_json::json;

fn run(status: RunStatus, mask: bool) -> RunRow {
    RunRow {
        id: "20261129-101010-abcd".into(),
        started: "2026-11-29T10:10:10.000Z".into(),
        finished: Some("2026-11-29T10:11:00.000Z".into()),
        files: vec!["batch/candidates.csv".into()],
        fingerprint: "f".repeat(64),
        base_url: "http://127.0.0.1:1".into(),
        options: json!({ "mask_pii": mask }),
        status,
        exit_code: Some(1),
        pruned: None,
    }
}

fn record(
    seq: u32,
    entity: Entity,
    state: RecordState,
    action: Action,
    detail: serde_json::Value,
) -> RecordRow {
    RecordRow {
        run: "r".into(),
        seq,
        entity,
        provenance: vec![Provenance {
            file: std::path::Path::new("batch/candidates.csv").into(),
            sheet: None,
            row: seq + 2,
        }],
        natural_key: format!("K{seq}"),
        payload_hash: "h".into(),
        action: Some(action),
        state,
        api_id: (state == RecordState::Done).then(|| format!("SR-{seq}")),
        http_status: (state == RecordState::Failed).then_some(400),
        message: (state == RecordState::Failed)
            .then(|| "=HYPERLINK(\"x\") NI QQ123456C is taken".into()),
        attempts: 1,
        changed: if action == Action::Update {
            vec![Change {
                class: ChangeClass::Bank,
                accepted: Some("--accept bank".into()),
                ..Change::new(
                    "bankSetting.accountNumber",
                    json!("12345678"),
                    json!("87654321"),
                )
            }]
        } else {
            Vec::new()
        },
        detail: serde_json::from_value::<RecordDetail>(detail).unwrap(),
        updated: "t".into(),
    }
}

fn totals(lines: u32, units: &str, net: &str) -> Totals {
    Totals {
        lines,
        units: units.parse().unwrap(),
        net: net.parse().unwrap(),
    }
}

fn sample(mask: Option<bool>) -> RunReport<'static> {
    let ts = |read_back: Totals| {
        json!({"worker": "A1", "worker_id": "SR-0", "tax_year": 2025, "tax_period": 1,
               "input": totals(2, "9", "200"), "acknowledged": totals(2, "9", "200"),
               "read_back": read_back})
    };
    let records = vec![
        record(
            0,
            Entity::Candidates,
            RecordState::Done,
            Action::Create,
            json!({"name": "Ann Lee", "identifier": "QQ123456C"}),
        ),
        record(
            1,
            Entity::Candidates,
            RecordState::Done,
            Action::Update,
            json!({"name": "=cmd|' /C calc'!A0"}),
        ),
        record(
            2,
            Entity::Candidates,
            RecordState::Failed,
            Action::Create,
            json!({}),
        ),
        record(
            3,
            Entity::Candidates,
            RecordState::Blocked,
            Action::Blocked,
            json!({"invalid": true, "findings": ["row 5, column H (NI Number): bad"]}),
        ),
        record(
            4,
            Entity::Timesheets,
            RecordState::Done,
            Action::Create,
            ts(totals(2, "9", "200")),
        ),
        record(
            5,
            Entity::Timesheets,
            RecordState::Done,
            Action::Create,
            ts(totals(2, "9", "180")),
        ),
    ];
    RunReport::build(run(RunStatus::Finished, false), records, mask).unwrap()
}

/// The report's rows, changes and control totals, collected.
fn parts(report: &RunReport) -> (Vec<ReportRow>, Vec<ChangeRow>, Vec<ControlTotal>) {
    let entries = report.entries().unwrap();
    let rows = entries.iter().map(|e| e.row.clone()).collect();
    let changes = entries.iter().flat_map(|e| e.changes.clone()).collect();
    let control = entries.iter().filter_map(|e| e.control.clone()).collect();
    (rows, changes, control)
}

#[test]
fn outcomes_counts_and_summary() {
    let report = sample(None);
    let (rows, _, control) = parts(&report);
    let s = report.summary(None);
    assert_eq!(
        (s.rows, s.created, s.updated, s.invalid, s.rejected),
        (6, 3, 1, 1, 1)
    );
    assert_eq!(rows[0].source, "batch/candidates.csv, row 2");
    assert!(rows[3].message.contains("column H"));
    assert!(rows[1].changes.contains("12345678 → 87654321"));
    assert!(control[0].balanced);
    assert!(!control[1].balanced, "read back differs from input");
    // The tally adds up what the rows say.
    let tally = &report.tally.control;
    assert_eq!((tally.timesheets, tally.balanced), (2, 1));
    assert_eq!(
        tally.sums[0].net,
        control[0].input.net + control[1].input.net
    );
    assert_eq!(
        report.tally.attention_count, 2,
        "the invalid and the rejected row"
    );
}

#[test]
fn mask_pii_hides_identifiers_changes_and_messages() {
    let report = sample(Some(true));
    let (rows, _, _) = parts(&report);
    assert_eq!(rows[0].identifier, "QQ******C");
    assert!(
        rows[1].changes.contains("******78 → ******21"),
        "{}",
        rows[1].changes
    );
    assert!(!rows[2].message.contains("QQ123456C"));
}

#[test]
fn files_in_every_format_keep_text_as_text() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let dir = tempfile::tempdir().unwrap();
    let report = sample(None);
    let xlsx = dir.path().join("r.xlsx");
    write(&xlsx, &report, "1 (Rows)").unwrap();
    let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let summary = book.worksheet_range("Summary").unwrap();
    assert_eq!(
        summary.get((2, 0)),
        Some(&Data::String("Exit status".into()))
    );
    assert_eq!(summary.get((2, 1)), Some(&Data::String("1 (Rows)".into())));
    let names = book.sheet_names();
    assert_eq!(
        names,
        [
            "Summary",
            "Candidates",
            "Timesheets",
            "Changes",
            "Control totals"
        ]
    );
    // The Changes sheet names each change by the id an approval file gives back.
    let changes = book.worksheet_range("Changes").unwrap();
    assert_eq!(
        changes.get((0, 10)),
        Some(&Data::String("Change ID".into()))
    );
    assert_eq!(changes.get((0, 11)), Some(&Data::String("Approve".into())));
    assert_eq!(
        changes.get((1, 10)),
        Some(&Data::String(parts(&report).1[0].change_id.clone()))
    );
    assert_eq!(changes.get((1, 4)), Some(&Data::String("bank".into())));
    let cands = book.worksheet_range("Candidates").unwrap();
    assert_eq!(
        cands.get((2, 2)),
        Some(&Data::String("=cmd|' /C calc'!A0".into()))
    );
    assert_eq!(cands.get((3, 4)), Some(&Data::String("rejected".into())));
    let control = book.worksheet_range("Control totals").unwrap();
    assert_eq!(control.get((1, 7)), Some(&Data::Float(200.0)));
    assert_eq!(control.get((2, 13)), Some(&Data::Float(180.0)));
    assert_eq!(control.get((2, 14)), Some(&Data::String("NO".into())));
    let formulas = book.worksheet_formula("Candidates").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));

    let csv_path = dir.path().join("r.csv");
    write(&csv_path, &report, "1 (Rows)").unwrap();
    let text = std::fs::read_to_string(&csv_path).unwrap();
    assert!(text.contains("'=cmd"), "formula-like text is neutralised");
    assert_eq!(text.lines().count(), 7);

    let json_path = dir.path().join("r.json");
    write(&json_path, &report, "1 (Rows)").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(v["summary"]["created"], 3);
    assert_eq!(v["records"].as_array().unwrap().len(), 6);
    assert_eq!(v["changes"].as_array().unwrap().len(), 1);
    assert_eq!(v["control_totals"].as_array().unwrap().len(), 2);
    assert_eq!(v["control_totals"][1]["input"]["net"], "200");

    assert!(matches!(
        write(&dir.path().join("r.txt"), &report, "1 (Rows)"),
        Err(ReportError::Format { .. })
    ));
}

#[test]
fn report_paths_are_checked_before_a_run() {
    let dir = tempfile::tempdir().unwrap();
    assert!(check_path(&dir.path().join("r.xlsx")).is_ok());
    assert!(check_path(std::path::Path::new("r.json")).is_ok());
    assert!(matches!(
        check_path(&dir.path().join("r.pdf")),
        Err(ReportError::Format { .. })
    ));
    assert!(matches!(
        check_path(&dir.path().join("missing/r.csv")),
        Err(ReportError::Write { .. })
    ));
}
