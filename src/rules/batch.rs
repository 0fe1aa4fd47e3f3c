//! Batch rules: checks that need the whole batch (duplicate keys, dangling references,
//! impossible totals).
//!
//! The schema stage feeds records to a [`BatchIndex`] in dependency order (candidates, payment
//! rates, then timesheets), so a timesheet line can be checked against the workers and pay codes
//! of the same batch. Each check returns findings with the JSON path of the column they are
//! about; the schema stage turns that into a cell reference.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value as Json;

use super::Finding;
use crate::model::{PayRef, Provenance, TimesheetDraft, WorkerRef};

/// A finding about one column of a row, named by the column's JSON path.
pub type ColumnFinding = (&'static str, Finding);

/// What the batch has seen so far.
#[derive(Debug, Default)]
pub struct BatchIndex {
    agency_refs: HashMap<String, Provenance>,
    ni_numbers: HashMap<String, Provenance>,
    pps_numbers: HashMap<String, Provenance>,
    pay_codes: HashMap<String, (Provenance, Option<String>)>,
    pay_frequency: HashMap<String, String>,
    /// Workers and pay codes already reported as outside the batch (each is reported once).
    reported_workers: HashSet<String>,
    reported_codes: HashSet<String>,
    /// The worker of the previous timesheet line when it needed no warning (lines of one
    /// worker follow each other, so most lines skip the lookups).
    last_quiet_worker: String,
}

struct Where<'a>(&'a Provenance);

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {} of {}", self.0.row, self.0.file.display())?;
        if let Some(sheet) = &self.0.sheet {
            write!(f, ", sheet {sheet}")?;
        }
        Ok(())
    }
}

fn text_at<'a>(body: &'a Json, pointer: &str) -> Option<&'a str> {
    body.pointer(pointer)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
}

/// Remember that `key` was reported; `true` the first time. Looks up before inserting so the
/// lines after the first allocate nothing.
fn first_report(reported: &mut HashSet<String>, key: &str) -> bool {
    !reported.contains(key) && reported.insert(key.to_string())
}

/// Remember `key` → `at`; a finding when it was already there.
fn first_use(
    seen: &mut HashMap<String, Provenance>,
    key: &str,
    at: &Provenance,
    path: &'static str,
    code: &'static str,
    what: &str,
    advice: &str,
) -> Option<ColumnFinding> {
    match seen.get(key) {
        Some(first) if first != at => Some((
            path,
            Finding::error(
                code,
                format!(
                    "{what} '{key}' is already used in {}; {advice}",
                    Where(first)
                ),
            ),
        )),
        Some(_) => None,
        None => {
            seen.insert(key.to_string(), at.clone());
            None
        }
    }
}

impl BatchIndex {
    /// Duplicate Agency Ref, NI number or PPS number; remembers the worker's pay frequency.
    pub fn check_candidate(&mut self, body: &Json, at: &Provenance) -> Vec<ColumnFinding> {
        let mut findings = Vec::new();
        if let Some(agency_ref) = text_at(body, "/generalSetting/agencyRef") {
            findings.extend(first_use(
                &mut self.agency_refs,
                agency_ref,
                at,
                "generalSetting.agencyRef",
                "duplicate.agency_ref",
                "Agency Ref",
                "each worker needs their own Agency Ref — delete the repeated row or correct \
                 the reference",
            ));
            if let Some(freq) = text_at(body, "/generalSetting/payFrequency") {
                self.pay_frequency
                    .entry(agency_ref.to_string())
                    .or_insert_with(|| freq.to_string());
            }
        }
        if let Some(ni) = text_at(body, "/generalSetting/NINumber") {
            let ni: String = ni.chars().filter(|c| !c.is_whitespace()).collect();
            findings.extend(first_use(
                &mut self.ni_numbers,
                &ni.to_uppercase(),
                at,
                "generalSetting.NINumber",
                "duplicate.ni_number",
                "NI number",
                "one person cannot be two workers — check whose number this is",
            ));
        }
        if let Some(pps) = text_at(body, "/generalSetting/PPSNumber") {
            let pps: String = pps.chars().filter(|c| !c.is_whitespace()).collect();
            findings.extend(first_use(
                &mut self.pps_numbers,
                &pps.to_uppercase(),
                at,
                "generalSetting.PPSNumber",
                "duplicate.pps_number",
                "PPS number",
                "one person cannot be two workers — check whose number this is",
            ));
        }
        findings
    }

