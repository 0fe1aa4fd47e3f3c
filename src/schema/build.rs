//! Rows → records: each cell through its column's rule, values placed at their JSON paths,
//! findings placed on their cells. Timesheet rows continue in [`super::timesheet`].

use std::str::FromStr;

use serde_json::{Map, Value as Json};

use super::columns::{Column, Special};
use super::headers::{HeaderMap, Location};
use super::mapping::Mapping;
use crate::model::Finding;
use crate::model::{Body, CellFinding, Entity, Provenance, Record};
use crate::rules::{self, Enums, Input, Rule, Value, ValueRef};
use crate::source::RowBuf;

/// What the builder needs besides the row.
pub struct Context<'a> {
    pub map: &'a HeaderMap,
    pub at: &'a Location,
    pub mapping: Option<&'a Mapping>,
    pub enums: &'a Enums,
    pub date1904: bool,
    /// `--strict`: identifiers Excel damaged are errors, never repaired.
    pub strict: bool,
    /// Per schema column, how its other cells write decimals (empty: nothing known).
    pub separators: &'a [rules::number::Separators],
    /// `--mask-pii`: findings on NI/PPS and bank columns do not quote the cell.
    pub mask_pii: bool,
}

/// One row, checked: the values that passed, by schema column (borrowing the row's cells where
/// the rule kept the text), and the findings.
pub struct CheckedRow<'a> {
    pub provenance: Provenance,
    pub values: Vec<Option<ValueRef<'a>>>,
    /// Per schema column: the cell had an error.
    pub failed: Vec<bool>,
    pub findings: Vec<CellFinding>,
}

