//! `nxsys-etl doctor [--save] [--sandbox …]`: sign in as `import` does, ask the server read-only
//! how it behaves where the API reference is silent, print what was found and what the importer
//! will do about it, and with `--save` keep it for the importer.
//!
//! Exit 0 when every check ran or could not run for want of data (variants are information);
//! 1 when a check found something the importer cannot handle; 2 usage; 3 cannot connect or
//! sign in.

use anyhow::{Result, anyhow};
use serde_json::json;

use super::exit::{Exit, Failure};
use super::runs::open_journal;
use super::session::{self, Api, connect};
use crate::api::ServerTraits;
use crate::cli::{DoctorArgs, Global};
use crate::doctor::{Diagnosis, DoctorOptions, examine};
use crate::settings::{ConfigFile, redirect_uri, save_server_traits};

pub async fn run(global: &Global, args: DoctorArgs) -> Result<Exit> {
    let flags = super::flags(global);
    let sandbox = session::sandbox_config(&args.sandbox)?;
    let (settings, api) = session::resolve(&flags, sandbox)?;
    let profile = match &api {
        Api::Nxsys(target) => target.profile.clone(),
        Api::Sandbox(_) => None,
    };
    let redirect = redirect_uri(
        args.redirect_uri.as_deref(),
        profile.as_ref().map(|(_, p)| p),
        None,
    )
    .map_err(|e| Failure::usage(anyhow!(e)))?;
    // The journal is opened first, so a state directory that cannot be used stops the doctor
    // before it sends anything.
    let journal = if args.save {
        Some(open_journal(global)?)
    } else {
        None
    };

    let session = connect(&settings, api).await?;
    let opts = DoctorOptions {
        client_id: session.client_id.clone(),
        client_secret: session.client_secret.clone(),
        redirect_uri: redirect,
        token_lifetime: session.tokens.lifetime().await,
    };
    let result = examine(&session.client, &opts).await;
    let base_url = session.base_url.to_string();
    session.close().await;
    let diagnosis = result.map_err(|e| {
        Failure::aborted(anyhow!(
            "{e}; the doctor could not finish its reads of {base_url}"
        ))
    })?;

    let mut saved = Vec::new();
    if let Some(journal) = journal {
        // Start from what earlier runs learnt (by writing) and put over it what was seen now.
        let mut traits: ServerTraits = journal
            .learnt(&base_url)
            .map_err(Failure::aborted)?
            .unwrap_or_default();
        traits.merge(&diagnosis.traits);
        journal
            .set_learnt(&base_url, &traits)
            .map_err(Failure::aborted)?;
        saved.push(format!("the journal {}", journal.path().display()));
        if let Some((name, old)) = &profile {
            let mut traits = old.server.clone().unwrap_or_default();
            traits.merge(&diagnosis.traits);
            let path = global
                .config
                .clone()
                .or_else(ConfigFile::default_path)
                .ok_or_else(|| Failure::usage(anyhow!("no configuration file to save to")))?;
            save_server_traits(&path, name, &traits).map_err(Failure::usage)?;
            saved.push(format!("[profiles.{name}.server] in {}", path.display()));
        }
    }

    if global.json {
        println!(
            "{}",
            serde_json::to_string(&summary(&base_url, &diagnosis, &saved))?
        );
    } else if !global.quiet {
        print_table(&base_url, &diagnosis, &saved);
    }
    Ok(if diagnosis.all_ok() {
        Exit::Ok
    } else {
        Exit::Rows
    })
}

fn summary(base_url: &str, d: &Diagnosis, saved: &[String]) -> serde_json::Value {
    json!({
        "base_url": base_url,
        "variants": d.traits.variants(),
        "ok": d.all_ok(),
        "checks": d.checks,
        "traits": d.traits,
        "rate_limit_headers": d.rate_limit_headers.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
        "clock_skew_secs": d.clock_skew_secs,
        "token_lifetime_secs": d.token_lifetime_secs,
        "requests": d.requests,
        "saved": saved,
    })
}

fn print_table(base_url: &str, d: &Diagnosis, saved: &[String]) {
    println!(
        "Nxsys API: {base_url} ({} read(s), nothing written)",
        d.requests
    );
    let variants = d.traits.variants();
    if variants.is_empty() {
        println!("Behaves as the default sandbox: no variant found.");
    } else {
        println!("Variants: {}", variants.join(", "));
    }
    println!();
    let width = d
        .checks
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "     {:<width$}  found | what the importer will do about it",
        "check"
    );
    for c in &d.checks {
        let mark = match (c.ok, c.ran) {
            (false, _) => "FAIL ",
            (true, true) => "ok   ",
            (true, false) => "--   ",
        };
        println!("{mark}{:<width$}  {} | {}", c.name, c.detail, c.action);
    }
    println!();
    if !d.all_ok() {
        println!("Some checks found what the importer cannot handle (FAIL above).");
    }
    for place in saved {
        println!("Saved to {place}.");
    }
    if saved.is_empty() {
        println!("Run with --save to keep what was found for the importer.");
    }
}
