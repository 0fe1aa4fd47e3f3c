//! What a client signs in with, and where it comes from: the environment (`NXSYS_CLIENT_ID`,
//! `NXSYS_CLIENT_SECRET`, `NXSYS_REFRESH_TOKEN`), else the token store written by `auth login`.
//! The server rotates refresh tokens, so a token from the environment that an earlier run
//! already exchanged is replaced by the successor that run stored.

use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;
use thiserror::Error;
use url::Url;

use super::store::{StoreError, TokenStore, fingerprint, store_key};

/// What the client signs in with. `Debug` never shows the secrets.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: SecretString,
    pub refresh_token: SecretString,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .finish()
    }
}

/// Why there are no credentials to sign in with.
#[derive(Debug, Error)]
pub enum CredentialsError {
    #[error(
        "NXSYS_REFRESH_TOKEN is set but NXSYS_CLIENT_ID is not (and the profile has no client_id); set it to the Client ID from the Nxsys portal"
    )]
    NoClientId,
    #[error(
        "NXSYS_REFRESH_TOKEN is set but NXSYS_CLIENT_SECRET is not; set it to the Client Secret from the Nxsys portal"
    )]
    NoClientSecret,
    #[error(
        "not signed in to {account}. Run `nxsys-etl{profile_flag} auth login`, or for unattended runs set NXSYS_CLIENT_ID, NXSYS_CLIENT_SECRET and NXSYS_REFRESH_TOKEN"
    )]
    NotSignedIn {
        /// The API and profile, as [`Account::describe`] says them.
        account: String,
        /// As [`Account::profile_flag`].
        profile_flag: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whose sign-in: an API root, the profile naming it (if any), and its entry in the token store.
#[derive(Debug, Clone)]
pub struct Account {
    pub base_url: Url,
    pub profile: Option<String>,
    pub store: TokenStore,
}

impl Account {
    /// The account of `base_url` under `profile`, kept in the token store file named by
    /// `NXSYS_TOKEN_STORE`, else in the user's config directory.
    pub fn new(base_url: Url, profile: Option<String>) -> Result<Account, StoreError> {
        let key = store_key(profile.as_deref(), &base_url);
        Ok(Account {
            store: TokenStore::new(store_path()?, key),
            base_url,
            profile,
        })
    }

    /// "https://api.nxsys.tech (profile acme)" for messages.
    pub fn describe(&self) -> String {
        match &self.profile {
            Some(name) => format!("{} (profile {name})", self.base_url),
            None => self.base_url.to_string(),
        }
    }

    /// ` --profile NAME` when a profile is in use, for commands printed in messages.
    pub fn profile_flag(&self) -> String {
        self.profile
            .as_ref()
            .map(|name| format!(" --profile {name}"))
            .unwrap_or_default()
    }

    /// The credentials to sign in with, and the store entry that keeps their rotations: the
    /// environment's `env(…)` variables when `NXSYS_REFRESH_TOKEN` is set (a stored rotation of
    /// that very token wins; `profile_client_id` stands in for `NXSYS_CLIENT_ID`), else the
    /// stored sign-in.
    pub fn credentials(
        &self,
        profile_client_id: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(Credentials, TokenStore), CredentialsError> {
        if let Some(token) = env("NXSYS_REFRESH_TOKEN") {
            let client_id = env("NXSYS_CLIENT_ID")
                .or_else(|| profile_client_id.map(str::to_string))
                .ok_or(CredentialsError::NoClientId)?;
            let client_secret =
                env("NXSYS_CLIENT_SECRET").ok_or(CredentialsError::NoClientSecret)?;
            let token = SecretString::from(token);
            let origin = fingerprint(&token);
            let store = self.store.clone().with_origin(Some(origin.clone()));
            // The server rotates refresh tokens: if an earlier run already exchanged this very
            // token, the store holds its successor and the variable's value is spent.
            let refresh_token = match store.load()? {
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
        let Some(entry) = self.store.load()? else {
            return Err(CredentialsError::NotSignedIn {
                account: self.describe(),
                profile_flag: self.profile_flag(),
            });
        };
        Ok((
            Credentials {
                client_id: entry.client_id,
                client_secret: entry.client_secret,
                refresh_token: entry.refresh_token,
            },
            self.store.clone(),
        ))
    }
}

/// The token store file: `NXSYS_TOKEN_STORE` when set, else the user's config directory.
fn store_path() -> Result<PathBuf, StoreError> {
    match std::env::var_os("NXSYS_TOKEN_STORE") {
        Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
        _ => TokenStore::default_path(),
    }
}

/// A non-empty environment variable, trimmed.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::StoredLogin;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn account(dir: &std::path::Path) -> Account {
        let base_url = Url::parse("http://127.0.0.1:1").unwrap();
        Account {
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
    fn credentials_debug_hides_secrets() {
        let c = Credentials {
            client_id: "NXSYS.ID".into(),
            client_secret: "s3cr3t-value".into(),
            refresh_token: "r3fr3sh-value".into(),
        };
        let text = format!("{c:?}");
        assert!(text.contains("NXSYS.ID"));
        assert!(
            !text.contains("s3cr3t") && !text.contains("r3fr3sh"),
            "{text}"
        );
    }

    #[test]
    fn not_signed_in_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let err = account(dir.path())
            .credentials(None, env_of(&[]))
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("auth login") && text.contains("NXSYS_REFRESH_TOKEN"),
            "{text}"
        );
        assert!(matches!(err, CredentialsError::NotSignedIn { .. }));
    }

    #[test]
    fn not_signed_in_names_the_profile_to_sign_in_with() {
        let dir = tempfile::tempdir().unwrap();
        let account = Account {
            profile: Some("acme".into()),
            ..account(dir.path())
        };
        let text = account
            .credentials(None, env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("http://127.0.0.1:1/ (profile acme)"),
            "{text}"
        );
        assert!(
            text.contains("`nxsys-etl --profile acme auth login`"),
            "{text}"
        );
    }

    #[test]
    fn env_needs_id_and_secret() {
        let dir = tempfile::tempdir().unwrap();
        let err = account(dir.path())
            .credentials(
                None,
                env_of(&[("NXSYS_REFRESH_TOKEN", "r1"), ("NXSYS_CLIENT_ID", "id")]),
            )
            .unwrap_err();
        assert!(err.to_string().contains("NXSYS_CLIENT_SECRET"));
    }

    #[test]
    fn env_token_is_replaced_by_its_stored_rotation_only() {
        let dir = tempfile::tempdir().unwrap();
        let a = account(dir.path());
        let env = env_of(&[
            ("NXSYS_REFRESH_TOKEN", "first"),
            ("NXSYS_CLIENT_ID", "id"),
            ("NXSYS_CLIENT_SECRET", "sec"),
        ]);
        // A stored entry from a different token: the variable wins.
        a.store.save(&login("other", None)).unwrap();
        let (c, _) = a.credentials(None, &env).unwrap();
        assert_eq!(c.refresh_token.expose_secret(), "first");
        // A stored rotation of this very token: the stored successor wins.
        let origin = fingerprint(&SecretString::from("first"));
        a.store.save(&login("second", Some(origin))).unwrap();
        let (c, store) = a.credentials(None, &env).unwrap();
        assert_eq!(c.refresh_token.expose_secret(), "second");
        assert_eq!(c.client_id, "id");
        store.update(|e| e.unwrap()).unwrap();
    }

    #[test]
    fn store_entry_is_used_without_env() {
        let dir = tempfile::tempdir().unwrap();
        let a = account(dir.path());
        a.store.save(&login("stored-token", None)).unwrap();
        let (c, _) = a.credentials(None, env_of(&[])).unwrap();
        assert_eq!(c.client_id, "NXSYS.STORED");
        assert_eq!(c.refresh_token.expose_secret(), "stored-token");
    }
}
