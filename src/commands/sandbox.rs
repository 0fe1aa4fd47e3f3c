//! `nxsys-etl sandbox`.

use anyhow::Result;

use crate::cli::{Global, SandboxArgs};
use crate::exit::Exit;

pub async fn run(_global: &Global, _args: SandboxArgs) -> Result<Exit> {
    super::not_built("sandbox")
}
