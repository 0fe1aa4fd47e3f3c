//! The bad-input corpus: every hostile file, how it is made (deterministically) and what
//! `validate` must answer. Small files are committed under `tests/data/bad/`; big ones (a 5 MB
//! cell, a million empty rows, a zip bomb) are made at test time in a temporary directory.

mod text_cases;
mod workbook_cases;

use super::xlsx::text_row;
use text_cases::text_cases;
use workbook_cases::{big_cases, workbook_cases};

/// One hostile file.
pub struct Case {
    pub name: &'static str,
    /// The exit code `validate` must end with: 1 (rows invalid) or 2 (file unreadable).
    pub exit: i32,
    /// What the output must say besides the file name: the place (row, column) or the problem.
    pub needles: &'static [&'static str],
    /// Made at test time, never committed.
    pub big: bool,
    pub make: fn() -> Vec<u8>,
}

/// Candidate headers, columns A to L.
pub const HEADER: [&str; 12] = [
    "Agency Ref",
    "Title",
    "Forename",
    "Surname",
    "Date of Birth",
    "NI Number",
    "Address Line 1",
    "City",
    "Postcode",
    "Email",
    "Pay Frequency",
    "Payment Model",
];

/// A valid candidate row.
pub const GOOD: [&str; 12] = [
    "AG-001",
    "Mr",
    "Michael",
    "Smith",
    "1990-05-15",
    "JG103759A",
    "1 High Street",
    "London",
    "SW1A 1AA",
    "m.smith@example.com",
    "Weekly",
    "PAYE",
];

fn csv_line(cells: &[&str]) -> String {
    let mut line = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// A candidates CSV: the header, then `GOOD` (with its own reference and NI number) with each
/// `(column, value)` change per row.
fn candidates_csv(rows: &[&[(usize, &str)]]) -> Vec<u8> {
    let mut out = csv_line(&HEADER);
    for (i, changes) in rows.iter().enumerate() {
        let reference = format!("AG-{:03}", i + 1);
        let ni = format!("JG{:06}A", 103_759 + i);
        let mut cells: Vec<&str> = GOOD.to_vec();
        cells[0] = &reference;
        cells[5] = &ni;
        for &(col, value) in changes.iter() {
            cells[col] = value;
        }
        out.push_str(&csv_line(&cells));
    }
    out.into_bytes()
}

/// A candidates sheet of text cells (header in row 1).
fn candidates_sheet(rows: &[&[(usize, &str)]]) -> String {
    let mut data = text_row(1, &HEADER);
    for (i, changes) in rows.iter().enumerate() {
        let reference = format!("AG-{:03}", i + 1);
        let ni = format!("JG{:06}A", 103_759 + i);
        let mut cells: Vec<&str> = GOOD.to_vec();
        cells[0] = &reference;
        cells[5] = &ni;
        for &(col, value) in changes.iter() {
            cells[col] = value;
        }
        data.push_str(&text_row(i as u32 + 2, &cells));
    }
    data
}

/// Deterministic pseudo-random bytes (a linear congruential generator).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        })
        .collect()
}

fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if little { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
    }
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if little {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

const TIMESHEET_HEADER: &str = "Agency Ref,Tax Year,Tax Period,Pay Code,Rate,Units,VAT Code\n";

/// Every case, committed and big.
pub fn cases() -> Vec<Case> {
    let mut all = text_cases();
    all.extend(workbook_cases());
    all.extend(big_cases());
    all
}
