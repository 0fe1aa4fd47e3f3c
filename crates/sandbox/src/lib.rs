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

/// Fault probabilities per request (0.0–1.0), e.g. parsed from
/// `status500=0.05,status429=0.05,drop_after_commit=0.02`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Answer 500 before anything is applied.
    pub status500: f64,
    /// Answer 429 (`Retry-After: 1`) before anything is applied.
    pub status429: f64,
    /// Apply the write, then close the connection without an answer.
    pub drop_after_commit: f64,
}

impl Faults {
    /// Parse `status500=0.05,status429=0.05,drop_after_commit=0.02` (any subset, any order;
    /// an empty string means no faults). Each probability must lie in 0.0–1.0.
    pub fn parse(spec: &str) -> Result<Faults, ConfigError> {
        let mut faults = Faults::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| ConfigError::Fault(item.to_string(), "expected NAME=PROBABILITY"))?;
            let p: f64 = value.trim().parse().map_err(|_| {
                ConfigError::Fault(item.to_string(), "the probability is not a number")
            })?;
            if !(0.0..=1.0).contains(&p) {
                return Err(ConfigError::Fault(
                    item.to_string(),
                    "the probability must be between 0 and 1",
                ));
            }
            match name.trim() {
                "status500" => faults.status500 = p,
                "status429" => faults.status429 = p,
                "drop_after_commit" => faults.drop_after_commit = p,
                _ => {
                    return Err(ConfigError::Fault(
                        item.to_string(),
                        "unknown fault; use status500, status429 or drop_after_commit",
                    ));
                }
            }
        }
        Ok(faults)
    }
}

/// Behaviours the API reference leaves open.
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
}

impl Quirks {
    /// Parse a comma-separated list such as `nest-errors,bearer-only` (underscores also accepted).
    pub fn parse(list: &str) -> Result<Quirks, ConfigError> {
        let mut quirks = Quirks::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item.replace('_', "-").to_ascii_lowercase().as_str() {
                "nest-errors" => quirks.nest_errors = true,
                "bearer-only" => quirks.bearer_only = true,
                "reject-duplicate-candidates" => quirks.reject_duplicate_candidates = true,
                "meta-pagination" => quirks.meta_pagination = true,
                _ => return Err(ConfigError::Quirk(item.to_string())),
            }
        }
        Ok(quirks)
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
    #[error("fault `{0}`: {1} (example: status500=0.05,status429=0.05,drop_after_commit=0.02)")]
    Fault(String, &'static str),
    #[error(
        "unknown quirk `{0}`; known quirks: nest-errors, bearer-only, reject-duplicate-candidates, meta-pagination"
    )]
    Quirk(String),
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
}

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
    fn quirks_parse_and_reject_unknown() {
        let q = Quirks::parse("nest-errors,bearer_only,meta-pagination").unwrap();
        assert!(q.nest_errors && q.bearer_only && q.meta_pagination);
        assert!(!q.reject_duplicate_candidates);
        let e = Quirks::parse("nest-errors,camel").unwrap_err();
        assert_eq!(e, ConfigError::Quirk("camel".into()));
    }

    #[test]
    fn latency_ranges() {
        assert_eq!(parse_latency("20-80").unwrap(), (20, 80));
        assert_eq!(parse_latency("5").unwrap(), (5, 5));
        assert!(parse_latency("80-20").is_err());
        assert!(parse_latency("a-b").is_err());
    }
}
