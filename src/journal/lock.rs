//! One import of a batch at a time: an exclusive lock on a file per batch fingerprint, held for
//! the whole run. The operating system releases it when the process ends, killed or not, so a
//! crashed run never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use super::{Journal, JournalError};

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
}
