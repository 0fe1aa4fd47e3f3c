//! Reading, validating and mapping spreadsheets: the library entry points (`load_batch`,
//! `validate_files`), the fix file, templates, samples and the `validate` command.

use std::path::{Path, PathBuf};

use nxsys_etl::model::{Body, Entity, Record};
use nxsys_etl::model::{PayRef, WorkerRef};
use nxsys_etl::schema::{ReadOptions, load_batch};
use rust_decimal::Decimal;
use serde_json::json;

fn opts() -> ReadOptions {
    ReadOptions::embedded()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

const CANDIDATES: &str = "\
Agency Ref,Title,Forename,Surname,Date of Birth,NI Number,Address Line 1,Address Line 2,City,Postcode,Email,Pay Frequency,Payment Model,Sort Code,Account Number
AG-001,Mr,Michael,Smith,1990-05-15,AB123456C,1 High Street,Flat 2,London,SW1A 1AA,m.smith@example.com,Weekly,PAYE,60-16-13,31926819
AG-002,Ms,Ann,Jones,15/06/1985,AB 12 34 57 A,2 Low Road,,Leeds,LS1 4DY,ann@example.com,Weekly,PAYE,601613,31926819
";

const CANDIDATES_IE: &str = "\
Agency Ref;Forename;Surname;Date of Birth;PPS Number;Address Line 1;City;Eircode;Email;Pay Frequency;Payment Model;IBAN
IE-001;Aoife;Byrne;1992-02-01;1234567TW;1 Main St;Dublin;D02 X285;aoife@example.ie;Weekly;PAYE;IE29AIBK93115212345678
";

const RATES: &str = "\
Code,Description,Type,Units,Hours Per Unit,Before NI,Default VAT Code
pr200,Standard hourly,Rate,Hourly,1,Yes,S
PR201,Overtime,Rate,Hourly,1,Yes,VC-2
";

const TIMESHEETS: &str = "\
Agency Ref,Tax Year,Tax Period,Pay Code,Rate,Units,VAT Code
AG-001,2025,1,PR200,15.50,37.5,S
AG-001,2025,1,PR201,20.00,5,S
AG-002,2025/26,1,PR200,15.50,40,
AG-001,2025,2,PR200,15.50,36,S
";

fn by_entity(records: &[Record], entity: Entity) -> Vec<&Record> {
    records.iter().filter(|r| r.entity == entity).collect()
}

fn errors(record: &Record) -> Vec<String> {
    record
        .findings
        .iter()
        .filter(|f| f.is_error())
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_batch_of_all_four_entities_becomes_records_in_dependency_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Given out of order: the loader reorders by dependency.
    let files = [
        write(dir.path(), "timesheets.csv", TIMESHEETS),
        write(dir.path(), "payment-rates.csv", RATES),
        write(dir.path(), "workers-ie.csv", CANDIDATES_IE),
        write(dir.path(), "candidates.csv", CANDIDATES),
    ];
    let batch = load_batch(&files, &opts()).expect("readable");
    let entities: Vec<Entity> = batch.records.iter().map(|r| r.entity).collect();
    let mut sorted = entities.clone();
    sorted.sort();
    assert_eq!(entities, sorted, "records come in dependency order");
    for record in &batch.records {
        assert!(record.is_valid(), "{}: {:?}", record.key, errors(record));
    }

    let uk = by_entity(&batch.records, Entity::Candidates);
    assert_eq!(uk.len(), 2);
    assert_eq!(uk[0].key, "AG-001");
    let Body::Candidate(body) = &uk[0].body else {
        panic!("candidate body")
    };
    let body = &body.value();
    assert_eq!(body["generalSetting"]["NINumber"], json!("AB123456C"));
    assert_eq!(body["generalSetting"]["DOB"], json!("1990-05-15"));
    assert_eq!(
        body["generalSetting"]["address"],
        json!(["1 High Street", "Flat 2"])
    );
    assert_eq!(body["generalSetting"]["title"], json!("MR"));
    assert_eq!(body["generalSetting"]["payFrequency"], json!("WEEKLY"));
    assert_eq!(body["bankSetting"]["sortCode"], json!("601613"));
    assert_eq!(uk[1].provenance[0].row, 3);

    let ie = by_entity(&batch.records, Entity::CandidatesIe);
    assert_eq!(ie.len(), 1);
    let Body::Candidate(body) = &ie[0].body else {
        panic!("candidate body")
    };
    let body = &body.value();
    assert_eq!(body["generalSetting"]["PPSNumber"], json!("1234567TW"));
    assert_eq!(
        body["bankSetting"]["IBANReference"],
        json!("IE29AIBK93115212345678")
    );

    let rates = by_entity(&batch.records, Entity::PaymentRates);
    assert_eq!(rates[0].key, "PR200");
    let Body::PaymentRate(body) = &rates[0].body else {
        panic!("rate body")
    };
    let body = &body.value();
    assert_eq!(body["code"], json!("PR200"));
    assert_eq!(body["units"], json!("HOURLY"));
    assert_eq!(body["includeNICalculation"], json!(true));
    assert_eq!(body["defaultVATCode"], json!("S"));

    let sheets = by_entity(&batch.records, Entity::Timesheets);
    let keys: Vec<&str> = sheets.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["AG-001|2025|1", "AG-002|2025|1", "AG-001|2025|2"]);
    let Some(draft) = sheets[0].timesheet() else {
        panic!("timesheet body")
    };
    assert_eq!(draft.worker, WorkerRef::AgencyRef("AG-001".into()));
    assert_eq!(draft.lines.len(), 2);
    assert_eq!(draft.lines[1].pay, PayRef::Code("PR201".into()));
    assert_eq!(draft.net(), Decimal::new(68125, 2));
    assert_eq!(sheets[0].provenance.len(), 2);
    assert_eq!(batch.sources.len(), 4);
}

