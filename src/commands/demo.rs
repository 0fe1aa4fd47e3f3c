//! `nxsys-etl demo [--out DIR]`: the whole job on an embedded sandbox — import the clean sample
//! batch, reconcile it, export the payslips — and say where the files are.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;

use super::exit::{Exit, Failure};
use super::runs::{print_report, write_report};
use super::session::{self, connect};
use crate::cli::{DemoArgs, Global};
use crate::export::{ExportRequest, payslips};
use crate::journal::Journal;
use crate::report::reconcile::{self, RunReport};
use crate::schema;
use crate::submit::{ImportError, ImportRequest, SubmitOptions, import};
use nxsys_sandbox::SandboxConfig;

/// The clean sample batch, in dependency order, inside the binary: an installed `nxsys-etl`
/// runs the demo from any folder.
const SAMPLE_FILES: [(&str, &str); 4] = [
    (
        "candidates.csv",
        include_str!("../../samples/candidates.csv"),
    ),
    (
        "candidates-ie.csv",
        include_str!("../../samples/candidates-ie.csv"),
    ),
    (
        "payment-rates.csv",
        include_str!("../../samples/payment-rates.csv"),
    ),
    (
        "timesheets.csv",
        include_str!("../../samples/timesheets.csv"),
    ),
];

/// Write the embedded sample batch to `<out>/samples/`, so the report's Source column names
/// files the user can open. Returns the files in dependency order.
fn write_samples(out: &Path) -> Result<(PathBuf, Vec<PathBuf>)> {
    let dir = out.join("samples");
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))
        .map_err(Failure::usage)?;
    let mut files = Vec::new();
    for (name, text) in SAMPLE_FILES {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("cannot write the sample file {}", path.display()))
            .map_err(Failure::usage)?;
        files.push(path);
    }
    Ok((dir, files))
}

pub async fn run(global: &Global, args: DemoArgs) -> Result<Exit> {
    let out = args.out.unwrap_or_else(|| PathBuf::from("nxsys-demo"));
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the demo folder {}", out.display()))
        .map_err(Failure::usage)?;
    let (samples, files) = write_samples(&out)?;
    let batch =
        schema::load_batch(&files, &schema::ReadOptions::embedded()).map_err(Failure::usage)?;

    let (settings, api) = session::resolve(&super::flags(global), Some(SandboxConfig::default()))?;
    let session = connect(&settings, api).await?;
    // The demo keeps its journal in its own folder: it never mixes with real runs.
    let journal = Journal::open(&out.join("state")).map_err(Failure::aborted)?;
    let request = ImportRequest {
        files: files.clone(),
        base_url: session.base_url.to_string(),
        recorded_options: json!({ "demo": true }),
        resume: None,
        tenant: Some(session.tenant()),
        allow_duplicate_batch: true,
        submit: SubmitOptions {
            concurrency: settings.concurrency,
            dry_run: false,
            offline: false,
            progress: settings.progress,
            acceptance: Default::default(),
            server_error_budget: crate::submit::SERVER_ERROR_BUDGET,
        },
    };
    let result = import(&session.client, &journal, &batch.records, &request).await;
    if let Err(ImportError::Aborted { run, .. }) = &result {
        journal
            .set_exit_code(run, Exit::Aborted.code())
            .map_err(Failure::aborted)?;
    }
    let outcome = result.map_err(Failure::aborted)?;
    let exit = Exit::of_run(&outcome.counts);
    journal
        .set_exit_code(&outcome.run_id, exit.code())
        .map_err(Failure::aborted)?;
    let report =
        RunReport::from_journal(&journal, &outcome.run_id, None).map_err(Failure::aborted)?;
    let report_path = out.join(reconcile::default_path(&outcome.run_id));
    write_report(&report_path, &report).map_err(Failure::usage)?;

    let payslip_path = out.join("payslips.xlsx");
    let exported = payslips::export(&session.client, &ExportRequest::new(&payslip_path), false)
        .await
        .map_err(Failure::aborted)?;
    let base_url = session.base_url.clone();
    session.close().await;

    if global.json {
        println!(
            "{}",
            json!({
                "import": report.summary(Some(report_path.clone())),
                "payslips": exported.payslips,
                "files": exported.files,
                "sandbox": base_url.as_str(),
            })
        );
    } else if !global.quiet {
        print_report(&report);
        println!();
        println!("Demo finished against an embedded sandbox at {}:", base_url);
        println!("  sample batch        {}", samples.display());
        println!("  reconciliation      {}", report_path.display());
        for file in &exported.files {
            println!(
                "  payslips ({:>4})     {}",
                exported.payslips,
                file.display()
            );
        }
        println!("  journal             {}", journal.path().display());
    }
    Ok(exit)
}
