//! A local, faithful simulator of the Nxsys Umbrella API (see the Nxsys API reference and
//! `docs/sandbox.md`). Tests, benchmarks, `--sandbox` runs and `demo` talk to it on loopback.
//!
//! It has its own types for what it stores and serves, written from the API reference; it does
//! not reuse the client's models, so two independent readings of the reference check each other.

mod admin;
mod auth;
mod candidates;
mod errors;
mod faults;
mod oauth;
mod pagination;
mod payment_rates;
pub mod payroll;
mod payslips;
#[cfg(test)]
mod quirk_tests;
mod rate_limit;
mod router;
mod seed;
mod server;
mod state;
mod timesheets;
mod validate;
mod vat_codes;

use std::net::SocketAddr;
use std::time::Duration;

pub use server::{SandboxHandle, start};
pub use state::Stats;

/// Fault probabilities per request (0.0–1.0) and poisoned texts, e.g. parsed from
/// `status500=0.05,status429=0.05,drop_after_commit=0.02,poison=AR-0042`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Answer 500 before anything is applied.
    pub status500: f64,
    /// Answer 429 (`Retry-After: 1`) before anything is applied.
    pub status429: f64,
    /// Apply the write, then close the connection without an answer.
    pub drop_after_commit: f64,
    /// A write (POST/PUT/PATCH) whose raw body contains any of these texts is answered 500
    /// `internal_error`, every time, before anything is applied.
    pub poison: Vec<String>,
}

impl Faults {
    /// Parse `status500=0.05,status429=0.05,drop_after_commit=0.02,poison=AR-0042` (any subset,
    /// any order, `poison=` any number of times; an empty string means no faults). Each
    /// probability must lie in 0.0–1.0; a poison text must not be empty (and cannot hold a comma).
    pub fn parse(spec: &str) -> Result<Faults, ConfigError> {
        let mut faults = Faults::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = item.split_once('=').ok_or_else(|| {
                ConfigError::Fault(item.to_string(), "expected NAME=PROBABILITY or poison=TEXT")
            })?;
            let name = name.trim();
            if name == "poison" {
                if value.is_empty() {
                    return Err(ConfigError::Fault(
                        item.to_string(),
                        "poison needs a text, e.g. poison=AR-0042",
                    ));
                }
                faults.poison.push(value.to_string());
                continue;
            }
            let slot = match name {
                "status500" => &mut faults.status500,
                "status429" => &mut faults.status429,
                "drop_after_commit" => &mut faults.drop_after_commit,
                _ => {
                    return Err(ConfigError::Fault(
                        item.to_string(),
                        "unknown fault; use status500, status429, drop_after_commit or poison",
                    ));
                }
            };
            let p: f64 = value.trim().parse().map_err(|_| {
                ConfigError::Fault(item.to_string(), "the probability is not a number")
            })?;
            if !(0.0..=1.0).contains(&p) {
                return Err(ConfigError::Fault(
                    item.to_string(),
                    "the probability must be between 0 and 1",
                ));
            }
            *slot = p;
        }
        Ok(faults)
    }
}

/// Behaviours the API reference leaves open. Each one stands against a guess of the default
/// sandbox; see "API variants" in `docs/sandbox.md`. Any combination may be set, except
/// `numbers-only` with `strings-only`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Errors in NestJS's default shape `{statusCode, message, error}`.
    pub nest_errors: bool,
    /// Accept only `Authorization: Bearer <token>`.
    pub bearer_only: bool,
    /// Refuse a candidate whose Agency Ref already exists.
    pub reject_duplicate_candidates: bool,
    /// Put list counters under `meta` only.
    pub meta_pagination: bool,
    /// List endpoints ignore every query parameter except `page` and `size`.
    pub filters_ignored: bool,
    /// List endpoints refuse (400) query parameters the published pages do not show.
    pub filters_rejected: bool,
    /// Timesheet answers carry `rates[]` as plain payment-rate objects, no line values.
    pub no_line_echo: bool,
    /// Timesheet line `rate`/`units` and payment-rate `hoursPerUnit` must be JSON numbers.
    pub numbers_only: bool,
    /// Timesheet line `rate`/`units` and payment-rate `hoursPerUnit` must be decimal strings.
    pub strings_only: bool,
    /// Validation errors (400/422 on API routes) are answered 500, same envelope.
    pub validation_500: bool,
    /// A single candidate (get, update and Ireland create answers) is one flat object.
    pub flat_get: bool,
    /// PUT on candidates and payment rates replaces the whole record instead of merging.
    pub put_replaces: bool,
    /// Ireland candidate bodies may not carry a PPS number; lists never show one.
    pub no_pps: bool,
    /// Payslip items carry `subcontractorName` but no `subcontractorId`.
    pub payslip_no_worker_id: bool,
    /// PUT on the default pay codes PR100/PR101 is refused (400).
    pub default_rates_locked: bool,
    /// OAuth accepts only [`SandboxConfig::redirect_uri`], exactly.
    pub exact_redirect: bool,
    /// With `--rate-limit`, every `/nxsys` answer states the limit in the IETF draft's
    /// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`.
    pub rate_limit_headers: bool,
}

