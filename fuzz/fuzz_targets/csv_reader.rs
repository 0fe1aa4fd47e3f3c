//! The CSV reader on arbitrary bytes: encoding and delimiter sniffing, quoting, line numbers.
//! Every row is read to the end; errors are fine, panics and hangs are not.
#![no_main]

use std::io::Write as _;

use libfuzzer_sys::fuzz_target;
use nxsys_etl::source::csv::CsvSheet;
use nxsys_etl::source::{RowBuf, SheetReader};

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = tempfile::Builder::new().suffix(".csv").tempfile() else {
        return;
    };
    if file.write_all(data).is_err() {
        return;
    }
    let Ok(mut sheet) = CsvSheet::open(file.path()) else {
        return;
    };
    let mut row = RowBuf::default();
    let mut last = 0;
    while let Ok(true) = sheet.next_row(&mut row) {
        // Rows come in file order, and every cell can be looked at.
        assert!(row.row >= last, "row {} after row {last}", row.row);
        last = row.row;
        for cell in row.cells() {
            let _ = cell.text.len();
        }
    }
    let _ = sheet.take_notes();
});
