//! `nxsys-etl template`.

use anyhow::Result;

use crate::cli::{Global, TemplateArgs};
use crate::exit::Exit;

pub fn run(_global: &Global, _args: TemplateArgs) -> Result<Exit> {
    super::not_built("template")
}
