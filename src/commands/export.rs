//! `nxsys-etl export`.

use anyhow::Result;

use crate::cli::{ExportArgs, Global};
use crate::exit::Exit;

pub async fn run(_global: &Global, _args: ExportArgs) -> Result<Exit> {
    super::not_built("export")
}
