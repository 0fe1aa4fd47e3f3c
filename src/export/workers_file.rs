//! `--workers-from FILE`: a column of worker ids (`SR-…`) or Agency Refs in a CSV file or a
//! workbook (first sheet). A header such as "Worker ID" or "Agency Ref" picks the column;
//! without one, the first column is read from the first row on.
//!
//! A minimal reader of its own: the `source` stage's readers were not available when this was
//! written (one small file, so it is read whole).

use std::fmt;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};
use thiserror::Error;

/// Headers that name a column of worker ids.
const ID_HEADERS: &[&str] = &[
    "workerid",
    "worker",
    "srid",
    "subcontractorid",
    "subcontractorref",
    "candidateid",
    "id",
];
/// Headers that name a column of Agency Refs.
const REF_HEADERS: &[&str] = &["agencyref", "agencyreference", "ref", "reference"];

/// A worker named in the file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerEntry {
    pub value: String,
    pub kind: WorkerKind,
    pub place: Place,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerKind {
    /// An Nxsys worker id, `SR-…`.
    Id,
    /// The agency's own reference, to be looked up.
    AgencyRef,
}

/// A cell as the user sees it: file, sheet, row number, column letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub sheet: Option<String>,
    pub row: usize,
    pub column: String,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(sheet) = &self.sheet {
            write!(f, ", sheet {sheet}")?;
        }
        write!(f, ", row {}, column {}", self.row, self.column)
    }
}

#[derive(Debug, Error)]
pub enum WorkersFileError {
    #[error("--workers-from {}: cannot read the file: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--workers-from {}: cannot read the workbook: {message}", path.display())]
    Workbook { path: PathBuf, message: String },
    #[error("--workers-from {}: the file names no workers; put worker ids (SR-…) or Agency Refs in the first column", path.display())]
    Empty { path: PathBuf },
}

/// Read the workers named in `path`.
pub fn read(path: &Path) -> Result<Vec<WorkerEntry>, WorkersFileError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let (sheet, rows) = match extension.as_deref() {
        Some("xlsx" | "xlsm" | "xlsb" | "xls" | "ods") => read_workbook(path)?,
        _ => (None, read_csv(path)?),
    };
    let entries = entries(path, sheet, &rows);
    if entries.is_empty() {
        return Err(WorkersFileError::Empty { path: path.into() });
    }
    Ok(entries)
}

/// A row of cells and its number as the user sees it (1-based).
type Row = (usize, Vec<String>);

fn entries(path: &Path, sheet: Option<String>, rows: &[Row]) -> Vec<WorkerEntry> {
    let header = rows.first().and_then(|(_, row)| header_column(row));
    let (column, first_row, forced) = match header {
        Some((column, kind)) => (column, 1, Some(kind)),
        None => {
            let first = rows
                .iter()
                .find_map(|(_, row)| row.iter().position(|c| !c.trim().is_empty()))
                .unwrap_or(0);
            (first, 0, None)
        }
    };
    rows.iter()
        .skip(first_row)
        .filter_map(|(number, row)| {
            let value = row.get(column)?.trim();
            if value.is_empty() {
                return None;
            }
            let kind = match forced {
                Some(WorkerKind::AgencyRef) => WorkerKind::AgencyRef,
                _ if looks_like_worker_id(value) => WorkerKind::Id,
                _ => WorkerKind::AgencyRef,
            };
            let value = match kind {
                WorkerKind::Id => value.to_ascii_uppercase(),
                WorkerKind::AgencyRef => value.to_owned(),
            };
            Some(WorkerEntry {
                value,
                kind,
                place: Place {
                    file: path.into(),
                    sheet: sheet.clone(),
                    row: *number,
                    column: column_letter(column),
                },
            })
        })
        .collect()
}

