//! Synthetic batches of any size for benchmarks and tests: UK workers, pay codes and weekly
//! timesheet lines in the canonical template headers, as CSV files or xlsx workbooks.
//!
//! A batch is valid by construction: `validate` reports no error on it. With an error share
//! above zero, that share of rows (drawn at random) carries one planted mistake each, and the
//! file `expected/planted.csv` lists them — file, row, column, the finding code validation must give —
//! so tests can check that every one is reported at its cell. The same [`Spec`] (seed
//! included) always writes the same bytes, and planting never changes the other cells: a batch
//! with errors differs from the clean one only in the planted cells.
//!
//! ```no_run
//! use nxsys_etl::synth::{Format, Spec, generate};
//! let spec = Spec { workers: 100, pay_codes: 10, timesheet_lines: 1_000, ..Spec::default() };
//! let summary = generate(&spec, std::path::Path::new("batch"))?;
//! assert_eq!(summary.lines, 1_000);
//! # Ok::<(), nxsys_etl::synth::SynthError>(())
//! ```

mod data;
mod plant;
mod rng;
mod rows;
mod sink;

use std::path::{Path, PathBuf};

pub use data::{CANDIDATE_HEADERS, RATE_HEADERS, TIMESHEET_HEADERS};
pub use rng::Rng;
pub use rows::{Cell, DateStyle, agency_ref, pay_code};
pub use sink::Format;

use plant::{Sheet, plant};
use sink::Sink;

/// The most workers a batch can have (their NI numbers are `AB nn nn nn X`, all distinct).
pub const MAX_WORKERS: u64 = 1_000_000;
/// The most data rows one xlsx sheet can hold.
pub const MAX_XLSX_ROWS: u64 = 1_048_575;
/// The most weekly periods a worker's timesheets run over: 50 tax years from 2025/26, so that
/// every date and tax year stays inside what validation accepts.
pub const MAX_PERIODS: u64 = 52 * 50;
/// The most lines a generated timesheet has (so hourly lines never pass 168 hours a week).
pub const MAX_LINES_PER_TIMESHEET: u64 = 4;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Workers (UK candidates), at least 1.
    pub workers: u64,
    /// Pay codes (payment rates), at least 1.
    pub pay_codes: u64,
    /// Timesheet lines in all.
    pub timesheet_lines: u64,
    /// Spread the lines over exactly this many timesheets (else 1–3 lines each, at random).
    pub timesheets: Option<u64>,
    /// Share of rows, 0.0–1.0, that carry a planted mistake.
    pub error_share: f64,
    /// Seed of every random choice.
    pub seed: u64,
    pub format: Format,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            workers: 100,
            pay_codes: 10,
            timesheet_lines: 1_000,
            timesheets: None,
            error_share: 0.0,
            seed: 1,
            format: Format::Csv,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Candidates, payment rates and timesheets files, in that order.
    pub files: Vec<PathBuf>,
    /// The list of planted mistakes (`file,row,column,code`; header only when none).
    pub manifest: PathBuf,
    pub workers: u64,
    pub pay_codes: u64,
    pub lines: u64,
    pub timesheets: u64,
    /// Rows carrying a planted mistake.
    pub planted: u64,
}

/// Why a batch could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{0}")]
    Spec(String),
    #[error("cannot write {}: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {message}", file.display())]
    Write { file: PathBuf, message: String },
}

