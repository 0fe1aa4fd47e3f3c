//! The workbook reader (calamine behind `source::open`) on arbitrary bytes, saved under each
//! workbook extension in turn (the first byte chooses which). Every sheet is read to the end.
#![no_main]

use std::io::Write as _;

use libfuzzer_sys::fuzz_target;
use nxsys_etl::source::{self, RowBuf};

const EXTENSIONS: [&str; 5] = [".xlsx", ".xls", ".ods", ".xlsb", ".xlsm"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let ext = EXTENSIONS[usize::from(pick) % EXTENSIONS.len()];
    let Ok(mut file) = tempfile::Builder::new().suffix(ext).tempfile() else {
        return;
    };
    if file.write_all(bytes).is_err() {
        return;
    }
    let Ok(mut opened) = source::open(file.path()) else {
        return;
    };
    let mut row = RowBuf::default();
    for sheet in &mut opened.sheets {
        while let Ok(true) = sheet.next_row(&mut row) {
            let _ = row.cells().count();
        }
        let _ = sheet.take_notes();
    }
});