/// Every quirk name `Quirks::parse` knows, in the order of the docs.
pub const QUIRK_NAMES: &[&str] = &[
    "nest-errors",
    "bearer-only",
    "reject-duplicate-candidates",
    "meta-pagination",
    "filters-ignored",
    "filters-rejected",
    "no-line-echo",
    "numbers-only",
    "strings-only",
    "validation-500",
    "flat-get",
    "put-replaces",
    "no-pps",
    "payslip-no-worker-id",
    "default-rates-locked",
    "exact-redirect",
    "rate-limit-headers",
];

/// How the sandbox takes a number in the bodies the number quirks cover.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum NumberStyle {
    /// A JSON number or a decimal string (the default).
    #[default]
    Either,
    /// JSON numbers only (`numbers-only`).
    Numbers,
    /// Decimal strings only (`strings-only`).
    Strings,
}

impl Quirks {
    /// Parse a comma-separated list such as `nest-errors,bearer-only` (underscores also accepted).
    pub fn parse(list: &str) -> Result<Quirks, ConfigError> {
        let mut quirks = Quirks::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let slot = match item.replace('_', "-").to_ascii_lowercase().as_str() {
                "nest-errors" => &mut quirks.nest_errors,
                "bearer-only" => &mut quirks.bearer_only,
                "reject-duplicate-candidates" => &mut quirks.reject_duplicate_candidates,
                "meta-pagination" => &mut quirks.meta_pagination,
                "filters-ignored" => &mut quirks.filters_ignored,
                "filters-rejected" => &mut quirks.filters_rejected,
                "no-line-echo" => &mut quirks.no_line_echo,
                "numbers-only" => &mut quirks.numbers_only,
                "strings-only" => &mut quirks.strings_only,
                "validation-500" => &mut quirks.validation_500,
                "flat-get" => &mut quirks.flat_get,
                "put-replaces" => &mut quirks.put_replaces,
                "no-pps" => &mut quirks.no_pps,
                "payslip-no-worker-id" => &mut quirks.payslip_no_worker_id,
                "default-rates-locked" => &mut quirks.default_rates_locked,
                "exact-redirect" => &mut quirks.exact_redirect,
                "rate-limit-headers" => &mut quirks.rate_limit_headers,
                _ => return Err(ConfigError::Quirk(item.to_string())),
            };
            *slot = true;
        }
        if quirks.numbers_only && quirks.strings_only {
            return Err(ConfigError::QuirkConflict("numbers-only", "strings-only"));
        }
        Ok(quirks)
    }

    /// The number style the quirks ask for.
    pub(crate) fn number_style(&self) -> NumberStyle {
        if self.numbers_only {
            NumberStyle::Numbers
        } else if self.strings_only {
            NumberStyle::Strings
        } else {
            NumberStyle::Either
        }
    }
}

/// Parse a latency range `A-B` (or a single `A`) in milliseconds.
pub fn parse_latency(spec: &str) -> Result<(u64, u64), ConfigError> {
    let bad = || ConfigError::Latency(spec.to_string());
    let (a, b) = match spec.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (spec.trim(), spec.trim()),
    };
    let a: u64 = a.parse().map_err(|_| bad())?;
    let b: u64 = b.parse().map_err(|_| bad())?;
    if a > b {
        return Err(bad());
    }
    Ok((a, b))
}

/// A sandbox option that could not be understood.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error(
        "fault `{0}`: {1} (example: status500=0.05,status429=0.05,drop_after_commit=0.02,poison=AR-0042)"
    )]
    Fault(String, &'static str),
    #[error(
        "unknown quirk `{0}`; known quirks: nest-errors, bearer-only, reject-duplicate-candidates, \
         meta-pagination, filters-ignored, filters-rejected, no-line-echo, numbers-only, \
         strings-only, validation-500, flat-get, put-replaces, no-pps, payslip-no-worker-id, \
         default-rates-locked, exact-redirect, rate-limit-headers"
    )]
    Quirk(String),
    #[error("quirks `{0}` and `{1}` cannot be combined")]
    QuirkConflict(&'static str, &'static str),
    #[error("latency `{0}` is not a range of milliseconds such as 20-80")]
    Latency(String),
}

