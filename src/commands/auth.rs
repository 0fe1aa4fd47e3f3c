//! `nxsys-etl auth login | status | logout`.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anyhow::{Result, anyhow};
use chrono::Utc;
use secrecy::SecretString;
use url::Url;

use super::exit::{Exit, Failure};
use super::session;
use crate::auth::login::{self, LoginOptions};
use crate::auth::{Account, StoredLogin, env_var};
use crate::cli::{AuthAction, AuthArgs, Global, LoginArgs};
use crate::settings::Target;

pub async fn run(global: &Global, args: AuthArgs) -> Result<Exit> {
    let target = Target::resolve(&super::flags(global)).map_err(Failure::usage)?;
    let account = session::account(&target)?;
    match args.action {
        AuthAction::Login(login) => login_cmd(global, &target, &account, login).await,
        AuthAction::Status => status(global, &account),
        AuthAction::Logout => logout(global, &account),
    }
}

async fn login_cmd(
    global: &Global,
    target: &Target,
    account: &Account,
    args: LoginArgs,
) -> Result<Exit> {
    let client_id = args
        .client_id
        .clone()
        .or_else(|| target.profile().and_then(|p| p.client_id.clone()))
        .ok_or_else(|| {
            Failure::usage(anyhow!(
                "no client ID: pass --client-id (or set NXSYS_CLIENT_ID, or client_id in the profile) with the Client ID from the Nxsys portal (Employers Management → Client Applications)"
            ))
        })?;
    let client_secret = match env_var("NXSYS_CLIENT_SECRET") {
        Some(s) => SecretString::from(s),
        None => prompt_secret()?,
    };
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let open_browser = interactive && !args.no_browser;
    let mut opts = LoginOptions::new(
        account.base_url.clone(),
        client_id.clone(),
        client_secret.clone(),
    );
    opts.redirect_uri =
        crate::settings::redirect_uri(args.redirect_uri.as_deref(), target.profile(), args.port)
            .map_err(|e| Failure::usage(anyhow!(e)))?;
    opts.wait = Duration::from_secs(300);
    let quiet = global.quiet;
    let outcome = login::run(opts, move |url: &Url| {
        if !quiet {
            eprintln!("Open this address in a browser and approve nxsys-etl:\n\n  {url}\n");
            eprintln!("Waiting up to 5 minutes for the approval…");
        }
        if open_browser && webbrowser::open(url.as_str()).is_err() && !quiet {
            eprintln!("(Could not open a browser; copy the address above.)");
        }
    })
    .await
    .map_err(|e| match e {
        login::LoginError::Bind { .. }
        | login::LoginError::BadRedirect(_)
        | login::LoginError::RedirectRefused(_) => Failure::usage(e),
        other => Failure::aborted(other),
    })?;

    let refresh_token = outcome.tokens.refresh_token.ok_or_else(|| {
        Failure::aborted(anyhow!(
            "Nxsys issued no refresh token, so the sign-in cannot be kept; check the client application in the Nxsys portal"
        ))
    })?;
    let expires_at = outcome
        .tokens
        .expires_in
        .and_then(|s| chrono::Duration::try_seconds(s as i64))
        .map(|d| Utc::now() + d);
    account
        .store
        .save(&StoredLogin {
            base_url: account.base_url.to_string(),
            client_id: client_id.clone(),
            client_secret,
            refresh_token,
            expires_at,
            updated_at: Utc::now(),
            origin: None,
        })
        .map_err(Failure::aborted)?;
    if global.json {
        println!(
            "{}",
            serde_json::json!({"signedIn": true, "baseUrl": account.base_url.as_str(),
                "clientId": client_id, "store": account.store.path()})
        );
    } else if !global.quiet {
        eprintln!(
            "Signed in to {} as client {client_id}. The sign-in is kept in {}.",
            account.describe(),
            account.store.path().display()
        );
    }
    Ok(Exit::Ok)
}

