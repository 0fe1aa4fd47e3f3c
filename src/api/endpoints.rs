//! One method per endpoint of the reference. Writes take any `Serialize` body (the models in
//! [`super::models`] or a `serde_json::Value` built from a spreadsheet row).

use futures::stream::BoxStream;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::client::{Answer, Client};
use super::error::ApiError;
use super::models::*;
use super::traits::{
    Numbers, ServerTraits, is_number_field, is_pps_field, refuses_field, refuses_type,
    restyle_numbers, strip_pps,
};

/// `{ "data": x }` → x; `[x, …]` → x (the timesheet update answers an array); else as is.
fn unwrap_data(value: Value) -> Value {
    let inner = match value {
        Value::Object(mut o) if o.contains_key("data") => o.remove("data").unwrap_or(Value::Null),
        other => other,
    };
    match inner {
        Value::Array(mut a) if !a.is_empty() => a.swap_remove(0),
        other => other,
    }
}

fn decode_one<T: DeserializeOwned>(answer: &Answer, context: &str) -> Result<Option<T>, ApiError> {
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(&answer.body).map_err(|e| ApiError::Decode {
        context: context.to_string(),
        message: format!("HTTP {} with a body that is not JSON ({e})", answer.status),
    })?;
    match unwrap_data(value) {
        Value::Null => Ok(None),
        v @ Value::Object(_) => serde_json::from_value(v)
            .map(Some)
            .map_err(|e| ApiError::Decode {
                context: context.to_string(),
                message: e.to_string(),
            }),
        _ => Ok(None),
    }
}

fn to_json(body: &impl Serialize, context: &str) -> Result<Value, ApiError> {
    serde_json::to_value(body).map_err(|e| ApiError::Decode {
        context: context.to_string(),
        message: format!("the request body could not be encoded: {e}"),
    })
}

