//! Whether the server honours, ignores or refuses the filter parameters the client sends, and
//! a parameter no published page shows.

use crate::api::traits::Filters;

use super::lists::{envelope, total_of};
use super::probe::Answer;
use super::{Check, NO_MATCH, NO_WORKER, UNPUBLISHED};

/// The parameters the client filters each list by, with a value no record matches.
pub(super) const FILTER_PROBES: [(&str, &[(&str, &str)]); 5] = [
    ("candidates", &[("agencyRef", NO_MATCH)]),
    ("candidates/ireland", &[("agencyRef", NO_MATCH)]),
    ("payment-rate", &[("code", NO_MATCH)]),
    (
        "time-sheets",
        &[("subcontractorRef", NO_WORKER), ("taxYear", "1900")],
    ),
    ("payslips", &[("candidateIds", NO_WORKER)]),
];

/// What one filter probe showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    Honoured,
    Ignored,
    Rejected,
    /// The collection is empty: nothing to tell honoured from ignored.
    Inconclusive,
    /// Another error.
    Failed(u16),
}

pub(super) fn classify(answer: &Answer, unfiltered: u64) -> Seen {
    if answer.refused() {
        return Seen::Rejected;
    }
    if !answer.ok() {
        return Seen::Failed(answer.status);
    }
    let Some(value) = answer.json() else {
        return Seen::Failed(answer.status);
    };
    let Some((_, items, _)) = envelope(&value) else {
        return Seen::Failed(answer.status);
    };
    let found = total_of(&value).unwrap_or(items.len() as u64);
    if unfiltered == 0 {
        Seen::Inconclusive
    } else if found == 0 {
        Seen::Honoured
    } else {
        Seen::Ignored
    }
}

pub(super) fn filter_check(
    endpoint: &str,
    seen: &[(&str, Seen)],
    unfiltered: u64,
) -> (Filters, Check) {
    let name = format!("filters {endpoint}");
    let words: Vec<String> = seen
        .iter()
        .map(|(param, s)| {
            let what = match s {
                Seen::Honoured => "honoured (a value nothing matches gave an empty list)".into(),
                Seen::Ignored => {
                    format!("ignored (a value nothing matches gave the whole list of {unfiltered})")
                }
                Seen::Rejected => "refused (HTTP 400)".into(),
                Seen::Inconclusive => "not told (the list is empty)".into(),
                Seen::Failed(status) => format!("answered HTTP {status}"),
            };
            format!("`{param}` {what}")
        })
        .collect();
    let detail = words.join("; ");
    let has = |want: Seen| seen.iter().any(|(_, s)| *s == want);
    let failed = seen.iter().any(|(_, s)| matches!(s, Seen::Failed(_)));
    let filters = if has(Seen::Rejected) {
        Filters::Rejected
    } else if has(Seen::Ignored) {
        Filters::Ignored
    } else if !seen.is_empty() && seen.iter().all(|(_, s)| *s == Seen::Honoured) {
        Filters::Honoured
    } else {
        Filters::Unknown
    };
    let action = match filters {
        Filters::Honoured => "uses the filter, and re-checks what comes back",
        Filters::Ignored => {
            "reads the whole list and picks the records itself (slower on a large account; \
             nothing is matched wrongly)"
        }
        Filters::Rejected => {
            "sends no such parameter: reads the whole list and picks the records itself"
        }
        Filters::Unknown => {
            "uses the filter and re-checks what comes back; learns on the first import"
        }
    };
    let mut check = Check::new(name, detail, action);
    if failed {
        check = check.failed();
    }
    if filters == Filters::Unknown && !failed {
        check = check.not_run();
    }
    (filters, check)
}

pub(super) fn unpublished_check(answer: &Answer) -> Check {
    let name = "unpublished parameter";
    if answer.refused() {
        Check::new(
            name,
            format!(
                "payment-rate refused `{UNPUBLISHED}`, a parameter no published page shows ({})",
                answer.error_words()
            ),
            "sends only the parameters this server accepts",
        )
    } else if answer.ok() {
        Check::new(
            name,
            format!("payment-rate accepted `{UNPUBLISHED}`, a parameter no published page shows"),
            "nothing to do",
        )
    } else {
        Check::new(name, answer.error_words(), "-").failed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::answer;
    use serde_json::json;

    #[test]
    fn filter_probes_are_classified_against_the_whole_list() {
        let empty = answer(200, json!({"items": [], "totalDocs": 0}));
        let whole = answer(200, json!({"items": [{}, {}], "totalDocs": 2}));
        let refused = answer(
            400,
            json!({"error": {"code": "invalid_parameter", "details": {"field": "agencyRef"}}}),
        );
        let refused_500 = answer(
            500,
            json!({"error": {"code": "invalid_parameter", "message": "x"}}),
        );
        let crash = answer(500, json!({"message": "Internal server error"}));
        assert_eq!(classify(&empty, 2), Seen::Honoured);
        assert_eq!(classify(&whole, 2), Seen::Ignored);
        assert_eq!(classify(&empty, 0), Seen::Inconclusive);
        assert_eq!(classify(&refused, 2), Seen::Rejected);
        assert_eq!(classify(&refused_500, 2), Seen::Rejected);
        assert_eq!(classify(&crash, 2), Seen::Failed(500));
        let (f, c) = filter_check(
            "time-sheets",
            &[
                ("subcontractorRef", Seen::Honoured),
                ("taxYear", Seen::Ignored),
            ],
            2,
        );
        assert_eq!(f, Filters::Ignored);
        assert!(c.ok && c.ran);
        let (f, c) = filter_check("candidates", &[("agencyRef", Seen::Inconclusive)], 0);
        assert_eq!(f, Filters::Unknown);
        assert!(c.ok && !c.ran);
        let (_, c) = filter_check("candidates", &[("agencyRef", Seen::Failed(404))], 2);
        assert!(!c.ok);
    }
}
