//! `nxsys-etl sandbox`: run the local Nxsys simulator until Ctrl-C.
//!
//! The first line on stdout is the banner (or, with `--json`, one JSON object with `base_url`,
//! `client_id`, `client_secret`, `refresh_token`). Printing the secret is deliberate: it is the
//! simulator's own fake credential, needed to point a client at it.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::json;

use super::exit::{Exit, Failure};
use crate::cli::{Global, SandboxArgs};
use nxsys_sandbox::{Faults, Quirks, SandboxConfig};

/// Turn the command-line options into a sandbox configuration (usage errors name the option).
fn config(args: &SandboxArgs) -> Result<SandboxConfig> {
    let usage = |option: &str, e: nxsys_sandbox::ConfigError| {
        Failure::usage(anyhow::anyhow!("{option}: {e}"))
    };
    Ok(SandboxConfig {
        addr: args.addr,
        rate_limit: args.rate_limit.filter(|n| *n > 0),
        latency_ms: args
            .latency_ms
            .as_deref()
            .map(nxsys_sandbox::parse_latency)
            .transpose()
            .map_err(|e| usage("--latency-ms", e))?,
        faults: args
            .faults
            .as_deref()
            .map(Faults::parse)
            .transpose()
            .map_err(|e| usage("--faults", e))?
            .unwrap_or_default(),
        quirks: args
            .quirks
            .as_deref()
            .map(Quirks::parse)
            .transpose()
            .map_err(|e| usage("--quirks", e))?
            .unwrap_or_default(),
        token_ttl: Duration::from_secs(args.token_ttl.max(1)),
        seed_payslips: args.seed_payslips,
        ..SandboxConfig::default()
    })
}

pub async fn run(global: &Global, args: SandboxArgs) -> Result<Exit> {
    let config = config(&args)?;
    let handle = nxsys_sandbox::start(config).await.map_err(Failure::usage)?;
    let mut out = std::io::stdout().lock();
    if global.json {
        let line = json!({
            "base_url": handle.base_url,
            "client_id": handle.client_id,
            "client_secret": handle.client_secret,
            "refresh_token": handle.refresh_token,
        });
        writeln!(out, "{line}")?;
    } else {
        // Lines a shell takes as they are: `export NAME='value'`, comments for the rest.
        writeln!(
            out,
            "Nxsys sandbox listening on {url}\n\
             \n  API base URL   {url}   (paths /nxsys/…)\
             \n  authorize page {url}/oauth/authorize\
             \n  stats          {url}/_sandbox/stats\
             \n\n# Paste into another shell, then run `nxsys-etl auth login`:\
             \nexport NXSYS_BASE_URL={url_q}\
             \nexport NXSYS_CLIENT_ID={id}\
             \nexport NXSYS_CLIENT_SECRET={secret}\
             \n# Or, instead of signing in (unattended runs), also:\
             \n# export NXSYS_REFRESH_TOKEN={refresh}\
             \n\nThese are the simulator's own fake credentials. Press Ctrl-C to stop.",
            url = handle.base_url,
            url_q = shell_quote(&handle.base_url),
            id = shell_quote(&handle.client_id),
            secret = shell_quote(&handle.client_secret),
            refresh = shell_quote(&handle.refresh_token),
        )?;
    }
    out.flush()?;
    drop(out);
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    handle.shutdown().await;
    if !global.quiet {
        eprintln!("sandbox stopped");
    }
    Ok(Exit::Ok)
}

/// `value` as one word for a POSIX shell: single-quoted, a `'` inside written `'\''`.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}
