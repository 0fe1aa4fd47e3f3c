//! `doctor`: how a Nxsys server behaves where the API reference is silent, found with reads
//! only (GET, and the token refresh), as [`ServerTraits`] plus one [`Check`] per question.
//!
//! Nothing here writes: what can only be seen by writing (numbers or strings in bodies, what a
//! PUT does to fields left out, the PPS field, locked default pay codes) is listed as a check
//! that did not run, learnt by the importer on its first writes.

mod probe;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;

use crate::api::traits::{Filters, LIST_ENDPOINTS, Shape};
use crate::api::{ApiError, Client, ServerTraits};
use probe::{Answer, Probe};

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

/// One list endpoint's first page.
struct Listing {
    endpoint: &'static str,
    items: Vec<Value>,
    /// The total the server reported, else the items on the page.
    count: u64,
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

/// The parameters the client filters each list by, with a value no record matches.
const FILTER_PROBES: [(&str, &[(&str, &str)]); 5] = [
    ("candidates", &[("agencyRef", NO_MATCH)]),
    ("candidates/ireland", &[("agencyRef", NO_MATCH)]),
    ("payment-rate", &[("code", NO_MATCH)]),
    (
        "time-sheets",
        &[("subcontractorRef", NO_WORKER), ("taxYear", "1900")],
    ),
    ("payslips", &[("candidateIds", NO_WORKER)]),
];

fn token_check(lifetime: Option<Duration>) -> Check {
    match lifetime {
        Some(l) => Check::new(
            "token lifetime",
            format!("access tokens live {} s", l.as_secs()),
            "renews the token before it expires (a third of its life, at most a minute, early) \
             and once after a 401",
        ),
        None => Check::new(
            "token lifetime",
            "the token answer gave no expiresIn",
            "renews the token after a 401",
        ),
    }
}

/// Where a list answer keeps its items and its total.
fn envelope(value: &Value) -> Option<(&'static str, &[Value], Vec<&'static str>)> {
    let items: (&'static str, &[Value]) = match value {
        Value::Array(a) => ("a bare array", a),
        Value::Object(o) => match (o.get("data"), o.get("items")) {
            (Some(Value::Array(a)), _) => ("`data`", a),
            (_, Some(Value::Array(a))) => ("`items`", a),
            (Some(Value::Object(inner)), _) => match (inner.get("items"), inner.get("data")) {
                (Some(Value::Array(a)), _) => ("`data.items`", a),
                (_, Some(Value::Array(a))) => ("`data.data`", a),
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    let totals = [
        ("/meta/totalDocs", "meta.totalDocs"),
        ("/totalDocs", "totalDocs"),
        ("/total", "total"),
        ("/meta/total", "meta.total"),
        ("/data/totalDocs", "data.totalDocs"),
    ]
    .iter()
    .filter(|(p, _)| value.pointer(p).is_some_and(|v| count_of(v).is_some()))
    .map(|(_, name)| *name)
    .collect();
    Some((items.0, items.1, totals))
}

fn count_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn total_of(value: &Value) -> Option<u64> {
    [
        "/meta/totalDocs",
        "/totalDocs",
        "/total",
        "/meta/total",
        "/data/totalDocs",
    ]
    .iter()
    .find_map(|p| value.pointer(p).and_then(count_of))
}

fn list_check(endpoint: &'static str, answer: &Answer) -> (Check, Option<Listing>) {
    let name = format!("list {endpoint}");
    if !answer.ok() {
        let what = if answer.refused() {
            format!(
                "{} for page=1&size=100 (the documented largest page)",
                answer.error_words()
            )
        } else {
            answer.error_words()
        };
        return (
            Check::new(
                name,
                what,
                "cannot read this list; the import or export that needs it stops",
            )
            .failed(),
            None,
        );
    }
    let Some(value) = answer.json() else {
        return (
            Check::new(name, "the answer is not JSON", "cannot read this list").failed(),
            None,
        );
    };
    let Some((key, items, totals)) = envelope(&value) else {
        return (
            Check::new(
                name,
                "no list under `data` or `items`",
                "cannot read this list",
            )
            .failed(),
            None,
        );
    };
    let count = total_of(&value).unwrap_or(items.len() as u64);
    let total_words = if totals.is_empty() {
        "no total".to_string()
    } else {
        format!("total at {}", totals.join(" and "))
    };
    let action = if totals.is_empty() {
        "reads page by page until a short page"
    } else {
        "reads the list under either key and the total wherever it is"
    };
    let check = Check::new(
        name,
        format!(
            "list under {key}, {total_words}; {} item(s) on the first page, {count} in all",
            items.len()
        ),
        action,
    );
    (
        check,
        Some(Listing {
            endpoint,
            items: items.to_vec(),
            count,
        }),
    )
}

/// What one filter probe showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Honoured,
    Ignored,
    Rejected,
    /// The collection is empty: nothing to tell honoured from ignored.
    Inconclusive,
    /// Another error.
    Failed(u16),
}

fn classify(answer: &Answer, unfiltered: u64) -> Seen {
    if answer.refused() {
        return Seen::Rejected;
    }
    if !answer.ok() {
        return Seen::Failed(answer.status);
    }
    let Some(value) = answer.json() else {
        return Seen::Failed(answer.status);
    };
    let Some((_, items, _)) = envelope(&value) else {
        return Seen::Failed(answer.status);
    };
    let found = total_of(&value).unwrap_or(items.len() as u64);
    if unfiltered == 0 {
        Seen::Inconclusive
    } else if found == 0 {
        Seen::Honoured
    } else {
        Seen::Ignored
    }
}

fn filter_check(endpoint: &str, seen: &[(&str, Seen)], unfiltered: u64) -> (Filters, Check) {
    let name = format!("filters {endpoint}");
    let words: Vec<String> = seen
        .iter()
        .map(|(param, s)| {
            let what = match s {
                Seen::Honoured => "honoured (a value nothing matches gave an empty list)".into(),
                Seen::Ignored => {
                    format!("ignored (a value nothing matches gave the whole list of {unfiltered})")
                }
                Seen::Rejected => "refused (HTTP 400)".into(),
                Seen::Inconclusive => "not told (the list is empty)".into(),
                Seen::Failed(status) => format!("answered HTTP {status}"),
            };
            format!("`{param}` {what}")
        })
        .collect();
    let detail = words.join("; ");
    let has = |want: Seen| seen.iter().any(|(_, s)| *s == want);
    let failed = seen.iter().any(|(_, s)| matches!(s, Seen::Failed(_)));
    let filters = if has(Seen::Rejected) {
        Filters::Rejected
    } else if has(Seen::Ignored) {
        Filters::Ignored
    } else if !seen.is_empty() && seen.iter().all(|(_, s)| *s == Seen::Honoured) {
        Filters::Honoured
    } else {
        Filters::Unknown
    };
    let action = match filters {
        Filters::Honoured => "uses the filter, and re-checks what comes back",
        Filters::Ignored => {
            "reads the whole list and picks the records itself (slower on a large account; \
             nothing is matched wrongly)"
        }
        Filters::Rejected => {
            "sends no such parameter: reads the whole list and picks the records itself"
        }
        Filters::Unknown => {
            "uses the filter and re-checks what comes back; learns on the first import"
        }
    };
    let mut check = Check::new(name, detail, action);
    if failed {
        check = check.failed();
    }
    if filters == Filters::Unknown && !failed {
        check = check.not_run();
    }
    (filters, check)
}

fn unpublished_check(answer: &Answer) -> Check {
    let name = "unpublished parameter";
    if answer.refused() {
        Check::new(
            name,
            format!(
                "payment-rate refused `{UNPUBLISHED}`, a parameter no published page shows ({})",
                answer.error_words()
            ),
            "sends only the parameters this server accepts",
        )
    } else if answer.ok() {
        Check::new(
            name,
            format!("payment-rate accepted `{UNPUBLISHED}`, a parameter no published page shows"),
            "nothing to do",
        )
    } else {
        Check::new(name, answer.error_words(), "-").failed()
    }
}

fn page_size_check(answer: &Answer) -> (Check, Option<bool>) {
    let name = "page size";
    if answer.envelope_500() {
        return (
            Check::new(
                name,
                format!(
                    "size=100 accepted; size=101 answered {} — a validation error sent as HTTP 500",
                    answer.error_words()
                ),
                "asks 100 per page",
            ),
            Some(true),
        );
    }
    if answer.refused() {
        return (
            Check::new(
                name,
                format!(
                    "size=100 accepted; size=101 refused ({})",
                    answer.error_words()
                ),
                "asks 100 per page",
            ),
            Some(false),
        );
    }
    if answer.ok() {
        let n = answer
            .json()
            .as_ref()
            .and_then(envelope)
            .map(|(_, items, _)| items.len());
        let detail = match n {
            Some(n) if n > 100 => format!("size=101 accepted ({n} items on a page)"),
            Some(n) => format!("size=101 accepted and capped ({n} item(s) on the page)"),
            None => "size=101 accepted".into(),
        };
        return (
            Check::new(
                name,
                detail,
                "asks 100 per page; counts pages by what comes back",
            ),
            None,
        );
    }
    (
        Check::new(
            name,
            format!("size=101 answered {}", answer.error_words()),
            "asks 100 per page",
        ),
        None,
    )
}

fn validation_check(validation_500: Option<bool>) -> Check {
    let name = "validation errors";
    match validation_500 {
        Some(true) => Check::new(
            name,
            "a request the server refuses is answered HTTP 500 with the error envelope",
            "reads a 500 carrying the error envelope as a refusal of the record, not as a \
             server fault to retry (a write is still looked up before it is sent again)",
        ),
        Some(false) => Check::new(
            name,
            "answered HTTP 400/422 with the error envelope, as documented",
            "nothing to do",
        ),
        None => Check::new(
            name,
            "could not run: no read here is refused by this server",
            "learns on the first refused write",
        )
        .not_run(),
    }
}

const MONEY_KEYS: [&str; 9] = [
    "rate",
    "units",
    "hoursPerUnit",
    "totalNet",
    "totalVat",
    "totalPrices",
    "amount",
    "netPay",
    "grossPay",
];

fn money_kinds(item: &Value, strings: &mut Vec<String>, numbers: &mut Vec<String>) {
    let Some(map) = item.as_object() else { return };
    for key in MONEY_KEYS {
        match map.get(key) {
            Some(Value::String(s))
                if s.trim().parse::<f64>().is_ok() && !strings.iter().any(|k| k == key) =>
            {
                strings.push(key.to_string());
            }
            Some(Value::Number(_)) if !numbers.iter().any(|k| k == key) => {
                numbers.push(key.to_string());
            }
            _ => {}
        }
    }
}

fn money_check(rates: &[Value], sheets: &[Value]) -> Check {
    let name = "money in answers";
    let (mut strings, mut numbers) = (Vec::new(), Vec::new());
    for item in rates.iter().take(20).chain(sheets.iter().take(20)) {
        money_kinds(item, &mut strings, &mut numbers);
        if let Some(lines) = item.get("rates").and_then(Value::as_array) {
            for line in lines {
                money_kinds(line, &mut strings, &mut numbers);
            }
        }
    }
    if strings.is_empty() && numbers.is_empty() {
        return Check::new(
            name,
            "could not run: no payment rate or timesheet carries an amount",
            "reads amounts as decimal strings or numbers",
        )
        .not_run();
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    Check::new(
        name,
        format!(
            "as strings: {}; as numbers: {}",
            list(&strings),
            list(&numbers)
        ),
        "reads either, exactly (decimal, not floating point)",
    )
}

async fn line_echo_check(
    probe: &Probe<'_>,
    sheets: &[Value],
) -> Result<(Check, Option<bool>), ApiError> {
    let name = "timesheet line echo";
    let Some(first) = sheets.first() else {
        return Ok((
            Check::new(
                name,
                "could not run: there is no timesheet to read",
                "learns on the first timesheet import",
            )
            .not_run(),
            None,
        ));
    };
    let mut lines = first.get("rates").and_then(Value::as_array).cloned();
    if lines.is_none()
        && let Some(id) = id_of(first)
    {
        let answer = probe.get(&["time-sheets", &id], &[]).await?;
        lines = answer
            .json()
            .map(unwrap_data)
            .and_then(|v| v.get("rates").and_then(Value::as_array).cloned());
    }
    let Some(lines) = lines.filter(|l| !l.is_empty()) else {
        return Ok((
            Check::new(
                name,
                "could not run: the timesheet shows no lines",
                "learns on the first timesheet import",
            )
            .not_run(),
            None,
        ));
    };
    let echoes = lines.iter().all(|line| {
        line.as_object()
            .is_some_and(|l| l.contains_key("rate") && l.contains_key("vatID"))
    });
    Ok(if echoes {
        (
            Check::new(
                name,
                "each line of rates[] shows its rate, units and vatID",
                "compares the lines it sent with those the server holds",
            ),
            Some(true),
        )
    } else {
        (
            Check::new(
                name,
                "rates[] holds the payment-rate objects without each line's rate, units or vatID",
                "cannot compare timesheet lines with the server's: matches timesheets by worker \
                 and period, and trusts its journal for what was sent",
            ),
            Some(false),
        )
    })
}

fn unwrap_data(v: Value) -> Value {
    match v {
        Value::Object(mut o) if o.get("data").is_some_and(Value::is_object) => {
            o.remove("data").unwrap_or(Value::Null)
        }
        other => other,
    }
}

fn id_of(item: &Value) -> Option<String> {
    match item.get("id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn first_id(listing: &Listing) -> Option<String> {
    listing.items.first().and_then(id_of)
}

async fn candidate_shape_check(
    probe: &Probe<'_>,
    candidate: Option<(&str, String)>,
) -> Result<(Check, Shape), ApiError> {
    let name = "candidate by id";
    let Some((endpoint, id)) = candidate else {
        return Ok((
            Check::new(
                name,
                "could not run: there is no candidate to read",
                "learns on the first update",
            )
            .not_run(),
            Shape::Unknown,
        ));
    };
    let mut segs = segments(endpoint);
    segs.push(&id);
    let answer = probe.get(&segs, &[]).await?;
    if !answer.ok() {
        return Ok((
            Check::new(
                name,
                format!("GET {endpoint}/{{id}} answered {}", answer.error_words()),
                "cannot read a candidate to compare it before an update",
            )
            .failed(),
            Shape::Unknown,
        ));
    }
    let body = answer.json().map(unwrap_data).unwrap_or(Value::Null);
    let Some(map) = body.as_object() else {
        return Ok((
            Check::new(
                name,
                "the answer is not a JSON object",
                "cannot read a candidate",
            )
            .failed(),
            Shape::Unknown,
        ));
    };
    let nested = ["generalSetting", "payrollSetting"]
        .iter()
        .any(|k| map.get(*k).is_some_and(Value::is_object));
    Ok(if nested {
        (
            Check::new(
                name,
                "nested, as the create body (generalSetting, payrollSetting, …)",
                "compares field by field",
            ),
            Shape::Nested,
        )
    } else {
        (
            Check::new(
                name,
                "flat: every field at the top level, no generalSetting/payrollSetting objects",
                "reads the fields from the top level and compares them as if nested",
            ),
            Shape::Flat,
        )
    })
}

fn worker_id(item: &Map<String, Value>) -> bool {
    ["subcontractorId", "candidateId", "subcontractorRef"]
        .iter()
        .any(|k| match item.get(*k) {
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(Value::Number(_)) => true,
            Some(Value::Object(o)) => o.get("id").is_some_and(|v| !v.is_null()),
            _ => false,
        })
}

fn payslip_check(payslips: &[Value]) -> (Check, Option<bool>) {
    let name = "payslip worker id";
    let items: Vec<&Map<String, Value>> = payslips
        .iter()
        .take(20)
        .filter_map(Value::as_object)
        .collect();
    if items.is_empty() {
        return (
            Check::new(
                name,
                "could not run: there is no payslip to read",
                "a per-worker export leaves out any payslip that names no worker by id",
            )
            .not_run(),
            None,
        );
    }
    if items.iter().all(|i| worker_id(i)) {
        (
            Check::new(
                name,
                "payslips name their worker by id",
                "exports per worker by id",
            ),
            Some(true),
        )
    } else {
        (
            Check::new(
                name,
                "payslips name their worker by name only (no subcontractorId)",
                "a per-worker export leaves out (and counts) every payslip it cannot prove is of \
                 a worker asked for; a whole-account export is unaffected",
            ),
            Some(false),
        )
    }
}

async fn redirect_checks(
    probe: &Probe<'_>,
    base: &Url,
    opts: &DoctorOptions,
) -> Result<(Vec<Check>, Option<bool>), ApiError> {
    let helper = |redirect: &str| -> Result<Url, ApiError> {
        let mut url = base.clone();
        url.path_segments_mut()
            .map_err(|_| ApiError::Config(format!("the base URL {base} cannot hold API paths")))?
            .pop_if_empty()
            .extend(["nxsys", "oauth", "grant-token-url"]);
        url.query_pairs_mut()
            .append_pair("clientId", &opts.client_id)
            .append_pair("clientSecret", opts.client_secret.expose_secret())
            .append_pair("redirectUri", redirect);
        Ok(url)
    };
    let refusal = |a: &Answer| crate::auth::login::is_redirect_refusal(a.status, &a.body);
    let configured = probe
        .get_unauthenticated(&helper(opts.redirect_uri.as_str())?)
        .await?;
    let mut checks = Vec::new();
    if configured.ok() {
        checks.push(Check::new(
            "redirect URI",
            format!("{} is accepted for this client", opts.redirect_uri),
            "`auth login` uses it",
        ));
    } else if refusal(&configured) {
        checks.push(
            Check::new(
                "redirect URI",
                crate::auth::login::refused_message(&opts.redirect_uri),
                "`auth login` would fail until redirect_uri names the registered one",
            )
            .failed(),
        );
    } else {
        checks.push(
            Check::new(
                "redirect URI",
                format!(
                    "could not run: the grant-token-url helper answered {}",
                    configured.error_words()
                ),
                "`auth login` builds the portal URL itself",
            )
            .not_run(),
        );
        return Ok((checks, None));
    }
    let other = probe
        .get_unauthenticated(&helper(UNREGISTERED_REDIRECT)?)
        .await?;
    let (check, exact) = if other.ok() {
        (
            Check::new(
                "exact redirect",
                "any loopback redirect URI is accepted",
                "nothing to do",
            ),
            Some(false),
        )
    } else if refusal(&other) {
        (
            Check::new(
                "exact redirect",
                "only the registered redirect URI is accepted (an unregistered loopback one was refused)",
                "`auth login` listens on the configured redirect_uri exactly, never a random port",
            ),
            Some(true),
        )
    } else {
        (
            Check::new(
                "exact redirect",
                format!(
                    "could not run: an unregistered redirect URI was answered {}",
                    other.error_words()
                ),
                "`auth login` listens on the configured redirect_uri exactly",
            )
            .not_run(),
            None,
        )
    };
    checks.push(check);
    Ok((checks, exact))
}

fn rate_limit_check(headers: &[(String, String)]) -> Check {
    if headers.is_empty() {
        Check::new(
            "rate-limit headers",
            "none (no X-RateLimit-*, RateLimit-* or Retry-After)",
            "keeps to the configured rate and slows down after a 429",
        )
    } else {
        let list: Vec<String> = headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        Check::new(
            "rate-limit headers",
            list.join("; "),
            "keeps to the configured rate, waits as Retry-After says and slows down after a 429",
        )
    }
}

fn skew_check(skew: Option<i64>) -> Check {
    match skew {
        None => Check::new("clock skew", "could not run: no Date header", "-").not_run(),
        Some(s) if s.abs() > SKEW_WARN_SECS => Check::new(
            "clock skew",
            format!(
                "the server's clock is {s} s from this computer's; set this computer's clock right"
            ),
            "token expiry is counted from the token's lifetime, not from clocks; dates in reports use this computer's clock",
        ),
        Some(s) => Check::new(
            "clock skew",
            format!("{s} s from this computer's clock"),
            "nothing to do",
        ),
    }
}

fn write_only_checks() -> Vec<Check> {
    let learnt = "not observable without writing: learnt on the first import";
    [
        (
            "numbers in bodies",
            "sends decimal strings (as the create example); after a refusal naming an amount, \
             sends numbers and remembers it",
        ),
        (
            "PUT semantics",
            "learns whether a PUT clears fields it leaves out; then sends whole records",
        ),
        (
            "PPS field",
            "learns whether Irish bodies may carry generalSetting.PPSNumber; then leaves it out",
        ),
        (
            "default pay codes",
            "learns whether PR100/PR101 refuse updates; then leaves them as they are",
        ),
    ]
    .into_iter()
    .map(|(name, action)| Check::new(name, learnt, action).not_run())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body: serde_json::to_vec(&body).unwrap(),
        }
    }

    #[test]
    fn envelopes_and_totals_are_named() {
        let page = json!({"items": [1, 2], "meta": {"totalDocs": 2}, "totalDocs": 2});
        let (key, items, totals) = envelope(&page).unwrap();
        assert_eq!((key, items.len()), ("`items`", 2));
        assert_eq!(totals, ["meta.totalDocs", "totalDocs"]);
        let page = json!({"data": []});
        let (key, _, totals) = envelope(&page).unwrap();
        assert_eq!(key, "`data`");
        assert!(totals.is_empty());
        assert!(envelope(&json!({"rows": []})).is_none());
    }

    #[test]
    fn filter_probes_are_classified_against_the_whole_list() {
        let empty = answer(200, json!({"items": [], "totalDocs": 0}));
        let whole = answer(200, json!({"items": [{}, {}], "totalDocs": 2}));
        let refused = answer(
            400,
            json!({"error": {"code": "invalid_parameter", "details": {"field": "agencyRef"}}}),
        );
        let refused_500 = answer(
            500,
            json!({"error": {"code": "invalid_parameter", "message": "x"}}),
        );
        let crash = answer(500, json!({"message": "Internal server error"}));
        assert_eq!(classify(&empty, 2), Seen::Honoured);
        assert_eq!(classify(&whole, 2), Seen::Ignored);
        assert_eq!(classify(&empty, 0), Seen::Inconclusive);
        assert_eq!(classify(&refused, 2), Seen::Rejected);
        assert_eq!(classify(&refused_500, 2), Seen::Rejected);
        assert_eq!(classify(&crash, 2), Seen::Failed(500));
        let (f, c) = filter_check(
            "time-sheets",
            &[
                ("subcontractorRef", Seen::Honoured),
                ("taxYear", Seen::Ignored),
            ],
            2,
        );
        assert_eq!(f, Filters::Ignored);
        assert!(c.ok && c.ran);
        let (f, c) = filter_check("candidates", &[("agencyRef", Seen::Inconclusive)], 0);
        assert_eq!(f, Filters::Unknown);
        assert!(c.ok && !c.ran);
        let (_, c) = filter_check("candidates", &[("agencyRef", Seen::Failed(404))], 2);
        assert!(!c.ok);
    }

    #[test]
    fn page_size_beyond_the_limit_tells_validation_500() {
        let (_, v) = page_size_check(&answer(
            400,
            json!({"error": {"code": "invalid_parameter", "details": {"field": "size"}}}),
        ));
        assert_eq!(v, Some(false));
        let (c, v) = page_size_check(&answer(
            500,
            json!({"error": {"code": "invalid_parameter", "details": {"field": "size"}}}),
        ));
        assert_eq!(v, Some(true));
        assert!(c.ok);
        let (_, v) = page_size_check(&answer(200, json!({"items": []})));
        assert_eq!(v, None);
    }

    #[test]
    fn payslips_without_a_worker_id_are_seen() {
        let (_, with) = payslip_check(&[json!({"subcontractorId": "SR-1"})]);
        assert_eq!(with, Some(true));
        let (_, without) = payslip_check(&[json!({"subcontractorName": "Ann"})]);
        assert_eq!(without, Some(false));
        let (c, none) = payslip_check(&[]);
        assert_eq!(none, None);
        assert!(!c.ran);
    }

    #[test]
    fn write_only_checks_say_they_did_not_run() {
        for c in write_only_checks() {
            assert!(c.ok && !c.ran, "{}", c.name);
            assert!(c.detail.contains("not observable without writing"));
        }
    }
}
