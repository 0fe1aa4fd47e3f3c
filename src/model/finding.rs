//! What is wrong with a cell or a row: [`Finding`] (what a rule says) and [`CellFinding`]
//! (the same, placed on a file, sheet, row and column).

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::Provenance;

/// Whether a finding blocks the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One thing wrong (or worth knowing) about a cell or a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable, machine-readable code, e.g. `ni_number.prefix`.
    pub code: &'static str,
    /// What is wrong and what to do, without the cell's position.
    pub message: String,
    /// For a repair ([`Finding::is_repair`]): the value sent instead of the value read, so a
    /// fix file can hold it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
}

impl Finding {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            code,
            message: message.into(),
            sent: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            code,
            message: message.into(),
            sent: None,
        }
    }

    /// The same finding, saying that `value` is sent instead of the value read.
    pub fn sending(self, value: impl Into<String>) -> Self {
        Finding {
            sent: Some(value.into()),
            ..self
        }
    }

    /// A warning that the value sent is not the value read: an identifier Excel damaged and a
    /// rule repaired (codes ending `.repaired`), or a short account number padded with zeros.
    /// Reports keep these beside the errors, so an auditor sees what was reconstructed.
    pub fn is_repair(&self) -> bool {
        self.severity == Severity::Warning
            && (self.code.ends_with(".repaired") || self.code == "account_number.padded")
    }
}

/// A finding placed on a cell (or on a whole row/file when `column` is `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellFinding {
    /// Shared with the other findings and rows of the file (serialized as a string).
    #[serde(serialize_with = "super::record::shared::path::serialize")]
    pub file: Arc<Path>,
    #[serde(serialize_with = "super::record::shared::opt_str::serialize")]
    pub sheet: Option<Arc<str>>,
    /// `None` for findings about a whole file or sheet (e.g. a missing required header).
    pub row: Option<u32>,
    /// Column letter (`A`, `AB`), `None` for row- or file-level findings.
    pub column: Option<String>,
    /// The header of that column as the user wrote it.
    pub header: Option<String>,
    #[serde(flatten)]
    pub finding: Finding,
}

impl CellFinding {
    pub fn is_error(&self) -> bool {
        self.finding.severity == Severity::Error
    }

    /// Where the finding is, as the user sees it:
    /// `file.xlsx, sheet Candidates, row 14, column H (NI Number)`.
    pub fn location(&self) -> String {
        let mut at = self.file.display().to_string();
        if let Some(sheet) = &self.sheet {
            at.push_str(&format!(", sheet {sheet}"));
        }
        if let Some(row) = self.row {
            at.push_str(&format!(", row {row}"));
        }
        match (&self.column, &self.header) {
            (Some(column), Some(header)) if !header.is_empty() => {
                at.push_str(&format!(", column {column} ({header})"))
            }
            (Some(column), _) => at.push_str(&format!(", column {column}")),
            (None, Some(header)) if !header.is_empty() => {
                at.push_str(&format!(", column {header}"))
            }
            _ => {}
        }
        at
    }

    /// The provenance of the row the finding is on, if it is on a row.
    pub fn provenance(&self) -> Option<Provenance> {
        Some(Provenance {
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            row: self.row?,
        })
    }
}

impl std::fmt::Display for CellFinding {
    /// `file.xlsx, sheet Candidates, row 14, column H (NI Number): message`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location(), self.finding.message)
    }
}
