//! The command-line contract: every subcommand, option and environment variable. Parsing only:
//! the work lives in `commands/`, which turns these structs into calls on the pipeline stages.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::ChangeClass;

#[derive(Debug, Parser)]
#[command(
    name = "nxsys-etl",
    version,
    about = "Move payroll data between spreadsheets and the Nxsys umbrella-payroll API",
    long_about = "Validate spreadsheets of workers, pay codes and timesheets, submit them to the \
                  Nxsys API exactly once under a rate limit, reconcile the result and export \
                  payslips to Excel.",
    after_help = "Exit codes: 0 every row done; 1 finished, some rows invalid or rejected; \
                  2 usage, configuration or unreadable input; 3 aborted (authentication, API \
                  unreachable, journal error); 130 interrupted (Ctrl-C or SIGTERM; run the same \
                  command again to resume)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Configuration file (TOML) with profiles [default: the user's config directory]
    #[arg(long, global = true, env = "NXSYS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Profile in the configuration file (one per employer)
    #[arg(long, global = true, env = "NXSYS_PROFILE")]
    pub profile: Option<String>,
    /// Base URL of the Nxsys API [default: https://api.nxsys.tech]
    #[arg(long, global = true, env = "NXSYS_BASE_URL")]
    pub base_url: Option<String>,
    /// Seconds to wait for each answer from the API before giving up on it [default: from the
    /// profile, else 30]
    #[arg(long, global = true, env = "NXSYS_TIMEOUT", value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: Option<u64>,
    /// Where the journal and run state live [default: the user's data directory]
    #[arg(long, global = true, env = "NXSYS_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More detail on stderr (-v, -vv)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print one JSON summary on stdout (for scripts)
    #[arg(long, global = true)]
    pub json: bool,
    /// Never draw progress bars
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole job on an embedded sandbox: import the built-in sample batch, export payslips
    Demo(DemoArgs),
    /// Run the local Nxsys simulator
    Sandbox(SandboxArgs),
    /// Sign in to Nxsys, show or forget the stored sign-in
    Auth(AuthArgs),
    /// Write blank spreadsheet templates to fill in
    Template(TemplateArgs),
    /// Check spreadsheets offline and say, cell by cell, what is wrong
    Validate(ValidateArgs),
    /// Validate, then submit the good rows to Nxsys exactly once
    Import(ImportArgs),
    /// Export data from Nxsys to Excel or CSV
    Export(ExportArgs),
    /// Check, read-only, how the Nxsys server behaves where the API reference is silent
    Doctor(DoctorArgs),
    /// Past runs recorded in the journal
    Runs(RunsArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell) on stdout
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout
    Manpage,
    /// Write a synthetic batch of any size (benchmarks and tests)
    #[command(hide = true)]
    GenBatch(GenBatchArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the demo's report and export [default: ./nxsys-demo]
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub addr: std::net::SocketAddr,
    /// Requests per second the server accepts (token bucket, burst N); beyond it 429
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// Random delay per request, e.g. 20-80 (milliseconds)
    #[arg(long)]
    pub latency_ms: Option<String>,
    /// Faults per request, e.g. status500=0.05,status429=0.05,drop_after_commit=0.02; poison=TEXT (repeatable) answers 500 to every write whose body contains TEXT
    #[arg(long)]
    pub faults: Option<String>,
    /// Behaviours the API docs leave open (comma-separated): nest-errors, bearer-only, reject-duplicate-candidates, meta-pagination, filters-ignored, filters-rejected, no-line-echo, numbers-only, strings-only, validation-500, flat-get, put-replaces, no-pps, payslip-no-worker-id, default-rates-locked, exact-redirect, rate-limit-headers
    #[arg(long)]
    pub quirks: Option<String>,
    /// Access-token lifetime in seconds
    #[arg(long, default_value_t = 3600)]
    pub token_ttl: u64,
    /// Start with N generated payslips
    #[arg(long, default_value_t = 0)]
    pub seed_payslips: usize,
}

#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub action: AuthAction,
}

