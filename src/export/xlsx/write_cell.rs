//! Writing one typed [`Cell`] into a worksheet. Text is always written as a string cell (never as
//! a formula), money as a number with the currency format.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, Worksheet, XlsxError};

use super::styles::Styles;
use crate::export::cell::Cell;

/// Excel's limit on the characters in one cell.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Write `cell` at `(row, col)`. Returns `true` when a text was cut to Excel's cell limit.
pub fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell<'_>,
    styles: &Styles,
) -> Result<bool, XlsxError> {
    match cell {
        Cell::Blank => {}
        Cell::Text(text) => return write_text(sheet, row, col, text, None),
        Cell::Integer(i) => {
            // Within ±2^53 (checked when the cell was typed): exact as an f64.
            sheet.write_number(row, col, *i as f64)?;
        }
        Cell::Number(n) => {
            sheet.write_number(row, col, *n)?;
        }
        Cell::Money(amount) => match amount.to_f64() {
            Some(n) => {
                sheet.write_number_with_format(row, col, n, &styles.money)?;
            }
            None => return write_text(sheet, row, col, &amount.to_string(), None),
        },
        Cell::Bool(b) => {
            sheet.write_boolean(row, col, *b)?;
        }
        Cell::Date(date) => match excel_date(date) {
            Some(dt) => {
                sheet.write_datetime_with_format(row, col, &dt, &styles.date)?;
            }
            None => return write_text(sheet, row, col, &date.to_string(), None),
        },
        Cell::DateTime(datetime) => match excel_datetime(datetime) {
            Some(dt) => {
                sheet.write_datetime_with_format(row, col, &dt, &styles.datetime)?;
            }
            None => return write_text(sheet, row, col, &datetime.to_string(), None),
        },
    }
    Ok(false)
}

/// A string cell, cut to Excel's limit (which Excel would otherwise refuse to open).
pub fn write_text(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    format: Option<&Format>,
) -> Result<bool, XlsxError> {
    let (text, cut) = match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((end, _)) => (&text[..end], true),
        None => (text, false),
    };
    match format {
        Some(format) => sheet.write_string_with_format(row, col, text, format)?,
        None => sheet.write_string(row, col, text)?,
    };
    Ok(cut)
}

/// A date Excel can show (years 1900–9999); `None` otherwise, and the caller writes text.
fn excel_date(date: &NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(date.year())
        .ok()
        .filter(|y| (1900..=9999).contains(y))?;
    ExcelDateTime::from_ymd(year, date.month() as u8, date.day() as u8).ok()
}

fn excel_datetime(datetime: &NaiveDateTime) -> Option<ExcelDateTime> {
    let millis = (datetime.nanosecond() / 1_000_000).min(999) as u16;
    excel_date(&datetime.date())?
        .and_hms_milli(
            datetime.hour() as u16,
            datetime.minute() as u8,
            datetime.second() as u8,
            millis,
        )
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::Workbook;

    #[test]
    fn texts_beyond_excels_limit_are_cut_and_reported() {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let long = "é".repeat(MAX_CELL_CHARS + 5);
        assert!(write_text(sheet, 0, 0, &long, None).expect("written"));
        assert!(!write_text(sheet, 1, 0, &long[..2 * MAX_CELL_CHARS], None).expect("written"));
    }

    #[test]
    fn dates_excel_cannot_show_fall_back_to_text() {
        assert!(excel_date(&NaiveDate::from_ymd_opt(1899, 12, 31).expect("date")).is_none());
        assert!(excel_date(&NaiveDate::from_ymd_opt(10000, 1, 1).expect("date")).is_none());
        assert!(excel_date(&NaiveDate::from_ymd_opt(1900, 1, 1).expect("date")).is_some());
        assert!(excel_date(&NaiveDate::from_ymd_opt(2025, 4, 5).expect("date")).is_some());
    }
}
