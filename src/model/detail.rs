//! What the submit stage records about each record for the report ([`RecordDetail`]), with the
//! control totals of a timesheet ([`Totals`]).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Lines, units and net value (Σ rate × units) of a timesheet: the control totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub lines: u32,
    pub units: Decimal,
    pub net: Decimal,
}

impl Totals {
    /// Totals with the decimals normalised (`543.750` → `543.75`), so equal amounts compare
    /// and print the same.
    pub fn new(lines: u32, units: Decimal, net: Decimal) -> Totals {
        Totals {
            lines,
            units: units.normalize(),
            net: net.normalize(),
        }
    }

    /// The totals of lines given as `(rate, units)`.
    pub fn of_lines(lines: impl IntoIterator<Item = (Decimal, Decimal)>) -> Totals {
        let (mut count, mut units, mut net) = (0, Decimal::ZERO, Decimal::ZERO);
        for (rate, line_units) in lines {
            count += 1;
            units += line_units;
            net += rate * line_units;
        }
        Totals::new(count, units, net)
    }
}

/// What the submit stage records about a record for the report (the journal's `detail`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordDetail {
    /// Worker's name, or the pay code's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// NI or PPS number of a candidate (masked in reports with `--mask-pii`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// The row was invalid (validation errors in `findings`).
    #[serde(default)]
    pub invalid: bool,
    /// Validation findings with their cell references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// What the plan noticed and let go ahead (e.g. a timesheet created beside another of the
    /// same worker and period).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Other server records with this record's natural key, found after it landed (a run on
    /// another machine sent the same at the same time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_duplicates: Vec<String>,
    /// Timesheets: the worker as the sheet names them, and the resolved `SR-…` id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_period: Option<u32>,
    /// Control totals at input, as the API acknowledged the write, and as read back after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Totals>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Totals>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_back: Option<Totals>,
    /// The net read back, when the server does not echo each line's rate and units (so lines
    /// and units cannot be tied, only the net).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_back_net: Option<Decimal>,
}

impl RecordDetail {
    /// Whether the totals the API acknowledged (when it echoed any) and read back equal the
    /// input totals. `false` for a record without input totals.
    pub fn totals_agree(&self) -> bool {
        self.input.is_some_and(|input| {
            let read_back = match self.read_back {
                Some(totals) => totals == input,
                None => self.read_back_net.is_some_and(|net| net == input.net),
            };
            read_back && self.acknowledged.is_none_or(|a| a == input)
        })
    }

    /// Only the net could be tied (the server does not echo lines).
    pub fn net_only(&self) -> bool {
        self.read_back.is_none() && self.read_back_net.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_lines_and_normalise() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let t = Totals::of_lines([(d("12.50"), d("8")), (d("100"), d("1.000"))]);
        assert_eq!(t, Totals::new(2, d("9"), d("200")));
        assert_eq!(t.net.to_string(), "200");
        assert_eq!(Totals::of_lines([]), Totals::default());
    }
}
