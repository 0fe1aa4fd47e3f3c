//! Approval files: a reconciliation report's Changes sheet (or that sheet saved as CSV) with
//! its Approve column filled in, read back by `import --approvals` into an [`Acceptance`].
//!
//! A row approves its change when its Approve cell says yes (`yes`, `y`, `x`, `approved`,
//! `true`, `1`, any case); `no`, `n`, `false`, `0` or an empty cell leave it held. Anything else
//! is an error naming the cell: an approval must never be a guess.

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};

use super::reconcile::changes::{APPROVE, CHANGE_ID, SHEET};
use crate::plan::approval::Acceptance;

/// Why an approval file cannot be used. Exit 2: nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalsError {
    #[error("cannot read the approval file {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error(
        "the approval file {path} has no {what}; give the reconciliation report (.xlsx) whose \
         Changes sheet you marked, or that sheet saved as CSV"
    )]
    Shape { path: PathBuf, what: String },
    #[error(
        "{path}, row {row}, column {APPROVE}: '{value}' is neither yes nor no; write yes (or x) \
         to approve the change, leave it empty to keep it held"
    )]
    Value {
        path: PathBuf,
        row: u32,
        value: String,
    },
}

/// Read the approvals in `path` (.xlsx, .xlsm, .ods: sheet `Changes`; .csv: the sheet saved as
/// CSV).
pub fn read(path: &Path) -> Result<Acceptance, ApprovalsError> {
    let rows = match ext(path).as_str() {
        "csv" => csv_rows(path)?,
        "xlsx" | "xlsm" | "xls" | "ods" => workbook_rows(path)?,
        other => {
            return Err(ApprovalsError::Read {
                path: path.to_path_buf(),
                message: format!(
                    "'.{other}' is not a report format; give the .xlsx report or a .csv of its \
                     Changes sheet"
                ),
            });
        }
    };
    from_rows(path, &rows)
}

fn ext(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn csv_rows(path: &Path) -> Result<Vec<Vec<String>>, ApprovalsError> {
    let fail = |e: csv::Error| ApprovalsError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(fail)?;
    reader
        .records()
        .map(|r| {
            r.map(|r| {
                r.iter()
                    .map(|c| c.trim_start_matches('\u{feff}').to_string())
                    .collect()
            })
            .map_err(fail)
        })
        .collect()
}

fn workbook_rows(path: &Path) -> Result<Vec<Vec<String>>, ApprovalsError> {
    let mut book = open_workbook_auto(path).map_err(|e| ApprovalsError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let range = book
        .worksheet_range(SHEET)
        .map_err(|_| ApprovalsError::Shape {
            path: path.to_path_buf(),
            what: format!("sheet named '{SHEET}'"),
        })?;
    // Rows are kept at their place in the sheet, so row numbers in messages are the sheet's.
    let start = range.start().map_or(0, |(row, _)| row as usize);
    let mut rows = vec![Vec::new(); start];
    rows.extend(range.rows().map(|r| {
        r.iter()
            .map(|cell| match cell {
                Data::Empty => String::new(),
                other => other.to_string(),
            })
            .collect()
    }));
    Ok(rows)
}

fn from_rows(path: &Path, rows: &[Vec<String>]) -> Result<Acceptance, ApprovalsError> {
    let header = rows
        .iter()
        .position(|r| r.iter().any(|c| c.trim().eq_ignore_ascii_case(CHANGE_ID)));
    let column = |name: &str| {
        header.and_then(|h| {
            rows[h]
                .iter()
                .position(|c| c.trim().eq_ignore_ascii_case(name))
        })
    };
    let shape = |what: &str| ApprovalsError::Shape {
        path: path.to_path_buf(),
        what: what.to_string(),
    };
    let (Some(header), Some(id_col)) = (header, column(CHANGE_ID)) else {
        return Err(shape(&format!("'{CHANGE_ID}' column")));
    };
    let approve_col = column(APPROVE).ok_or_else(|| shape(&format!("'{APPROVE}' column")))?;
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut acceptance = Acceptance::default();
    for (i, row) in rows.iter().enumerate().skip(header + 1) {
        let cell = |col: usize| row.get(col).map_or("", |c| c.trim());
        let line = i as u32 + 1;
        let approved = match cell(approve_col).to_ascii_lowercase().as_str() {
            "yes" | "y" | "x" | "approved" | "approve" | "true" | "1" => true,
            "" | "no" | "n" | "false" | "0" => false,
            _ => {
                return Err(ApprovalsError::Value {
                    path: path.to_path_buf(),
                    row: line,
                    value: cell(approve_col).to_string(),
                });
            }
        };
        if approved && !cell(id_col).is_empty() {
            acceptance.approve(&file, line, cell(id_col));
        }
    }
    Ok(acceptance)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn yes_rows_are_approved_with_their_row_numbers() {
        let dir = tempfile::tempdir().expect("dir");
        let path = write(
            dir.path(),
            "changes.csv",
            "Key,Field,Change ID,Approve\nA,f,id-1,yes\nB,g,id-2,\nC,h,id-3, X \nD,i,id-4,no\n",
        );
        let a = read(&path).expect("read");
        assert_eq!(a.approved.len(), 2);
        assert_eq!(a.approved.get("id-1"), Some(&2));
        assert_eq!(a.approved.get("id-3"), Some(&4));
        assert_eq!(a.approvals_file.as_deref(), Some("changes.csv"));
    }

    #[test]
    fn an_unclear_cell_or_a_missing_column_is_an_error() {
        let dir = tempfile::tempdir().expect("dir");
        let path = write(dir.path(), "c.csv", "Change ID,Approve\nid-1,maybe\n");
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("row 2") && err.contains("'maybe'"), "{err}");
        let path = write(dir.path(), "d.csv", "Key,Field\nA,f\n");
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("'Change ID' column"), "{err}");
        let path = write(dir.path(), "e.txt", "");
        assert!(read(&path).unwrap_err().to_string().contains("'.txt'"));
    }
}
