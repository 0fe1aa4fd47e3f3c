//! Each list's first page: where the answer keeps its items and its total, and what a page
//! beyond the documented largest size and a refused request are answered.

use crate::api::paging::as_count;
use serde_json::Value;

use super::Check;
use super::probe::Answer;

/// One list endpoint's first page.
pub(super) struct Listing {
    pub(super) endpoint: &'static str,
    pub(super) items: Vec<Value>,
    /// The total the server reported, else the items on the page.
    pub(super) count: u64,
}

/// Where a list answer keeps its items and its total.
pub(super) fn envelope(value: &Value) -> Option<(&'static str, &[Value], Vec<&'static str>)> {
    let items: (&'static str, &[Value]) = match value {
        Value::Array(a) => ("a bare array", a),
        Value::Object(o) => match (o.get("data"), o.get("items")) {
            (Some(Value::Array(a)), _) => ("`data`", a),
            (_, Some(Value::Array(a))) => ("`items`", a),
            (Some(Value::Object(inner)), _) => match (inner.get("items"), inner.get("data")) {
                (Some(Value::Array(a)), _) => ("`data.items`", a),
                (_, Some(Value::Array(a))) => ("`data.data`", a),
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    let totals = [
        ("/meta/totalDocs", "meta.totalDocs"),
        ("/totalDocs", "totalDocs"),
        ("/total", "total"),
        ("/meta/total", "meta.total"),
        ("/data/totalDocs", "data.totalDocs"),
    ]
    .iter()
    .filter(|(p, _)| value.pointer(p).is_some_and(|v| as_count(v).is_some()))
    .map(|(_, name)| *name)
    .collect();
    Some((items.0, items.1, totals))
}

pub(super) use crate::api::paging::total_of;

pub(super) fn list_check(endpoint: &'static str, answer: &Answer) -> (Check, Option<Listing>) {
    let name = format!("list {endpoint}");
    if !answer.ok() {
        let what = if answer.refused() {
            format!(
                "{} for page=1&size=100 (the documented largest page)",
                answer.error_words()
            )
        } else {
            answer.error_words()
        };
        return (
            Check::new(
                name,
                what,
                "cannot read this list; the import or export that needs it stops",
            )
            .failed(),
            None,
        );
    }
    let Some(value) = answer.json() else {
        return (
            Check::new(name, "the answer is not JSON", "cannot read this list").failed(),
            None,
        );
    };
    let Some((key, items, totals)) = envelope(&value) else {
        return (
            Check::new(
                name,
                "no list under `data` or `items`",
                "cannot read this list",
            )
            .failed(),
            None,
        );
    };
    let count = total_of(&value).unwrap_or(items.len() as u64);
    let total_words = if totals.is_empty() {
        "no total".to_string()
    } else {
        format!("total at {}", totals.join(" and "))
    };
    let action = if totals.is_empty() {
        "reads page by page until a short page"
    } else {
        "reads the list under either key and the total wherever it is"
    };
    let check = Check::new(
        name,
        format!(
            "list under {key}, {total_words}; {} item(s) on the first page, {count} in all",
            items.len()
        ),
        action,
    );
    (
        check,
        Some(Listing {
            endpoint,
            items: items.to_vec(),
            count,
        }),
    )
}

pub(super) fn page_size_check(answer: &Answer) -> (Check, Option<bool>) {
    let name = "page size";
    if answer.envelope_500() {
        return (
            Check::new(
                name,
                format!(
                    "size=100 accepted; size=101 answered {} — a validation error sent as HTTP 500",
                    answer.error_words()
                ),
                "asks 100 per page",
            ),
            Some(true),
        );
    }
    if answer.refused() {
        return (
            Check::new(
                name,
                format!(
                    "size=100 accepted; size=101 refused ({})",
                    answer.error_words()
                ),
                "asks 100 per page",
            ),
            Some(false),
        );
    }
    if answer.ok() {
        let n = answer
            .json()
            .as_ref()
            .and_then(envelope)
            .map(|(_, items, _)| items.len());
        let detail = match n {
            Some(n) if n > 100 => format!("size=101 accepted ({n} items on a page)"),
            Some(n) => format!("size=101 accepted and capped ({n} item(s) on the page)"),
            None => "size=101 accepted".into(),
        };
        return (
            Check::new(
                name,
                detail,
                "asks 100 per page; counts pages by what comes back",
            ),
            None,
        );
    }
    (
        Check::new(
            name,
            format!("size=101 answered {}", answer.error_words()),
            "asks 100 per page",
        ),
        None,
    )
}

pub(super) fn validation_check(validation_500: Option<bool>) -> Check {
    let name = "validation errors";
    match validation_500 {
        Some(true) => Check::new(
            name,
            "a request the server refuses is answered HTTP 500 with the error envelope",
            "reads a 500 carrying the error envelope as a refusal of the record, not as a \
             server fault to retry (a write is still looked up before it is sent again)",
        ),
        Some(false) => Check::new(
            name,
            "answered HTTP 400/422 with the error envelope, as documented",
            "nothing to do",
        ),
        None => Check::new(
            name,
            "could not run: no read here is refused by this server",
            "learns on the first refused write",
        )
        .not_run(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::answer;
    use serde_json::json;

    #[test]
    fn envelopes_and_totals_are_named() {
        let page = json!({"items": [1, 2], "meta": {"totalDocs": 2}, "totalDocs": 2});
        let (key, items, totals) = envelope(&page).unwrap();
        assert_eq!((key, items.len()), ("`items`", 2));
        assert_eq!(totals, ["meta.totalDocs", "totalDocs"]);
        let page = json!({"data": []});
        let (key, _, totals) = envelope(&page).unwrap();
        assert_eq!(key, "`data`");
        assert!(totals.is_empty());
        assert!(envelope(&json!({"rows": []})).is_none());
    }

    #[test]
    fn page_size_beyond_the_limit_tells_validation_500() {
        let (_, v) = page_size_check(&answer(
            400,
            json!({"error": {"code": "invalid_parameter", "details": {"field": "size"}}}),
        ));
        assert_eq!(v, Some(false));
        let (c, v) = page_size_check(&answer(
            500,
            json!({"error": {"code": "invalid_parameter", "details": {"field": "size"}}}),
        ));
        assert_eq!(v, Some(true));
        assert!(c.ok);
        let (_, v) = page_size_check(&answer(200, json!({"items": []})));
        assert_eq!(v, None);
    }
}
