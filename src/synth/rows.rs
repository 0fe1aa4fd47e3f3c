//! The rows of a batch: workers, pay codes and timesheet lines, as typed cells. Every row is
//! valid by construction; [`super::plant`] spoils some of them on purpose.

use chrono::{Days, NaiveDate};

use super::data::{
    FEMALE_NAMES, INWARD_LETTERS, JOBS, MALE_NAMES, RATE_KINDS, RateKind, STREETS, SURNAMES, TOWNS,
};
use super::rng::Rng;

/// How a date is spelt in a CSV file (a workbook holds a real date either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// `15/05/1990`, as UK staff type it.
    Uk,
    /// `1990-05-15`.
    Iso,
}

/// One cell of a generated row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, written as a string in every format (identifiers stay text).
    Text(String),
    /// A number, spelt exactly; a workbook stores it as a number.
    Number(String),
    /// A date; a workbook stores it as a date.
    Date(NaiveDate, DateStyle),
}

impl Cell {
    /// The cell as it reads in a CSV file.
    pub fn to_csv(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Number(s) => s.clone(),
            Cell::Date(d, DateStyle::Uk) => d.format("%d/%m/%Y").to_string(),
            Cell::Date(d, DateStyle::Iso) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// The Agency Ref of worker `index` (0-based): `AG-000001`…
pub fn agency_ref(index: u64) -> String {
    format!("AG-{:06}", index + 1)
}

/// The pay code of code `index` (0-based): `PR1000`…
pub fn pay_code(index: u64) -> String {
    format!("PR{}", 1000 + index)
}

/// The kind of pay code `index`.
pub fn rate_kind(index: u64) -> &'static RateKind {
    &RATE_KINDS[(index % RATE_KINDS.len() as u64) as usize]
}

/// Worker `index` (0-based, below 1,000,000 so the NI number is unique) in
/// [`super::data::CANDIDATE_HEADERS`] order.
pub fn candidate(index: u64, rng: &mut Rng) -> Vec<Cell> {
    let female = rng.below(2) == 0;
    let (city, county, outward) = rng.pick(TOWNS);
    let forename = rng.pick(if female { FEMALE_NAMES } else { MALE_NAMES });
    let surname = rng.pick(SURNAMES);
    let letter = |rng: &mut Rng| char::from(rng.pick(INWARD_LETTERS));
    let inward = format!("{}{}{}", rng.below(10), letter(rng), letter(rng));
    let born = date(
        1960 + rng.below(45) as i32,
        1 + rng.below(12) as u32,
        1 + rng.below(28) as u32,
    );
    let digits = format!("{:06}", index % 1_000_000);
    let ni = format!(
        "AB {} {} {} {}",
        &digits[0..2],
        &digits[2..4],
        &digits[4..6],
        rng.pick(&['A', 'B', 'C', 'D'])
    );
    vec![
        text(agency_ref(index)),
        text(if female { "Ms" } else { "Mr" }),
        text(if female { "Female" } else { "Male" }),
        text(forename),
        text(surname),
        Cell::Date(born, DateStyle::Uk),
        text(ni),
        text(format!("{} {}", 1 + rng.below(150), rng.pick(STREETS))),
        text(city),
        text(county),
        text(format!("{outward} {inward}")),
        text("GB"),
        text(format!("07700 900{:03}", index % 1000)),
        text(format!("{}.{}{}@example.com", forename, surname, index + 1).to_lowercase()),
        text("Weekly"),
        text(rng.pick(JOBS)),
        text("Example Bank"),
        text(format!("{:08}", 10_000_000 + rng.below(89_999_999))),
        text(format!(
            "{:02}-{:02}-{:02}",
            10 + rng.below(89),
            rng.below(100),
            rng.below(100)
        )),
        text("PAYE"),
    ]
}

/// Pay code `index` (0-based) in [`super::data::RATE_HEADERS`] order.
pub fn payment_rate(index: u64) -> Vec<Cell> {
    let kind = rate_kind(index);
    let round = index / RATE_KINDS.len() as u64;
    let description = if round == 0 {
        kind.description.to_string()
    } else {
        format!("{} ({})", kind.description, round + 1)
    };
    rate_row(pay_code(index), description, kind)
}

/// A payment-rates row in [`super::data::RATE_HEADERS`] order for `code` of `kind`: active,
/// shown on the payslip, invoiced, VAT code `S`, and before NI, tax and pension unless it is a
/// cost of materials.
pub fn rate_row(code: String, description: String, kind: &RateKind) -> Vec<Cell> {
    let taxable = if kind.kind == "Cost of Materials" {
        "No"
    } else {
        "Yes"
    };
    vec![
        text(code),
        text(description),
        text(kind.kind),
        text(kind.units),
        Cell::Number(kind.hours_per_unit.to_string()),
        text("Active"),
        text("Yes"),
        text(taxable),
        text(taxable),
        text(taxable),
        text("Yes"),
        text("S"),
    ]
}

/// Week `period` (0-based, counted from tax week 1 of 2025/26): tax year, tax period (1–52),
/// start and end date.
pub fn week(period: u64) -> (i32, u32, NaiveDate, NaiveDate) {
    let year = 2025 + (period / 52) as i32;
    let tax_period = (period % 52) as u32 + 1;
    let start = date(year, 4, 6)
        .checked_add_days(Days::new(7 * u64::from(tax_period - 1)))
        .unwrap_or_default();
    let end = start.checked_add_days(Days::new(6)).unwrap_or_default();
    (year, tax_period, start, end)
}

/// The lines of one weekly timesheet of `worker` in `period`: `lines` lines (at most four) on
/// distinct pay codes drawn from `pay_codes`, in [`super::data::TIMESHEET_HEADERS`] order.
pub fn timesheet(
    worker: u64,
    period: u64,
    lines: usize,
    pay_codes: u64,
    rng: &mut Rng,
) -> Vec<Vec<Cell>> {
    let (year, tax_period, start, end) = week(period);
    let mut codes: Vec<u64> = Vec::with_capacity(lines);
    while codes.len() < lines.min(pay_codes as usize) {
        let code = rng.below(pay_codes);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
        .into_iter()
        .map(|code| {
            let kind = rate_kind(code);
            let (min, max) = kind.line_units;
            let whole = min + rng.below(max - min + 1);
            let units = if kind.halves && whole < max && rng.below(2) == 0 {
                format!("{whole}.5")
            } else {
                whole.to_string()
            };
            vec![
                text(agency_ref(worker)),
                Cell::Date(start, DateStyle::Iso),
                Cell::Date(end, DateStyle::Iso),
                Cell::Number(year.to_string()),
                Cell::Number(tax_period.to_string()),
                text(pay_code(code)),
                Cell::Number(kind.rate.to_string()),
                Cell::Number(units),
                text("S"),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_run_from_6_april_and_roll_into_the_next_tax_year() {
        assert_eq!(week(0), (2025, 1, date(2025, 4, 6), date(2025, 4, 12)));
        assert_eq!(week(51).1, 52);
        assert_eq!(week(52), (2026, 1, date(2026, 4, 6), date(2026, 4, 12)));
    }

    #[test]
    fn a_timesheet_never_repeats_a_pay_code_nor_exceeds_the_codes_available() {
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let lines = timesheet(1, 0, 4, 5, &mut rng);
            let mut codes: Vec<String> = lines.iter().map(|l| l[5].to_csv()).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), 4);
        }
        assert_eq!(timesheet(1, 0, 3, 1, &mut rng).len(), 1);
    }

    #[test]
    fn ni_numbers_of_different_workers_differ() {
        let mut rng = Rng::new(9);
        let a = candidate(12, &mut rng)[6].to_csv();
        let b = candidate(13, &mut rng)[6].to_csv();
        assert_ne!(a[..11], b[..11]);
        assert!(a.starts_with("AB 00 00 12"), "{a}");
    }
}
