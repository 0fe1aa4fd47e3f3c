//! Connecting a command (`import`, `export`, `demo`) to Nxsys or to an embedded sandbox, with
//! the invocation's [`Settings`]. A bad configuration is exit 2; every failure to connect is
//! exit 3 (aborted) with what to do.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use secrecy::SecretString;
use url::Url;

use super::exit::Failure;
use crate::api::{ApiError, Client, ClientConfig};
use crate::auth::{Account, Credentials, TokenStore, Tokens, env_var};
use crate::cli::SandboxOpts;
use crate::settings::{Flags, Server, Settings, Target};
use nxsys_sandbox::{Faults, Quirks, SandboxConfig, SandboxHandle};

/// The API a command will talk to, decided but not yet connected.
#[derive(Debug)]
pub(crate) enum Api {
    /// Nxsys, as the configuration and the command line say.
    Nxsys(Target),
    /// An embedded sandbox started with this configuration.
    Sandbox(SandboxConfig),
}

/// A connected client, and the embedded sandbox it talks to when there is one (it runs until
/// `close()` or the end of the runtime).
pub(crate) struct Session {
    pub client: Client,
    pub sandbox: Option<SandboxHandle>,
    pub base_url: Url,
    /// The application's client id: with the base URL, the API tenant a run writes to.
    pub client_id: String,
    /// The application's client secret (for `doctor`'s redirect check; never printed).
    pub client_secret: SecretString,
    /// The client's access tokens (how long they live).
    pub tokens: Arc<Tokens>,
    /// What `doctor --save` wrote into the profile of the server (`[profiles.NAME.server]`).
    pub profile_server: Option<crate::api::ServerTraits>,
}

impl Session {
    /// The API tenant this session writes to (base URL and client id), for the one-writer lock.
    pub fn tenant(&self) -> String {
        format!("{} client {}", self.base_url, self.client_id)
    }
}

