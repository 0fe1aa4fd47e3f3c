//! `--workers-from FILE`: a column of worker ids (`SR-…`), Agency Refs or PPS numbers in a CSV file or a
//! workbook (first sheet). A header such as "Worker ID" or "Agency Ref" picks the column;
//! without one, the first column is read from the first row on.

use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::source::{self, RowBuf, SourceError};

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
/// Headers that name a column of PPS numbers (Irish workers).
const PPS_HEADERS: &[&str] = &["pps", "ppsnumber", "ppsn"];

/// A worker named in the file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerEntry {
    pub value: String,
    pub kind: WorkerKind,
    pub place: Place,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkerKind {
    /// An Nxsys worker id, `SR-…`.
    Id,
    /// The agency's own reference, to be looked up.
    AgencyRef,
    /// An Irish worker's PPS number, to be looked up.
    Pps,
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
    #[error("--workers-from: {0}")]
    Source(#[from] SourceError),
    #[error("--workers-from {}: the file names no workers; put worker ids (SR-…) or Agency Refs in the first column", path.display())]
    Empty { path: PathBuf },
}

/// Read the workers named in `path`.
pub fn read(path: &Path) -> Result<Vec<WorkerEntry>, WorkersFileError> {
    let (sheet, rows) = read_rows(path)?;
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
                Some(WorkerKind::Pps) => WorkerKind::Pps,
                _ if looks_like_worker_id(value) => WorkerKind::Id,
                _ => WorkerKind::AgencyRef,
            };
            let value = match kind {
                WorkerKind::Id => value.to_ascii_uppercase(),
                WorkerKind::AgencyRef => value.to_owned(),
                WorkerKind::Pps => normalise_pps(value),
            };
            Some(WorkerEntry {
                value,
                kind,
                place: Place {
                    file: path.into(),
                    sheet: sheet.clone(),
                    row: *number,
                    column: source::column_letter(column),
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
        .or_else(|| find(PPS_HEADERS).map(|c| (c, WorkerKind::Pps)))
}

/// A PPS number as compared: capitals, no spaces (`1234567 fa` → `1234567FA`).
pub fn normalise_pps(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
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

/// Every row of the file's first sheet (a CSV file is one sheet), through the `source` stage's
/// readers: encodings, delimiters, numbers typed into Excel and row numbers as the user sees them
/// are handled as for every other input.
fn read_rows(path: &Path) -> Result<(Option<String>, Vec<Row>), WorkersFileError> {
    let opened = source::open(path)?;
    let Some(mut sheet) = opened.sheets.into_iter().next() else {
        return Err(WorkersFileError::Empty { path: path.into() });
    };
    let name = sheet.sheet().map(str::to_owned);
    let mut buf = RowBuf::default();
    let mut rows = Vec::new();
    while sheet.next_row(&mut buf)? {
        let cells = buf.cells().map(|c| c.text.to_owned()).collect();
        rows.push((buf.row as usize, cells));
    }
    Ok((name, rows))
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
    fn a_pps_column_is_read_as_pps_numbers() {
        let found = entries(
            Path::new("w.csv"),
            None,
            &rows(&[&["Name", "PPS Number"], &["Aoife", "8311802q"]]),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, WorkerKind::Pps);
        assert_eq!(found[0].value, "8311802Q");
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