#[derive(Debug, Subcommand)]
pub enum AuthAction {
    /// Sign in through the browser (OAuth, loopback redirect) and store the tokens
    Login(LoginArgs),
    /// Show who is signed in and until when (never the tokens)
    Status,
    /// Forget the stored tokens
    Logout,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Client ID of the application registered in the Nxsys portal
    #[arg(long, env = "NXSYS_CLIENT_ID")]
    pub client_id: Option<String>,
    /// The redirect URI registered for the client in the Nxsys portal; it must match exactly
    /// and be a loopback http:// address [default: redirect_uri in the profile, else
    /// http://127.0.0.1:8765/callback]
    #[arg(long, value_name = "URL", conflicts_with = "port")]
    pub redirect_uri: Option<String>,
    /// Use this local port in the redirect URI instead of the configured one (the result must
    /// still be registered for the client)
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Do not try to open a browser; only print the URL
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateEntity {
    Candidates,
    CandidatesIe,
    PaymentRates,
    Timesheets,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SheetFormat {
    Xlsx,
    Csv,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Which template
    pub entity: TemplateEntity,
    /// Output folder
    #[arg(short, long, default_value = ".")]
    pub output: PathBuf,
    /// File format
    #[arg(long, value_enum, default_value_t = SheetFormat::Xlsx)]
    pub format: SheetFormat,
    /// Overwrite template files that already exist (they may hold your filled-in rows)
    #[arg(long)]
    pub force: bool,
}

/// What is in a file or sheet, when its name and headers do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EntityArg {
    Candidates,
    CandidatesIe,
    PaymentRates,
    Timesheets,
}

/// Options shared by `validate` and `import`: how to read the input.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// CSV or workbook files (xlsx, xlsm, xls, ods)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Treat every file and sheet as this entity
    #[arg(long, value_enum)]
    pub entity: Option<EntityArg>,
    /// Mapping file (TOML) renaming columns and setting defaults
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Enum values and aliases file overriding the built-in one
    #[arg(long)]
    pub enums: Option<PathBuf>,
    /// Never repair what Excel did to identifiers (a mobile or sort code that lost its leading
    /// zero): report it as an error instead
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write every finding to this file (.xlsx or .csv)
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Write the failing rows, with an error column and highlighted cells, to this file
    #[arg(long)]
    pub fix_file: Option<PathBuf>,
    /// Messages do not quote NI/PPS numbers or bank details (the fix file still holds the
    /// rows as written, for correcting them)
    #[arg(long)]
    pub mask_pii: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Plan only: send nothing, write the plan as the report
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: plan without consulting Nxsys (every record counts as "would create
    /// or update"); without it a dry run that cannot reach Nxsys stops
    #[arg(long, requires = "dry_run")]
    pub offline: bool,
    /// Send these held change classes for this run: identity, bank, pay (comma-separated)
    #[arg(long, value_delimiter = ',', value_parser = change_class)]
    pub accept: Vec<ChangeClass>,
    /// Send the changes marked approved in this file (a report's Changes sheet, .xlsx or .csv,
    /// with its Approve column filled in)
    #[arg(long, value_name = "FILE")]
    pub approvals: Option<PathBuf>,
    /// Requests per second, 1 or more [default: from the profile, else 10; 200 with --sandbox]
    #[arg(long, value_name = "N", value_parser = rate)]
    pub rate: Option<u32>,
    /// Requests in flight at once, 1 or more [default: from the profile, else 8]
    #[arg(long, value_name = "N", value_parser = concurrency)]
    pub concurrency: Option<usize>,
    /// Reconciliation report (.xlsx, .csv or .json) [default: ./nxsys-run-<RUN>.xlsx]
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Also write the failing rows as a fix file
    #[arg(long)]
    pub fix_file: Option<PathBuf>,
    /// Resume this unfinished run
    #[arg(long)]
    pub resume: Option<String>,
    /// Submit a batch even though the same batch was already imported
    #[arg(long)]
    pub allow_duplicate_batch: bool,
    /// Mask NI numbers and bank details in reports and logs
    #[arg(long)]
    pub mask_pii: bool,
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

/// Running a command against an embedded sandbox instead of Nxsys (`import`, `doctor`).
#[derive(Debug, Default, Args)]
pub struct SandboxOpts {
    /// Run against an embedded sandbox instead of Nxsys
    #[arg(long)]
    pub sandbox: bool,
    /// With --sandbox: behaviours the embedded sandbox imitates, comma-separated (the names
    /// `sandbox --quirks` takes, e.g. filters-ignored,no-line-echo)
    #[arg(long, value_name = "LIST", requires = "sandbox")]
    pub sandbox_quirks: Option<String>,
    /// With --sandbox: fault probabilities, as `sandbox --faults` takes them
    #[arg(long, value_name = "SPEC", requires = "sandbox")]
    pub sandbox_faults: Option<String>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Keep what was found: in the journal (for this base URL) and, when a profile is in use,
    /// as its [profiles.NAME.server] table in the configuration file
    #[arg(long)]
    pub save: bool,
    /// The redirect URI to check [default: redirect_uri in the profile, else
    /// http://127.0.0.1:8765/callback]
    #[arg(long, value_name = "URL")]
    pub redirect_uri: Option<String>,
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub what: ExportWhat,
}

#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// Payslips to a workbook or CSV
    Payslips(PayslipExportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitBy {
    Worker,
    Period,
}

#[derive(Debug, Args)]
pub struct PayslipExportArgs {
    /// Tax year: the year it starts (2025) or both years (2025/26)
    #[arg(long, value_name = "YEAR", value_parser = tax_year)]
    pub tax_year: Option<i32>,
    /// Tax period, or a range such as 1-4
    #[arg(long)]
    pub tax_period: Option<String>,
    /// Pay frequency (e.g. WEEKLY, MONTHLY)
    #[arg(long)]
    pub pay_frequency: Option<String>,
    /// Payment model (e.g. PAYEE, CIS)
    #[arg(long)]
    pub payment_model: Option<String>,
    /// Worker id (SR-…); repeatable
    #[arg(long = "worker")]
    pub workers: Vec<String>,
    /// File with a column of worker ids (SR-…), Agency Refs (UK or Irish) or PPS numbers
    #[arg(long)]
    pub workers_from: Option<PathBuf>,
    /// Only payslips created on or after this date (YYYY-MM-DD)
    #[arg(long)]
    pub since: Option<String>,
    /// Output file: .xlsx or .csv (a folder with --split-by)
    #[arg(short, long)]
    pub output: PathBuf,
    /// CSV with a UTF-8 byte-order mark, for Excel
    #[arg(long)]
    pub excel_csv: bool,
    /// One file per worker or per period
    #[arg(long, value_enum)]
    pub split_by: Option<SplitBy>,
    /// Requests per second, 1 or more [default: from the profile, else 10; 200 with --sandbox]
    #[arg(long, value_name = "N", value_parser = rate)]
    pub rate: Option<u32>,
    /// Requests in flight at once, 1 or more [default: from the profile, else 8]
    #[arg(long, value_name = "N", value_parser = concurrency)]
    pub concurrency: Option<usize>,
    /// Run against an embedded sandbox seeded with payslips
    #[arg(long)]
    pub sandbox: bool,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(subcommand)]
    pub action: RunsAction,
}

#[derive(Debug, Subcommand)]
pub enum RunsAction {
    /// List past runs, newest first
    List,
    /// Show one run, optionally rewriting its report
    Show {
        /// The run's id as `runs list` shows it (e.g. 20250407-101500-a1b2), or `latest`
        #[arg(required_unless_present = "latest", value_name = "RUN")]
        run: Option<String>,
        /// Show the newest run (the same as RUN `latest`)
        #[arg(long, conflicts_with = "run")]
        latest: bool,
        /// Write the run's reconciliation report again to this file (.xlsx, .csv or .json),
        /// from the journal alone
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Remove old runs' personal values, or with --all whole runs
    ///
    /// Removes workers' names and NI/PPS numbers, the old and new values of changes and the
    /// server's messages from runs started before the age given, keeping each run's summary,
    /// ids, outcomes and control totals (a report re-issued from it still balances, with
    /// "pruned" in the personal columns). With --all, removes whole runs. Runs that can still be
    /// resumed are left alone. The space is reclaimed (VACUUM), so the values are gone from the
    /// journal file, not just unlinked.
    Prune {
        /// Prune runs started longer ago than this: days (90d) or weeks (12w)
        #[arg(
            long,
            value_name = "AGE",
            value_parser = age_in_days,
            required_unless_present = "all"
        )]
        older_than: Option<u32>,
        /// Remove whole runs, not only their personal values: those older than --older-than,
        /// else every run
        #[arg(long)]
        all: bool,
    },
}

/// `--older-than AGE`: `90d` (days) or `12w` (weeks), as a number of days.
pub fn age_in_days(text: &str) -> Result<u32, String> {
    let t = text.trim().to_ascii_lowercase();
    let refuse = || {
        format!(
            "'{text}' is not an age: write a whole number of days or weeks, e.g. 90d or 12w \
             (months and years vary in length, so they are not taken)"
        )
    };
    let (number, per) = match t.char_indices().last() {
        Some((at, 'd')) => (&t[..at], 1),
        Some((at, 'w')) => (&t[..at], 7),
        _ => return Err(refuse()),
    };
    number
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(per))
        .ok_or_else(refuse)
}

