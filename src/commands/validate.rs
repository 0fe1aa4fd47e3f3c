//! `nxsys-etl validate`: read the files offline and say, cell by cell, what is wrong.
//! Exit 0 when no row has an error, 1 when some do, 2 when a file cannot be read.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use indicatif::ProgressBar;
use serde::Serialize;

use super::exit::{Exit, Failure};
use crate::cli::{EntityArg, Global, InputArgs, ValidateArgs};
use crate::model::{CellFinding, Entity, Provenance};
use crate::report::{findings, fixfile};
use crate::rules::Enums;
use crate::schema::{
    Counts, Mapping, ReadOptions, SourceSummary, ValidationSummary, validate_files,
};
use crate::settings::show_progress;

/// The entity a `--entity` value names.
pub(crate) fn entity_of(arg: EntityArg) -> Entity {
    match arg {
        EntityArg::Candidates => Entity::Candidates,
        EntityArg::CandidatesIe => Entity::CandidatesIe,
        EntityArg::PaymentRates => Entity::PaymentRates,
        EntityArg::Timesheets => Entity::Timesheets,
    }
}

/// How to read the input, from the options `validate` and `import` share. A bad mapping or
/// enum file is a usage error (exit 2).
pub(crate) fn read_options(input: &InputArgs) -> Result<ReadOptions> {
    let enums = Enums::embedded_with_user(input.enums.as_deref()).map_err(Failure::usage)?;
    let mapping = input
        .mapping
        .as_deref()
        .map(Mapping::load)
        .transpose()
        .map_err(Failure::usage)?;
    Ok(ReadOptions {
        entity: input.entity.map(entity_of),
        mapping,
        enums,
        strict: input.strict,
        mask_pii: false,
    })
}

/// What `--json` prints.
#[derive(Serialize)]
struct JsonSummary<'a> {
    ok: bool,
    rows: u64,
    valid: u64,
    invalid: u64,
    errors: usize,
    warnings: usize,
    entities: &'a BTreeMap<Entity, Counts>,
    sources: &'a [SourceSummary],
    findings: Vec<&'a CellFinding>,
}

pub fn run(global: &Global, args: ValidateArgs) -> Result<Exit> {
    // Output paths are checked before the (possibly long) read.
    for (what, path) in [("report", &args.report), ("fix file", &args.fix_file)] {
        if let Some(path) = path {
            super::check_output(what, path, &args.input.files)?;
        }
    }
    let mut opts = read_options(&args.input)?;
    opts.mask_pii = args.mask_pii;
    let mask_pii = args.mask_pii;
    let want_fix = args.fix_file.is_some();
    let mut findings: Vec<CellFinding> = Vec::new();
    let mut failing: Vec<(Provenance, Vec<CellFinding>)> = Vec::new();
    let bar = progress_bar(global);
    let counting = !bar.is_hidden();
    let summary = validate_files(&args.input.files, &opts, |record| {
        if counting {
            bar.inc(record.provenance.len() as u64);
        }
        findings.extend(record.findings.iter().cloned().map(|mut f| {
            // The repaired value sent (an account number) shows in --json; the fix file, built
            // from the record, still gets it unmasked to put in its cell.
            if mask_pii && let Some(sent) = &mut f.finding.sent {
                *sent = crate::report::reconcile::mask_account(sent);
            }
            f
        }));
        if want_fix && !record.is_valid() {
            failing.extend(failing_rows(record));
        }
    })
    .map_err(Failure::usage)?;
    bar.finish_and_clear();

    if let Some(report) = &args.report {
        let all: Vec<CellFinding> = summary.findings.iter().chain(&findings).cloned().collect();
        findings::write(report, &all)
            .with_context(|| format!("writing the report {}", report.display()))
            .map_err(Failure::usage)?;
    }
    let mut fix_files = Vec::new();
    if let Some(fix) = &args.fix_file {
        fix_files = fixfile::write(fix, &failing)
            .with_context(|| format!("writing the fix file {}", fix.display()))
            .map_err(Failure::usage)?;
    }

    if global.json {
        print_json(&summary, &findings)?;
    } else if !global.quiet {
        let cap = (global.verbose == 0).then_some(10);
        print!("{}", findings::render(&summary, &findings, cap));
        println!();
        println!("{}", verdict(&summary));
        if let Some(report) = &args.report {
            println!("Findings written to {}.", report.display());
        }
        for (file, rows) in &fix_files {
            println!(
                "Failing rows written to {} ({rows} row{}); correct them there and validate that file.",
                file.display(),
                if *rows == 1 { "" } else { "s" }
            );
        }
    }
    Ok(if summary.has_errors() {
        Exit::Rows
    } else {
        Exit::Ok
    })
}

