//! An export from start to end, over any [`PayslipSource`]: check the output, resolve the
//! workers, fetch into the spool (first pass), write the files (second pass).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use indicatif::ProgressBar;

use serde_json::{Map, Value};

use super::collect::{Collected, Collector};
use super::columns::AGENCY_REF_KEY;
use super::destination::{Destination, write_outputs};
use super::error::ExportError;
use super::filter::LocalFilter;
use super::payslip_source::{PayslipQuery, PayslipSource};
use super::request::{ExportRequest, ExportSummary};
use super::resolve::resolve_workers;
use super::split::SplitBy;
use super::xlsx::About;

/// Worker ids per list request (`candidateIds` is comma-separated in the URL).
pub const WORKERS_PER_QUERY: usize = 50;
/// A period range up to this long is fetched one period per query; a longer one in a single
/// query filtered here (a wide range is most of the year, so the saving would be small).
pub const MAX_PERIOD_QUERIES: u32 = 12;

/// Run an export. `progress` draws progress bars on stderr.
pub async fn run_export<S: PayslipSource>(
    source: &S,
    request: &ExportRequest,
    progress: bool,
) -> Result<ExportSummary, ExportError> {
    let destination = Destination::new(&request.output, request.excel_csv, request.split_by)?;
    destination.prepare()?;

    let workers = resolve_workers(source, request).await?;
    if workers.as_ref().is_some_and(BTreeSet::is_empty) {
        return Err(ExportError::NoWorkers);
    }
    let filter = LocalFilter {
        tax_year: request.tax_year.map(i64::from),
        periods: request.tax_periods,
        pay_frequency: request.pay_frequency.clone(),
        payment_model: request.payment_model.clone(),
        workers: workers.as_ref().map(|w| w.iter().cloned().collect()),
        since: request.since,
    };
    let queries = queries(request, workers.as_ref());
    let agency_refs = match source.agency_refs().await {
        Ok(refs) => refs,
        Err(e) => {
            tracing::warn!(
                "the Agency Ref column is left blank: the workers could not be read ({e})"
            );
            HashMap::new()
        }
    };

    let total = if progress {
        expected_total(source, &queries).await
    } else {
        None
    };
    let bar = fetch_bar(progress, total);
    let fetched = fetch(
        source,
        queries,
        &filter,
        request.split_by,
        &agency_refs,
        &bar,
    )
    .await;
    bar.finish_and_clear();
    let collected = fetched?;
    if collected.before_since > 0 {
        tracing::info!(
            "{} payslip(s) created before {} left out (--since)",
            collected.before_since,
            request.since.map(|d| d.to_string()).unwrap_or_default()
        );
    }
    let count = collected.count;
    let about = About {
        filters: request.described_filters(),
        base_url: source.describe(),
        exported_at: Utc::now(),
    };
    let bar = write_bar(progress, count as u64);
    let writer_bar = bar.clone();
    let written = tokio::task::spawn_blocking(move || {
        write_outputs(collected, &destination, &about, || writer_bar.inc(1))
    })
    .await;
    bar.finish_and_clear();
    let files = written.map_err(ExportError::WriterStopped)??;
    Ok(ExportSummary {
        payslips: count,
        files,
    })
}

/// The first pass: every query's payslips, checked against the filter narrowed to that query,
/// into the spool.
async fn fetch<S: PayslipSource>(
    source: &S,
    queries: Vec<PayslipQuery>,
    filter: &LocalFilter,
    split_by: Option<SplitBy>,
    agency_refs: &HashMap<String, String>,
    bar: &ProgressBar,
) -> Result<Collected, ExportError> {
    let spool_failure = |action, source| ExportError::Spool { action, source };
    let mut collector = Collector::new(split_by).map_err(|e| spool_failure("create", e))?;
    let mut fetched: u64 = 0;
    for query in queries {
        let query_filter = filter.for_query(&query);
        let mut payslips = std::pin::pin!(source.payslips(query));
        while let Some(payslip) = payslips.next().await {
            let mut payslip = payslip?;
            add_agency_ref(&mut payslip, agency_refs);
            fetched += 1;
            collector
                .add(&payslip, &query_filter)
                .map_err(|e| spool_failure("write", e))?;
            bar.set_position(fetched);
        }
    }
    let collected = collector
        .finish()
        .map_err(|e| spool_failure("read back", e))?;
    if collected.outside_filter > 0 {
        tracing::warn!(
            "the API returned {} of {fetched} payslip(s) outside the filters; they were left out \
             (the API may not support one of the filters)",
            collected.outside_filter
        );
    }
    if collected.unproven_worker > 0 {
        tracing::warn!(
            "{} of {fetched} payslip(s) were left out because they do not name their worker by \
             id, so they cannot be proven to belong to the workers asked for (this server's \
             payslips carry only the worker's name; names are not unique)",
            collected.unproven_worker
        );
    }
    Ok(collected)
}

