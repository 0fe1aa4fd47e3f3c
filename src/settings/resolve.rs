//! Resolving an invocation's settings: `--flag` > profile > default for the base URL, the rate,
//! the concurrency and the timeout, and whether progress bars are drawn.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;
use url::Url;

use super::config_file::{ConfigError, ConfigFile, Profile};
use crate::api::{AuthScheme, ClientConfig, check_base_url};

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.nxsys.tech";
/// Requests per second when neither `--rate` nor the profile says.
pub const DEFAULT_RATE: u32 = ClientConfig::DEFAULT_RATE;
/// Requests per second against the embedded sandbox when `--rate` does not say: it has no rate
/// limit of its own, so trying a batch with `--sandbox` should not crawl at the real default.
pub const SANDBOX_RATE: u32 = 200;
/// Requests in flight when neither `--concurrency` nor the profile says.
pub const DEFAULT_CONCURRENCY: usize = ClientConfig::DEFAULT_CONCURRENCY;
/// Seconds to wait for an answer when neither `--timeout` nor the profile says.
pub const DEFAULT_TIMEOUT_SECS: u64 = ClientConfig::DEFAULT_TIMEOUT_SECS;

/// The redirect URI of `auth login` (and `doctor`'s redirect check): `flag` (`--redirect-uri`),
/// else the profile's `redirect_uri`, else
/// [`DEFAULT_REDIRECT_URI`](crate::auth::login::DEFAULT_REDIRECT_URI); `port` (`--port`)
/// replaces its port. It must be a loopback `http://` URL, as this computer
/// has to listen on it; the error says what to change.
pub fn redirect_uri(
    flag: Option<&str>,
    profile: Option<&Profile>,
    port: Option<u16>,
) -> Result<Url, String> {
    let (raw, from) = match (flag, profile.and_then(|p| p.redirect_uri.as_deref())) {
        (Some(f), _) => (f, "--redirect-uri"),
        (None, Some(p)) => (p, "redirect_uri in the profile"),
        (None, None) => (crate::auth::login::DEFAULT_REDIRECT_URI, "the default"),
    };
    let mut url = Url::parse(raw.trim())
        .map_err(|e| format!("the redirect URI `{raw}` ({from}) is not a URL ({e})"))?;
    crate::auth::login::check_redirect_uri(&url).map_err(|e| format!("{e} ({from})"))?;
    if let Some(port) = port {
        let _ = url.set_port(Some(port));
    }
    Ok(url)
}

