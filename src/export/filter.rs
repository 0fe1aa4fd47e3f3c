//! Export filters: parsing what the user typed (`--tax-period 1-4`, `--since 2025-04-06`) and
//! checking each payslip against the filter locally, because the API's filter parameter names
//! are guesses (see `nxsys-api.md` §11): a server that ignores one must not widen the export.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value};
use thiserror::Error;

use super::payslip_source::PayslipQuery;
use super::summary::{period_of, worker_of};

/// The highest tax period there is (week 53).
pub const MAX_TAX_PERIOD: u32 = 53;

/// A filter value the user typed that cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FilterError {
    #[error(
        "--tax-period `{0}`: give a period such as 4 or a range such as 1-4 (periods run 1 to {MAX_TAX_PERIOD})"
    )]
    Period(String),
    #[error("--tax-period `{0}`: the range runs backwards; write it first-last, e.g. 1-4")]
    BackwardsRange(String),
    #[error("--since `{0}`: give a date as YYYY-MM-DD, e.g. 2025-04-06")]
    Since(String),
}

/// One tax period or an inclusive range of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodRange {
    pub first: u32,
    pub last: u32,
}

impl PeriodRange {
    /// Whether `period` is in the range.
    pub fn contains(&self, period: i64) -> bool {
        (i64::from(self.first)..=i64::from(self.last)).contains(&period)
    }

    /// Each period of the range.
    pub fn periods(&self) -> impl Iterator<Item = u32> {
        self.first..=self.last
    }
}

impl FromStr for PeriodRange {
    type Err = FilterError;

    /// `4`, `1-4`, `1–4` (an en dash pasted from a document), spaces allowed.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || FilterError::Period(text.to_owned());
        let number = |part: &str| -> Result<u32, FilterError> {
            let n: u32 = part.trim().parse().map_err(|_| bad())?;
            if (1..=MAX_TAX_PERIOD).contains(&n) {
                Ok(n)
            } else {
                Err(bad())
            }
        };
        let range = match text.split_once(['-', '–']) {
            Some((first, last)) => PeriodRange {
                first: number(first)?,
                last: number(last)?,
            },
            None => {
                let n = number(text)?;
                PeriodRange { first: n, last: n }
            }
        };
        if range.first > range.last {
            return Err(FilterError::BackwardsRange(text.to_owned()));
        }
        Ok(range)
    }
}

impl fmt::Display for PeriodRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

/// `--since`: a date as `YYYY-MM-DD`.
pub fn parse_since(text: &str) -> Result<NaiveDate, FilterError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| FilterError::Since(text.into()))
}

/// The filter every exported payslip must pass. A payslip that does not carry a field is not
/// judged on it (the server already selected it).
#[derive(Debug, Clone, Default)]
pub struct LocalFilter {
    pub tax_year: Option<i64>,
    pub periods: Option<PeriodRange>,
    pub pay_frequency: Option<String>,
    pub payment_model: Option<String>,
    /// Worker ids (`SR-…`); `None` means every worker.
    pub workers: Option<HashSet<String>>,
    /// Created on or after this day (UTC).
    pub since: Option<NaiveDate>,
}

impl LocalFilter {
    /// This filter narrowed to one list request's own period and workers: the requests of an
    /// export do not overlap, so a payslip kept by one is never kept again by another.
    pub fn for_query(&self, query: &PayslipQuery) -> LocalFilter {
        let mut narrowed = self.clone();
        if let Some(period) = query.tax_period {
            narrowed.periods = Some(PeriodRange {
                first: period,
                last: period,
            });
        }
        if !query.candidate_ids.is_empty() {
            narrowed.workers = Some(query.candidate_ids.iter().cloned().collect());
        }
        narrowed
    }

    /// Whether the payslip belongs in the export.
    pub fn matches(&self, payslip: &Map<String, Value>) -> bool {
        !self.outside_server_filters(payslip)
            && !self.worker_unproven(payslip)
            && !self.created_before_since(payslip)
    }

    /// Whether the payslip fails a filter the API was asked to apply (so the API did not).
    pub fn outside_server_filters(&self, payslip: &Map<String, Value>) -> bool {
        !self.server_filters_match(payslip)
    }

    /// Whether `--since` (applied here only; the API has no such filter) leaves it out.
    pub fn created_before_since(&self, payslip: &Map<String, Value>) -> bool {
        matches!((self.since, created_on(payslip)), (Some(since), Some(created)) if created < since)
    }

    fn server_filters_match(&self, payslip: &Map<String, Value>) -> bool {
        let (year, period) = period_of(payslip);
        if let (Some(want), Some(year)) = (self.tax_year, year)
            && want != year
        {
            return false;
        }
        if let (Some(range), Some(period)) = (self.periods, period)
            && !range.contains(period)
        {
            return false;
        }
        if !text_matches(payslip, "payFrequency", self.pay_frequency.as_deref())
            || !text_matches(payslip, "paymentModel", self.payment_model.as_deref())
        {
            return false;
        }
        if let Some(workers) = &self.workers {
            let (id, _) = worker_of(payslip);
            if !id.is_empty() && !workers.contains(&id) {
                return false;
            }
        }
        true
    }

    /// Whether a per-worker export cannot prove the payslip is one of the requested workers':
    /// it names no worker by id. Such a payslip is left out, never matched by name: a server
    /// that ignores `candidateIds` and names workers only by name would otherwise widen the
    /// export to everyone (names are not unique, and a name is not proof).
    pub fn worker_unproven(&self, payslip: &Map<String, Value>) -> bool {
        self.workers.is_some() && worker_of(payslip).0.is_empty()
    }
}

