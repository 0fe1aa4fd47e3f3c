//! Every kind of workbook the tool writes, printed to PDF by LibreOffice and read back as text
//! (`pdftotext`): no `###` (a number too wide for its column), every header whole, the grand
//! totals present. What an auditor sees on paper, checked.
//!
//! Needs LibreOffice (`soffice`) and poppler-utils (`pdftotext`). Without them the test is
//! skipped with a notice on a developer's machine, and FAILS when `CI=true`: `.ci/run` installs
//! both, so a check that cannot run never passes silently in CI.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use calamine::{Data, Reader, SheetVisible, open_workbook_auto};

/// The tools the rendered checks need, or `None` (skip) outside CI. Panics in CI when missing.
pub fn renderer() -> Option<&'static str> {
    let found = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    let soffice = ["soffice", "libreoffice"]
        .into_iter()
        .find(|cmd| found(cmd, "--version"));
    let poppler = found("pdftotext", "-v") && found("pdftoppm", "-v");
    match soffice {
        Some(soffice) if poppler => Some(soffice),
        _ => {
            let missing = "LibreOffice (soffice) and poppler-utils (pdftotext, pdftoppm)";
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!(
                    "CI=true but {missing} are not both installed: the rendered checks cannot \
                     run. Install them (apt-get install libreoffice-calc-nogui poppler-utils); \
                     .ci/run does this on a fresh machine."
                );
            }
            eprintln!("notice: {missing} not installed; skipping the rendered checks");
            None
        }
    }
}

/// Convert `files` to PDF in one LibreOffice start (it is slow to start) into `out`.
pub fn to_pdf(soffice: &str, files: &[PathBuf], out: &Path) {
    convert(soffice, files, "pdf", None, out);
}

/// Open `files` in LibreOffice and save them with export filter `to` (`pdf`, `csv`, `xlsx`, or a
/// full filter string) into `out`, in one start, with a profile of its own so tests may convert
/// at once. `infilter` says how to read CSV input. Fails the test when LibreOffice fails;
/// returns what it printed on stderr.
pub fn convert(
    soffice: &str,
    files: &[PathBuf],
    to: &str,
    infilter: Option<&str>,
    out: &Path,
) -> String {
    let profile = tempfile::tempdir().expect("LibreOffice profile folder");
    let mut command = Command::new(soffice);
    command
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--norestore"]);
    if let Some(infilter) = infilter {
        command.arg(format!("--infilter={infilter}"));
    }
    let result = command
        .args(["--convert-to", to, "--outdir"])
        .arg(out)
        .args(files)
        .env("HOME", profile.path())
        .output()
        .expect("soffice runs");
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(
        result.status.success(),
        "LibreOffice could not convert {files:?}: {stderr}"
    );
    stderr
}

fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Spaces squeezed, so a header reads the same however the PDF spaced it.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each visible sheet's header row (row 1) and the text of its `Total` rows' numbers, as the
/// workbook holds them.
fn headers_and_totals(book: &Path) -> (Vec<String>, Vec<f64>) {
    let mut workbook = open_workbook_auto(book).expect("workbook opens");
    let visible: Vec<String> = workbook
        .sheets_metadata()
        .iter()
        .filter(|s| s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect();
    let mut headers = Vec::new();
    let mut totals = Vec::new();
    for name in visible {
        let range = workbook.worksheet_range(&name).expect("sheet");
        if let Some(first) = range.rows().next() {
            for cell in first {
                if let Data::String(s) = cell {
                    // One line of a multi-line cell is printed whole on its own.
                    headers.extend(s.lines().map(str::to_string).filter(|l| !l.is_empty()));
                }
            }
        }
        for row in range.rows() {
            if matches!(row.first(), Some(Data::String(s)) if s == "Total") {
                totals.extend(row.iter().filter_map(|c| match c {
                    Data::Float(f) if *f != 0.0 => Some(*f),
                    _ => None,
                }));
            }
        }
    }
    (headers, totals)
}

/// `1234.5` as the sheet's `#,##0.00` shows it.
fn money(value: f64) -> String {
    let text = format!("{value:.2}");
    let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
    let (sign, digits) = whole.strip_prefix('-').map_or(("", whole), |d| ("-", d));
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{cents}")
}

fn nxsys(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
        .current_dir(dir)
        .env("NXSYS_CONFIG", dir.join("config.toml"))
        .env("NXSYS_TOKEN_STORE", dir.join("tokens.json"))
        .env_remove("NXSYS_PROFILE")
        .args(["--no-progress", "--state-dir"])
        .arg(dir.join("state"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("nxsys-etl runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "nxsys-etl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn every_report_prints_without_hashes_cut_headers_or_missing_totals() {
    let Some(soffice) = renderer() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    std::fs::write(d.join("config.toml"), "").expect("config");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let with_errors: Vec<String> = [
        "candidates.csv",
        "candidates-ie.csv",
        "payment-rates.csv",
        "timesheets.csv",
    ]
    .iter()
    .map(|f| samples.join("with-errors").join(f).display().to_string())
    .collect();
    let errs: Vec<&str> = with_errors.iter().map(String::as_str).collect();

    // A clean run and the payslip export (the demo), a run with errors and its fix file, a
    // validation report, the templates.
    nxsys(d, &["demo", "--out", "demo"]);
    let mut import = vec!["import", "--sandbox", "--report", "errors.xlsx"];
    import.extend(["--fix-file", "fix.xlsx"]);
    import.extend(&errs);
    nxsys(d, &import);
    let mut validate = vec!["validate", "--report", "findings.xlsx"];
    validate.extend(&errs);
    nxsys(d, &validate);
    nxsys(d, &["template", "all", "-o", "templates"]);

    let clean = std::fs::read_dir(d.join("demo"))
        .expect("demo folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("nxsys-run-") && n.ends_with(".xlsx"))
        })
        .expect("the demo's reconciliation report");
    let mut books: Vec<(&str, PathBuf)> = vec![
        ("reconciliation, clean", clean),
        ("reconciliation, with errors", d.join("errors.xlsx")),
        ("fix file", d.join("fix.xlsx")),
        ("validation report", d.join("findings.xlsx")),
        ("payslip export", d.join("demo").join("payslips.xlsx")),
    ];
    for entity in ["candidates", "candidates-ie", "payment-rates", "timesheets"] {
        books.push((entity, d.join("templates").join(format!("{entity}.xlsx"))));
    }
    // Unique file names for the PDFs.
    let pdfs = d.join("pdf");
    std::fs::create_dir_all(&pdfs).expect("pdf folder");
    let mut copies = Vec::new();
    for (i, (_, book)) in books.iter().enumerate() {
        let copy = pdfs.join(format!("book{i}.xlsx"));
        std::fs::copy(book, &copy).expect("copy");
        copies.push(copy);
    }
    to_pdf(soffice, &copies, &pdfs);

    let mut problems = Vec::new();
    for ((kind, book), copy) in books.iter().zip(&copies) {
        let text = pdf_text(&copy.with_extension("pdf"));
        let flat = squeeze(&text);
        if text.contains("###") {
            problems.push(format!(
                "{kind}: `###` printed (a column too narrow for a number)"
            ));
        }
        let (headers, totals) = headers_and_totals(book);
        for header in headers {
            if !flat.contains(&squeeze(&header)) {
                problems.push(format!("{kind}: header `{header}` not printed whole"));
            }
        }
        for total in totals {
            let shown = money(total);
            let plain = format!("{total}");
            if !flat.contains(&shown) && !flat.contains(&plain) {
                problems.push(format!("{kind}: total {shown} not printed"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The clean run's Summary states the money totals, and the Balanced total is whole.
    let clean_text = squeeze(&pdf_text(&copies[0].with_extension("pdf")));
    for words in [
        "Timesheet totals",
        "Acknowledged by the API",
        "Read back from the API",
    ] {
        assert!(clean_text.contains(words), "the Summary shows `{words}`");
    }
    assert!(clean_text.contains("240 of 240"), "Balanced total whole");
}
