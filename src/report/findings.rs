//! The list of findings of a validation, as xlsx or CSV (`--report`), and the human summary
//! `validate` prints: counts per entity, then findings grouped by rule code.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Color, Format, FormatAlign, Workbook};

use crate::model::CellFinding;
use crate::model::Severity;
use crate::schema::ValidationSummary;
use crate::writing::{fit_excel_cell, neutralise_csv};

/// A report file that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {}: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {message}", file.display())]
    Xlsx { file: PathBuf, message: String },
    #[error("{}: write the report as .xlsx or .csv", file.display())]
    Format { file: PathBuf },
}

/// The output format a file name asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutFormat {
    Xlsx,
    Csv,
}

impl OutFormat {
    /// From the extension: `.xlsx` or `.csv`.
    pub fn of(path: &Path) -> Result<OutFormat, ReportError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("xlsx") => Ok(OutFormat::Xlsx),
            Some("csv") => Ok(OutFormat::Csv),
            _ => Err(ReportError::Format {
                file: path.to_path_buf(),
            }),
        }
    }
}

const HEADERS: [&str; 8] = [
    "File", "Sheet", "Row", "Column", "Header", "Severity", "Code", "Message",
];

fn fields(f: &CellFinding) -> [String; 8] {
    [
        f.file.display().to_string(),
        f.sheet.as_deref().unwrap_or_default().to_string(),
        f.row.map(|r| r.to_string()).unwrap_or_default(),
        f.column.clone().unwrap_or_default(),
        f.header.clone().unwrap_or_default(),
        severity(f.finding.severity).to_string(),
        f.finding.code.to_string(),
        f.finding.message.clone(),
    ]
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Write every finding to `out` (.xlsx or .csv).
pub fn write(out: &Path, findings: &[CellFinding]) -> Result<(), ReportError> {
    match OutFormat::of(out)? {
        OutFormat::Csv => write_csv(out, findings),
        OutFormat::Xlsx => write_xlsx(out, findings),
    }
}

fn write_csv(out: &Path, findings: &[CellFinding]) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        file: out.to_path_buf(),
        source,
    };
    let mut w = csv::Writer::from_path(out).map_err(|e| io(e.into()))?;
    w.write_record(HEADERS).map_err(|e| io(e.into()))?;
    for f in findings {
        let row = fields(f);
        w.write_record(row.iter().map(|c| neutralise_csv(c).into_owned()))
            .map_err(|e| io(e.into()))?;
    }
    w.flush().map_err(io)
}

/// Width of the (wrapped) Message column, in characters.
const MESSAGE_WIDTH: usize = 90;

fn write_xlsx(out: &Path, findings: &[CellFinding]) -> Result<(), ReportError> {
    let xlsx = |e: rust_xlsxwriter::XlsxError| ReportError::Xlsx {
        file: out.to_path_buf(),
        message: e.to_string(),
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Findings").map_err(xlsx)?;
    let bold = Format::new().set_bold();
    let error = Format::new()
        .set_font_color(Color::RGB(0x9C0006))
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    // Row numbers and column letters centred, so "2" and "G" do not read as "2G".
    let centre = Format::new()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::Top);
    let top = Format::new().set_align(FormatAlign::Top);
    for (c, h) in HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xlsx)?;
    }
    for (i, f) in findings.iter().enumerate() {
        let r = i as u32 + 1;
        for (c, value) in fields(f).iter().enumerate() {
            if c == 2 && f.row.is_some() {
                sheet
                    .write_number_with_format(
                        r,
                        c as u16,
                        f64::from(f.row.unwrap_or_default()),
                        &centre,
                    )
                    .map_err(xlsx)?;
            } else if c == 5 && f.is_error() {
                sheet
                    .write_string_with_format(r, c as u16, fit_excel_cell(value).as_ref(), &error)
                    .map_err(xlsx)?;
            } else {
                let format = match c {
                    3 => &centre,
                    7 => &wrap,
                    _ => &top,
                };
                sheet
                    .write_string_with_format(r, c as u16, fit_excel_cell(value).as_ref(), format)
                    .map_err(xlsx)?;
            }
        }
        if let Some(height) =
            crate::writing::wrapped_row_height([(f.finding.message.as_str(), MESSAGE_WIDTH as f64)])
        {
            sheet.set_row_height(r, height).map_err(xlsx)?;
        }
    }
    // The file column as wide as the longest path (within reason), the message wrapped.
    let file_width = findings
        .iter()
        .map(|f| f.file.display().to_string().chars().count() + 2)
        .max()
        .unwrap_or(0)
        .clamp(30, 70);
    for (c, width) in [file_width, 16, 8, 9, 22, 9, 26, MESSAGE_WIDTH]
        .iter()
        .enumerate()
    {
        sheet
            .set_column_width(c as u16, *width as f64)
            .map_err(xlsx)?;
    }
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0).map_err(xlsx)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    let last = findings.len() as u32;
    sheet.autofilter(0, 0, last, 7).map_err(xlsx)?;
    book.save(out).map_err(xlsx)
}