impl Spec {
    /// Check the numbers make a batch that can be valid; the message says what to change.
    pub fn check(&self) -> Result<(), SynthError> {
        let bad = |m: String| Err(SynthError::Spec(m));
        if !(1..=MAX_WORKERS).contains(&self.workers) {
            return bad(format!("--workers must be between 1 and {MAX_WORKERS}"));
        }
        if !(1..=100_000).contains(&self.pay_codes) {
            return bad("--pay-codes must be between 1 and 100000".into());
        }
        if !(0.0..=1.0).contains(&self.error_share) {
            return bad("--error-share must be between 0 and 1 (e.g. 0.05 for 5 %)".into());
        }
        if let Some(t) = self.timesheets {
            let per = self.timesheet_lines.div_ceil(t.max(1));
            if t == 0 || t > self.timesheet_lines {
                return bad("--timesheets must be between 1 and the number of lines".into());
            }
            if per > MAX_LINES_PER_TIMESHEET || per > self.pay_codes {
                return bad(format!(
                    "{} lines over {t} timesheets is {per} lines a timesheet; a generated \
                     timesheet has at most {MAX_LINES_PER_TIMESHEET} lines, each on its own pay \
                     code — ask for more timesheets or more pay codes",
                    self.timesheet_lines
                ));
            }
        }
        // Every worker gets a timesheet a week in turn; with one line each at worst.
        let most_timesheets = self.timesheets.unwrap_or(self.timesheet_lines);
        if most_timesheets.div_ceil(self.workers) > MAX_PERIODS {
            return bad(format!(
                "{most_timesheets} timesheets for {} workers would run past {} weeks (50 tax \
                 years) each; ask for at least {} workers",
                self.workers,
                MAX_PERIODS,
                most_timesheets.div_ceil(MAX_PERIODS)
            ));
        }
        if self.format == Format::Xlsx
            && self.timesheet_lines.max(self.workers).max(self.pay_codes) > MAX_XLSX_ROWS
        {
            return bad(format!(
                "an xlsx sheet holds at most {MAX_XLSX_ROWS} rows; use --format csv"
            ));
        }
        Ok(())
    }
}

/// Write a batch into `dir` (created if missing): `candidates`, `payment-rates` and
/// `timesheets` files in `spec.format`, and `expected/planted.csv` (kept in a folder of its
/// own so that `validate DIR/*.csv` reads only the batch).
pub fn generate(spec: &Spec, dir: &Path) -> Result<Summary, SynthError> {
    spec.check()?;
    std::fs::create_dir_all(dir).map_err(|source| SynthError::Io {
        file: dir.to_path_buf(),
        source,
    })?;
    let ext = spec.format.extension();
    let manifest_path = dir.join("expected").join("planted.csv");
    std::fs::create_dir_all(dir.join("expected")).map_err(|source| SynthError::Io {
        file: dir.join("expected"),
        source,
    })?;
    let mut manifest = Manifest::create(&manifest_path)?;
    // Separate streams: planting draws never shift the values of the rows themselves.
    let mut rng = Rng::new(spec.seed);
    let mut spoil = Rng::new(spec.seed ^ 0xBAD_C0FFEE);

    let sheet = |name: &str, file: &str, headers: &'static [&'static str], kind: Sheet| {
        let file = format!("{file}.{ext}");
        let sink = Sink::create(&dir.join(&file), spec.format, name, headers)?;
        Ok::<_, SynthError>((
            sink,
            Where {
                file,
                headers,
                kind,
            },
        ))
    };
    let mut out = Vec::new();

    let (mut sink, at) = sheet(
        "Candidates",
        "candidates",
        &CANDIDATE_HEADERS,
        Sheet::Candidates,
    )?;
    for i in 0..spec.workers {
        let mut row = rows::candidate(i, &mut rng);
        manifest.maybe_plant(spec, &mut spoil, &at, &mut row, i + 2)?;
        sink.write(&row)?;
    }
    out.push(sink.finish()?);

    let (mut sink, at) = sheet(
        "Payment Rates",
        "payment-rates",
        &RATE_HEADERS,
        Sheet::PaymentRates,
    )?;
    for i in 0..spec.pay_codes {
        let mut row = rows::payment_rate(i);
        manifest.maybe_plant(spec, &mut spoil, &at, &mut row, i + 2)?;
        sink.write(&row)?;
    }
    out.push(sink.finish()?);

    let (mut sink, at) = sheet(
        "Timesheets",
        "timesheets",
        &TIMESHEET_HEADERS,
        Sheet::Timesheets,
    )?;
    let (mut written, mut timesheets) = (0u64, 0u64);
    while written < spec.timesheet_lines {
        let left = spec.timesheet_lines - written;
        let want = match spec.timesheets {
            Some(t) => {
                let base = spec.timesheet_lines / t;
                base + u64::from(timesheets < spec.timesheet_lines % t)
            }
            None => 1 + rng.below(3),
        };
        let want = want.min(left).min(spec.pay_codes).max(1) as usize;
        let (worker, period) = (timesheets % spec.workers, timesheets / spec.workers);
        for mut line in rows::timesheet(worker, period, want, spec.pay_codes, &mut rng) {
            written += 1;
            manifest.maybe_plant(spec, &mut spoil, &at, &mut line, written + 1)?;
            sink.write(&line)?;
        }
        timesheets += 1;
    }
    out.push(sink.finish()?);
    let planted = manifest.count;
    manifest.finish()?;

    Ok(Summary {
        files: out,
        manifest: manifest_path,
        workers: spec.workers,
        pay_codes: spec.pay_codes,
        lines: written,
        timesheets,
        planted,
    })
}

