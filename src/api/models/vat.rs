//! VAT codes (`VC-…`), read-only: `GET /nxsys/vat-code`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// A VAT code of the employer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VatCode {
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    #[serde(
        rename = "incrementId",
        default,
        deserialize_with = "lenient::integer",
        skip_serializing_if = "Option::is_none"
    )]
    pub increment_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// As sent, e.g. `"20%"`; see [`VatCode::rate_percent`].
    #[serde(rename = "VATRate", default, deserialize_with = "lenient::text")]
    pub vat_rate: Option<String>,
    /// HMRC-style letter, e.g. `"S"`.
    #[serde(rename = "VATCode", default, deserialize_with = "lenient::text")]
    pub vat_code: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl VatCode {
    /// The rate in percent (`"20%"` → 20), when it reads as a number.
    pub fn rate_percent(&self) -> Option<Decimal> {
        let raw = self.vat_rate.as_deref()?.trim().trim_end_matches('%');
        lenient::parse_decimal(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_documented_example() {
        let v: VatCode = serde_json::from_value(json!({
            "id": "VC-2", "incrementId": 1, "description": "Standard", "VATRate": "20%",
            "VATCode": "S", "author": null, "companyParentId": "45c66746-1224-4dc9-aa70-9935dff52d60",
            "createdAt": "2021-05-19T04:00:21.250Z", "deletedAt": null
        }))
        .unwrap();
        assert_eq!(v.id.as_deref(), Some("VC-2"));
        assert_eq!(v.vat_code.as_deref(), Some("S"));
        assert_eq!(v.rate_percent(), Some(Decimal::from(20)));
        assert!(v.extra.contains_key("companyParentId"));
    }

    #[test]
    fn numeric_rate_is_accepted() {
        let v: VatCode = serde_json::from_value(json!({"id": "VC-3", "VATRate": 13.5})).unwrap();
        assert_eq!(v.rate_percent(), Some(Decimal::new(135, 1)));
    }
}
