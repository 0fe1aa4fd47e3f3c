//! Turning `--worker` values and a `--workers-from` file into worker ids: `SR-…` ids are used
//! as given, anything else is an Agency Ref looked up through the API. Every reference that
//! cannot be used is reported at once, with where it came from.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;

use super::error::ExportError;
use super::payslip_source::PayslipSource;
use super::request::ExportRequest;
use super::workers_file::{self, WorkerKind, looks_like_worker_id};

/// Agency Ref look-ups in flight at once (each is one request under the client's limiter).
const LOOKUPS_IN_FLIGHT: usize = 8;

/// The worker ids the request names; `None` when it names none (every worker).
pub async fn resolve_workers<S: PayslipSource>(
    source: &S,
    request: &ExportRequest,
) -> Result<Option<BTreeSet<String>>, ExportError> {
    if request.workers.is_empty() && request.workers_from.is_none() {
        return Ok(None);
    }
    let mut ids = BTreeSet::new();
    // (Agency Ref or PPS number) → (order first named, where it was first named).
    let mut refs: BTreeMap<(WorkerKind, String), (usize, String)> = BTreeMap::new();
    for value in &request.workers {
        let value = value.trim();
        if looks_like_worker_id(value) {
            ids.insert(value.to_ascii_uppercase());
        } else if !value.is_empty() {
            let order = refs.len();
            refs.entry((WorkerKind::AgencyRef, value.to_owned()))
                .or_insert_with(|| (order, format!("--worker {value}")));
        }
    }
    if let Some(path) = &request.workers_from {
        for entry in workers_file::read(path)? {
            match entry.kind {
                WorkerKind::Id => {
                    ids.insert(entry.value);
                }
                kind @ (WorkerKind::AgencyRef | WorkerKind::Pps) => {
                    let order = refs.len();
                    refs.entry((kind, entry.value))
                        .or_insert_with(|| (order, entry.place.to_string()));
                }
            }
        }
    }

    let mut lookups = futures::stream::iter(refs)
        .map(|((kind, value), (order, origin))| async move {
            let found = match kind {
                WorkerKind::Pps => source.workers_with_pps(&value).await,
                _ => source.workers_with_agency_ref(&value).await,
            };
            let what = match kind {
                WorkerKind::Pps => "PPS number",
                _ => "Agency Ref",
            };
            (what, value, order, origin, found)
        })
        .buffer_unordered(LOOKUPS_IN_FLIGHT);
    let mut problems = Vec::new();
    while let Some((what, agency_ref, order, origin, found)) = lookups.next().await {
        let found = found?;
        match found.as_slice() {
            [] => problems.push((
                order,
                format!(
                    "{origin}: no worker in Nxsys has {what} `{agency_ref}`; check the \
                 reference, or give the worker id (SR-…) instead"
                ),
            )),
            [id] => {
                ids.insert(id.clone());
            }
            several => problems.push((
                order,
                format!(
                    "{origin}: {what} `{agency_ref}` belongs to several workers ({}); give the \
                 worker id (SR-…) you mean instead",
                    several.join(", ")
                ),
            )),
        }
    }
    if !problems.is_empty() {
        // In the order the user named them: file row 2 before row 10.
        problems.sort();
        let problems = problems.into_iter().map(|(_, problem)| problem).collect();
        return Err(ExportError::UnusableWorkers { problems });
    }
    Ok(Some(ids))
}
