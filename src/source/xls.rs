//! A guard in front of calamine's `.xls` reader, which builds each sheet's whole grid from the
//! positions its cell records claim while opening the file: a damaged or crafted file claiming a
//! cell at column 65,520 makes it allocate tens of gigabytes and the process abort (found by
//! fuzzing; reproducer `tests/data/xls-dense-range-oom.xls`). BIFF8 sheets have 65,536 rows and
//! 256 columns, so any cell record beyond column 256 means the file is damaged: say so before
//! calamine sees it.

use std::io::Read;
use std::path::Path;

/// Cell records: (type, offset of the last column in the body, or `None` when the column at
/// offset 2 is the only one). MULRK and MULBLANK end with their last column.
const CELL_RECORDS: [(u16, bool); 10] = [
    (0x0006, false), // FORMULA
    (0x00BD, true),  // MULRK
    (0x00BE, true),  // MULBLANK
    (0x00D6, false), // RSTRING
    (0x00FD, false), // LABELSST
    (0x0201, false), // BLANK
    (0x0203, false), // NUMBER
    (0x0204, false), // LABEL
    (0x0205, false), // BOOLERR
    (0x027E, false), // RK
];

/// Columns in a BIFF8 sheet.
const MAX_COLUMNS: u16 = 256;

/// Where the first impossible cell record of an `.xls` file points, if any: `(row, column)`,
/// both 0-based. Files that are not compound documents, or have no workbook stream, are left to
/// calamine, which reports them.
pub fn impossible_cell(path: &Path) -> Option<(u16, u16)> {
    let mut file = cfb::open(path).ok()?;
    let name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|name| file.is_stream(name))?;
    let mut stream = Vec::new();
    file.open_stream(name).ok()?.read_to_end(&mut stream).ok()?;
    first_impossible_cell(&stream)
}

fn first_impossible_cell(stream: &[u8]) -> Option<(u16, u16)> {
    let u16_at = |bytes: &[u8], at: usize| -> Option<u16> {
        Some(u16::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
    };
    let mut at = 0;
    while let (Some(kind), Some(len)) = (u16_at(stream, at), u16_at(stream, at + 2)) {
        let start = at + 4;
        let end = (start + usize::from(len)).min(stream.len());
        let body = stream.get(start..end).unwrap_or_default();
        if let Some(&(_, multi)) = CELL_RECORDS.iter().find(|(k, _)| *k == kind) {
            let row = u16_at(body, 0).unwrap_or(0);
            let first = u16_at(body, 2).unwrap_or(0);
            let last = if multi && body.len() >= 6 {
                u16_at(body, body.len() - 2).unwrap_or(first)
            } else {
                first
            };
            if let Some(col) = [first, last].into_iter().find(|&c| c >= MAX_COLUMNS) {
                return Some((row, col));
            }
        }
        at = start + usize::from(len);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut out = kind.to_le_bytes().to_vec();
        out.extend((body.len() as u16).to_le_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn cells_inside_the_sheet_pass_and_a_cell_past_column_256_is_caught() {
        let ok = [
            record(0x0203, &[1, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            record(0x00BD, &[2, 0, 0, 0, 9, 9, 9, 9, 9, 9, 5, 0]),
        ]
        .concat();
        assert_eq!(first_impossible_cell(&ok), None);
        let bad = [
            ok.clone(),
            record(0x00FD, &[0xE5, 0xFF, 0xF0, 0xFF, 0, 0, 0, 0, 0, 0]),
        ]
        .concat();
        assert_eq!(first_impossible_cell(&bad), Some((65509, 65520)));
        let bad_multi = [ok, record(0x00BE, &[3, 0, 1, 0, 0, 0, 0, 1])].concat();
        assert_eq!(first_impossible_cell(&bad_multi), Some((3, 256)));
    }

    #[test]
    fn truncated_records_do_not_panic() {
        assert_eq!(first_impossible_cell(&[0xFD, 0x00, 0x50, 0x00, 1]), None);
        assert_eq!(first_impossible_cell(&[0xFD]), None);
    }

    #[test]
    fn the_fuzz_reproducer_is_caught_and_a_real_xls_passes() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(impossible_cell(&root.join("tests/data/xls-dense-range-oom.xls")).is_some());
        assert_eq!(
            impossible_cell(&root.join("tests/data/monthly-batch.xls")),
            None
        );
    }

    #[test]
    fn opening_the_reproducer_is_a_clear_error_not_an_abort() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/xls-dense-range-oom.xls");
        let err = crate::source::workbook::open(&path)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("256 columns") && err.contains("xls-dense-range-oom.xls"),
            "{err}"
        );
    }
}