impl Client {
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&Value>,
    ) -> Result<Option<T>, ApiError> {
        let url = self.url(segments)?;
        let context = format!("{method} {}", url.path());
        let answer = self.execute(method, url, body).await?;
        decode_one(&answer, &context)
    }

    /// Send a write, written the way the server has been seen to want it: money and units
    /// as numbers or strings, Irish bodies without a PPS field. A refusal that names such a
    /// field and says it is of the wrong type, or not allowed at all (nothing was applied),
    /// sends the write once more in the other form; the client learns that form only when the
    /// server takes it. A refusal of a value (a PPS number in a format the server rejects) is
    /// returned as it is: the PPS number is never dropped to get a record through.
    async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: &impl Serialize,
    ) -> Result<Option<T>, ApiError> {
        let mut json = to_json(body, &format!("/nxsys/{}", segments.join("/")))?;
        let traits = self.traits();
        restyle_numbers(&mut json, traits.numbers);
        let ireland = segments.get(1) == Some(&"ireland");
        if ireland && traits.pps_field == Some(false) {
            strip_pps(&mut json);
        }
        let learnt = match self.call(method.clone(), segments, Some(&json)).await {
            Err(ApiError::Rejected {
                field: Some(field),
                message,
                ..
            }) if is_number_field(&field)
                && refuses_type(&message)
                && traits.numbers != Numbers::Either =>
            {
                let other = match traits.numbers {
                    Numbers::NumbersOnly => Numbers::StringsOnly,
                    _ => Numbers::NumbersOnly,
                };
                tracing::info!(field, ?other, "the server refused the number style");
                restyle_numbers(&mut json, other);
                ServerTraits {
                    numbers: other,
                    ..ServerTraits::default()
                }
            }
            Err(ApiError::Rejected {
                field: Some(field),
                message,
                ..
            }) if ireland
                && is_pps_field(&field)
                && refuses_field(&message)
                && traits.pps_field != Some(false) =>
            {
                tracing::info!(field, "the server refuses a PPS field");
                strip_pps(&mut json);
                ServerTraits {
                    pps_field: Some(false),
                    ..ServerTraits::default()
                }
            }
            other => return other,
        };
        let answer = self.call(method, segments, Some(&json)).await;
        if answer.is_ok() {
            self.learn(&learnt);
        }
        answer
    }

    async fn read<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, ApiError> {
        let url = self.url(segments)?;
        let context = format!("GET {}", url.path());
        self.call(Method::GET, segments, None)
            .await?
            .ok_or(ApiError::Decode {
                context,
                message: "the answer was empty".into(),
            })
    }

    fn required<T>(found: Option<T>, segments: &[&str]) -> Result<T, ApiError> {
        found.ok_or_else(|| ApiError::Decode {
            context: format!("/nxsys/{}", segments.join("/")),
            message: "the write was applied but the answer held no object".into(),
        })
    }

    // ---- VAT codes --------------------------------------------------------------------------

    /// All VAT codes (`GET /nxsys/vat-code`, every page).
    pub async fn vat_codes(&self) -> Result<Vec<VatCode>, ApiError> {
        use futures::TryStreamExt;
        self.paged(&["vat-code"], Vec::new()).try_collect().await
    }

    // ---- Candidates, UK ---------------------------------------------------------------------

    /// `POST /nxsys/candidates`: 201 with no body, so no id comes back (look it up by Agency Ref).
    pub async fn create_candidate(&self, body: &impl Serialize) -> Result<(), ApiError> {
        self.write::<Value>(Method::POST, &["candidates"], body)
            .await?;
        Ok(())
    }

    /// `PUT /nxsys/candidates/{id}`.
    pub async fn update_candidate(
        &self,
        id: &str,
        body: &impl Serialize,
    ) -> Result<Option<Candidate>, ApiError> {
        self.write(Method::PUT, &["candidates", id], body).await
    }

    /// `GET /nxsys/candidates/{id}`.
    pub async fn get_candidate(&self, id: &str) -> Result<Candidate, ApiError> {
        self.read(&["candidates", id]).await
    }

    /// `GET /nxsys/candidates`, every page.
    pub fn candidates(
        &self,
        filter: CandidateFilter,
    ) -> BoxStream<'static, Result<Candidate, ApiError>> {
        self.paged(&["candidates"], filter.query())
    }

    // ---- Candidates, Ireland ----------------------------------------------------------------

    /// `POST /nxsys/candidates/ireland` (answers 201 with a body whose shape is not documented).
    pub async fn create_candidate_ie(
        &self,
        body: &impl Serialize,
    ) -> Result<Option<Candidate>, ApiError> {
        self.write(Method::POST, &["candidates", "ireland"], body)
            .await
    }

    /// `PUT /nxsys/candidates/ireland/{id}`.
    pub async fn update_candidate_ie(
        &self,
        id: &str,
        body: &impl Serialize,
    ) -> Result<Option<Candidate>, ApiError> {
        self.write(Method::PUT, &["candidates", "ireland", id], body)
            .await
    }

    /// `GET /nxsys/candidates/ireland/{id}`.
    pub async fn get_candidate_ie(&self, id: &str) -> Result<Candidate, ApiError> {
        self.read(&["candidates", "ireland", id]).await
    }

    /// `GET /nxsys/candidates/ireland`, every page.
    pub fn candidates_ie(
        &self,
        filter: CandidateFilter,
    ) -> BoxStream<'static, Result<Candidate, ApiError>> {
        self.paged(&["candidates", "ireland"], filter.query())
    }

    // ---- Payment rates ----------------------------------------------------------------------

    /// `POST /nxsys/payment-rate`; the created rate when the answer holds it.
    pub async fn create_payment_rate(
        &self,
        body: &impl Serialize,
    ) -> Result<Option<PaymentRate>, ApiError> {
        self.write(Method::POST, &["payment-rate"], body).await
    }

    /// `PUT /nxsys/payment-rate/{id}` (the code cannot change).
    pub async fn update_payment_rate(
        &self,
        id: &str,
        body: &impl Serialize,
    ) -> Result<Option<PaymentRate>, ApiError> {
        self.write(Method::PUT, &["payment-rate", id], body).await
    }

    /// `GET /nxsys/payment-rate/{id}`.
    pub async fn get_payment_rate(&self, id: &str) -> Result<PaymentRate, ApiError> {
        self.read(&["payment-rate", id]).await
    }

    /// `GET /nxsys/payment-rate`, every page.
    pub fn payment_rates(
        &self,
        filter: PaymentRateFilter,
    ) -> BoxStream<'static, Result<PaymentRate, ApiError>> {
        self.paged(&["payment-rate"], filter.query())
    }

    // ---- Timesheets -------------------------------------------------------------------------

    /// `POST /nxsys/time-sheets`. A `Decode` error here means the timesheet *was* created.
    pub async fn create_timesheet(&self, body: &TimesheetCreate) -> Result<Timesheet, ApiError> {
        let segments = ["time-sheets"];
        let found = self.write(Method::POST, &segments, body).await?;
        Self::required(found, &segments)
    }

    /// `PUT /nxsys/time-sheets/{id}` (answers 201 `{data: [timesheet]}`).
    pub async fn update_timesheet(
        &self,
        id: &str,
        body: &TimesheetEdit,
    ) -> Result<Timesheet, ApiError> {
        let segments = ["time-sheets", id];
        let found = self.write(Method::PUT, &segments, body).await?;
        Self::required(found, &segments)
    }

    /// `GET /nxsys/time-sheets/{id}`.
    pub async fn get_timesheet(&self, id: &str) -> Result<Timesheet, ApiError> {
        self.read(&["time-sheets", id]).await
    }

    /// `GET /nxsys/time-sheets`, every page.
    pub fn timesheets(
        &self,
        filter: TimesheetFilter,
    ) -> BoxStream<'static, Result<Timesheet, ApiError>> {
        self.paged(&["time-sheets"], filter.query())
    }

    // ---- Payslips ---------------------------------------------------------------------------

    /// `GET /nxsys/payslips`, every page (fetched concurrently when the total is known).
    pub fn payslips(&self, filter: PayslipFilter) -> BoxStream<'static, Result<Payslip, ApiError>> {
        self.paged(&["payslips"], filter.query())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unwrap_data_handles_object_array_and_bare() {
        assert_eq!(unwrap_data(json!({"data": {"id": 1}})), json!({"id": 1}));
        assert_eq!(unwrap_data(json!({"data": [{"id": 2}]})), json!({"id": 2}));
        assert_eq!(unwrap_data(json!({"id": 3})), json!({"id": 3}));
        assert_eq!(unwrap_data(json!({"data": []})), json!([]));
    }

    #[test]
    fn empty_and_non_object_answers_are_none() {
        let empty = Answer {
            status: 201,
            body: Vec::new(),
        };
        assert!(decode_one::<Candidate>(&empty, "c").unwrap().is_none());
        let text = Answer {
            status: 201,
            body: br#""created""#.to_vec(),
        };
        assert!(decode_one::<Candidate>(&text, "c").unwrap().is_none());
        let bad = Answer {
            status: 201,
            body: b"<html>".to_vec(),
        };
        assert!(matches!(
            decode_one::<Candidate>(&bad, "c"),
            Err(ApiError::Decode { .. })
        ));
    }
}