/// A spinner counting rows on stderr, when progress is shown at all (see [`show_progress`]).
fn progress_bar(global: &Global) -> ProgressBar {
    if !show_progress(&super::flags(global)) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(crate::progress::spinner("rows"));
    bar.set_prefix("checking");
    bar
}

/// The rows of an invalid record, each with its own findings. A timesheet line that is fine
/// itself is blocked by its timesheet's other lines, and says so.
fn failing_rows(record: &crate::model::Record) -> Vec<(Provenance, Vec<CellFinding>)> {
    let bad_rows: Vec<u32> = record
        .findings
        .iter()
        .filter(|f| f.is_error())
        .filter_map(|f| f.row)
        .collect();
    record
        .provenance
        .iter()
        .map(|at| {
            let mut own: Vec<CellFinding> = record
                .findings
                .iter()
                .filter(|f| f.row == Some(at.row) && f.file == at.file && f.sheet == at.sheet)
                .cloned()
                .collect();
            if !own.iter().any(CellFinding::is_error) {
                let rows: Vec<String> = bad_rows.iter().map(u32::to_string).collect();
                own.push(CellFinding {
                    file: at.file.clone(),
                    sheet: at.sheet.clone(),
                    row: Some(at.row),
                    column: None,
                    header: None,
                    finding: crate::model::Finding::error(
                        "timesheet.blocked",
                        format!(
                            "this line is fine, but another line of the same timesheet (row {}) \
                             has an error, and a timesheet is sent whole",
                            rows.join(", ")
                        ),
                    ),
                });
            }
            (at.clone(), own)
        })
        .collect()
}

fn verdict(summary: &ValidationSummary) -> String {
    let invalid: u64 = summary.counts.values().map(|c| c.invalid).sum();
    let sheet_errors = summary.findings.iter().filter(|f| f.is_error()).count();
    match (invalid, sheet_errors) {
        (0, 0) if summary.counts.values().all(|c| c.rows == 0) => {
            "Nothing to import: the files hold no data rows; add rows under the header row."
                .to_string()
        }
        (0, 0) => "No errors: every row can be imported.".to_string(),
        (0, n) => format!("{n} file or sheet problem(s) above must be fixed before importing."),
        (n, _) => format!(
            "{n} row{} cannot be imported until the errors above are fixed; the other rows can.",
            if n == 1 { "" } else { "s" }
        ),
    }
}

fn print_json(summary: &ValidationSummary, findings: &[CellFinding]) -> Result<()> {
    let all: Vec<&CellFinding> = summary.findings.iter().chain(findings).collect();
    let total = |f: fn(&Counts) -> u64| summary.counts.values().map(f).sum();
    let out = JsonSummary {
        ok: !summary.has_errors(),
        rows: total(|c| c.rows),
        valid: total(|c| c.valid),
        invalid: total(|c| c.invalid),
        errors: all.iter().filter(|f| f.is_error()).count(),
        warnings: all.iter().filter(|f| !f.is_error()).count(),
        entities: &summary.counts,
        sources: &summary.sources,
        findings: all,
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
