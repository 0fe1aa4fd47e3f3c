//! Writing generated rows: CSV (UTF-8, comma) or one xlsx workbook per sheet, written in
//! rust_xlsxwriter's constant-memory mode so a million rows cost no more memory than ten.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{ExcelDateTime, Format as XlsxFormat, Workbook};

use super::SynthError;
use super::rows::Cell;
use chrono::Datelike;

/// Output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The file extension, without a dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// A sheet being written, row by row.
pub enum Sink {
    Csv {
        path: PathBuf,
        writer: csv::Writer<BufWriter<File>>,
    },
    Xlsx {
        path: PathBuf,
        workbook: Box<Workbook>,
        next_row: u32,
        date: XlsxFormat,
    },
}

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> SynthError + '_ {
    move |e| SynthError::Write {
        file: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn xlsx_error(path: &Path) -> impl Fn(rust_xlsxwriter::XlsxError) -> SynthError + '_ {
    move |e| SynthError::Write {
        file: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl Sink {
    /// Create `path` and write its header row; `sheet` names the workbook's sheet.
    pub fn create(
        path: &Path,
        format: Format,
        sheet: &str,
        headers: &[&str],
    ) -> Result<Sink, SynthError> {
        match format {
            Format::Csv => {
                let file = File::create(path).map_err(|source| SynthError::Io {
                    file: path.to_path_buf(),
                    source,
                })?;
                let mut writer = csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, file));
                writer.write_record(headers).map_err(csv_error(path))?;
                Ok(Sink::Csv {
                    path: path.to_path_buf(),
                    writer,
                })
            }
            Format::Xlsx => {
                let mut workbook = Box::new(Workbook::new());
                let ws = workbook
                    .add_worksheet_with_constant_memory()
                    .map_err(xlsx_error(path))?;
                ws.set_name(sheet).map_err(xlsx_error(path))?;
                let bold = XlsxFormat::new().set_bold();
                for (c, h) in headers.iter().enumerate() {
                    let c = u16::try_from(c).unwrap_or(u16::MAX);
                    ws.write_string_with_format(0, c, *h, &bold)
                        .map_err(xlsx_error(path))?;
                }
                Ok(Sink::Xlsx {
                    path: path.to_path_buf(),
                    workbook,
                    next_row: 1,
                    date: XlsxFormat::new().set_num_format("dd/mm/yyyy"),
                })
            }
        }
    }

    /// Append one row.
    pub fn write(&mut self, row: &[Cell]) -> Result<(), SynthError> {
        match self {
            Sink::Csv { path, writer } => writer
                .write_record(row.iter().map(Cell::to_csv))
                .map_err(csv_error(path)),
            Sink::Xlsx {
                path,
                workbook,
                next_row,
                date,
            } => {
                let ws = workbook.worksheet_from_index(0).map_err(xlsx_error(path))?;
                let r = *next_row;
                for (c, cell) in row.iter().enumerate() {
                    let c = u16::try_from(c).unwrap_or(u16::MAX);
                    match cell {
                        Cell::Text(s) => ws.write_string(r, c, s).map(|_| ()),
                        Cell::Number(s) => match s.parse::<f64>() {
                            Ok(n) => ws.write_number(r, c, n).map(|_| ()),
                            Err(_) => ws.write_string(r, c, s).map(|_| ()),
                        },
                        Cell::Date(d, _) => {
                            let dt = ExcelDateTime::from_ymd(
                                u16::try_from(d.year()).unwrap_or(1900),
                                d.month() as u8,
                                d.day() as u8,
                            )
                            .map_err(xlsx_error(path))?;
                            ws.write_datetime_with_format(r, c, &dt, date).map(|_| ())
                        }
                    }
                    .map_err(xlsx_error(path))?;
                }
                *next_row += 1;
                Ok(())
            }
        }
    }

    /// Flush and close the file; returns its path.
    pub fn finish(self) -> Result<PathBuf, SynthError> {
        match self {
            Sink::Csv { path, mut writer } => {
                writer.flush().map_err(|source| SynthError::Io {
                    file: path.clone(),
                    source,
                })?;
                Ok(path)
            }
            Sink::Xlsx {
                path, mut workbook, ..
            } => {
                workbook.save(&path).map_err(xlsx_error(&path))?;
                Ok(path)
            }
        }
    }
}