fn text_matches(payslip: &Map<String, Value>, key: &str, want: Option<&str>) -> bool {
    match (want, payslip.get(key).and_then(Value::as_str)) {
        (Some(want), Some(have)) => have.trim().eq_ignore_ascii_case(want.trim()),
        _ => true,
    }
}

/// The UTC day a payslip was created (`createdAt`), if it says.
pub fn created_on(payslip: &Map<String, Value>) -> Option<NaiveDate> {
    let text = payslip.get("createdAt")?.as_str()?.trim();
    if let Ok(stamp) = DateTime::parse_from_rfc3339(text) {
        return Some(stamp.naive_utc().date());
    }
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payslip(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn period_ranges_parse() {
        assert_eq!("4".parse(), Ok(PeriodRange { first: 4, last: 4 }));
        assert_eq!(" 1 - 4 ".parse(), Ok(PeriodRange { first: 1, last: 4 }));
        assert_eq!("1–12".parse(), Ok(PeriodRange { first: 1, last: 12 }));
        assert_eq!("53".parse::<PeriodRange>().map(|r| r.last), Ok(53));
        for bad in ["", "0", "54", "a", "1-", "-3", "1-2-3", "1.5"] {
            assert_eq!(
                bad.parse::<PeriodRange>(),
                Err(FilterError::Period(bad.into())),
                "{bad:?}"
            );
        }
        assert_eq!(
            "4-1".parse::<PeriodRange>(),
            Err(FilterError::BackwardsRange("4-1".into()))
        );
        assert_eq!(PeriodRange { first: 1, last: 4 }.to_string(), "1-4");
        assert_eq!(PeriodRange { first: 1, last: 4 }.periods().count(), 4);
    }

    #[test]
    fn since_parses_iso_dates_only() {
        assert_eq!(
            parse_since("2025-04-06"),
            Ok(NaiveDate::from_ymd_opt(2025, 4, 6).expect("date"))
        );
        assert!(parse_since("06/04/2025").is_err());
        assert!(
            parse_since("2025-02-30")
                .unwrap_err()
                .to_string()
                .contains("YYYY-MM-DD")
        );
    }

    #[test]
    fn local_filter_checks_every_field_the_payslip_carries() {
        let filter = LocalFilter {
            tax_year: Some(2025),
            periods: Some(PeriodRange { first: 1, last: 4 }),
            pay_frequency: Some("weekly".into()),
            payment_model: None,
            workers: Some(["SR-1".to_owned()].into()),
            since: NaiveDate::from_ymd_opt(2025, 4, 6),
        };
        let base = json!({
            "taxYear": 2025, "taxPeriod": 4, "payFrequency": "WEEKLY", "subcontractorId": "SR-1",
            "createdAt": "2025-04-06T00:00:00.000Z", "paymentModel": "CIS"
        });
        assert!(filter.matches(&payslip(base.clone())));
        for (key, value) in [
            ("taxYear", json!(2024)),
            ("taxPeriod", json!(5)),
            ("taxPeriod", json!("0")),
            ("payFrequency", json!("MONTHLY")),
            ("subcontractorId", json!("SR-2")),
            ("createdAt", json!("2025-04-05T23:59:59.999Z")),
        ] {
            let mut p = payslip(base.clone());
            p.insert(key.into(), value.clone());
            assert!(!filter.matches(&p), "{key} = {value} should not match");
        }
        assert!(
            !filter.outside_server_filters(&payslip(json!({}))),
            "fields the payslip lacks are not judged by the server filters"
        );
        assert!(
            !filter.matches(&payslip(json!({}))),
            "but a per-worker export never keeps a payslip naming no worker by id"
        );
    }

    #[test]
    fn a_per_worker_filter_never_keeps_a_payslip_without_a_worker_id() {
        let filter = LocalFilter {
            workers: Some(["SR-1".to_owned()].into()),
            ..LocalFilter::default()
        };
        let named = payslip(json!({"subcontractorName": "Ann Smith", "taxYear": 2025}));
        assert!(filter.worker_unproven(&named));
        assert!(!filter.matches(&named));
        let by_id = payslip(json!({"subcontractorId": "SR-1", "subcontractorName": "Ann"}));
        assert!(!filter.worker_unproven(&by_id));
        assert!(filter.matches(&by_id));
        let everyone = LocalFilter::default();
        assert!(
            !everyone.worker_unproven(&named),
            "no worker filter: all are wanted"
        );
        assert!(everyone.matches(&named));
    }

    #[test]
    fn since_is_told_apart_from_the_filters_sent_to_the_api() {
        let filter = LocalFilter {
            tax_year: Some(2025),
            since: NaiveDate::from_ymd_opt(2025, 5, 1),
            ..LocalFilter::default()
        };
        let old = payslip(json!({"taxYear": 2025, "createdAt": "2025-04-30T23:00:00-02:00"}));
        assert!(!filter.created_before_since(&old), "01:00 UTC on 1 May");
        let old = payslip(json!({"taxYear": 2025, "createdAt": "2025-04-30T10:00:00Z"}));
        assert!(filter.created_before_since(&old));
        assert!(!filter.outside_server_filters(&old));
        let wrong_year = payslip(json!({"taxYear": 2024, "createdAt": "2025-06-01"}));
        assert!(filter.outside_server_filters(&wrong_year));
        assert!(!filter.created_before_since(&wrong_year));
    }
}
