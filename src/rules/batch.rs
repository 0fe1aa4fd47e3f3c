//! Batch rules: checks that need the whole batch (duplicate keys, dangling references,
//! impossible totals).
//!
//! The schema stage feeds records to a [`BatchIndex`] in dependency order (candidates, payment
//! rates, then timesheets), so a timesheet line can be checked against the workers and pay codes
//! of the same batch. Each check returns findings with the JSON path of the column they are
//! about; the schema stage turns that into a cell reference.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value as Json;

use super::Finding;
use super::number::Currency;
use crate::model::{PayRef, Provenance, TimesheetDraft, VatRef, WorkerRef};

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
    /// The currency of each worker's pay: £ for a UK candidate, € for an Irish one.
    currency: HashMap<String, Currency>,
    /// Workers and pay codes already reported as outside the batch (each is reported once).
    reported_workers: HashSet<String>,
    reported_codes: HashSet<String>,
    /// The last tax period worked out per calendar (UK, Irish): timesheets come in runs of one
    /// period, so most look it up here instead of doing the date arithmetic again.
    last_period: [std::cell::Cell<Option<PeriodSpan>>; 2],
    /// The worker of the previous timesheet line when it needed no warning (lines of one
    /// worker follow each other, so most lines skip the lookups).
    last_quiet_worker: String,
}

