//! Matching a sheet's header row to an entity's columns: case, spaces and punctuation do not
//! matter ("NI No." = "ni_no"), the JSON path is always accepted, a mapping file may rename
//! headers first. Unknown headers are warnings; duplicate or missing required ones are errors.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::columns::{Column, columns};
use super::mapping::Mapping;
use crate::model::Finding;
use crate::model::{CellFinding, Entity};
use crate::source::{RowBuf, column_letter};

/// The header of the error column a fix file adds; ignored when the file is read again.
pub const ERROR_COLUMN: &str = "nxsys-etl errors";

/// Lower-case letters and digits only: how headers (and aliases) are compared.
pub fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Which source column feeds each schema column.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    pub entity: Entity,
    /// For each schema column (index into [`columns`]), the 0-based source column.
    pub source_of: Vec<Option<usize>>,
    /// The headers as the user wrote them, by source column.
    pub written: Vec<String>,
    /// Required columns missing from the sheet (indexes into [`columns`]).
    pub missing_required: Vec<usize>,
}

impl HeaderMap {
    /// The schema columns of the entity.
    pub fn columns(&self) -> &'static [Column] {
        columns(self.entity)
    }

    /// The column letter and written header of schema column `index`, when present.
    pub fn locate(&self, index: usize) -> Option<(String, String)> {
        let source = (*self.source_of.get(index)?)?;
        Some((
            column_letter(source),
            self.written.get(source).cloned().unwrap_or_default(),
        ))
    }

    /// The index of the schema column with this JSON path.
    pub fn index_of(&self, path: &str) -> Option<usize> {
        self.columns().iter().position(|c| c.path == path)
    }
}

/// The schema column a header names (after the mapping's renames), if any.
pub fn match_header(entity: Entity, header: &str, mapping: Option<&Mapping>) -> Option<usize> {
    let renamed = mapping.and_then(|m| m.rename(header)).unwrap_or(header);
    let folded = fold(renamed);
    if folded.is_empty() {
        return None;
    }
    names(entity).get(&folded).copied()
}

/// Every name a column of `entity` answers to (header, JSON path, aliases), folded, with the
/// first column that answers to it: built once, so matching a header is one lookup however
/// wide the sheet is.
fn names(entity: Entity) -> &'static HashMap<String, usize> {
    static NAMES: OnceLock<Vec<(Entity, HashMap<String, usize>)>> = OnceLock::new();
    let all = NAMES.get_or_init(|| {
        Entity::ALL
            .iter()
            .map(|&entity| {
                let mut names = HashMap::new();
                for (index, c) in columns(entity).iter().enumerate() {
                    let spellings = [c.header, c.path]
                        .into_iter()
                        .chain(c.aliases.iter().copied());
                    for name in spellings {
                        names.entry(fold(name)).or_insert(index);
                    }
                }
                (entity, names)
            })
            .collect()
    });
    static NONE: OnceLock<HashMap<String, usize>> = OnceLock::new();
    all.iter()
        .find(|(e, _)| *e == entity)
        .map(|(_, names)| names)
        .unwrap_or_else(|| NONE.get_or_init(HashMap::new))
}

/// How many of a row's cells are headers of `entity` (used to find the header row and entity).
pub fn score(entity: Entity, row: &RowBuf, mapping: Option<&Mapping>) -> usize {
    row.cells()
        .filter(|c| match_header(entity, c.text, mapping).is_some())
        .count()
}