#[test]
fn lines_of_one_timesheet_merge_across_files_in_a_whole_batch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let more = "Agency Ref,Tax Year,Tax Period,Pay Code,Rate,Units\nAG-001,2025,1,PR200,15.50,2\n";
    let files = [
        write(dir.path(), "timesheets.csv", TIMESHEETS),
        write(dir.path(), "timesheets-late.csv", more),
    ];
    let batch = load_batch(&files, &opts()).expect("readable");
    let first = &batch.records[0];
    assert_eq!(first.key, "AG-001|2025|1");
    assert_eq!(first.provenance.len(), 3);
    assert_eq!(batch.records.len(), 3);
}

/// A whole batch packs a timesheet's lines once a line of another comes, and opens them again
/// for a later line: the lines come back exactly, and every check still lands on its row.
#[test]
fn interleaved_lines_of_timesheets_merge_and_are_checked_in_a_whole_batch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "\
Agency Ref,Start Date,End Date,Tax Year,Tax Period,Pay Code,Rate,Units,VAT Code
AG-001,2025-04-06,2025-04-12,2025,1,PR200,15.50,20,S
AG-002,2025-04-06,2025-04-12,2025,1,PR200,15.50,40,
AG-001,2025-04-06,2025-04-12,2025,1,PR201,20.00,150,S
AG-002,2025-04-07,2025-04-12,2025,1,PR201,20,1.50,
AG-001,2025-04-06,2025-04-12,2025,1,PR200,15.50,20,S
AG-002,2025-04-13,2025-04-19,2025,2,PR200,15.50,40,
";
    let files = [
        write(dir.path(), "candidates.csv", CANDIDATES),
        write(dir.path(), "payment-rates.csv", RATES),
        write(dir.path(), "timesheets.csv", text),
    ];
    let batch = load_batch(&files, &opts()).expect("readable");
    let sheets = by_entity(&batch.records, Entity::Timesheets);
    let keys: Vec<&str> = sheets.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["AG-001|2025|1", "AG-002|2025|1", "AG-002|2025|2"]);
    let rows = |r: &Record| -> Vec<u32> { r.provenance.iter().map(|p| p.row).collect() };
    assert_eq!(rows(sheets[0]), [2, 4, 6]);
    assert_eq!(rows(sheets[1]), [3, 5]);
    let Some(first) = sheets[0].timesheet() else {
        panic!("AG-001 unpacks")
    };
    let lines: Vec<(PayRef, String, String, u32)> = first
        .lines
        .iter()
        .map(|l| {
            (
                l.pay.clone(),
                l.rate.to_string(),
                l.units.to_string(),
                l.provenance.row,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (PayRef::Code("PR200".into()), "15.50".into(), "20".into(), 2),
            (
                PayRef::Code("PR201".into()),
                "20.00".into(),
                "150".into(),
                4
            ),
            (PayRef::Code("PR200".into()), "15.50".into(), "20".into(), 6),
        ]
    );
    // Checks of the whole timesheet, run once it is complete: the hours past 24 a day on the
    // line that takes the total over, the repeated line on the repeat.
    let placed = |r: &Record| -> Vec<(String, u32)> {
        r.findings
            .iter()
            .map(|f| (f.finding.code.to_string(), f.row.unwrap_or(0)))
            .collect()
    };
    let mut found = placed(sheets[0]);
    found.sort();
    assert_eq!(
        found,
        [
            ("timesheet.repeated_line".to_string(), 6),
            ("units.impossible".to_string(), 4)
        ]
    );
    // A line that reopens a packed timesheet is still compared with its first line.
    assert_eq!(
        placed(sheets[1]),
        [("timesheet.period_mismatch".to_string(), 5)]
    );
}

#[test]
fn batch_problems_point_at_their_cells() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dup = format!(
        "{CANDIDATES}AG-001,Mr,Tom,Smith,1990-05-15,AB123456C,1 High Street,,London,SW1A 1AA,t@example.com,Weekly,PAYE,601613,31926819\n"
    );
    let ts = "Agency Ref,Tax Year,Tax Period,Pay Code,Rate,Units\nAG-404,2025,1,PR200,15.50,-3\n";
    let files = [
        write(dir.path(), "candidates.csv", &dup),
        write(dir.path(), "timesheets.csv", ts),
    ];
    let batch = load_batch(&files, &opts()).expect("readable");
    let third = &batch.records[2];
    let codes: Vec<(&str, Option<&str>)> = third
        .findings
        .iter()
        .map(|f| (f.finding.code, f.column.as_deref()))
        .collect();
    assert_eq!(
        codes,
        [
            ("duplicate.agency_ref", Some("A")),
            ("duplicate.ni_number", Some("F"))
        ]
    );
    assert!(
        third.findings[0].to_string().starts_with(&format!(
            "{}, row 4, column A (Agency Ref): ",
            files[0].display()
        )),
        "{}",
        third.findings[0]
    );
    let line = &batch.records[3];
    let codes: Vec<&str> = line.findings.iter().map(|f| f.finding.code).collect();
    assert_eq!(
        codes,
        [
            "reference.not_in_batch",
            "reference.not_in_batch",
            "units.negative"
        ]
    );
    assert!(!line.is_valid());
}