impl<'c> Context<'c> {
    /// Run every column's rule on the row.
    pub fn check_row<'r>(&self, row: &'r RowBuf) -> CheckedRow<'r>
    where
        'c: 'r,
    {
        let cols = self.map.columns();
        let mut values = Vec::with_capacity(cols.len());
        let mut failed = Vec::with_capacity(cols.len());
        let mut findings = Vec::new();
        // The IBAN is checked first: it is the evidence a repaired sort code or account number
        // must agree with. Its findings still come in column order.
        let iban_at = cols.iter().position(|c| c.rule == Rule::Iban);
        let mut iban = iban_at.map(|index| {
            let mut own = Vec::new();
            let value = cols
                .get(index)
                .and_then(|column| self.check_cell(index, column, row, None, &mut own));
            (value, own)
        });
        let iban_text = match &iban {
            Some((Some(ValueRef::Text(text)), _)) => Some(text.to_string()),
            _ => None,
        };
        for (index, column) in cols.iter().enumerate() {
            let before = findings.len();
            if Some(index) == iban_at {
                let (value, own) = iban.take().unwrap_or_default();
                findings.extend(own);
                values.push(value);
            } else {
                values.push(self.check_cell(
                    index,
                    column,
                    row,
                    iban_text.as_deref(),
                    &mut findings,
                ));
            }
            failed.push(
                findings
                    .get(before..)
                    .unwrap_or_default()
                    .iter()
                    .any(CellFinding::is_error),
            );
        }
        CheckedRow {
            provenance: Provenance {
                file: self.at.file.clone(),
                sheet: self.at.sheet.clone(),
                row: row.row,
            },
            values,
            failed,
            findings,
        }
    }

    /// A finding on schema column `index` of `row` (on the row when the column is absent).
    pub fn place(&self, row: u32, index: Option<usize>, finding: Finding) -> CellFinding {
        place(self.map, self.at, row, index, finding)
    }

    fn check_cell<'r>(
        &self,
        index: usize,
        column: &Column,
        row: &'r RowBuf,
        iban: Option<&str>,
        findings: &mut Vec<CellFinding>,
    ) -> Option<ValueRef<'r>>
    where
        'c: 'r,
    {
        let cell = self
            .map
            .source_of
            .get(index)
            .copied()
            .flatten()
            .and_then(|i| row.get(i));
        let constant = self.mapping.and_then(|m| m.constant_for(column));
        // The row's IBAN is added below: it is not borrowed from the cell.
        let row_context = Input {
            strict: self.strict,
            separators: self.separators.get(index).copied().unwrap_or_default(),
            ..Input::default()
        };
        let input = match (constant, cell) {
            (Some(text), _) => Input {
                text,
                ..row_context
            },
            (None, Some(cell)) if cell.error => {
                findings.push(self.place(
                    row.row,
                    Some(index),
                    Finding::error(
                        "cell.error",
                        format!(
                            "the cell shows the spreadsheet error {}; fix the formula it comes \
                             from or type the value",
                            cell.text
                        ),
                    ),
                ));
                return None;
            }
            (None, Some(cell)) if !cell.is_empty() => Input {
                text: cell.text,
                number: cell.number,
                date1904: self.date1904,
                ..row_context
            },
            _ => match self.mapping.and_then(|m| m.default_for(column)) {
                Some(text) => Input {
                    text,
                    ..row_context
                },
                None => {
                    if column.required {
                        findings.push(self.place(row.row, Some(index), required(self, index)));
                    }
                    return None;
                }
            },
        };
        // A value checked against the row's IBAN (bank rules) does not borrow the cell.
        let result = match iban {
            Some(_) => self
                .run_rule(index, column, Input { iban, ..input }, row.row, findings)?
                .map(|c| c.map(ValueRef::detached)),
            None => self.run_rule(index, column, input, row.row, findings)?,
        };
        let mask = self.mask_pii && column.is_sensitive();
        let shown = |mut finding: Finding| {
            if mask {
                finding.message = mask_values(&finding.message);
            }
            finding
        };
        match result {
            Ok(checked) => {
                for warning in checked.warnings {
                    findings.push(self.place(row.row, Some(index), shown(warning)));
                }
                Some(checked.value)
            }
            Err(finding) => {
                findings.push(self.place(row.row, Some(index), shown(finding)));
                None
            }
        }
    }

    /// The column's rule on one cell (special columns first read their own way); `None` when
    /// the cell's finding is already pushed.
    fn run_rule<'x>(
        &self,
        index: usize,
        column: &Column,
        input: Input<'x>,
        row: u32,
        findings: &mut Vec<CellFinding>,
    ) -> Option<rules::RuleResult<ValueRef<'x>>>
    where
        'c: 'x,
    {
        const VAT_ID: Rule = Rule::ApiId("VC-");
        const VAT_LETTER: Rule = Rule::Enum("vat_letter");
        let result = match column.special {
            Special::Vat if starts_with_ignore_case(input.text, "VC-") => {
                rules::apply_ref(&VAT_ID, &input, self.enums)
            }
            Special::Vat => rules::apply_ref(&VAT_LETTER, &input, self.enums),
            Special::PayCode => {
                let code = rules::trim(input.text);
                // Codes are almost always written in capitals already: no copy then.
                if code
                    .bytes()
                    .any(|b| !b.is_ascii() || b.is_ascii_lowercase())
                {
                    let upper = code.to_uppercase();
                    rules::apply_ref(&column.rule, &Input::text(&upper), self.enums)
                        .map(|c| c.map(ValueRef::detached))
                } else {
                    rules::apply_ref(&column.rule, &Input::text(code), self.enums)
                }
            }
            Special::TaxYear => match split_tax_year(input.text) {
                Ok(Some(year)) => {
                    let tax_year = year.to_string();
                    rules::apply_ref(&column.rule, &Input::text(&tax_year), self.enums)
                        .map(|c| c.map(ValueRef::detached))
                }
                Ok(None) => rules::apply_ref(&column.rule, &input, self.enums),
                Err(finding) => {
                    findings.push(self.place(row, Some(index), finding));
                    return None;
                }
            },
            Special::None => rules::apply_ref(&column.rule, &input, self.enums),
        };
        Some(result)
    }
}

/// A message about a sensitive cell (NI/PPS number, bank details) with the values it quotes
/// hidden, whatever their shape: the text between quotes (`'AB1234567'`, `'AB 12 34 56 C'`) and
/// every word holding three digits or more (`1.23457E+07`, `sent as 00004321`) keep only their
/// last two characters. Used under `--mask-pii`, by column rather than by the value's pattern,
/// so a malformed value is hidden as well as a valid one.
pub fn mask_values(message: &str) -> String {
    fn hide(value: &str) -> String {
        let n = value.chars().count();
        if n <= 2 {
            return value.to_string();
        }
        let keep: String = value.chars().skip(n - 2).collect();
        "*".repeat(n - 2) + &keep
    }
    // Quoted values: a `'` after a space or bracket opens, one before a space or punctuation
    // closes (so the apostrophe of "worker's" is neither).
    let chars: Vec<char> = message.chars().collect();
    let mut quoted = String::with_capacity(message.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let opens = c == '\''
            && i.checked_sub(1)
                .and_then(|p| chars.get(p))
                .is_none_or(|p| p.is_whitespace() || *p == '(');
        let close = opens
            .then(|| {
                (i + 1..chars.len()).find(|&j| {
                    chars.get(j) == Some(&'\'')
                        && chars
                            .get(j + 1)
                            .is_none_or(|n| n.is_whitespace() || ",.;:)".contains(*n))
                })
            })
            .flatten();
        match close {
            Some(j) => {
                let inner: String = chars.get(i + 1..j).unwrap_or_default().iter().collect();
                quoted.push('\'');
                quoted.push_str(&hide(&inner));
                quoted.push('\'');
                i = j + 1;
            }
            None => {
                quoted.push(c);
                i += 1;
            }
        }
    }
    // Unquoted values: any word with three digits or more.
    quoted
        .split_inclusive(char::is_whitespace)
        .map(|word| {
            let body = word.trim_end();
            let core = body.trim_matches(|c: char| "()'\",;:".contains(c));
            let core = core.strip_suffix('.').unwrap_or(core);
            if core.chars().filter(char::is_ascii_digit).count() >= 3 {
                word.replacen(core, &hide(core), 1)
            } else {
                word.to_string()
            }
        })
        .collect()
}

