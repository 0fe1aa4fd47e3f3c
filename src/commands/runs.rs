//! `nxsys-etl runs`.

use anyhow::Result;

use crate::cli::{Global, RunsArgs};
use crate::exit::Exit;

pub fn run(_global: &Global, _args: RunsArgs) -> Result<Exit> {
    super::not_built("runs")
}