#[test]
fn a_gb_iban_must_carry_the_sort_code_and_account_number() {
    let dir = tempfile::tempdir().expect("temp dir");
    let header = CANDIDATES.lines().next().unwrap_or_default();
    let text = format!(
        "{header},IBAN\n\
         AG-001,Mr,Michael,Smith,1990-05-15,AB123456C,1 High Street,,London,SW1A 1AA,m@example.com,Weekly,PAYE,60-16-13,31926819,GB29 NWBK 6016 1331 9268 19\n\
         AG-002,Ms,Ann,Jones,1985-06-15,AB123457A,2 Low Road,,Leeds,LS1 4DY,a@example.com,Weekly,PAYE,60-16-14,31926819,GB29NWBK60161331926819\n"
    );
    let file = write(dir.path(), "candidates.csv", &text);
    let batch = load_batch(&[file], &opts()).expect("readable");
    assert!(
        batch.records[0].is_valid(),
        "{:?}",
        errors(&batch.records[0])
    );
    let found = &batch.records[1].findings;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].finding.code, "iban.mismatch");
    assert_eq!(found[0].column.as_deref(), Some("P"));
}

#[test]
fn mapping_files_rename_columns_and_fill_defaults_and_constants() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "Pay Code,Name,Kind,Per\nPR1,Basic,Rate,Hourly\nPR2,Overtime,Rate,\n";
    let file = write(dir.path(), "export.csv", text);
    let mapping = nxsys_etl::schema::Mapping::parse(
        "entity = \"payment-rates\"\n\
         [columns]\n\"Name\" = \"Description\"\n\"Kind\" = \"Type\"\n\"Per\" = \"Units\"\n\
         [defaults]\n\"Units\" = \"Daily\"\n[constants]\n\"Status\" = \"Active\"\n",
        Path::new("map.toml"),
    )
    .expect("mapping");
    let options = ReadOptions {
        mapping: Some(mapping),
        ..opts()
    };
    let batch = load_batch(&[file], &options).expect("readable");
    assert!(batch.findings.is_empty(), "{:?}", batch.findings);
    let units: Vec<_> = batch
        .records
        .iter()
        .map(|r| match &r.body {
            Body::PaymentRate(b) => (
                b.value()["description"].clone(),
                b.value()["units"].clone(),
                b.value()["status"].clone(),
            ),
            _ => panic!("payment rate"),
        })
        .collect();
    assert_eq!(
        units,
        [
            (json!("Basic"), json!("HOURLY"), json!("ACTIVE")),
            (json!("Overtime"), json!("DAILY"), json!("ACTIVE"))
        ]
    );
}

#[test]
fn missing_required_headers_block_every_row_and_unknown_ones_warn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "Code,Description,Type,Shoe Size\nPR1,Basic,RATE,9\n";
    let file = write(dir.path(), "rates.csv", text);
    let batch = load_batch(&[file], &opts()).expect("readable");
    let codes: Vec<&str> = batch.findings.iter().map(|f| f.finding.code).collect();
    assert_eq!(codes, ["header.unknown", "header.missing_required"]);
    assert!(batch.findings[1].finding.message.contains("'Units'"));
    assert!(!batch.records[0].is_valid());
    assert_eq!(
        batch.records[0].findings[0].finding.code,
        "required.missing"
    );
}

#[test]
fn an_unreadable_file_is_an_error_not_a_finding() {
    let err = load_batch(&[PathBuf::from("/nonexistent/x.csv")], &opts()).expect_err("missing");
    assert!(err.to_string().contains("/nonexistent/x.csv"), "{err}");
    let err = load_batch(&[PathBuf::from("notes.docx")], &opts()).expect_err("unsupported");
    assert!(err.to_string().contains("docx"), "{err}");
}

/// A CSV whose header row is `known` followed by `extra` unknown columns, with one data row.
fn wide_csv(dir: &Path, name: &str, known: &[&str], row: &[&str], extra: usize) -> PathBuf {
    let mut text = known.join(",");
    for i in 0..extra {
        text.push_str(&format!(",x{i}"));
    }
    text.push('\n');
    text.push_str(&row.join(","));
    text.push_str(&",".repeat(extra));
    text.push('\n');
    write(dir, name, &text)
}

#[test]
fn a_csv_wider_than_excel_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    for columns in [200_000, 2_000_000] {
        let path = wide_csv(
            dir.path(),
            "wide.csv",
            &["Agency Ref"],
            &["AG-1"],
            columns - 1,
        );
        let err = load_batch(std::slice::from_ref(&path), &opts()).expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains(&path.display().to_string())
                && text.contains(&format!("{columns} columns"))
                && text.contains("more than the 16384"),
            "{text}"
        );
    }
}

