//! Totals per tax period and per worker, added up while the payslips stream past: memory is
//! bounded by the number of distinct periods and workers, never by the number of payslips.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::cell::decimal;

/// What the summary adds up; shown on the Summary sheet so nobody has to guess.
pub const DEDUCTION_FIELDS: &[&str] = &["tax", "employeeNI", "employeePension", "studentLoan"];
/// Employer costs on top of gross pay.
pub const EMPLOYER_COST_FIELDS: &[&str] = &["employerNI", "employerPension", "apprenticeshipLevy"];

/// Money totals of a group of payslips.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub payslips: u64,
    pub gross: Decimal,
    pub deductions: Decimal,
    pub net: Decimal,
    pub employer_costs: Decimal,
}

impl Totals {
    fn add(&mut self, amounts: &Amounts) {
        self.payslips += 1;
        self.gross += amounts.gross;
        self.deductions += amounts.deductions;
        self.net += amounts.net;
        self.employer_costs += amounts.employer_costs;
    }
}

/// A tax year and period; either may be missing from a payslip.
pub type PeriodKey = (Option<i64>, Option<i64>);

/// A worker id, ordered as people count: `SR-2` before `SR-10`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkerId(pub String);

impl Ord for WorkerId {
    fn cmp(&self, other: &Self) -> Ordering {
        natural_cmp(&self.0, &other.0)
    }
}

impl PartialOrd for WorkerId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compare runs of digits as numbers and everything else as text; equal only when the strings
/// are (`SR-01` and `SR-1` differ, the shorter first).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a, b);
    loop {
        let (run_x, rest_x) = split_run(x);
        let (run_y, rest_y) = split_run(y);
        let order = match (run_x, run_y) {
            ("", "") => return a.cmp(b),
            (rx, ry) if is_digits(rx) && is_digits(ry) => {
                let (tx, ty) = (rx.trim_start_matches('0'), ry.trim_start_matches('0'));
                tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
            }
            (rx, ry) => rx.cmp(ry),
        };
        if order != Ordering::Equal {
            return order;
        }
        (x, y) = (rest_x, rest_y);
    }
}

fn is_digits(run: &str) -> bool {
    run.starts_with(|c: char| c.is_ascii_digit())
}

/// The leading run of digits or of non-digits, and the rest.
fn split_run(text: &str) -> (&str, &str) {
    let digits = is_digits(text);
    let end = text
        .find(|c: char| c.is_ascii_digit() != digits)
        .unwrap_or(text.len());
    text.split_at(end)
}

/// Totals of one worker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerTotals {
    /// The name on the first payslip seen for the worker.
    pub name: String,
    pub totals: Totals,
}

/// The running summary of an export.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub all: Totals,
    pub by_period: BTreeMap<PeriodKey, Totals>,
    pub by_worker: BTreeMap<WorkerId, WorkerTotals>,
    /// Money values that could not be read as decimals and so are missing from the totals:
    /// `(payslip id, field, value)`, the first few only; `unreadable` counts them all.
    pub unreadable_examples: Vec<(String, String, String)>,
    pub unreadable: u64,
}

struct Amounts {
    gross: Decimal,
    deductions: Decimal,
    net: Decimal,
    employer_costs: Decimal,
}

const MAX_EXAMPLES: usize = 10;

impl Summary {
    /// Add one payslip.
    pub fn add(&mut self, payslip: &Map<String, Value>) {
        let amounts = Amounts {
            gross: self.money(payslip, "gross"),
            deductions: DEDUCTION_FIELDS
                .iter()
                .map(|f| self.money(payslip, f))
                .sum(),
            net: self.money(payslip, "net"),
            employer_costs: EMPLOYER_COST_FIELDS
                .iter()
                .map(|f| self.money(payslip, f))
                .sum(),
        };
        self.all.add(&amounts);
        self.by_period
            .entry(period_of(payslip))
            .or_default()
            .add(&amounts);
        let (id, name) = worker_of(payslip);
        let worker = self
            .by_worker
            .entry(WorkerId(id))
            .or_insert_with(|| WorkerTotals {
                name,
                totals: Totals::default(),
            });
        worker.totals.add(&amounts);
    }

    /// A money field as a decimal; absent or null counts as zero, anything unreadable is
    /// recorded (and counts as zero) so the workbook can say the totals are incomplete.
    fn money(&mut self, payslip: &Map<String, Value>, field: &str) -> Decimal {
        match payslip.get(field) {
            None | Some(Value::Null) => Decimal::ZERO,
            Some(value) => decimal(value).unwrap_or_else(|| {
                self.unreadable += 1;
                if self.unreadable_examples.len() < MAX_EXAMPLES {
                    let id = text_field(payslip, "id").unwrap_or_else(|| "(no id)".into());
                    self.unreadable_examples
                        .push((id, field.to_owned(), value.to_string()));
                }
                Decimal::ZERO
            }),
        }
    }
}