/// Everything `start` needs; `Default` is a quiet sandbox on a free loopback port.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Port 0 picks a free port.
    pub addr: SocketAddr,
    /// Requests per second (token bucket, burst N); `None` = unlimited.
    pub rate_limit: Option<u32>,
    /// Random delay per request, inclusive range in milliseconds.
    pub latency_ms: Option<(u64, u64)>,
    /// Fault probabilities at start (changeable with `set_faults` or `POST /_sandbox/faults`).
    pub faults: Faults,
    pub quirks: Quirks,
    /// Access-token life (`expiresIn`).
    pub token_ttl: Duration,
    /// Payslips generated at start (and again on reset).
    pub seed_payslips: usize,
    /// The one redirect URI registered for the client application. Only the `exact-redirect`
    /// quirk enforces it; otherwise any loopback URL is accepted.
    pub redirect_uri: String,
}

/// [`SandboxConfig::redirect_uri`] unless set.
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            rate_limit: None,
            latency_ms: None,
            faults: Faults::default(),
            quirks: Quirks::default(),
            token_ttl: Duration::from_secs(3600),
            seed_payslips: 0,
            redirect_uri: DEFAULT_REDIRECT_URI.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_all_kinds_and_name_the_bad_item() {
        let f = Faults::parse("status500=0.05, status429=0.1,drop_after_commit=1").unwrap();
        assert_eq!(f.status500, 0.05);
        assert_eq!(f.status429, 0.1);
        assert_eq!(f.drop_after_commit, 1.0);
        assert_eq!(Faults::parse("").unwrap(), Faults::default());
        let e = Faults::parse("status500=0.1,status503=0.2").unwrap_err();
        assert!(e.to_string().contains("status503=0.2"), "{e}");
        assert!(Faults::parse("status500=2").is_err());
        assert!(Faults::parse("status500").is_err());
        assert!(Faults::parse("status500=x").is_err());
    }

    #[test]
    fn faults_parse_poison_texts() {
        let f = Faults::parse("poison=AR-0042, status500=0.5,poison=QQ 12=3").unwrap();
        assert_eq!(f.poison, vec!["AR-0042".to_string(), "QQ 12=3".to_string()]);
        assert_eq!(f.status500, 0.5);
        let e = Faults::parse("poison=").unwrap_err();
        assert!(e.to_string().contains("poison needs a text"), "{e}");
        let e = Faults::parse("posion=AR-1").unwrap_err();
        assert!(e.to_string().contains("poison"), "{e}");
    }

    #[test]
    fn quirks_parse_and_reject_unknown() {
        let q = Quirks::parse("nest-errors,bearer_only,meta-pagination").unwrap();
        assert!(q.nest_errors && q.bearer_only && q.meta_pagination);
        assert!(!q.reject_duplicate_candidates);
        let e = Quirks::parse("nest-errors,camel").unwrap_err();
        assert_eq!(e, ConfigError::Quirk("camel".into()));
        for name in ["filters-ignored", "no_line_echo", "payslip-no-worker-id"] {
            assert!(e.to_string().contains(&name.replace('_', "-")), "{e}");
        }
    }

    #[test]
    fn every_quirk_name_parses_alone_and_all_combine() {
        for name in QUIRK_NAMES {
            let q = Quirks::parse(name).unwrap();
            assert_ne!(q, Quirks::default(), "{name}");
            assert!(ConfigError::Quirk(String::new()).to_string().contains(name));
            assert_eq!(Quirks::parse(&name.replace('-', "_")).unwrap(), q);
        }
        let q = Quirks::parse("filters-ignored,no-line-echo,flat-get").unwrap();
        assert!(q.filters_ignored && q.no_line_echo && q.flat_get && !q.put_replaces);
        let all: Vec<&str> = QUIRK_NAMES
            .iter()
            .copied()
            .filter(|n| *n != "strings-only")
            .collect();
        let q = Quirks::parse(&all.join(",")).unwrap();
        assert!(q.numbers_only && q.exact_redirect && q.validation_500 && q.no_pps);
        assert_eq!(q.number_style(), NumberStyle::Numbers);
        assert_eq!(
            Quirks::parse("numbers-only,strings-only").unwrap_err(),
            ConfigError::QuirkConflict("numbers-only", "strings-only")
        );
    }

    #[test]
    fn latency_ranges() {
        assert_eq!(parse_latency("20-80").unwrap(), (20, 80));
        assert_eq!(parse_latency("5").unwrap(), (5, 5));
        assert!(parse_latency("80-20").is_err());
        assert!(parse_latency("a-b").is_err());
    }
}
