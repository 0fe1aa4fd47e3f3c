//! `--split-by worker|period`: which file each payslip goes to, and safe, unique file names.
//! Groups remember the spool offsets of their payslips (8 bytes a payslip), so every file is
//! written in one pass with one workbook open at a time.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use super::summary::{PeriodKey, WorkerId, period_of, worker_of};

/// What to split an export by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitBy {
    Worker,
    Period,
}

/// The group a payslip belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKey {
    Worker(WorkerId),
    Period(PeriodKey),
}

/// One output file's payslips.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// File name without extension.
    pub stem: String,
    pub offsets: Vec<u64>,
}

/// Payslips grouped for a split export.
#[derive(Debug)]
pub struct Groups {
    by: SplitBy,
    groups: BTreeMap<GroupKey, Group>,
}

impl Groups {
    pub fn new(by: SplitBy) -> Self {
        Groups {
            by,
            groups: BTreeMap::new(),
        }
    }

    /// Record that the payslip at `offset` of the spool belongs to its group.
    pub fn add(&mut self, payslip: &Map<String, Value>, offset: u64) {
        let (key, stem) = match self.by {
            SplitBy::Worker => {
                let (id, name) = worker_of(payslip);
                let stem = match (id.is_empty(), name.is_empty()) {
                    (true, _) => "no worker id".to_owned(),
                    (false, true) => id.clone(),
                    (false, false) => format!("{id} {name}"),
                };
                (GroupKey::Worker(WorkerId(id)), stem)
            }
            SplitBy::Period => {
                let key = period_of(payslip);
                (GroupKey::Period(key), period_stem(&key))
            }
        };
        self.groups
            .entry(key)
            .or_insert_with(|| Group {
                stem,
                offsets: Vec::new(),
            })
            .offsets
            .push(offset);
    }

    /// The groups in key order, with file names made safe and unique (case-insensitively, for
    /// Windows and macOS).
    pub fn into_files(self) -> Vec<Group> {
        let mut taken = HashSet::new();
        self.groups
            .into_values()
            .map(|mut group| {
                let base = safe_file_stem(&group.stem);
                let mut stem = base.clone();
                let mut n = 2;
                while !taken.insert(stem.to_lowercase()) {
                    stem = format!("{base} ({n})");
                    n += 1;
                }
                group.stem = stem;
                group
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// "2025-26 P03" for tax year 2025, period 3.
fn period_stem(key: &PeriodKey) -> String {
    let year = match key.0 {
        Some(year) => format!("{year}-{:02}", (year + 1).rem_euclid(100)),
        None => "no tax year".to_owned(),
    };
    match key.1 {
        Some(period) => format!("{year} P{period:02}"),
        None => format!("{year} no period"),
    }
}

/// A file name any common file system accepts: no path separators or reserved characters, no
/// control characters, no trailing dots or spaces, not a reserved Windows device name, at most
/// 100 characters.
pub fn safe_file_stem(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        // Bidi controls (U+202E turns `SR-1 Smith` U+202E `fdp.exe` into what displays as an .exe) and
        // other invisible format characters are dropped.
        .filter(|&c| !crate::writing::is_invisible_format(c))
        .take(100)
        .collect();
    let trimmed = cleaned
        .trim()
        .trim_end_matches(['.', ' '])
        .trim_start_matches('.');
    if trimmed.is_empty() {
        return "unnamed".to_owned();
    }
    let device = trimmed
        .split('.')
        .next()
        .unwrap_or(trimmed)
        .to_ascii_uppercase();
    let reserved = matches!(device.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((device.starts_with("COM") || device.starts_with("LPT"))
            && device.len() == 4
            && device.ends_with(|c: char| c.is_ascii_digit()));
    if reserved {
        format!("_{trimmed}")
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payslip(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn worker_groups_collect_offsets_in_order() {
        let mut groups = Groups::new(SplitBy::Worker);
        groups.add(
            &payslip(json!({"subcontractorId": "SR-2", "subcontractorName": "Bo"})),
            0,
        );
        groups.add(
            &payslip(json!({"subcontractorId": "SR-1", "subcontractorName": "Al"})),
            10,
        );
        groups.add(
            &payslip(json!({"subcontractorId": "SR-2", "subcontractorName": "Bo"})),
            20,
        );
        let files = groups.into_files();
        let summary: Vec<(&str, &[u64])> = files
            .iter()
            .map(|g| (g.stem.as_str(), g.offsets.as_slice()))
            .collect();
        assert_eq!(summary, [("SR-1 Al", &[10][..]), ("SR-2 Bo", &[0, 20][..])]);
    }

    #[test]
    fn period_groups_are_named_by_tax_year_and_period() {
        let mut groups = Groups::new(SplitBy::Period);
        groups.add(&payslip(json!({"taxYear": 2025, "taxPeriod": 12})), 0);
        groups.add(&payslip(json!({"taxYear": 2025, "taxPeriod": 3})), 1);
        groups.add(&payslip(json!({})), 2);
        let stems: Vec<String> = groups.into_files().into_iter().map(|g| g.stem).collect();
        assert_eq!(
            stems,
            ["no tax year no period", "2025-26 P03", "2025-26 P12"]
        );
    }

    #[test]
    fn hostile_names_become_safe_and_unique() {
        assert_eq!(safe_file_stem("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(
            safe_file_stem("SR-1 =HYPERLINK(\"x\")"),
            "SR-1 =HYPERLINK(_x_)"
        );
        assert_eq!(safe_file_stem("con"), "_con");
        assert_eq!(safe_file_stem("COM1.txt"), "_COM1.txt");
        assert_eq!(safe_file_stem(" ... "), "unnamed");
        assert_eq!(safe_file_stem("a\u{0}b\nc"), "a_b_c");
        assert_eq!(safe_file_stem(&"x".repeat(300)).len(), 100);
        // Issue 17: U+202E and other invisible format characters reached file names.
        assert_eq!(
            safe_file_stem("SR-1 Smith\u{202E}fdp.exe\u{200B}\u{FEFF}\u{2066}"),
            "SR-1 Smithfdp.exe"
        );

        let mut groups = Groups::new(SplitBy::Worker);
        groups.add(&payslip(json!({"subcontractorId": "SR/1"})), 0);
        groups.add(&payslip(json!({"subcontractorId": "SR_1"})), 1);
        let stems: Vec<String> = groups.into_files().into_iter().map(|g| g.stem).collect();
        assert_eq!(stems, ["SR_1", "SR_1 (2)"]);
    }
}
