//! Server-side validation of JSON bodies against field tables written from the reference.
//!
//! Status choice: malformed JSON, a wrong JSON type, a missing required field or an unknown
//! field → 400 `invalid_request`; a value of the right type that is not acceptable (bad date,
//! unknown enum value, bad NI number format) → 422 `invalid_parameter`. Every error names the
//! field by its JSON path (`generalSetting.NINumber`, `rates[1].rateId`).

use std::str::FromStr;

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::NumberStyle;
use super::errors::ApiError;

/// What a field may hold. Every optional field may also be `null`.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Str,
    Enum(&'static [&'static str]),
    /// `YYYY-MM-DD`.
    Date,
    /// A date or an ISO-8601 date-time.
    DateOrDateTime,
    Bool,
    /// A number or a decimal string.
    Num,
    Int,
    StrArray,
    /// A string matching a format check.
    Format(fn(&str) -> bool, &'static str),
    Object(&'static Spec),
    /// Anything (documents, open payroll settings).
    Any,
}

/// One field of an object.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// The fields of an object; `open` objects accept keys not listed (with any scalar value).
#[derive(Debug)]
pub struct Spec {
    pub fields: &'static [Field],
    pub open: bool,
}

/// Shorthand constructors for field tables.
pub const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

pub const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

/// Whether required fields must be present (create) or only valid when present (partial update).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

/// Parse a request body as a JSON object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_request(
            "The request body is empty; send a JSON object",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid_request(
            "The request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::invalid_request(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// Join a JSON path and a key.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Check `map` (found at `path`) against `spec`.
pub fn check(
    map: &Map<String, Value>,
    path: &str,
    spec: &Spec,
    mode: Mode,
) -> Result<(), ApiError> {
    for (key, value) in map {
        let field_path = join(path, key);
        match spec.fields.iter().find(|f| f.name == key) {
            Some(field) => check_value(value, &field_path, field, mode)?,
            None if spec.open => {
                if value.is_object() {
                    return Err(ApiError::invalid_request(format!(
                        "{field_path} must be a plain value, not an object"
                    ))
                    .field(field_path));
                }
            }
            None => {
                return Err(ApiError::invalid_request(format!(
                    "{field_path} is not a field this endpoint accepts"
                ))
                .field(field_path));
            }
        }
    }
    if mode == Mode::Create {
        for field in spec.fields.iter().filter(|f| f.required) {
            if !map.contains_key(field.name) {
                let field_path = join(path, field.name);
                return Err(
                    ApiError::invalid_request(format!("{field_path} is required"))
                        .field(field_path),
                );
            }
        }
    }
    Ok(())
}

fn check_value(value: &Value, path: &str, field: &Field, mode: Mode) -> Result<(), ApiError> {
    let wrong_type = |what: &str| {
        ApiError::invalid_request(format!("{path} must be {what}")).field(path.to_string())
    };
    if value.is_null() {
        return if field.required {
            Err(
                ApiError::invalid_request(format!("{path} is required and cannot be null"))
                    .field(path.to_string()),
            )
        } else {
            Ok(())
        };
    }
    match field.kind {
        Kind::Str => {
            let s = value.as_str().ok_or_else(|| wrong_type("a string"))?;
            if field.required && s.trim().is_empty() {
                return Err(
                    ApiError::invalid_request(format!("{path} must not be empty"))
                        .field(path.to_string()),
                );
            }
        }
        Kind::Enum(values) => {
            let s = value.as_str().ok_or_else(|| wrong_type("a string"))?;
            if !values.contains(&s) {
                return Err(ApiError::unprocessable(
                    path,
                    format!("{path} must be one of {}; got {s:?}", values.join(", ")),
                )
                .detail("allowed", values.to_vec()));
            }
        }
        Kind::Date => {
            let s = value.as_str().ok_or_else(|| wrong_type("a date string"))?;
            parse_date(s, path)?;
        }
        Kind::DateOrDateTime => {
            let s = value.as_str().ok_or_else(|| wrong_type("a date string"))?;
            if DateTime::parse_from_rfc3339(s).is_err() {
                parse_date(s, path)?;
            }
        }
        Kind::Bool => {
            value.as_bool().ok_or_else(|| wrong_type("true or false"))?;
        }
        Kind::Num => {
            decimal(value, path)?;
        }
        Kind::Int => {
            value.as_i64().ok_or_else(|| wrong_type("a whole number"))?;
        }
        Kind::StrArray => {
            let items = value
                .as_array()
                .ok_or_else(|| wrong_type("an array of strings"))?;
            if items.iter().any(|v| !v.is_string()) {
                return Err(wrong_type("an array of strings"));
            }
        }
        Kind::Format(ok, expected) => {
            let s = value.as_str().ok_or_else(|| wrong_type("a string"))?;
            if !ok(s) {
                return Err(ApiError::unprocessable(
                    path,
                    format!("{path} {s:?} is not valid: expected {expected}"),
                )
                .detail("expected_format", expected));
            }
        }
        Kind::Object(spec) => {
            let map = value.as_object().ok_or_else(|| wrong_type("an object"))?;
            check(map, path, spec, mode)?;
        }
        Kind::Any => {}
    }
    Ok(())
}

/// A `YYYY-MM-DD` date, or 422 naming the field.
pub fn parse_date(s: &str, path: &str) -> Result<NaiveDate, ApiError> {
    if s.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
    {
        return Ok(d);
    }
    Err(ApiError::unprocessable(
        path,
        format!("{path} {s:?} is not a date in the form YYYY-MM-DD"),
    )
    .detail("expected_format", "YYYY-MM-DD"))
}

/// A number or decimal string as an exact decimal, or 400 naming the field.
pub fn decimal(value: &Value, path: &str) -> Result<Decimal, ApiError> {
    let parsed = match value {
        Value::Number(n) => {
            Decimal::from_str(&n.to_string()).or_else(|_| Decimal::from_scientific(&n.to_string()))
        }
        Value::String(s) => Decimal::from_str(s.trim()),
        _ => {
            return Err(ApiError::invalid_request(format!(
                "{path} must be a number or a decimal string"
            ))
            .field(path.to_string()));
        }
    };
    parsed.map_err(|_| {
        ApiError::unprocessable(path, format!("{path} {value} is not a decimal number"))
    })
}

/// Under `numbers-only` / `strings-only`, refuse (400 naming the field) a number given the other
/// way; `null` and absent values are left to the field table.
pub(crate) fn number_style(value: &Value, path: &str, style: NumberStyle) -> Result<(), ApiError> {
    let refused = match (style, value) {
        (NumberStyle::Numbers, Value::String(_)) => "a JSON number, not a string",
        (NumberStyle::Strings, Value::Number(_)) => "a decimal string, not a JSON number",
        _ => return Ok(()),
    };
    Err(ApiError::invalid_request(format!("{path} must be {refused}")).field(path.to_string()))
}

/// The string at `key`, if present and a string.
pub fn str_at<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

/// The number in a path id such as `SR-12` (prefix `SR-`), or 400 naming `id`.
pub fn parse_id(raw: &str, prefix: &str) -> Result<u64, ApiError> {
    raw.strip_prefix(prefix)
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| {
            ApiError::invalid_parameter("id", "The provided ID format is invalid")
                .detail("expected_format", format!("{prefix}999999999"))
        })
}

/// Now as the API writes timestamps: ISO-8601 UTC with milliseconds.
pub fn now_iso() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Merge `patch` into `target` key by key; nested objects merge, anything else replaces.
pub fn merge(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match (target.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(inner)) => merge(existing, inner),
            (_, value) => {
                target.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static INNER: Spec = Spec {
        fields: &[opt("when", Kind::Date)],
        open: false,
    };
    static SPEC: Spec = Spec {
        fields: &[
            req("name", Kind::Str),
            opt("kind", Kind::Enum(&["A", "B"])),
            opt("amount", Kind::Num),
            opt("inner", Kind::Object(&INNER)),
        ],
        open: false,
    };

    fn run(v: Value, mode: Mode) -> Result<(), ApiError> {
        check(v.as_object().unwrap(), "", &SPEC, mode)
    }

    #[test]
    fn names_the_field_and_picks_the_status() {
        let e = run(json!({"kind": "A"}), Mode::Create).unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.details["field"].as_str()),
            (400, Some("name"))
        );
        assert!(run(json!({"kind": "A"}), Mode::Update).is_ok());
        let e = run(json!({"name": "x", "kind": "C"}), Mode::Create).unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.details["field"].as_str()),
            (422, Some("kind"))
        );
        let e = run(
            json!({"name": "x", "inner": {"when": "2025-13-01"}}),
            Mode::Create,
        )
        .unwrap_err();
        assert_eq!(e.details["field"], "inner.when");
        let e = run(json!({"name": "x", "extra": 1}), Mode::Create).unwrap_err();
        assert_eq!(e.details["field"], "extra");
        let e = run(json!({"name": 5}), Mode::Create).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert!(
            run(
                json!({"name": "x", "amount": "12.50", "kind": null}),
                Mode::Create
            )
            .is_ok()
        );
        assert!(run(json!({"name": "x", "amount": "12,50"}), Mode::Create).is_err());
    }

    #[test]
    fn number_styles() {
        let any = NumberStyle::Either;
        assert!(number_style(&json!("1.5"), "x", any).is_ok());
        assert!(number_style(&json!(1.5), "x", any).is_ok());
        let e = number_style(&json!("1.5"), "rates[0].rate", NumberStyle::Numbers).unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.details["field"].as_str()),
            (400, Some("rates[0].rate"))
        );
        assert!(number_style(&json!(1.5), "x", NumberStyle::Numbers).is_ok());
        assert!(number_style(&json!(1.5), "x", NumberStyle::Strings).is_err());
        assert!(number_style(&json!("1.5"), "x", NumberStyle::Strings).is_ok());
        assert!(number_style(&Value::Null, "x", NumberStyle::Strings).is_ok());
    }

    #[test]
    fn decimals_from_numbers_and_strings_are_exact() {
        assert_eq!(decimal(&json!(0.1), "x").unwrap().to_string(), "0.1");
        assert_eq!(
            decimal(&json!("100.10"), "x").unwrap().to_string(),
            "100.10"
        );
        assert!(decimal(&json!(true), "x").is_err());
    }

    #[test]
    fn merge_is_deep_for_objects() {
        let mut a = json!({"g": {"a": 1, "b": 2}, "list": [1, 2]});
        let b = json!({"g": {"b": 3}, "list": [9]});
        merge(a.as_object_mut().unwrap(), b.as_object().unwrap().clone());
        assert_eq!(a, json!({"g": {"a": 1, "b": 3}, "list": [9]}));
    }
}