    /// Duplicate pay code; remembers the code's units for the timesheet checks.
    pub fn check_payment_rate(&mut self, body: &Json, at: &Provenance) -> Vec<ColumnFinding> {
        let Some(code) = text_at(body, "/code") else {
            return Vec::new();
        };
        let code = code.to_uppercase();
        if let Some((first, _)) = self.pay_codes.get(&code) {
            if first != at {
                return vec![(
                    "code",
                    Finding::error(
                        "duplicate.pay_code",
                        format!(
                            "pay code '{code}' is already defined in {}; delete the repeated \
                             row or give this rate its own code",
                            Where(first)
                        ),
                    ),
                )];
            }
            return Vec::new();
        }
        let units = text_at(body, "/units").map(str::to_string);
        self.pay_codes.insert(code, (at.clone(), units));
        Vec::new()
    }

    /// A timesheet line's references: a worker or pay code that is neither in the batch nor an
    /// API id is a warning (the import step asks the server), on its first line only so a long
    /// file does not repeat it. Negative units are an error.
    pub fn check_line(
        &mut self,
        worker: &WorkerRef,
        pay: &PayRef,
        units: Decimal,
    ) -> Vec<ColumnFinding> {
        let mut findings = Vec::new();
        if let WorkerRef::AgencyRef(r) = worker
            && !r.is_empty()
            && *r != self.last_quiet_worker
            && !self.agency_refs.contains_key(r)
            && first_report(&mut self.reported_workers, r)
        {
            findings.push((
                "agencyRef",
                Finding::warning(
                    "reference.not_in_batch",
                    format!(
                        "worker '{r}' is not among the candidates of this batch; import \
                         checks that Nxsys knows them — add their row, or use their Worker \
                         ID (SR-…). Their other lines are not reported again"
                    ),
                ),
            ));
        }
        if let WorkerRef::AgencyRef(r) = worker
            && *r != self.last_quiet_worker
        {
            // Known or now reported: either way this worker's next lines need no warning.
            self.last_quiet_worker.clone_from(r);
        }
        if let PayRef::Code(code) = pay
            && !code.is_empty()
            && !self.pay_codes.contains_key(code)
            && first_report(&mut self.reported_codes, code)
        {
            findings.push((
                "rates[].code",
                Finding::warning(
                    "reference.not_in_batch",
                    format!(
                        "pay code '{code}' is not among the payment rates of this batch; \
                         import checks that Nxsys has it — add it, or use its Rate ID (PR-…). \
                         Its other lines are not reported again"
                    ),
                ),
            ));
        }
        if units.is_sign_negative() && !units.is_zero() {
            findings.push((
                "rates[].units",
                Finding::error(
                    "units.negative",
                    format!(
                        "units {units} is negative; a timesheet records time worked — correct \
                         the figure, or ask payroll to make an adjustment for an earlier period"
                    ),
                ),
            ));
        }
        findings
    }

