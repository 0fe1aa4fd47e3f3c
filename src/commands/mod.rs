//! One file per subcommand. Each turns parsed arguments into calls on the pipeline stages and
//! returns the exit status; errors carry theirs through [`exit::Failure`]. Errors are mapped to
//! exit codes here and nowhere else.

mod auth;
mod completions;
mod demo;
mod doctor;
pub mod exit;
mod export;
mod gen_batch;
mod import;
mod interrupt;
mod runs;
mod sandbox;
mod session;
mod template;
mod validate;

use anyhow::Result;

use crate::cli::{Cli, Command, Global};
use crate::settings::Flags;
use exit::{Exit, Failure};

/// Parse-free entry point used by `main`.
pub fn run(cli: Cli) -> Result<Exit> {
    init_logging(&cli.global);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::aborted)?;
    let global = cli.global;
    runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => demo::run(&global, args).await,
            Command::Sandbox(args) => sandbox::run(&global, args).await,
            Command::Auth(args) => auth::run(&global, args).await,
            Command::Template(args) => template::run(&global, args),
            Command::Validate(args) => validate::run(&global, args),
            Command::Import(args) => import::run(&global, args).await,
            Command::Export(args) => export::run(&global, args).await,
            Command::Doctor(args) => doctor::run(&global, args).await,
            Command::Runs(args) => runs::run(&global, args),
            Command::GenBatch(args) => gen_batch::run(&global, args),
            Command::Completions(args) => completions::completions(args),
            Command::Manpage => completions::manpage(),
        }
    })
}

/// The settings the global options give; `import` and `export` add their `--rate` and
/// `--concurrency`.
fn flags(global: &Global) -> Flags {
    Flags {
        config: global.config.clone(),
        profile: global.profile.clone(),
        base_url: global.base_url.clone(),
        rate: None,
        concurrency: None,
        timeout: global.timeout,
        quiet: global.quiet,
        json: global.json,
        no_progress: global.no_progress,
    }
}

/// Logs go to stderr; `-v` shows what the tool does, `-vv` every request. `RUST_LOG` overrides.
fn init_logging(global: &Global) {
    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "nxsys_etl=info,warn",
        (false, _) => "nxsys_etl=debug,info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(
            std::env::var_os("NO_COLOR").is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        )
        .try_init();
}

/// Check an output path the user named (`what` says which, e.g. "fix file") before any work:
/// its folder must exist, and it must not be one of the input files (writing there would
/// replace the user's rows with output).
fn check_output(what: &str, path: &std::path::Path, inputs: &[std::path::PathBuf]) -> Result<()> {
    if let Some(dir) = crate::writing::missing_folder(path) {
        return Err(Failure::usage(anyhow::anyhow!(
            "the folder {} for the {what} does not exist; create it, or give another path",
            dir.display()
        ))
        .into());
    }
    if let Some(input) = crate::writing::input_named(path, inputs) {
        return Err(Failure::usage(anyhow::anyhow!(
            "the {what} {} is one of the input files ({}); writing it would replace your rows — \
             give the {what} another name",
            path.display(),
            input.display()
        ))
        .into());
    }
    Ok(())
}
