//! Rules stage: pure functions that check one cell and return its normalised value, plus batch
//! rules over whole batches (`batch`). Every finding has a stable code and a severity.
//!
//! Contract used by the schema stage:
//! - a column names a [`Rule`]; [`apply`] runs it on an [`Input`] and returns the normalised
//!   [`Value`] with any warnings, or the [`Finding`] that makes the cell an error;
//! - enum columns resolve through [`enums::Enums`], loaded from `templates/enums.toml`.
//!
//! Messages say what is wrong *and what to do*, in a payroll clerk's words; the schema stage adds
//! the file, sheet, row and column.

pub mod batch;
pub mod enums;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

pub use enums::Enums;

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
}

impl Finding {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            code,
            message: message.into(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            code,
            message: message.into(),
        }
    }
}

/// One cell as the rules see it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Input<'a> {
    /// The cell's text as the user sees it, trimmed. For numeric workbook cells, the number
    /// written without exponent or trailing `.0` (e.g. `1234567`).
    pub text: &'a str,
    /// Set when the workbook stored a number rather than text: lets rules spot identifiers Excel
    /// damaged (lost leading zeros, scientific notation) and read date serials.
    pub number: Option<f64>,
    /// The workbook counts dates from 1904 (old Mac Excel).
    pub date1904: bool,
}

impl<'a> Input<'a> {
    pub fn text(text: &'a str) -> Self {
        Input {
            text,
            number: None,
            date1904: false,
        }
    }
}

/// A value that passed its rule, normalised for the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    Date(NaiveDate),
    Decimal(Decimal),
    Integer(i64),
    Bool(bool),
}

/// A passed check: the value and any warnings about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<T> {
    pub value: T,
    pub warnings: Vec<Finding>,
}

impl<T> Checked<T> {
    pub fn clean(value: T) -> Self {
        Checked {
            value,
            warnings: Vec::new(),
        }
    }
}

pub type RuleResult<T> = Result<Checked<T>, Finding>;

/// The check a column runs on each of its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Free text, trimmed; at most this many characters.
    Text {
        max_len: usize,
    },
    NiNumber,
    SortCode,
    AccountNumber,
    UkPostcode,
    PpsNumber,
    Eircode,
    Iban,
    Bic,
    Email,
    Phone,
    /// ISO 3166-1 alpha-2 (names such as "United Kingdom" are accepted and converted).
    Country,
    Date,
    /// Exact decimal amount of money; currency signs and thousands separators stripped.
    Money,
    /// Exact decimal quantity (hours, units); `min`/`max` inclusive bounds when set.
    Decimal {
        min: Option<Decimal>,
        max: Option<Decimal>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    /// Yes/No, True/False, Y/N, 1/0.
    Bool,
    /// A value of the named enum in `templates/enums.toml`, or one of its aliases.
    Enum(&'static str),
    /// An API id with this prefix, e.g. `SR-`.
    ApiId(&'static str),
}

/// Run `rule` on one cell. Empty cells never reach a rule: the schema stage handles
/// required/optional first.
pub fn apply(rule: &Rule, input: &Input<'_>, enums: &Enums) -> RuleResult<Value> {
    let text = input.text.trim();
    match rule {
        Rule::Enum(kind) => enums
            .resolve(kind, text)
            .map(|v| Checked::clean(Value::Text(v.to_string())))
            .ok_or_else(|| {
                Finding::error(
                    "enum.unknown",
                    format!(
                        "'{text}' is not a known {kind}; use one of: {}",
                        enums.values(kind).join(", ")
                    ),
                )
            }),
        // Placeholder until the rules land: pass text through unchanged.
        _ => Ok(Checked::clean(Value::Text(text.to_string()))),
    }
}
