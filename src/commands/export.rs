//! `nxsys-etl export payslips`: pull payslips from Nxsys into a workbook, a CSV file, or a
//! folder of them (`--split-by`).

use anyhow::Result;

use super::exit::{Exit, Failure};
use super::session::{self, connect};
use crate::cli::{ExportArgs, ExportWhat, Global, PayslipExportArgs, SplitBy as SplitArg};
use crate::export::filter::{PeriodRange, parse_since};
use crate::export::{ExportError, ExportRequest, ExportSummary, SplitBy, export};
use crate::settings::Flags;
use nxsys_sandbox::SandboxConfig;

/// Payslips in the embedded sandbox of `export payslips --sandbox`: ten workers, a year of
/// weekly pay.
const SANDBOX_PAYSLIPS: usize = 520;

pub async fn run(global: &Global, args: ExportArgs) -> Result<Exit> {
    match args.what {
        ExportWhat::Payslips(args) => payslips(global, args).await,
    }
}

async fn payslips(global: &Global, args: PayslipExportArgs) -> Result<Exit> {
    let request = request(&args)?;
    let flags = Flags {
        rate: args.rate,
        concurrency: args.concurrency,
        ..super::flags(global)
    };
    let sandbox = args.sandbox.then(|| SandboxConfig {
        seed_payslips: SANDBOX_PAYSLIPS,
        ..SandboxConfig::default()
    });
    let (settings, api) = session::resolve(&flags, sandbox)?;
    let session = connect(&settings, api).await?;
    let summary = export(&session.client, &request, settings.progress)
        .await
        .map_err(Failure::from)?;
    session.close().await;
    report(global, &request, &summary)?;
    Ok(Exit::Ok)
}

/// An export's failure as the shell sees it: the user's to fix (exit 2) or aborted (exit 3).
impl From<ExportError> for Failure {
    fn from(error: ExportError) -> Self {
        if error.is_usage() {
            Failure::usage(error)
        } else {
            Failure::aborted(error)
        }
    }
}

/// The export request the arguments describe; bad values are usage errors (exit 2).
fn request(args: &PayslipExportArgs) -> Result<ExportRequest> {
    let mut request = ExportRequest::new(&args.output);
    request.tax_year = args.tax_year;
    request.tax_periods = args
        .tax_period
        .as_deref()
        .map(str::parse::<PeriodRange>)
        .transpose()
        .map_err(Failure::usage)?;
    request.pay_frequency = args.pay_frequency.clone();
    request.payment_model = args.payment_model.clone();
    request.workers = args.workers.clone();
    request.workers_from = args.workers_from.clone();
    request.since = args
        .since
        .as_deref()
        .map(parse_since)
        .transpose()
        .map_err(Failure::usage)?;
    request.excel_csv = args.excel_csv;
    request.split_by = args.split_by.map(|by| match by {
        SplitArg::Worker => SplitBy::Worker,
        SplitArg::Period => SplitBy::Period,
    });
    Ok(request)
}

fn report(global: &Global, request: &ExportRequest, summary: &ExportSummary) -> Result<()> {
    if global.json {
        println!("{}", serde_json::to_string(summary)?);
        return Ok(());
    }
    if global.quiet {
        return Ok(());
    }
    let noun = if summary.payslips == 1 {
        "payslip"
    } else {
        "payslips"
    };
    match summary.files.as_slice() {
        [file] if request.split_by.is_none() => {
            println!("Exported {} {noun} to {}", summary.payslips, file.display());
        }
        files => println!(
            "Exported {} {noun} into {} file(s) in {}",
            summary.payslips,
            files.len(),
            request.output.display()
        ),
    }
    if summary.payslips == 0 {
        println!("No payslips matched the filters; the file lists the columns only.");
    }
    Ok(())
}
