//! `nxsys-etl import`.

use anyhow::Result;

use crate::cli::{Global, ImportArgs};
use crate::exit::Exit;

pub async fn run(_global: &Global, _args: ImportArgs) -> Result<Exit> {
    super::not_built("import")
}
