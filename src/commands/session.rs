//! Connecting to Nxsys for a command (`import`, `export`, `demo`): the embedded sandbox or real
//! credentials, resolved in this order: `--sandbox`; the environment (`NXSYS_CLIENT_ID`,
//! `NXSYS_CLIENT_SECRET`, `NXSYS_REFRESH_TOKEN`, `NXSYS_BASE_URL`); the profile; the token store
//! written by `auth login`. Every failure is exit 3 (aborted) with what to do, except a bad
//! configuration, which is exit 2.

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use secrecy::SecretString;
use url::Url;

use super::exit::Failure;
use crate::api::{ApiError, Client, ClientConfig, check_base_url};
use crate::auth::{self, Credentials, StoreError, TokenStore, fingerprint, store_key};
use crate::cli::Global;
use crate::config::{Config, Profile};
use nxsys_sandbox::{SandboxConfig, SandboxHandle};

/// The production API.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.nxsys.tech";
/// Requests per second when neither `--rate` nor the profile says.
pub(crate) const DEFAULT_RATE: u32 = 10;
/// Requests in flight when neither `--concurrency` nor the profile says.
pub(crate) const DEFAULT_CONCURRENCY: usize = 8;
/// Requests per second against the embedded sandbox when `--rate` does not say: it has no rate
/// limit of its own, so trying a batch with `--sandbox` should not crawl at the real default.
pub(crate) const SANDBOX_RATE: u32 = 200;
/// Seconds to wait for an answer when neither `--timeout` nor the profile says.
pub(crate) const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// What a command asks of the connection.
#[derive(Debug, Default)]
pub(crate) struct ConnectOptions {
    /// Start an embedded sandbox with this configuration and use it.
    pub sandbox: Option<SandboxConfig>,
    pub rate: Option<u32>,
    pub concurrency: Option<usize>,
}

/// A connected client, and the embedded sandbox it talks to when there is one (it runs until
/// `sandbox.shutdown()` or the end of the runtime).
pub(crate) struct Session {
    pub client: Client,
    pub sandbox: Option<SandboxHandle>,
    pub base_url: Url,
}

