//! Token bucket of N requests per second with a burst of N, over every `/nxsys` request.

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
}
