//! What the cells of one column say together, which no cell says alone: whether the column
//! writes decimals with a dot or a comma (so `1,234` can be read), and whether its amounts mix
//! £ and €.
//!
//! Only money and quantity columns are watched, and only cells holding a `,`, `.` or a currency
//! marker are looked at closely, so the common row costs a few byte scans.

use super::headers::HeaderMap;
use crate::model::Finding;
use crate::rules::Rule;
use crate::rules::number::{self, Currency, Evidence, Separators};
use crate::source::RowBuf;

/// How many rows a sheet holds back, waiting for a cell that settles an ambiguous `1,234`,
/// before the ambiguous cells are reported as errors.
pub(super) const HOLD_ROWS: usize = 10_000;

/// The conventions of one sheet's money and quantity columns.
pub(super) struct Conventions {
    columns: Vec<Watched>,
    /// Per schema column, what its cells have settled (`Unclear` for columns not watched).
    separators: Vec<Separators>,
}

struct Watched {
    /// Schema column index.
    index: usize,
    /// Cell index in the row.
    source: usize,
    money: bool,
    dot: bool,
    comma: bool,
    /// An ambiguous cell is waiting for the column to settle.
    waiting: bool,
    /// Rows were held as long as allowed: ambiguous cells are errors from now on.
    gave_up: bool,
    /// The first currency written in the column, and its row.
    currency: Option<(Currency, u32)>,
}

impl Conventions {
    pub fn new(map: &HeaderMap) -> Conventions {
        let columns = map
            .columns()
            .iter()
            .enumerate()
            .filter_map(|(index, column)| {
                let money = match column.rule {
                    Rule::Money => true,
                    Rule::Decimal { .. } => false,
                    _ => return None,
                };
                let source = map.source_of.get(index).copied().flatten()?;
                Some(Watched {
                    index,
                    source,
                    money,
                    dot: false,
                    comma: false,
                    waiting: false,
                    gave_up: false,
                    currency: None,
                })
            })
            .collect();
        Conventions {
            columns,
            separators: vec![Separators::Unclear; map.columns().len()],
        }
    }

    /// Per schema column, how `1,234` reads.
    pub fn separators(&self) -> &[Separators] {
        &self.separators
    }

    /// Learn from a row's cells; `true` when the row has an ambiguous cell that the column has
    /// not settled yet (the row should wait).
    pub fn observe(&mut self, row: &RowBuf) -> bool {
        let mut waits = false;
        for watched in &mut self.columns {
            let Some(cell) = row.get(watched.source) else {
                continue;
            };
            if cell.number.is_some() {
                continue;
            }
            // Settled on dot decimals: only a comma, or a second dot, can tell anything new.
            let bytes = cell.text.as_bytes();
            if watched.dot
                && !bytes.contains(&b',')
                && bytes.iter().filter(|&&b| b == b'.').count() <= 1
            {
                continue;
            }
            // A column that already shows both conventions never settles: nothing waits for it.
            let never = watched.gave_up || (watched.dot && watched.comma);
            match number::separator_evidence(cell.text) {
                Some(Evidence::DotDecimal) => watched.dot = true,
                Some(Evidence::CommaDecimal) => watched.comma = true,
                Some(Evidence::Ambiguous) if !never => watched.waiting = true,
                _ => {}
            }
            let settled = match (watched.dot, watched.comma) {
                (true, false) => Separators::DotDecimal,
                (false, true) => Separators::CommaDecimal,
                _ => Separators::Unclear,
            };
            if let Some(slot) = self.separators.get_mut(watched.index) {
                *slot = settled;
            }
            waits |= watched.waiting && settled == Separators::Unclear;
        }
        waits
    }

    /// Every waiting ambiguous cell can now be read.
    pub fn settled(&self) -> bool {
        self.columns.iter().all(|w| {
            !w.waiting
                || self.separators.get(w.index).copied().unwrap_or_default() != Separators::Unclear
        })
    }

    /// The held rows are being processed: stop waiting. A column still unclear stays unclear,
    /// and its ambiguous cells are errors from now on (no more rows are held for it).
    pub fn release(&mut self) {
        for watched in &mut self.columns {
            if watched.waiting
                && self
                    .separators
                    .get(watched.index)
                    .copied()
                    .unwrap_or_default()
                    == Separators::Unclear
            {
                watched.gave_up = true;
            }
            watched.waiting = false;
        }
    }

    /// The currencies written in the row's money cells: `(schema column, currency)`, with an
    /// error for a cell whose currency differs from the column's first one.
    pub fn currencies(&mut self, row: &RowBuf) -> Vec<(usize, Currency, Option<Finding>)> {
        let mut found = Vec::new();
        for watched in self.columns.iter_mut().filter(|w| w.money) {
            let Some(currency) = row
                .get(watched.source)
                .and_then(|cell| number::currency_of(cell.text))
            else {
                continue;
            };
            let mixed = match watched.currency {
                None => {
                    watched.currency = Some((currency, row.row));
                    None
                }
                Some((first, _)) if first == currency => None,
                Some((first, first_row)) => Some(Finding::error(
                    "money.mixed_currency",
                    format!(
                        "this amount is in {} but row {first_row} of this column is in {}: one \
                         column cannot mix currencies; write every amount in the worker's \
                         currency (UK candidates in £, Irish candidates in €)",
                        currency.sign(),
                        first.sign()
                    ),
                )),
            };
            found.push((watched.index, currency, mixed));
        }
        found
    }
}
