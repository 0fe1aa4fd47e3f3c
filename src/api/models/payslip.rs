//! Payslips (`PL-…`): `GET /nxsys/payslips`. Most fields are unknown; they are kept in `extra` in
//! the server's order so an export can show them after the known ones.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// A payslip as the API returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payslip {
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::integer")]
    pub increment_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::integer")]
    pub tax_year: Option<i64>,
    #[serde(default, deserialize_with = "lenient::integer")]
    pub tax_period: Option<i64>,
    /// The worker (`SR-…`) when the server says (field name inferred).
    #[serde(default, deserialize_with = "lenient::reference")]
    pub subcontractor_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub agency_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub subcontractor_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub timesheet_value: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub margin: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub gross: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub materials: Option<Decimal>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Filters of `GET /nxsys/payslips` (query names inferred).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayslipFilter {
    pub tax_year: Option<i32>,
    pub tax_period: Option<u32>,
    pub pay_frequency: Option<String>,
    pub payment_model: Option<String>,
    /// Worker ids (`SR-…`), sent comma-separated.
    pub candidate_ids: Vec<String>,
}

impl PayslipFilter {
    /// The query parameters of this filter (blank values left out).
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(y) = self.tax_year {
            q.push(("taxYear", y.to_string()));
        }
        if let Some(p) = self.tax_period {
            q.push(("taxPeriod", p.to_string()));
        }
        super::candidate::push(&mut q, "payFrequency", &self.pay_frequency);
        super::candidate::push(&mut q, "paymentModel", &self.payment_model);
        let ids: Vec<&str> = self
            .candidate_ids
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if !ids.is_empty() {
            q.push(("candidateIds", ids.join(",")));
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_documented_example() {
        let p: Payslip = serde_json::from_value(json!({
            "id": "PL-1181439", "incrementId": 181483, "taxPeriod": 52, "taxYear": 2025,
            "agencyName": null, "subcontractorName": "Alice Walton",
            "timesheetValue": "6666.67", "margin": 0, "gross": "6651.67", "materials": "0.00",
            "netPay": "5000.10"
        }))
        .unwrap();
        assert_eq!(p.gross, Some(Decimal::new(665167, 2)));
        assert_eq!(p.margin, Some(Decimal::ZERO));
        assert_eq!(p.extra.get("netPay"), Some(&json!("5000.10")));
    }

    #[test]
    fn filter_joins_candidate_ids() {
        let f = PayslipFilter {
            tax_year: Some(2025),
            candidate_ids: vec!["SR-1".into(), " ".into(), "SR-2".into()],
            ..Default::default()
        };
        assert_eq!(
            f.query(),
            vec![
                ("taxYear", "2025".to_string()),
                ("candidateIds", "SR-1,SR-2".to_string())
            ]
        );
    }
}
