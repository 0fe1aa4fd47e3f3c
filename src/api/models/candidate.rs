//! Candidates (workers, `SR-…`), UK and Ireland: the create/update body and the object read back.
//!
//! One body type serves both countries: UK-only fields (`NINumber`, `postCode`, …) and
//! Ireland-only fields (`eircode`, `PPSNumber`, …) are all optional and left out when `None`.
//! Money and quantities are sent as exact decimal strings.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// Body of `POST/PUT /nxsys/candidates[/ireland]` (`CreateCandidateDTO`, `UpdateCandidateDTO`,
/// and their Ireland twins).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub general_setting: Option<GeneralSetting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_setting: Option<BankSetting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payroll_setting: Option<PayrollSetting>,
    /// Fields this version does not know, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `generalSetting` (UK `GeneralSettingDTO`, Ireland `IrelandGeneralSettingDTO`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneralSetting {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    #[serde(rename = "DOB", skip_serializing_if = "Option::is_none")]
    pub dob: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marital_status: Option<String>,
    /// UK only.
    #[serde(rename = "NINumber", skip_serializing_if = "Option::is_none")]
    pub ni_number: Option<String>,
    /// Ireland only (field name not documented; inferred).
    #[serde(rename = "PPSNumber", skip_serializing_if = "Option::is_none")]
    pub pps_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    /// UK only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_code: Option<String>,
    /// Ireland only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eircode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_joining: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_frequency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annual_salary: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_hour: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_address: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_county: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_country: Option<String>,
    /// UK only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_post_code: Option<String>,
    /// Ireland only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_eircode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_mobile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub right_to_work_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_expiry_date: Option<NaiveDate>,
    /// Ireland only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_code_verified: Option<bool>,
    /// UK only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_agency_id: Option<String>,
    /// UK only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_agency_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pension_setting: Option<PensionSetting>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `generalSetting.pensionSetting` (`PensionSettingDTO`). Dates are sent as given (plain dates or
/// date-times both appear in the docs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PensionSetting {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(rename = "outsideUKWorker", skip_serializing_if = "Option::is_none")]
    pub outside_uk_worker: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_assessment_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_on_classified_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ejh_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postponement_end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opt_in_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opt_out_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opt_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_salary_sacrifice: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pension_calculation_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `bankSetting` (`BankSettingDTO`, Ireland `IrelandBankSettingDTO`). Numbers are text: leading
/// zeros matter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankSetting {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub building_society_number: Option<String>,
    #[serde(rename = "IBANReference", skip_serializing_if = "Option::is_none")]
    pub iban_reference: Option<String>,
    #[serde(rename = "SWIFTNo", skip_serializing_if = "Option::is_none")]
    pub swift_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Ireland only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_internal_account: Option<bool>,
    /// Ireland only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `payrollSetting` (`PayrollSettingDTO`): only the first fields are documented.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayrollSetting {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cis_status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A candidate as the API returns it (list item, get by id, update/Ireland-create answer).
/// Only the identifying fields are typed; everything else is kept in `extra`, in the server's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    #[serde(
        rename = "incrementId",
        default,
        deserialize_with = "lenient::integer",
        skip_serializing_if = "Option::is_none"
    )]
    pub increment_id: Option<i64>,
    #[serde(rename = "systemId", default, skip_serializing_if = "Option::is_none")]
    pub system_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    #[serde(rename = "fullName", default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(rename = "NINumber", default, skip_serializing_if = "Option::is_none")]
    pub ni_number: Option<String>,
    #[serde(rename = "PPSNumber", default, skip_serializing_if = "Option::is_none")]
    pub pps_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(rename = "agencyRef", default, deserialize_with = "lenient::text")]
    pub agency_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(
        rename = "registrationStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub registration_status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Candidate {
    /// A field from the top level or, failing that, from `generalSetting` (single-candidate
    /// answers may nest what list items flatten).
    fn general(&self, key: &str) -> Option<&str> {
        self.extra
            .get("generalSetting")
            .and_then(|g| g.get(key))
            .and_then(Value::as_str)
    }

    /// The Agency Ref, wherever the answer put it.
    pub fn agency_ref(&self) -> Option<&str> {
        self.agency_ref
            .as_deref()
            .or_else(|| self.general("agencyRef"))
    }

    /// The NI number, wherever the answer put it.
    pub fn ni_number(&self) -> Option<&str> {
        self.ni_number
            .as_deref()
            .or_else(|| self.general("NINumber"))
    }

    /// The PPS number (Ireland), wherever the answer put it.
    pub fn pps_number(&self) -> Option<&str> {
        self.pps_number
            .as_deref()
            .or_else(|| self.general("PPSNumber"))
    }
}