/// The column a header row names, and what it holds.
fn header_column(row: &[String]) -> Option<(usize, WorkerKind)> {
    let normalised: Vec<String> = row
        .iter()
        .map(|cell| {
            cell.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .collect();
    let find = |names: &[&str]| normalised.iter().position(|h| names.contains(&h.as_str()));
    find(ID_HEADERS)
        .map(|c| (c, WorkerKind::Id))
        .or_else(|| find(REF_HEADERS).map(|c| (c, WorkerKind::AgencyRef)))
}

/// `SR-` followed by digits (any case).
pub fn looks_like_worker_id(value: &str) -> bool {
    match (value.get(..3), value.get(3..)) {
        (Some(prefix), Some(digits)) => {
            prefix.eq_ignore_ascii_case("SR-")
                && !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

fn read_csv(path: &Path) -> Result<Vec<Row>, WorkersFileError> {
    let bytes = std::fs::read(path).map_err(|source| WorkersFileError::Read {
        path: path.into(),
        source,
    })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    };
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|&d| first_line.bytes().filter(|&b| b == d).count())
        .unwrap_or(b',');
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| WorkersFileError::Read {
            path: path.into(),
            source: std::io::Error::other(e),
        })?;
        let number = record
            .position()
            .map_or(rows.len() + 1, |p| line_of(&text, p));
        rows.push((number, record.iter().map(str::to_owned).collect()));
    }
    Ok(rows)
}

/// The line a record starts on. The reader skips blank lines but reports the position where
/// the skipping began, so count the line breaks it skipped.
fn line_of(text: &str, position: &::csv::Position) -> usize {
    let skipped = text
        .as_bytes()
        .get(position.byte() as usize..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .filter(|&&b| b == b'\n')
        .count();
    position.line() as usize + skipped
}

fn read_workbook(path: &Path) -> Result<(Option<String>, Vec<Row>), WorkersFileError> {
    let failed = |message: String| WorkersFileError::Workbook {
        path: path.into(),
        message,
    };
    let mut workbook = open_workbook_auto(path).map_err(|e| failed(e.to_string()))?;
    let sheet = workbook.sheet_names().first().cloned();
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| failed("it has no sheets".into()))?
        .map_err(|e| failed(e.to_string()))?;
    let (top, left) = range.start().unwrap_or((0, 0));
    // Rows and columns as the user sees them: the used range may start below and right of A1.
    let rows = (top as usize + 1..)
        .zip(range.rows())
        .map(|(number, row)| {
            let mut cells = vec![String::new(); left as usize];
            cells.extend(row.iter().map(cell_text));
            (number, cells)
        })
        .collect();
    Ok((sheet, rows))
}

fn cell_text(cell: &Data) -> String {
    match cell {
        // A reference typed as a number (1234) reads back as 1234.0.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &[&[&str]]) -> Vec<Row> {
        (1..)
            .zip(text)
            .map(|(n, r)| (n, r.iter().map(|c| c.to_string()).collect()))
            .collect()
    }

    #[test]
    fn a_header_picks_the_column() {
        let found = entries(
            Path::new("w.csv"),
            None,
            &rows(&[
                &["Name", "Agency Ref"],
                &["Ann", "AG-1"],
                &["Bob", ""],
                &["Cy", "sr-5"],
            ]),
        );
        let got: Vec<(&str, WorkerKind, usize, &str)> = found
            .iter()
            .map(|e| {
                (
                    e.value.as_str(),
                    e.kind,
                    e.place.row,
                    e.place.column.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("AG-1", WorkerKind::AgencyRef, 2, "B"),
                ("sr-5", WorkerKind::AgencyRef, 4, "B")
            ]
        );
    }

    #[test]
    fn without_a_header_the_first_column_is_read_from_row_one() {
        let found = entries(Path::new("w.csv"), None, &rows(&[&["sr-12"], &["AG-7"]]));
        assert_eq!(found[0].value, "SR-12");
        assert_eq!(found[0].kind, WorkerKind::Id);
        assert_eq!(found[0].place.row, 1);
        assert_eq!(found[1].kind, WorkerKind::AgencyRef);
        assert_eq!(
            found[1].place.to_string(),
            "w.csv, row 2, column A",
            "messages point at the cell"
        );
    }

    #[test]
    fn column_letters_go_past_z() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn worker_ids_are_recognised() {
        assert!(looks_like_worker_id("SR-1"));
        assert!(looks_like_worker_id("sr-0012"));
        assert!(!looks_like_worker_id("SR-"));
        assert!(!looks_like_worker_id("SR-1a"));
        assert!(!looks_like_worker_id("ST-1"));
        assert!(!looks_like_worker_id("ÅR-1"));
        assert!(!looks_like_worker_id("ab€1"), "no panic inside a character");
    }
}