/// `--rate N`: 1 or more (0 would send nothing and wait for ever).
fn rate(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err(
            "the rate must be 1 or more requests per second (0 would never send \
                      anything)"
                .into(),
        ),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "'{text}' is not a whole number of requests per second; e.g. --rate 10"
        )),
    }
}

/// `--concurrency N`: 1 or more.
fn concurrency(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("at least 1 request must be in flight; e.g. --concurrency 8".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "'{text}' is not a whole number of requests; e.g. --concurrency 8"
        )),
    }
}

/// `--tax-year 2025` or `--tax-year 2025/26`, read as a Tax Year cell is.
fn tax_year(text: &str) -> Result<i32, String> {
    crate::schema::build::parse_tax_year(text)
}

/// `gen-batch` (hidden): a synthetic batch, valid by construction, deterministic from the seed.
#[derive(Debug, Args)]
pub struct GenBatchArgs {
    /// Workers (UK candidates)
    #[arg(long)]
    pub workers: u64,
    /// Pay codes (payment rates)
    #[arg(long)]
    pub pay_codes: u64,
    /// Timesheet lines in all
    #[arg(long)]
    pub timesheet_lines: u64,
    /// Spread the lines over exactly this many timesheets [default: 1–3 lines each]
    #[arg(long)]
    pub timesheets: Option<u64>,
    /// Share of rows carrying a planted mistake, listed in expected/planted.csv (0.05 = 5 %)
    #[arg(long, default_value_t = 0.0)]
    pub error_share: f64,
    /// Seed of every random choice
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// File format
    #[arg(long, value_enum, default_value_t = SheetFormat::Csv)]
    pub format: SheetFormat,
    /// Output folder (created if missing)
    #[arg(short, long)]
    pub output: PathBuf,
}

/// `--accept` values: the change classes that wait for approval.
fn change_class(text: &str) -> Result<ChangeClass, String> {
    match ChangeClass::parse(text) {
        Some(class) if class.is_guarded() => Ok(class),
        _ => Err(format!(
            "'{text}' is not a change class that waits for approval; use identity, bank or pay \
             (comma-separated, e.g. --accept bank,pay)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn ages_are_days_or_weeks() {
        assert_eq!(age_in_days("90d"), Ok(90));
        assert_eq!(age_in_days(" 12W "), Ok(84));
        assert_eq!(age_in_days("0d"), Ok(0));
        for bad in ["6m", "90", "d", "-1d", "1y", "99999999999w"] {
            let refused = age_in_days(bad).unwrap_err();
            assert!(refused.contains("90d or 12w"), "{bad}: {refused}");
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
