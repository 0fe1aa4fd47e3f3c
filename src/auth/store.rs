//! The token store: one JSON file in the user's config directory, mode 0600, one entry per
//! profile or base URL. Written atomically (temporary file + rename); a file that other users can
//! read is refused, with the `chmod` that fixes it.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} can be read by other users (mode {mode:o}) and it holds your Nxsys sign-in; fix it with `chmod 600 {path}` and run again", path = path.display())]
    Permissions { path: PathBuf, mode: u32 },
    #[error("could not {action} the token store {path}: {source}", path = path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the token store {path} is damaged ({message}); delete it and sign in again with `nxsys-etl auth login`", path = path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("no configuration directory is known for this user; set --state-dir or HOME")]
    NoHome,
}

/// One stored sign-in. `Debug` never shows the secrets.
#[derive(Clone)]
pub struct StoredLogin {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub refresh_token: SecretString,
    /// When the last access token expires (for `auth status`).
    pub expires_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// SHA-256 (hex) of the `NXSYS_REFRESH_TOKEN` this entry superseded by rotation, if any.
    pub origin: Option<String>,
}

impl fmt::Debug for StoredLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredLogin")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

#[derive(Serialize, Deserialize, Default)]
struct FileFormat {
    version: u32,
    #[serde(default)]
    logins: BTreeMap<String, Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    base_url: String,
    client_id: String,
    client_secret: String,
    refresh_token: String,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    #[serde(default)]
    origin: Option<String>,
}

impl From<Entry> for StoredLogin {
    fn from(e: Entry) -> Self {
        StoredLogin {
            base_url: e.base_url,
            client_id: e.client_id,
            client_secret: e.client_secret.into(),
            refresh_token: e.refresh_token.into(),
            expires_at: e.expires_at,
            updated_at: e.updated_at,
            origin: e.origin,
        }
    }
}

impl From<&StoredLogin> for Entry {
    fn from(s: &StoredLogin) -> Self {
        Entry {
            base_url: s.base_url.clone(),
            client_id: s.client_id.clone(),
            client_secret: s.client_secret.expose_secret().to_string(),
            refresh_token: s.refresh_token.expose_secret().to_string(),
            expires_at: s.expires_at,
            updated_at: s.updated_at,
            origin: s.origin.clone(),
        }
    }
}

/// A handle on one entry of a token store file.
#[derive(Debug, Clone)]
pub struct TokenStore {
    path: PathBuf,
    key: String,
    origin: Option<String>,
}

/// The key of a sign-in: the profile's name when there is one, else the base URL.
pub fn store_key(profile: Option<&str>, base_url: &url::Url) -> String {
    match profile {
        Some(p) => format!("profile:{p}"),
        None => base_url.as_str().trim_end_matches('/').to_string(),
    }
}

/// The SHA-256 (hex) of a refresh token, to recognise it later without keeping it.
pub fn fingerprint(secret: &SecretString) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.expose_secret().as_bytes()))
}

impl TokenStore {
    /// The entry `key` of the store file at `path`.
    pub fn new(path: impl Into<PathBuf>, key: impl Into<String>) -> Self {
        TokenStore {
            path: path.into(),
            key: key.into(),
            origin: None,
        }
    }

    /// The default store file: `<config dir>/nxsys-etl/tokens.json`.
    pub fn default_path() -> Result<PathBuf, StoreError> {
        directories::ProjectDirs::from("tech", "nxsys", "nxsys-etl")
            .map(|d| d.config_dir().join("tokens.json"))
            .ok_or(StoreError::NoHome)
    }

    /// Mark entries written through this handle as superseding `NXSYS_REFRESH_TOKEN` with this
    /// fingerprint (see [`fingerprint`]).
    pub fn with_origin(mut self, origin: Option<String>) -> Self {
        self.origin = origin;
        self
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entry this handle reads and writes.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The stored sign-in, if any.
    pub fn load(&self) -> Result<Option<StoredLogin>, StoreError> {
        Ok(self.read_file()?.logins.remove(&self.key).map(Into::into))
    }

    /// Store `login` under this handle's key, keeping the other entries.
    pub fn save(&self, login: &StoredLogin) -> Result<(), StoreError> {
        self.update(|_| login.clone())
    }

    /// Read, change and write back this handle's entry atomically.
    pub fn update(
        &self,
        change: impl FnOnce(Option<StoredLogin>) -> StoredLogin,
    ) -> Result<(), StoreError> {
        let mut file = self.read_file()?;
        let current = file.logins.remove(&self.key).map(Into::into);
        let mut next = change(current);
        if self.origin.is_some() {
            next.origin = self.origin.clone();
        }
        file.logins.insert(self.key.clone(), Entry::from(&next));
        self.write_file(file)
    }

    /// Forget this handle's entry. Returns whether there was one.
    pub fn remove(&self) -> Result<bool, StoreError> {
        let mut file = self.read_file()?;
        let had = file.logins.remove(&self.key).is_some();
        if had {
            self.write_file(file)?;
        }
        Ok(had)
    }

    fn read_file(&self) -> Result<FileFormat, StoreError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileFormat::default()),
            Err(source) => {
                return Err(StoreError::Io {
                    action: "read",
                    path: self.path.clone(),
                    source,
                });
            }
        };
        check_private(&self.path)?;
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            message: format!("line {} column {}", e.line(), e.column()),
        })
    }

    fn write_file(&self, mut file: FileFormat) -> Result<(), StoreError> {
        let io = |action, source| StoreError::Io {
            action,
            path: self.path.clone(),
            source,
        };
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(|e| io("create the folder of", e))?;
        file.version = 1;
        let body =
            serde_json::to_vec_pretty(&file).map_err(|e| io("encode", std::io::Error::other(e)))?;
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            self.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "tokens".into()),
            std::process::id()
        ));
        let written = (|| {
            let mut f = create_private_file(&tmp)?;
            f.write_all(&body)?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io("write", e));
        }
        Ok(())
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(|source| StoreError::Io {
        action: "inspect",
        path: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(StoreError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}
