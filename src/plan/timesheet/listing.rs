//! What the submit stage keeps of the server's timesheets: a year's listing packed and sorted by
//! slot for the stage, and the totals the read-back compares.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Line, ServerTimesheet, TimesheetPlan, Totals, totals};

/// A year's timesheets as the stage lists them, each packed (see [`PackedListed`]) and sorted by
/// worker, tax year and period, keeping the listing's order within each, so that a timesheet's
/// slot is found by binary search. A no-change re-import of 100,000 timesheets holds them all
/// while it runs, and scanned the whole listing once for each.
#[derive(Debug, Default)]
pub struct TimesheetList {
    items: Vec<PackedListed>,
}

/// A listed timesheet as compact JSON, its slot beside it: ≈ 250 bytes with four lines, where
/// a [`ServerTimesheet`] takes ≈ 770.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedListed {
    worker: Option<Box<str>>,
    year: Option<i32>,
    period: Option<u32>,
    /// `[id, start, end, lines, net]`, each line `[rate id, rate, units, VAT id]`; amounts as
    /// strings, so their scale is kept.
    text: Box<str>,
}

type Wire = (
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<Vec<(String, Decimal, Decimal, Option<String>)>>,
    Option<Decimal>,
);

impl From<ServerTimesheet> for PackedListed {
    fn from(t: ServerTimesheet) -> PackedListed {
        let lines = t.lines.map(|lines| {
            lines
                .into_iter()
                .map(|l| (l.rate_id, l.rate, l.units, l.vat_id))
                .collect::<Vec<_>>()
        });
        let wire: Wire = (t.id, t.start_date, t.end_date, lines, t.net);
        PackedListed {
            worker: t.worker_id.map(String::into_boxed_str),
            year: t.tax_year,
            period: t.tax_period,
            // Strings, dates and decimals always serialise.
            text: serde_json::to_string(&wire)
                .unwrap_or_default()
                .into_boxed_str(),
        }
    }
}

impl PackedListed {
    /// The timesheet again; `None` only if the text was not written by `From` above.
    pub fn unpack(&self) -> Option<ServerTimesheet> {
        let (id, start_date, end_date, lines, net): Wire = serde_json::from_str(&self.text).ok()?;
        Some(ServerTimesheet {
            id,
            worker_id: self.worker.as_deref().map(str::to_string),
            start_date,
            end_date,
            tax_year: self.year,
            tax_period: self.period,
            lines: lines.map(|lines| {
                lines
                    .into_iter()
                    .map(|(rate_id, rate, units, vat_id)| Line {
                        rate_id,
                        rate,
                        units,
                        vat_id,
                    })
                    .collect()
            }),
            net,
        })
    }

    fn slot(&self) -> (Option<&str>, Option<i32>, Option<u32>) {
        (self.worker.as_deref(), self.year, self.period)
    }
}

impl TimesheetList {
    pub fn new(mut items: Vec<PackedListed>) -> TimesheetList {
        items.sort_by(|a, b| a.slot().cmp(&b.slot()));
        TimesheetList { items }
    }

    /// The listed timesheets in the plan's slot (what `filter(same_slot)` finds, in listing
    /// order). `None` if one of them does not unpack: then look the slot up on the server.
    pub fn in_slot(&self, plan: &TimesheetPlan) -> Option<Vec<ServerTimesheet>> {
        let slot = (
            Some(plan.worker_id.as_str()),
            Some(plan.tax_year),
            Some(plan.tax_period),
        );
        let start = self.items.partition_point(|t| t.slot() < slot);
        let len = self.items[start..].partition_point(|t| t.slot() == slot);
        self.items[start..start + len]
            .iter()
            .map(PackedListed::unpack)
            .collect()
    }

    /// Every listed timesheet that unpacks (the read-back looks up any other by its id).
    pub fn into_timesheets(self) -> impl Iterator<Item = ServerTimesheet> {
        self.items.into_iter().filter_map(|t| t.unpack())
    }
}

/// What the read-back keeps of a listed timesheet, boiled down as each page arrives: its id,
/// its totals, and a hash of what makes it the same timesheet as another. 100,000 timesheets
/// held with their lines took ≈ 60 MB; this way ≈ 12 MB.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedTotals {
    pub id: Box<str>,
    /// A 128-bit hash of worker, tax year and period, dates, line totals and net (amounts
    /// normalised, so `8` and `8.00` agree): two listed timesheets with the same `same` are one
    /// timesheet held twice. Two different keys share a hash with a chance of 2⁻¹²⁸ a pair.
    pub same: u128,
    /// The totals of the lines, when the server echoes them.
    pub totals: Option<Totals>,
    pub net: Option<Decimal>,
}

impl From<ServerTimesheet> for ListedTotals {
    fn from(t: ServerTimesheet) -> ListedTotals {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let totals = t.lines.as_deref().map(totals);
        let key = (
            t.worker_id.as_deref(),
            t.tax_year,
            t.tax_period,
            t.start_date,
            t.end_date,
            totals.map(|t| (t.lines, t.units.normalize(), t.net.normalize())),
            t.net.map(|n| n.normalize()),
        );
        let half = |salt: u8| {
            let mut h = DefaultHasher::new();
            salt.hash(&mut h);
            key.hash(&mut h);
            u128::from(h.finish())
        };
        ListedTotals {
            id: t.id.into_boxed_str(),
            same: half(0) << 64 | half(1),
            totals,
            net: t.net,
        }
    }
}