    /// Whole-timesheet checks: start after end, and more hours on HOURLY pay codes than the
    /// period has (24 a day). Returns `(line index, column path, finding)`.
    pub fn check_timesheet(&self, draft: &TimesheetDraft) -> Vec<(usize, &'static str, Finding)> {
        let mut findings = Vec::new();
        if let (Some(start), Some(end)) = (draft.start_date, draft.end_date)
            && end < start
        {
            findings.push((
                0,
                "endDate",
                Finding::error(
                    "timesheet.dates_reversed",
                    format!("the end date {end} is before the start date {start}; swap them"),
                ),
            ));
            return findings;
        }
        findings.extend(repeated_lines(draft));
        let (days, why) = self.period_days(draft);
        let hourly = |pay: &PayRef| match pay {
            PayRef::Code(code) => self
                .pay_codes
                .get(code)
                .is_some_and(|(_, units)| units.as_deref() == Some("HOURLY")),
            PayRef::Id(_) => false,
        };
        let hours: Decimal = draft
            .lines
            .iter()
            .filter(|l| hourly(&l.pay))
            .map(|l| l.units)
            .sum();
        let max = Decimal::from(24 * days);
        if hours > max {
            // The finding goes on the line that takes the total over the limit.
            let mut running = Decimal::ZERO;
            let index = draft
                .lines
                .iter()
                .position(|l| {
                    if hourly(&l.pay) {
                        running += l.units;
                    }
                    running > max
                })
                .unwrap_or(0);
            let rows: Vec<String> = draft
                .lines
                .iter()
                .filter(|l| hourly(&l.pay))
                .map(|l| l.provenance.row.to_string())
                .collect();
            findings.push((
                index,
                "rates[].units",
                Finding::error(
                    "units.impossible",
                    format!(
                        "{hours} hours on hourly pay codes (rows {}) is more than 24 hours a day \
                         for a period of {days} days ({why}); check for a typo or a line entered \
                         twice",
                        rows.join(", ")
                    ),
                ),
            ));
        }
        findings
    }

    /// Days in the timesheet's period: from its dates, else the worker's pay frequency, else a
    /// month (the longest period, so nothing right is flagged).
    fn period_days(&self, draft: &TimesheetDraft) -> (i64, &'static str) {
        if let (Some(start), Some(end)) = (draft.start_date, draft.end_date) {
            return (days_between(start, end), "from its start and end dates");
        }
        let freq = match &draft.worker {
            WorkerRef::AgencyRef(r) => self.pay_frequency.get(r).map(String::as_str),
            WorkerRef::Id(_) => None,
        };
        match freq {
            Some("WEEKLY") => (7, "the worker is paid weekly"),
            Some("FORTNIGHTLY") => (14, "the worker is paid fortnightly"),
            Some("FOUR_WEEKLY") => (28, "the worker is paid four-weekly"),
            _ => (31, "at most a month"),
        }
    }
}

/// Lines of one timesheet that repeat an earlier line exactly (pay code, rate, units, VAT):
/// both would be paid, which is right for a genuine second shift and wrong for a line entered
/// twice, so each is a warning naming both rows.
fn repeated_lines(draft: &TimesheetDraft) -> Vec<(usize, &'static str, Finding)> {
    let key = |l: &crate::model::LineDraft| {
        let pay = match &l.pay {
            PayRef::Code(c) => c.to_uppercase(),
            PayRef::Id(id) => id.clone(),
        };
        let vat = l.vat.as_ref().map(|v| format!("{v:?}")).unwrap_or_default();
        (pay, l.rate.normalize(), l.units.normalize(), vat)
    };
    let mut seen: HashMap<_, &Provenance> = HashMap::new();
    let mut findings = Vec::new();
    for (i, line) in draft.lines.iter().enumerate() {
        let k = key(line);
        match seen.get(&k) {
            Some(first) => findings.push((
                i,
                "rates[].units",
                Finding::warning(
                    "timesheet.repeated_line",
                    format!(
                        "this line repeats {} exactly (pay code {}, rate {}, units {}): both \
                         will be paid, doubling that pay — delete one if it was entered twice",
                        Where(first),
                        k.0,
                        k.1,
                        k.2
                    ),
                ),
            )),
            None => {
                seen.insert(k, &line.provenance);
            }
        }
    }
    findings
}