/// Filters of `GET /nxsys/candidates[/ireland]`. The query names are inferred (see the reference).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CandidateFilter {
    pub agency_ref: Option<String>,
    pub ni_number: Option<String>,
    pub pps_number: Option<String>,
    pub search: Option<String>,
}

impl CandidateFilter {
    /// The query parameters of this filter (blank values left out).
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        push(&mut q, "agencyRef", &self.agency_ref);
        push(&mut q, "NINumber", &self.ni_number);
        push(&mut q, "PPSNumber", &self.pps_number);
        push(&mut q, "search", &self.search);
        q
    }
}

/// Add `key=value` to a query when the value is not blank.
pub(crate) fn push(q: &mut Vec<(&'static str, String)>, key: &'static str, value: &Option<String>) {
    if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        q.push((key, v.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_item_keeps_unknown_fields_in_order() {
        let item = json!({
            "id": "SR-101002", "incrementId": 100558, "systemId": "ST-101002",
            "forename": "StatutorySMP", "surname": "Monthly", "fullName": "StatutorySMP Monthly",
            "NINumber": "SG458548A", "mobile": null, "email": "asdf22@yopmail.com",
            "agencyRef": "SG458548A", "status": "ACTIVE", "registrationStatus": "ONGOING",
            "zeta": 1, "alpha": {"x": 2}
        });
        let c: Candidate = serde_json::from_value(item).unwrap();
        assert_eq!(c.id.as_deref(), Some("SR-101002"));
        assert_eq!(c.increment_id, Some(100558));
        assert_eq!(c.agency_ref(), Some("SG458548A"));
        let keys: Vec<&str> = c.extra.keys().map(String::as_str).collect();
        assert_eq!(keys, ["mobile", "zeta", "alpha"]);
    }

    #[test]
    fn nested_general_setting_is_read() {
        let c: Candidate = serde_json::from_value(json!({
            "id": "SR-7",
            "generalSetting": {"agencyRef": "A-7", "NINumber": "QQ123456C"}
        }))
        .unwrap();
        assert_eq!(c.agency_ref(), Some("A-7"));
        assert_eq!(c.ni_number(), Some("QQ123456C"));
    }

    #[test]
    fn body_serialises_documented_names_and_omits_unset() {
        let body = CandidateBody {
            general_setting: Some(GeneralSetting {
                agency_ref: Some("A1".into()),
                dob: NaiveDate::from_ymd_opt(1990, 5, 15),
                ni_number: Some("QQ123456C".into()),
                annual_salary: Some(Decimal::new(3500000, 2)),
                pension_setting: Some(PensionSetting {
                    outside_uk_worker: Some(true),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            bank_setting: Some(BankSetting {
                sort_code: Some("012345".into()),
                iban_reference: Some("GB29NWBK60161331926819".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(
            v,
            json!({
                "generalSetting": {"agencyRef": "A1", "DOB": "1990-05-15", "NINumber": "QQ123456C",
                    "annualSalary": "35000.00", "pensionSetting": {"outsideUKWorker": true}},
                "bankSetting": {"sortCode": "012345", "IBANReference": "GB29NWBK60161331926819"}
            })
        );
    }

    #[test]
    fn filter_query_uses_agreed_names_and_skips_blanks() {
        let f = CandidateFilter {
            agency_ref: Some(" A1 ".into()),
            ni_number: Some("".into()),
            ..Default::default()
        };
        assert_eq!(f.query(), vec![("agencyRef", "A1".to_string())]);
    }
}
