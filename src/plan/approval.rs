//! Change classes and approval: what an update changes (identity, bank, pay or other) and
//! whether it may go.
//!
//! A planned update whose changes include an *identity*, *bank* or *pay* change is held unless
//! something accepts each such change: `--accept CLASS` for every record of the run, or a row of
//! an approval file (the report's Changes sheet with its Approve column filled in) for that very
//! change — same record, field, old value and new value, so an approval never lets through a
//! change other than the one the approver saw.

use std::collections::{BTreeSet, HashMap};

use super::canonical::sha256_hex;
use crate::model::{Change, ChangeClass, Entity};
use serde::{Deserialize, Serialize};

/// The class of a change to `field` (a dotted JSON path) of a record of `entity`.
pub fn classify(entity: Entity, field: &str) -> ChangeClass {
    match entity {
        Entity::Candidates | Entity::CandidatesIe => {
            let leaf = field.rsplit('.').next().unwrap_or(field);
            if field.starts_with("bankSetting.") {
                ChangeClass::Bank
            } else if field.starts_with("generalSetting.")
                && matches!(
                    leaf,
                    "forename" | "surname" | "DOB" | "NINumber" | "PPSNumber"
                )
            {
                ChangeClass::Identity
            } else {
                ChangeClass::Other
            }
        }
        // What a pay code pays and how it is taxed; its description, status, payslip display
        // and invoicing do not change anyone's pay.
        Entity::PaymentRates => match field {
            "type"
            | "units"
            | "hoursPerUnit"
            | "includeInCisCalculation"
            | "includeNICalculation"
            | "includeTaxCalculation"
            | "includePensionCalculation"
            | "includeAccrueHolidayPay"
            | "defaultVATCode" => ChangeClass::Pay,
            _ => ChangeClass::Other,
        },
        // A timesheet's update is its lines: units and rates.
        Entity::Timesheets => ChangeClass::Pay,
    }
}

/// Whether a set of changes is the pattern of payroll mandate fraud: who the worker is and
/// where their pay goes, changed together.
pub fn is_fraud_pattern(changes: &[Change]) -> bool {
    let has = |class| changes.iter().any(|c| c.class == class);
    has(ChangeClass::Identity) && has(ChangeClass::Bank)
}

/// The id of one change: a digest of record, field, old and new value. The Changes sheet
/// shows it beside each change, and an approval names it, so an approval holds no personal
/// values (the journal keeps a run's acceptance for its resume) and still cannot let through a
/// change other than the one the approver saw, masked report or not.
pub fn change_id(entity: Entity, key: &str, change: &Change) -> String {
    let text = serde_json::json!([
        entity.name(),
        key.to_uppercase(),
        change.field,
        change.before,
        change.after
    ]);
    sha256_hex(text.to_string().as_bytes())[..20].to_string()
}

/// What lets guarded changes through in a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Acceptance {
    /// Classes accepted for every record (`--accept identity,bank,pay`).
    #[serde(default)]
    pub classes: BTreeSet<ChangeClass>,
    /// The approval file's name, as acceptance notes show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_file: Option<String>,
    /// Approved changes: [`change_id`] → the approval file's row.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub approved: HashMap<String, u32>,
}

impl Acceptance {
    /// Accept these classes for every record.
    pub fn classes(classes: impl IntoIterator<Item = ChangeClass>) -> Acceptance {
        Acceptance {
            classes: classes.into_iter().collect(),
            ..Acceptance::default()
        }
    }

    /// Record that row `row` of approval file `file` approves the change with this id.
    pub fn approve(&mut self, file: &str, row: u32, change_id: &str) {
        self.approvals_file = Some(file.to_string());
        self.approved.insert(change_id.trim().to_string(), row);
    }

    /// Whether nothing is accepted.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty() && self.approved.is_empty()
    }

    /// This acceptance and `other`'s together (a resumed run keeps what its first process
    /// accepted).
    pub fn merge(&mut self, other: Acceptance) {
        self.classes.extend(other.classes);
        if self.approvals_file.is_none() {
            self.approvals_file = other.approvals_file;
        }
        self.approved.extend(other.approved);
    }

    /// Classify `changes` of the record `entity`/`key`, mark what accepts each guarded one, and
    /// say whether the update may go: `Err(why)` when a guarded change is accepted by nothing.
    pub fn review(&self, entity: Entity, key: &str, changes: &mut [Change]) -> Result<(), String> {
        let mut held: Vec<(ChangeClass, &str)> = Vec::new();
        for change in changes.iter_mut() {
            change.class = classify(entity, &change.field);
            change.accepted = None;
            change.id = Some(change_id(entity, key, change));
            if !change.class.is_guarded() {
                continue;
            }
            if self.classes.contains(&change.class) {
                change.accepted = Some(format!("--accept {}", change.class.as_str()));
                continue;
            }
            if let Some(row) = self.approved.get(&change_id(entity, key, change)) {
                let file = self.approvals_file.as_deref().unwrap_or("approval file");
                change.accepted = Some(format!("{file} row {row}"));
            }
        }
        for change in changes.iter() {
            if change.class.is_guarded() && change.accepted.is_none() {
                held.push((change.class, change.field.as_str()));
            }
        }
        if held.is_empty() {
            return Ok(());
        }
        Err(held_message(&held))
    }
}