/// What the command line (with its environment variables) says; `None` or `false` where it
/// says nothing.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--config`: the configuration file.
    pub config: Option<PathBuf>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--rate`, requests per second.
    pub rate: Option<u32>,
    /// `--concurrency`, requests in flight.
    pub concurrency: Option<usize>,
    /// `--timeout`, seconds.
    pub timeout: Option<u64>,
    /// `--quiet`.
    pub quiet: bool,
    /// `--json`.
    pub json: bool,
    /// `--no-progress`.
    pub no_progress: bool,
}

/// Which server the requests go to, which decides what applies when no flag says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// The Nxsys API (or one at `--base-url`): the profile applies.
    Nxsys,
    /// A sandbox the command starts itself: no profile describes it, and it has no rate limit
    /// of its own, so the default rate is [`SANDBOX_RATE`].
    EmbeddedSandbox,
}

/// Why the settings cannot be used. Each is the user's to fix.
#[derive(Debug, Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "the base URL `{raw}` is not a URL ({reason}); use e.g. {}",
        DEFAULT_BASE_URL
    )]
    BaseUrl {
        raw: String,
        reason: url::ParseError,
    },
    /// A base URL that would send credentials in clear text or cannot be an API root: what
    /// [`check_base_url`] said.
    #[error("{0}")]
    UnsafeBaseUrl(String),
}

/// The Nxsys API an invocation talks to: the profile in use (by name) and the API root.
#[derive(Debug, Clone)]
pub struct Target {
    pub profile: Option<(String, Profile)>,
    pub base_url: Url,
}

impl Target {
    /// Read the configuration file, pick the profile (`--profile`, else the file's default
    /// profile) and decide the base URL: `--base-url` > profile > [`DEFAULT_BASE_URL`].
    pub fn resolve(flags: &Flags) -> Result<Target, SettingsError> {
        let config = ConfigFile::load(flags.config.as_deref())?;
        let profile = config.profile(flags.profile.as_deref())?;
        let raw = flags
            .base_url
            .clone()
            .or_else(|| profile.as_ref().and_then(|(_, p)| p.base_url.clone()))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let base_url = Url::parse(raw.trim()).map_err(|reason| SettingsError::BaseUrl {
            raw: raw.clone(),
            reason,
        })?;
        check_base_url(&base_url).map_err(|e| SettingsError::UnsafeBaseUrl(e.to_string()))?;
        Ok(Target { profile, base_url })
    }

    /// The name of the profile in use.
    pub fn profile_name(&self) -> Option<&str> {
        self.profile.as_ref().map(|(name, _)| name.as_str())
    }

    /// The profile in use.
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref().map(|(_, profile)| profile)
    }
}

/// How a command talks to the API and to the person watching, each setting decided once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Requests per second at most.
    pub rate: u32,
    /// Requests in flight at once, and rows the import engine works on at once (at least 1).
    pub concurrency: usize,
    /// How long to wait for each answer (at least a second).
    pub timeout: Duration,
    /// The `Authorization` scheme to start with (the profile's, else the documented one).
    pub auth_scheme: AuthScheme,
    /// Whether to draw progress bars (see [`show_progress`]).
    pub progress: bool,
}

impl Settings {
    /// The settings for talking to `server` with `profile` (none for the embedded sandbox, or
    /// when the configuration could not be read): each flag wins over the profile, which wins
    /// over the default.
    pub fn resolve(flags: &Flags, profile: Option<&Profile>, server: Server) -> Settings {
        Settings::resolve_for(flags, profile, server, std::io::stderr().is_terminal())
    }

    fn resolve_for(
        flags: &Flags,
        profile: Option<&Profile>,
        server: Server,
        stderr_is_terminal: bool,
    ) -> Settings {
        let default_rate = match server {
            Server::Nxsys => DEFAULT_RATE,
            Server::EmbeddedSandbox => SANDBOX_RATE,
        };
        let seconds = flags
            .timeout
            .or(profile.and_then(|p| p.timeout))
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        Settings {
            rate: flags
                .rate
                .or(profile.and_then(|p| p.rate))
                .unwrap_or(default_rate)
                // A rate of 0 would wait for ever (the command line refuses it).
                .max(1),
            concurrency: flags
                .concurrency
                .or(profile.and_then(|p| p.concurrency))
                .unwrap_or(DEFAULT_CONCURRENCY)
                .max(1),
            timeout: Duration::from_secs(seconds.max(1)),
            auth_scheme: profile.and_then(|p| p.auth_scheme).unwrap_or_default(),
            progress: progress(flags, stderr_is_terminal),
        }
    }

    /// The API client's configuration for `base_url` under these settings.
    pub fn client_config(&self, base_url: Url) -> ClientConfig {
        let mut config = ClientConfig::new(base_url);
        config.rate = self.rate;
        config.concurrency = self.concurrency;
        config.timeout = self.timeout;
        config.auth_scheme = self.auth_scheme;
        config
    }
}

/// Whether to draw progress bars on stderr: only for a person watching it, so never with
/// `--quiet`, `--json` or `--no-progress`, nor when stderr is not a terminal.
pub fn show_progress(flags: &Flags) -> bool {
    progress(flags, std::io::stderr().is_terminal())
}

fn progress(flags: &Flags, stderr_is_terminal: bool) -> bool {
    stderr_is_terminal && !flags.quiet && !flags.json && !flags.no_progress
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            rate: Some(5),
            concurrency: Some(2),
            timeout: Some(45),
            auth_scheme: Some(AuthScheme::Bearer),
            ..Profile::default()
        }
    }

    #[test]
    fn the_redirect_uri_is_the_flag_the_profile_or_the_default() {
        let with = Profile {
            redirect_uri: Some("http://localhost:9000/cb".into()),
            ..Profile::default()
        };
        let uri = |flag, profile, port| redirect_uri(flag, profile, port).map(|u| u.to_string());
        assert_eq!(
            uri(None, None, None).unwrap(),
            "http://127.0.0.1:8765/callback"
        );
        assert_eq!(
            uri(None, Some(&with), None).unwrap(),
            "http://localhost:9000/cb"
        );
        assert_eq!(
            uri(Some("http://127.0.0.1:7000/x"), Some(&with), None).unwrap(),
            "http://127.0.0.1:7000/x"
        );
        assert_eq!(
            uri(None, Some(&with), Some(7001)).unwrap(),
            "http://localhost:7001/cb"
        );
        let e = uri(Some("https://example.com/callback"), None, None).unwrap_err();
        assert!(
            e.contains("loopback") && e.contains("--redirect-uri"),
            "{e}"
        );
    }

    fn resolve(flags: &Flags, profile: Option<&Profile>, server: Server) -> Settings {
        Settings::resolve_for(flags, profile, server, true)
    }

    /// A configuration file in a fresh folder, so the user's own is never read.
    fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn settings_come_from_the_command_line_then_the_profile_then_defaults() {
        let none = Flags::default();
        let defaults = resolve(&none, None, Server::Nxsys);
        assert_eq!(defaults.rate, DEFAULT_RATE);
        assert_eq!(defaults.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(defaults.timeout.as_secs(), DEFAULT_TIMEOUT_SECS);
        assert_eq!(defaults.auth_scheme, AuthScheme::NxsysOauthtoken);
        let sandbox = resolve(&none, None, Server::EmbeddedSandbox);
        assert_eq!(sandbox.rate, SANDBOX_RATE);

        let from_profile = resolve(&none, Some(&profile()), Server::Nxsys);
        assert_eq!(
            (
                from_profile.rate,
                from_profile.concurrency,
                from_profile.timeout.as_secs(),
                from_profile.auth_scheme
            ),
            (5, 2, 45, AuthScheme::Bearer)
        );

        let flags = Flags {
            rate: Some(7),
            concurrency: Some(4),
            timeout: Some(3),
            ..Flags::default()
        };
        let from_flags = resolve(&flags, Some(&profile()), Server::Nxsys);
        assert_eq!(
            (
                from_flags.rate,
                from_flags.concurrency,
                from_flags.timeout.as_secs()
            ),
            (7, 4, 3)
        );
        let client = from_flags.client_config(Url::parse(DEFAULT_BASE_URL).unwrap());
        assert_eq!(
            (
                client.rate,
                client.concurrency,
                client.timeout.as_secs(),
                client.auth_scheme
            ),
            (7, 4, 3, AuthScheme::Bearer)
        );
    }

    #[test]
    fn concurrency_is_the_flag_else_the_profile_else_eight_and_never_zero() {
        let concurrency = |flag: Option<usize>, profile: Option<&Profile>| {
            let flags = Flags {
                concurrency: flag,
                ..Flags::default()
            };
            resolve(&flags, profile, Server::Nxsys).concurrency
        };
        assert_eq!(concurrency(None, None), 8);
        assert_eq!(concurrency(None, Some(&Profile::default())), 8);
        assert_eq!(concurrency(None, Some(&profile())), 2);
        assert_eq!(concurrency(Some(16), Some(&profile())), 16);
        assert_eq!(concurrency(Some(0), None), 1);
        // The embedded sandbox has no profile, and the same default.
        assert_eq!(
            resolve(&Flags::default(), None, Server::EmbeddedSandbox).concurrency,
            8
        );
    }

    #[test]
    fn progress_is_for_a_person_watching_a_terminal() {
        let shown = |flags: Flags, terminal: bool| progress(&flags, terminal);
        assert!(shown(Flags::default(), true));
        assert!(!shown(Flags::default(), false), "stderr is not a terminal");
        let quiet = Flags {
            quiet: true,
            ..Flags::default()
        };
        assert!(!shown(quiet, true));
        let no_progress = Flags {
            no_progress: true,
            ..Flags::default()
        };
        assert!(!shown(no_progress, true));
        // `export --json` (and every other command's): the JSON summary is for a script.
        let json = Flags {
            json: true,
            rate: Some(50),
            concurrency: Some(4),
            ..Flags::default()
        };
        assert!(!shown(json.clone(), true));
        assert!(!resolve(&json, None, Server::Nxsys).progress);
        assert!(!resolve(&json, None, Server::EmbeddedSandbox).progress);
    }

    #[test]
    fn base_url_comes_from_the_flag_then_the_profile_then_production() {
        let (_dir, config) = config_file("[profiles.acme]\nbase_url = \"https://acme.example\"\n");
        let flags = Flags {
            config: Some(config),
            ..Flags::default()
        };
        let none = Target::resolve(&flags).unwrap();
        assert_eq!(none.base_url.as_str(), "https://api.nxsys.tech/");
        assert_eq!(none.profile_name(), None);
        let flags = Flags {
            profile: Some("acme".into()),
            ..flags
        };
        let acme = Target::resolve(&flags).unwrap();
        assert_eq!(acme.base_url.as_str(), "https://acme.example/");
        assert_eq!(acme.profile_name(), Some("acme"));
        let flags = Flags {
            base_url: Some(" http://127.0.0.1:8787 ".into()),
            ..flags
        };
        assert_eq!(
            Target::resolve(&flags).unwrap().base_url.as_str(),
            "http://127.0.0.1:8787/"
        );
    }

    #[test]
    fn unusable_base_urls_are_refused_with_what_to_use() {
        let (_dir, config) = config_file("");
        let target = |raw: &str| {
            Target::resolve(&Flags {
                config: Some(config.clone()),
                base_url: Some(raw.into()),
                ..Flags::default()
            })
        };
        let e = target("api.nxsys.tech").unwrap_err().to_string();
        assert!(
            e.contains("is not a URL") && e.contains(DEFAULT_BASE_URL),
            "{e}"
        );
        let e = target("http://api.nxsys.tech").unwrap_err();
        assert!(matches!(e, SettingsError::UnsafeBaseUrl(_)), "{e}");
        assert!(e.to_string().contains("unencrypted"), "{e}");
    }
}
