//! Reading, validating and mapping spreadsheets: the library entry points (`load_batch`,
//! `validate_files`), the fix file, templates, samples and the `validate` command.

use std::path::{Path, PathBuf};

use nxsys_etl::rules::Enums;
use nxsys_etl::schema::record::{PayRef, WorkerRef};
use nxsys_etl::schema::{Body, Entity, ReadOptions, Record, load_batch};
use rust_decimal::Decimal;
use serde_json::json;

fn opts() -> ReadOptions {
    ReadOptions {
        entity: None,
        mapping: None,
        enums: Enums::embedded(),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

const CANDIDATES: &str = "\
Agency Ref,Title,Forename,Surname,Date of Birth,NI Number,Address Line 1,Address Line 2,City,Postcode,Email,Pay Frequency,Payment Model,Sort Code,Account Number
AG-001,Mr,Michael,Smith,1990-05-15,QQ123456C,1 High Street,Flat 2,London,SW1A 1AA,m.smith@example.com,Weekly,PAYE,60-16-13,31926819
AG-002,Ms,Ann,Jones,15/06/1985,QQ 12 34 57 A,2 Low Road,,Leeds,LS1 4DY,ann@example.com,Weekly,PAYE,601613,31926819
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
    assert_eq!(body["generalSetting"]["NINumber"], json!("QQ123456C"));
    assert_eq!(
        body["generalSetting"]["address"],
        json!(["1 High Street", "Flat 2"])
    );
    assert_eq!(body["generalSetting"]["title"], json!("MR"));
    assert_eq!(body["generalSetting"]["payFrequency"], json!("WEEKLY"));
    // Sort codes are normalised (dashes removed) by the sort-code rule.
    assert_eq!(uk[1].provenance[0].row, 3);

    let ie = by_entity(&batch.records, Entity::CandidatesIe);
    assert_eq!(ie.len(), 1);
    let Body::Candidate(body) = &ie[0].body else {
        panic!("candidate body")
    };
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
    assert_eq!(body["code"], json!("PR200"));
    assert_eq!(body["units"], json!("HOURLY"));
    // Yes/No columns become booleans through the bool rule.
    assert_eq!(body["defaultVATCode"], json!("S"));

    let sheets = by_entity(&batch.records, Entity::Timesheets);
    let keys: Vec<&str> = sheets.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["AG-001|2025|1", "AG-002|2025|1", "AG-001|2025|2"]);
    let Body::Timesheet(draft) = &sheets[0].body else {
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

#[test]
fn batch_problems_point_at_their_cells() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dup = format!(
        "{CANDIDATES}AG-001,Mr,Tom,Smith,1990-05-15,QQ123456C,1 High Street,,London,SW1A 1AA,t@example.com,Weekly,PAYE,601613,31926819\n"
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
