//! `doctor`: how a Nxsys server behaves where the API reference is silent, found with reads
//! only (GET, and the token refresh), as [`ServerTraits`] plus one [`Check`] per question.
//!
//! Nothing here writes: what can only be seen by writing (numbers or strings in bodies, what a
//! PUT does to fields left out, the PPS field, locked default pay codes) is listed as a check
//! that did not run, learnt by the importer on its first writes.

mod answers;
mod filters;
mod lists;
mod login;
mod probe;
mod session;

use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;
use url::Url;

use crate::api::traits::LIST_ENDPOINTS;
use crate::api::{ApiError, Client, ServerTraits};
use answers::{candidate_shape_check, first_id, line_echo_check, money_check, payslip_check};
use filters::{FILTER_PROBES, classify, filter_check, unpublished_check};
use lists::{list_check, page_size_check, validation_check};
use login::redirect_checks;
use probe::Probe;
use session::{rate_limit_check, skew_check, token_check, write_only_checks};

/// A filter value no record can carry.
pub const NO_MATCH: &str = "__nxsys-etl-doctor__";
/// A worker id in the documented shape that no worker has.
pub const NO_WORKER: &str = "SR-999999999";
/// A query parameter no published page shows.
pub const UNPUBLISHED: &str = "nxsysEtlDoctor";
/// A loopback redirect URI no client registers.
pub const UNREGISTERED_REDIRECT: &str = "http://127.0.0.1:9/nxsys-etl-doctor-unregistered";
/// Clock skew beyond which the check warns (seconds).
const SKEW_WARN_SECS: i64 = 300;

/// What the doctor needs besides the client.
pub struct DoctorOptions {
    pub client_id: String,
    pub client_secret: SecretString,
    /// The redirect URI `auth login` would use.
    pub redirect_uri: Url,
    /// The current access token's lifetime, when known.
    pub token_lifetime: Option<Duration>,
}

/// One question asked of the server.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    /// False when what was found is something the importer cannot handle.
    pub ok: bool,
    /// Whether the check could run (an empty server leaves some without anything to read).
    pub ran: bool,
    /// What was found.
    pub detail: String,
    /// What the importer will do about it.
    pub action: String,
}

impl Check {
    fn new(name: impl Into<String>, detail: impl Into<String>, action: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            ok: true,
            ran: true,
            detail: detail.into(),
            action: action.into(),
        }
    }

    fn failed(mut self) -> Self {
        self.ok = false;
        self
    }

    fn not_run(mut self) -> Self {
        self.ran = false;
        self
    }
}

/// Everything the doctor found.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    pub traits: ServerTraits,
    pub checks: Vec<Check>,
    /// Rate-limit headers seen (lower-case name → last value).
    pub rate_limit_headers: Vec<(String, String)>,
    /// The server's clock minus ours, in seconds.
    pub clock_skew_secs: Option<i64>,
    pub token_lifetime_secs: Option<u64>,
    /// Requests sent (all GET).
    pub requests: u64,
}

impl Diagnosis {
    /// Whether every check found something the importer can handle.
    pub fn all_ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// Examine the server `client` talks to. `Err` only when it cannot be reached or refuses the
/// sign-in (nothing could be checked).
pub async fn examine(client: &Client, opts: &DoctorOptions) -> Result<Diagnosis, ApiError> {
    let probe = Probe::new(client);
    let mut traits = ServerTraits::default();
    let mut checks = Vec::new();

    checks.push(token_check(opts.token_lifetime));

    // One page of every list, at the documented largest page size.
    let mut listings = Vec::new();
    for endpoint in LIST_ENDPOINTS {
        let answer = probe
            .get(&segments(endpoint), &[("page", "1"), ("size", "100")])
            .await?;
        let (check, listing) = list_check(endpoint, &answer);
        checks.push(check);
        listings.extend(listing);
    }
    let listing = |name: &str| listings.iter().find(|l| l.endpoint == name);

    // Filters: a value that cannot match, per parameter the client uses.
    for (endpoint, params) in FILTER_PROBES {
        let Some(list) = listing(endpoint) else {
            checks.push(
                Check::new(
                    format!("filters {endpoint}"),
                    "could not run: the list itself could not be read",
                    "-",
                )
                .not_run(),
            );
            continue;
        };
        let mut seen = Vec::new();
        for &(param, value) in params.iter() {
            let answer = probe
                .get(
                    &segments(endpoint),
                    &[("page", "1"), ("size", "100"), (param, value)],
                )
                .await?;
            seen.push((param, classify(&answer, list.count)));
        }
        let (filters, check) = filter_check(endpoint, &seen, list.count);
        traits.filters.insert(endpoint.to_string(), filters);
        checks.push(check);
    }
    let unpublished = probe
        .get(
            &segments("payment-rate"),
            &[("page", "1"), ("size", "1"), (UNPUBLISHED, "1")],
        )
        .await?;
    checks.push(unpublished_check(&unpublished));

    // Page size beyond the documented largest.
    let beyond = probe
        .get(&segments("vat-code"), &[("page", "1"), ("size", "101")])
        .await?;
    let (check, validation_500) = page_size_check(&beyond);
    checks.push(check);
    let validation_500 =
        validation_500.or_else(|| unpublished.refused().then(|| unpublished.envelope_500()));
    traits.validation_500 = validation_500;
    checks.push(validation_check(validation_500));

    // What the answers look like.
    let rates = listing("payment-rate")
        .map(|l| l.items.as_slice())
        .unwrap_or(&[]);
    let sheets = listing("time-sheets")
        .map(|l| l.items.as_slice())
        .unwrap_or(&[]);
    checks.push(money_check(rates, sheets));
    let (check, echo) = line_echo_check(&probe, sheets).await?;
    traits.line_echo = echo;
    checks.push(check);
    let candidate = ["candidates", "candidates/ireland"]
        .iter()
        .find_map(|e| Some((*e, first_id(listing(e)?)?)));
    let (check, shape) = candidate_shape_check(&probe, candidate).await?;
    traits.candidate_get = shape;
    checks.push(check);
    let payslips = listing("payslips")
        .map(|l| l.items.as_slice())
        .unwrap_or(&[]);
    let (check, worker_id) = payslip_check(payslips);
    traits.payslip_worker_id = worker_id;
    checks.push(check);

    // Sign-in: the redirect URI.
    let (redirect_checks, exact) = redirect_checks(&probe, client.base_url(), opts).await?;
    traits.exact_redirect = exact;
    checks.extend(redirect_checks);

    let rate_limit_headers: Vec<(String, String)> = probe
        .rate_limit
        .lock()
        .map(|m| m.clone().into_iter().collect())
        .unwrap_or_default();
    checks.push(rate_limit_check(&rate_limit_headers));
    let clock_skew_secs = probe.skew.lock().ok().and_then(|s| *s);
    checks.push(skew_check(clock_skew_secs));
    checks.extend(write_only_checks());

    Ok(Diagnosis {
        traits,
        checks,
        rate_limit_headers,
        clock_skew_secs,
        token_lifetime_secs: opts.token_lifetime.map(|d| d.as_secs()),
        requests: probe.requests(),
    })
}

fn segments(endpoint: &str) -> Vec<&str> {
    endpoint.split('/').collect()
}

/// An answer with `status` and `body` as JSON, for the tests.
#[cfg(test)]
fn answer(status: u16, body: serde_json::Value) -> probe::Answer {
    probe::Answer {
        status,
        body: serde_json::to_vec(&body).unwrap(),
    }
}
