//! Workbooks through calamine: xlsx, xlsm, xls, ods (xlsb too). Every visible worksheet is read;
//! hidden sheets are skipped with a note. Formula cells are read by their cached value, error
//! cells (`#REF!`…) are passed on as errors, merged cells give their value to every cell they
//! cover, and the 1904 date system is honoured.

use std::path::{Path, PathBuf};

use calamine::{Data, Range, Reader, SheetType, SheetVisible, Sheets, open_workbook_auto};

use super::{Opened, RowBuf, SheetReader, SourceError, column_letter, excel_serial_to_date, note};
use crate::schema::CellFinding;

/// One worksheet, loaded by calamine and handed on row by row.
pub struct WorkbookSheet {
    file: PathBuf,
    name: String,
    range: Range<Data>,
    date1904: bool,
    next: usize,
    notes: Vec<CellFinding>,
}

/// Open every visible worksheet of a workbook.
pub fn open(path: &Path) -> Result<Opened, SourceError> {
    let workbook_error = |message: String| SourceError::Workbook {
        file: path.to_path_buf(),
        message,
    };
    let mut workbook = open_workbook_auto(path).map_err(|e| match e {
        calamine::Error::Io(source) => SourceError::Io {
            file: path.to_path_buf(),
            source,
        },
        other => workbook_error(other.to_string()),
    })?;
    let date1904 = match &workbook {
        Sheets::Xlsx(x) => x.has_1904_epoch(),
        Sheets::Xls(x) => x.has_1904_epoch(),
        _ => false,
    };
    let mut opened = Opened {
        sheets: Vec::new(),
        notes: Vec::new(),
    };
    let metadata = workbook.sheets_metadata().to_vec();
    for sheet in metadata {
        if sheet.typ != SheetType::WorkSheet {
            continue;
        }
        if sheet.visible != SheetVisible::Visible {
            opened.notes.push(note(
                path,
                Some(&sheet.name),
                None,
                "sheet.hidden",
                format!(
                    "sheet '{}' is hidden and was not read; unhide it if its rows should be imported",
                    sheet.name
                ),
            ));
            continue;
        }
        let mut range = workbook
            .worksheet_range(&sheet.name)
            .map_err(|e| SourceError::Sheet {
                file: path.to_path_buf(),
                sheet: sheet.name.clone(),
                message: e.to_string(),
            })?;
        let merged = match &mut workbook {
            Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&sheet.name).unwrap_or_default(),
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(&sheet.name).unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut notes = Vec::new();
        if let Some(region) = spread_merged(&mut range, &merged) {
            notes.push(note(
                path,
                Some(&sheet.name),
                None,
                "sheet.merged_cells",
                format!(
                    "sheet '{}' has merged cells (e.g. {region}); their value was used for every \
                     cell they cover. Unmerge them to be sure each row says what you mean",
                    sheet.name
                ),
            ));
        }
        opened.sheets.push(Box::new(WorkbookSheet {
            file: path.to_path_buf(),
            name: sheet.name,
            range,
            date1904,
            next: 0,
            notes,
        }));
    }
    Ok(opened)
}

/// Copy the value of each merged region's top-left cell into the cells it covers. Returns the
/// first region (as `A2:A5`) when there was any.
fn spread_merged(range: &mut Range<Data>, merged: &[calamine::Dimensions]) -> Option<String> {
    let mut first = None;
    for region in merged {
        let (r0, c0) = region.start;
        let (r1, c1) = region.end;
        let value = range.get_value((r0, c0)).cloned().unwrap_or_default();
        first.get_or_insert_with(|| {
            format!(
                "{}{}:{}{}",
                column_letter(c0 as usize),
                r0 + 1,
                column_letter(c1 as usize),
                r1 + 1
            )
        });
        if value == Data::Empty {
            continue;
        }
        for r in r0..=r1 {
            for c in c0..=c1 {
                if (r, c) != (r0, c0) && range.get_value((r, c)).is_some() {
                    range.set_value((r, c), value.clone());
                }
            }
        }
    }
    first
}

impl SheetReader for WorkbookSheet {
    fn file(&self) -> &Path {
        &self.file
    }

    fn sheet(&self) -> Option<&str> {
        Some(&self.name)
    }

    fn date1904(&self) -> bool {
        self.date1904
    }

    fn next_row(&mut self, buf: &mut RowBuf) -> Result<bool, SourceError> {
        buf.clear();
        let (height, width) = self.range.get_size();
        if self.next >= height {
            return Ok(false);
        }
        let (start_row, start_col) = self.range.start().unwrap_or((0, 0));
        let index = self.next;
        self.next += 1;
        buf.row = start_row + index as u32 + 1;
        // Columns left of the used range still count, so letters match what the user sees.
        for _ in 0..start_col {
            buf.push_text("");
        }
        for col in 0..width {
            let cell = self.range.get((index, col)).unwrap_or(&Data::Empty);
            push_cell(buf, cell, self.date1904);
        }
        Ok(true)
    }

    fn take_notes(&mut self) -> Vec<CellFinding> {
        std::mem::take(&mut self.notes)
    }
}

/// One calamine cell into the row: numbers without exponent or trailing `.0`, dates as
/// `YYYY-MM-DD` (with the serial kept as the number), errors as errors.
fn push_cell(buf: &mut RowBuf, cell: &Data, date1904: bool) {
    match cell {
        Data::Empty => buf.push_text(""),
        Data::String(s) => buf.push_text(s),
        Data::Int(i) => buf.push_fmt(format_args!("{i}"), Some(*i as f64)),
        Data::Float(f) => buf.push_fmt(format_args!("{f}"), Some(*f)),
        Data::Bool(b) => buf.push_text(if *b { "TRUE" } else { "FALSE" }),
        Data::DateTime(dt) => {
            let serial = dt.as_f64();
            match excel_serial_to_date(serial, date1904).filter(|_| dt.is_datetime()) {
                Some(date) if serial.fract() == 0.0 => {
                    buf.push_fmt(format_args!("{}", date.format("%Y-%m-%d")), Some(serial))
                }
                Some(date) => {
                    let secs = (serial.fract() * 86_400.0).round() as u32;
                    buf.push_fmt(
                        format_args!(
                            "{} {:02}:{:02}",
                            date.format("%Y-%m-%d"),
                            secs / 3600,
                            secs / 60 % 60
                        ),
                        Some(serial),
                    )
                }
                None => buf.push_fmt(format_args!("{serial}"), Some(serial)),
            }
        }
        Data::DateTimeIso(s) => buf.push_text(s.strip_suffix("T00:00:00").unwrap_or(s)),
        Data::DurationIso(s) => buf.push_text(s),
        Data::Error(e) => buf.push_error(&e.to_string()),
    }
}
