//! Dates as people and spreadsheets write them in the UK and Ireland. Day comes before month:
//! month-first (US) dates are rejected when the day makes them impossible to misread.
//!
//! Accepted: ISO `2025-03-01` (a time after it is ignored), `1/3/2025` and `01/03/2025` (also
//! with `-` or `.`), two-digit years `01/03/25` (with a warning), month names `01-Mar-2025`,
//! `1 March 2025`, `1st March 2025`, `March 1, 2025`, and Excel date serials (1900 system with
//! its fictional 29 February 1900, or the 1904 system of old Mac workbooks).

use chrono::{Datelike, Days, NaiveDate};

use super::{Checked, Finding, Input, RuleResult};

/// The accepted forms, for messages.
pub const ACCEPTED: &str = "2025-03-01, 1/3/2025, 01-Mar-2025 or 1 March 2025";

/// Smallest Excel serial read as a date (1 January 1910 in the 1900 system): smaller numbers
/// in a date column are years or typing slips, not dates anyone on a payroll needs.
const MIN_SERIAL: f64 = 3654.0;

/// Earliest and latest years accepted.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Check a date cell.
pub fn date(input: &Input<'_>) -> RuleResult<NaiveDate> {
    let raw = super::trim(input.text);
    let checked = match input.number {
        Some(serial) => Checked::clean(from_serial(serial, input.date1904, raw)?),
        None => parse_text(raw)?,
    };
    if !YEARS.contains(&checked.value.year()) {
        return Err(Finding::error(
            "date.range",
            format!(
                "'{raw}' is in the year {}, outside {}-{}: check the date",
                checked.value.year(),
                YEARS.start(),
                YEARS.end()
            ),
        ));
    }
    Ok(checked)
}

/// The date of an Excel serial number; any time of day (the fraction) is ignored.
pub fn from_serial(serial: f64, date1904: bool, raw: &str) -> Result<NaiveDate, Finding> {
    if !serial.is_finite() || !(MIN_SERIAL..2_958_466.0).contains(&serial) {
        let what = if (1900.0..=2100.0).contains(&serial) && serial.fract() == 0.0 {
            "looks like a year on its own"
        } else {
            "is a number, not a date"
        };
        return Err(Finding::error(
            "date.serial",
            format!("'{raw}' {what}: type the full date, e.g. {ACCEPTED}"),
        ));
    }
    // In range, so the whole days fit a u64 exactly.
    let days = serial.trunc() as u64;
    let (base, days) = if date1904 {
        (NaiveDate::from_ymd_opt(1904, 1, 1), days)
    } else {
        // Excel counts a 29 February 1900 that never existed (Lotus 1-2-3's leap-year bug), so
        // from serial 61 on, day 1 is effectively 30 December 1899. Serials before 1910 were
        // rejected above, which also rejects that fictional day (serial 60).
        (NaiveDate::from_ymd_opt(1899, 12, 30), days)
    };
    base.and_then(|b| b.checked_add_days(Days::new(days)))
        .ok_or_else(|| Finding::error("date.serial", format!("'{raw}' is not a date")))
}

/// Parse a date written as text.
fn parse_text(raw: &str) -> RuleResult<NaiveDate> {
    match iso_date(raw) {
        Some(date) => Ok(Checked::clean(date)),
        None => parse_general(raw),
    }
}

/// Fast path for the most common spelling, a real date as `YYYY-MM-DD`: the same answer as
/// [`parse_general`] without splitting the text into a vector (profiled: dates were about a
/// tenth of validation time).
fn iso_date(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .and_then(|_| raw.get(range))
            .and_then(|s| s.parse::<u32>().ok())
    };
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

/// Any spelling `parse_text` accepts.
fn parse_general(raw: &str) -> RuleResult<NaiveDate> {
    // Drop a time of day written after the date ("2024-01-15T14:15:22Z", "01/03/2025 00:00").
    let text = raw
        .find(':')
        .and_then(|colon| raw.get(..colon))
        .and_then(|before_time| before_time.rfind(['T', ' ']))
        .and_then(|cut| raw.get(..cut))
        .unwrap_or(raw);
    let parts: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || "/-.,".contains(c))
        .filter(|p| !p.is_empty())
        .collect();
    let numeric = parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
    match parts.as_slice() {
        [y, m, d] if numeric && y.len() == 4 => build(raw, d, m, y),
        [d, m, y] if numeric => {
            if let (Ok(first), Ok(second)) = (d.parse::<u32>(), m.parse::<u32>())
                && second > 12
                && (1..=12).contains(&first)
            {
                return Err(Finding::error(
                    "date.us_format",
                    format!(
                        "'{raw}' is written month first (US style), which this tool does not \
                         accept: write day first, e.g. {second}/{first}/{y}, or as {ACCEPTED}"
                    ),
                ));
            }
            build(raw, d, m, y)
        }
        [a, b, y] => match (month_number(a), month_number(b)) {
            (None, Some(m)) => build(raw, a, &m.to_string(), y),
            (Some(m), None) => build(raw, b, &m.to_string(), y),
            _ => Err(unrecognised(raw)),
        },
        _ => Err(unrecognised(raw)),
    }
}

/// Build the date from day, month and year text (year of 2 or 4 digits).
fn build(raw: &str, day: &str, month: &str, year: &str) -> RuleResult<NaiveDate> {
    let day = strip_ordinal(day);
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty();
    if !digits(day) || !digits(month) || !matches!(year.len(), 2 | 4) || !digits(year) {
        return Err(unrecognised(raw));
    }
    let (Ok(d), Ok(m), Ok(y)) = (
        day.parse::<u32>(),
        month.parse::<u32>(),
        year.parse::<i32>(),
    ) else {
        return Err(unrecognised(raw));
    };
    let mut warnings = Vec::new();
    let y = if year.len() == 2 {
        // POSIX strptime's pivot: 69-99 are 1900s, 00-68 are 2000s.
        let full = if y >= 69 { 1900 + y } else { 2000 + y };
        warnings.push(Finding::warning(
            "date.two_digit_year",
            format!("'{raw}' has a two-digit year, read as {full}: write the year in full"),
        ));
        full
    } else {
        y
    };
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| {
        Finding::error(
            "date.invalid",
            format!("'{raw}' is not a real date (day {d}, month {m}, year {y}): correct it"),
        )
    })?;
    Ok(Checked {
        value: date,
        warnings,
    })
}

/// "1st" → "1"; other text unchanged.
fn strip_ordinal(day: &str) -> &str {
    ["st", "nd", "rd", "th", "ST", "ND", "RD", "TH"]
        .iter()
        .find_map(|s| day.strip_suffix(s))
        .unwrap_or(day)
}

/// 1–12 for an English month name or its abbreviation ("Mar", "Sept", "march").
fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.to_lowercase();
    if word.len() < 3 {
        return None;
    }
    let word = if word == "sept" { "sep" } else { word.as_str() };
    (1..)
        .zip(MONTHS)
        .find_map(|(n, name)| name.starts_with(word).then_some(n))
}

fn unrecognised(raw: &str) -> Finding {
    let hint = if raw.bytes().all(|b| b.is_ascii_digit()) {
        " (if it is an Excel date number, format the column as a date before saving as CSV)"
    } else {
        ""
    };
    Finding::error(
        "date.format",
        format!("'{raw}' is not a date this tool can read{hint}: write it as {ACCEPTED}"),
    )
}

#[cfg(test)]
mod tests;