/// Match the header row; findings name the file, sheet, row and column.
pub fn map_headers(
    entity: Entity,
    row: &RowBuf,
    mapping: Option<&Mapping>,
    at: &Location,
) -> (HeaderMap, Vec<CellFinding>) {
    let cols = columns(entity);
    let mut source_of = vec![None; cols.len()];
    let mut findings = Vec::new();
    let written: Vec<String> = row.cells().map(|c| c.text.to_string()).collect();
    for (i, header) in written.iter().enumerate() {
        if header.is_empty() || fold(header) == fold(ERROR_COLUMN) {
            continue;
        }
        let cell = |finding| at.cell(row.row, i, header, finding);
        match match_header(entity, header, mapping) {
            None => findings.push(cell(Finding::warning(
                "header.unknown",
                format!(
                    "column '{header}' is not a {} column and is ignored; rename it (see \
                     `nxsys-etl template {}`) or map it in a mapping file",
                    entity.name(),
                    entity.name()
                ),
            ))),
            Some(index) => match source_of.get(index).copied().flatten() {
                Some(first) => findings.push(cell(Finding::error(
                    "header.duplicate",
                    format!(
                        "column '{header}' means the same as column {} ('{}'): {}; delete or \
                         rename one of them",
                        column_letter(first),
                        written.get(first).map_or("", String::as_str),
                        cols.get(index).map_or("", |c| c.header)
                    ),
                ))),
                None => {
                    if let Some(slot) = source_of.get_mut(index) {
                        *slot = Some(i);
                    }
                }
            },
        }
    }
    let mut missing_required = Vec::new();
    for (index, column) in cols.iter().enumerate() {
        let present = source_of.get(index).copied().flatten().is_some();
        let defaulted = mapping.is_some_and(|m| m.fills(column));
        if column.required && !present && !defaulted {
            missing_required.push(index);
            findings.push(at.sheet(Finding::error(
                "header.missing_required",
                format!(
                    "the required column '{}' is missing from the header row (row {}); add it — \
                     the template shows every column",
                    column.header, row.row
                ),
            )));
        }
    }
    (
        HeaderMap {
            entity,
            source_of,
            written,
            missing_required,
        },
        findings,
    )
}

/// File and sheet, to place findings and to give each row its provenance (shared, so a row's
/// provenance costs no allocation).
#[derive(Debug, Clone)]
pub struct Location {
    pub file: std::sync::Arc<std::path::Path>,
    pub sheet: Option<std::sync::Arc<str>>,
}

impl Location {
    /// The place of a file (and sheet).
    pub fn new(file: &std::path::Path, sheet: Option<&str>) -> Location {
        Location {
            file: file.into(),
            sheet: sheet.map(Into::into),
        }
    }

    /// A finding on one cell.
    pub fn cell(&self, row: u32, column: usize, header: &str, finding: Finding) -> CellFinding {
        CellFinding {
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            row: Some(row),
            column: Some(column_letter(column)),
            header: Some(header.to_string()),
            finding,
        }
    }

    /// A finding on a whole row.
    pub fn row(&self, row: u32, finding: Finding) -> CellFinding {
        CellFinding {
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            row: Some(row),
            column: None,
            header: None,
            finding,
        }
    }

    /// A finding on the whole sheet (or CSV file).
    pub fn sheet(&self, finding: Finding) -> CellFinding {
        CellFinding {
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            row: None,
            column: None,
            header: None,
            finding,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> RowBuf {
        let mut r = RowBuf::default();
        r.row = 1;
        for c in cells {
            r.push_text(c);
        }
        r
    }

    fn at() -> Location {
        Location::new("t.csv".as_ref(), None)
    }

    #[test]
    fn case_space_punctuation_and_paths_match() {
        let e = Entity::Candidates;
        let ni = match_header(e, "NI Number", None);
        assert!(ni.is_some());
        assert_eq!(match_header(e, "ni_number", None), ni);
        assert_eq!(match_header(e, "N.I. No.", None), ni);
        assert_eq!(match_header(e, "generalSetting.NINumber", None), ni);
        assert_eq!(match_header(e, "Shoe size", None), None);
        assert_eq!(match_header(e, "", None), None);
    }

    #[test]
    fn unknown_duplicate_and_missing_headers() {
        let r = row(&["Code", "pay code", "Colour", "Description", "Type"]);
        let (map, findings) = map_headers(Entity::PaymentRates, &r, None, &at());
        let codes: Vec<_> = findings.iter().map(|f| f.finding.code).collect();
        assert_eq!(
            codes,
            [
                "header.duplicate",
                "header.unknown",
                "header.missing_required"
            ]
        );
        assert_eq!(findings[0].column.as_deref(), Some("B"));
        assert!(findings[2].finding.message.contains("'Units'"));
        assert_eq!(map.source_of[0], Some(0));
        assert_eq!(map.missing_required.len(), 1);
    }

    #[test]
    fn the_fix_file_error_column_is_ignored() {
        let r = row(&["Code", ERROR_COLUMN]);
        let (_, findings) = map_headers(Entity::PaymentRates, &r, None, &at());
        assert!(findings.iter().all(|f| f.finding.code != "header.unknown"));
    }
}