/// The Agency Ref a worker is named by, `None` for an API id.
fn agency_ref_of(worker: &WorkerRef) -> Option<&str> {
    match worker {
        WorkerRef::AgencyRef(r) => Some(r),
        WorkerRef::Id(_) => None,
    }
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

    /// Remember that the worker with `agency_ref` is paid in `currency` (a UK candidate in £,
    /// an Irish one in €): their timesheet rates must agree, and their tax year is that country's.
    pub fn note_currency(&mut self, agency_ref: &str, currency: Currency) {
        if !agency_ref.is_empty() {
            self.currency
                .entry(agency_ref.to_string())
                .or_insert(currency);
        }
    }

    /// A timesheet rate written in a currency (`€15.50`) that is not the worker's: a UK
    /// candidate of this batch is paid in £, an Irish one in €.
    pub fn check_rate_currency(&self, worker: &WorkerRef, written: Currency) -> Option<Finding> {
        self.check_rate_currency_of(agency_ref_of(worker), written)
    }

    /// [`BatchIndex::check_rate_currency`] for a worker named by `agency_ref` (`None`: by id).
    pub fn check_rate_currency_of(
        &self,
        agency_ref: Option<&str>,
        written: Currency,
    ) -> Option<Finding> {
        let r = agency_ref?;
        let paid = *self.currency.get(r)?;
        (paid != written).then(|| {
            let country = match paid {
                Currency::Gbp => "a UK candidate",
                Currency::Eur => "an Irish candidate",
            };
            Finding::error(
                "money.currency",
                format!(
                    "the rate is written in {} but worker '{r}' is {country} of this batch, paid \
                     in {}; write the rate in {} (convert it if it really was agreed in {})",
                    written.sign(),
                    paid.sign(),
                    paid.sign(),
                    written.sign()
                ),
            )
        })
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
        self.check_line_of(agency_ref_of(worker), pay, units)
    }

    /// [`BatchIndex::check_line`] for a worker named by `agency_ref` (`None`: by id), so a
    /// line need not own its worker's reference.
    pub fn check_line_of(
        &mut self,
        agency_ref: Option<&str>,
        pay: &PayRef,
        units: Decimal,
    ) -> Vec<ColumnFinding> {
        let mut findings = Vec::new();
        if let Some(r) = agency_ref
            && !r.is_empty()
            && r != self.last_quiet_worker
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
        if let Some(r) = agency_ref
            && r != self.last_quiet_worker
        {
            // Known or now reported: either way this worker's next lines need no warning.
            self.last_quiet_worker.clear();
            self.last_quiet_worker.push_str(r);
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
        findings.extend(self.outside_period(draft));
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

    /// Dates far from the stated tax period (August with period 1): the period's dates come from
    /// the tax year (from 6 April) and the worker's pay frequency when the batch knows it, else
    /// the widest reading of the period number. An Irish worker's period may also be read in
    /// the Irish tax year (the calendar year); batches number Irish periods both ways, so only
    /// dates that fit neither are an error. Work paid one period late (arrears) or early is
    /// normal, so only dates more than one period away are an error.
    fn outside_period(&self, draft: &TimesheetDraft) -> Option<(usize, &'static str, Finding)> {
        let (first, last) = match (draft.start_date, draft.end_date) {
            (Some(s), Some(e)) => (s, e),
            (Some(d), None) | (None, Some(d)) => (d, d),
            (None, None) => return None,
        };
        let (freq, ireland) = match &draft.worker {
            WorkerRef::AgencyRef(r) => (
                self.pay_frequency.get(r).map(String::as_str),
                self.currency.get(r) == Some(&Currency::Eur),
            ),
            WorkerRef::Id(_) => (None, false),
        };
        let calendars: &[bool] = if ireland { &[true, false] } else { &[false] };
        let period = |&ie: &bool| TaxPeriod::of(ie, freq, draft.tax_year, draft.tax_period);
        let fits = |(start, end): (NaiveDate, NaiveDate)| {
            let slack = end - start + chrono::Duration::days(1);
            last >= start - slack && first <= end + slack
        };
        let mut spans = calendars
            .iter()
            .filter_map(|&ie| {
                let key = (ie, frequency_kind(freq), draft.tax_year, draft.tax_period);
                let slot = self.last_period.get(usize::from(ie))?;
                match slot.get() {
                    Some((k, span)) if k == key => span,
                    _ => {
                        let span = period(&ie).map(|p| (p.start, p.end));
                        slot.set(Some((key, span)));
                        span
                    }
                }
            })
            .peekable();
        if spans.peek().is_none() || spans.any(fits) {
            return None;
        }
        let dates = if first == last {
            format!("the date {first} is")
        } else {
            format!("the dates {first} to {last} are")
        };
        let column = if draft.start_date.is_some() {
            "startDate"
        } else {
            "endDate"
        };
        let spans: Vec<String> = calendars
            .iter()
            .filter_map(period)
            .map(|p| format!("{}: {} to {}", p.describe(), p.start, p.end))
            .collect();
        Some((
            0,
            column,
            Finding::error(
                "timesheet.outside_period",
                format!(
                    "{dates} far from tax period {} of tax year {} ({}); a timesheet may fall \
                     in its period or the one either side (paid in arrears or ahead): correct \
                     the dates or the tax period",
                    draft.tax_period,
                    draft.tax_year,
                    spans.join("; or in the UK tax year, ")
                ),
            ),
        ))
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

/// A tax period worked out: (calendar is Irish, frequency, tax year, period) → its dates.
type PeriodSpan = ((bool, u8, i32, u32), Option<(NaiveDate, NaiveDate)>);

/// The pay frequencies [`TaxPeriod::of`] tells apart.
fn frequency_kind(freq: Option<&str>) -> u8 {
    match freq {
        Some("WEEKLY") => 1,
        Some("MONTHLY") => 2,
        Some(_) => 3,
        None => 0,
    }
}

/// The dates a tax period number stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxPeriod<'a> {
    pub start: NaiveDate,
    pub end: NaiveDate,
    ireland: bool,
    frequency: Option<&'a str>,
    year: i32,
    period: u32,
}

impl<'a> TaxPeriod<'a> {
    /// Period `period` of the tax year starting in `year`: the UK tax year runs from 6 April
    /// (week 1 is 6–12 April, month 1 is 6 April – 5 May), the Irish one is the calendar year.
    /// A weekly or monthly worker's period is exact; otherwise (fortnightly, four-weekly, or
    /// frequency unknown) it spans every reading of the number (week, fortnight, four weeks,
    /// month), so nothing right is flagged. `None` for a number no reading allows.
    pub fn of(
        ireland: bool,
        frequency: Option<&'a str>,
        year: i32,
        period: u32,
    ) -> Option<TaxPeriod<'a>> {
        if period == 0 {
            return None;
        }
        let year_start = if ireland {
            NaiveDate::from_ymd_opt(year, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, 4, 6)?
        };
        let weeks = |n: u32, max: u32| {
            let start = year_start + chrono::Duration::weeks(i64::from(n * (period - 1)));
            (period <= max).then(|| (start, start + chrono::Duration::days(i64::from(7 * n) - 1)))
        };
        let month = || {
            if period > 12 {
                return None;
            }
            let start = year_start.checked_add_months(chrono::Months::new(period - 1))?;
            let next = start.checked_add_months(chrono::Months::new(1))?;
            Some((start, next.pred_opt()?))
        };
        let span = match frequency {
            Some("WEEKLY") => weeks(1, 53)?,
            Some("MONTHLY") => month()?,
            _ => {
                let readings = [weeks(1, 53), weeks(2, 27), weeks(4, 14), month()];
                let start = readings.iter().flatten().map(|r| r.0).min()?;
                let end = readings.iter().flatten().map(|r| r.1).max()?;
                (start, end)
            }
        };
        Some(TaxPeriod {
            start: span.0,
            end: span.1,
            ireland,
            frequency,
            year,
            period,
        })
    }

    /// How the period was read, e.g. `week 1 of 2025/26, paid weekly` (for messages only).
    pub fn describe(&self) -> String {
        let (year, period) = (self.year, self.period);
        let year_name = if self.ireland {
            format!("the Irish tax year {year}")
        } else {
            format!("{year}/{:02}", (year + 1).rem_euclid(100))
        };
        match self.frequency {
            Some("WEEKLY") => format!("week {period} of {year_name}, paid weekly"),
            Some("MONTHLY") => format!("month {period} of {year_name}, paid monthly"),
            Some(f) => format!(
                "period {period} of {year_name} read every way it can be, the worker is paid {}",
                f.to_lowercase().replace('_', "-")
            ),
            None => format!("period {period} of {year_name} read every way it can be"),
        }
    }
}

/// Lines of one timesheet that repeat an earlier line exactly (pay code, rate, units, VAT):
/// both would be paid, which is right for a genuine second shift and wrong for a line entered
/// twice, so each is a warning naming both rows.
fn repeated_lines(draft: &TimesheetDraft) -> Vec<(usize, &'static str, Finding)> {
    // The key borrows the line: a pay code already in capitals (as read) is not copied, and the
    // VAT reference is compared as it is (its variant and text, what its `Debug` form said).
    fn key(l: &crate::model::LineDraft) -> (Cow<'_, str>, Decimal, Decimal, Option<&VatRef>) {
        let pay: Cow<'_, str> = match &l.pay {
            PayRef::Code(c) if changes_in_capitals(c) => Cow::Owned(c.to_uppercase()),
            PayRef::Code(c) | PayRef::Id(c) => Cow::Borrowed(c.as_str()),
        };
        (pay, l.rate.normalize(), l.units.normalize(), l.vat.as_ref())
    }
    let keys: Vec<_> = draft.lines.iter().map(key).collect();
    // A timesheet has a handful of lines: comparing with the earlier ones beats hashing them.
    let mut seen: HashMap<&_, usize> = HashMap::new();
    let mut findings = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let first = if keys.len() <= 32 {
            keys.get(..i)
                .and_then(|earlier| earlier.iter().position(|e| e == k))
        } else {
            match seen.get(k) {
                Some(&j) => Some(j),
                None => {
                    seen.insert(k, i);
                    None
                }
            }
        };
        let Some(first) = first.and_then(|j| draft.lines.get(j)) else {
            continue;
        };
        findings.push((
            i,
            "rates[].units",
            Finding::warning(
                "timesheet.repeated_line",
                format!(
                    "this line repeats {} exactly (pay code {}, rate {}, units {}): both \
                     will be paid, doubling that pay — delete one if it was entered twice",
                    Where(&first.provenance),
                    k.0,
                    k.1,
                    k.2
                ),
            ),
        ));
    }
    findings
}

