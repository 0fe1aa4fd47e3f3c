//! Cells as the reader hands them on: text as the user sees it, the number a workbook stored (if
//! any), and whether the cell holds a spreadsheet error such as `#REF!`. A [`RowBuf`] holds one
//! row and is reused from row to row, so reading does not allocate per cell.

use std::fmt::Write as _;

use chrono::{Duration, NaiveDate};

/// One cell of the current row, borrowed from a [`RowBuf`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellView<'a> {
    /// The cell's text, trimmed. Dates stored by a workbook are shown as `YYYY-MM-DD`.
    pub text: &'a str,
    /// The number a workbook stored (date serials included); `None` for text and CSV cells.
    pub number: Option<f64>,
    /// The cell holds a spreadsheet error (`#REF!`, `#N/A`…); `text` is that error.
    pub error: bool,
}

impl CellView<'_> {
    /// Nothing typed in the cell.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && !self.error
    }
}

#[derive(Debug, Clone, Copy)]
struct CellMeta {
    start: usize,
    end: usize,
    number: Option<f64>,
    error: bool,
}

/// One row of cells, reused by the readers (clear, then push each cell).
#[derive(Debug, Default, Clone)]
pub struct RowBuf {
    text: String,
    cells: Vec<CellMeta>,
    /// 1-based row number as the user sees it (the line of a CSV record, the row of a sheet).
    pub row: u32,
}

impl RowBuf {
    /// Forget the previous row, keeping the allocations.
    pub fn clear(&mut self) {
        self.text.clear();
        self.cells.clear();
    }

    /// Append a text cell (trimmed).
    pub fn push_text(&mut self, text: &str) {
        let start = self.text.len();
        self.text.push_str(trim(text));
        self.finish(start, None, false);
    }

    /// Append a cell whose text is formatted in place (numbers, dates), without a temporary string.
    pub fn push_fmt(&mut self, args: std::fmt::Arguments<'_>, number: Option<f64>) {
        let start = self.text.len();
        let _ = self.text.write_fmt(args);
        self.finish(start, number, false);
    }

    /// Append an integer cell, written as `{value}` would write it, without the formatting
    /// machinery (most workbook cells are whole numbers; this is the reading thread's hot spot).
    pub fn push_integer(&mut self, value: i64, number: Option<f64>) {
        let start = self.text.len();
        if value < 0 {
            self.text.push('-');
        }
        crate::model::digits::push_digits(&mut self.text, value.unsigned_abs());
        self.finish(start, number, false);
    }

    /// Append a date as `YYYY-MM-DD` (then ` HH:MM` when `time` is given), as chrono's
    /// `%Y-%m-%d` writes it, without parsing a format string per cell.
    pub fn push_date(&mut self, date: NaiveDate, time: Option<(u32, u32)>, number: Option<f64>) {
        use chrono::Datelike as _;
        let start = self.text.len();
        let year = date.year();
        if (0..=9999).contains(&year) {
            let two = |n: u32| [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8];
            let year = year.unsigned_abs();
            let [y0, y1] = two(year / 100);
            let [y2, y3] = two(year % 100);
            let [m0, m1] = two(date.month());
            let [d0, d1] = two(date.day());
            for b in [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] {
                self.text.push(char::from(b));
            }
        } else {
            let _ = write!(self.text, "{}", date.format("%Y-%m-%d"));
        }
        if let Some((hours, minutes)) = time {
            let _ = write!(self.text, " {hours:02}:{minutes:02}");
        }
        self.finish(start, number, false);
    }

    /// Append a cell holding a spreadsheet error, shown as e.g. `#REF!`.
    pub fn push_error(&mut self, shown: &str) {
        let start = self.text.len();
        self.text.push_str(shown);
        self.finish(start, None, true);
    }

    fn finish(&mut self, start: usize, number: Option<f64>, error: bool) {
        self.cells.push(CellMeta {
            start,
            end: self.text.len(),
            number,
            error,
        });
    }

    /// Number of cells in the row (trailing empty cells included).
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// The row has no cells at all.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Every cell is empty.
    pub fn is_blank(&self) -> bool {
        self.cells().all(|c| c.is_empty())
    }

