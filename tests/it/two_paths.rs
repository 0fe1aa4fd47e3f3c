//! Validation on several threads says exactly what it says on one (`NXSYS_THREADS=1`): the same
//! findings in the same order, the same counts, report and fix files, byte for byte. The
//! batches are generated with planted mistakes; the workbooks are then edited as XML to hold
//! what the streamed reader must hand to the range path (cells out of order, merged cells) or
//! refuse the same way (a sheet spanning too many cells). (CSV files are read on one thread:
//! a second one for their cell rules was tried and did not pay off, see BENCHMARKS.md.)

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use nxsys_etl::synth::{Format, Spec, Summary, generate};

/// Everything one run of `validate` wrote: exit code, stdout, stderr, and every output file.
#[derive(Debug, PartialEq, Eq)]
struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    files: Vec<(String, Vec<u8>)>,
}

fn validate(threads: &str, files: &[PathBuf], out: &Path) -> Output {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).expect("output folder");
    let result = Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
        .env("NXSYS_THREADS", threads)
        .env("NO_COLOR", "1")
        .arg("--json")
        .arg("validate")
        .arg("--report")
        .arg(out.join("report.csv"))
        .arg("--fix-file")
        .arg(out.join("fix.csv"))
        .args(files)
        .output()
        .expect("runs");
    let mut written: Vec<(String, Vec<u8>)> = std::fs::read_dir(out)
        .expect("listed")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            (
                name.unwrap_or_default(),
                std::fs::read(&path).expect("read"),
            )
        })
        .collect();
    written.sort();
    Output {
        code: result.status.code(),
        stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
        files: written,
    }
}

/// Validate on one thread and on two; both must say the same. Returns what they said.
fn same_on_one_and_two_threads(files: &[PathBuf], scratch: &Path) -> Output {
    let one = validate("1", files, &scratch.join("one"));
    let two = validate("2", files, &scratch.join("two"));
    assert_eq!(one.code, two.code, "exit codes; one thread: {}", one.stderr);
    assert_eq!(one.stderr, two.stderr);
    assert!(
        one.stdout == two.stdout,
        "stdout differs:\n{}\n---\n{}",
        one.stdout,
        two.stdout
    );
    assert_eq!(one.files, two.files, "report and fix files");
    one
}

fn batch(dir: &Path, format: Format, lines: u64, seed: u64) -> Summary {
    let spec = Spec {
        workers: 60,
        pay_codes: 12,
        timesheet_lines: lines,
        timesheets: None,
        error_share: 0.08,
        seed,
        format,
    };
    generate(&spec, dir).expect("generated")
}

/// Rewrite the first worksheet of an xlsx file with `edit`.
fn edit_sheet(path: &Path, mut edit: impl FnMut(&str) -> String) {
    let bytes = std::fs::read(path).expect("read");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).expect("part");
        let name = part.name().expect("part name").to_string();
        let mut data = Vec::new();
        part.read_to_end(&mut data).expect("inflate");
        if name == "xl/worksheets/sheet1.xml" {
            data = edit(&String::from_utf8(data).expect("utf-8")).into_bytes();
        }
        parts.push((name, data));
    }
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    for (name, data) in parts {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start");
        zip.write_all(&data).expect("write");
    }
    zip.finish().expect("finish");
}

/// The sheet's `<row>` elements, and the text before and after them.
fn rows_of(xml: &str) -> (String, Vec<String>, String) {
    let start = xml.find("<row ").expect("a row");
    let end = xml.rfind("</row>").expect("a row end") + "</row>".len();
    let rows = xml[start..end]
        .split_inclusive("</row>")
        .map(str::to_string)
        .collect();
    (xml[..start].to_string(), rows, xml[end..].to_string())
}

fn findings_in(output: &Output) -> usize {
    output.stdout.matches("\"code\"").count()
}

#[test]
fn a_workbook_batch_with_planted_mistakes_reads_the_same_on_one_and_two_threads() {
    let dir = tempfile::tempdir().expect("dir");
    let summary = batch(&dir.path().join("in"), Format::Xlsx, 3_000, 11);
    assert!(summary.planted > 20, "{summary:?}");
    let out = same_on_one_and_two_threads(&summary.files, dir.path());
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(findings_in(&out) > 20, "{}", out.stdout);
}

/// xlsx lets rows and cells come in any order; the range path sorts them into place, so a
/// streamed sheet whose rows or cells come out of order is read again through it.
#[test]
fn rows_and_cells_out_of_order_give_what_the_sorted_sheet_gives() {
    for swap_cells in [false, true] {
        let dir = tempfile::tempdir().expect("dir");
        let summary = batch(&dir.path().join("in"), Format::Xlsx, 400, 5);
        let timesheets = summary.files.get(2).expect("timesheets file").clone();
        edit_sheet(&timesheets, |xml| {
            let (head, mut rows, tail) = rows_of(xml);
            if swap_cells {
                // Row 3's first two cells in the other order.
                let row = &mut rows[2];
                let first = row.find("<c ").expect("cell");
                let second = first + 1 + row[first + 1..].find("<c ").expect("cell");
                let third = second + 1 + row[second + 1..].find("<c ").expect("cell");
                let swapped = format!("{}{}", &row[second..third], &row[first..second]);
                row.replace_range(first..third, &swapped);
            } else {
                // Rows 2–4 moved to the end: their timesheets would be split if read in
                // document order.
                let moved: Vec<String> = rows.drain(1..4).collect();
                rows.extend(moved);
            }
            format!("{head}{}{tail}", rows.concat())
        });
        let out = same_on_one_and_two_threads(&summary.files, dir.path());
        assert_eq!(out.code, Some(1), "{}", out.stderr);
    }
}

/// A workbook with merged cells is read through the range path, which spreads their value.
#[test]
fn merged_cells_are_spread_on_both_paths() {
    let dir = tempfile::tempdir().expect("dir");
    let summary = batch(&dir.path().join("in"), Format::Xlsx, 300, 8);
    let timesheets = summary.files.get(2).expect("timesheets file").clone();
    edit_sheet(&timesheets, |xml| {
        xml.replacen(
            "</sheetData>",
            "</sheetData><mergeCells count=\"1\"><mergeCell ref=\"A3:A5\"/></mergeCells>",
            1,
        )
    });
    let out = same_on_one_and_two_threads(&summary.files, dir.path());
    assert!(out.stdout.contains("sheet.merged_cells"), "{}", out.stdout);
}

/// A stray cell at XFD1048576 is refused with the same message on both paths.
#[test]
fn an_oversized_sheet_is_refused_the_same_way() {
    let dir = tempfile::tempdir().expect("dir");
    let summary = batch(&dir.path().join("in"), Format::Xlsx, 300, 9);
    let timesheets = summary.files.get(2).expect("timesheets file").clone();
    edit_sheet(&timesheets, |xml| {
        xml.replacen(
            "</sheetData>",
            "<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row></sheetData>",
            1,
        )
    });
    let out = same_on_one_and_two_threads(&summary.files, dir.path());
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(out.stderr.contains("XFD1048576"), "{}", out.stderr);
}
