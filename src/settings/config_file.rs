//! The configuration file: TOML (`--config`, default `<config dir>/nxsys-etl/config.toml`) with
//! one profile per employer. Secrets never live here: they come from the token store or the
//! environment.
//!
//! ```toml
//! default_profile = "acme"
//!
//! [profiles.acme]
//! base_url = "https://api.nxsys.tech"
//! client_id = "NXSYS.ONZEYLYLO38TL9XEBE3JQUPGTYUQMZ7S"
//! rate = 10          # requests per second
//! concurrency = 8    # requests in flight
//! timeout = 30       # seconds to wait for each answer
//! auth_scheme = "bearer"   # optional; default "nxsys-oauthtoken"
//! retention_days = 90      # optional; after each import, prune older runs' personal values
//! redirect_uri = "http://127.0.0.1:8765/callback"  # as registered for the client
//!
//! [profiles.acme.server]   # written by `nxsys-etl doctor --save`
//! line-echo = false
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::api::{AuthScheme, ServerTraits};

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the configuration file {path}: {source}", path = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}. Profiles take base_url, client_id, rate, concurrency, timeout, auth_scheme, retention_days, redirect_uri and a [server] table; secrets belong in `nxsys-etl auth login` or NXSYS_CLIENT_SECRET", path = path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("profile `{name}` was asked for but there is no configuration file {path}; create it with a [profiles.{name}] table (base_url, client_id, rate, concurrency) or pass --config", path = path.display())]
    NoConfigFile { name: String, path: PathBuf },
    #[error("there is no profile `{name}` in {path}; profiles there: {known}", path = path.display())]
    UnknownProfile {
        name: String,
        path: PathBuf,
        known: String,
    },
}

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Profile used when `--profile` is not given.
    #[serde(default)]
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Where it was read from (`None`: no file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// One employer's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub base_url: Option<String>,
    pub client_id: Option<String>,
    /// Requests per second.
    pub rate: Option<u32>,
    /// Requests in flight at once.
    pub concurrency: Option<usize>,
    /// Seconds to wait for each answer.
    pub timeout: Option<u64>,
    pub auth_scheme: Option<AuthScheme>,
    /// Days the journal keeps the personal values of a run: after each import, older runs are
    /// pruned as by `runs prune --older-than <N>d`. `None`: kept until pruned by hand.
    pub retention_days: Option<u32>,
    /// The redirect URI registered for the client in the Nxsys portal (`auth login`).
    pub redirect_uri: Option<String>,
    /// What `doctor --save` found of the server (the importer starts from it).
    pub server: Option<ServerTraits>,
}

impl ConfigFile {
    /// `<config dir>/nxsys-etl/config.toml`.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("tech", "nxsys", "nxsys-etl")
            .map(|d| d.config_dir().join("config.toml"))
    }

    /// Read `explicit`, or the default file if it exists (no file there is an empty configuration;
    /// an explicit file that is missing is an error).
    pub fn load(explicit: Option<&Path>) -> Result<ConfigFile, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match Self::default_path() {
                Some(p) if p.exists() => p,
                _ => return Ok(ConfigFile::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let mut config = Self::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.clone(),
            message,
        })?;
        config.path = Some(path);
        Ok(config)
    }

    /// Parse TOML text.
    pub fn parse(text: &str) -> Result<ConfigFile, String> {
        toml::from_str(text).map_err(|e| e.message().to_string())
    }

    /// The profile `name`, else the default profile, else none.
    pub fn profile(&self, name: Option<&str>) -> Result<Option<(String, Profile)>, ConfigError> {
        let Some(name) = name.or(self.default_profile.as_deref()) else {
            return Ok(None);
        };
        match self.profiles.get(name) {
            Some(p) => Ok(Some((name.to_string(), p.clone()))),
            None if self.path.is_none() => Err(ConfigError::NoConfigFile {
                name: name.to_string(),
                path: Self::default_path().unwrap_or_else(|| PathBuf::from("config.toml")),
            }),
            None => Err(ConfigError::UnknownProfile {
                name: name.to_string(),
                path: self.path.clone().unwrap_or_default(),
                known: if self.profiles.is_empty() {
                    "none".to_string()
                } else {
                    self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
default_profile = "acme"
[profiles.acme]
base_url = "https://api.nxsys.tech"
client_id = "NXSYS.A"
rate = 5
concurrency = 2
timeout = 45
[profiles.beta]
auth_scheme = "bearer"
"#;

    #[test]
    fn reads_profiles_and_default() {
        let c = ConfigFile::parse(SAMPLE).unwrap();
        let (name, p) = c.profile(None).unwrap().unwrap();
        assert_eq!(name, "acme");
        assert_eq!(p.rate, Some(5));
        assert_eq!(p.timeout, Some(45));
        let (_, b) = c.profile(Some("beta")).unwrap().unwrap();
        assert_eq!(b.auth_scheme, Some(AuthScheme::Bearer));
    }

    #[test]
    fn profile_without_a_file_says_how_to_create_one() {
        let e = ConfigFile::default()
            .profile(Some("acme"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("[profiles.acme]"), "{e}");
    }

    #[test]
    fn unknown_profile_lists_the_known_ones() {
        let mut c = ConfigFile::parse(SAMPLE).unwrap();
        c.path = Some(PathBuf::from("/etc/nxsys.toml"));
        let e = c.profile(Some("gamma")).unwrap_err().to_string();
        assert!(e.contains("gamma") && e.contains("acme, beta"), "{e}");
    }

    #[test]
    fn secrets_and_typos_are_refused() {
        let e = ConfigFile::parse("[profiles.a]\nclient_secret = \"x\"\n").unwrap_err();
        assert!(e.contains("client_secret"), "{e}");
        assert!(ConfigFile::parse("[profiles.a]\nrate = \"fast\"\n").is_err());
    }

    #[test]
    fn redirect_uri_and_the_server_table_are_read() {
        let c = ConfigFile::parse(
            "[profiles.a]\nredirect_uri = \"http://127.0.0.1:9000/cb\"\n\
             [profiles.a.server]\nline-echo = false\n[profiles.a.server.filters]\n\
             candidates = \"ignored\"\n",
        )
        .unwrap();
        let (_, p) = c.profile(Some("a")).unwrap().unwrap();
        assert_eq!(p.redirect_uri.as_deref(), Some("http://127.0.0.1:9000/cb"));
        let server = p.server.expect("server table");
        assert_eq!(server.line_echo, Some(false));
        assert_eq!(server.variants(), ["filters-ignored", "no-line-echo"]);
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let e = ConfigFile::load(Some(Path::new("/nonexistent/nxsys.toml"))).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }));
    }
}
