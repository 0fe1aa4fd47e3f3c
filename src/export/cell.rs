//! Turning one JSON value of a payslip into a typed spreadsheet cell, tolerantly: the API sends
//! money sometimes as decimal strings and sometimes as numbers, and a value that does not fit
//! its column's type is kept as text rather than dropped.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde_json::Value;

use super::columns::Kind;

/// Largest integer a spreadsheet number holds exactly (2^53).
const MAX_EXACT_INTEGER: i64 = 9_007_199_254_740_992;

/// A typed cell value, ready for a writer.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Blank,
    Text(Cow<'a, str>),
    Integer(i64),
    Money(Decimal),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

/// The cell for a value of a column of this kind. `None` (field absent) and JSON `null` are blank.
pub fn typed(kind: Kind, value: Option<&Value>) -> Cell<'_> {
    let Some(value) = value else {
        return Cell::Blank;
    };
    if value.is_null() {
        return Cell::Blank;
    }
    let converted = match kind {
        Kind::Text | Kind::AsItCame => None,
        Kind::Integer => integer(value),
        Kind::Money => decimal(value).map(Cell::Money),
        Kind::Date => value.as_str().and_then(date_or_datetime),
        Kind::DateTime => value.as_str().and_then(|s| datetime(s).or_else(|| date(s))),
    };
    converted.unwrap_or_else(|| as_it_came(value))
}

/// A value as the API sent it: strings as text, numbers as numbers, true/false as booleans,
/// anything else as compact JSON text.
pub fn as_it_came(value: &Value) -> Cell<'_> {
    match value {
        Value::Null => Cell::Blank,
        Value::String(s) => Cell::Text(Cow::Borrowed(s)),
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) if i.abs() <= MAX_EXACT_INTEGER => Cell::Integer(i),
            Some(_) => Cell::Text(Cow::Owned(n.to_string())),
            None => n
                .as_f64()
                .map(Cell::Number)
                .unwrap_or_else(|| Cell::Text(Cow::Owned(n.to_string()))),
        },
        Value::Array(_) | Value::Object(_) => Cell::Text(Cow::Owned(value.to_string())),
    }
}

/// The text of a value for CSV: exactly as it came (decimal strings are not reformatted).
pub fn raw_text(value: Option<&Value>) -> Cow<'_, str> {
    match value {
        None | Some(Value::Null) => Cow::Borrowed(""),
        Some(Value::String(s)) => Cow::Borrowed(s),
        Some(Value::Number(n)) => Cow::Owned(n.to_string()),
        Some(Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Some(other) => Cow::Owned(other.to_string()),
    }
}

/// The text of a money value for CSV: at least two decimals (`15.0` and `15` become `15.00`,
/// like every other amount), more kept as they came; exact, never through a float. A value
/// that is not a number is written as it came.
pub fn money_text(value: Option<&Value>) -> Cow<'_, str> {
    match value.and_then(decimal) {
        Some(mut amount) => {
            if amount.scale() < 2 {
                amount.rescale(2);
            }
            Cow::Owned(amount.to_string())
        }
        None => raw_text(value),
    }
}

/// An exact decimal from a decimal string (`"6666.67"`) or a JSON number (`0`, `12.5`).
pub fn decimal(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::String(s) => s.trim(),
        Value::Number(n) => return parse_decimal(&n.to_string()),
        _ => return None,
    };
    parse_decimal(text)
}

fn parse_decimal(text: &str) -> Option<Decimal> {
    if text.is_empty() {
        return None;
    }
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .ok()
}

fn integer(value: &Value) -> Option<Cell<'static>> {
    let parsed = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }?;
    (parsed.abs() <= MAX_EXACT_INTEGER).then_some(Cell::Integer(parsed))
}

fn date(text: &str) -> Option<Cell<'static>> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .map(Cell::Date)
}

fn datetime(text: &str) -> Option<Cell<'static>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|dt| dt.naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
        .map(Cell::DateTime)
}

