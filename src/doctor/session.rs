//! What the requests themselves showed (token lifetime, rate-limit headers, clock skew), and
//! the questions only a write can answer.

use std::time::Duration;

use super::{Check, SKEW_WARN_SECS};

pub(super) fn token_check(lifetime: Option<Duration>) -> Check {
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

pub(super) fn rate_limit_check(headers: &[(String, String)]) -> Check {
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

pub(super) fn skew_check(skew: Option<i64>) -> Check {
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

pub(super) fn write_only_checks() -> Vec<Check> {
    let learnt = "not observable without writing: learnt on the first import";
    [
        (
            "numbers in bodies",
            "sends decimal strings (as the create example); after a refusal naming an amount, \
             sends numbers and remembers it",
        ),
        (
            "PUT semantics",
            "always sends the whole record (the server's copy with the sheet's changes on top), \
             so a replacing PUT clears nothing",
        ),
        (
            "PPS field",
            "after a refusal naming it, sends Irish bodies without generalSetting.PPSNumber and \
             remembers it",
        ),
        (
            "default pay codes",
            "a refused update of PR100/PR101 leaves the code unchanged with a warning; \
             timesheets go on",
        ),
    ]
    .into_iter()
    .map(|(name, action)| Check::new(name, learnt, action).not_run())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_only_checks_say_they_did_not_run() {
        for c in write_only_checks() {
            assert!(c.ok && !c.ran, "{}", c.name);
            assert!(c.detail.contains("not observable without writing"));
        }
    }
}