    /// The cell at 0-based column `index`; `None` past the end of the row.
    pub fn get(&self, index: usize) -> Option<CellView<'_>> {
        let meta = self.cells.get(index)?;
        Some(CellView {
            text: self.text.get(meta.start..meta.end).unwrap_or(""),
            number: meta.number,
            error: meta.error,
        })
    }

    /// The cells in column order.
    pub fn cells(&self) -> impl Iterator<Item = CellView<'_>> {
        (0..self.cells.len()).filter_map(|i| self.get(i))
    }
}

/// `text.trim()`, answered without decoding characters when the text starts and ends with a
/// visible ASCII character (nearly every cell, which the readers have trimmed already).
#[inline]
pub fn trim(text: &str) -> &str {
    let visible = |b: &u8| (b'!'..=b'~').contains(b);
    match text.as_bytes() {
        [] => text,
        [first, .., last] if visible(first) && visible(last) => text,
        [only] if visible(only) => text,
        _ => text.trim(),
    }
}

/// The spreadsheet letters of a 0-based column: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The 0-based column of spreadsheet letters: `A` → 0, `AA` → 26. `None` if not letters.
pub fn column_index(letters: &str) -> Option<usize> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    letters
        .bytes()
        .try_fold(0usize, |n, b| {
            b.is_ascii_uppercase()
                .then(|| n * 26 + usize::from(b - b'A') + 1)
        })
        .map(|n| n - 1)
}

/// The calendar date of an Excel serial number, in the 1900 or 1904 date system.
/// `None` for serials outside the range Excel can show.
pub fn excel_serial_to_date(serial: f64, date1904: bool) -> Option<NaiveDate> {
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.trunc() as i64;
    if date1904 {
        NaiveDate::from_ymd_opt(1904, 1, 1)?.checked_add_signed(Duration::days(days))
    } else {
        // Excel counts the non-existent 29 February 1900, so serials from 61 on are one day
        // ahead of a plain count from 31 December 1899.
        let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
        let days = if days < 61 { days + 1 } else { days };
        base.checked_add_signed(Duration::days(days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        for i in [0, 25, 26, 27, 701, 702] {
            assert_eq!(column_index(&column_letter(i)), Some(i));
        }
        assert_eq!(column_index("a1"), None);
        assert_eq!(column_index(""), None);
    }

    #[test]
    fn serials_in_both_date_systems() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(excel_serial_to_date(45000.0, false), d(2023, 3, 15));
        assert_eq!(excel_serial_to_date(1.0, false), d(1900, 1, 1));
        assert_eq!(excel_serial_to_date(61.0, false), d(1900, 3, 1));
        assert_eq!(excel_serial_to_date(45000.0 - 1462.0, true), d(2023, 3, 15));
        assert_eq!(excel_serial_to_date(-1.0, false), None);
        assert_eq!(excel_serial_to_date(f64::NAN, false), None);
    }

    #[test]
    fn row_buffer_reuses_and_trims() {
        let mut row = RowBuf::default();
        row.push_text("  QQ123456C ");
        row.push_fmt(format_args!("{}", 12.5), Some(12.5));
        row.push_error("#REF!");
        assert_eq!(row.len(), 3);
        assert_eq!(row.get(0).map(|c| c.text), Some("QQ123456C"));
        assert_eq!(row.get(1).and_then(|c| c.number), Some(12.5));
        assert!(row.get(2).is_some_and(|c| c.error && !c.is_empty()));
        assert!(row.get(3).is_none());
        row.clear();
        row.push_text("");
        assert!(row.is_blank());
    }

    proptest::proptest! {
        /// The hand-written integer and date formats write what `format!` and chrono write.
        #[test]
        fn fast_formats_match_the_formatting_machinery(
            value in proptest::prelude::any::<i64>(),
            days in -800_000i64..3_700_000,
            secs in proptest::option::of(0u32..86_400),
        ) {
            let mut row = RowBuf::default();
            row.push_integer(value, None);
            let written = value.to_string();
            proptest::prop_assert_eq!(row.get(0).map(|c| c.text), Some(written.as_str()));
            let base = NaiveDate::from_ymd_opt(1899, 12, 30).expect("date");
            let date = base.checked_add_signed(Duration::days(days)).expect("in range");
            let time = secs.map(|s| (s / 3600, s / 60 % 60));
            row.push_date(date, time, None);
            let mut want = date.format("%Y-%m-%d").to_string();
            if let Some((h, m)) = time {
                want.push_str(&format!(" {h:02}:{m:02}"));
            }
            proptest::prop_assert_eq!(row.get(1).map(|c| c.text), Some(want.as_str()));
        }
    }
}
