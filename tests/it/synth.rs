//! The synthetic batch generator: valid by construction, planted mistakes reported at their
//! cells, deterministic from the seed; and the hidden `gen-batch` command.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use nxsys_etl::model::{CellFinding, Entity};
use nxsys_etl::schema::{ReadOptions, ValidationSummary, validate_files};
use nxsys_etl::synth::{Format, Spec, Summary, generate};

fn validate(summary: &Summary) -> (ValidationSummary, Vec<CellFinding>) {
    let opts = ReadOptions::embedded();
    let mut findings = Vec::new();
    let result = validate_files(&summary.files, &opts, |record| {
        findings.extend(record.findings.iter().cloned())
    })
    .expect("the batch is readable");
    (result, findings)
}

fn spec(format: Format, error_share: f64) -> Spec {
    Spec {
        workers: 150,
        pay_codes: 23,
        timesheet_lines: 1_200,
        timesheets: None,
        error_share,
        seed: 42,
        format,
    }
}

/// (file name, row, header, code) of every planted mistake.
fn planted(summary: &Summary) -> BTreeSet<(String, u32, String, String)> {
    let mut reader = csv::Reader::from_path(&summary.manifest).expect("manifest");
    reader
        .records()
        .map(|r| {
            let r = r.expect("manifest row");
            (
                r[0].to_string(),
                r[1].parse().expect("row number"),
                r[2].to_string(),
                r[3].to_string(),
            )
        })
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn assert_clean(format: Format) {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = generate(&spec(format, 0.0), dir.path()).expect("generated");
    assert_eq!(summary.lines, 1_200);
    assert_eq!(summary.planted, 0);
    let (result, findings) = validate(&summary);
    let problems: Vec<String> = result
        .findings
        .iter()
        .chain(&findings)
        .map(|f| format!("{}: {}", f.location(), f.finding.message))
        .collect();
    assert!(
        problems.is_empty(),
        "{format:?} batch not clean:\n{}",
        problems.join("\n")
    );
    let count = |e: Entity| result.counts.get(&e).map(|c| (c.rows, c.invalid));
    assert_eq!(count(Entity::Candidates), Some((150, 0)));
    assert_eq!(count(Entity::PaymentRates), Some((23, 0)));
    assert_eq!(count(Entity::Timesheets), Some((1_200, 0)));
}

#[test]
fn a_clean_csv_batch_validates_without_a_single_finding() {
    assert_clean(Format::Csv);
}

#[test]
fn a_clean_xlsx_batch_validates_without_a_single_finding() {
    assert_clean(Format::Xlsx);
}

#[test]
fn every_planted_mistake_is_reported_at_its_cell_and_nothing_else_is() {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = generate(&spec(Format::Csv, 0.1), dir.path()).expect("generated");
    let expected = planted(&summary);
    let rows = 150 + 23 + 1_200;
    // 10 % of 1,373 rows: well inside 5 %–15 % for any fair draw.
    assert!(
        (rows / 20..rows * 3 / 20).contains(&(expected.len() as u64)),
        "{} planted of {rows}",
        expected.len()
    );
    assert_eq!(expected.len() as u64, summary.planted);
    let (_, findings) = validate(&summary);
    let errors: BTreeSet<(String, u32, String, String)> = findings
        .iter()
        .filter(|f| f.is_error())
        .map(|f| {
            (
                file_name(&f.file),
                f.row.unwrap_or(0),
                f.header.clone().unwrap_or_default(),
                f.finding.code.to_string(),
            )
        })
        .collect();
    let missed: Vec<_> = expected.difference(&errors).collect();
    let unexpected: Vec<_> = errors.difference(&expected).collect();
    assert!(missed.is_empty(), "planted but not reported: {missed:?}");
    assert!(
        unexpected.is_empty(),
        "reported but not planted: {unexpected:?}"
    );
    let kinds: BTreeSet<&str> = expected.iter().map(|p| p.3.as_str()).collect();
    assert!(kinds.len() >= 5, "too few kinds of mistake: {kinds:?}");
}

#[test]
fn the_same_seed_writes_the_same_bytes_and_planting_touches_only_planted_cells() {
    let (a, b, c) = (
        tempfile::tempdir(),
        tempfile::tempdir(),
        tempfile::tempdir(),
    );
    let (a, b, c) = (a.expect("dir"), b.expect("dir"), c.expect("dir"));
    generate(&spec(Format::Csv, 0.0), a.path()).expect("generated");
    generate(&spec(Format::Csv, 0.0), b.path()).expect("generated");
    let spoilt = generate(&spec(Format::Csv, 0.1), c.path()).expect("generated");
    let read = |dir: &Path, name: &str| std::fs::read_to_string(dir.join(name)).expect("file");
    for name in ["candidates.csv", "payment-rates.csv", "timesheets.csv"] {
        assert_eq!(read(a.path(), name), read(b.path(), name), "{name} differs");
    }
    let other = tempfile::tempdir().expect("dir");
    generate(
        &Spec {
            seed: 43,
            ..spec(Format::Csv, 0.0)
        },
        other.path(),
    )
    .expect("generated");
    assert_ne!(
        read(a.path(), "timesheets.csv"),
        read(other.path(), "timesheets.csv")
    );

    // Cells that differ between the clean and the spoilt batch are exactly the planted ones.
    let marks = planted(&spoilt);
    let mut differing = BTreeSet::new();
    for (file, dir_clean, dir_bad) in [
        ("candidates.csv", a.path(), c.path()),
        ("payment-rates.csv", a.path(), c.path()),
        ("timesheets.csv", a.path(), c.path()),
    ] {
        let mut r1 = csv::Reader::from_path(dir_clean.join(file)).expect("csv");
        let mut r2 = csv::Reader::from_path(dir_bad.join(file)).expect("csv");
        let headers = r1.headers().expect("headers").clone();
        for (i, (x, y)) in r1.records().zip(r2.records()).enumerate() {
            let (x, y) = (x.expect("row"), y.expect("row"));
            for (col, (u, v)) in x.iter().zip(y.iter()).enumerate() {
                if u != v {
                    differing.insert((file.to_string(), i as u32 + 2, headers[col].to_string()));
                }
            }
        }
    }
    let expected: BTreeSet<_> = marks.into_iter().map(|(f, r, h, _)| (f, r, h)).collect();
    assert_eq!(differing, expected);
}

#[test]
fn an_exact_timesheet_count_spreads_the_lines_evenly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = Spec {
        workers: 40,
        pay_codes: 10,
        timesheet_lines: 250,
        timesheets: Some(100),
        ..Spec::default()
    };
    let summary = generate(&spec, dir.path()).expect("generated");
    assert_eq!((summary.timesheets, summary.lines), (100, 250));
    let (result, _) = validate(&summary);
    assert!(!result.has_errors());
}

#[test]
fn gen_batch_writes_a_batch_and_refuses_an_impossible_one() {
    let exe = env!("CARGO_BIN_EXE_nxsys-etl");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(exe)
        .args(["--json", "gen-batch", "--workers", "5", "--pay-codes", "3"])
        .args(["--timesheet-lines", "20", "--seed", "7", "-o"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(json["timesheet_lines"], 20);
    assert!(dir.path().join("timesheets.csv").is_file());

    let out = Command::new(exe)
        .args([
            "gen-batch",
            "--workers",
            "5",
            "--pay-codes",
            "1",
            "--timesheet-lines",
            "20",
        ])
        .args(["--timesheets", "5", "-o"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("4 lines a timesheet"), "{stderr}");

    let help = Command::new(exe).arg("--help").output().expect("runs");
    assert!(
        !String::from_utf8_lossy(&help.stdout).contains("gen-batch"),
        "must stay hidden"
    );
}
