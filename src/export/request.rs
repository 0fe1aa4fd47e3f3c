//! What an export is asked to do, and what it did.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use super::filter::PeriodRange;
use super::split::SplitBy;

/// An export of payslips: filters and output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    /// Tax year (2025 = 2025/26).
    pub tax_year: Option<i32>,
    /// One tax period or a range.
    pub tax_periods: Option<PeriodRange>,
    pub pay_frequency: Option<String>,
    pub payment_model: Option<String>,
    /// Workers by id (`SR-…`) or Agency Ref (looked up); empty with no `workers_from` means
    /// every worker.
    pub workers: Vec<String>,
    /// A file with a column of worker ids or Agency Refs.
    pub workers_from: Option<PathBuf>,
    /// Only payslips created on or after this day.
    pub since: Option<NaiveDate>,
    /// `.xlsx` or `.csv` file; a folder with `split_by`.
    pub output: PathBuf,
    /// CSV with a UTF-8 byte-order mark (and, with `split_by`, CSV rather than xlsx files).
    pub excel_csv: bool,
    pub split_by: Option<SplitBy>,
}

impl ExportRequest {
    /// Every payslip, to `output`.
    pub fn new(output: impl Into<PathBuf>) -> Self {
        ExportRequest {
            tax_year: None,
            tax_periods: None,
            pay_frequency: None,
            payment_model: None,
            workers: Vec::new(),
            workers_from: None,
            since: None,
            output: output.into(),
            excel_csv: false,
            split_by: None,
        }
    }

    /// The filters in words, for the About sheet.
    pub fn described_filters(&self) -> Vec<(String, String)> {
        let mut filters = Vec::new();
        if let Some(year) = self.tax_year {
            filters.push((
                "Tax year".into(),
                format!("{year} ({year}/{:02})", (year + 1).rem_euclid(100)),
            ));
        }
        if let Some(periods) = self.tax_periods {
            filters.push(("Tax period".into(), periods.to_string()));
        }
        if let Some(frequency) = &self.pay_frequency {
            filters.push(("Pay frequency".into(), frequency.clone()));
        }
        if let Some(model) = &self.payment_model {
            filters.push(("Payment model".into(), model.clone()));
        }
        if !self.workers.is_empty() {
            const SHOWN: usize = 20;
            let mut listed = self
                .workers
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if self.workers.len() > SHOWN {
                listed.push_str(&format!(" and {} more", self.workers.len() - SHOWN));
            }
            filters.push(("Workers".into(), listed));
        }
        if let Some(file) = &self.workers_from {
            filters.push(("Workers from".into(), file.display().to_string()));
        }
        if let Some(since) = self.since {
            filters.push(("Created on or after".into(), since.to_string()));
        }
        filters
    }
}

/// What an export wrote; `--json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    pub payslips: usize,
    pub files: Vec<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_described_in_words() {
        let mut request = ExportRequest::new("x.xlsx");
        assert!(request.described_filters().is_empty());
        request.tax_year = Some(2025);
        request.tax_periods = Some(PeriodRange { first: 1, last: 4 });
        request.workers = (1..=25).map(|n| format!("SR-{n}")).collect();
        let filters = request.described_filters();
        assert_eq!(filters[0], ("Tax year".into(), "2025 (2025/26)".into()));
        assert_eq!(filters[1], ("Tax period".into(), "1-4".into()));
        assert!(filters[2].1.ends_with("SR-20 and 5 more"));
    }
}
