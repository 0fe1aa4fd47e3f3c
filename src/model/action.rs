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

/// One field whose value would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Dotted JSON path, e.g. `generalSetting.address[1]`.
    pub field: String,
    /// The server's value (`null` when it has none).
    pub before: Value,
    /// The sheet's value.
    pub after: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

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
