//! The one rate limiter every request of a [`Client`](super::Client) passes through, with an
//! adaptive rate: repeated 429s step the rate down (×0.8), a run of successes climbs it back by
//! one request per second, never above the configured ceiling. A 429 with `Retry-After` also
//! holds every request until that moment, so a storm is not made worse.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// How many 429s, since the last change, make the rate step down.
const THROTTLES_BEFORE_DECREASE: u32 = 2;
/// A decrease is not repeated sooner than this: answers to requests sent at the old rate arrive late.
const DECREASE_COOLDOWN: Duration = Duration::from_millis(500);

/// The shared, adaptive limiter.
pub(crate) struct AdaptiveLimiter {
    ceiling: u32,
    state: Mutex<State>,
}

struct State {
    rate: u32,
    limiter: Arc<DefaultDirectRateLimiter>,
    throttles: u32,
    successes: u32,
    last_decrease: Option<Instant>,
    hold_until: Option<Instant>,
}

fn limiter_for(rate: u32) -> Arc<DefaultDirectRateLimiter> {
    let per_second = NonZeroU32::new(rate.max(1)).unwrap_or(NonZeroU32::MIN);
    // A burst of a tenth of a second's worth lets slots a late timer wake-up missed be caught
    // up (with a burst of 1 the achieved rate stayed near 87 % of the limit, see
    // examples/bench_import.rs) while staying far below a server bucket of one second.
    let burst = NonZeroU32::new((rate / 10).max(1)).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(
        Quota::per_second(per_second).allow_burst(burst),
    ))
}

impl AdaptiveLimiter {
    /// A limiter starting at, and never above, `rate` requests per second (at least 1).
    pub(crate) fn new(rate: u32) -> Self {
        let rate = rate.max(1);
        AdaptiveLimiter {
            ceiling: rate,
            state: Mutex::new(State {
                rate,
                limiter: limiter_for(rate),
                throttles: 0,
                successes: 0,
                last_decrease: None,
                hold_until: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The effective rate now, in requests per second.
    pub(crate) fn rate(&self) -> u32 {
        self.lock().rate
    }

    /// Wait for a slot: first for any hold a `Retry-After` asked for, then for the rate.
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
            // The rate may have changed while we waited; the slot we got is good enough.
            return;
        }
    }

    /// Record a 429. `retry_after` holds every request until then.
    pub(crate) fn on_throttle(&self, retry_after: Option<Duration>) {
        let mut st = self.lock();
        let now = Instant::now();
        if let Some(wait) = retry_after {
            let until = now + wait;
            st.hold_until = Some(st.hold_until.map_or(until, |h| h.max(until)));
        }
        st.successes = 0;
        st.throttles += 1;
        let cooled = st
            .last_decrease
            .is_none_or(|t| now.duration_since(t) >= DECREASE_COOLDOWN);
        if st.throttles >= THROTTLES_BEFORE_DECREASE && cooled && st.rate > 1 {
            let lower = ((st.rate as f64) * 0.8).floor() as u32;
            st.rate = lower.clamp(1, st.rate - 1);
            st.limiter = limiter_for(st.rate);
            st.throttles = 0;
            st.last_decrease = Some(now);
            tracing::info!(rate = st.rate, "rate limited by the server: slowing down");
        }
    }

    /// Record an answer that was not a 429: after about a second's worth of them, climb back.
    pub(crate) fn on_success(&self) {
        let mut st = self.lock();
        if st.rate >= self.ceiling {
            st.throttles = 0;
            return;
        }
        st.successes += 1;
        if st.successes >= st.rate.max(5) {
            st.rate += 1;
            st.limiter = limiter_for(st.rate);
            st.successes = 0;
            st.throttles = 0;
            tracing::debug!(rate = st.rate, "speeding up again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_429_does_not_slow_down_but_repeated_ones_do() {
        let l = AdaptiveLimiter::new(10);
        l.on_throttle(None);
        assert_eq!(l.rate(), 10);
        l.on_throttle(None);
        assert_eq!(l.rate(), 8);
    }

    #[test]
    fn rate_never_drops_below_one_and_climbs_back_to_ceiling_only() {
        let l = AdaptiveLimiter::new(2);
        for _ in 0..4 {
            l.on_throttle(None);
            l.lock().last_decrease = None; // skip the cool-down in this test
        }
        assert_eq!(l.rate(), 1);
        for _ in 0..100 {
            l.on_success();
        }
        assert_eq!(l.rate(), 2, "climbs back, but not above the ceiling");
    }

    #[test]
    fn decrease_waits_for_cooldown() {
        let l = AdaptiveLimiter::new(100);
        l.on_throttle(None);
        l.on_throttle(None);
        assert_eq!(l.rate(), 80);
        l.on_throttle(None);
        l.on_throttle(None);
        assert_eq!(
            l.rate(),
            80,
            "a second decrease inside the cool-down is ignored"
        );
    }

    #[test]
    fn retry_after_sets_a_hold() {
        let l = AdaptiveLimiter::new(5);
        l.on_throttle(Some(Duration::from_secs(3)));
        let hold = l.lock().hold_until.expect("hold set");
        assert!(hold > Instant::now() + Duration::from_secs(2));
    }
}