fn days_between(start: NaiveDate, end: NaiveDate) -> i64 {
    (end - start).num_days() + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LineDraft;
    use serde_json::json;

    fn at(row: u32) -> Provenance {
        Provenance {
            file: "b.csv".into(),
            sheet: None,
            row,
        }
    }

    #[test]
    fn duplicate_agency_ref_and_ni_number_point_at_the_first_row() {
        let mut index = BatchIndex::default();
        let a = json!({"generalSetting": {"agencyRef": "A1", "NINumber": "QQ123456C"}});
        let b = json!({"generalSetting": {"agencyRef": "A1", "NINumber": "QQ 12 34 56 C"}});
        assert!(index.check_candidate(&a, &at(2)).is_empty());
        let found = index.check_candidate(&b, &at(3));
        let codes: Vec<_> = found.iter().map(|(_, f)| f.code).collect();
        assert_eq!(codes, ["duplicate.agency_ref", "duplicate.ni_number"]);
        assert!(found[0].1.message.contains("row 2 of b.csv"));
    }

    #[test]
    fn duplicate_pay_code_is_case_insensitive() {
        let mut index = BatchIndex::default();
        assert!(
            index
                .check_payment_rate(&json!({"code": "PR200", "units": "HOURLY"}), &at(2))
                .is_empty()
        );
        let found = index.check_payment_rate(&json!({"code": "pr200"}), &at(5));
        assert_eq!(found[0].1.code, "duplicate.pay_code");
    }

    #[test]
    fn references_outside_the_batch_warn_once_and_ids_do_not() {
        let mut index = BatchIndex::default();
        let found = index.check_line(
            &WorkerRef::AgencyRef("A9".into()),
            &PayRef::Code("PR9".into()),
            Decimal::ONE,
        );
        assert_eq!(found.len(), 2);
        assert!(
            found
                .iter()
                .all(|(_, f)| f.code == "reference.not_in_batch")
        );
        let ids = index.check_line(
            &WorkerRef::Id("SR-1".into()),
            &PayRef::Id("PR-1".into()),
            Decimal::NEGATIVE_ONE,
        );
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].1.code, "units.negative");
    }

    fn draft(units: &[i64], start: Option<NaiveDate>, end: Option<NaiveDate>) -> TimesheetDraft {
        TimesheetDraft {
            worker: WorkerRef::AgencyRef("A1".into()),
            assignment_ref: None,
            start_date: start,
            end_date: end,
            tax_year: 2025,
            tax_period: 1,
            month: None,
            lines: units
                .iter()
                .enumerate()
                .map(|(i, &u)| LineDraft {
                    provenance: at(i as u32 + 2),
                    pay: PayRef::Code("PR200".into()),
                    rate: Decimal::TEN,
                    units: Decimal::from(u),
                    vat: None,
                })
                .collect(),
        }
    }

    #[test]
    fn hours_beyond_24_a_day_for_the_period_are_impossible() {
        let mut index = BatchIndex::default();
        index.check_candidate(
            &json!({"generalSetting": {"agencyRef": "A1", "payFrequency": "WEEKLY"}}),
            &at(2),
        );
        index.check_payment_rate(&json!({"code": "PR200", "units": "HOURLY"}), &at(2));
        assert!(
            index
                .check_timesheet(&draft(&[100, 68], None, None))
                .is_empty()
        );
        let found = index.check_timesheet(&draft(&[100, 69], None, None));
        assert_eq!(found[0].2.code, "units.impossible");
        assert_eq!(found[0].0, 1, "placed on the line that goes over");
        assert!(
            found[0].2.message.contains("rows 2, 3"),
            "{}",
            found[0].2.message
        );
        let d = |day| NaiveDate::from_ymd_opt(2025, 4, day);
        // Two days: 48 hours at most.
        assert_eq!(index.check_timesheet(&draft(&[49], d(7), d(8))).len(), 1);
        assert!(index.check_timesheet(&draft(&[48], d(7), d(8))).is_empty());
        let reversed = index.check_timesheet(&draft(&[1], d(8), d(7)));
        assert_eq!(reversed[0].2.code, "timesheet.dates_reversed");
    }

    #[test]
    fn a_line_repeated_exactly_is_a_warning_naming_both_rows() {
        let index = BatchIndex::default();
        let found = index.check_timesheet(&draft(&[8, 4, 8], None, None));
        assert_eq!(found.len(), 1, "{found:?}");
        let (line, _, finding) = &found[0];
        assert_eq!(*line, 2, "on the repeat, row 4");
        assert_eq!(finding.code, "timesheet.repeated_line");
        assert_eq!(finding.severity, crate::model::Severity::Warning);
        assert!(
            finding.message.contains("row 2 of b.csv"),
            "{}",
            finding.message
        );
        assert!(
            index
                .check_timesheet(&draft(&[8, 4], None, None))
                .is_empty()
        );
    }
}