/// `identity change (generalSetting.surname), bank change (…): nothing was sent. …`.
fn held_message(held: &[(ChangeClass, &str)]) -> String {
    let mut parts = Vec::new();
    let mut classes = Vec::new();
    for class in ChangeClass::GUARDED {
        let fields: Vec<&str> = held
            .iter()
            .filter(|(c, _)| *c == class)
            .map(|(_, f)| *f)
            .collect();
        if !fields.is_empty() {
            parts.push(format!("{} change ({})", class.as_str(), fields.join(", ")));
            classes.push(class.as_str());
        }
    }
    format!(
        "{}: nothing was sent. Check the old and new values in the report's Changes sheet, then \
         run the same import with --accept {}, or write yes in the Approve column of the rows \
         you accept and import with --approvals REPORT.xlsx",
        parts.join(", "),
        classes.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes() -> Vec<Change> {
        vec![
            Change::new("generalSetting.surname", json!("Smith"), json!("Jones")),
            Change::new("bankSetting.sortCode", json!("601613"), json!("401276")),
            Change::new("generalSetting.city", json!("Leeds"), json!("York")),
        ]
    }

    #[test]
    fn fields_fall_into_their_classes() {
        let uk = Entity::Candidates;
        assert_eq!(classify(uk, "generalSetting.DOB"), ChangeClass::Identity);
        assert_eq!(
            classify(uk, "generalSetting.NINumber"),
            ChangeClass::Identity
        );
        assert_eq!(
            classify(Entity::CandidatesIe, "generalSetting.PPSNumber"),
            ChangeClass::Identity
        );
        assert_eq!(classify(uk, "bankSetting.IBANReference"), ChangeClass::Bank);
        assert_eq!(classify(uk, "bankSetting.accountName"), ChangeClass::Bank);
        assert_eq!(
            classify(uk, "generalSetting.address[0]"),
            ChangeClass::Other
        );
        assert_eq!(classify(uk, "generalSetting.email"), ChangeClass::Other);
        let pay = Entity::PaymentRates;
        assert_eq!(classify(pay, "hoursPerUnit"), ChangeClass::Pay);
        assert_eq!(classify(pay, "defaultVATCode"), ChangeClass::Pay);
        assert_eq!(classify(pay, "description"), ChangeClass::Other);
        assert_eq!(classify(Entity::Timesheets, "rates"), ChangeClass::Pay);
    }

    #[test]
    fn guarded_changes_are_held_until_accepted() {
        let mut c = changes();
        let why = Acceptance::default()
            .review(Entity::Candidates, "AG-1", &mut c)
            .unwrap_err();
        assert!(
            why.contains("identity change (generalSetting.surname)"),
            "{why}"
        );
        assert!(why.contains("bank change (bankSetting.sortCode)"), "{why}");
        assert!(why.contains("--accept identity,bank"), "{why}");
        assert!(
            !why.contains("Smith") && !why.contains("601613"),
            "no values: {why}"
        );
        assert!(is_fraud_pattern(&c));

        let mut c = changes();
        let bank_only = Acceptance::classes([ChangeClass::Bank]);
        let why = bank_only
            .review(Entity::Candidates, "AG-1", &mut c)
            .unwrap_err();
        assert!(!why.contains("bank change"), "{why}");
        assert_eq!(c[1].accepted.as_deref(), Some("--accept bank"));
        assert_eq!(c[2].accepted, None, "other changes need nothing");

        let mut c = changes();
        let both = Acceptance::classes([ChangeClass::Bank, ChangeClass::Identity]);
        assert_eq!(both.review(Entity::Candidates, "AG-1", &mut c), Ok(()));
    }

    #[test]
    fn an_approval_covers_only_the_change_it_was_made_for() {
        let mut acceptance = Acceptance::default();
        for (row, c) in changes().iter().enumerate().take(2) {
            let id = change_id(Entity::Candidates, "ag-1", c);
            acceptance.approve("run.xlsx", row as u32 + 2, &id);
        }
        let mut c = changes();
        assert_eq!(
            acceptance.review(Entity::Candidates, "AG-1", &mut c),
            Ok(())
        );
        assert_eq!(c[0].accepted.as_deref(), Some("run.xlsx row 2"));

        // Another record, or another new value, is not approved.
        let mut c = changes();
        assert!(
            acceptance
                .review(Entity::Candidates, "AG-2", &mut c)
                .is_err()
        );
        let mut c = changes();
        c[1].after = json!("401277");
        let why = acceptance
            .review(Entity::Candidates, "AG-1", &mut c)
            .unwrap_err();
        assert!(
            why.contains("bank change") && !why.contains("identity"),
            "{why}"
        );
    }

    #[test]
    fn acceptance_survives_the_journal_and_merges() {
        let mut a = Acceptance::classes([ChangeClass::Pay]);
        let change = Change::new("rates", json!("a"), json!("b"));
        a.approve("f.xlsx", 3, &change_id(Entity::Timesheets, "k", &change));
        let text = serde_json::to_string(&a).unwrap();
        assert!(!text.contains("\"a\""), "digests, not values: {text}");
        let back: Acceptance = serde_json::from_str(&text).unwrap();
        assert_eq!(back, a);
        let mut b = Acceptance::classes([ChangeClass::Bank]);
        b.merge(back);
        assert!(b.classes.contains(&ChangeClass::Pay) && b.classes.contains(&ChangeClass::Bank));
        assert_eq!(b.approved.len(), 1);
    }
}
