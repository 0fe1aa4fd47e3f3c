//! The fix file: the user's failing rows in their own columns, an error column added and the
//! bad cells highlighted; re-importable as is (the error column is ignored when read back). A
//! cell a rule repaired (a mobile or sort code that lost its leading zero) holds the value sent,
//! its note the value read.
//!
//! The sources are read again and the rows named by provenance copied, so `validate` and
//! `import` can both write one from whatever rows failed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Color, Format, Note, Workbook, Worksheet};

use super::findings::{OutFormat, ReportError};
use crate::model::{CellFinding, Provenance};
use crate::schema::detect;
use crate::schema::headers::ERROR_COLUMN;
use crate::source::{self, RowBuf, SheetReader, SourceError};
use crate::writing::{fit_excel_cell, neutralise_csv, wrapped_row_height};

/// Why a fix file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FixFileError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Write(#[from] ReportError),
    #[error("{}: sheet '{sheet}' is no longer in the file; validate again", file.display())]
    SheetGone { file: PathBuf, sheet: String },
}

/// The failing rows of one source sheet.
struct Source<'a> {
    file: &'a Path,
    sheet: Option<&'a str>,
    /// Row number → the findings on it.
    rows: BTreeMap<u32, Vec<&'a CellFinding>>,
}

/// A copied row: its cells, the bad cells (column index, message) and the error column text.
struct CopiedRow {
    cells: Vec<String>,
    bad: Vec<(usize, String)>,
    message: String,
}

/// A copied sheet: header and rows.
struct Copied {
    name: String,
    header: Vec<String>,
    rows: Vec<CopiedRow>,
}

/// Write the rows named in `failing` to `out` (.xlsx: one sheet per source sheet; .csv: one
/// file per source sheet, `out` itself when there is one). Returns the files written, each with
/// the number of rows it holds.
pub fn write(
    out: &Path,
    failing: &[(Provenance, Vec<CellFinding>)],
) -> Result<Vec<(PathBuf, usize)>, FixFileError> {
    let format = OutFormat::of(out)?;
    let mut sources: Vec<Source<'_>> = Vec::new();
    for (at, findings) in failing {
        let existing = sources
            .iter()
            .position(|s| s.file == &*at.file && s.sheet == at.sheet.as_deref());
        let index = existing.unwrap_or_else(|| {
            sources.push(Source {
                file: &at.file,
                sheet: at.sheet.as_deref(),
                rows: BTreeMap::new(),
            });
            sources.len() - 1
        });
        if let Some(source) = sources.get_mut(index) {
            source.rows.entry(at.row).or_default().extend(findings);
        }
    }
    let mut copied = Vec::new();
    let mut names = BTreeSet::new();
    for source in &sources {
        copied.push(copy(source, &mut names)?);
    }
    match format {
        OutFormat::Xlsx => {
            write_xlsx(out, &copied)?;
            let rows = copied.iter().map(|sheet| sheet.rows.len()).sum();
            Ok(vec![(out.to_path_buf(), rows)])
        }
        OutFormat::Csv => {
            let mut written = Vec::new();
            for sheet in &copied {
                let path = if copied.len() == 1 {
                    out.to_path_buf()
                } else {
                    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("fix");
                    out.with_file_name(format!("{stem}-{}.csv", sheet.name))
                };
                write_csv(&path, sheet)?;
                written.push((path, sheet.rows.len()));
            }
            Ok(written)
        }
    }
}

fn open_sheet(file: &Path, sheet: Option<&str>) -> Result<Box<dyn SheetReader>, FixFileError> {
    let opened = source::open(file)?;
    opened
        .sheets
        .into_iter()
        .find(|s| s.sheet() == sheet)
        .ok_or_else(|| FixFileError::SheetGone {
            file: file.to_path_buf(),
            sheet: sheet.unwrap_or_default().to_string(),
        })
}