#[test]
fn a_csv_as_wide_as_excel_allows_is_read() {
    // At the cap, the known columns among 16,384 are found and the rest are warnings.
    let dir = tempfile::tempdir().expect("dir");
    let header: Vec<&str> = CANDIDATES
        .lines()
        .next()
        .expect("header")
        .split(',')
        .collect();
    let row: Vec<&str> = CANDIDATES.lines().nth(1).expect("row").split(',').collect();
    let extra = nxsys_etl::source::MAX_COLUMNS - header.len();
    let path = wide_csv(dir.path(), "export.csv", &header, &row, extra);
    let batch = load_batch(&[path], &opts()).expect("read");
    let records = by_entity(&batch.records, Entity::Candidates);
    assert_eq!(records.len(), 1);
    assert!(errors(records[0]).is_empty(), "{:?}", errors(records[0]));
    let unknown = batch
        .findings
        .iter()
        .filter(|f| f.finding.code == "header.unknown")
        .count();
    assert_eq!(unknown, extra);
}

// ---------------------------------------------------------------------------------------------
// Samples, workbooks and the command line.

use nxsys_etl::model::CellFinding;
use nxsys_etl::schema::validate_files;
use std::process::Command;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn sample_csvs() -> Vec<PathBuf> {
    [
        "candidates.csv",
        "candidates-ie.csv",
        "payment-rates.csv",
        "timesheets.csv",
    ]
    .iter()
    .map(|f| samples().join(f))
    .collect()
}

/// Every record's body, without provenance, for comparing two readings of the same data.
fn bodies(records: &[Record]) -> Vec<(Entity, String, serde_json::Value)> {
    records
        .iter()
        .map(|r| {
            let body = match (&r.body, r.timesheet()) {
                (_, Some(d)) => {
                    let lines: Vec<_> = d
                        .lines
                        .iter()
                        .map(|l| {
                            (
                                format!("{:?}", l.pay),
                                l.rate.normalize(),
                                l.units.normalize(),
                                format!("{:?}", l.vat),
                            )
                        })
                        .collect();
                    json!({
                        "worker": format!("{:?}", d.worker),
                        "start": d.start_date, "end": d.end_date,
                        "year": d.tax_year, "period": d.tax_period,
                        "lines": format!("{lines:?}"),
                    })
                }
                (Body::Candidate(v) | Body::PaymentRate(v), None) => v.value(),
                (Body::Timesheet(_), None) => panic!("a timesheet that does not unpack"),
            };
            (r.entity, r.key.clone(), body)
        })
        .collect()
}

#[test]
fn the_clean_sample_batch_has_no_errors() {
    let batch = load_batch(&sample_csvs(), &opts()).expect("readable");
    let errors: Vec<String> = batch
        .records
        .iter()
        .flat_map(|r| r.findings.iter())
        .chain(&batch.findings)
        .filter(|f| f.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let count = |e| batch.records.iter().filter(|r| r.entity == e).count();
    assert_eq!(count(Entity::Candidates), 50);
    assert_eq!(count(Entity::CandidatesIe), 10);
    assert_eq!(count(Entity::PaymentRates), 10);
    // 60 workers × 4 weekly periods.
    assert_eq!(count(Entity::Timesheets), 240);
}

#[test]
fn the_sample_workbook_reads_the_same_as_the_csv_files() {
    let csv = load_batch(&sample_csvs(), &opts()).expect("csv");
    let book = samples().join("workbook").join("monthly-batch.xlsx");
    let xlsx = load_batch(&[book], &opts()).expect("xlsx");
    assert_eq!(xlsx.sources.len(), 4);
    assert_eq!(bodies(&csv.records), bodies(&xlsx.records));
    let sheet = xlsx.records[0].provenance[0].sheet.as_deref();
    assert_eq!(sheet, Some("Candidates"));
}

#[test]
fn streaming_validation_counts_every_row() {
    let mut records = 0;
    let summary = validate_files(&sample_csvs(), &opts(), |_| records += 1).expect("readable");
    let rows: u64 = summary.counts.values().map(|c| c.rows).sum();
    let lines = std::fs::read_to_string(samples().join("timesheets.csv"))
        .expect("read")
        .lines()
        .count() as u64
        - 1;
    assert_eq!(rows, 50 + 10 + 10 + lines);
    assert!(!summary.has_errors());
    assert_eq!(records, 70 + 240);
}

/// `| file | row | column | code | what |` lines of EXPECTED.md.
fn planted() -> Vec<(String, u32, Option<String>, String)> {
    let text = std::fs::read_to_string(samples().join("with-errors").join("EXPECTED.md"))
        .expect("EXPECTED.md");
    text.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| File"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (
                cells[1].to_string(),
                cells[2].parse().expect("row number"),
                Some(cells[3].to_string()).filter(|c| !c.is_empty()),
                cells[4].to_string(),
            )
        })
        .collect()
}