/// A finding on schema column `index` of a row (on the row when the column is absent).
pub fn place(
    map: &HeaderMap,
    at: &Location,
    row: u32,
    index: Option<usize>,
    finding: Finding,
) -> CellFinding {
    let mut placed = at.row(row, finding);
    if let Some(index) = index {
        match map.locate(index) {
            Some((letter, written)) => {
                placed.column = Some(letter);
                placed.header = Some(written);
            }
            None => placed.header = map.columns().get(index).map(|c| c.header.to_string()),
        }
    }
    placed
}

fn required(ctx: &Context<'_>, index: usize) -> Finding {
    let header = ctx.map.columns().get(index).map_or("", |c| c.header);
    if ctx.map.locate(index).is_some() {
        Finding::error(
            "required.missing",
            format!("{header} is required and this cell is empty; fill it in"),
        )
    } else {
        Finding::error(
            "required.missing",
            format!("{header} is required but the sheet has no '{header}' column; add the column"),
        )
    }
}

pub(super) fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    rules::trim(text)
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// A tax year as a person writes it on the command line — `2025`, `2025/26` or `2025-26` — as
/// the year it starts (2025), or a message saying what to write instead. The same reading as a
/// Tax Year cell's.
pub fn parse_tax_year(text: &str) -> Result<i32, String> {
    let bad =
        || format!("'{text}' is not a tax year; write the year it starts, e.g. 2025, or 2025/26");
    let year = match split_tax_year(text) {
        Ok(Some(year)) => year,
        Ok(None) => text.trim().parse().map_err(|_| bad())?,
        Err(finding) => return Err(finding.message),
    };
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(format!(
            "tax year {year} is out of range; write a year from 2000 to 2100, e.g. 2025 or 2025/26"
        ))
    }
}

/// `2025/26` or `2025-26` → 2025 (the year the tax year starts); plain text is left to the rule.
fn split_tax_year(text: &str) -> Result<Option<i32>, Finding> {
    let Some((start, end)) = rules::trim(text).split_once(['/', '-']) else {
        return Ok(None);
    };
    let bad = || {
        Finding::error(
            "tax_year.format",
            format!("'{text}' is not a tax year; write the year it starts, e.g. 2025, or 2025/26"),
        )
    };
    let start: i32 = start.trim().parse().map_err(|_| bad())?;
    let end: i32 = end.trim().parse().map_err(|_| bad())?;
    let follows = if end < 100 {
        (start + 1) % 100 == end
    } else {
        start + 1 == end
    };
    if follows { Ok(Some(start)) } else { Err(bad()) }
}

/// A checked value as JSON for the API payload.
pub fn to_json_ref(value: &ValueRef<'_>) -> Json {
    match value {
        ValueRef::Text(s) => Json::String(s.to_string()),
        ValueRef::Date(d) => to_json(&Value::Date(*d)),
        ValueRef::Decimal(d) => to_json(&Value::Decimal(*d)),
        ValueRef::Integer(i) => Json::from(*i),
        ValueRef::Bool(b) => Json::Bool(*b),
    }
}

/// A value as JSON for the API payload.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Text(s) => Json::String(s.clone()),
        Value::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
        Value::Decimal(d) => serde_json::Number::from_str(&d.normalize().to_string())
            .map_or_else(|_| Json::String(d.to_string()), Json::Number),
        Value::Integer(i) => Json::from(*i),
        Value::Bool(b) => Json::Bool(*b),
    }
}

