//! `nxsys-etl import`: validate, plan, submit exactly once, reconcile.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use serde_json::json;

use super::exit::{Exit, Failure};
use super::runs::{open_journal, print_report, write_report};
use super::session::{self, connect};
use crate::api::ServerTraits;
use crate::cli::{Global, ImportArgs};
use crate::model::Finding;
use crate::model::{CellFinding, Outcome, Provenance, Record};
use crate::plan::approval::Acceptance;
use crate::report::reconcile::{self, RunReport};
use crate::report::{approvals, fixfile};
use crate::schema::{self};
use crate::settings::{Flags, Server, Settings};
use crate::submit::{ImportError, ImportRequest, Offline, SubmitOptions, import};

pub async fn run(global: &Global, args: ImportArgs) -> Result<Exit> {
    // Output paths are checked before anything is sent.
    if let Some(path) = &args.report {
        reconcile::check_path(path).map_err(Failure::usage)?;
        super::check_output("report", path, &args.input.files)?;
    }
    if let Some(path) = &args.fix_file {
        crate::report::findings::OutFormat::of(path).map_err(Failure::usage)?;
        super::check_output("fix file", path, &args.input.files)?;
    }
    let mut acceptance = Acceptance::classes(args.accept.iter().copied());
    if let Some(path) = &args.approvals {
        acceptance.merge(approvals::read(path).map_err(Failure::usage)?);
    }
    let mut options = super::validate::read_options(&args.input)?;
    options.mask_pii = args.mask_pii;
    let batch = schema::load_batch(&args.input.files, &options).map_err(Failure::usage)?;
    refuse_unusable_files(&batch.findings)?;
    if batch.records.is_empty() {
        return Err(Failure::usage(anyhow!(
            "no rows to import in {}; check the files have a header row and data",
            list(&args.input.files)
        ))
        .into());
    }
    let journal = open_journal(global)?;

    let flags = Flags {
        rate: args.rate,
        concurrency: args.concurrency,
        ..super::flags(global)
    };
    // An offline plan is asked for, never fallen into: a dry run that cannot reach Nxsys
    // stops (exit 3) rather than report every record as new.
    let (settings, session) = if args.offline {
        (Settings::resolve(&flags, None, Server::Nxsys), None)
    } else {
        let (settings, api) = session::resolve(&flags, session::sandbox_config(&args.sandbox)?)?;
        let session = connect(&settings, api).await.map_err(|e| {
            if args.dry_run {
                Failure::aborted(anyhow!(
                    "{e:#}. The dry run needs Nxsys to tell what would be created and what \
                     updated; fix the sign-in or the address, or add --offline to plan without \
                     checking against Nxsys"
                ))
                .into()
            } else {
                e
            }
        })?;
        (settings, Some(session))
    };
    let base_url = match &session {
        Some(s) => s.base_url.to_string(),
        None => global
            .base_url
            .clone()
            .unwrap_or_else(|| "offline".to_string()),
    };
    let concurrency = settings.concurrency;
    let request = ImportRequest {
        files: args.input.files.clone(),
        base_url,
        recorded_options: json!({
            "rate": args.rate,
            "concurrency": concurrency,
            "dry_run": args.dry_run,
            "mask_pii": args.mask_pii,
            "sandbox": args.sandbox.sandbox,
            "sandbox_quirks": args.sandbox.sandbox_quirks,
            "profile": global.profile,
            "allow_duplicate_batch": args.allow_duplicate_batch,
            "offline": args.offline,
            "strict": args.input.strict,
        }),
        resume: args.resume.clone(),
        tenant: session.as_ref().map(|s| s.tenant()),
        allow_duplicate_batch: args.allow_duplicate_batch,
        submit: SubmitOptions {
            concurrency,
            dry_run: args.dry_run,
            offline: session.is_none(),
            progress: settings.progress,
            acceptance,
            server_error_budget: crate::submit::SERVER_ERROR_BUDGET,
        },
    };
    let signals = super::interrupt::listen(global.quiet);
    // What earlier runs learnt of this server (filters, number style, PPS…) is where this one
    // starts — first what `doctor --save` wrote into the profile, then the journal's, which is
    // newer or the same; what it learns is kept for the next, whatever way the run ends.
    if let Some(s) = &session
        && let Some(server) = &s.profile_server
    {
        s.client.learn(server);
    }
    if let Some(s) = &session
        && let Some(learnt) = journal
            .learnt::<ServerTraits>(&request.base_url)
            .map_err(Failure::aborted)?
    {
        s.client.learn(&learnt);
    }
    let result = match &session {
        Some(s) => import(&s.client, &journal, &batch.records, &request).await,
        None => import(&Offline, &journal, &batch.records, &request).await,
    };
    signals.abort();
    if let Some(session) = session {
        let learnt = session.client.traits();
        if learnt != ServerTraits::default()
            && let Err(e) = journal.set_learnt(&request.base_url, &learnt)
        {
            tracing::warn!(error = %e, "what was learnt of the server could not be kept");
        }
        session.close().await;
    }
    let (run_id, exit, aborted) = match result {
        Ok(outcome) => {
            if outcome.resumed && !global.quiet && !global.json {
                eprintln!("Resumed unfinished run {}.", outcome.run_id);
            }
            let mut exit = Exit::of_run(&outcome.counts);
            if outcome.server_duplicates > 0 && exit == Exit::Ok {
                exit = Exit::Rows;
            }
            (outcome.run_id, exit, None)
        }
        Err(ImportError::Aborted { run, message }) => (
            run.clone(),
            Exit::Aborted,
            Some(ImportError::Aborted { run, message }),
        ),
        Err(ImportError::Interrupted { run }) => (
            run.clone(),
            Exit::Interrupted,
            Some(ImportError::Interrupted { run }),
        ),
        Err(e) if e.is_usage() => return Err(Failure::usage(e).into()),
        Err(e) => return Err(Failure::aborted(e).into()),
    };
    journal
        .set_exit_code(&run_id, exit.code())
        .map_err(Failure::aborted)?;

    let report = RunReport::from_journal(&journal, &run_id, Some(args.mask_pii))
        .map_err(Failure::aborted)?;
    let path = args
        .report
        .clone()
        .unwrap_or_else(|| reconcile::default_path(&run_id));
    // The import has landed: a report that cannot be written is said, with where the run is
    // recorded and how to write the report again, and does not change the exit code.
    let written = match write_report(&path, &report) {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "error: {e}. The run itself is complete and recorded in the journal {}: once \
                 the problem is fixed, write its report with `nxsys-etl runs show {run_id} \
                 --report {}`",
                journal.path().display(),
                path.display()
            );
            false
        }
    };
    if let Some(fix) = &args.fix_file {
        // The fix file holds the user's own rows, so it is matched on unmasked keys.
        let unmasked =
            RunReport::from_journal(&journal, &run_id, Some(false)).map_err(Failure::aborted)?;
        write_fix_file(fix, &batch.records, &unmasked)?;
    }
    if global.json {
        println!(
            "{}",
            serde_json::to_string(&report.summary(written.then(|| path.clone())))?
        );
    } else if !global.quiet {
        print_report(&report);
        if written {
            println!("Report: {}", path.display());
        }
    }
    super::runs::apply_retention(&flags, &journal);
    if let Some(e) = aborted {
        return Err(Failure {
            exit,
            error: e.into(),
        }
        .into());
    }
    Ok(exit)
}

