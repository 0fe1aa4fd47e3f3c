//! What a stage keeps of the server's candidate listing: per worker its id, Agency Ref, NI/PPS
//! number and list digest, indexed by the first two.
//!
//! A listed candidate as a `serde_json::Value` takes about 3 KiB, so 20,000 workers held at once
//! cost 64 MB; each item is boiled down to this as its page arrives. The indexes also spare each
//! record a scan of the whole listing (20,000 workers checked against 20,000 items each).

use std::collections::HashMap;

use serde_json::Value;

use super::candidates::{agency_ref, identifier_of, listed_digest};

/// One worker of a listing, as much as the stages use of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedCandidate {
    pub id: String,
    pub agency_ref: Option<String>,
    /// The NI number (UK) or PPS number (Ireland), normalised.
    pub identifier: Option<String>,
    /// [`listed_digest`] of the item: `None` when it does not say when it last changed.
    pub digest: Option<String>,
}

impl ListedCandidate {
    /// Boil down a list item (list shape: `agencyRef`, `NINumber`/`PPSNumber` at the top, or
    /// the detail shape).
    pub fn of(id: String, item: &Value, ireland: bool) -> ListedCandidate {
        ListedCandidate {
            id,
            agency_ref: agency_ref(item).map(str::to_string),
            identifier: identifier_of(item, ireland),
            digest: listed_digest(item),
        }
    }
}

/// A stage-start listing of one country's workers, looked up by Agency Ref or NI/PPS number.
#[derive(Debug, Default)]
pub struct CandidateList {
    items: Vec<ListedCandidate>,
    by_ref: HashMap<String, Vec<usize>>,
    by_identifier: HashMap<String, Vec<usize>>,
}

impl CandidateList {
    pub fn new(items: Vec<ListedCandidate>) -> CandidateList {
        let mut by_ref: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_identifier: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in items.iter().enumerate() {
            if let Some(agency) = &c.agency_ref {
                by_ref.entry(agency.clone()).or_default().push(i);
            }
            if let Some(identifier) = &c.identifier {
                by_identifier.entry(identifier.clone()).or_default().push(i);
            }
        }
        CandidateList {
            items,
            by_ref,
            by_identifier,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &ListedCandidate> {
        self.items.iter()
    }

    /// The workers listed with this Agency Ref, in list order.
    pub fn with_ref<'a>(&'a self, agency: &str) -> impl Iterator<Item = &'a ListedCandidate> {
        self.at(self.by_ref.get(agency))
    }

    /// The workers listed with this NI/PPS number (normalised), in list order.
    pub fn with_identifier<'a>(
        &'a self,
        identifier: &str,
    ) -> impl Iterator<Item = &'a ListedCandidate> {
        self.at(self.by_identifier.get(identifier))
    }

    /// The workers with this Agency Ref or, when given, this NI/PPS number, in list order and
    /// each once.
    pub fn matching(&self, agency: &str, identifier: Option<&str>) -> Vec<&ListedCandidate> {
        let mut at: Vec<usize> = self.by_ref.get(agency).cloned().unwrap_or_default();
        if let Some(found) = identifier.and_then(|i| self.by_identifier.get(i)) {
            at.extend(found);
        }
        at.sort_unstable();
        at.dedup();
        at.into_iter().map(|i| &self.items[i]).collect()
    }

    fn at<'a>(
        &'a self,
        places: Option<&'a Vec<usize>>,
    ) -> impl Iterator<Item = &'a ListedCandidate> {
        places.into_iter().flatten().map(|&i| &self.items[i])
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(id: &str, agency: &str, ni: &str) -> ListedCandidate {
        ListedCandidate::of(
            id.into(),
            &json!({ "agencyRef": agency, "NINumber": ni, "updatedAt": "2026-11-01" }),
            false,
        )
    }

    #[test]
    fn workers_are_found_by_agency_ref_or_identifier_in_list_order_once() {
        let list = CandidateList::new(vec![
            item("C-1", "A1", "QQ 12 34 56 C"),
            item("C-2", "A2", "QQ123457C"),
            item("C-3", "A1", "QQ123458C"),
            item("C-4", "A4", "QQ123456C"),
        ]);
        let ids = |found: Vec<&ListedCandidate>| -> Vec<String> {
            found.into_iter().map(|c| c.id.clone()).collect()
        };
        assert_eq!(
            ids(list.with_ref("A1").collect()),
            ["C-1", "C-3"],
            "both workers with the ref"
        );
        assert_eq!(
            ids(list.with_identifier("QQ123456C").collect()),
            ["C-1", "C-4"]
        );
        assert_eq!(
            ids(list.matching("A1", Some("QQ123456C"))),
            ["C-1", "C-3", "C-4"]
        );
        assert_eq!(ids(list.matching("A9", None)), Vec::<String>::new());
        assert!(list.iter().all(|c| c.digest.is_some()));
    }

    #[test]
    fn an_item_that_does_not_say_when_it_changed_has_no_digest() {
        let c = ListedCandidate::of("C-1".into(), &json!({ "agencyRef": "A1" }), false);
        assert_eq!(c.digest, None);
        assert_eq!(c.identifier, None);
        assert_eq!(c.agency_ref.as_deref(), Some("A1"));
    }
}