fn with_errors_files() -> Vec<PathBuf> {
    [
        "candidates.csv",
        "candidates-ie.csv",
        "payment-rates.csv",
        "timesheets.csv",
    ]
    .iter()
    .map(|f| samples().join("with-errors").join(f))
    .collect()
}

fn all_findings(files: &[PathBuf]) -> Vec<CellFinding> {
    let mut all = Vec::new();
    let summary = validate_files(files, &opts(), |r| all.extend(r.findings.iter().cloned()))
        .expect("readable");
    all.extend(summary.findings);
    all
}

#[test]
fn every_planted_mistake_is_reported_at_its_cell() {
    let planted = planted();
    assert!(planted.len() >= 20, "EXPECTED.md lists {}", planted.len());
    let found = all_findings(&with_errors_files());
    let mut missing = Vec::new();
    for (file, row, column, code) in &planted {
        let hit = found.iter().any(|f| {
            f.file.file_name().and_then(|n| n.to_str()) == Some(file.as_str())
                && f.row == Some(*row)
                && f.column == *column
                && f.finding.code == code
        });
        if !hit {
            missing.push(format!("{file} row {row} column {column:?} {code}"));
        }
    }
    let unexpected: Vec<String> = found
        .iter()
        .filter(|f| f.is_error())
        .filter(|f| {
            !planted.iter().any(|(file, row, _, _)| {
                f.file.file_name().and_then(|n| n.to_str()) == Some(file.as_str())
                    && f.row == Some(*row)
            })
        })
        .map(ToString::to_string)
        .collect();
    assert!(
        missing.is_empty(),
        "not reported: {missing:#?}\nfound: {found:#?}"
    );
    assert!(
        unexpected.is_empty(),
        "errors on rows nothing was planted in: {unexpected:#?}"
    );
}

fn nxsys() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
}

#[test]
fn validate_exits_0_for_clean_1_for_errors_2_for_unreadable() {
    let clean = nxsys()
        .arg("validate")
        .args(sample_csvs())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert_eq!(clean.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("No errors"), "{stdout}");

    let bad = nxsys()
        .args(["validate", "--json"])
        .args(with_errors_files())
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&bad.stdout).expect("json");
    assert_eq!(json["ok"], json!(false));
    assert!(json["invalid"].as_u64().unwrap_or(0) > 0);
    let first = &json["findings"][0];
    for key in ["file", "row", "column", "code", "message", "severity"] {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }

    let missing = nxsys()
        .args(["validate", "/nonexistent/file.csv"])
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/file.csv"));
}

#[test]
fn the_fix_file_holds_the_failing_rows_and_revalidates_clean_once_corrected() {
    let dir = tempfile::tempdir().expect("dir");
    let src = write(
        dir.path(),
        "payment-rates.csv",
        "Code,Description,Type,Units,Note\nPR1,Basic,Rate,Hourly,ok\nPR2,Overtime,Rate,Fortnightly,fix me\n",
    );
    let fix = dir.path().join("fix.csv");
    let out = nxsys()
        .args(["validate", "-q"])
        .arg(&src)
        .arg("--fix-file")
        .arg(&fix)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&fix).expect("fix file");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("Code,Description,Type,Units,Note,nxsys-etl errors")
    );
    let row = lines.next().expect("failing row");
    assert!(
        row.starts_with("PR2,Overtime,Rate,Fortnightly,fix me,"),
        "{row}"
    );
    assert!(row.contains("column D (Units)"), "{row}");
    assert!(lines.next().is_none(), "only the failing row: {text}");

    // The user corrects the cell and validates the fix file itself.
    std::fs::write(&fix, text.replace("Fortnightly", "Weekly")).expect("edit");
    let again = nxsys()
        .args(["validate", "-q"])
        .arg(&fix)
        .output()
        .expect("run");
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    // The xlsx form reads back too, with the bad cell's row and the error column.
    let xlsx = dir.path().join("fix.xlsx");
    nxsys()
        .args(["validate", "-q"])
        .arg(&src)
        .arg("--fix-file")
        .arg(&xlsx)
        .output()
        .expect("run");
    let batch = load_batch(&[xlsx], &opts()).expect("fix.xlsx");
    assert_eq!(batch.records.len(), 1);
    assert_eq!(batch.records[0].key, "PR2");
    assert_eq!(batch.records[0].findings[0].column.as_deref(), Some("D"));
}

