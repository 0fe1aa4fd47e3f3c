//! `nxsys-etl runs list | show RUN [--report F]`: past runs from the journal.

use std::path::Path;

use anyhow::Result;

use super::exit::{Exit, Failure};
use crate::cli::{Global, RunsAction, RunsArgs};
use crate::journal::{self, Journal, JournalError};
use crate::model::Outcome;
use crate::report::reconcile::{self, ReportError, RunReport};

pub fn run(global: &Global, args: RunsArgs) -> Result<Exit> {
    // Only reading: a read-only state directory or journal is fine, and nothing is created.
    let dir = journal::state_dir(global.state_dir.as_deref()).map_err(Failure::aborted)?;
    let journal = Journal::open_read_only(&dir).map_err(Failure::aborted)?;
    match (args.action, journal) {
        (RunsAction::List, Some(journal)) => list(global, &journal),
        (RunsAction::List, None) => {
            if global.json {
                println!("[]");
            } else {
                println!("No runs yet in {}.", dir.join(journal::FILE_NAME).display());
            }
            Ok(Exit::Ok)
        }
        (
            RunsAction::Show {
                run,
                latest,
                report,
            },
            Some(journal),
        ) => {
            let run = match run.as_deref() {
                Some(id) if !latest && !id.eq_ignore_ascii_case("latest") => id.to_string(),
                _ => latest_run(&journal)?,
            };
            show(global, &journal, &run, report.as_deref())
        }
        (RunsAction::Show { run, latest, .. }, None) => match run {
            Some(id) if !latest && !id.eq_ignore_ascii_case("latest") => {
                Err(Failure::usage(JournalError::UnknownRun(id)).into())
            }
            _ => Err(no_run_yet(&dir.join(journal::FILE_NAME))),
        },
    }
}

/// Open the journal in the state directory; failures abort (exit 3).
pub(crate) fn open_journal(global: &Global) -> Result<Journal> {
    let dir = journal::state_dir(global.state_dir.as_deref()).map_err(Failure::aborted)?;
    Journal::open(&dir).map_err(|e| Failure::aborted(e).into())
}

/// The id of the newest run; a usage error when the journal holds none.
fn latest_run(journal: &Journal) -> Result<String> {
    let runs = journal.runs().map_err(Failure::aborted)?;
    match runs.into_iter().next() {
        Some(run) => Ok(run.id),
        None => Err(no_run_yet(journal.path())),
    }
}

/// `runs show latest` before any run.
fn no_run_yet(journal: &std::path::Path) -> anyhow::Error {
    Failure::usage(anyhow::anyhow!(
        "there is no run yet in {}; `nxsys-etl import` records one",
        journal.display()
    ))
    .into()
}

/// Where a run went: the profile it was started with, if any, and the API's address.
fn api_of(run: &journal::RunRow) -> String {
    match run
        .options
        .get("profile")
        .and_then(serde_json::Value::as_str)
    {
        Some(profile) => format!("{profile}: {}", run.base_url),
        None => run.base_url.clone(),
    }
}

fn list(global: &Global, journal: &Journal) -> Result<Exit> {
    let runs = journal.runs().map_err(Failure::aborted)?;
    if global.json {
        println!("{}", serde_json::to_string(&runs)?);
        return Ok(Exit::Ok);
    }
    if runs.is_empty() {
        println!("No runs yet in {}.", journal.path().display());
        return Ok(Exit::Ok);
    }
    let api_width = runs
        .iter()
        .map(|r| api_of(r).chars().count())
        .max()
        .unwrap_or(0)
        .max(3);
    println!(
        "{:<22} {:<20} {:<11} {:>4} {:>7}  {:<api_width$}  FILES",
        "RUN", "STARTED (UTC)", "STATUS", "EXIT", "RECORDS", "API"
    );
    for run in runs {
        let records = journal.record_count(&run.id).map_err(Failure::aborted)?;
        let files: Vec<String> = run.files.iter().map(|f| f.display().to_string()).collect();
        println!(
            "{:<22} {:<20} {:<11} {:>4} {:>7}  {:<api_width$}  {}",
            run.id,
            run.started
                .get(..19)
                .unwrap_or(&run.started)
                .replace('T', " "),
            run.status.as_str(),
            run.exit_code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            records,
            api_of(&run),
            files.join(", ")
        );
    }
    Ok(Exit::Ok)
}

