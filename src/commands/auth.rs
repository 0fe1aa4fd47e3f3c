//! `nxsys-etl auth`.

use anyhow::Result;

use crate::cli::{AuthArgs, Global};
use crate::exit::Exit;

pub async fn run(_global: &Global, _args: AuthArgs) -> Result<Exit> {
    super::not_built("auth")
}
