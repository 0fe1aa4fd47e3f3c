//! Planted mistakes: each one spoils one cell of a row so that validation must report an error
//! with a known code at that cell. Only mistakes that cannot spill onto other rows are used
//! (no duplicate keys, no change to a timesheet's worker or period).

use super::rows::Cell;

/// A mistake the generator can plant: the column, the bad value, the finding code expected.
struct Mistake {
    header: &'static str,
    value: fn(&[Cell]) -> String,
    code: &'static str,
}

const fn mistake(
    header: &'static str,
    value: fn(&[Cell]) -> String,
    code: &'static str,
) -> Mistake {
    Mistake {
        header,
        value,
        code,
    }
}

/// The NI number with a prefix HMRC never issues, keeping the row's own digits (so unique).
fn bad_ni(row: &[Cell]) -> String {
    let ni = row.get(6).map(Cell::to_csv).unwrap_or_default();
    format!("BG{}", ni.get(2..).unwrap_or(""))
}

const CANDIDATE_MISTAKES: [Mistake; 7] = [
    mistake("NI Number", bad_ni, "ni_number.prefix"),
    mistake("Email", |_| "someone@".into(), "email.format"),
    mistake("Postcode", |_| "SW1A 1A".into(), "postcode.format"),
    mistake("Date of Birth", |_| "31/02/1990".into(), "date.invalid"),
    mistake("Forename", |_| String::new(), "required.missing"),
    mistake(
        "Pay Frequency",
        |_| "Every other Tuesday".into(),
        "enum.unknown",
    ),
    mistake("Sort Code", |_| "12345".into(), "sort_code.length"),
];

const RATE_MISTAKES: [Mistake; 3] = [
    mistake("Units", |_| "Fortnightly".into(), "enum.unknown"),
    mistake("Before NI", |_| "Maybe".into(), "bool.format"),
    mistake("Default VAT Code", |_| "Q".into(), "enum.unknown"),
];

const LINE_MISTAKES: [Mistake; 2] = [
    mistake("Units", |_| "-5".into(), "units.negative"),
    mistake("Rate", |_| "15.5O".into(), "money.format"),
];

/// Which sheet a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    Candidates,
    PaymentRates,
    Timesheets,
}

/// Spoil one cell of `row` (whose columns are `headers`) with mistake number `pick` (taken
/// modulo the mistakes of `sheet`). Returns the column's header and the expected finding code.
pub fn plant(
    sheet: Sheet,
    headers: &[&'static str],
    row: &mut [Cell],
    pick: u64,
) -> Option<(&'static str, &'static str)> {
    let mistakes: &[Mistake] = match sheet {
        Sheet::Candidates => &CANDIDATE_MISTAKES,
        Sheet::PaymentRates => &RATE_MISTAKES,
        Sheet::Timesheets => &LINE_MISTAKES,
    };
    let chosen = mistakes.get((pick % mistakes.len() as u64) as usize)?;
    let column = headers.iter().position(|h| *h == chosen.header)?;
    let bad = (chosen.value)(row);
    *row.get_mut(column)? = Cell::Text(bad);
    Some((chosen.header, chosen.code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::data::{CANDIDATE_HEADERS, RATE_HEADERS, TIMESHEET_HEADERS};
    use crate::synth::rng::Rng;
    use crate::synth::rows;

    #[test]
    fn every_mistake_names_a_column_the_sheet_has() {
        let mut rng = Rng::new(1);
        for pick in 0..7 {
            let mut row = rows::candidate(4, &mut rng);
            let before = row.clone();
            let (header, _) =
                plant(Sheet::Candidates, &CANDIDATE_HEADERS, &mut row, pick).expect("planted");
            let column = CANDIDATE_HEADERS
                .iter()
                .position(|h| *h == header)
                .expect("column");
            assert_ne!(row[column], before[column], "{header} unchanged");
        }
        for pick in 0..3 {
            let mut row = rows::payment_rate(0);
            assert!(plant(Sheet::PaymentRates, &RATE_HEADERS, &mut row, pick).is_some());
        }
        for pick in 0..2 {
            let mut lines = rows::timesheet(0, 0, 1, 3, &mut rng);
            assert!(plant(Sheet::Timesheets, &TIMESHEET_HEADERS, &mut lines[0], pick).is_some());
        }
    }

    #[test]
    fn a_bad_ni_number_keeps_the_workers_digits() {
        let mut rng = Rng::new(1);
        let mut row = rows::candidate(42, &mut rng);
        plant(Sheet::Candidates, &CANDIDATE_HEADERS, &mut row, 0);
        assert!(row[6].to_csv().starts_with("BG 00 00 42"), "{:?}", row[6]);
    }
}
