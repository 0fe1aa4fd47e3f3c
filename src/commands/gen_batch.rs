//! `nxsys-etl gen-batch` (hidden): write a synthetic batch for benchmarks and tests.

use anyhow::Result;
use serde_json::json;

use super::exit::{Exit, Failure};
use crate::cli::{GenBatchArgs, Global, SheetFormat};
use crate::synth::{self, Format, Spec};

pub fn run(global: &Global, args: GenBatchArgs) -> Result<Exit> {
    let spec = Spec {
        workers: args.workers,
        pay_codes: args.pay_codes,
        timesheet_lines: args.timesheet_lines,
        timesheets: args.timesheets,
        error_share: args.error_share,
        seed: args.seed,
        format: match args.format {
            SheetFormat::Csv => Format::Csv,
            SheetFormat::Xlsx => Format::Xlsx,
        },
    };
    let summary = synth::generate(&spec, &args.output).map_err(Failure::usage)?;
    if global.json {
        let line = json!({
            "files": summary.files,
            "manifest": summary.manifest,
            "workers": summary.workers,
            "pay_codes": summary.pay_codes,
            "timesheet_lines": summary.lines,
            "timesheets": summary.timesheets,
            "planted": summary.planted,
        });
        println!("{line}");
    } else if !global.quiet {
        println!(
            "Wrote {} workers, {} pay codes and {} timesheet lines ({} timesheets) to {}; \
             {} planted mistake(s) listed in {}.",
            summary.workers,
            summary.pay_codes,
            summary.lines,
            summary.timesheets,
            args.output.display(),
            summary.planted,
            summary.manifest.display()
        );
    }
    Ok(Exit::Ok)
}
