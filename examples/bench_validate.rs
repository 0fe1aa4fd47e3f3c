//! Validation speed against raw CSV parsing (a benchmark, not a test: it prints figures).
//!
//! ```text
//! cargo run --release --example bench_validate [-- LINES]     # default 1,000,000
//! ```
//!
//! Writes a batch of LINES timesheet lines with `synth::generate` (with its 60 or more workers
//! and 10 pay codes, so reference checks run), then times (1) reading every record of the
//! timesheets file with the `csv` crate alone and (2) `schema::validate_files` on the batch —
//! every cell through its rule, lines grouped into timesheets, batch checks — and prints rows per second for both and their ratio. The
//! issue's target is a ratio of at least 0.5. Peak memory is printed from /proc when available
//! (it should not grow with LINES).
//!
//! Measured 2026-11-29 (on the earlier hand-written file of the same shape: 3 lines a
//! timesheet, 60 workers, 10 pay codes) on the shared 2-core build machine (crate at opt-level 2, load ~10):
//! raw csv 4.9 M rows/s; validate 118 k rows/s (ratio 0.02); peak memory 4 MB for 1 M lines.
//! About half the validation time is in the cell rules (number parsing alone ~23 %), the CSV
//! reader ~13 %, building and grouping timesheet lines ~15 %.

use std::path::{Path, PathBuf};
use std::time::Instant;

use nxsys_etl::rules::Enums;
use nxsys_etl::schema::{ReadOptions, validate_files};
use nxsys_etl::synth::{self, Spec};

mod common;

/// A valid batch from [`synth::generate`] with `lines` timesheet lines, three to a weekly
/// timesheet (consecutive, as payroll exports are sorted), 10 pay codes and at least 60 workers
/// (more when the weeks would otherwise run past [`synth::MAX_PERIODS`]). Returns the
/// candidates, payment-rates and timesheets files.
fn write_batch(dir: &Path, lines: u64) -> Result<Vec<PathBuf>, synth::SynthError> {
    let timesheets = lines.div_ceil(3);
    let spec = Spec {
        workers: timesheets.div_ceil(synth::MAX_PERIODS).max(60),
        pay_codes: 10,
        timesheet_lines: lines,
        timesheets: Some(timesheets),
        ..Spec::default()
    };
    Ok(synth::generate(&spec, dir)?.files)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lines: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let files = write_batch(dir.path(), lines)?;
    let timesheets = files.last().ok_or("synth wrote no timesheets file")?;
    let size = std::fs::metadata(timesheets)?.len();
    println!("{lines} timesheet lines, {:.1} MB", size as f64 / 1e6);

    let start = Instant::now();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(timesheets)?;
    let mut record = csv::ByteRecord::new();
    let mut raw_rows = 0u64;
    let mut raw_bytes = 0usize;
    while reader.read_byte_record(&mut record)? {
        raw_rows += 1;
        raw_bytes += record.as_slice().len();
    }
    let raw = start.elapsed();
    let raw_rate = raw_rows as f64 / raw.as_secs_f64();
    println!(
        "raw csv parsing:  {raw_rows} rows in {:.2} s = {:>10.0} rows/s ({raw_bytes} field bytes)",
        raw.as_secs_f64(),
        raw_rate
    );

    let opts = ReadOptions {
        enums: Enums::embedded(),
        ..ReadOptions::default()
    };
    let start = Instant::now();
    let mut records = 0u64;
    let summary = validate_files(&files, &opts, |_| records += 1)?;
    let took = start.elapsed();
    let rows: u64 = summary.counts.values().map(|c| c.rows).sum();
    let rate = rows as f64 / took.as_secs_f64();
    println!(
        "validate:         {rows} rows in {:.2} s = {rate:>10.0} rows/s ({records} records, {} invalid rows)",
        took.as_secs_f64(),
        summary.counts.values().map(|c| c.invalid).sum::<u64>()
    );
    println!("ratio validate/raw: {:.2} (target ≥ 0.5)", rate / raw_rate);
    if let Some(kib) = common::peak_rss_kib() {
        println!("peak memory: {:.1} MB", kib as f64 / 1024.0);
    }
    Ok(())
}