/// A date column that received a timestamp keeps the timestamp (nothing is rounded away).
fn date_or_datetime(text: &str) -> Option<Cell<'static>> {
    date(text).or_else(|| datetime(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(text: &str) -> Decimal {
        text.parse().expect("test decimal")
    }

    #[test]
    fn money_from_strings_and_numbers_is_exact() {
        assert_eq!(
            typed(Kind::Money, Some(&json!("6666.67"))),
            Cell::Money(dec("6666.67"))
        );
        assert_eq!(typed(Kind::Money, Some(&json!(0))), Cell::Money(dec("0")));
        assert_eq!(
            typed(Kind::Money, Some(&json!(12.5))),
            Cell::Money(dec("12.5"))
        );
        assert_eq!(
            typed(Kind::Money, Some(&json!(" -3.10 "))),
            Cell::Money(dec("-3.10"))
        );
    }

    #[test]
    fn a_value_that_does_not_fit_its_column_is_kept_as_text() {
        assert_eq!(
            typed(Kind::Money, Some(&json!("n/a"))),
            Cell::Text("n/a".into())
        );
        assert_eq!(
            typed(Kind::Date, Some(&json!("31/02/2025"))),
            Cell::Text("31/02/2025".into())
        );
        assert_eq!(
            typed(Kind::Integer, Some(&json!("week 5"))),
            Cell::Text("week 5".into())
        );
    }

    #[test]
    fn absent_and_null_are_blank() {
        assert_eq!(typed(Kind::Money, None), Cell::Blank);
        assert_eq!(typed(Kind::Text, Some(&Value::Null)), Cell::Blank);
    }

    #[test]
    fn text_columns_never_reinterpret_strings() {
        let formula = json!("=HYPERLINK(\"x\",\"y\")");
        assert_eq!(
            typed(Kind::Text, Some(&formula)),
            Cell::Text("=HYPERLINK(\"x\",\"y\")".into())
        );
        assert_eq!(
            typed(Kind::Text, Some(&json!("0012"))),
            Cell::Text("0012".into())
        );
    }

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(
            typed(Kind::Date, Some(&json!("2025-04-05"))),
            Cell::Date(NaiveDate::from_ymd_opt(2025, 4, 5).expect("date"))
        );
        let Cell::DateTime(dt) = typed(Kind::DateTime, Some(&json!("2025-03-20T10:38:35.894Z")))
        else {
            panic!("expected a timestamp");
        };
        assert_eq!(dt.to_string(), "2025-03-20 10:38:35.894");
        let Cell::DateTime(dt) = typed(Kind::DateTime, Some(&json!("2025-03-20T10:38:35+01:00")))
        else {
            panic!("expected a timestamp");
        };
        assert_eq!(dt.to_string(), "2025-03-20 09:38:35", "shown in UTC");
    }

    #[test]
    fn unknown_fields_keep_their_json_type() {
        assert_eq!(as_it_came(&json!(7)), Cell::Integer(7));
        assert_eq!(as_it_came(&json!(1.5)), Cell::Number(1.5));
        assert_eq!(as_it_came(&json!(true)), Cell::Bool(true));
        assert_eq!(as_it_came(&json!("7")), Cell::Text("7".into()));
        assert_eq!(
            as_it_came(&json!({"a": [1]})),
            Cell::Text("{\"a\":[1]}".into())
        );
        assert_eq!(
            as_it_came(&json!(9_007_199_254_740_993_i64)),
            Cell::Text("9007199254740993".into()),
            "beyond 2^53 a spreadsheet number would change the value"
        );
    }

    #[test]
    fn csv_text_is_exactly_what_came() {
        assert_eq!(raw_text(Some(&json!("6666.670"))), "6666.670");
        assert_eq!(raw_text(Some(&json!(0))), "0");
        assert_eq!(raw_text(None), "");
        assert_eq!(raw_text(Some(&json!(null))), "");
        assert_eq!(raw_text(Some(&json!([1, "a"]))), "[1,\"a\"]");
    }
}
