//! `nxsys-etl validate`.

use anyhow::Result;

use crate::cli::{Global, ValidateArgs};
use crate::exit::Exit;

pub fn run(_global: &Global, _args: ValidateArgs) -> Result<Exit> {
    super::not_built("validate")
}
