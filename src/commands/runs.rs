//! `nxsys-etl runs list | show RUN [--report F] | prune (--older-than AGE | --all)`: past runs
//! from the journal, and their removal.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::exit::{Exit, Failure};
use crate::cli::{Global, RunsAction, RunsArgs};
use crate::journal::{self, Journal, JournalError};
use crate::model::Outcome;
use crate::report::reconcile::{self, ReportError, RunReport};

pub fn run(global: &Global, args: RunsArgs) -> Result<Exit> {
    if let RunsAction::Prune { older_than, all } = args.action {
        let journal = open_journal(global)?;
        return prune(global, &journal, older_than, all);
    }
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
        (RunsAction::Prune { .. }, _) => unreachable!("pruned above"),
    }
}

/// Open the journal in the state directory, with the key for hashes of bank details beside
/// the token store; failures abort (exit 3).
pub(crate) fn open_journal(global: &Global) -> Result<Journal> {
    let dir = journal::state_dir(global.state_dir.as_deref()).map_err(Failure::aborted)?;
    let journal = Journal::open(&dir).map_err(Failure::aborted)?;
    Ok(journal.with_key_file(key_file(&dir)))
}

/// Where the secret that keys the journal's hashes of bank details lives: beside the token
/// store (`NXSYS_TOKEN_STORE`, else the user's config directory), so a copy of the journal
/// alone cannot be searched for a known account number. With no config directory known, in
/// the state directory.
pub(crate) fn key_file(state_dir: &Path) -> PathBuf {
    let store = std::env::var_os("NXSYS_TOKEN_STORE")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| crate::auth::TokenStore::default_path().ok());
    match store {
        Some(store) => journal::protect::key_file_beside(&store),
        None => state_dir.join(journal::protect::KEY_FILE),
    }
}

/// The cutoff of `--older-than DAYS` (RFC 3339, UTC): runs started before it are pruned.
pub(crate) fn cutoff(days: Option<u32>) -> String {
    match days {
        Some(days) => (chrono::Utc::now() - chrono::Duration::days(i64::from(days)))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        // Every run: later than any start.
        None => "9999".to_string(),
    }
}

/// The profile's `retention_days`, applied after an import: the personal values of runs started
/// longer ago are pruned, as `runs prune --older-than <N>d` does. Said at info level; a
/// failure is a warning (the import itself is done).
pub(crate) fn apply_retention(flags: &crate::settings::Flags, journal: &Journal) {
    let days = crate::settings::Target::resolve(flags)
        .ok()
        .and_then(|target| target.profile().and_then(|p| p.retention_days));
    let Some(days) = days else {
        return;
    };
    match journal.prune(&cutoff(Some(days)), false) {
        Ok(pruned) => {
            tracing::info!(
                retention_days = days,
                runs = pruned.runs.len(),
                records = pruned.records,
                skipped_resumable = pruned.skipped.len(),
                bytes_before = pruned.bytes_before,
                bytes_after = pruned.bytes_after,
                "retention: removed the personal values of runs started more than {days} days ago"
            );
            if let Some(why) = pruned.not_reclaimed {
                tracing::warn!("retention: {why}");
            }
        }
        Err(e) => tracing::warn!("retention (retention_days = {days}) did not run: {e}"),
    }
}

/// `runs prune`: remove old runs' personal values (or, with `--all`, the runs), then say what
/// went and what was left.
fn prune(global: &Global, journal: &Journal, older_than: Option<u32>, all: bool) -> Result<Exit> {
    let pruned = journal
        .prune(&cutoff(older_than), all)
        .map_err(Failure::aborted)?;
    if global.json {
        println!("{}", serde_json::to_string(&pruned)?);
        return Ok(Exit::Ok);
    }
    for (run, status) in &pruned.skipped {
        eprintln!(
            "Left run {run} as it is: it is {status} and can be resumed, which needs its \
             records. Finish it (run the same import again) and prune again"
        );
    }
    let age = match older_than {
        Some(days) => format!(" started more than {days} days ago"),
        None => String::new(),
    };
    if pruned.runs.is_empty() {
        println!("Nothing to prune: no finished run{age} holds personal values.");
    } else if all {
        println!(
            "Removed {} run(s){age} and their {} record(s).",
            pruned.runs.len(),
            pruned.records
        );
    } else {
        println!(
            "Removed the personal values (names, NI/PPS numbers, changed values, the server's \
             messages) of {} run(s){age}, {} record(s); their summaries, ids, outcomes and \
             control totals are kept.",
            pruned.runs.len(),
            pruned.records
        );
    }
    println!(
        "Journal {}: {} bytes before, {} after.",
        journal.path().display(),
        pruned.bytes_before,
        pruned.bytes_after
    );
    if let Some(why) = &pruned.not_reclaimed {
        eprintln!("warning: the removed values may remain in the file until reclaimed: {why}");
    }
    Ok(Exit::Ok)
}

/// The line of `runs show` that says what personal data a run still holds, and until when
/// (`retention_days` of the profile in use, if any).
fn holding_text(
    journal: &Journal,
    run: &journal::RunRow,
    retention_days: Option<u32>,
) -> Result<String, JournalError> {
    let holding = journal.holding(&run.id)?;
    if let Some(when) = &holding.pruned {
        return Ok(format!(
            "pruned on {}: ids, outcomes and control totals only",
            when.get(..10).unwrap_or(when)
        ));
    }
    if holding.is_empty() {
        return Ok("no personal values: ids, outcomes and control totals only".into());
    }
    let mut parts = Vec::new();
    if holding.names > 0 || holding.identifiers > 0 {
        parts.push(format!(
            "names of {} and NI/PPS numbers of {} worker(s)",
            holding.names, holding.identifiers
        ));
    }
    if holding.change_values > 0 {
        parts.push(format!(
            "old and new values of {} change(s) ({} of bank details, masked and hashed only)",
            holding.change_values, holding.bank_changes
        ));
    }
    parts.push("no bank details in clear".into());
    let until = if run.status.is_resumable() {
        "kept while the run can be resumed".to_string()
    } else {
        match retention_days {
            Some(days) => {
                let until = chrono::DateTime::parse_from_rfc3339(&run.started)
                    .map(|t| (t + chrono::Duration::days(i64::from(days))).date_naive())
                    .map(|d| d.to_string())
                    .unwrap_or_else(|_| format!("{days} days after the run"));
                format!("kept until {until} (the profile's retention_days = {days})")
            }
            None => "kept until pruned (`nxsys-etl runs prune --older-than AGE`, or a \
                     profile's retention_days)"
                .to_string(),
        }
    };
    Ok(format!("{}; {until}", parts.join("; ")))
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
    let retention = crate::settings::Target::resolve(&super::flags(global))
        .ok()
        .and_then(|target| target.profile().and_then(|p| p.retention_days));
    let holding = holding_text(journal, &report.run, retention).map_err(Failure::aborted)?;
    println!("  personal data: {holding}");
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
    let attention = &report.tally.attention;
    if !attention.is_empty() {
        println!("Rows that need attention:");
        for row in attention {
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
        let more = report.tally.attention_count - attention.len();
        if more > 0 {
            println!("  … and {more} more (see the report)");
        }
    }
    if report.tally.server_duplicates > 0 {
        println!(
            "DUPLICATES ON THE SERVER: {} records are held twice by Nxsys (another import sent \
             the same at the same time); see their messages and remove the extra ones",
            report.tally.server_duplicates
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
