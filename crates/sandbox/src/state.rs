//! What the sandbox holds: the registered client, tokens, records, and the counters behind
//! `/_sandbox/stats`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::candidates::Candidate;
use super::oauth::Tokens;
use super::payment_rates::PaymentRate;
use super::payslips::{FilterCache, Payslip};
use super::rate_limit::Bucket;
use super::timesheets::Timesheet;
use super::vat_codes::VatCode;
use super::{Faults, Quirks, SandboxConfig};

/// Counters a test or benchmark reads to see what the server really did and holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// UK candidates held.
    pub candidates: u64,
    /// Ireland candidates held.
    pub candidates_ie: u64,
    /// Payment rates held (including the two seeded pay codes).
    pub payment_rates: u64,
    pub vat_codes: u64,
    pub timesheets: u64,
    pub payslips: u64,
    /// Candidates created with an Agency Ref that already existed (same region).
    pub duplicate_candidates: u64,
    /// Timesheets created with the same worker, dates, tax year, period and lines as an earlier one.
    pub duplicate_timesheets: u64,
    /// Every request under `/nxsys` (refused ones included).
    pub requests: u64,
    /// Requests refused by the rate limit.
    pub rate_limited: u64,
    /// Injected faults of every kind.
    pub faults_injected: u64,
    /// Of those, answers dropped after the write was applied.
    pub dropped_after_commit: u64,
    /// API requests refused for a missing or invalid token.
    pub unauthorized: u64,
    /// GET requests under `/nxsys` other than OAuth (refused ones included).
    pub reads: u64,
    /// POST/PUT/PATCH/DELETE requests under `/nxsys` other than `/nxsys/oauth/*` (refused ones
    /// included).
    pub writes: u64,
}

/// Request counters, updated without the data lock.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub faults_injected: AtomicU64,
    pub dropped_after_commit: AtomicU64,
    pub unauthorized: AtomicU64,
    pub reads: AtomicU64,
    pub writes: AtomicU64,
}

