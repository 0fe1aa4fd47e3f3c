//! The baselines of `scripts/bench`: read the same files with the parsing crate alone, doing
//! nothing with the values, so a validation run can be compared with the least work possible.
//!
//! ```text
//! cargo run --release --example bench_raw -- csv FILE...        # csv crate, byte records
//! cargo run --release --example bench_raw -- calamine FILE...   # calamine, every sheet's range
//! ```
//!
//! Prints one line: `ROWS SECONDS PEAK_RSS_KIB` (data rows, header rows included).

use std::path::PathBuf;
use std::time::Instant;

use calamine::{Data, Reader, open_workbook_auto};

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let start = Instant::now();
    let rows = match mode.as_str() {
        "csv" => raw_csv(&files)?,
        "calamine" => raw_calamine(&files)?,
        other => return Err(format!("unknown mode '{other}': use csv or calamine").into()),
    };
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{rows} {seconds:.6} {}",
        common::peak_rss_kib().unwrap_or(0)
    );
    Ok(())
}

/// Every record of every file, as bytes (no UTF-8 check, no allocation per row).
fn raw_csv(files: &[PathBuf]) -> Result<u64, Box<dyn std::error::Error>> {
    let mut rows = 0u64;
    let mut bytes = 0usize;
    for file in files {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(file)?;
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record)? {
            rows += 1;
            bytes += record.as_slice().len();
        }
    }
    std::hint::black_box(bytes);
    Ok(rows)
}

/// Every sheet of every workbook loaded as a range, and every cell looked at once.
fn raw_calamine(files: &[PathBuf]) -> Result<u64, Box<dyn std::error::Error>> {
    let mut rows = 0u64;
    let mut filled = 0usize;
    for file in files {
        let mut workbook = open_workbook_auto(file)?;
        for name in workbook.sheet_names() {
            let range = workbook.worksheet_range(&name)?;
            for row in range.rows() {
                rows += 1;
                filled += row.iter().filter(|c| !matches!(c, Data::Empty)).count();
            }
        }
    }
    std::hint::black_box(filled);
    Ok(rows)
}