/// Whether upper-casing changes `text` (a byte test for ASCII text, as codes nearly always are).
fn changes_in_capitals(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|b| b.is_ascii_lowercase())
    } else {
        text.chars()
            .any(|c| c.to_uppercase().ne(std::iter::once(c)))
    }
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
            file: std::path::Path::new("b.csv").into(),
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

    /// Issue 17: an August date with tax period 1 was accepted.
    #[test]
    fn dates_far_from_the_stated_tax_period_are_an_error() {
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day);
        let mut index = BatchIndex::default();
        index.check_candidate(
            &json!({"generalSetting": {"agencyRef": "A1", "payFrequency": "WEEKLY"}}),
            &at(2),
        );
        let found = index.check_timesheet(&draft(&[8], d(8, 4), d(8, 10)));
        assert_eq!(found.len(), 1, "{found:?}");
        let (line, column, finding) = &found[0];
        assert_eq!(
            (*line, *column, finding.code),
            (0, "startDate", "timesheet.outside_period")
        );
        assert!(
            finding
                .message
                .contains("week 1 of 2025/26, paid weekly: 2025-04-06 to 2025-04-12"),
            "{}",
            finding.message
        );
        // In the week, across its edge, or a week in arrears: fine.
        for (start, end) in [
            (d(4, 6), d(4, 12)),
            (d(4, 7), d(4, 13)),
            (d(3, 31), d(4, 6)),
        ] {
            assert!(index.check_timesheet(&draft(&[8], start, end)).is_empty());
        }
        // Two weeks away is not.
        assert_eq!(
            index
                .check_timesheet(&draft(&[8], d(4, 20), d(4, 26)))
                .len(),
            1
        );
        // Frequency unknown: the widest reading (month 1, 6 April – 5 May) still refuses August.
        let unknown = BatchIndex::default();
        assert!(
            unknown
                .check_timesheet(&draft(&[8], d(5, 1), d(5, 7)))
                .is_empty()
        );
        let found = unknown.check_timesheet(&draft(&[8], d(8, 4), None));
        assert_eq!(found[0].2.code, "timesheet.outside_period");
        assert!(
            found[0].2.message.contains("the date 2025-08-04 is"),
            "{}",
            found[0].2.message
        );
        // An Irish worker's period may be read in the Irish tax year (the calendar year, week 1
        // is 1–7 January) or from 6 April: dates that fit neither are an error.
        let mut irish = BatchIndex::default();
        irish.check_candidate(
            &json!({"generalSetting": {"agencyRef": "A1", "payFrequency": "WEEKLY"}}),
            &at(2),
        );
        irish.note_currency("A1", Currency::Eur);
        let found = irish.check_timesheet(&draft(&[8], d(8, 4), d(8, 10)));
        let message = &found[0].2.message;
        assert!(
            message.contains("the Irish tax year 2025, paid weekly: 2025-01-01 to 2025-01-07")
                && message.contains("2025-04-06 to 2025-04-12"),
            "{message}"
        );
        assert!(
            irish
                .check_timesheet(&draft(&[8], d(1, 1), d(1, 7)))
                .is_empty()
        );
        assert!(
            irish
                .check_timesheet(&draft(&[8], d(4, 7), d(4, 13)))
                .is_empty()
        );
    }

    #[test]
    fn tax_periods_follow_each_countrys_calendar() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let span = |ireland, freq, period| {
            TaxPeriod::of(ireland, freq, 2025, period).map(|p| (p.start, p.end))
        };
        assert_eq!(
            span(false, Some("MONTHLY"), 1),
            Some((d(2025, 4, 6), d(2025, 5, 5)))
        );
        assert_eq!(
            span(false, Some("MONTHLY"), 12),
            Some((d(2026, 3, 6), d(2026, 4, 5)))
        );
        assert_eq!(
            span(false, Some("WEEKLY"), 53),
            Some((d(2026, 4, 5), d(2026, 4, 11)))
        );
        assert_eq!(
            span(true, Some("MONTHLY"), 2),
            Some((d(2025, 2, 1), d(2025, 2, 28)))
        );
        assert_eq!(span(false, Some("MONTHLY"), 13), None);
        assert_eq!(span(false, None, 0), None);
        // Fortnightly: fortnight 2 (20 April – 3 May) and week 2 both fit.
        assert_eq!(
            span(false, Some("FORTNIGHTLY"), 2),
            Some((d(2025, 4, 13), d(2025, 6, 5)))
        );
    }

    /// Issue 17: `€15.50` was accepted as pounds.
    #[test]
    fn a_rate_in_another_currency_than_the_workers_is_an_error() {
        let mut index = BatchIndex::default();
        index.note_currency("UK1", Currency::Gbp);
        index.note_currency("IE1", Currency::Eur);
        let uk = WorkerRef::AgencyRef("UK1".into());
        let ie = WorkerRef::AgencyRef("IE1".into());
        let found = index
            .check_rate_currency(&uk, Currency::Eur)
            .expect("error");
        assert_eq!(found.code, "money.currency");
        assert!(
            found.message.contains("'UK1' is a UK candidate"),
            "{}",
            found.message
        );
        assert!(index.check_rate_currency(&ie, Currency::Gbp).is_some());
        assert!(index.check_rate_currency(&uk, Currency::Gbp).is_none());
        assert!(index.check_rate_currency(&ie, Currency::Eur).is_none());
        let elsewhere = WorkerRef::AgencyRef("X".into());
        assert!(
            index
                .check_rate_currency(&elsewhere, Currency::Eur)
                .is_none()
        );
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
