//! Exclusive locks held for a whole run. The operating system releases them when the process
//! ends, killed or not, so a crashed run never leaves a stale lock behind.
//!
//! - One import of a batch at a time: a lock file per batch fingerprint in the state directory.
//! - One writer per API tenant (base URL and client id): a lock file in the state directory
//!   *and* one in a per-user runtime folder, so that two runs with different state directories
//!   on one machine do not send at the same time either (two overlapping runs could both create
//!   the same worker or timesheet). Across machines nothing can lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Journal, JournalError};

/// Held while a run sends to one API tenant; dropping it releases both locks.
#[derive(Debug)]
pub struct TenantLock {
    files: Vec<(File, PathBuf)>,
}

impl TenantLock {
    /// Say who holds the lock (`run …, pid …`), for a run that finds it taken.
    pub fn describe(&mut self, holder: &str) {
        for (file, _) in &mut self.files {
            // Best effort: the lock is what protects, the text only explains.
            let _ = file
                .set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| file.write_all(holder.as_bytes()));
        }
    }
}

/// The per-user folder for machine-wide locks: `$XDG_RUNTIME_DIR/nxsys-etl`, else
/// `<temp>/nxsys-etl-<uid>`. Created private; refused when it is not the user's own.
fn runtime_dir() -> Result<PathBuf, JournalError> {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| Path::new(d).is_dir()) {
        Some(base) => PathBuf::from(base).join("nxsys-etl"),
        #[cfg(unix)]
        None => std::env::temp_dir().join(format!("nxsys-etl-{}", unsafe { libc::getuid() })),
        #[cfg(not(unix))]
        None => std::env::temp_dir().join("nxsys-etl"),
    };
    super::create_private_dir(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::symlink_metadata(&dir).map_err(|source| JournalError::StateDir {
            path: dir.clone(),
            source,
        })?;
        // SAFETY: getuid has no preconditions and cannot fail.
        let me = unsafe { libc::getuid() };
        if !meta.is_dir() || meta.uid() != me {
            return Err(JournalError::StateDir {
                path: dir,
                source: std::io::Error::other(
                    "this lock folder is not a folder of your own; remove it or set \
                     XDG_RUNTIME_DIR to a private folder",
                ),
            });
        }
    }
    Ok(dir)
}

fn open_lock_file(path: &Path) -> Result<File, JournalError> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|source| JournalError::StateDir {
        path: path.to_path_buf(),
        source,
    })
}

/// What a taken lock file says of its holder.
fn holder_of(path: &Path) -> String {
    let mut text = String::new();
    let _ = File::open(path).and_then(|mut f| f.read_to_string(&mut text));
    let text = text.trim();
    if text.is_empty() {
        "a run that has just started".into()
    } else {
        text.chars().take(300).collect()
    }
}

/// Held while a run of the batch is in progress; dropping it releases the lock.
#[derive(Debug)]
pub struct BatchLock {
    _file: File,
    path: PathBuf,
}

impl BatchLock {
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Journal {
    /// Lock the batch with this fingerprint, or say that another process is importing it.
    pub fn lock_batch(&self, fingerprint: &str) -> Result<BatchLock, JournalError> {
        let dir = self.path.parent().unwrap_or(std::path::Path::new("."));
        let name: String = fingerprint.chars().take(32).collect();
        let path = dir.join(format!("batch-{name}.lock"));
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&path)
            .map_err(|source| JournalError::StateDir {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(BatchLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(JournalError::Busy { path }),
            Err(TryLockError::Error(source)) => Err(JournalError::StateDir { path, source }),
        }
    }
}

impl Journal {
    /// Lock the API tenant `tenant` (base URL and client id) for this process, in the state
    /// directory and machine-wide, or say which run holds it.
    pub fn lock_tenant(&self, tenant: &str) -> Result<TenantLock, JournalError> {
        let name: String = hex::encode(Sha256::digest(tenant.as_bytes()))
            .chars()
            .take(32)
            .collect();
        let file_name = format!("tenant-{name}.lock");
        let state = self
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&file_name);
        let machine = runtime_dir()?.join(&file_name);
        let mut files = Vec::new();
        for path in [state, machine] {
            let file = open_lock_file(&path)?;
            match file.try_lock() {
                Ok(()) => files.push((file, path)),
                Err(TryLockError::WouldBlock) => {
                    return Err(JournalError::TenantBusy {
                        holder: holder_of(&path),
                        path,
                    });
                }
                Err(TryLockError::Error(source)) => {
                    return Err(JournalError::StateDir { path, source });
                }
            }
        }
        let mut lock = TenantLock { files };
        lock.describe(&format!(
            "pid {}, state dir {}",
            std::process::id(),
            self.path.parent().unwrap_or(Path::new(".")).display()
        ));
        Ok(lock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_locked_once_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        let lock = journal.lock_batch("abc").unwrap();
        assert!(matches!(
            journal.lock_batch("abc"),
            Err(JournalError::Busy { .. })
        ));
        assert!(journal.lock_batch("other").is_ok());
        drop(lock);
        assert!(journal.lock_batch("abc").is_ok());
    }

    #[test]
    fn a_tenant_is_locked_across_state_dirs_naming_the_holder() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = Journal::open(one.path()).unwrap();
        let second = Journal::open(two.path()).unwrap();
        // Unique per test run, so parallel tests do not meet.
        let tenant = format!("http://127.0.0.1:1/ client {}", one.path().display());
        let mut lock = first.lock_tenant(&tenant).unwrap();
        lock.describe("run R-1, pid 42");
        match second.lock_tenant(&tenant) {
            Err(JournalError::TenantBusy { holder, .. }) => assert_eq!(holder, "run R-1, pid 42"),
            other => panic!("expected the tenant to be busy: {other:?}"),
        }
        assert!(second.lock_tenant("another tenant").is_ok());
        drop(lock);
        assert!(second.lock_tenant(&tenant).is_ok());
    }
}
