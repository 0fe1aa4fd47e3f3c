//! Deserialisers for fields the API sends in more than one shape: money and quantities as numbers
//! or decimal strings, ids as strings or numbers, references as `"SR-1"` or `{"id": "SR-1"}`,
//! booleans as `true` or `"TRUE"`. Each takes `Option` so a missing or `null` field is `None`.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A decimal from a JSON number or a decimal string (`"6666.67"`, `" 20 "`, `"1,000.50"`).
pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => parse_decimal(&n.to_string())
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("`{n}` is not a decimal number"))),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => parse_decimal(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("`{s}` is not a decimal number"))),
        other => Err(D::Error::custom(format!(
            "expected a number or a decimal string, found {other}"
        ))),
    }
}

/// A decimal as [`decimal`], or `None` for a word: a timesheet line that is an embedded
/// payment-rate object carries `units: "HOURLY"` (the rate's unit, not the line's quantity).
pub fn decimal_or_word<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(parse_decimal(&s)),
        Value::Number(n) => Ok(parse_decimal(&n.to_string())),
        _ => Ok(None),
    }
}

/// Parse a decimal written as text, accepting thousands separators and scientific notation.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim().replace(',', "");
    Decimal::from_str(&t)
        .ok()
        .or_else(|| Decimal::from_scientific(&t).ok())
}

/// A whole number from a JSON number or a numeric string.
pub fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("`{n}` is not a whole number"))),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("`{s}` is not a whole number"))),
        other => Err(D::Error::custom(format!(
            "expected a whole number, found {other}"
        ))),
    }
}

/// Text from a JSON string or number (ids are strings, but a number is accepted and kept as text).
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(D::Error::custom(format!("expected text, found {other}"))),
    }
}

/// A reference: a plain id (`"SR-1"`) as requests send it, or an object (`{"id": "SR-1", …}`) as
/// responses do.
pub fn reference<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Object(map) => match map.get("id") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(D::Error::custom(format!(
                "expected an id in the reference, found {other}"
            ))),
        },
        other => Err(D::Error::custom(format!(
            "expected an id or an object with an id, found {other}"
        ))),
    }
}

/// A boolean from `true`/`false` or the strings `"TRUE"`/`"FALSE"` (any case), `"1"`/`"0"`.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::Number(n) => Ok(Some(n.as_f64() != Some(0.0))),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Some(true)),
            "false" | "no" | "0" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(D::Error::custom(format!("`{s}` is not true or false"))),
        },
        // The docs show `{}` where a boolean belongs (a generator artefact): treat as unknown.
        Value::Object(m) if m.is_empty() => Ok(None),
        other => Err(D::Error::custom(format!(
            "expected true or false, found {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "decimal")]
        d: Option<Decimal>,
        #[serde(default, deserialize_with = "integer")]
        i: Option<i64>,
        #[serde(default, deserialize_with = "reference")]
        r: Option<String>,
        #[serde(default, deserialize_with = "boolean")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "text")]
        t: Option<String>,
    }

    fn probe(v: Value) -> Probe {
        serde_json::from_value(v).expect("probe parses")
    }

    #[test]
    fn decimals_from_numbers_and_strings_are_exact() {
        assert_eq!(
            probe(json!({"d": "6666.67"})).d,
            Some(Decimal::new(666667, 2))
        );
        assert_eq!(probe(json!({"d": 0.1})).d, Some(Decimal::new(1, 1)));
        assert_eq!(probe(json!({"d": 15.5})).d, Some(Decimal::new(155, 1)));
        assert_eq!(
            probe(json!({"d": "1,000.50"})).d,
            Some(Decimal::new(100050, 2))
        );
        assert_eq!(probe(json!({"d": null})).d, None);
        assert_eq!(probe(json!({})).d, None);
        assert!(serde_json::from_value::<Probe>(json!({"d": "ten"})).is_err());
        assert!(serde_json::from_value::<Probe>(json!({"d": true})).is_err());
    }

    #[test]
    fn integers_references_booleans_text() {
        assert_eq!(probe(json!({"i": "2025"})).i, Some(2025));
        assert_eq!(probe(json!({"i": 52})).i, Some(52));
        assert_eq!(
            probe(json!({"r": {"id": "SR-1"}})).r.as_deref(),
            Some("SR-1")
        );
        assert_eq!(probe(json!({"r": "SR-2"})).r.as_deref(), Some("SR-2"));
        assert_eq!(probe(json!({"b": "FALSE"})).b, Some(false));
        assert_eq!(probe(json!({"b": {}})).b, None);
        assert_eq!(probe(json!({"t": 181483})).t.as_deref(), Some("181483"));
        assert!(serde_json::from_value::<Probe>(json!({"b": "maybe"})).is_err());
    }
}
