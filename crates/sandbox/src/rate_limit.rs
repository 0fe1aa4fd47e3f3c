//! Token bucket of N requests per second with a burst of N, over every `/nxsys` request.
//! With the `rate-limit-headers` quirk each answer also states it ([`Bucket::headers`]).

use std::time::Instant;

/// A token bucket; `take` either spends one token or says how long until one is free.
#[derive(Debug)]
pub struct Bucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket of `per_second` tokens refilling at `per_second` per second.
    pub fn new(per_second: u32) -> Self {
        let rate = f64::from(per_second.max(1));
        Bucket {
            rate,
            tokens: rate,
            last: Instant::now(),
        }
    }

    /// Spend a token now, or return the whole seconds (≥ 1) to wait for the next one.
    pub fn take(&mut self) -> Result<(), u64> {
        self.take_at(Instant::now())
    }

    fn take_at(&mut self, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / self.rate;
            Err((wait.ceil() as u64).max(1))
        }
    }

    /// The IETF draft's headers after the last `take`: `RateLimit-Limit` (N),
    /// `RateLimit-Remaining` (whole tokens left), `RateLimit-Reset` (whole seconds until the
    /// bucket is full again) and `RateLimit-Policy` (`N;w=1`).
    pub fn headers(&self) -> [(&'static str, String); 4] {
        let limit = self.rate as u64;
        let reset = ((self.rate - self.tokens) / self.rate).max(0.0).ceil() as u64;
        [
            ("ratelimit-limit", limit.to_string()),
            (
                "ratelimit-remaining",
                (self.tokens.max(0.0).floor() as u64).to_string(),
            ),
            ("ratelimit-reset", reset.to_string()),
            ("ratelimit-policy", format!("{limit};w=1")),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill() {
        let start = Instant::now();
        let mut b = Bucket::new(3);
        b.last = start;
        for _ in 0..3 {
            assert!(b.take_at(start).is_ok());
        }
        assert_eq!(b.take_at(start), Err(1));
        // A third of a second later one token has come back, and only one.
        let later = start + Duration::from_millis(340);
        assert!(b.take_at(later).is_ok());
        assert!(b.take_at(later).is_err());
        // After a long pause the bucket holds at most the burst.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(b.take_at(much_later).is_ok());
        }
        assert!(b.take_at(much_later).is_err());
    }

    #[test]
    fn headers_state_the_limit_what_is_left_and_when_it_is_full() {
        let start = Instant::now();
        let mut b = Bucket::new(4);
        b.last = start;
        assert!(b.take_at(start).is_ok());
        let h = b.headers();
        assert_eq!(h[0], ("ratelimit-limit", "4".to_string()));
        assert_eq!(h[1], ("ratelimit-remaining", "3".to_string()));
        assert_eq!(h[2], ("ratelimit-reset", "1".to_string()));
        assert_eq!(h[3], ("ratelimit-policy", "4;w=1".to_string()));
        for _ in 0..3 {
            assert!(b.take_at(start).is_ok());
        }
        assert_eq!(b.headers()[1].1, "0");
    }
}
