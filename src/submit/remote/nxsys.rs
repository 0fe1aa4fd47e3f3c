//! The Nxsys API client ([`crate::api::Client`]) as a [`Remote`]: filters re-checked on what
//! comes back, references flattened to ids, errors sorted into refused / ambiguous / stop.

use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::{CandidateKey, ListedCandidate, Remote, RemoteError, ServerRecord};
use crate::api::ServerTraits;
use crate::api::traits::{Filters, Shape};
use crate::api::{
    ApiError, Candidate, CandidateFilter, Client, PaymentRate, PaymentRateFilter, Timesheet,
    TimesheetCreate, TimesheetEdit, TimesheetFilter, TimesheetRateLine,
};
use crate::model::Entity;
use crate::plan::timesheet::{
    Line, ListedTotals, PackedListed, ServerTimesheet, TimesheetList, TimesheetPlan,
};

/// Where an Irish body carries the PPS number.
pub const PPS_FIELD: &str = "generalSetting.PPSNumber";

/// Sort an API error into what the submit stage does with it.
pub fn remote_error(e: ApiError) -> RemoteError {
    match e {
        ApiError::Rejected {
            status,
            message,
            field,
            ..
        } => RemoteError::Rejected {
            status,
            message: match field {
                Some(f) if !message.contains(&f) => format!("{message} (field {f})"),
                _ => message,
            },
        },
        ApiError::Ambiguous {
            status: Some(status),
            ref reason,
            ..
        } if status >= 500 => RemoteError::ServerError {
            status,
            message: reason.clone(),
        },
        // A 2xx whose body could not be read: the write was applied. Searching finds it.
        e @ (ApiError::Ambiguous { .. } | ApiError::Decode { .. }) => RemoteError::Ambiguous {
            message: e.to_string(),
        },
        e => RemoteError::Abort {
            message: e.to_string(),
        },
    }
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

fn record<T: serde::Serialize>(id: Option<String>, model: &T) -> ServerRecord {
    ServerRecord {
        id: id.unwrap_or_default(),
        json: serde_json::to_value(model).unwrap_or(Value::Null),
    }
}

fn rate_record(rate: PaymentRate) -> ServerRecord {
    record(rate.id.clone(), &rate)
}

fn date(text: Option<&str>) -> Option<NaiveDate> {
    text.and_then(|t| NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok())
}

/// What matching needs from a timesheet; lines only when every line echoes rate and units.
impl Client {
    /// Every timesheet of a tax year, each page boiled down by `keep` as it arrives (the API's
    /// timesheets carry many more fields, and thousands of them held at once cost hundreds of
    /// MB), or `None` when the server holds more than `limit`.
    async fn year_of_timesheets<T>(
        &self,
        tax_year: i32,
        limit: usize,
        keep: impl Fn(ServerTimesheet) -> T,
    ) -> Result<Option<Vec<T>>, RemoteError> {
        let (listed, kept) = self
            .timesheets(TimesheetFilter {
                tax_year: Some(tax_year),
                ..TimesheetFilter::default()
            })
            .take(limit.saturating_add(1))
            .map_ok(server_timesheet)
            .try_fold((0usize, Vec::new()), |(listed, mut kept), t| {
                // The filter is re-checked: a server that ignores it returns other years too.
                if t.tax_year == Some(tax_year) {
                    kept.push(keep(t));
                }
                std::future::ready(Ok((listed + 1, kept)))
            })
            .await
            .map_err(remote_error)?;
        Ok((listed <= limit).then_some(kept))
    }
}

pub fn server_timesheet(t: Timesheet) -> ServerTimesheet {
    let lines: Option<Vec<Line>> = if t.rates.is_empty() {
        None
    } else {
        t.rates
            .iter()
            .map(|l| {
                Some(Line {
                    rate_id: l.payment_rate_id()?.to_string(),
                    rate: l.rate?,
                    units: l.units?,
                    vat_id: l.vat_id.clone(),
                })
            })
            .collect()
    };
    ServerTimesheet {
        id: t.id.clone().unwrap_or_default(),
        worker_id: t.subcontractor_ref.clone(),
        start_date: date(t.start_date.as_deref()),
        end_date: date(t.end_date.as_deref()),
        tax_year: t.tax_year.and_then(|y| i32::try_from(y).ok()),
        tax_period: t
            .tax_period_config
            .or(t.tax_period)
            .and_then(|p| u32::try_from(p).ok()),
        lines,
        net: t.total_net,
    }
}

fn rate_lines(plan: &TimesheetPlan) -> Vec<TimesheetRateLine> {
    plan.lines
        .iter()
        .map(|l| TimesheetRateLine {
            rate_id: l.rate_id.clone(),
            rate: l.rate,
            units: l.units,
            vat_id: l.vat_id.clone(),
        })
        .collect()
}

impl Remote for Client {
    async fn vat_codes(&self) -> Result<Vec<(String, String)>, RemoteError> {
        let codes = Client::vat_codes(self).await.map_err(remote_error)?;
        Ok(codes
            .into_iter()
            .filter_map(|c| Some((c.id?, c.vat_code?)))
            .collect())
    }

    async fn find_candidates(&self, key: &CandidateKey) -> Result<Vec<ServerRecord>, RemoteError> {
        let list = |filter: CandidateFilter| async move {
            let stream = if key.ireland {
                self.candidates_ie(filter)
            } else {
                self.candidates(filter)
            };
            stream
                .try_collect::<Vec<Candidate>>()
                .await
                .map_err(remote_error)
        };
        let mut ids: Vec<String> = list(CandidateFilter {
            agency_ref: Some(key.agency_ref.clone()),
            ..CandidateFilter::default()
        })
        .await?
        .into_iter()
        .filter(|c| c.agency_ref.as_deref() == Some(key.agency_ref.as_str()))
        .filter_map(|c| c.id)
        .collect();
        if let Some(identifier) = &key.identifier {
            let wanted = normalise(identifier);
            let filter = if key.ireland {
                CandidateFilter {
                    pps_number: Some(identifier.clone()),
                    ..CandidateFilter::default()
                }
            } else {
                CandidateFilter {
                    ni_number: Some(identifier.clone()),
                    ..CandidateFilter::default()
                }
            };
            for c in list(filter).await? {
                let theirs = if key.ireland {
                    &c.pps_number
                } else {
                    &c.ni_number
                };
                if theirs.as_deref().map(normalise) == Some(wanted.clone())
                    && let Some(id) = c.id
                    && !ids.contains(&id)
                {
                    ids.push(id);
                }
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.get_candidate_record(key.ireland, &id).await?);
        }
        Ok(out)
    }

    async fn find_candidate_id(
        &self,
        ireland: bool,
        agency_ref: &str,
    ) -> Result<Option<String>, RemoteError> {
        let filter = CandidateFilter {
            agency_ref: Some(agency_ref.to_string()),
            ..CandidateFilter::default()
        };
        let stream = if ireland {
            self.candidates_ie(filter)
        } else {
            self.candidates(filter)
        };
        let found: Vec<Candidate> = stream.try_collect().await.map_err(remote_error)?;
        Ok(found
            .into_iter()
            .find(|c| c.agency_ref.as_deref() == Some(agency_ref))
            .and_then(|c| c.id))
    }

    async fn list_candidates(
        &self,
        ireland: bool,
        limit: usize,
    ) -> Result<Option<Vec<ListedCandidate>>, RemoteError> {
        let stream = if ireland {
            self.candidates_ie(CandidateFilter::default())
        } else {
            self.candidates(CandidateFilter::default())
        };
        // Each item is boiled down as its page arrives (see `ListedCandidate`).
        let items: Vec<ListedCandidate> = stream
            .take(limit.saturating_add(1))
            .map_ok(|c| {
                let json = record(None, &c).json;
                ListedCandidate::of(c.id.unwrap_or_default(), &json, ireland)
            })
            .try_collect()
            .await
            .map_err(remote_error)?;
        Ok((items.len() <= limit).then_some(items))
    }

    async fn create_candidate(
        &self,
        ireland: bool,
        body: &Value,
    ) -> Result<Option<String>, RemoteError> {
        if ireland {
            let made = self.create_candidate_ie(body).await.map_err(remote_error)?;
            Ok(made.and_then(|c| c.id))
        } else {
            Client::create_candidate(self, body)
                .await
                .map_err(remote_error)?;
            Ok(None)
        }
    }

    async fn update_candidate(
        &self,
        ireland: bool,
        id: &str,
        body: &Value,
    ) -> Result<(), RemoteError> {
        let result = if ireland {
            self.update_candidate_ie(id, body).await
        } else {
            Client::update_candidate(self, id, body).await
        };
        result.map(drop).map_err(remote_error)
    }

    async fn get_candidate(&self, ireland: bool, id: &str) -> Result<ServerRecord, RemoteError> {
        self.get_candidate_record(ireland, id).await
    }

    async fn filters_narrow(&self, entity: Entity) -> Result<bool, RemoteError> {
        let (segments, param): (&'static [&'static str], _) = match entity {
            Entity::Candidates => (&["candidates"], "agencyRef"),
            Entity::CandidatesIe => (&["candidates", "ireland"], "agencyRef"),
            Entity::PaymentRates => (&["payment-rate"], "code"),
            Entity::Timesheets => (&["time-sheets"], "subcontractorRef"),
        };
        let found = self
            .probe_filter(segments, param)
            .await
            .map_err(remote_error)?;
        Ok(matches!(found, Filters::Honoured | Filters::Unknown))
    }

    fn unkept_fields(&self, entity: Entity) -> Vec<&'static str> {
        if entity == Entity::CandidatesIe && self.traits().pps_field == Some(false) {
            vec![PPS_FIELD]
        } else {
            Vec::new()
        }
    }

    async fn list_payment_rates(
        &self,
        limit: usize,
    ) -> Result<Option<Vec<ServerRecord>>, RemoteError> {
        let items: Vec<PaymentRate> = self
            .payment_rates(PaymentRateFilter::default())
            .take(limit.saturating_add(1))
            .try_collect()
            .await
            .map_err(remote_error)?;
        Ok((items.len() <= limit).then(|| items.into_iter().map(rate_record).collect()))
    }

    async fn find_payment_rate(&self, code: &str) -> Result<Option<ServerRecord>, RemoteError> {
        let rates: Vec<PaymentRate> = self
            .payment_rates(PaymentRateFilter {
                code: Some(code.to_string()),
                ..PaymentRateFilter::default()
            })
            .try_collect()
            .await
            .map_err(remote_error)?;
        Ok(rates
            .into_iter()
            .find(|r| {
                r.code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(code))
            })
            .map(rate_record))
    }

    async fn create_payment_rate(&self, body: &Value) -> Result<ServerRecord, RemoteError> {
        let made = Client::create_payment_rate(self, body)
            .await
            .map_err(remote_error)?;
        match made {
            Some(rate) if rate.id.is_some() => Ok(rate_record(rate)),
            // Created, but the answer held no object: find it by its code.
            _ => {
                let code = body.get("code").and_then(Value::as_str).unwrap_or_default();
                self.find_payment_rate(code)
                    .await?
                    .ok_or(RemoteError::Ambiguous {
                        message: format!(
                            "payment rate {code} was created but cannot be found by its code yet"
                        ),
                    })
            }
        }
    }

    async fn update_payment_rate(
        &self,
        id: &str,
        body: &Value,
    ) -> Result<ServerRecord, RemoteError> {
        let updated = Client::update_payment_rate(self, id, body)
            .await
            .map_err(remote_error)?;
        match updated {
            Some(rate) if rate.id.is_some() => Ok(rate_record(rate)),
            _ => Remote::get_payment_rate(self, id).await,
        }
    }

    async fn get_payment_rate(&self, id: &str) -> Result<ServerRecord, RemoteError> {
        Client::get_payment_rate(self, id)
            .await
            .map(rate_record)
            .map_err(remote_error)
    }

    async fn find_timesheets(
        &self,
        worker_id: &str,
        tax_year: i32,
        tax_period: u32,
    ) -> Result<Vec<ServerTimesheet>, RemoteError> {
        // The period is checked here, not by the server: which field its `taxPeriod` filter
        // reads (`taxPeriod` or `taxPeriodConfig`) is not documented.
        let all: Vec<ServerTimesheet> = self
            .timesheets(TimesheetFilter {
                subcontractor_ref: Some(worker_id.to_string()),
                tax_year: Some(tax_year),
                tax_period: None,
            })
            .map_ok(server_timesheet)
            .try_collect()
            .await
            .map_err(remote_error)?;
        Ok(all
            .into_iter()
            .filter(|t| {
                t.worker_id.as_deref() == Some(worker_id)
                    && t.tax_year == Some(tax_year)
                    && t.tax_period == Some(tax_period)
            })
            .collect())
    }

    async fn list_timesheets(
        &self,
        tax_year: i32,
        limit: usize,
    ) -> Result<Option<TimesheetList>, RemoteError> {
        let packed = self
            .year_of_timesheets(tax_year, limit, PackedListed::from)
            .await?;
        Ok(packed.map(TimesheetList::new))
    }

    async fn list_timesheet_totals(
        &self,
        tax_year: i32,
        limit: usize,
    ) -> Result<Option<Vec<ListedTotals>>, RemoteError> {
        self.year_of_timesheets(tax_year, limit, ListedTotals::from)
            .await
    }

    async fn get_timesheet(&self, id: &str) -> Result<ServerTimesheet, RemoteError> {
        Client::get_timesheet(self, id)
            .await
            .map(server_timesheet)
            .map_err(remote_error)
    }

    async fn create_timesheet(&self, plan: &TimesheetPlan) -> Result<ServerTimesheet, RemoteError> {
        let body = TimesheetCreate {
            subcontractor_ref: plan.worker_id.clone(),
            assignment_ref: plan.assignment_ref.clone(),
            start_date: plan.start_date,
            end_date: plan.end_date,
            rates: rate_lines(plan),
            month_config: plan.month.map(i64::from),
            tax_year: i64::from(plan.tax_year),
            tax_period_config: i64::from(plan.tax_period),
            ..TimesheetCreate::default()
        };
        Client::create_timesheet(self, &body)
            .await
            .map(server_timesheet)
            .map_err(remote_error)
    }

    async fn update_timesheet(
        &self,
        id: &str,
        plan: &TimesheetPlan,
    ) -> Result<ServerTimesheet, RemoteError> {
        let body = TimesheetEdit {
            rates: rate_lines(plan),
            ..TimesheetEdit::default()
        };
        Client::update_timesheet(self, id, &body)
            .await
            .map(server_timesheet)
            .map_err(remote_error)
    }
}

