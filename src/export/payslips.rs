//! Payslip export from the Nxsys API: the [`Client`] as a [`PayslipSource`], and [`export`],
//! the entry point the command and the demo use.
//!
//! Payslips are read as raw JSON objects through the client's pager (same limiter, retries and
//! concurrent pages), not through the typed model, so every field reaches the file exactly as
//! the API sent it — including fields neither this tool nor the model knows yet.

use std::collections::HashMap;

use futures::{Stream, TryStreamExt};
use reqwest::Method;
use serde_json::{Map, Value};

use super::error::ExportError;
use super::payslip_source::{PayslipQuery, PayslipSource};
use super::request::{ExportRequest, ExportSummary};
use super::run::run_export;
use super::workers_file::normalise_pps;
use crate::api::{ApiError, CandidateFilter, Client, PayslipFilter};

/// Export payslips as `request` says. [`ExportError::is_usage`] tells bad arguments or an
/// unwritable output from an API that is unreachable or refuses the credentials.
pub async fn export(
    client: &Client,
    request: &ExportRequest,
    progress: bool,
) -> Result<ExportSummary, ExportError> {
    run_export(client, request, progress).await
}

impl PayslipSource for Client {
    fn payslips(
        &self,
        query: PayslipQuery,
    ) -> impl Stream<Item = Result<Map<String, Value>, ApiError>> + '_ {
        self.paged::<Map<String, Value>>(&["payslips"], filter(query).query())
    }

    /// One page of one payslip, for the list's total. Any failure is `None`: the fetch itself
    /// reports errors.
    async fn count(&self, query: &PayslipQuery) -> Option<u64> {
        let mut url = self.url(&["payslips"]).ok()?;
        url.query_pairs_mut()
            .extend_pairs(filter(query.clone()).query())
            .append_pair("page", "1")
            .append_pair("size", "1");
        let answer = self.execute(Method::GET, url, None).await.ok()?;
        let value: Value = serde_json::from_slice(&answer.body).ok()?;
        ["/meta/totalDocs", "/totalDocs", "/total", "/meta/total"]
            .iter()
            .find_map(|pointer| value.pointer(pointer).and_then(Value::as_u64))
    }

    async fn workers_with_agency_ref(&self, agency_ref: &str) -> Result<Vec<String>, ApiError> {
        let filter = CandidateFilter {
            agency_ref: Some(agency_ref.to_owned()),
            ..CandidateFilter::default()
        };
        // UK and Irish workers live behind two endpoints; an Agency Ref may name either.
        let mut candidates: Vec<_> = self.candidates(filter.clone()).try_collect().await?;
        let irish: Vec<_> = self.candidates_ie(filter).try_collect().await?;
        candidates.extend(irish);
        // The filter's name is a guess: a server that ignores it returns everyone, so match
        // exactly here (Agency Refs compared without surrounding spaces, case-sensitively).
        let mut ids: Vec<String> = candidates
            .into_iter()
            .filter(|c| c.agency_ref().map(str::trim) == Some(agency_ref.trim()))
            .filter_map(|c| c.id)
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    async fn workers_with_pps(&self, pps: &str) -> Result<Vec<String>, ApiError> {
        let filter = CandidateFilter {
            pps_number: Some(pps.to_owned()),
            ..CandidateFilter::default()
        };
        let candidates: Vec<_> = self.candidates_ie(filter).try_collect().await?;
        // Matched here too: a server that ignores the filter returns everyone.
        Ok(candidates
            .into_iter()
            .filter(|c| c.pps_number().map(normalise_pps).as_deref() == Some(pps))
            .filter_map(|c| c.id)
            .collect())
    }

    async fn agency_refs(&self) -> Result<HashMap<String, String>, ApiError> {
        let mut refs = HashMap::new();
        for list in [
            self.candidates(CandidateFilter::default()),
            self.candidates_ie(CandidateFilter::default()),
        ] {
            let candidates: Vec<_> = list.try_collect().await?;
            for c in candidates {
                if let (Some(agency_ref), Some(id)) = (c.agency_ref(), c.id.as_ref()) {
                    refs.insert(id.clone(), agency_ref.trim().to_owned());
                }
            }
        }
        Ok(refs)
    }

    fn describe(&self) -> String {
        self.base_url().to_string()
    }
}

fn filter(query: PayslipQuery) -> PayslipFilter {
    PayslipFilter {
        tax_year: query.tax_year,
        tax_period: query.tax_period,
        pay_frequency: query.pay_frequency,
        payment_model: query.payment_model,
        candidate_ids: query.candidate_ids,
    }
}