/// The sheet a row is written to: its file name, columns and kind.
struct Where {
    file: String,
    headers: &'static [&'static str],
    kind: Sheet,
}

/// `planted.csv`, written as mistakes are planted.
struct Manifest {
    path: PathBuf,
    writer: csv::Writer<std::fs::File>,
    count: u64,
}

impl Manifest {
    fn create(path: &Path) -> Result<Manifest, SynthError> {
        let err = |e: csv::Error| SynthError::Write {
            file: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut writer = csv::Writer::from_path(path).map_err(err)?;
        writer
            .write_record(["file", "row", "column", "code"])
            .map_err(err)?;
        Ok(Manifest {
            path: path.to_path_buf(),
            writer,
            count: 0,
        })
    }

    /// With probability `spec.error_share`, plant a mistake in `row` (spreadsheet row number
    /// `number` of `at`) and record it.
    fn maybe_plant(
        &mut self,
        spec: &Spec,
        spoil: &mut Rng,
        at: &Where,
        row: &mut [Cell],
        number: u64,
    ) -> Result<(), SynthError> {
        // Draw both numbers whatever the share, so the pattern is fixed by the seed alone.
        let (roll, pick) = (spoil.unit(), spoil.next_u64());
        if roll >= spec.error_share {
            return Ok(());
        }
        if let Some((header, code)) = plant(at.kind, at.headers, row, pick) {
            self.writer
                .write_record([at.file.as_str(), &number.to_string(), header, code])
                .map_err(|e| SynthError::Write {
                    file: self.path.clone(),
                    message: e.to_string(),
                })?;
            self.count += 1;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), SynthError> {
        self.writer.flush().map_err(|source| SynthError::Io {
            file: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_that_cannot_be_valid_is_refused_with_what_to_change() {
        let ok = Spec::default();
        assert!(ok.check().is_ok());
        let too_long = Spec {
            workers: 10,
            timesheet_lines: 10 * MAX_PERIODS + 1,
            ..Spec::default()
        };
        let message = too_long.check().expect_err("refused").to_string();
        assert!(message.contains("at least 11 workers"), "{message}");
        let xlsx = Spec {
            workers: 2_000,
            timesheet_lines: MAX_XLSX_ROWS + 1,
            format: Format::Xlsx,
            ..Spec::default()
        };
        assert!(xlsx.check().is_err());
        for bad in [
            Spec {
                workers: 0,
                ..Spec::default()
            },
            Spec {
                pay_codes: 0,
                ..Spec::default()
            },
            Spec {
                error_share: 1.5,
                ..Spec::default()
            },
            Spec {
                timesheets: Some(0),
                ..Spec::default()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
