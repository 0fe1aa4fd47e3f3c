//! Source stage: read CSV and workbooks into rows of cells that carry their provenance
//! (file, sheet, row as the user sees it, column letter).
//!
//! [`open`] turns a file into one [`SheetReader`] per sheet (a CSV file is one sheet) plus notes
//! about what was skipped or converted. Readers fill a reused [`RowBuf`], so CSV files of any
//! length are read in constant memory.

pub mod cell;
pub mod csv;
mod merges;
mod stream;
pub mod workbook;
mod xls;

use std::path::{Path, PathBuf};

pub use cell::{CellView, RowBuf, column_index, column_letter, excel_serial_to_date};

use crate::model::CellFinding;

/// A file that cannot be read at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The reason is in the message itself (not also as a source), so it is printed once.
    #[error("{}: {}", file.display(), io_reason(error))]
    Io {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{} is a folder — give the files in it (e.g. {}/*.xlsx)", file.display(), file.display())]
    Folder { file: PathBuf },
    #[error(
        "{}: '{ext}' files are not supported; save it as CSV, xlsx, xlsm, xls or ods",
        file.display()
    )]
    Unsupported { file: PathBuf, ext: String },
    #[error("{}: cannot open the workbook ({message}); open it in Excel or LibreOffice and save it again as xlsx", file.display())]
    Workbook { file: PathBuf, message: String },
    /// A workbook within its format's limits but past what the tool reads at once.
    #[error("{}: {message}", file.display())]
    TooLarge { file: PathBuf, message: String },
    #[error("{}: cannot read sheet '{sheet}' ({message})", file.display())]
    Sheet {
        file: PathBuf,
        sheet: String,
        message: String,
    },
    #[error("{}, line {line}: {message}", file.display())]
    Csv {
        file: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{}: the file is {encoding}; save it as CSV UTF-8 and try again", file.display())]
    Encoding {
        file: PathBuf,
        encoding: &'static str,
    },
    #[error(
        "{}, line {line}: {columns} columns, more than the {limit} a spreadsheet holds (Excel's \
         limit); this is not a sheet of workers, pay codes or timesheets. Check it is the right \
         file and that it was exported with one column per field",
        file.display(),
        limit = MAX_COLUMNS
    )]
    TooWide {
        file: PathBuf,
        line: u64,
        columns: usize,
    },
    /// A streamed sheet's cells came out of row order: read the batch again with
    /// [`open`] (the range path sorts them). Never shown when the caller does so.
    #[error("{}: sheet '{sheet}' lists its cells out of order", file.display())]
    Unordered { file: PathBuf, sheet: String },
}

/// How many threads reading and validating may use: `NXSYS_THREADS` when it is set to a
/// number (1 turns every helper thread off, for benchmarks and tests that compare the two
/// paths), else what the machine offers.
pub fn threads() -> usize {
    std::env::var("NXSYS_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The most columns a row may have: 16,384, Excel's limit (column XFD). A wider CSV is refused
/// before any of it is matched or validated.
pub const MAX_COLUMNS: usize = 16_384;

/// Why a file cannot be read, in words and with what to do.
fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file; check the name and the folder".into(),
        std::io::ErrorKind::PermissionDenied => {
            "permission denied; check that you may read the file".into()
        }
        _ => format!("cannot read the file: {error}"),
    }
}

/// One sheet being read, row by row.
pub trait SheetReader {
    /// The file the sheet belongs to.
    fn file(&self) -> &Path;
    /// The sheet name; `None` for CSV.
    fn sheet(&self) -> Option<&str>;
    /// Dates in this workbook count from 1904.
    fn date1904(&self) -> bool {
        false
    }
    /// Read the next row into `buf` (setting `buf.row`); `false` at the end of the sheet.
    fn next_row(&mut self, buf: &mut RowBuf) -> Result<bool, SourceError>;
    /// Notes gathered while reading (encoding fallback, merged cells…), taken once.
    fn take_notes(&mut self) -> Vec<CellFinding> {
        Vec::new()
    }
    /// Read what is left of a sheet that will not be processed, so that an error a streamed
    /// sheet reports late (damage, an oversized sheet) still stops the run, as it would have
    /// when the sheet was opened.
    fn finish(&mut self) -> Result<(), SourceError> {
        Ok(())
    }
    /// The rows come from another thread and may end in [`SourceError::Unordered`].
    fn streamed(&self) -> bool {
        false
    }
}

/// An opened file: its sheets to read and notes about sheets it skipped.
pub struct Opened {
    pub sheets: Vec<Box<dyn SheetReader>>,
    pub notes: Vec<CellFinding>,
}

/// The kind of file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Workbook,
}

impl FileKind {
    /// `csv`/`txt`/`tsv` are read as delimited text; `xlsx xlsm xls ods xlsb` as workbooks.
    pub fn of(path: &Path) -> Result<FileKind, SourceError> {
        if path.is_dir() {
            return Err(SourceError::Folder {
                file: path.to_path_buf(),
            });
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" | "tsv" => Ok(FileKind::Csv),
            "xlsx" | "xlsm" | "xls" | "ods" | "xlsb" => Ok(FileKind::Workbook),
            _ => Err(SourceError::Unsupported {
                file: path.to_path_buf(),
                ext: if ext.is_empty() {
                    "(no extension)".into()
                } else {
                    ext
                },
            }),
        }
    }
}

/// Open a CSV file or workbook for reading.
pub fn open(path: &Path) -> Result<Opened, SourceError> {
    match FileKind::of(path)? {
        FileKind::Csv => Ok(Opened {
            sheets: vec![Box::new(csv::CsvSheet::open(path)?)],
            notes: Vec::new(),
        }),
        FileKind::Workbook => workbook::open(path),
    }
}

/// [`open`] for validation: xlsx sheets may be read on another thread while the caller checks
/// the rows already read ([`workbook::open_streaming`]).
pub fn open_streaming(path: &Path) -> Result<Opened, SourceError> {
    match FileKind::of(path)? {
        FileKind::Csv => open(path),
        FileKind::Workbook => workbook::open_streaming(path),
    }
}

/// A note (warning) about a whole file or sheet.
pub(crate) fn note(
    file: &Path,
    sheet: Option<&str>,
    row: Option<u32>,
    code: &'static str,
    message: String,
) -> CellFinding {
    CellFinding {
        file: file.into(),
        sheet: sheet.map(Into::into),
        row,
        column: None,
        header: None,
        finding: crate::model::Finding::warning(code, message),
    }
}