/// Reading a candidate in full (the list shape lacks the settings the comparison needs).
trait CandidateRecord {
    async fn get_candidate_record(
        &self,
        ireland: bool,
        id: &str,
    ) -> Result<ServerRecord, RemoteError>;
}

impl CandidateRecord for Client {
    async fn get_candidate_record(
        &self,
        ireland: bool,
        id: &str,
    ) -> Result<ServerRecord, RemoteError> {
        let c = if ireland {
            self.get_candidate_ie(id).await
        } else {
            Client::get_candidate(self, id).await
        }
        .map_err(remote_error)?;
        let found = record(c.id.clone().or(Some(id.to_string())), &c);
        // What shape the server answers in (the submit stage reads either).
        let shape = if found
            .json
            .get("generalSetting")
            .is_some_and(Value::is_object)
        {
            Shape::Nested
        } else {
            Shape::Flat
        };
        if self.traits().candidate_get != shape {
            self.learn(&ServerTraits {
                candidate_get: shape,
                ..ServerTraits::default()
            });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_sort_into_refused_ambiguous_and_stop() {
        let refused = remote_error(ApiError::Rejected {
            method: "POST".into(),
            path: "/nxsys/time-sheets".into(),
            status: 400,
            code: Some("invalid_parameter".into()),
            message: "unknown subcontractor SR-9".into(),
            field: Some("subcontractorRef".into()),
        });
        assert_eq!(
            refused,
            RemoteError::Rejected {
                status: 400,
                message: "unknown subcontractor SR-9 (field subcontractorRef)".into()
            }
        );
        let lost = remote_error(ApiError::Decode {
            context: "POST /nxsys/payment-rate".into(),
            message: "not JSON".into(),
        });
        assert!(matches!(lost, RemoteError::Ambiguous { .. }));
        let down = remote_error(ApiError::Unauthorized {
            message: "invalid_grant".into(),
        });
        assert!(matches!(down, RemoteError::Abort { .. }));
    }

    #[test]
    fn timesheets_keep_echoed_lines_and_the_configured_period() {
        let t: Timesheet = serde_json::from_value(json!({
            "id": "TS-4", "subcontractorRef": {"id": "SR-1"}, "taxYear": 2025,
            "taxPeriod": 52, "taxPeriodConfig": 3, "startDate": "2025-04-20T00:00:00.000Z",
            "totalNet": 100,
            "rates": [{"id": "PR-2", "code": "PR200", "rate": "12.50", "units": "8", "vatID": "VC-1"}]
        }))
        .unwrap();
        let s = server_timesheet(t);
        assert_eq!(s.worker_id.as_deref(), Some("SR-1"));
        assert_eq!(s.tax_period, Some(3));
        assert_eq!(s.start_date, NaiveDate::from_ymd_opt(2025, 4, 20));
        let lines = s.lines.unwrap();
        assert_eq!(lines[0].rate_id, "PR-2");
        assert_eq!(lines[0].rate, "12.5".parse().unwrap());

        // A line without units is not an echo of the line: no lines, the net decides.
        let t: Timesheet = serde_json::from_value(json!({
            "id": "TS-5", "rates": [{"id": "PR-2", "code": "PR200"}], "totalNet": "100.00"
        }))
        .unwrap();
        let s = server_timesheet(t);
        assert!(s.lines.is_none());
        assert_eq!(s.net, Some("100".parse().unwrap()));
    }
}
