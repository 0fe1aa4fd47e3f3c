//! Timesheets (`TS-…`): `/nxsys/time-sheets`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// One line of a timesheet request (`OpenAPIRateTimeSheet`): pay code, rate, units, VAT code.
/// `rate` and `units` are sent as exact decimal strings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimesheetRateLine {
    /// Payment rate id (`PR-…`).
    pub rate_id: String,
    pub rate: Decimal,
    pub units: Decimal,
    /// VAT code id (`VC-…`).
    #[serde(rename = "vatID", skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
}

/// Body of `POST /nxsys/time-sheets` (`OpenAPITimeSheetCreateDto`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimesheetCreate {
    /// Worker id (`SR-…`).
    pub subcontractor_ref: String,
    pub assignment_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    pub rates: Vec<TimesheetRateLine>,
    pub month_config: Option<i64>,
    pub tax_year: i64,
    pub tax_period_config: i64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Body of `PUT /nxsys/time-sheets/{id}` (`OpenAPITimeSheetEditDto`): the lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimesheetEdit {
    pub rates: Vec<TimesheetRateLine>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A line of a timesheet as read back: either the request's line echoed (`rateId`, `rate`,
/// `units`, `vatID`) or the embedded payment-rate definition (`id`, `code`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimesheetLine {
    #[serde(default, deserialize_with = "lenient::reference")]
    pub rate_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient::decimal_or_word")]
    pub rate: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal_or_word")]
    pub units: Option<Decimal>,
    #[serde(rename = "vatID", default, deserialize_with = "lenient::reference")]
    pub vat_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TimesheetLine {
    /// The payment rate (`PR-…`) of this line, whichever shape the server used.
    pub fn payment_rate_id(&self) -> Option<&str> {
        self.rate_id.as_deref().or(self.id.as_deref())
    }
}

/// A timesheet as the API returns it (references arrive as `{"id": …}` objects).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timesheet {
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::integer")]
    pub increment_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::reference")]
    pub subcontractor_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient::reference")]
    pub assignment_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub start_date: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub end_date: Option<String>,
    #[serde(default, deserialize_with = "lenient::integer")]
    pub tax_year: Option<i64>,
    #[serde(default, deserialize_with = "lenient::integer")]
    pub tax_period: Option<i64>,
    #[serde(default, deserialize_with = "lenient::integer")]
    pub tax_period_config: Option<i64>,
    #[serde(default, deserialize_with = "lenient::integer")]
    pub month_config: Option<i64>,
    #[serde(default)]
    pub rates: Vec<TimesheetLine>,
    #[serde(default)]
    pub approve_status: Option<String>,
    #[serde(default)]
    pub invoice_status: Option<String>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub total_net: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub total_vat: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub total_prices: Option<Decimal>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Filters of `GET /nxsys/time-sheets`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimesheetFilter {
    pub subcontractor_ref: Option<String>,
    pub tax_year: Option<i32>,
    pub tax_period: Option<u32>,
}

impl TimesheetFilter {
    /// The query parameters of this filter (blank values left out).
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        super::candidate::push(&mut q, "subcontractorRef", &self.subcontractor_ref);
        if let Some(y) = self.tax_year {
            q.push(("taxYear", y.to_string()));
        }
        if let Some(p) = self.tax_period {
            q.push(("taxPeriod", p.to_string()));
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_body_matches_reference_example() {
        let body = TimesheetCreate {
            subcontractor_ref: "SR-1".into(),
            start_date: NaiveDate::from_ymd_opt(2025, 7, 11),
            end_date: NaiveDate::from_ymd_opt(2025, 7, 11),
            rates: vec![TimesheetRateLine {
                rate_id: "PR-558".into(),
                rate: Decimal::from(100),
                units: Decimal::from(10),
                vat_id: Some("VC-2".into()),
            }],
            tax_year: 2024,
            tax_period_config: 1,
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({ "subcontractorRef": "SR-1", "assignmentRef": null, "startDate": "2025-07-11",
                "endDate": "2025-07-11",
                "rates": [ { "rateId": "PR-558", "rate": "100", "units": "10", "vatID": "VC-2" } ],
                "monthConfig": null, "taxYear": 2024, "taxPeriodConfig": 1 })
        );
    }

    #[test]
    fn reads_documented_response_with_object_refs() {
        let t: Timesheet = serde_json::from_value(json!({
            "companyRef": {"id": "COM-1"}, "rates": [{"id": "PR-6", "code": "PR100",
                "defaultVATCode": {"id": "VC-2"}}],
            "subcontractorRef": {"id": "SR-1"}, "monthConfig": 12, "taxYear": 2024,
            "startDate": null, "taxPeriod": 52, "taxPeriodConfig": 50,
            "timesheetApprovalNeeded": "FALSE", "totalNet": 100, "totalPrices": "120.00",
            "totalVat": 20, "id": "TS-1", "incrementId": 1
        }))
        .unwrap();
        assert_eq!(t.subcontractor_ref.as_deref(), Some("SR-1"));
        assert_eq!(t.total_prices, Some(Decimal::new(12000, 2)));
        assert_eq!(t.rates[0].payment_rate_id(), Some("PR-6"));
        assert_eq!(t.rates[0].rate, None);
        assert_eq!(t.extra.get("companyRef"), Some(&json!({"id": "COM-1"})));
    }

    #[test]
    fn echoed_lines_are_read() {
        let line: TimesheetLine = serde_json::from_value(
            json!({"rateId": "PR-558", "rate": "12.50", "units": 7.5, "vatID": "VC-2"}),
        )
        .unwrap();
        assert_eq!(line.payment_rate_id(), Some("PR-558"));
        assert_eq!(line.rate, Some(Decimal::new(1250, 2)));
        assert_eq!(line.units, Some(Decimal::new(75, 1)));
    }
}