fn show(
    global: &Global,
    journal: &Journal,
    run_id: &str,
    report_path: Option<&Path>,
) -> Result<Exit> {
    let report = match RunReport::from_journal(journal, run_id, None) {
        Ok(r) => r,
        Err(e @ JournalError::UnknownRun(_)) => return Err(Failure::usage(e).into()),
        Err(e) => return Err(Failure::aborted(e).into()),
    };
    if let Some(path) = report_path {
        write_report(path, &report).map_err(Failure::usage)?;
    }
    if global.json {
        let summary = report.summary(report_path.map(|p| p.to_path_buf()));
        println!("{}", serde_json::to_string(&summary)?);
        return Ok(Exit::Ok);
    }
    print_report(&report);
    if let Some(path) = report_path {
        println!("Report written to {}", path.display());
    }
    Ok(Exit::Ok)
}

/// Write a run's report; its Summary sheet states the exit status its outcomes give.
pub(crate) fn write_report(path: &Path, report: &RunReport) -> Result<(), ReportError> {
    let exit = if report.run.status == journal::RunStatus::Interrupted {
        Exit::Interrupted
    } else {
        Exit::of_run(&report.counts(None))
    };
    reconcile::write(path, report, &format!("{} ({exit:?})", exit.code()))
}

/// The human summary of a run: facts, counts per entity and outcome, rows that need attention.
pub(crate) fn print_report(report: &RunReport) {
    let run = &report.run;
    if report.offline {
        println!(
            "Run {} ({}, {})",
            run.id,
            run.status.as_str(),
            crate::report::reconcile::OFFLINE_NOTE
        );
    } else {
        println!("Run {} ({})", run.id, run.status.as_str());
    }
    println!("  started  {}", run.started);
    if let Some(f) = &run.finished {
        println!("  finished {f}");
    }
    let files: Vec<String> = run.files.iter().map(|f| f.display().to_string()).collect();
    println!("  files    {}", files.join(", "));
    println!("  API      {}", run.base_url);
    for entity in report.entities() {
        let counts = report.counts(Some(&entity));
        let parts: Vec<String> = counts
            .0
            .iter()
            .map(|(o, n)| format!("{n} {}", o.label()))
            .collect();
        println!("  {entity:<14} {}", parts.join(", "));
    }
    let attention: Vec<_> = report
        .rows
        .iter()
        .filter(|r| {
            matches!(
                r.outcome,
                Outcome::Invalid
                    | Outcome::Rejected
                    | Outcome::ServerError
                    | Outcome::Blocked
                    | Outcome::Held
                    | Outcome::Pending
            )
        })
        .collect();
    if !attention.is_empty() {
        println!("Rows that need attention:");
        for row in attention.iter().take(20) {
            let status = row
                .http_status
                .map(|s| format!(" HTTP {s}"))
                .unwrap_or_default();
            let message = match row.message.lines().next() {
                Some(first) if !first.is_empty() => first,
                // Never sent: the run stopped first.
                _ if row.outcome == Outcome::Pending => {
                    "not sent yet; run the same import again to resume"
                }
                _ => "",
            };
            println!(
                "  {} — {} ({}{status}): {message}",
                row.source,
                row.outcome.label(),
                row.key
            );
        }
        if attention.len() > 20 {
            println!("  … and {} more (see the report)", attention.len() - 20);
        }
    }
    if report.server_duplicates > 0 {
        println!(
            "DUPLICATES ON THE SERVER: {} records are held twice by Nxsys (another import sent \
             the same at the same time); see their messages and remove the extra ones",
            report.server_duplicates
        );
    }
    let flagged = report.fraud_patterns();
    if flagged > 0 {
        use crate::report::reconcile::changes::{FRAUD_ADVICE, FRAUD_WARNING};
        println!(
            "Warning: {flagged} worker(s) — {FRAUD_WARNING}; {FRAUD_ADVICE} (see the Changes \
             sheet of the report)"
        );
    }
}
