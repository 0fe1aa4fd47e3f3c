//! Enum values and their friendly aliases, read from `templates/enums.toml` (embedded at build
//! time; a user copy given with `--enums` overrides it) so a wrong guess about the API's value
//! lists is corrected without a rebuild.

use std::collections::BTreeMap;

/// Every enum the tool knows: kind → canonical API values with their aliases.
#[derive(Debug, Clone, Default)]
pub struct Enums {
    kinds: BTreeMap<String, Vec<(String, Vec<String>)>>,
}

impl Enums {
    /// The canonical API value for `raw` (a value or an alias), if any.
    pub fn resolve(&self, kind: &str, raw: &str) -> Option<&str> {
        let wanted = fold(raw);
        self.kinds.get(kind)?.iter().find_map(|(value, aliases)| {
            (fold(value) == wanted || aliases.iter().any(|a| fold(a) == wanted))
                .then_some(value.as_str())
        })
    }

    /// The canonical values of `kind`, in file order (for messages and drop-down lists).
    pub fn values(&self, kind: &str) -> Vec<&str> {
        self.kinds
            .get(kind)
            .map(|vs| vs.iter().map(|(v, _)| v.as_str()).collect())
            .unwrap_or_default()
    }
}

/// Case, space and punctuation do not matter when matching values: "2-Weekly" = "2 weekly".
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}
