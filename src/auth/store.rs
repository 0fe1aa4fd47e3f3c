//! The token store: one JSON file in the user's config directory, mode 0600, one entry per
//! profile or base URL. Written atomically (temporary file + rename); a file that other users can
//! read is refused, with the `chmod` that fixes it.
//!
//! Every read-modify-write holds an advisory lock (`flock`, through [`std::fs::File::try_lock`])
//! on `<store>.lock` beside the store, so two processes sharing one store never overwrite each
//! other's rotation. A process killed between writing its temporary file
//! (`.<store>.<pid>.tmp`) and the rename leaves the only copy of a rotated refresh token there:
//! the next process to open the store recovers it (per entry, the newest `updatedAt` wins —
//! the time the entry was written, not the file's mtime) and deletes the leftovers.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
    #[error("the token store {path} is locked by another nxsys-etl process (lock file {lock}); waited {waited} s. Let that run finish, or if none is running, run again", path = path.display(), lock = lock.display(), waited = waited.as_secs())]
    Locked {
        path: PathBuf,
        lock: PathBuf,
        waited: Duration,
    },
}

/// How long a process waits for another one holding the token store's lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(60);

/// The test-only pause point: when this variable names a file, a process about to rename a
/// freshly written token store into place writes that file and sleeps, so a test can kill it
/// in the crash window. Inert unless set.
pub const PAUSE_BEFORE_RENAME_VAR: &str = "NXSYS_TEST_PAUSE_BEFORE_TOKEN_RENAME";

/// The token store's advisory lock, held until dropped (closing the file releases it, also
/// when the process dies).
#[derive(Debug)]
pub struct StoreLock {
    _file: fs::File,
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

#[derive(Serialize, Deserialize, Default, Clone)]
struct FileFormat {
    version: u32,
    #[serde(default)]
    logins: BTreeMap<String, Entry>,
}

#[derive(Serialize, Deserialize, Clone)]
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

