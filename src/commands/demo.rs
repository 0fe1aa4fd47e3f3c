//! `nxsys-etl demo`.

use anyhow::Result;

use crate::cli::{DemoArgs, Global};
use crate::exit::Exit;

pub async fn run(_global: &Global, _args: DemoArgs) -> Result<Exit> {
    super::not_built("demo")
}
