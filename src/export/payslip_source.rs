//! Where payslips come from: the Nxsys API in production (see `payslips.rs`), anything that
//! yields payslip JSON objects in tests. The export asks for payslips with server-side filters
//! and for the workers behind an Agency Ref; nothing else.

use std::collections::HashMap;

use futures::Stream;
use serde_json::{Map, Value};

use crate::api::ApiError;

/// One list request's filters (query parameters `taxYear`, `taxPeriod`, `payFrequency`,
/// `paymentModel`, `candidateIds`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayslipQuery {
    pub tax_year: Option<i32>,
    pub tax_period: Option<u32>,
    pub pay_frequency: Option<String>,
    pub payment_model: Option<String>,
    /// Worker ids (`SR-…`); empty means every worker.
    pub candidate_ids: Vec<String>,
}

/// A source of payslips: the API, or a stand-in for it that fails the way the API does.
pub trait PayslipSource {
    /// Payslips matching `query`, as the API returned them (unknown fields included).
    fn payslips(
        &self,
        query: PayslipQuery,
    ) -> impl Stream<Item = Result<Map<String, Value>, ApiError>> + '_;

    /// The ids of the workers whose Agency Ref is exactly `agency_ref`.
    fn workers_with_agency_ref(
        &self,
        agency_ref: &str,
    ) -> impl Future<Output = Result<Vec<String>, ApiError>>;

    /// The ids of the Irish workers whose PPS number is `pps` (capitals, no spaces). A source
    /// that cannot look PPS numbers up finds none.
    fn workers_with_pps(&self, pps: &str) -> impl Future<Output = Result<Vec<String>, ApiError>> {
        let _ = pps;
        async { Ok(Vec::new()) }
    }

    /// Every worker's Agency Ref by worker id (UK and Irish), for the export's Agency Ref
    /// column. A source that cannot say returns none: the column is then left blank.
    fn agency_refs(&self) -> impl Future<Output = Result<HashMap<String, String>, ApiError>> {
        async { Ok(HashMap::new()) }
    }

    /// How many payslips `query` matches, if the source can say cheaply (for the progress bar
    /// only: `None` is always acceptable).
    fn count(&self, query: &PayslipQuery) -> impl Future<Output = Option<u64>> {
        let _ = query;
        async { None }
    }

    /// The base URL shown on the About sheet.
    fn describe(&self) -> String;
}