/// The worker's Agency Ref, added to a payslip that does not carry one itself.
fn add_agency_ref(payslip: &mut Map<String, Value>, agency_refs: &HashMap<String, String>) {
    if payslip.contains_key(AGENCY_REF_KEY) {
        return;
    }
    let worker = payslip.get("subcontractorId").and_then(Value::as_str);
    if let Some(agency_ref) = worker.and_then(|id| agency_refs.get(id)) {
        payslip.insert(AGENCY_REF_KEY.to_owned(), Value::String(agency_ref.clone()));
    }
}

/// The list requests for a request: per period of a short range, per chunk of workers.
pub fn queries(request: &ExportRequest, workers: Option<&BTreeSet<String>>) -> Vec<PayslipQuery> {
    let periods: Vec<Option<u32>> = match request.tax_periods {
        Some(range) if range.last - range.first < MAX_PERIOD_QUERIES => {
            range.periods().map(Some).collect()
        }
        _ => vec![None],
    };
    let chunks: Vec<Vec<String>> = match workers {
        Some(ids) => {
            let ids: Vec<String> = ids.iter().cloned().collect();
            ids.chunks(WORKERS_PER_QUERY)
                .map(<[String]>::to_vec)
                .collect()
        }
        None => vec![Vec::new()],
    };
    periods
        .iter()
        .flat_map(|&tax_period| {
            chunks.iter().map(move |ids| PayslipQuery {
                tax_year: request.tax_year,
                tax_period,
                pay_frequency: request.pay_frequency.clone(),
                payment_model: request.payment_model.clone(),
                candidate_ids: ids.clone(),
            })
        })
        .collect()
}

/// The payslips the queries match, when the source says (asked only for the progress bar, and
/// only for a handful of queries).
async fn expected_total<S: PayslipSource>(source: &S, queries: &[PayslipQuery]) -> Option<u64> {
    if queries.len() > MAX_PERIOD_QUERIES as usize {
        return None;
    }
    let mut total = 0;
    for query in queries {
        total += source.count(query).await?;
    }
    Some(total)
}

fn fetch_bar(progress: bool, total: Option<u64>) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => {
            let bar = ProgressBar::new(total);
            bar.set_style(crate::progress::bar("payslips"));
            bar
        }
        None => {
            let bar = ProgressBar::new_spinner();
            bar.set_style(crate::progress::spinner("payslips"));
            bar
        }
    };
    bar.set_prefix("fetching");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn write_bar(progress: bool, total: u64) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(crate::progress::bar("payslips"));
    bar.set_prefix("writing");
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::filter::PeriodRange;

    #[test]
    fn short_period_ranges_and_worker_lists_fan_out() {
        let mut request = ExportRequest::new("x.xlsx");
        request.tax_year = Some(2025);
        request.tax_periods = Some(PeriodRange { first: 2, last: 4 });
        let workers: BTreeSet<String> = (0..120).map(|n| format!("SR-{n}")).collect();
        let queries = queries(&request, Some(&workers));
        assert_eq!(queries.len(), 3 * 3, "3 periods × 3 chunks of ≤50 workers");
        assert!(queries.iter().all(|q| q.tax_year == Some(2025)));
        let ids: usize = queries
            .iter()
            .filter(|q| q.tax_period == Some(2))
            .map(|q| q.candidate_ids.len())
            .sum();
        assert_eq!(ids, 120);
    }

    #[test]
    fn a_wide_range_is_one_query_filtered_locally() {
        let mut request = ExportRequest::new("x.xlsx");
        request.tax_periods = Some(PeriodRange { first: 1, last: 52 });
        let queries = queries(&request, None);
        assert_eq!(queries.len(), 1);
        assert_eq!(queries[0].tax_period, None);
        assert!(queries[0].candidate_ids.is_empty());
    }
}