/// Issue 17, item 12: input that changed pay without a word. `€15.50` for a UK worker, an
/// August date with tax period 1, and `1,234` where no other cell says how the column writes
/// decimals are errors naming their cells; `12,5` stays 12.5 and settles its column.
#[test]
fn money_and_dates_that_disagree_are_errors_naming_their_cells() {
    let dir = tempfile::tempdir().expect("dir");
    let candidates = write(dir.path(), "candidates.csv", CANDIDATES);
    let rates = write(dir.path(), "payment-rates.csv", RATES);
    let timesheets = write(
        dir.path(),
        "timesheets.csv",
        "Agency Ref,Tax Year,Tax Period,Start Date,End Date,Pay Code,Rate,Units\n\
         AG-001,2025,1,2025-04-07,2025-04-13,PR200,€15.50,37\n\
         AG-002,2025,1,2025-08-04,2025-08-10,PR200,15.50,40\n\
         AG-001,2025,2,2025-04-14,2025-04-20,PR200,15.50,\"1,234\"\n",
    );
    let out = nxsys()
        .args(["validate", "--json"])
        .args([&candidates, &rates, &timesheets])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let found: Vec<(String, u64, String)> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_string(),
                f["row"].as_u64().unwrap_or_default(),
                f["column"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let want = |code: &str, row: u64, column: &str| (code.to_string(), row, column.to_string());
    assert_eq!(
        found,
        [
            want("money.currency", 2, "G"),
            want("timesheet.outside_period", 3, "D"),
            want("decimal.ambiguous_separator", 4, "H"),
        ],
        "{json:#}"
    );
    let messages = json.to_string();
    assert!(messages.contains("2025-04-06 to 2025-04-12"), "{messages}");

    // Another cell of the column with a decimal comma settles it: `12,5` and `1,234` is 1.234.
    let settled = write(
        dir.path(),
        "timesheets.csv",
        "Agency Ref,Tax Year,Tax Period,Pay Code,Rate,Units\n\
         AG-001,2025,1,PR200,15.50,\"1,234\"\n\
         AG-002,2025,1,PR200,15.50,\"12,5\"\n",
    );
    let batch = load_batch(&[candidates, rates, settled], &opts()).expect("batch");
    let units: Vec<Decimal> = by_entity(&batch.records, Entity::Timesheets)
        .iter()
        .map(|r| match r.timesheet() {
            Some(t) => t.lines[0].units,
            None => Decimal::ZERO,
        })
        .collect();
    assert_eq!(units, [Decimal::new(1234, 3), Decimal::new(125, 1)]);
}

/// Issue 17, item 9: the CSV fix file's safety `'` (before `+44…`, `-Smith`, `=HYPERLINK…`) was
/// read back as part of the value. Read from a fix file, each value is what the user's file had,
/// and an apostrophe the user typed stays.
#[test]
fn a_csv_fix_file_reads_back_the_values_of_the_original() {
    let dir = tempfile::tempdir().expect("dir");
    let header = "Agency Ref,Forename,Surname,NI Number,Mobile,Payment Model\n";
    let rows = |ni: &str| {
        format!(
            "{header}\
             AG-1,=HYPERLINK(\"x\"),-Smith,{ni},+44 7700 900123,PAYE\n\
             AG-2,Aoife,'Brien,{ni},'-x,PAYE\n"
        )
    };
    let src = write(dir.path(), "candidates.csv", &rows("BAD"));
    let fix = dir.path().join("fix.csv");
    let out = nxsys()
        .args(["validate", "-q"])
        .arg(&src)
        .arg("--fix-file")
        .arg(&fix)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&fix).expect("fix file");
    assert!(
        text.contains("'+44 7700 900123") && text.contains("'-Smith"),
        "{text}"
    );
    // The user corrects the NI numbers in the fix file (and removes the error column, as they
    // may); what the tool reads is what the original said.
    let corrected = text
        .replacen(",BAD,", ",AB123456C,", 1)
        .replacen(",BAD,", ",AB123457C,", 1);
    std::fs::write(&fix, &corrected).expect("edit");
    let original = write(
        dir.path(),
        "candidates-ok.csv",
        &rows("AB123456C")
            .replacen("AB123456C", "AB123457C", 2)
            .replacen("AB123457C", "AB123456C", 1),
    );
    let body = |path: &Path| {
        let batch = load_batch(&[path.to_path_buf()], &opts()).expect("batch");
        batch
            .records
            .iter()
            .map(|r| match &r.body {
                Body::Candidate(b) => b.value()["generalSetting"].clone(),
                _ => serde_json::Value::Null,
            })
            .collect::<Vec<_>>()
    };
    let from_fix = body(&fix);
    assert_eq!(from_fix, body(&original));
    assert_eq!(from_fix[0]["surname"], json!("-Smith"));
    assert_eq!(from_fix[0]["forename"], json!("=HYPERLINK(\"x\")"));
    assert_eq!(from_fix[1]["surname"], json!("'Brien"));
}