/// Put `value` at a dotted path with optional array indexes (`generalSetting.address[1]`).
pub fn set_path(root: &mut Json, path: &str, value: Json) {
    let mut node = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let last = parts.peek().is_none();
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !node.is_object() {
            *node = Json::Object(Map::new());
        }
        let Json::Object(map) = node else { return };
        let slot = map.entry(name.to_string()).or_insert(Json::Null);
        node = match index {
            Some(i) => {
                if !slot.is_array() {
                    *slot = Json::Array(Vec::new());
                }
                let Json::Array(items) = slot else { return };
                while items.len() <= i {
                    items.push(Json::String(String::new()));
                }
                match items.get_mut(i) {
                    Some(item) => item,
                    None => return,
                }
            }
            None => slot,
        };
        if last {
            *node = value;
            return;
        }
    }
}

/// A candidate or payment-rate record from a checked row.
/// A worker's or pay code's JSON body: each column's value at its path.
pub fn body(map: &HeaderMap, row: &CheckedRow) -> Json {
    let mut body = Json::Object(Map::new());
    for (column, value) in map.columns().iter().zip(&row.values) {
        if let Some(value) = value {
            set_path(&mut body, column.path, to_json_ref(value));
        }
    }
    body
}

/// The record of a worker's or pay code's row, its [`body`] built (and checked) already.
pub fn record(entity: Entity, body: Json, row: CheckedRow) -> Record {
    let key_path = match entity {
        Entity::PaymentRates => "/code",
        _ => "/generalSetting/agencyRef",
    };
    let key = body
        .pointer(key_path)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    Record {
        entity,
        provenance: vec![row.provenance],
        key,
        body: match entity {
            Entity::PaymentRates => Body::PaymentRate(body.into()),
            _ => Body::Candidate(body.into()),
        },
        findings: row.findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use serde_json::json;

    #[test]
    fn paths_build_nested_objects_and_arrays() {
        let mut body = json!({});
        set_path(&mut body, "generalSetting.address[0]", json!("1 High St"));
        set_path(&mut body, "generalSetting.address[2]", json!("Leeds"));
        set_path(
            &mut body,
            "generalSetting.pensionSetting.scheme",
            json!("NEST"),
        );
        set_path(&mut body, "code", json!("PR1"));
        assert_eq!(
            body,
            json!({
                "generalSetting": {
                    "address": ["1 High St", "", "Leeds"],
                    "pensionSetting": {"scheme": "NEST"}
                },
                "code": "PR1"
            })
        );
    }

    #[test]
    fn decimals_become_json_numbers_without_noise() {
        let d = |s: &str| Value::Decimal(Decimal::from_str(s).expect("decimal"));
        assert_eq!(to_json(&d("15.50")).to_string(), "15.5");
        assert_eq!(to_json(&d("35000")).to_string(), "35000");
        assert_eq!(to_json(&d("0.1")).to_string(), "0.1");
    }

    /// Issue 17: malformed NI and account numbers were quoted under `--mask-pii` because the
    /// report's patterns did not match them.
    #[test]
    fn masked_messages_quote_no_value_whatever_its_shape() {
        for (message, hidden) in [
            (
                "'AB1234567' is not an NI number: expected two letters, e.g. AB 12 34 56 C",
                "AB1234567",
            ),
            (
                "NI number 'AB 12 34 56 Q' ends with 'Q'; check the worker's card",
                "AB 12 34 56",
            ),
            (
                "'1.23457E+07' lost its last digits: type the account number",
                "1.23457E+07",
            ),
            (
                "account number read as '4321' (Excel); repaired and sent as 00004321.",
                "00004321",
            ),
            (
                "IBAN 'GB29NWBK60161331926819' does not contain sort code 601613",
                "601613",
            ),
        ] {
            let masked = mask_values(message);
            assert!(!masked.contains(hidden), "{masked}");
            assert!(masked.contains("*"), "{masked}");
        }
        let masked = mask_values("'AB1234567' is not an NI number; check the worker's card");
        assert_eq!(
            masked,
            "'*******67' is not an NI number; check the worker's card"
        );
    }

    #[test]
    fn tax_years_in_both_forms() {
        assert_eq!(split_tax_year("2025").ok(), Some(None));
        assert_eq!(split_tax_year("2025/26").ok(), Some(Some(2025)));
        assert_eq!(split_tax_year("2099-2100").ok(), Some(Some(2099)));
        assert_eq!(
            split_tax_year("2025/27").err().map(|f| f.code),
            Some("tax_year.format")
        );
    }
}
