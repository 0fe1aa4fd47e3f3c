//! `nxsys-etl completions SHELL` and `nxsys-etl manpage`: generated from the clap definition,
//! so they never fall behind the options.

use std::io::Write;

use anyhow::{Context, Result};
use clap::CommandFactory;

use super::exit::Exit;
use crate::cli::{Cli, CompletionsArgs};

/// The completion script for `args.shell`, on stdout.
pub fn completions(args: CompletionsArgs) -> Result<Exit> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "nxsys-etl", &mut out);
    out.flush().context("cannot write the completion script")?;
    Ok(Exit::Ok)
}

/// The man page (roff), on stdout.
pub fn manpage() -> Result<Exit> {
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .context("cannot write the man page")?;
    out.flush().context("cannot write the man page")?;
    Ok(Exit::Ok)
}