/// The human summary: counts per entity, then errors and warnings grouped by code, each group
/// capped at `cap` lines ("… and N more") unless `cap` is `None`.
pub fn render(summary: &ValidationSummary, findings: &[CellFinding], cap: Option<usize>) -> String {
    let mut out = String::new();
    let sheets = summary.sources.len();
    let files = summary
        .sources
        .iter()
        .map(|s| &s.file)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let _ = writeln!(
        out,
        "Read {sheets} sheet{} from {files} file{}.",
        plural(sheets),
        plural(files)
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<22} {:>8} {:>8} {:>8}",
        "", "rows", "valid", "invalid"
    );
    if summary.counts.is_empty() {
        let _ = writeln!(out, "  (no data rows)");
    }
    for (entity, c) in &summary.counts {
        let _ = writeln!(
            out,
            "  {:<22} {:>8} {:>8} {:>8}",
            entity.title(),
            c.rows,
            c.valid,
            c.invalid
        );
    }
    for (severity, title) in [(Severity::Error, "Errors"), (Severity::Warning, "Warnings")] {
        let mut groups: BTreeMap<&str, Vec<&CellFinding>> = BTreeMap::new();
        let all = summary.findings.iter().chain(findings);
        for f in all.filter(|f| f.finding.severity == severity) {
            groups.entry(f.finding.code).or_default().push(f);
        }
        if groups.is_empty() {
            continue;
        }
        let total: usize = groups.values().map(Vec::len).sum();
        let _ = writeln!(out, "\n{title} ({total}):");
        for (code, list) in groups {
            let _ = writeln!(out, "  {code} ({})", list.len());
            let shown = cap.unwrap_or(usize::MAX).min(list.len());
            for f in list.iter().take(shown) {
                let _ = writeln!(out, "    {f}");
            }
            if list.len() > shown {
                let _ = writeln!(out, "    … and {} more", list.len() - shown);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Entity;
    use crate::model::Finding;
    use crate::schema::Counts;

    fn finding(row: u32, code: &'static str, error: bool) -> CellFinding {
        CellFinding {
            file: std::path::Path::new("w.csv").into(),
            sheet: None,
            row: Some(row),
            column: Some("H".into()),
            header: Some("NI Number".into()),
            finding: if error {
                Finding::error(code, "bad")
            } else {
                Finding::warning(code, "odd")
            },
        }
    }

    #[test]
    fn groups_by_code_and_caps_long_lists() {
        let mut summary = ValidationSummary::default();
        summary.counts.insert(
            Entity::Candidates,
            Counts {
                rows: 5,
                valid: 2,
                invalid: 3,
            },
        );
        let findings: Vec<_> = (2..=5)
            .map(|r| finding(r, "ni_number.format", true))
            .chain([finding(6, "account_number.padded", false)])
            .collect();
        let text = render(&summary, &findings, Some(2));
        assert!(text.contains("Candidates (UK)"), "{text}");
        assert!(
            text.contains("Errors (4):\n  ni_number.format (4)\n"),
            "{text}"
        );
        assert!(
            text.contains("w.csv, row 2, column H (NI Number): bad"),
            "{text}"
        );
        assert!(text.contains("… and 2 more"), "{text}");
        assert!(text.contains("Warnings (1):"), "{text}");
        assert!(!render(&summary, &findings, None).contains("more"));
    }

    #[test]
    fn csv_report_is_neutralised_and_complete() {
        let dir = tempfile::tempdir().expect("dir");
        let out = dir.path().join("r.csv");
        let mut f = finding(2, "x.y", true);
        f.finding.message = "=cmd".into();
        write(&out, &[f]).expect("write");
        let text = std::fs::read_to_string(&out).expect("read");
        assert!(text.starts_with("File,Sheet,Row,Column,Header,Severity,Code,Message\n"));
        assert!(
            text.contains("w.csv,,2,H,NI Number,error,x.y,'=cmd"),
            "{text}"
        );
        assert!(write(&dir.path().join("r.txt"), &[]).is_err());
        write(&dir.path().join("r.xlsx"), &[finding(3, "a.b", false)]).expect("xlsx");
    }
}
