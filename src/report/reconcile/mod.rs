//! The reconciliation report of an import run: what was asked, what the API acknowledged and
//! what it holds afterwards, row by row, for an auditor.
//!
//! It is built from the journal alone ([`RunReport::from_journal`]), so `runs show RUN --report F`
//! can rewrite the report of any past run. Formats by extension: `.xlsx` (Summary with a chart,
//! one sheet per entity, Changes, Control totals), `.csv` (one row per record) and `.json`.

pub mod changes;
mod mask;
mod model;
mod tabular;
mod xlsx;

use std::path::{Path, PathBuf};

pub use mask::{mask_account, mask_ni, mask_text};
pub use model::{ControlTotal, OFFLINE_NOTE, ReportRow, RunReport, Summary};

/// Errors writing a report. Exit 2 at the command edge (the output could not be written).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the report {path}: {message}; check the folder exists and is writable")]
    Write { path: PathBuf, message: String },
    #[error("report {path}: unknown extension; use .xlsx, .csv or .json (e.g. --report run.xlsx)")]
    Format { path: PathBuf },
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
}

/// Check, before a run starts, that a report can be written at `path`: a known extension and an
/// existing folder. (An import that landed must not end on "cannot write the report".)
pub fn check_path(path: &Path) -> Result<(), ReportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("xlsx" | "csv" | "json")) {
        return Err(ReportError::Format {
            path: path.to_path_buf(),
        });
    }
    match crate::writing::missing_folder(path) {
        Some(dir) => Err(ReportError::Write {
            path: path.to_path_buf(),
            message: format!("the folder {} does not exist", dir.display()),
        }),
        None => Ok(()),
    }
}

/// Write the report in the format its extension names. `exit_status` is the run's exit status
/// as the command line states it (e.g. `1 (Rows)`), shown on the workbook's Summary sheet;
/// the report does not decide exit statuses.
///
/// The report is written to a temporary file in the same folder and renamed into place when
/// complete: a full disk or a killed process never leaves a truncated report at `path`.
pub fn write(path: &Path, report: &RunReport, exit_status: &str) -> Result<(), ReportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match ext.as_deref() {
        Some(ext @ ("xlsx" | "csv" | "json")) => ext.to_string(),
        _ => {
            return Err(ReportError::Format {
                path: path.to_path_buf(),
            });
        }
    };
    let written: Result<(), Failed> =
        crate::writing::write_atomically(path, ".nxsys-report-", |temp| match format.as_str() {
            "xlsx" => xlsx::write(temp, report, exit_status).map_err(|e| Failed(e.to_string())),
            "csv" => tabular::write_csv(temp, report).map_err(|e| Failed(e.to_string())),
            _ => tabular::write_json(temp, report).map_err(|e| Failed(e.to_string())),
        });
    written.map_err(|Failed(message)| ReportError::Write {
        path: path.to_path_buf(),
        message,
    })
}

/// Why writing a report failed, as said.
struct Failed(String);

impl From<std::io::Error> for Failed {
    fn from(e: std::io::Error) -> Self {
        Failed(e.to_string())
    }
}

/// Where a run's report goes when `--report` is not given: `./nxsys-run-<RUN>.xlsx`.
pub fn default_path(run_id: &str) -> PathBuf {
    PathBuf::from(format!("nxsys-run-{run_id}.xlsx"))
}

#[cfg(test)]
mod tests;