/// The tax year and period of a payslip (numbers or numeric strings).
pub fn period_of(payslip: &Map<String, Value>) -> PeriodKey {
    (
        integer_field(payslip, "taxYear"),
        integer_field(payslip, "taxPeriod"),
    )
}

/// The worker id and name of a payslip. The reference calls the worker a subcontractor or a
/// candidate; both spellings are accepted, and a reference object `{ "id": … }` too.
pub fn worker_of(payslip: &Map<String, Value>) -> (String, String) {
    let id = ["subcontractorId", "candidateId", "subcontractorRef"]
        .iter()
        .find_map(|key| match payslip.get(*key) {
            Some(Value::Object(reference)) => text_field(reference, "id"),
            _ => text_field(payslip, key),
        })
        .unwrap_or_default();
    let name = ["subcontractorName", "candidateName", "fullName"]
        .iter()
        .find_map(|key| text_field(payslip, key))
        .unwrap_or_default();
    (id, name)
}

fn text_field(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn integer_field(map: &Map<String, Value>, key: &str) -> Option<i64> {
    match map.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payslip(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test data is an object"),
        }
    }

    fn dec(text: &str) -> Decimal {
        text.parse().expect("test decimal")
    }

    #[test]
    fn totals_per_period_and_worker_are_exact() {
        let mut summary = Summary::default();
        summary.add(&payslip(json!({
            "id": "PL-1", "subcontractorId": "SR-1", "subcontractorName": "Ann",
            "taxYear": 2025, "taxPeriod": 1, "gross": "100.10", "net": "80.05",
            "tax": "10.00", "employeeNI": "5.05", "employeePension": "5.00", "studentLoan": "0.00",
            "employerNI": "9.99", "employerPension": 3, "apprenticeshipLevy": "0.01"
        })));
        summary.add(&payslip(json!({
            "id": "PL-2", "subcontractorId": "SR-1", "subcontractorName": "Ann",
            "taxYear": 2025, "taxPeriod": 2, "gross": "0.20", "net": "0.10", "tax": "0.10"
        })));
        summary.add(&payslip(json!({
            "id": "PL-3", "subcontractorId": "SR-2", "subcontractorName": "Bob",
            "taxYear": "2025", "taxPeriod": "1", "gross": 0.1, "net": "0.1"
        })));

        assert_eq!(summary.all.payslips, 3);
        assert_eq!(summary.all.gross, dec("100.40"));
        let p1 = &summary.by_period[&(Some(2025), Some(1))];
        assert_eq!(p1.payslips, 2);
        assert_eq!(p1.gross, dec("100.20"));
        assert_eq!(p1.net, dec("80.15"));
        assert_eq!(p1.deductions, dec("20.05"));
        assert_eq!(p1.employer_costs, dec("13.00"));
        let ann = &summary.by_worker[&WorkerId("SR-1".into())];
        assert_eq!(ann.name, "Ann");
        assert_eq!(ann.totals.payslips, 2);
        assert_eq!(ann.totals.deductions, dec("20.15"));
        assert_eq!(summary.unreadable, 0);
    }

    #[test]
    fn unreadable_money_is_reported_not_hidden() {
        let mut summary = Summary::default();
        summary.add(&payslip(
            json!({"id": "PL-9", "gross": "lots", "net": "1.00"}),
        ));
        assert_eq!(summary.unreadable, 1);
        assert_eq!(
            summary.unreadable_examples,
            [("PL-9".into(), "gross".into(), "\"lots\"".into())]
        );
        assert_eq!(summary.all.net, dec("1.00"));
    }

    #[test]
    fn worker_ids_sort_as_people_count() {
        let mut ids: Vec<WorkerId> = [
            "SR-10", "SR-2", "SR-1", "SR-01", "", "AB-3", "SR-2a", "SR-100",
        ]
        .iter()
        .map(|s| WorkerId((*s).into()))
        .collect();
        ids.sort();
        let sorted: Vec<&str> = ids.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(
            sorted,
            [
                "", "AB-3", "SR-01", "SR-1", "SR-2", "SR-2a", "SR-10", "SR-100"
            ]
        );
    }

    #[test]
    fn worker_reference_objects_and_alternative_names() {
        let p = payslip(json!({"subcontractorRef": {"id": "SR-7"}, "candidateName": "Cy"}));
        assert_eq!(worker_of(&p), ("SR-7".into(), "Cy".into()));
        assert_eq!(period_of(&p), (None, None));
    }
}
