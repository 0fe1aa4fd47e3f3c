//! Payment rates (pay codes, `PR-…`): `/nxsys/payment-rate`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::candidate::push;
use super::lenient;

/// Body of `POST /nxsys/payment-rate` (`PaymentRateCreateDto`) and, with `code` left `None`,
/// of `PUT /nxsys/payment-rate/{id}` (`PaymentRateEditDto`: codes cannot be changed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRateBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_on_payslip: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub rate_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours_per_unit: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_in_cis_calculation: Option<bool>,
    #[serde(
        rename = "includeNICalculation",
        skip_serializing_if = "Option::is_none"
    )]
    pub include_ni_calculation: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_tax_calculation: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_pension_calculation: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_accrue_holiday_pay: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raise_invoice: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_in_paye_umbrella_calculation: Option<bool>,
    /// A VAT code id (`VC-…`).
    #[serde(rename = "defaultVATCode", skip_serializing_if = "Option::is_none")]
    pub default_vat_code: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A payment rate as the API returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRate {
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::integer")]
    pub increment_id: Option<i64>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub display_on_payslip: Option<bool>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub code: Option<String>,
    #[serde(rename = "type", default)]
    pub rate_type: Option<String>,
    #[serde(default)]
    pub units: Option<String>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub hours_per_unit: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub include_in_cis_calculation: Option<bool>,
    #[serde(
        rename = "includeNICalculation",
        default,
        deserialize_with = "lenient::boolean"
    )]
    pub include_ni_calculation: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub include_tax_calculation: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub include_pension_calculation: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub include_accrue_holiday_pay: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub raise_invoice: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub include_in_paye_umbrella_calculation: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_statutory: Option<bool>,
    /// The VAT code id, whether sent as `"VC-2"` or as the embedded VAT code object.
    #[serde(
        rename = "defaultVATCode",
        default,
        deserialize_with = "lenient::reference"
    )]
    pub default_vat_code: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Filters of `GET /nxsys/payment-rate`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentRateFilter {
    pub code: Option<String>,
    pub status: Option<String>,
}

impl PaymentRateFilter {
    /// The query parameters of this filter (blank values left out).
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        push(&mut q, "code", &self.code);
        push(&mut q, "status", &self.status);
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_embedded_rate_with_vat_object_and_string_decimal() {
        let r: PaymentRate = serde_json::from_value(json!({
            "id": "PR-1914", "incrementId": 1914, "description": "Commission",
            "displayOnPayslip": true, "status": "ACTIVE", "code": "PRCOMS", "type": "RATE",
            "units": "MONTHLY", "hoursPerUnit": "1", "includeInCisCalculation": false,
            "includeNICalculation": true, "isStatutory": null, "author": "USRP-2",
            "defaultVATCode": {"id": "VC-2", "VATRate": "20%", "VATCode": "S"}
        }))
        .unwrap();
        assert_eq!(r.code.as_deref(), Some("PRCOMS"));
        assert_eq!(r.hours_per_unit, Some(Decimal::ONE));
        assert_eq!(r.include_ni_calculation, Some(true));
        assert_eq!(r.default_vat_code.as_deref(), Some("VC-2"));
        assert_eq!(r.extra.get("author"), Some(&json!("USRP-2")));
    }

    #[test]
    fn body_uses_documented_names() {
        let body = PaymentRateBody {
            code: Some("PR001".into()),
            rate_type: Some("RATE".into()),
            hours_per_unit: Some(Decimal::new(75, 1)),
            include_ni_calculation: Some(true),
            default_vat_code: Some("VC-1".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"code": "PR001", "type": "RATE", "hoursPerUnit": "7.5",
                   "includeNICalculation": true, "defaultVATCode": "VC-1"})
        );
    }
}