/// Read the client secret from the terminal without echo (`stty`), or refuse when there is none.
fn prompt_secret() -> Result<SecretString> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(anyhow!(
            "no client secret: set NXSYS_CLIENT_SECRET to the Client Secret from the Nxsys portal"
        ))
        .into());
    }
    eprint!("Client secret (input hidden): ");
    let _ = std::io::stderr().flush();
    let hidden = std::process::Command::new("stty")
        .arg("-echo")
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success());
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if hidden {
        let _ = std::process::Command::new("stty")
            .arg("echo")
            .stdin(std::process::Stdio::inherit())
            .status();
    }
    eprintln!();
    read.map_err(|e| Failure::usage(anyhow!("could not read the client secret: {e}")))?;
    let secret = line.trim().to_string();
    if secret.is_empty() {
        return Err(Failure::usage(anyhow!("no client secret was entered")).into());
    }
    Ok(secret.into())
}

/// What `NXSYS_REFRESH_TOKEN`, when set, means for the next run, as
/// [`Account::credentials`] decides it: the variable is used, unless the store holds the token
/// the server rotated that very value to (the variable's value is then spent).
fn environment_line(stored: Option<&StoredLogin>) -> Option<String> {
    let token = env_var("NXSYS_REFRESH_TOKEN")?;
    let origin = crate::auth::fingerprint(&SecretString::from(token));
    let rotated = stored.is_some_and(|s| s.origin.as_deref() == Some(origin.as_str()));
    Some(if rotated {
        "NXSYS_REFRESH_TOKEN is set, but an earlier run already exchanged it; runs use the \
         rotated token saved in the store (with NXSYS_CLIENT_ID and NXSYS_CLIENT_SECRET)"
            .to_string()
    } else {
        "NXSYS_REFRESH_TOKEN is set; runs sign in with it (and NXSYS_CLIENT_ID, \
         NXSYS_CLIENT_SECRET) instead of the stored sign-in, and save its rotated successor to \
         the store, which later runs then use"
            .to_string()
    })
}

fn status(global: &Global, account: &Account) -> Result<Exit> {
    let env_in_use = env_var("NXSYS_REFRESH_TOKEN").is_some();
    let stored = account.store.load().map_err(Failure::aborted)?;
    let now = Utc::now();
    if global.json {
        let entry = stored.as_ref().map(|s| {
            serde_json::json!({
                "clientId": s.client_id, "updatedAt": s.updated_at,
                "accessTokenExpiresAt": s.expires_at,
            })
        });
        println!(
            "{}",
            serde_json::json!({
                "baseUrl": account.base_url.as_str(),
                "profile": account.profile,
                "store": account.store.path(),
                "signedIn": stored.is_some() || env_in_use,
                "environmentCredentials": env_in_use,
                "stored": entry,
            })
        );
    } else {
        println!("Nxsys API:   {}", account.describe());
        println!("Token store: {}", account.store.path().display());
        match &stored {
            Some(s) => {
                println!("Signed in:   yes, as client {}", s.client_id);
                println!("Last token:  {}", s.updated_at.format("%Y-%m-%d %H:%M UTC"));
                if let Some(at) = s.expires_at {
                    let left = at - now;
                    if left > chrono::Duration::zero() {
                        println!(
                            "Access:      valid for {} more minute(s); it is renewed automatically",
                            left.num_minutes()
                        );
                    } else {
                        println!(
                            "Access:      expired {}; it is renewed automatically on the next run",
                            at.format("%Y-%m-%d %H:%M UTC")
                        );
                    }
                }
            }
            None => println!(
                "Signed in:   no — run `nxsys-etl{} auth login`",
                account.profile_flag()
            ),
        }
        if let Some(line) = environment_line(stored.as_ref()) {
            println!("Environment: {line}");
        }
    }
    Ok(if stored.is_some() || env_in_use {
        Exit::Ok
    } else {
        Exit::Aborted
    })
}

fn logout(global: &Global, account: &Account) -> Result<Exit> {
    let removed = account.store.remove().map_err(Failure::aborted)?;
    if global.json {
        println!(
            "{}",
            serde_json::json!({"signedOut": removed, "baseUrl": account.base_url.as_str()})
        );
    } else if !global.quiet {
        if removed {
            eprintln!(
                "Signed out of {}: the stored sign-in was deleted.",
                account.describe()
            );
        } else {
            eprintln!("There was no stored sign-in for {}.", account.describe());
        }
        if env_var("NXSYS_REFRESH_TOKEN").is_some() {
            eprintln!("NXSYS_REFRESH_TOKEN is still set in the environment; unset it too.");
        }
    }
    Ok(Exit::Ok)
}