impl Counters {
    /// Add one.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn reset(&self) {
        for c in [
            &self.requests,
            &self.rate_limited,
            &self.faults_injected,
            &self.dropped_after_commit,
            &self.unauthorized,
            &self.reads,
            &self.writes,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// The records, in creation order (so by `incrementId`, which keeps paging stable).
#[derive(Debug, Default)]
pub struct Data {
    /// Next number for each id prefix.
    pub next_candidate: u64,
    pub next_payment_rate: u64,
    pub next_timesheet: u64,
    pub next_payslip: u64,
    pub candidates: Vec<Candidate>,
    pub vat_codes: Vec<VatCode>,
    pub payment_rates: Vec<PaymentRate>,
    pub timesheets: Vec<Timesheet>,
    /// Payslips; change them only through [`Data::put_payslip`] (it invalidates the cache).
    pub payslips: Vec<Payslip>,
    /// Bumped on every payslip change.
    pub payslip_version: u64,
    pub payslip_cache: Option<FilterCache>,
    /// Timesheet fingerprints seen at creation → count (duplicate detection).
    pub timesheet_keys: HashMap<String, u64>,
    pub duplicate_candidates: u64,
    pub duplicate_timesheets: u64,
}

impl Data {
    /// Lookups by the number in the id (`SR-n`, `PR-n`, `VC-n`, `TS-n`).
    pub fn candidate(&self, n: u64) -> Option<&Candidate> {
        find(&self.candidates, n, |c| c.n)
    }

    pub fn candidate_mut(&mut self, n: u64) -> Option<&mut Candidate> {
        let i = position(&self.candidates, n, |c| c.n)?;
        self.candidates.get_mut(i)
    }

    pub fn payment_rate(&self, n: u64) -> Option<&PaymentRate> {
        find(&self.payment_rates, n, |r| r.n)
    }

    pub fn vat_code(&self, n: u64) -> Option<&VatCode> {
        self.vat_codes.iter().find(|v| v.n == n)
    }

    pub fn timesheet(&self, n: u64) -> Option<&Timesheet> {
        find(&self.timesheets, n, |t| t.n)
    }

    /// Add a payslip, or replace the one with the same number.
    pub fn put_payslip(&mut self, payslip: Payslip) {
        match self.payslips.binary_search_by_key(&payslip.n, |p| p.n) {
            Ok(i) => {
                if let Some(slot) = self.payslips.get_mut(i) {
                    *slot = payslip;
                }
            }
            Err(i) => self.payslips.insert(i, payslip),
        }
        self.payslip_version += 1;
    }

    pub fn timesheet_mut(&mut self, n: u64) -> Option<&mut Timesheet> {
        let i = position(&self.timesheets, n, |t| t.n)?;
        self.timesheets.get_mut(i)
    }
}

/// Records are stored sorted by number, so lookups are binary searches.
fn position<T>(items: &[T], n: u64, key: impl Fn(&T) -> u64) -> Option<usize> {
    items.binary_search_by_key(&n, key).ok()
}

fn find<T>(items: &[T], n: u64, key: impl Fn(&T) -> u64) -> Option<&T> {
    position(items, n, key).and_then(|i| items.get(i))
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct Shared {
    pub config: SandboxConfig,
    pub quirks: Quirks,
    pub base_url: String,
    pub data: Mutex<Data>,
    pub tokens: Mutex<Tokens>,
    pub faults: Mutex<Faults>,
    pub bucket: Option<Mutex<Bucket>>,
    pub counters: Counters,
}

impl Shared {
    /// Seeded state for `config`, serving at `base_url`.
    pub fn new(config: SandboxConfig, base_url: String) -> Self {
        let data = super::seed::initial_data(config.seed_payslips);
        Shared {
            quirks: config.quirks.clone(),
            faults: Mutex::new(config.faults.clone()),
            bucket: config.rate_limit.map(|n| Mutex::new(Bucket::new(n))),
            tokens: Mutex::new(Tokens::new()),
            data: Mutex::new(data),
            counters: Counters::default(),
            config,
            base_url,
        }
    }

    /// The data lock. A panic while holding it cannot leave half-written records behind (every
    /// handler validates first, then writes), so a poisoned lock is simply taken over.
    pub fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The OAuth lock (same poisoning rule as [`Shared::data`]).
    pub fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fault probabilities now in force.
    pub fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replace the fault probabilities.
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// Back to the seeded state: records and counters; tokens and faults are kept.
    pub fn reset(&self) {
        let fresh = super::seed::initial_data(self.config.seed_payslips);
        *self.data() = fresh;
        self.counters.reset();
        if let Some(bucket) = &self.bucket {
            *bucket.lock().unwrap_or_else(|e| e.into_inner()) =
                Bucket::new(self.config.rate_limit.unwrap_or(1));
        }
    }

    /// Add `n` timesheets for the worker `SEED-WORKER` straight into the data (see
    /// [`SandboxHandle::seed_timesheets`](crate::SandboxHandle::seed_timesheets)).
    pub fn seed_timesheets(&self, n: usize, tax_year: i32) -> String {
        super::timesheets::seed(&mut self.data(), n, i64::from(tax_year))
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let data = self.data();
        let ie = data.candidates.iter().filter(|c| c.ireland).count() as u64;
        Stats {
            candidates: data.candidates.len() as u64 - ie,
            candidates_ie: ie,
            payment_rates: data.payment_rates.len() as u64,
            vat_codes: data.vat_codes.len() as u64,
            timesheets: data.timesheets.len() as u64,
            payslips: data.payslips.len() as u64,
            duplicate_candidates: data.duplicate_candidates,
            duplicate_timesheets: data.duplicate_timesheets,
            requests: load(&self.counters.requests),
            rate_limited: load(&self.counters.rate_limited),
            faults_injected: load(&self.counters.faults_injected),
            dropped_after_commit: load(&self.counters.dropped_after_commit),
            unauthorized: load(&self.counters.unauthorized),
            reads: load(&self.counters.reads),
            writes: load(&self.counters.writes),
        }
    }
}
