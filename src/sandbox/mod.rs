//! A local, faithful simulator of the Nxsys Umbrella API (see `shared/nxsys-api.md` and
//! `docs/sandbox.md`). Tests, benchmarks, `--sandbox` runs and `demo` talk to it on loopback.
//!
//! It has its own types for what it stores and serves, written from the API reference; it does
//! not reuse the client's models, so two independent readings of the reference check each other.

use std::net::SocketAddr;
use std::time::Duration;

/// Fault probabilities per request (0.0–1.0), e.g. parsed from
/// `status500=0.05,status429=0.05,drop_after_commit=0.02`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub status500: f64,
    pub status429: f64,
    /// Apply the write, then close the connection without an answer.
    pub drop_after_commit: f64,
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

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Port 0 picks a free port.
    pub addr: SocketAddr,
    /// Requests per second (token bucket, burst N); `None` = unlimited.
    pub rate_limit: Option<u32>,
    /// Random delay per request, inclusive range in milliseconds.
    pub latency_ms: Option<(u64, u64)>,
    pub faults: Faults,
    pub quirks: Quirks,
    pub token_ttl: Duration,
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
