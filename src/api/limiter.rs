//! The one rate limiter every request of a [`Client`](super::Client) passes through. Its rate
//! is learnt from the server's answers, never above the configured ceiling (`--rate`):
//!
//! - **Headers.** A limit the server states (`RateLimit-Limit`, `X-RateLimit-Limit`, the IETF
//!   draft's `RateLimit-Policy`) sets the rate at once; `Remaining: 0` holds every request until
//!   the stated reset.
//! - **A 429** means the server's allowance is spent at that moment. What it accepted before
//!   then measures its limit ([`estimate`]): the highest accepted rate over any stretch ending
//!   at the 429, allowing a second's burst at the stretch's start, or exactly the accepted rate
//!   between two 429s. The rate is set a little below it ([`MARGIN`]), so the first 429s of a
//!   client asking too much are also nearly its last. With too few answers to measure from, the
//!   rate is halved and climbs quickly ([`CLIMB_PERIOD`]) until the next 429 measures.
//! - A measured limit is probed upward slowly ([`PROBE_PERIOD`]), as limits can rise. A 429 for
//!   a request sent before the last slow-down is old news; one sent after it and refused within
//!   a second slows down by a tenth more.
//! - `Retry-After` holds every request until that moment, including those already waiting for
//!   a slot, so a storm is not made worse.
//!
//! What was measured is kept per base URL in the journal ([`AdaptiveLimiter::learnt`],
//! `ServerTraits::rate_limit`) and is where the next run starts ([`AdaptiveLimiter::start_from`]).

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::retry::{MAX_RETRY_AFTER, RateLimitHeaders};

/// The share of a measured limit the client asks for: the gap lets the server's allowance
/// refill a little, so jitter in arrival times does not turn into 429s.
pub(crate) const MARGIN: f64 = 0.97;
/// Two 429s closer than this are one episode: too close to measure the limit from.
const MIN_BASELINE: Duration = Duration::from_secs(1);
/// Accepted answers are remembered this long.
const HISTORY: Duration = Duration::from_secs(30);
/// And at most this many (a stretch of that many answers measures well enough).
const MAX_HISTORY: usize = 4096;
/// A slow-down is not followed by another sooner than this: refusals of requests that were
/// already on their way arrive for a while.
const DECREASE_COOLDOWN: Duration = Duration::from_millis(500);
/// A stretch of answers shorter than this measures nothing.
const MIN_STRETCH: Duration = Duration::from_millis(500);
/// Fewer accepted answers than this since the last 429 measure nothing.
const MIN_PAIR_ANSWERS: u32 = 5;
/// Before the limit is measured: the rate climbs by [`CLIMB_STEP`] after each such clean stretch.
const CLIMB_PERIOD: Duration = Duration::from_secs(1);
const CLIMB_STEP: f64 = 0.04;
/// Once measured: the rate is probed upward by [`PROBE_STEP`] after each such clean stretch.
const PROBE_PERIOD: Duration = Duration::from_secs(5);
const PROBE_STEP: f64 = 0.01;

/// The shared, adaptive limiter.
pub(crate) struct AdaptiveLimiter {
    ceiling: f64,
    state: Mutex<State>,
}

/// Where the limit the client works from comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// Nothing known yet: the client asks for the ceiling.
    Nothing,
    /// A guess after a 429 (half the rate then), to be measured by the next.
    Guess,
    /// Measured from two 429s, read from headers, or learnt by an earlier run.
    Measured,
}

struct State {
    /// The rate asked for now, requests per second.
    rate: f64,
    limiter: Arc<DefaultDirectRateLimiter>,
    /// What the server is thought to allow, requests per second.
    limit: f64,
    known: Known,
    /// The last measurement (not the probes above it): what is kept for the next run.
    measured: Option<f64>,
    /// Whether this run measured the limit itself (then an earlier run's is not taken).
    live: bool,
    /// The limit the headers last stated (applied when it changes).
    header_limit: Option<f64>,
    /// When the last 429 came back: the server's allowance was spent then.
    last_throttle: Option<Instant>,
    /// When accepted answers came back, over the last [`HISTORY`].
    accepted: VecDeque<Instant>,
    /// Requests sent before this moment are refused for a rate no longer asked for.
    last_decrease: Option<Instant>,
    /// Climbing waits a whole clean period after any change or 429.
    last_change: Instant,
    /// Answers since `last_change`.
    clean: u32,
    hold_until: Option<Instant>,
}

