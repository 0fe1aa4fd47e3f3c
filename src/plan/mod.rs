//! Plan stage: resolve spreadsheet keys to API ids, order work by dependency and decide per
//! record: create, update, unchanged or blocked.
//!
//! Everything here is pure: functions over [`Record`](crate::model::Record)s and what the server
//! is known to hold. The submit stage fetches that knowledge (and acts on the decisions), which
//! keeps the decision rules testable without a server.
//!
//! - [`approval`]: what class of thing an update changes, and whether it may go;
//! - [`canonical`]: the normalised payload of a record, its hash and the batch fingerprint;
//! - [`diff`]: which fields the sheet provides that differ from the server's copy;
//! - [`resolve`]: VAT letters → `VC-…`, payment-rate bodies ready to send;
//! - [`timesheet`]: timesheet bodies with resolved ids, and matching against the server's.

pub mod approval;
pub mod canonical;
pub mod diff;
pub mod resolve;
pub mod timesheet;

pub use canonical::{fingerprint, payload_hash};
pub use diff::changed_fields;

use crate::model::{Action, Change};

/// A decision with what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub action: Action,
    /// The server's id of the record when it exists (`SR-…`, `PR-…`, `TS-…`).
    pub existing_id: Option<String>,
    /// For an update: the fields that differ.
    pub changes: Vec<Change>,
    /// For a blocked record: why, in words for the user.
    pub reason: Option<String>,
    /// Held whatever is accepted (e.g. two server records match the sheet's): why.
    pub conflict: Option<String>,
    /// Goes ahead, with something the user should know (e.g. a create beside a similar
    /// server record).
    pub warning: Option<String>,
}

impl Decision {
    pub fn create() -> Self {
        Decision {
            action: Action::Create,
            existing_id: None,
            changes: Vec::new(),
            reason: None,
            conflict: None,
            warning: None,
        }
    }

    pub fn blocked(reason: impl Into<String>) -> Self {
        Decision {
            action: Action::Blocked,
            existing_id: None,
            changes: Vec::new(),
            reason: Some(reason.into()),
            conflict: None,
            warning: None,
        }
    }

    /// Compare the sheet's payload with the server's copy (when there is one). Fields in
    /// `ignore` (dotted paths such as `code`) are never compared.
    pub fn against(
        sheet: &serde_json::Value,
        server: Option<(&str, &serde_json::Value)>,
        ignore: &[&str],
    ) -> Self {
        let Some((id, existing)) = server else {
            return Decision::create();
        };
        let changes = changed_fields(sheet, existing, ignore);
        Decision {
            action: if changes.is_empty() {
                Action::Unchanged
            } else {
                Action::Update
            },
            existing_id: Some(id.to_string()),
            changes,
            reason: None,
            conflict: None,
            warning: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decisions_follow_what_the_server_has() {
        let sheet = json!({"generalSetting": {"agencyRef": "A1", "surname": "Smith"}});
        assert_eq!(Decision::against(&sheet, None, &[]).action, Action::Create);
        let same = json!({"id": "SR-1", "generalSetting": {"agencyRef": "A1", "surname": "Smith", "city": "Leeds"}});
        let d = Decision::against(&sheet, Some(("SR-1", &same)), &[]);
        assert_eq!(d.action, Action::Unchanged);
        assert_eq!(d.existing_id.as_deref(), Some("SR-1"));
        let other = json!({"generalSetting": {"agencyRef": "A1", "surname": "Smyth"}});
        let d = Decision::against(&sheet, Some(("SR-1", &other)), &[]);
        assert_eq!(d.action, Action::Update);
        assert_eq!(d.changes.len(), 1);
        assert_eq!(d.changes[0].field, "generalSetting.surname");
    }
}