fn list(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Errors that are about a whole file or sheet (a missing required column, an unreadable
/// sheet) stop the import before anything is sent: their rows could not even be read.
fn refuse_unusable_files(findings: &[CellFinding]) -> Result<()> {
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.is_error())
        .map(|f| {
            let place = match &f.sheet {
                Some(sheet) => format!("{}, sheet {sheet}", f.file.display()),
                None => f.file.display().to_string(),
            };
            format!("  {place}: {}", crate::submit::finding_text(f))
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(Failure::usage(anyhow!(
        "nothing was sent: these files cannot be imported as they are:\n{}",
        errors.join("\n")
    ))
    .into())
}

/// The user's rows that did not land (invalid, rejected, blocked), in their own columns with an
/// error column: fix them and import the fix file.
fn write_fix_file(out: &std::path::Path, records: &[Record], report: &RunReport) -> Result<()> {
    // The rows that did not land, by entity and key: only those are held.
    let mut failing: HashMap<(String, String), reconcile::ReportRow> = HashMap::new();
    report
        .each(|entry| {
            if matches!(
                entry.row.outcome,
                Outcome::Invalid | Outcome::Rejected | Outcome::Blocked
            ) {
                failing.insert((entry.row.entity.clone(), entry.row.key.clone()), entry.row);
            }
            Ok::<_, crate::journal::JournalError>(())
        })
        .map_err(Failure::aborted)?;
    let mut rows: Vec<(Provenance, Vec<CellFinding>)> = Vec::new();
    for record in records {
        let Some(row) = failing.get(&(record.entity.name().to_string(), record.key.clone())) else {
            continue;
        };
        for at in &record.provenance {
            let mut findings: Vec<CellFinding> = record
                .findings
                .iter()
                .filter(|f| f.row == Some(at.row) && f.file == at.file && f.sheet == at.sheet)
                .cloned()
                .collect();
            if row.outcome != Outcome::Invalid || findings.is_empty() {
                findings.push(CellFinding {
                    file: at.file.clone(),
                    sheet: at.sheet.clone(),
                    row: Some(at.row),
                    column: None,
                    header: None,
                    finding: Finding::error("import.not_landed", row.message.clone()),
                });
            }
            rows.push((at.clone(), findings));
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    fixfile::write(out, &rows).map_err(Failure::usage)?;
    Ok(())
}
