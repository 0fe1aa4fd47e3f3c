//! The columns of a payslip export: the fields we know (in an order people read a payslip in,
//! with a type and a label), then every other field the API returned, under its JSON name, so a
//! field added to the API tomorrow is exported today.

use std::collections::HashSet;

use serde_json::{Map, Value};

/// How a column's values are typed in a workbook. CSV writes every value as it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Identifiers and names: always a text cell.
    Text,
    /// Whole numbers such as tax periods.
    Integer,
    /// Money: an exact decimal, written as a number with a currency format.
    Money,
    /// A calendar date (`YYYY-MM-DD`).
    Date,
    /// A timestamp (ISO-8601, shown in UTC).
    DateTime,
    /// A field we do not know: text stays text, numbers stay numbers.
    AsItCame,
}

/// A field the tool knows: JSON name, column header, type and width in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownField {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub width: u16,
}

const fn known(key: &'static str, label: &'static str, kind: Kind, width: u16) -> KnownField {
    KnownField {
        key,
        label,
        kind,
        width,
    }
}

/// The key under which the export adds the worker's Agency Ref to each payslip.
pub const AGENCY_REF_KEY: &str = "agencyRef";

/// Known payslip fields, in the order they are exported.
pub const KNOWN_FIELDS: &[KnownField] = &[
    known("id", "Payslip ID", Kind::Text, 13),
    known("subcontractorId", "Worker ID", Kind::Text, 11),
    // Not a payslip field: the worker's Agency Ref, looked up by worker id (the key the
    // agency's own sheets use).
    known(AGENCY_REF_KEY, "Agency Ref", Kind::Text, 12),
    known("subcontractorName", "Worker name", Kind::Text, 24),
    known("agencyName", "Agency", Kind::Text, 20),
    known("taxYear", "Tax year", Kind::Integer, 9),
    known("taxPeriod", "Tax period", Kind::Integer, 10),
    known("payFrequency", "Pay frequency", Kind::Text, 13),
    known("paymentModel", "Payment model", Kind::Text, 14),
    known("payDate", "Pay date", Kind::Date, 11),
    known("timesheetValue", "Timesheet value", Kind::Money, 15),
    known("margin", "Margin", Kind::Money, 11),
    known("employerNI", "Employer NI", Kind::Money, 12),
    known("employerPension", "Employer pension", Kind::Money, 16),
    known("apprenticeshipLevy", "Apprenticeship levy", Kind::Money, 18),
    known("gross", "Gross", Kind::Money, 12),
    known("taxableGross", "Taxable gross", Kind::Money, 13),
    known("tax", "Tax", Kind::Money, 11),
    known("employeeNI", "Employee NI", Kind::Money, 12),
    known("employeePension", "Employee pension", Kind::Money, 16),
    known("studentLoan", "Student loan", Kind::Money, 12),
    known("net", "Net pay", Kind::Money, 12),
    known("materials", "Materials", Kind::Money, 11),
    known("timesheetId", "Timesheet ID", Kind::Text, 13),
    known("incrementId", "Payslip number", Kind::Integer, 14),
    known("createdAt", "Created at (UTC)", Kind::DateTime, 17),
];

/// The known field with this JSON name, if any.
pub fn known_field(key: &str) -> Option<&'static KnownField> {
    KNOWN_FIELDS.iter().find(|f| f.key == key)
}

/// One exported column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The JSON name of the field in the API answer.
    pub key: String,
    /// The header people see.
    pub label: String,
    pub kind: Kind,
    /// Column width in characters.
    pub width: u16,
}

/// The ordered columns of an export, learnt from the payslips themselves: known fields that
/// appear in at least one payslip, in [`KNOWN_FIELDS`] order, then unknown fields in the order
/// they were first seen.
#[derive(Debug, Clone, Default)]
pub struct ColumnSet {
    seen_known: Vec<bool>,
    extra: Vec<String>,
    extra_seen: HashSet<String>,
}

impl ColumnSet {
    /// No payslip seen yet.
    pub fn new() -> Self {
        ColumnSet {
            seen_known: vec![false; KNOWN_FIELDS.len()],
            extra: Vec::new(),
            extra_seen: HashSet::new(),
        }
    }

    /// Note the fields of one payslip.
    pub fn observe(&mut self, payslip: &Map<String, Value>) {
        for key in payslip.keys() {
            match KNOWN_FIELDS.iter().position(|f| f.key == key) {
                Some(index) => self.seen_known[index] = true,
                None => {
                    if !self.extra_seen.contains(key) {
                        self.extra_seen.insert(key.clone());
                        self.extra.push(key.clone());
                    }
                }
            }
        }
    }

    /// The columns to write. With no payslip seen at all, every known field (so an empty export
    /// still shows what it would have held).
    pub fn columns(&self) -> Vec<Column> {
        let none_seen = !self.seen_known.iter().any(|&s| s) && self.extra.is_empty();
        let known = KNOWN_FIELDS
            .iter()
            .zip(&self.seen_known)
            .filter(|&(_, &seen)| seen || none_seen)
            .map(|(f, _)| Column {
                key: f.key.to_owned(),
                label: f.label.to_owned(),
                kind: f.kind,
                width: f.width,
            });
        let extra = self.extra.iter().map(|key| Column {
            key: key.clone(),
            label: key.clone(),
            kind: Kind::AsItCame,
            width: (key.chars().count() + 2).clamp(10, 40) as u16,
        });
        known.chain(extra).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test data is an object"),
        }
    }

    #[test]
    fn known_fields_come_first_in_their_order_then_unknown_in_first_seen_order() {
        let mut set = ColumnSet::new();
        set.observe(&map(json!({"net": "1.00", "zeta": 1, "id": "PL-1"})));
        set.observe(&map(json!({"alpha": true, "gross": "2.00", "zeta": 2})));
        let keys: Vec<String> = set.columns().into_iter().map(|c| c.key).collect();
        assert_eq!(keys, ["id", "gross", "net", "zeta", "alpha"]);
    }

    #[test]
    fn unknown_fields_keep_their_json_name_as_header() {
        let mut set = ColumnSet::new();
        set.observe(&map(json!({"holidayPay": "3.00"})));
        let columns = set.columns();
        assert_eq!(columns.len(), 1);
        assert_eq!(columns[0].label, "holidayPay");
        assert_eq!(columns[0].kind, Kind::AsItCame);
    }

    #[test]
    fn an_empty_export_lists_every_known_field() {
        assert_eq!(ColumnSet::new().columns().len(), KNOWN_FIELDS.len());
    }

    #[test]
    fn known_keys_and_labels_are_unique() {
        let keys: HashSet<_> = KNOWN_FIELDS.iter().map(|f| f.key).collect();
        let labels: HashSet<_> = KNOWN_FIELDS.iter().map(|f| f.label).collect();
        assert_eq!(keys.len(), KNOWN_FIELDS.len());
        assert_eq!(labels.len(), KNOWN_FIELDS.len());
    }
}