fn limiter_for(rate: f64) -> Arc<DefaultDirectRateLimiter> {
    let rate = rate.max(1.0);
    let period = Duration::from_secs_f64(1.0 / rate);
    // A burst of a tenth of a second's worth lets slots a late timer wake-up missed be caught
    // up (with a burst of 1 the achieved rate stayed near 87 % of the limit, see
    // examples/bench_import.rs) while staying far below a server bucket of one second.
    let burst = NonZeroU32::new((rate / 10.0) as u32).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst);
    Arc::new(RateLimiter::direct(quota))
}

impl State {
    /// Ask for `rate` (clamped to 1..=ceiling); rebuild the pacing only for a real change.
    fn set_rate(&mut self, rate: f64, ceiling: f64, now: Instant) {
        let rate = rate.clamp(1.0, ceiling);
        if (rate - self.rate).abs() < 0.05 {
            return;
        }
        if rate < self.rate {
            self.last_decrease = Some(now);
        }
        self.rate = rate;
        self.limiter = limiter_for(rate);
    }

    /// Work from a limit of `limit` requests per second, `known` as it is.
    fn set_limit(&mut self, limit: f64, known: Known, ceiling: f64, now: Instant) {
        self.limit = limit.max(1.0);
        self.known = known;
        if known == Known::Measured {
            self.measured = Some(self.limit);
        }
        let share = if known == Known::Measured {
            MARGIN
        } else {
            1.0
        };
        self.set_rate(self.limit * share, ceiling, now);
        self.last_change = now;
        self.clean = 0;
    }

    fn prune(&mut self, now: Instant) {
        while self
            .accepted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > HISTORY)
        {
            self.accepted.pop_front();
        }
    }
}

/// What the server allows, measured when its allowance is spent (a 429 at `now`) from the
/// accepted answers before: the highest accepted rate over any stretch ending now, with a
/// second's worth of burst the server may have held at the stretch's start — none for the
/// stretch from the previous 429, when the allowance was spent already. Exact when the server
/// holds at most a second's worth and the client asked for more since it was last full; an
/// under-estimate otherwise, which the slow probing upward corrects. `None` with too few
/// answers to tell.
fn estimate(
    accepted: &VecDeque<Instant>,
    last_throttle: Option<Instant>,
    held_until: Option<Instant>,
    now: Instant,
) -> Option<f64> {
    // A stretch that spans a hold says nothing of the server: the client was not asking.
    let start = match (last_throttle, held_until) {
        (Some(t), Some(h)) => Some(t.max(h)),
        (t, h) => t.or(h),
    };
    let after = |a: &Instant| start.is_none_or(|t| *a > t);
    let n = accepted.iter().filter(|a| after(a)).count();
    if n < MIN_PAIR_ANSWERS as usize {
        return None;
    }
    let mut best = 0.0f64;
    for (i, a) in accepted.iter().filter(|a| after(a)).enumerate() {
        let span = now.saturating_duration_since(*a);
        // A shorter stretch is too short to tell a limit from a refusal at random.
        if span >= MIN_STRETCH {
            best = best.max((n - i) as f64 / (1.0 + span.as_secs_f64()));
        }
    }
    // Between two 429s the server accepted exactly what it allows (one answer less, for the
    // one that may straddle the start).
    if let Some(t) = last_throttle {
        let span = now.saturating_duration_since(t);
        // Only if no answer since the last 429 was forgotten.
        let whole = accepted.len() < MAX_HISTORY || accepted.front().is_some_and(|a| *a <= t);
        let unheld = held_until.is_none_or(|h| h <= t);
        if (MIN_BASELINE..=HISTORY).contains(&span) && whole && unheld {
            best = best.max((n - 1) as f64 / span.as_secs_f64());
        }
    }
    (best > 0.0).then(|| best.max(1.0))
}

