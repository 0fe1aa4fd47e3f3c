//! Mapping files (TOML): rename a sender's columns to ours and set defaults or constants.
//!
//! ```toml
//! entity = "candidates"          # optional: what every file and sheet holds
//!
//! [columns]                      # your header = our header (or JSON path)
//! "Employee No" = "Agency Ref"
//! "NINO" = "NI Number"
//!
//! [defaults]                     # used when the cell is empty or the column is absent
//! "Pay Frequency" = "Weekly"
//!
//! [constants]                    # always this value, whatever the file says
//! "Country" = "GB"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::columns::{Column, columns};
use super::headers::fold;
use crate::model::Entity;

/// A mapping file that cannot be used (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("{}: cannot read the mapping file: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", file.display())]
    Invalid { file: PathBuf, message: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    entity: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    defaults: BTreeMap<String, String>,
    #[serde(default)]
    constants: BTreeMap<String, String>,
}

/// A parsed mapping file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapping {
    /// The entity every file and sheet holds, when the mapping says.
    pub entity: Option<Entity>,
    /// Folded source header → our header or path.
    renames: Vec<(String, String)>,
    /// Folded target name → value.
    defaults: Vec<(String, String)>,
    constants: Vec<(String, String)>,
}

impl Mapping {
    /// Read and check a mapping file.
    pub fn load(path: &Path) -> Result<Mapping, MappingError> {
        let text = std::fs::read_to_string(path).map_err(|source| MappingError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        Mapping::parse(&text, path)
    }

    /// Parse mapping text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Mapping, MappingError> {
        let invalid = |message: String| MappingError::Invalid {
            file: path.to_path_buf(),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let entity = match raw.entity.as_deref() {
            None => None,
            Some(name) => Some(Entity::from_name(name).ok_or_else(|| {
                invalid(format!(
                    "entity = \"{name}\" is not one of candidates, candidates-ie, payment-rates, \
                     timesheets"
                ))
            })?),
        };
        let check = |section: &str, target: &str| {
            if names_a_column(target) {
                Ok(())
            } else {
                Err(invalid(format!(
                    "[{section}] names '{target}', which is not a column of any template; use a \
                     header from `nxsys-etl template` or a JSON path"
                )))
            }
        };
        for target in raw.columns.values() {
            check("columns", target)?;
        }
        for target in raw.defaults.keys().chain(raw.constants.keys()) {
            check("defaults/constants", target)?;
        }
        Ok(Mapping {
            entity,
            renames: raw
                .columns
                .into_iter()
                .map(|(from, to)| (fold(&from), to))
                .collect(),
            defaults: raw
                .defaults
                .into_iter()
                .map(|(k, v)| (fold(&k), v))
                .collect(),
            constants: raw
                .constants
                .into_iter()
                .map(|(k, v)| (fold(&k), v))
                .collect(),
        })
    }

    /// Our header (or path) for a source header the mapping renames.
    pub fn rename(&self, header: &str) -> Option<&str> {
        let folded = fold(header);
        self.renames
            .iter()
            .find(|(from, _)| *from == folded)
            .map(|(_, to)| to.as_str())
    }

    /// The default value for `column`, used when its cell is empty or the column is absent.
    pub fn default_for(&self, column: &Column) -> Option<&str> {
        lookup(&self.defaults, column)
    }

    /// The constant value for `column`, used whatever the file says.
    pub fn constant_for(&self, column: &Column) -> Option<&str> {
        lookup(&self.constants, column)
    }

    /// The mapping provides a value for `column` when the sheet has none.
    pub fn fills(&self, column: &Column) -> bool {
        self.default_for(column).is_some() || self.constant_for(column).is_some()
    }
}

fn lookup<'a>(entries: &'a [(String, String)], column: &Column) -> Option<&'a str> {
    entries
        .iter()
        .find(|(name, _)| names(column, name))
        .map(|(_, v)| v.as_str())
}

fn names(column: &Column, folded: &str) -> bool {
    fold(column.header) == folded
        || fold(column.path) == folded
        || column.aliases.iter().any(|a| fold(a) == folded)
}

fn names_a_column(target: &str) -> bool {
    let folded = fold(target);
    Entity::ALL
        .iter()
        .any(|&e| columns(e).iter().any(|c| names(c, &folded)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_defaults_and_constants() {
        let text = r#"
            entity = "candidates"
            [columns]
            "Employee No" = "Agency Ref"
            [defaults]
            "Pay Frequency" = "Weekly"
            [constants]
            "country" = "GB"
        "#;
        let m = Mapping::parse(text, Path::new("m.toml")).expect("valid");
        assert_eq!(m.entity, Some(Entity::Candidates));
        assert_eq!(m.rename("employee no."), Some("Agency Ref"));
        let cols = columns(Entity::Candidates);
        let freq = cols
            .iter()
            .find(|c| c.header == "Pay Frequency")
            .expect("col");
        let country = cols.iter().find(|c| c.header == "Country").expect("col");
        assert_eq!(m.default_for(freq), Some("Weekly"));
        assert_eq!(m.constant_for(country), Some("GB"));
        assert!(m.fills(freq));
    }

    #[test]
    fn bad_mappings_name_the_file_and_the_problem() {
        let err = Mapping::parse("[columns]\nX = \"Shoe Size\"\n", Path::new("m.toml"))
            .expect_err("unknown target");
        assert!(err.to_string().contains("m.toml") && err.to_string().contains("Shoe Size"));
        let err = Mapping::parse("entity = \"dogs\"\n", Path::new("m.toml")).expect_err("entity");
        assert!(err.to_string().contains("dogs"));
        let err = Mapping::parse("[columns\n", Path::new("m.toml")).expect_err("syntax");
        assert!(err.to_string().contains("line"), "{err}");
    }
}