/// Issue 17, item 11: a right-to-left override in a name is a warning naming the cell, and the
/// name is sent without it.
#[test]
fn invisible_characters_in_a_name_are_reported_on_their_cell_and_not_sent() {
    let dir = tempfile::tempdir().expect("dir");
    let path = write(
        dir.path(),
        "candidates.csv",
        &CANDIDATES.replace("Smith", "Smith\u{202E}gnp.exe"),
    );
    let batch = load_batch(&[path], &opts()).expect("batch");
    let first = &batch.records[0];
    let warning = first
        .findings
        .iter()
        .find(|f| f.finding.code == "text.invisible")
        .expect("warning");
    assert_eq!(
        (warning.row, warning.column.as_deref()),
        (Some(2), Some("D"))
    );
    assert!(warning.finding.message.contains("U+202E"), "{warning}");
    match &first.body {
        Body::Candidate(b) => assert_eq!(b.value()["generalSetting"]["surname"], "Smithgnp.exe"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn templates_are_generated_and_read_back_without_errors() {
    let dir = tempfile::tempdir().expect("dir");
    for format in ["xlsx", "csv"] {
        let out = nxsys()
            .args(["template", "all", "-o"])
            .arg(dir.path())
            .args(["--format", format])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0));
    }
    let files: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(files.len(), 8);
    let batch = load_batch(&files, &opts()).expect("readable");
    // Only the example rows, each skipped with a warning.
    assert!(batch.records.is_empty());
    let examples = batch
        .findings
        .iter()
        .filter(|f| f.finding.code == "row.template_example")
        .count();
    assert_eq!(examples, 8);
    assert!(batch.findings.iter().all(|f| !f.is_error()));
    // The committed templates are what the command writes.
    for entity in ["candidates", "candidates-ie", "payment-rates", "timesheets"] {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates")
            .join(format!("{entity}.csv"));
        assert_eq!(
            std::fs::read_to_string(committed).expect("committed template"),
            std::fs::read_to_string(dir.path().join(format!("{entity}.csv"))).expect("new")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Workbooks as Excel and LibreOffice write them (fixtures from scripts/make-fixtures.sh).

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

#[test]
fn ods_and_xls_written_by_libreoffice_read_the_same_as_the_csv_files() {
    let csv = load_batch(&sample_csvs(), &opts()).expect("csv");
    for name in ["monthly-batch.ods", "monthly-batch.xls"] {
        let book = load_batch(&[data(name)], &opts()).expect(name);
        assert_eq!(book.sources.len(), 4, "{name}");
        assert!(
            book.records.iter().all(Record::is_valid),
            "{name}: {:?}",
            book.records
                .iter()
                .flat_map(errors)
                .take(5)
                .collect::<Vec<_>>()
        );
        assert_eq!(bodies(&csv.records), bodies(&book.records), "{name}");
    }
}

#[test]
fn dates_of_a_1904_workbook_are_read_in_its_own_date_system() {
    let batch = load_batch(&[data("date1904.xlsx")], &opts()).expect("readable");
    let record = &batch.records[0];
    assert!(record.is_valid(), "{:?}", errors(record));
    let Body::Candidate(body) = &record.body else {
        panic!("candidate")
    };
    let body = &body.value();
    // Serial 31622 counted from 1904 (it would be 1986-07-29 counted from 1900).
    assert_eq!(body["generalSetting"]["DOB"], json!("1990-07-30"));
}

/// A workbook with what Excel does to data: identifiers typed as numbers, a formula cell, an
/// error cell, merged cells and a hidden sheet.
fn damaged_workbook(path: &Path) {
    use rust_xlsxwriter::{Formula, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Workers").expect("name");
    let headers = [
        "Agency Ref",
        "Forename",
        "Surname",
        "Date of Birth",
        "NI Number",
        "Address Line 1",
        "City",
        "Postcode",
        "Email",
        "Pay Frequency",
        "Payment Model",
        "Sort Code",
        "Account Number",
        "Mobile",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for r in 1..=3u32 {
        let texts = [
            format!("XL-{r}"),
            "Sam".into(),
            "Jones".into(),
            "1990-05-15".into(),
            format!("AB12345{r}A"),
            "1 Road".into(),
            "York".into(),
            "YO1 7HH".into(),
            format!("sam{r}@example.com"),
            "Weekly".into(),
            "PAYE".into(),
        ];
        for (c, t) in texts.iter().enumerate() {
            sheet.write_string(r, c as u16, t).expect("cell");
        }
        sheet.write_string(r, 11, "601613").expect("sort");
        sheet.write_string(r, 12, "31926819").expect("account");
    }
    // Row 2: the sort code typed as a number (leading zero lost), mobile as a number.
    sheet.write_number(1, 11, 12345.0).expect("sort");
    sheet.write_number(1, 13, 7_700_900_123.0).expect("mobile");
    // Row 3: the email from a formula (cached value read), the surname an error.
    sheet
        .write_formula(
            2,
            8,
            Formula::new("=LOWER(\"SAM2@EXAMPLE.COM\")").set_result("sam2@example.com"),
        )
        .expect("formula");
    sheet
        .write_formula(2, 2, Formula::new("=#REF!").set_result("#REF!"))
        .expect("error");
    // Row 4: Pay Frequency merged down over rows 4 and 5 (row 5 otherwise empty but a name).
    sheet
        .merge_range(3, 9, 4, 9, "Weekly", &rust_xlsxwriter::Format::new())
        .expect("merge");
    let hidden = book.add_worksheet();
    hidden.set_name("Old workers").expect("name");
    hidden.write_string(0, 0, "Agency Ref").expect("cell");
    hidden.set_hidden(true);
    book.save(path).expect("save");
}

#[test]
fn excel_damage_is_reported_precisely() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("damaged.xlsx");
    damaged_workbook(&path);
    let batch = load_batch(&[path], &opts()).expect("readable");
    let notes: Vec<&str> = batch.findings.iter().map(|f| f.finding.code).collect();
    assert!(notes.contains(&"sheet.hidden"), "{notes:?}");
    assert!(notes.contains(&"sheet.merged_cells"), "{notes:?}");
    let on = |row: u32| -> Vec<(&str, Option<&str>)> {
        batch
            .records
            .iter()
            .find(|r| r.provenance[0].row == row)
            .map(|r| {
                r.findings
                    .iter()
                    .map(|f| (f.finding.code, f.column.as_deref()))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Row 2: both lost a leading zero that can only have been there: repaired, with warnings.
    assert_eq!(
        on(2),
        [
            ("phone.repaired", Some("N")),
            ("sort_code.repaired", Some("L"))
        ]
    );
    assert_eq!(on(3), [("cell.error", Some("C"))]);
    let row3 = batch.records.iter().find(|r| r.provenance[0].row == 3);
    let Some(Body::Candidate(body)) = row3.map(|r| &r.body) else {
        panic!("row 3")
    };
    let body = &body.value();
    assert_eq!(body["generalSetting"]["email"], json!("sam2@example.com"));
    assert!(on(4).is_empty(), "{:?}", on(4));
    // Row 5 holds only the merged Pay Frequency: every required cell but that one is missing.
    assert!(on(5).iter().all(|(code, _)| *code == "required.missing"));
    assert!(!on(5).iter().any(|(_, col)| *col == Some("J")));

    // --strict: reported, not repaired.
    let strict = ReadOptions {
        strict: true,
        ..opts()
    };
    let strict = load_batch(&[dir.path().join("damaged.xlsx")], &strict).expect("readable");
    let row2: Vec<_> = strict
        .records
        .iter()
        .find(|r| r.provenance[0].row == 2)
        .map(|r| r.findings.iter().map(|f| f.finding.code).collect())
        .unwrap_or_default();
    assert_eq!(row2, ["phone.lost_zero", "sort_code.lost_zero"]);
}

#[test]
fn a_csv_fix_file_from_several_sources_is_one_file_per_source() {
    use nxsys_etl::report::fixfile;
    let dir = tempfile::tempdir().expect("dir");
    let rates = write(
        dir.path(),
        "rates.csv",
        "Code,Description,Type,Units\nPR1,Basic,Rate,Fortnightly\n",
    );
    let ts = write(
        dir.path(),
        "hours.csv",
        "Agency Ref,Tax Year,Tax Period,Pay Code,Rate,Units\nAG-1,2025,1,PR1,=1+1,3\n",
    );
    let batch = load_batch(&[rates, ts], &opts()).expect("readable");
    let failing: Vec<_> = batch
        .records
        .iter()
        .filter(|r| !r.is_valid())
        .flat_map(|r| {
            r.provenance
                .iter()
                .map(|p| (p.clone(), r.findings.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(failing.len(), 2);
    let written = fixfile::write(&dir.path().join("fix.csv"), &failing).expect("written");
    let names: Vec<(String, usize)> = written
        .iter()
        .filter_map(|(p, rows)| Some((p.file_name()?.to_str()?.to_string(), *rows)))
        .collect();
    // Each file counts its own rows, not every entity's.
    assert_eq!(
        names,
        [
            ("fix-rates.csv".to_string(), 1),
            ("fix-hours.csv".to_string(), 1)
        ]
    );
    let hours = std::fs::read_to_string(&written[1].0).expect("read");
    // The formula-like cell is neutralised so a spreadsheet does not run it.
    assert!(hours.contains("AG-1,2025,1,PR1,'=1+1,3,"), "{hours}");
}

#[test]
fn an_output_folder_that_does_not_exist_is_refused_before_reading() {
    let dir = tempfile::tempdir().expect("dir");
    for flag in ["--report", "--fix-file"] {
        let out = nxsys()
            .arg("validate")
            .args(sample_csvs())
            .arg(flag)
            .arg(dir.path().join("no-such-folder").join("out.xlsx"))
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains("no-such-folder") && stderr.contains("does not exist"),
            "{stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "nothing validated before the refusal"
        );
    }
}

#[test]
fn each_csv_fix_file_states_its_own_row_count() {
    let dir = tempfile::tempdir().expect("dir");
    let with_errors: Vec<PathBuf> = sample_csvs()
        .iter()
        .map(|p| {
            samples()
                .join("with-errors")
                .join(p.file_name().expect("name"))
        })
        .collect();
    let out = nxsys()
        .arg("validate")
        .args(&with_errors)
        .arg("--fix-file")
        .arg(dir.path().join("fix.csv"))
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("Failing rows written to "))
        .collect();
    assert!(lines.len() > 1, "one file per entity: {stdout}");
    for line in lines {
        let rest = line.trim_start_matches("Failing rows written to ");
        let (path, count) = rest.split_once(" (").expect("a count");
        let claimed: usize = count
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a number");
        let rows = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .expect("fix file")
            .records()
            .count();
        assert_eq!(claimed, rows, "{line}");
    }
}

#[test]
fn an_empty_batch_says_there_is_nothing_to_import() {
    let dir = tempfile::tempdir().expect("dir");
    // A fresh template: a header row and the example row, which is skipped.
    let made = nxsys()
        .args(["template", "candidates", "-o"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(made.status.success());
    let empty = dir.path().join("candidates.xlsx");
    let out = nxsys().arg("validate").arg(&empty).output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Nothing to import"), "{stdout}");
    assert!(!stdout.contains("every row can be imported"), "{stdout}");
}