impl AdaptiveLimiter {
    /// A limiter starting at, and never above, `rate` requests per second (at least 1).
    pub(crate) fn new(rate: u32) -> Self {
        let ceiling = f64::from(rate.max(1));
        let now = Instant::now();
        AdaptiveLimiter {
            ceiling,
            state: Mutex::new(State {
                rate: ceiling,
                limiter: limiter_for(ceiling),
                limit: ceiling,
                known: Known::Nothing,
                measured: None,
                live: false,
                header_limit: None,
                last_throttle: None,
                accepted: VecDeque::new(),
                last_decrease: None,
                last_change: now,
                clean: 0,
                hold_until: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The effective rate now, in requests per second (rounded).
    pub(crate) fn rate(&self) -> u32 {
        self.lock().rate.round() as u32
    }

    /// The server's limit as measured in this run (or taken from an earlier one), in whole
    /// requests per second; `None` if nothing was measured.
    pub(crate) fn learnt(&self) -> Option<u32> {
        self.lock().measured.map(|m| (m.floor() as u32).max(1))
    }

    /// Start from a limit an earlier run measured: ask for a little less (never above the
    /// ceiling), and probe upward slowly from there.
    pub(crate) fn start_from(&self, limit: u32) {
        self.start_from_at(limit, Instant::now());
    }

    fn start_from_at(&self, limit: u32, now: Instant) {
        let mut st = self.lock();
        if limit == 0 || st.live {
            return;
        }
        st.set_limit(f64::from(limit), Known::Measured, self.ceiling, now);
        tracing::debug!(limit, rate = st.rate, "starting from the learnt rate limit");
    }

    /// Wait for a slot: first for any hold the server asked for, then for the rate.
    pub(crate) async fn until_ready(&self) {
        loop {
            let (hold, limiter) = {
                let st = self.lock();
                (st.hold_until, Arc::clone(&st.limiter))
            };
            if let Some(until) = hold.filter(|u| *u > Instant::now()) {
                tokio::time::sleep_until(until.into()).await;
                continue;
            }
            limiter.until_ready().await;
            // A hold asked for while this request waited for its slot holds it too; a new
            // rate does not (the slot it got is good enough).
            let held = self.lock().hold_until.is_some_and(|u| u > Instant::now());
            if !held {
                return;
            }
        }
    }

    /// Record a 429 whose request left at an unknown moment (taken as after any slow-down).
    /// `retry_after` holds every request until then.
    pub(crate) fn on_throttle(&self, retry_after: Option<Duration>) {
        self.on_throttle_at(Instant::now(), None, retry_after);
    }

    /// Record a 429 for a request sent at `sent`.
    pub(crate) fn on_throttle_sent(&self, sent: Instant, retry_after: Option<Duration>) {
        self.on_throttle_at(Instant::now(), Some(sent), retry_after);
    }

    fn on_throttle_at(&self, now: Instant, sent: Option<Instant>, retry_after: Option<Duration>) {
        let mut st = self.lock();
        let held_until = st.hold_until.filter(|h| *h <= now);
        if let Some(wait) = retry_after {
            let until = now + wait;
            st.hold_until = Some(st.hold_until.map_or(until, |h| h.max(until)));
        }
        st.prune(now);
        let since_decrease = st
            .last_decrease
            .map_or(Duration::MAX, |d| now.saturating_duration_since(d));
        let first = st.last_throttle.is_none();
        let estimate = estimate(&st.accepted, st.last_throttle, held_until, now);
        st.last_throttle = Some(now);
        st.clean = 0;
        st.last_change = st.last_change.max(now);
        let fresh = sent.is_none_or(|s| st.last_decrease.is_none_or(|d| s >= d));
        if !fresh || since_decrease < DECREASE_COOLDOWN {
            // Asked at a rate already given up, or just after: old news.
            return;
        }
        let (limit, known) = match estimate {
            // Refused again soon after slowing down to a measurement: still too fast.
            _ if st.known == Known::Measured && since_decrease < MIN_BASELINE => {
                (st.limit.min(st.rate / MARGIN) * 0.9, Known::Measured)
            }
            // One 429 never more than halves the rate: a server that refuses at random
            // (not for its rate) must not drive it down to nothing.
            Some(limit) => (
                limit.min(st.rate / MARGIN).max(st.rate * 0.5),
                Known::Measured,
            ),
            // Too few answers to measure from at the run's first 429: ask for half, then climb.
            None if first => (st.rate * 0.5, Known::Guess),
            // Too few since the last 429 (or its hold): nothing to learn; the hold is enough.
            None => return,
        };
        st.live |= known == Known::Measured;
        st.set_limit(limit, known, self.ceiling, now);
        tracing::info!(
            rate = st.rate.round() as u32,
            measured = known == Known::Measured,
            "rate limited by the server: slowing down"
        );
    }

    /// Record an answer that was not a 429: after a clean stretch, climb.
    pub(crate) fn on_success(&self) {
        self.on_success_at(Instant::now());
    }

    fn on_success_at(&self, now: Instant) {
        let mut st = self.lock();
        st.accepted.push_back(now);
        if st.accepted.len() > MAX_HISTORY {
            st.accepted.pop_front();
        }
        st.prune(now);
        st.clean = st.clean.saturating_add(1);
        if st.rate >= self.ceiling || st.known == Known::Nothing {
            return;
        }
        let (period, step) = match st.known {
            Known::Measured => (PROBE_PERIOD, PROBE_STEP),
            _ => (CLIMB_PERIOD, CLIMB_STEP),
        };
        let busy = f64::from(st.clean) >= st.rate * period.as_secs_f64() * 0.5;
        if now.saturating_duration_since(st.last_change) >= period && busy {
            // Only the pacing climbs; the measurement stays what it was.
            let limit = st.limit + (st.limit * step).max(0.5);
            let share = if st.known == Known::Measured {
                MARGIN
            } else {
                1.0
            };
            st.limit = limit;
            st.set_rate(limit * share, self.ceiling, now);
            st.last_change = now;
            st.clean = 0;
            tracing::debug!(rate = st.rate.round() as u32, "answers clean: speeding up");
        }
    }

    /// Take in what an answer's rate-limit headers say.
    pub(crate) fn on_headers(&self, said: &RateLimitHeaders) {
        self.on_headers_at(Instant::now(), said);
    }

    fn on_headers_at(&self, now: Instant, said: &RateLimitHeaders) {
        let mut st = self.lock();
        if let Some(limit) = said.per_second.filter(|l| *l > 0.0)
            && st.header_limit != Some(limit)
        {
            st.header_limit = Some(limit);
            st.live = true;
            st.set_limit(limit, Known::Measured, self.ceiling, now);
            tracing::debug!(limit, rate = st.rate, "the server states its rate limit");
        }
        if said.remaining == Some(0) {
            let wait = said
                .reset
                .unwrap_or_else(|| Duration::from_secs_f64(1.0 / st.limit.max(1.0)))
                .min(MAX_RETRY_AFTER);
            let until = now + wait;
            st.hold_until = Some(st.hold_until.map_or(until, |h| h.max(until)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    /// `n` accepted answers evenly over `from_ms..to_ms`.
    fn accept(l: &AdaptiveLimiter, start: Instant, from_ms: u64, to_ms: u64, n: u64) {
        for i in 0..n {
            l.on_success_at(at(start, from_ms + (to_ms - from_ms) * i / n));
        }
    }

    #[test]
    fn a_429_measures_the_limit_from_what_was_accepted() {
        let start = Instant::now();
        let l = AdaptiveLimiter::new(100);
        // A server of 50/s with a burst of 50: a client asking 100/s passes for a second.
        accept(&l, start, 0, 1000, 100);
        assert_eq!(l.rate(), 100, "nothing known: the ceiling");
        l.on_throttle_at(at(start, 1000), Some(at(start, 990)), None);
        assert_eq!(
            l.learnt(),
            Some(50),
            "100 accepted in 1 s + a second's burst"
        );
        assert!(
            (48..=49).contains(&l.rate()),
            "a little below: {}",
            l.rate()
        );
        // Answers to requests sent before the slow-down are old news.
        l.on_throttle_at(at(start, 1050), Some(at(start, 999)), None);
        assert_eq!(l.learnt(), Some(50));
        // One sent just after it: the server's allowance is still spent, old news too.
        l.on_throttle_at(at(start, 1100), Some(at(start, 1060)), None);
        assert_eq!(l.learnt(), Some(50));
        // One sent after it and refused later within the second: still too fast.
        l.on_throttle_at(at(start, 1600), Some(at(start, 1560)), None);
        assert_eq!(l.learnt(), Some(45), "x 0.9");
    }

    #[test]
    fn two_429s_apart_measure_the_limit_whatever_came_between() {
        let start = Instant::now();
        let l = AdaptiveLimiter::new(100);
        accept(&l, start, 0, 1000, 100);
        l.on_throttle_at(at(start, 1000), None, None);
        // The server's limit then fell to 40/s: 20 s of it until its allowance ran out again.
        accept(&l, start, 1000, 11_000, 400);
        accept(&l, start, 11_000, 21_000, 400);
        l.on_throttle_at(at(start, 21_000), None, None);
        let learnt = l.learnt().unwrap();
        assert!((39..=40).contains(&learnt), "{learnt}");
    }

    #[test]
    fn too_few_answers_halve_the_rate_then_it_climbs() {
        let start = Instant::now();
        let l = AdaptiveLimiter::new(100);
        accept(&l, start, 0, 100, 3);
        l.on_throttle_at(at(start, 100), None, None);
        assert_eq!((l.rate(), l.learnt()), (50, None), "a guess, not kept");
        accept(&l, start, 100, 10_100, 600);
        assert!(l.rate() > 60, "climbs while clean: {}", l.rate());
    }

    #[test]
    fn a_measured_limit_is_probed_slowly_and_never_above_the_ceiling() {
        let start = Instant::now();
        let l = AdaptiveLimiter::new(60);
        l.start_from_at(50, start);
        assert!((48..=49).contains(&l.rate()), "0.97 x 50: {}", l.rate());
        assert_eq!(l.learnt(), Some(50));
        // Five clean seconds: one small step up.
        accept(&l, start, 0, 5_100, 250);
        assert_eq!(l.rate(), 49, "{}", l.rate());
        accept(&l, start, 5_100, 300_000, 15_000);
        assert_eq!(l.rate(), 60, "at most the ceiling");
        assert_eq!(l.learnt(), Some(50), "probes are not measurements");
        // Idle: no answers, no climbing.
        let l = AdaptiveLimiter::new(100);
        l.start_from_at(20, start);
        let before = l.rate();
        l.on_success_at(at(start, 60_000));
        assert_eq!(
            l.rate(),
            before,
            "one answer in a minute is not a busy client"
        );
        // What this run measured wins over an earlier run's.
        let l = AdaptiveLimiter::new(100);
        accept(&l, start, 0, 1000, 100);
        l.on_throttle_at(at(start, 1000), None, None);
        l.start_from_at(80, at(start, 1001));
        assert_eq!(l.learnt(), Some(50));
    }

    #[test]
    fn rate_never_drops_below_one() {
        let start = Instant::now();
        let l = AdaptiveLimiter::new(2);
        for i in 0..10 {
            l.on_throttle_at(at(start, i * 10), None, None);
        }
        assert_eq!(l.rate(), 1);
    }

    #[test]
    fn retry_after_sets_a_hold() {
        let l = AdaptiveLimiter::new(5);
        l.on_throttle(Some(Duration::from_secs(3)));
        let hold = l.lock().hold_until.expect("hold set");
        assert!(hold > Instant::now() + Duration::from_secs(2));
    }

    #[test]
    fn headers_set_the_limit_and_an_empty_allowance_holds() {
        let start = Instant::now();
        let l = AdaptiveLimiter::new(100);
        l.on_headers_at(
            start,
            &RateLimitHeaders {
                per_second: Some(50.0),
                remaining: Some(10),
                reset: Some(Duration::from_secs(1)),
            },
        );
        assert_eq!((l.rate(), l.learnt()), (49, Some(50)));
        assert!(l.lock().hold_until.is_none());
        l.on_headers_at(
            start,
            &RateLimitHeaders {
                per_second: Some(50.0),
                remaining: Some(0),
                reset: Some(Duration::from_secs(2)),
            },
        );
        assert_eq!(l.lock().hold_until, Some(at(start, 2000)));
        // A stated limit above the ceiling changes nothing above it.
        let l = AdaptiveLimiter::new(10);
        l.on_headers_at(
            start,
            &RateLimitHeaders {
                per_second: Some(5000.0),
                ..RateLimitHeaders::default()
            },
        );
        assert_eq!(l.rate(), 10);
    }
}
