//! Field-by-field comparison of the sheet's payload with the server's copy.
//!
//! Only the fields the sheet provides are compared (a sheet that leaves a column out does not
//! ask for it to be cleared). Values compare leniently where the API is known to re-shape them:
//! numbers and decimal strings (`8` vs `"8.00"`), booleans and their string forms, text with
//! surrounding spaces, and sort codes with or without dashes.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::model::Change;

/// The fields of `sheet` (leaves, except nulls) whose value differs in `server`.
pub fn changed_fields(sheet: &Value, server: &Value, ignore: &[&str]) -> Vec<Change> {
    let mut changes = Vec::new();
    walk(sheet, Some(server), String::new(), ignore, &mut changes);
    changes
}

fn walk(
    sheet: &Value,
    server: Option<&Value>,
    path: String,
    ignore: &[&str],
    out: &mut Vec<Change>,
) {
    if ignore.contains(&path.as_str()) {
        return;
    }
    match sheet {
        Value::Null => {}
        Value::Object(map) => {
            for (key, value) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(value, server.and_then(|s| s.get(key)), child, ignore, out);
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                walk(
                    value,
                    server.and_then(|s| s.get(i)),
                    format!("{path}[{i}]"),
                    ignore,
                    out,
                );
            }
        }
        leaf => {
            let before = server.cloned().unwrap_or(Value::Null);
            if !same_value(leaf, &before) {
                out.push(Change::new(path, before, leaf.clone()));
            }
        }
    }
}

/// Equal as the API means it: exact decimals, booleans in any spelling, trimmed text,
/// digits-only sort codes.
pub fn same_value(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (as_decimal(a), as_decimal(b)) {
        (Some(x), Some(y)) => return x == y,
        (Some(_), None) | (None, Some(_)) if a.is_number() || b.is_number() => return false,
        _ => {}
    }
    match (as_bool(a), as_bool(b)) {
        (Some(x), Some(y)) => return x == y,
        (Some(_), None) | (None, Some(_)) => return false,
        _ => {}
    }
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => {
            let (x, y) = (x.trim(), y.trim());
            x == y || (is_sort_code(x) && is_sort_code(y) && digits(x) == digits(y))
        }
        _ => false,
    }
}

fn as_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        // Only plain decimals count: "007" must stay text (an identifier), so leading zeros
        // before other digits are not read as numbers.
        Value::String(s) => {
            let t = s.trim();
            let unsigned = t.strip_prefix('-').unwrap_or(t);
            if unsigned.len() > 1 && unsigned.starts_with('0') && !unsigned.starts_with("0.") {
                return None;
            }
            Decimal::from_str(t).ok()
        }
        _ => None,
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn is_sort_code(s: &str) -> bool {
    let d = digits(s);
    d.len() == 6
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_sheet_fields_are_compared_and_reported() {
        let sheet =
            json!({"g": {"a": "x", "b": null, "addr": ["1 High St", "Flat 2"]}, "code": "P1"});
        let server = json!({"g": {"a": "x", "b": "kept", "c": "extra", "addr": ["1 High St", "Flat 3"]}, "code": "P9"});
        let changes = changed_fields(&sheet, &server, &["code"]);
        assert_eq!(
            changes,
            vec![Change::new("g.addr[1]", json!("Flat 3"), json!("Flat 2"))]
        );
    }

    #[test]
    fn api_reshaping_is_not_a_change() {
        assert!(same_value(&json!(8), &json!("8.00")));
        assert!(same_value(&json!("15.5"), &json!(15.50)));
        assert!(same_value(&json!(true), &json!("TRUE")));
        assert!(same_value(&json!("123456"), &json!("12-34-56")));
        assert!(same_value(&json!(" Leeds "), &json!("Leeds")));
        assert!(!same_value(&json!("007"), &json!(7)));
        assert!(!same_value(&json!("12345678"), &json!("12345679")));
        assert!(!same_value(&json!(true), &json!(false)));
        assert!(!same_value(&json!("x"), &Value::Null));
    }

    #[test]
    fn missing_server_field_is_a_change_from_null() {
        let changes = changed_fields(&json!({"a": 1}), &json!({}), &[]);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].before, Value::Null);
    }
}