fn copy(source: &Source<'_>, names: &mut BTreeSet<String>) -> Result<Copied, FixFileError> {
    let mut reader = open_sheet(source.file, source.sheet)?;
    // The header row: the first of the first rows that names two known columns, else the
    // first non-blank row (as when the batch was read).
    let mut lookahead = Vec::new();
    let mut header_at = None;
    while lookahead.len() < 20 {
        let mut buf = RowBuf::default();
        if !reader.next_row(&mut buf)? {
            break;
        }
        let score = detect::from_headers(&buf, None).map_or(0, |(_, s)| s);
        lookahead.push(buf);
        if score >= 2 {
            header_at = Some(lookahead.len() - 1);
            break;
        }
    }
    let header_at = header_at
        .or_else(|| lookahead.iter().position(|r| !r.is_blank()))
        .unwrap_or(0);
    let header: Vec<String> = lookahead
        .get(header_at)
        .map(|r| r.cells().map(|c| c.text.to_string()).collect())
        .unwrap_or_default();
    let mut rows = Vec::new();
    let mut take = |row: &RowBuf| {
        if let Some(findings) = source.rows.get(&row.row) {
            let mut cells: Vec<String> = row.cells().map(|c| c.text.to_string()).collect();
            let mut bad = Vec::new();
            let mut messages = Vec::new();
            for f in findings {
                let place = match (&f.column, &f.header) {
                    (Some(col), Some(h)) => format!("column {col} ({h}): "),
                    (Some(col), None) => format!("column {col}: "),
                    _ => String::new(),
                };
                messages.push(format!("{place}{}", f.finding.message));
                if let Some(i) = f.column.as_deref().and_then(source::column_index) {
                    bad.push((i, f.finding.message.clone()));
                    // A repaired cell holds the value sent (the note names the value read), so
                    // the corrected file validates without the repair.
                    if let (Some(sent), Some(cell)) = (&f.finding.sent, cells.get_mut(i)) {
                        cell.clone_from(sent);
                    }
                }
            }
            rows.push(CopiedRow {
                cells,
                bad,
                message: messages.join("\n"),
            });
        }
    };
    for row in lookahead.iter().skip(header_at + 1) {
        take(row);
    }
    let last = source.rows.keys().next_back().copied().unwrap_or(0);
    let mut buf = RowBuf::default();
    while buf.row < last && reader.next_row(&mut buf)? {
        take(&buf);
    }
    let base = source
        .sheet
        .map(str::to_string)
        .or_else(|| {
            source
                .file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "Rows".into());
    Ok(Copied {
        name: unique_name(&base, names),
        header,
        rows,
    })
}

/// A worksheet name Excel accepts (≤ 31 characters, none of `[]:*?/\`), unique in the file.
fn unique_name(base: &str, names: &mut BTreeSet<String>) -> String {
    let clean: String = base
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(28)
        .collect();
    let clean = if clean.trim().is_empty() {
        "Rows".to_string()
    } else {
        clean
    };
    let mut name = clean.clone();
    let mut n = 2;
    while !names.insert(name.to_lowercase()) {
        name = format!("{clean} {n}");
        n += 1;
    }
    name
}

fn write_csv(path: &Path, sheet: &Copied) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        file: path.to_path_buf(),
        source,
    };
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| io(e.into()))?;
    let width = sheet.header.len();
    let mut header = sheet.header.clone();
    header.push(ERROR_COLUMN.to_string());
    w.write_record(&header).map_err(|e| io(e.into()))?;
    for CopiedRow { cells, message, .. } in &sheet.rows {
        let mut record: Vec<String> = (0..width)
            .map(|i| neutralise_csv(cells.get(i).map_or("", String::as_str)).into_owned())
            .collect();
        record.push(neutralise_csv(message).into_owned());
        w.write_record(&record).map_err(|e| io(e.into()))?;
    }
    w.flush().map_err(io)
}

/// Width of the error column, in characters.
const ERROR_WIDTH: f64 = 80.0;

fn write_xlsx(out: &Path, sheets: &[Copied]) -> Result<(), ReportError> {
    let xlsx = |e: rust_xlsxwriter::XlsxError| ReportError::Xlsx {
        file: out.to_path_buf(),
        message: e.to_string(),
    };
    let mut book = Workbook::new();
    let text = Format::new().set_num_format("@");
    // Top-aligned like the wrapped error beside them, so a tall row reads from its top line.
    let cell = Format::new()
        .set_num_format("@")
        .set_align(rust_xlsxwriter::FormatAlign::Top);
    let bold = Format::new().set_bold().set_num_format("@");
    let highlight = Format::new()
        .set_num_format("@")
        .set_align(rust_xlsxwriter::FormatAlign::Top)
        .set_background_color(Color::RGB(0xFFC7CE))
        .set_font_color(Color::RGB(0x9C0006));
    let wrap = Format::new()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top)
        .set_font_color(Color::RGB(0x9C0006));
    for sheet in sheets {
        let ws: &mut Worksheet = book.add_worksheet();
        ws.set_name(&sheet.name).map_err(xlsx)?;
        let width = sheet.header.len();
        for (c, h) in sheet.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, fit_excel_cell(h).as_ref(), &bold)
                .map_err(xlsx)?;
            ws.set_column_format(c as u16, &text).map_err(xlsx)?;
            ws.set_column_width(c as u16, (h.chars().count() + 4).clamp(10, 40) as f64)
                .map_err(xlsx)?;
        }
        let error_col = width as u16;
        ws.write_string_with_format(0, error_col, ERROR_COLUMN, &bold)
            .map_err(xlsx)?;
        ws.set_column_width(error_col, ERROR_WIDTH).map_err(xlsx)?;
        ws.set_freeze_panes(1, 0).map_err(xlsx)?;
        ws.set_landscape();
        ws.set_repeat_rows(0, 0).map_err(xlsx)?;
        for (
            i,
            CopiedRow {
                cells,
                bad,
                message,
            },
        ) in sheet.rows.iter().enumerate()
        {
            let r = i as u32 + 1;
            for (c, value) in cells.iter().enumerate().take(width) {
                ws.write_string_with_format(r, c as u16, fit_excel_cell(value).as_ref(), &cell)
                    .map_err(xlsx)?;
            }
            for (c, note) in bad.iter().filter(|(c, _)| *c < width) {
                let value = cells.get(*c).map_or("", String::as_str);
                ws.write_string_with_format(
                    r,
                    *c as u16,
                    fit_excel_cell(value).as_ref(),
                    &highlight,
                )
                .map_err(xlsx)?;
                let note = Note::new(fit_excel_cell(note).as_ref()).set_author("nxsys-etl");
                ws.insert_note(r, *c as u16, &note).map_err(xlsx)?;
            }
            ws.write_string_with_format(r, error_col, fit_excel_cell(message).as_ref(), &wrap)
                .map_err(xlsx)?;
            if let Some(height) = wrapped_row_height([(message.as_str(), ERROR_WIDTH)]) {
                ws.set_row_height(r, height).map_err(xlsx)?;
            }
        }
    }
    if sheets.is_empty() {
        book.add_worksheet()
            .set_name("No failing rows")
            .map_err(xlsx)?;
    }
    book.save(out).map_err(xlsx)
}