    /// The lock file beside the store: `<store>.lock`.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "tokens.json".into());
        name.push(".lock");
        self.path.with_file_name(name)
    }

    /// Take the store's lock if no other process holds it (`None` when one does).
    pub fn try_lock(&self) -> Result<Option<StoreLock>, StoreError> {
        let lock = self.lock_path();
        let io = |action, source| StoreError::Io {
            action,
            path: lock.clone(),
            source,
        };
        create_private_dir(self.dir()).map_err(|e| io("create the folder of", e))?;
        let file = open_private_file(&lock).map_err(|e| io("open the lock file of", e))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(StoreLock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(io("lock", e)),
        }
    }

    /// Take the store's lock, waiting up to [`LOCK_WAIT`] for another process to let it go.
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        let started = Instant::now();
        loop {
            if let Some(lock) = self.try_lock()? {
                return Ok(lock);
            }
            if started.elapsed() >= LOCK_WAIT {
                return Err(StoreError::Locked {
                    path: self.path.clone(),
                    lock: self.lock_path(),
                    waited: LOCK_WAIT,
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The stored sign-in, if any (recovering an interrupted write first).
    pub fn load(&self) -> Result<Option<StoredLogin>, StoreError> {
        match self.lock() {
            Ok(lock) => self.load_locked(&lock),
            // A store in a read-only place can still be read.
            Err(StoreError::Io { .. }) => {
                Ok(self.read_file()?.logins.remove(&self.key).map(Into::into))
            }
            Err(e) => Err(e),
        }
    }

    /// [`load`](Self::load) while holding the store's lock.
    pub fn load_locked(&self, _lock: &StoreLock) -> Result<Option<StoredLogin>, StoreError> {
        Ok(self
            .read_recovered()?
            .logins
            .remove(&self.key)
            .map(Into::into))
    }

    /// Store `login` under this handle's key, keeping the other entries.
    pub fn save(&self, login: &StoredLogin) -> Result<(), StoreError> {
        self.update(|_| login.clone())
    }

    /// Read, change and write back this handle's entry atomically, under the store's lock.
    pub fn update(
        &self,
        change: impl FnOnce(Option<StoredLogin>) -> StoredLogin,
    ) -> Result<(), StoreError> {
        let lock = self.lock()?;
        self.update_locked(&lock, change)
    }

    /// [`update`](Self::update) while already holding the store's lock.
    pub fn update_locked(
        &self,
        _lock: &StoreLock,
        change: impl FnOnce(Option<StoredLogin>) -> StoredLogin,
    ) -> Result<(), StoreError> {
        let mut file = self.read_recovered()?;
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
        let lock = self.lock()?;
        let mut file = self.read_recovered()?;
        let had = file.logins.remove(&self.key).is_some();
        if had {
            self.write_file(file)?;
        }
        drop(lock);
        Ok(had)
    }

    /// The fingerprint of the `NXSYS_REFRESH_TOKEN` entries written through this handle
    /// supersede, if any.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// The store with what interrupted writes left behind merged in (per entry, the newest
    /// `updatedAt` wins) and, when that changed anything, written back; the leftovers are then
    /// deleted. Only called under the lock, so no leftover belongs to a live writer.
    fn read_recovered(&self) -> Result<FileFormat, StoreError> {
        let mut file = self.read_file()?;
        let leftovers = self.leftovers();
        if leftovers.is_empty() {
            return Ok(file);
        }
        let mut changed = false;
        for tmp in &leftovers {
            let Some(found) = read_leftover(tmp) else {
                continue;
            };
            for (key, entry) in found.logins {
                let newer = file
                    .logins
                    .get(&key)
                    .is_none_or(|have| entry.updated_at > have.updated_at);
                if newer {
                    tracing::warn!(store = %self.path.display(), from = %tmp.display(),
                        "recovered a sign-in an interrupted run saved but did not put in place");
                    file.logins.insert(key, entry);
                    changed = true;
                }
            }
        }
        if changed && let Err(e) = self.write_file(file.clone()) {
            tracing::warn!(
                "the recovered sign-in could not be written back ({e}); the leftover files are kept"
            );
            return Ok(file);
        }
        for tmp in &leftovers {
            let _ = fs::remove_file(tmp);
        }
        Ok(file)
    }

    /// Temporary files of this store that writers left behind: `.<store name>.<pid>.tmp`.
    fn leftovers(&self) -> Vec<PathBuf> {
        let name = self.file_name();
        let prefix = format!(".{name}.");
        let Ok(entries) = fs::read_dir(self.dir()) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                n.strip_prefix(&prefix)
                    .and_then(|rest| rest.strip_suffix(".tmp"))
                    .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            })
            .map(|e| e.path())
            .collect()
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tokens".into())
    }

    fn read_file(&self) -> Result<FileFormat, StoreError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(FileFormat::default());
            }
            Err(source) => {
                return Err(StoreError::Io {
                    action: "read",
                    path: self.path.clone(),
                    source,
                });
            }
        };
        check_private(&self.path)?;
        let file = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            message: format!("line {} column {}", e.line(), e.column()),
        })?;
        Ok(file)
    }

    fn write_file(&self, mut file: FileFormat) -> Result<(), StoreError> {
        let io = |action, source| StoreError::Io {
            action,
            path: self.path.clone(),
            source,
        };
        let dir = self.dir();
        create_private_dir(dir).map_err(|e| io("create the folder of", e))?;
        file.version = 1;
        let body =
            serde_json::to_vec_pretty(&file).map_err(|e| io("encode", std::io::Error::other(e)))?;
        let tmp = dir.join(format!(".{}.{}.tmp", self.file_name(), std::process::id()));
        let written = (|| {
            let mut f = create_private_file(&tmp)?;
            f.write_all(&body)?;
            f.sync_all()?;
            pause_before_rename();
            fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io("write", e));
        }
        Ok(())
    }
}

/// A leftover temporary file's contents, when it is private and whole; else `None` (a damaged
/// one is deleted: its writer died before finishing it, and it may hold part of a secret).
fn read_leftover(tmp: &Path) -> Option<FileFormat> {
    if check_private(tmp).is_err() {
        tracing::warn!(file = %tmp.display(), "ignored: other users can read or write it");
        return None;
    }
    let text = fs::read_to_string(tmp).ok()?;
    match serde_json::from_str::<FileFormat>(&text) {
        Ok(found) => Some(found),
        Err(_) => {
            tracing::warn!(file = %tmp.display(), "deleted an incomplete token store an interrupted run left behind");
            let _ = fs::remove_file(tmp);
            None
        }
    }
}

/// The test-only pause point ([`PAUSE_BEFORE_RENAME_VAR`]).
fn pause_before_rename() {
    let Some(marker) = std::env::var_os(PAUSE_BEFORE_RENAME_VAR).filter(|v| !v.is_empty()) else {
        return;
    };
    let _ = fs::write(&marker, b"paused before renaming the token store\n");
    std::thread::sleep(Duration::from_secs(120));
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

#[cfg(unix)]
fn open_private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
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