impl Session {
    /// Stop the embedded sandbox, if any, once the command is done with it.
    pub async fn close(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// The settings and the API of a command: the embedded sandbox when `sandbox` is given (no
/// configuration file is read, as no profile describes it), else Nxsys as the configuration and
/// the command line say. Errors are usage errors.
pub(crate) fn resolve(
    flags: &Flags,
    sandbox: Option<SandboxConfig>,
) -> anyhow::Result<(Settings, Api)> {
    if let Some(config) = sandbox {
        let settings = Settings::resolve(flags, None, Server::EmbeddedSandbox);
        return Ok((settings, Api::Sandbox(config)));
    }
    let target = Target::resolve(flags).map_err(Failure::usage)?;
    let settings = Settings::resolve(flags, target.profile(), Server::Nxsys);
    Ok((settings, Api::Nxsys(target)))
}

/// The embedded sandbox `--sandbox` asks for, with its `--sandbox-quirks` and
/// `--sandbox-faults`; `None` without `--sandbox`. A name or value the sandbox does not know is
/// a usage error.
pub(crate) fn sandbox_config(opts: &SandboxOpts) -> anyhow::Result<Option<SandboxConfig>> {
    if !opts.sandbox {
        return Ok(None);
    }
    let mut config = SandboxConfig::default();
    if let Some(list) = &opts.sandbox_quirks {
        config.quirks =
            Quirks::parse(list).map_err(|e| Failure::usage(anyhow!("--sandbox-quirks: {e}")))?;
    }
    if let Some(spec) = &opts.sandbox_faults {
        config.faults =
            Faults::parse(spec).map_err(|e| Failure::usage(anyhow!("--sandbox-faults: {e}")))?;
    }
    Ok(Some(config))
}

/// A client signed in with `creds`, and its tokens: the first access token is obtained now,
/// and rotated refresh tokens are saved to `store` when there is one.
async fn sign_in(
    config: ClientConfig,
    creds: Credentials,
    store: Option<TokenStore>,
) -> Result<(Client, Arc<Tokens>), ApiError> {
    let tokens = Arc::new(Tokens::new(creds, store));
    let client = Client::connect(config, Arc::clone(&tokens) as _).await?;
    Ok((client, tokens))
}

/// Whose sign-in `target` uses; a token store that cannot be located is a usage error.
pub(crate) fn account(target: &Target) -> anyhow::Result<Account> {
    let profile = target.profile_name().map(str::to_string);
    Account::new(target.base_url.clone(), profile).map_err(|e| Failure::usage(e).into())
}

/// Start the embedded sandbox or sign in to Nxsys, and return a ready client.
pub(crate) async fn connect(settings: &Settings, api: Api) -> anyhow::Result<Session> {
    match api {
        Api::Sandbox(config) => connect_sandbox(settings, config).await,
        Api::Nxsys(target) => connect_nxsys(settings, &target).await,
    }
}

async fn connect_sandbox(settings: &Settings, config: SandboxConfig) -> anyhow::Result<Session> {
    let handle = nxsys_sandbox::start(config)
        .await
        .map_err(|e| Failure::aborted(e.context("could not start the embedded sandbox")))?;
    let base_url = Url::parse(&handle.base_url).map_err(|e| {
        Failure::aborted(anyhow!(
            "the sandbox gave an unusable address {}: {e}",
            handle.base_url
        ))
    })?;
    let client_id = handle.client_id.clone();
    let creds = Credentials {
        client_id: handle.client_id.clone(),
        client_secret: SecretString::from(handle.client_secret.clone()),
        refresh_token: SecretString::from(handle.refresh_token.clone()),
    };
    let client_secret = creds.client_secret.clone();
    let (client, tokens) = sign_in(settings.client_config(base_url.clone()), creds, None)
        .await
        .map_err(connect_failure)?;
    Ok(Session {
        client,
        sandbox: Some(handle),
        base_url,
        client_id,
        client_secret,
        tokens,
        profile_server: None,
    })
}

async fn connect_nxsys(settings: &Settings, target: &Target) -> anyhow::Result<Session> {
    let account = account(target)?;
    let client_id = target.profile().and_then(|p| p.client_id.as_deref());
    let (creds, store) = account
        .credentials(client_id, env_var)
        .map_err(Failure::aborted)?;
    tracing::info!(base_url = %target.base_url, client_id = %creds.client_id, "connecting");
    let config = settings.client_config(target.base_url.clone());
    let client_id = creds.client_id.clone();
    let client_secret = creds.client_secret.clone();
    let (client, tokens) = sign_in(config, creds, Some(store))
        .await
        .map_err(connect_failure)
        .with_context(|| format!("signing in to {}", account.describe()))?;
    Ok(Session {
        client,
        sandbox: None,
        base_url: target.base_url.clone(),
        client_id,
        client_secret,
        tokens,
        profile_server: target.profile().and_then(|p| p.server.clone()),
    })
}

fn connect_failure(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::Config(_) => Failure::usage(e).into(),
        other => Failure::aborted(other).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::exit::{Exit, exit_for};

    #[test]
    fn not_signed_in_is_aborted() {
        let dir = tempfile::tempdir().unwrap();
        let base_url = Url::parse("http://127.0.0.1:1").unwrap();
        let account = Account {
            profile: None,
            store: crate::auth::TokenStore::new(
                dir.path().join("tokens.json"),
                crate::auth::store_key(None, &base_url),
            ),
            base_url,
        };
        let err: anyhow::Error = Failure::aborted(
            account
                .credentials(None, |_: &str| None::<String>)
                .unwrap_err(),
        )
        .into();
        assert!(format!("{err:#}").contains("auth login"));
        assert_eq!(exit_for(&err), Exit::Aborted);
    }

    #[test]
    fn the_sandbox_reads_no_configuration() {
        let flags = Flags {
            config: Some("/nonexistent/nxsys.toml".into()),
            profile: Some("acme".into()),
            ..Flags::default()
        };
        let (settings, api) =
            resolve(&flags, Some(SandboxConfig::default())).expect("no file is read");
        assert!(matches!(api, Api::Sandbox(_)));
        assert_eq!(settings.rate, crate::settings::SANDBOX_RATE);
        let err = resolve(&flags, None).unwrap_err();
        assert_eq!(exit_for(&err), Exit::Usage);
    }

    #[tokio::test]
    async fn sandbox_session_is_connected_and_closes() {
        let flags = Flags {
            base_url: Some("https://api.nxsys.tech".into()),
            rate: Some(100),
            concurrency: Some(2),
            quiet: true,
            no_progress: true,
            ..Flags::default()
        };
        let (settings, api) = resolve(&flags, Some(SandboxConfig::default())).expect("resolved");
        let session = connect(&settings, api).await.expect("sandbox session");
        assert_eq!(session.base_url.host_str(), Some("127.0.0.1"));
        assert!(session.sandbox.is_some());
        let codes = session.client.vat_codes().await.expect("API answers");
        assert!(!codes.is_empty());
        assert_eq!(session.client.stats().rate, 100);
        session.close().await;
    }
}
