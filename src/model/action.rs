//! What the plan decides for a record ([`Action`]) and, for an update, what changes
//! ([`Change`]). The plan stage makes them, the journal stores them, the report shows them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the plan decided for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Not on the server: send a create.
    Create,
    /// On the server with different values in fields the sheet provides: send an update.
    Update,
    /// On the server exactly as in the sheet: send nothing.
    Unchanged,
    /// Not sent: invalid, unresolved, or depends on a record that failed.
    Blocked,
}

impl Action {
    /// The name the journal stores: `create`, `update`, `unchanged`, `blocked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Blocked => "blocked",
        }
    }

    /// The action [`Action::as_str`] names, if any.
    pub fn parse(text: &str) -> Option<Action> {
        Some(match text {
            "create" => Action::Create,
            "update" => Action::Update,
            "unchanged" => Action::Unchanged,
            "blocked" => Action::Blocked,
            _ => return None,
        })
    }
}

/// What kind of thing an update changes. *Identity*, *bank* and *pay* changes are held for
/// approval unless accepted; *other* changes go through.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ChangeClass {
    /// Forename, surname, date of birth, NI or PPS number: who the worker is.
    Identity,
    /// Where the worker's pay goes: account number, sort code, IBAN, account name, bank.
    Bank,
    /// How much is paid: a timesheet's lines, a pay code's rate-affecting fields.
    Pay,
    /// Anything else (address, phone, email, statuses…).
    #[default]
    Other,
}

impl ChangeClass {
    /// The classes that need approval, in the order messages list them.
    pub const GUARDED: [ChangeClass; 3] =
        [ChangeClass::Identity, ChangeClass::Bank, ChangeClass::Pay];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::Identity => "identity",
            ChangeClass::Bank => "bank",
            ChangeClass::Pay => "pay",
            ChangeClass::Other => "other",
        }
    }

    /// The class [`ChangeClass::as_str`] names (any case), if any.
    pub fn parse(text: &str) -> Option<ChangeClass> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "identity" => ChangeClass::Identity,
            "bank" => ChangeClass::Bank,
            "pay" => ChangeClass::Pay,
            "other" => ChangeClass::Other,
            _ => return None,
        })
    }

    /// Whether a change of this class waits for approval unless accepted.
    pub fn is_guarded(self) -> bool {
        self != ChangeClass::Other
    }
}

/// One field whose value would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Dotted JSON path, e.g. `generalSetting.address[1]`.
    pub field: String,
    /// The server's value (`null` when it has none).
    pub before: Value,
    /// The sheet's value.
    pub after: Value,
    /// What kind of change it is (the plan classifies it).
    #[serde(default)]
    pub class: ChangeClass,
    /// For a guarded change that went (or may go) through: what let it, e.g. `--accept bank`
    /// or `approvals.xlsx row 4`. `None` for other changes and for held ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
    /// The change's id for approvals, worked out from the clear values when the plan reviewed
    /// it (see `plan::approval::change_id`). The journal keeps it because it keeps bank values
    /// only masked and, once a run is pruned, no values at all: a report re-issued from the
    /// journal still names each change as the approver saw it. `None` in older journals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl Change {
    /// A change of class *other*, not yet accepted by anything.
    pub fn new(field: impl Into<String>, before: Value, after: Value) -> Change {
        Change {
            field: field.into(),
            before,
            after,
            class: ChangeClass::Other,
            accepted: None,
            id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_class_names_round_trip() {
        for c in ChangeClass::GUARDED.into_iter().chain([ChangeClass::Other]) {
            assert_eq!(ChangeClass::parse(c.as_str()), Some(c));
        }
        assert_eq!(ChangeClass::parse(" Bank "), Some(ChangeClass::Bank));
        assert_eq!(ChangeClass::parse("banks"), None);
        assert!(!ChangeClass::Other.is_guarded());
    }

    #[test]
    fn action_names_round_trip() {
        for a in [
            Action::Create,
            Action::Update,
            Action::Unchanged,
            Action::Blocked,
        ] {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
    }
}