impl Session {
    /// Stop the embedded sandbox, if any, once the command is done with it.
    #[allow(dead_code)] // for import, export and demo: stop the sandbox when done
    pub async fn close(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// Configuration, profile, base URL and token store of this invocation.
pub(crate) struct Target {
    pub profile: Option<(String, Profile)>,
    pub base_url: Url,
    pub store: TokenStore,
}

impl Target {
    /// "https://api.nxsys.tech (profile acme)" for messages.
    pub fn describe(&self) -> String {
        match &self.profile {
            Some((name, _)) => format!("{} (profile {name})", self.base_url),
            None => self.base_url.to_string(),
        }
    }

    /// ` --profile NAME` when a profile is in use, for commands printed in messages.
    pub fn profile_flag(&self) -> String {
        self.profile
            .as_ref()
            .map(|(n, _)| format!(" --profile {n}"))
            .unwrap_or_default()
    }
}

/// Read the configuration and decide the base URL and store entry. Errors are usage errors.
pub(crate) fn resolve(global: &Global) -> anyhow::Result<Target> {
    let config = Config::load(global.config.as_deref()).map_err(Failure::usage)?;
    let profile = config
        .profile(global.profile.as_deref())
        .map_err(Failure::usage)?;
    let raw = global
        .base_url
        .clone()
        .or_else(|| profile.as_ref().and_then(|(_, p)| p.base_url.clone()))
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let base_url = Url::parse(raw.trim()).map_err(|e| {
        Failure::usage(anyhow!(
            "the base URL `{raw}` is not a URL ({e}); use e.g. {DEFAULT_BASE_URL}"
        ))
    })?;
    check_base_url(&base_url).map_err(Failure::usage)?;
    let path = store_path().map_err(Failure::usage)?;
    let key = store_key(profile.as_ref().map(|(n, _)| n.as_str()), &base_url);
    Ok(Target {
        profile,
        base_url,
        store: TokenStore::new(path, key),
    })
}

/// The token store file: `NXSYS_TOKEN_STORE` when set, else the user's config directory.
pub(crate) fn store_path() -> Result<PathBuf, StoreError> {
    match std::env::var_os("NXSYS_TOKEN_STORE") {
        Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
        _ => TokenStore::default_path(),
    }
}

/// A non-empty environment variable.
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Connect as the command line and environment say.
pub(crate) async fn connect(global: &Global, mut opts: ConnectOptions) -> anyhow::Result<Session> {
    if let Some(sandbox_config) = opts.sandbox.take() {
        let handle = nxsys_sandbox::start(sandbox_config)
            .await
            .map_err(|e| Failure::aborted(e.context("could not start the embedded sandbox")))?;
        let base_url = Url::parse(&handle.base_url).map_err(|e| {
            Failure::aborted(anyhow!(
                "the sandbox gave an unusable address {}: {e}",
                handle.base_url
            ))
        })?;
        let config = client_config(
            base_url.clone(),
            global,
            &opts,
            &Profile::default(),
            SANDBOX_RATE,
        );
        let creds = Credentials {
            client_id: handle.client_id.clone(),
            client_secret: SecretString::from(handle.client_secret.clone()),
            refresh_token: SecretString::from(handle.refresh_token.clone()),
        };
        let client = auth::connect(config, creds, None)
            .await
            .map_err(connect_failure)?;
        return Ok(Session {
            client,
            sandbox: Some(handle),
            base_url,
        });
    }

    let target = resolve(global)?;
    let profile = target
        .profile
        .as_ref()
        .map(|(_, p)| p.clone())
        .unwrap_or_default();
    let config = client_config(
        target.base_url.clone(),
        global,
        &opts,
        &profile,
        DEFAULT_RATE,
    );
    let (creds, store) = credentials(&target, &profile, env_var)?;
    tracing::info!(base_url = %target.base_url, client_id = %creds.client_id, "connecting");
    let client = auth::connect(config, creds, Some(store))
        .await
        .map_err(connect_failure)
        .with_context(|| format!("signing in to {}", target.describe()))?;
    Ok(Session {
        client,
        sandbox: None,
        base_url: target.base_url,
    })
}

/// The client's settings: the command line first, then the profile, then the defaults
/// (`default_rate` differs for the embedded sandbox).
fn client_config(
    base_url: Url,
    global: &Global,
    opts: &ConnectOptions,
    profile: &Profile,
    default_rate: u32,
) -> ClientConfig {
    let mut config = ClientConfig::new(base_url);
    config.rate = opts.rate.or(profile.rate).unwrap_or(default_rate);
    config.concurrency = opts
        .concurrency
        .or(profile.concurrency)
        .unwrap_or(DEFAULT_CONCURRENCY);
    config.timeout = timeout(
        global
            .timeout
            .or(profile.timeout)
            .unwrap_or(DEFAULT_TIMEOUT_SECS),
    );
    config.auth_scheme = profile.auth_scheme.unwrap_or_default();
    config
}

fn timeout(seconds: u64) -> std::time::Duration {
    std::time::Duration::from_secs(seconds.max(1))
}

fn connect_failure(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::Config(_) => Failure::usage(e).into(),
        other => Failure::aborted(other).into(),
    }
}

/// Credentials from the environment (a stored rotation of the same token wins) or the store.
pub(crate) fn credentials(
    target: &Target,
    profile: &Profile,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<(Credentials, TokenStore)> {
    if let Some(token) = env("NXSYS_REFRESH_TOKEN") {
        let client_id = env("NXSYS_CLIENT_ID")
            .or_else(|| profile.client_id.clone())
            .ok_or_else(|| {
                Failure::aborted(anyhow!(
                    "NXSYS_REFRESH_TOKEN is set but NXSYS_CLIENT_ID is not (and the profile has no client_id); set it to the Client ID from the Nxsys portal"
                ))
            })?;
        let client_secret = env("NXSYS_CLIENT_SECRET").ok_or_else(|| {
            Failure::aborted(anyhow!(
                "NXSYS_REFRESH_TOKEN is set but NXSYS_CLIENT_SECRET is not; set it to the Client Secret from the Nxsys portal"
            ))
        })?;
        let token = SecretString::from(token);
        let origin = fingerprint(&token);
        let store = target.store.clone().with_origin(Some(origin.clone()));
        let stored = store.load().map_err(Failure::aborted)?;
        // The server rotates refresh tokens: if an earlier run already exchanged this very
        // token, the store holds its successor and the variable's value is spent.
        let refresh_token = match stored {
            Some(entry) if entry.origin.as_deref() == Some(origin.as_str()) => {
                tracing::info!(store = %store.path().display(), "using the rotated refresh token saved by an earlier run");
                entry.refresh_token
            }
            _ => token,
        };
        return Ok((
            Credentials {
                client_id,
                client_secret: client_secret.into(),
                refresh_token,
            },
            store,
        ));
    }
    let stored = target.store.load().map_err(Failure::aborted)?;
    let Some(entry) = stored else {
        return Err(Failure::aborted(anyhow!(
            "not signed in to {}. Run `nxsys-etl{} auth login`, or for unattended runs set NXSYS_CLIENT_ID, NXSYS_CLIENT_SECRET and NXSYS_REFRESH_TOKEN",
            target.describe(),
            target.profile_flag()
        ))
        .into());
    };
    Ok((
        Credentials {
            client_id: entry.client_id,
            client_secret: entry.client_secret,
            refresh_token: entry.refresh_token,
        },
        target.store.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::StoredLogin;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn target(dir: &std::path::Path) -> Target {
        let base_url = Url::parse("http://127.0.0.1:1").unwrap();
        Target {
            profile: None,
            store: TokenStore::new(dir.join("tokens.json"), store_key(None, &base_url)),
            base_url,
        }
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn login(token: &str, origin: Option<String>) -> StoredLogin {
        StoredLogin {
            base_url: "http://127.0.0.1:1".into(),
            client_id: "NXSYS.STORED".into(),
            client_secret: "stored-secret".into(),
            refresh_token: token.into(),
            expires_at: None,
            updated_at: chrono::Utc::now(),
            origin,
        }
    }

    #[test]
    fn not_signed_in_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let err = credentials(&target(dir.path()), &Profile::default(), env_of(&[])).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("auth login") && text.contains("NXSYS_REFRESH_TOKEN"),
            "{text}"
        );
        assert_eq!(
            crate::commands::exit::exit_for(&err),
            crate::commands::exit::Exit::Aborted
        );
    }

    #[test]
    fn env_needs_id_and_secret() {
        let dir = tempfile::tempdir().unwrap();
        let err = credentials(
            &target(dir.path()),
            &Profile::default(),
            env_of(&[("NXSYS_REFRESH_TOKEN", "r1"), ("NXSYS_CLIENT_ID", "id")]),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("NXSYS_CLIENT_SECRET"));
    }

    #[test]
    fn env_token_is_replaced_by_its_stored_rotation_only() {
        let dir = tempfile::tempdir().unwrap();
        let t = target(dir.path());
        let env = env_of(&[
            ("NXSYS_REFRESH_TOKEN", "first"),
            ("NXSYS_CLIENT_ID", "id"),
            ("NXSYS_CLIENT_SECRET", "sec"),
        ]);
        // A stored entry from a different token: the variable wins.
        t.store.save(&login("other", None)).unwrap();
        let (c, _) = credentials(&t, &Profile::default(), &env).unwrap();
        assert_eq!(c.refresh_token.expose_secret(), "first");
        // A stored rotation of this very token: the stored successor wins.
        let origin = fingerprint(&SecretString::from("first"));
        t.store.save(&login("second", Some(origin))).unwrap();
        let (c, store) = credentials(&t, &Profile::default(), &env).unwrap();
        assert_eq!(c.refresh_token.expose_secret(), "second");
        assert_eq!(c.client_id, "id");
        store.update(|e| e.unwrap()).unwrap();
    }

    #[test]
    fn store_entry_is_used_without_env() {
        let dir = tempfile::tempdir().unwrap();
        let t = target(dir.path());
        t.store.save(&login("stored-token", None)).unwrap();
        let (c, _) = credentials(&t, &Profile::default(), env_of(&[])).unwrap();
        assert_eq!(c.client_id, "NXSYS.STORED");
        assert_eq!(c.refresh_token.expose_secret(), "stored-token");
    }

    fn quiet_global() -> Global {
        Global {
            config: None,
            profile: None,
            base_url: None,
            timeout: None,
            state_dir: None,
            quiet: true,
            verbose: 0,
            json: false,
            no_progress: true,
        }
    }

    #[test]
    fn client_settings_come_from_the_command_line_then_the_profile_then_defaults() {
        let url = Url::parse("https://api.nxsys.tech").unwrap();
        let mut global = quiet_global();
        let none = ConnectOptions::default();
        let defaults = client_config(
            url.clone(),
            &global,
            &none,
            &Profile::default(),
            DEFAULT_RATE,
        );
        assert_eq!(defaults.rate, DEFAULT_RATE);
        assert_eq!(defaults.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(defaults.timeout.as_secs(), DEFAULT_TIMEOUT_SECS);
        let sandbox = client_config(
            url.clone(),
            &global,
            &none,
            &Profile::default(),
            SANDBOX_RATE,
        );
        assert_eq!(sandbox.rate, SANDBOX_RATE);
        let profile = Profile {
            rate: Some(5),
            concurrency: Some(2),
            timeout: Some(45),
            ..Profile::default()
        };
        let from_profile = client_config(url.clone(), &global, &none, &profile, DEFAULT_RATE);
        assert_eq!(
            (
                from_profile.rate,
                from_profile.concurrency,
                from_profile.timeout.as_secs()
            ),
            (5, 2, 45)
        );
        global.timeout = Some(3);
        let flags = ConnectOptions {
            rate: Some(7),
            concurrency: Some(4),
            ..ConnectOptions::default()
        };
        let from_flags = client_config(url, &global, &flags, &profile, DEFAULT_RATE);
        assert_eq!(
            (
                from_flags.rate,
                from_flags.concurrency,
                from_flags.timeout.as_secs()
            ),
            (7, 4, 3)
        );
    }

    #[tokio::test]
    async fn sandbox_session_is_connected_and_closes() {
        let global = Global {
            base_url: Some("https://api.nxsys.tech".into()),
            ..quiet_global()
        };
        let session = connect(
            &global,
            ConnectOptions {
                sandbox: Some(SandboxConfig::default()),
                rate: Some(100),
                concurrency: Some(2),
            },
        )
        .await
        .expect("sandbox session");
        assert_eq!(session.base_url.host_str(), Some("127.0.0.1"));
        assert!(session.sandbox.is_some());
        let codes = session.client.vat_codes().await.expect("API answers");
        assert!(!codes.is_empty());
        assert_eq!(session.client.stats().rate, 100);
        session.close().await;
    }
}
