//! When to try a request again, and how long to wait first.

use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Backoff settings: exponential with full jitter, capped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The wait before retry number `attempt` (1 = first retry): uniform in
    /// `0..=min(cap, base·2^(attempt-1))` ("full jitter").
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exp.min(self.cap);
        let millis = ceiling.as_millis().min(u64::MAX as u128) as u64;
        Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
    }
}

/// The longest `Retry-After` the client honours; longer asks are cut to this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Read `Retry-After`: seconds (possibly fractional), or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = if let Ok(secs) = raw.parse::<f64>() {
        (secs.is_finite() && secs >= 0.0).then(|| capped_seconds(secs))?
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
        let delta = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
        delta.to_std().unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// `secs` (finite, not negative) as a wait of at most [`MAX_RETRY_AFTER`]; a number too large
/// for a `Duration` (`Retry-After: 1e300`) is the longest wait, not a panic.
fn capped_seconds(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs)
        .unwrap_or(MAX_RETRY_AFTER)
        .min(MAX_RETRY_AFTER)
}

/// What an answer's headers say of the server's rate limit: the IETF draft's `RateLimit-Limit`,
/// `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy` (or its later single
/// `RateLimit: …;r=…;t=…` form), or the common `X-RateLimit-*`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RateLimitHeaders {
    /// Requests per second allowed: the limit over its window (`w=` of a policy, else 1 s).
    pub per_second: Option<f64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// Until the window resets (delta seconds, or a Unix time as some servers send).
    pub reset: Option<Duration>,
}

/// The first whole number of a header value (`10`, `10, 10;w=1`, `"default";q=10`…).
fn leading_number(value: &str) -> Option<f64> {
    let first = value.split([',', ';']).next()?.trim();
    first
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

/// The value of parameter `key` in a structured header value (`"default";q=100;w=60`).
fn param(value: &str, key: &str) -> Option<f64> {
    value
        .split([',', ';'])
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.trim().trim_matches('"').parse::<f64>().ok())
        .filter(|n| n.is_finite() && *n >= 0.0)
}

/// Read the rate-limit headers of an answer; `None` if it has none.
pub(crate) fn rate_limit_headers(headers: &HeaderMap) -> Option<RateLimitHeaders> {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| headers.get(*n).and_then(|v| v.to_str().ok()))
    };
    let limit_value = get(&["ratelimit-limit", "x-ratelimit-limit"]);
    let policy = get(&["ratelimit-policy", "x-ratelimit-policy"]);
    let combined = get(&["ratelimit"]);
    let limit = limit_value
        .and_then(leading_number)
        .or_else(|| policy.and_then(|p| param(p, "q")));
    // The window: a policy's `w=`, or one given in the limit's own value (`10, 10;w=1`).
    let window = policy
        .and_then(|p| param(p, "w"))
        .or_else(|| limit_value.and_then(|v| param(v, "w")))
        .filter(|w| *w > 0.0)
        .unwrap_or(1.0);
    let remaining = get(&["ratelimit-remaining", "x-ratelimit-remaining"])
        .and_then(leading_number)
        .or_else(|| combined.and_then(|c| param(c, "r")))
        .map(|n| n as u64);
    let reset = get(&["ratelimit-reset", "x-ratelimit-reset"])
        .and_then(leading_number)
        .or_else(|| combined.and_then(|c| param(c, "t")))
        .map(|secs| {
            // A value this large is a Unix time (as GitHub's `X-RateLimit-Reset`).
            let secs = if secs > 1_000_000_000.0 {
                (secs - chrono::Utc::now().timestamp() as f64).max(0.0)
            } else {
                secs
            };
            capped_seconds(secs)
        });
    let said = RateLimitHeaders {
        per_second: limit.filter(|l| *l > 0.0).map(|l| l / window),
        remaining,
        reset,
    };
    (said != RateLimitHeaders::default()).then_some(said)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_stays_within_exponential_ceiling() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1000),
        };
        for _ in 0..200 {
            assert!(b.delay(1) <= Duration::from_millis(100));
            assert!(b.delay(3) <= Duration::from_millis(400));
            assert!(b.delay(30) <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn retry_after_seconds_date_and_garbage() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("0.5"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("99999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            retry_after(&h),
            Some(Duration::ZERO),
            "a past date means now"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn absurd_waits_are_capped_not_a_panic() {
        let h = headers(&[("retry-after", "1e300")]);
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        let said = rate_limit_headers(&headers(&[
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "1e300"),
        ]))
        .unwrap();
        assert_eq!(said.reset, Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn rate_limit_headers_in_their_common_forms() {
        assert_eq!(rate_limit_headers(&headers(&[("retry-after", "1")])), None);
        // The IETF draft's separate fields.
        let said = rate_limit_headers(&headers(&[
            ("ratelimit-limit", "50"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "2"),
        ]))
        .unwrap();
        assert_eq!(said.per_second, Some(50.0));
        assert_eq!(said.remaining, Some(0));
        assert_eq!(said.reset, Some(Duration::from_secs(2)));
        // A window: per minute is per second / 60.
        let said = rate_limit_headers(&headers(&[
            ("ratelimit-limit", "600"),
            ("ratelimit-policy", "600;w=60"),
        ]))
        .unwrap();
        assert_eq!(said.per_second, Some(10.0));
        let said = rate_limit_headers(&headers(&[("ratelimit-limit", "100, 100;w=10")])).unwrap();
        assert_eq!(said.per_second, Some(10.0));
        // The later draft: one `RateLimit` field and a structured policy.
        let said = rate_limit_headers(&headers(&[
            ("ratelimit", "\"default\";r=3;t=7"),
            ("ratelimit-policy", "\"default\";q=120;w=60"),
        ]))
        .unwrap();
        assert_eq!(
            (said.per_second, said.remaining, said.reset),
            (Some(2.0), Some(3), Some(Duration::from_secs(7)))
        );
        // The common X- forms; a reset given as a Unix time becomes a delay, cut to the cap.
        let said = rate_limit_headers(&headers(&[
            ("x-ratelimit-limit", "20"),
            ("x-ratelimit-remaining", "5"),
            ("x-ratelimit-reset", "4102444800"),
        ]))
        .unwrap();
        assert_eq!(said.per_second, Some(20.0));
        assert_eq!(said.remaining, Some(5));
        assert_eq!(said.reset, Some(MAX_RETRY_AFTER));
        // Garbage is ignored.
        assert_eq!(
            rate_limit_headers(&headers(&[("x-ratelimit-limit", "lots")])),
            None
        );
    }
}
