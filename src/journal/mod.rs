//! The journal: runs, records and outcomes in SQLite (WAL) in the state directory.
//!
//! It is what makes an import exactly-once across crashes: the `sent` state of a record is
//! committed *before* its request goes out and the outcome after the answer, so a record left
//! in `sent` after a crash is known to be ambiguous and is searched for on the server before
//! anything is sent again. It also backs `runs list` / `runs show` and duplicate-batch refusal.
//!
//! The file is `<state_dir>/journal.sqlite`, created with mode 0600; the schema is versioned
//! with SQLite's `user_version` (see [`schema`]).

mod acknowledged;
mod lock;
pub mod protect;
mod prune;
mod records;
mod runs;
mod schema;
mod servers;
mod stored;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

pub use acknowledged::Acknowledged;
pub use lock::{BatchLock, TenantLock};
pub use prune::{Holding, Pruned};
pub use records::{NewRecord, RecordRow, RecordState, RecordUpdate};
pub use runs::{RunRow, RunStatus, new_run_id};

/// Name of the journal file inside the state directory.
pub const FILE_NAME: &str = "journal.sqlite";

/// Errors of the journal. A journal error aborts an import (exit 3); the run stays resumable.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "cannot create the state directory {path}: {source}; check the path or pass --state-dir"
    )]
    StateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the state directory {dir} is read-only ({source}), and an import must write its \
         journal {path} there; make it writable (e.g. `chmod u+w {dir}`) or pass --state-dir \
         with a writable folder. `runs list` and `runs show` can still read it",
        dir = path.parent().unwrap_or(Path::new(".")).display(),
        path = path.display()
    )]
    ReadOnly {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot create the journal {path}: {source}; check the state directory or pass --state-dir"
    )]
    JournalFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot find a data directory for the journal; pass --state-dir or set NXSYS_STATE_DIR"
    )]
    NoDataDir,
    /// (`error` is said in the message and deliberately not a `source`: SQLite's own cause
    /// repeats it as "Error code N: …".)
    #[error("journal {path}: {error}", path = path.display())]
    Sqlite {
        path: PathBuf,
        error: rusqlite::Error,
    },
    #[error(
        "journal {path} has schema version {found}, newer than this nxsys-etl understands \
         ({supported}); upgrade nxsys-etl or use another --state-dir"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "another nxsys-etl is importing this batch right now (lock {path}); wait for it to \
         finish, then run the import again"
    )]
    Busy { path: PathBuf },
    #[error(
        "another nxsys-etl is sending to this Nxsys account right now ({holder}; lock {path}); \
         two runs at once could create the same worker or timesheet twice. Wait for it to \
         finish, then run the import again"
    )]
    TenantBusy { holder: String, path: PathBuf },
    #[error("run {0} is not in the journal; `nxsys-etl runs list` shows the runs it knows")]
    UnknownRun(String),
    #[error("record {seq} of run {run} is not in the journal")]
    UnknownRecord { run: String, seq: u32 },
    /// A run row that cannot be read back (an unknown status, a file list that is not JSON).
    #[error("journal data for run {run} is damaged: {what}")]
    Corrupt { run: String, what: String },
    /// A record row that cannot be read back (an unknown state, action or entity, JSON that
    /// is not what this tool writes).
    #[error("journal data for run {run}, record {seq} is damaged: {what}")]
    CorruptRecord { run: String, seq: u32, what: String },
    /// The secret that keys the hashes of bank details cannot be read or made.
    #[error(
        "the journal's key {path} (which keys the hashes of bank details): {what}",
        path = path.display()
    )]
    Key { path: PathBuf, what: String },
    /// A value that cannot be written as JSON.
    #[error("cannot store record {seq} of run {run} in the journal: {what}")]
    Unstorable { run: String, seq: u32, what: String },
}

/// An open journal. Cheap to share behind an `Arc`; every call takes the connection lock for
/// one short transaction.
pub struct Journal {
    path: PathBuf,
    conn: Mutex<Connection>,
    /// The schema version of the file (older than [`schema::VERSION`] only when opened to
    /// read a journal this build has not migrated yet).
    version: i64,
    /// Where the secret that keys the hashes of bank values lives ([`Journal::with_key_file`]);
    /// `None`: a key for this process only.
    key_file: Option<PathBuf>,
    key: std::sync::OnceLock<protect::Key>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

/// The state directory: `--state-dir` when given, else the user's data directory
/// (e.g. `~/.local/share/nxsys-etl`).
pub fn state_dir(explicit: Option<&Path>) -> Result<PathBuf, JournalError> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    directories::ProjectDirs::from("tech", "nxsys", "nxsys-etl")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or(JournalError::NoDataDir)
}

/// Switch to WAL. Changing the journal mode needs the database to itself and SQLite answers
/// "locked" at once, without waiting on the busy timeout, while another process opening the
/// same fresh journal holds it: try again for a while.
fn wal_mode(conn: &Connection) -> rusqlite::Result<()> {
    let mut tries = 0;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && tries < 200 =>
            {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            Err(e) => return Err(e),
        }
    }
}

impl Journal {
    /// Open (creating when needed) `<dir>/journal.sqlite`, WAL mode, schema migrated.
    pub fn open(dir: &Path) -> Result<Journal, JournalError> {
        create_private_dir(dir)?;
        let path = dir.join(FILE_NAME);
        create_private_file(&path)?;
        let sql = |source| sqlite_error(&path, source);
        let conn = Connection::open(&path).map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sql)?;
        wal_mode(&conn).map_err(sql)?;
        // NORMAL in WAL mode survives a killed process (not a power cut), at a fraction of
        // the cost of FULL; a killed process is the case the journal exists for.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql)?;
        schema::migrate(&conn, &path)?;
        Ok(Journal {
            path,
            conn: Mutex::new(conn),
            version: schema::VERSION,
            key_file: None,
            key: std::sync::OnceLock::new(),
        })
    }

    /// Open `<dir>/journal.sqlite` to read only (`runs list`, `runs show`): nothing is created
    /// or written, so a read-only state directory or journal can be read. `None` when there is
    /// no journal yet.
    pub fn open_read_only(dir: &Path) -> Result<Option<Journal>, JournalError> {
        use rusqlite::OpenFlags;
        let path = dir.join(FILE_NAME);
        if !path.is_file() {
            return Ok(None);
        }
        let sql = |source| JournalError::Sqlite {
            path: path.clone(),
            error: source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = |name: &str| -> rusqlite::Result<(Connection, i64)> {
            let conn = Connection::open_with_flags(name, flags)?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            let found = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            Ok((conn, found))
        };
        let plain = path.to_string_lossy().into_owned();
        let (conn, found) = match open(&plain) {
            Ok(opened) => opened,
            // A WAL journal in a folder that cannot be written: SQLite cannot make the shared
            // memory file it reads through. Nothing can be writing there, so read the file as
            // it stands.
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::CannotOpen) => {
                let immutable = std::fs::canonicalize(&path)
                    .ok()
                    .and_then(|p| url::Url::from_file_path(p).ok())
                    .map(|u| format!("{u}?immutable=1"));
                match immutable {
                    Some(uri) => open(&uri).map_err(sql)?,
                    None => return Err(sql(e)),
                }
            }
            Err(e) => return Err(sql(e)),
        };
        if found > schema::VERSION {
            return Err(JournalError::TooNew {
                path,
                found,
                supported: schema::VERSION,
            });
        }
        if found < 1 {
            // Created but never given its tables (an empty file): no runs in it.
            return Ok(None);
        }
        // An older schema is read as it is (the next import migrates it).
        Ok(Some(Journal {
            path,
            conn: Mutex::new(conn),
            version: found,
            key_file: None,
            key: std::sync::OnceLock::new(),
        }))
    }

    /// Keep the secret that keys the hashes of bank values in `path` (made on first use, mode
    /// 0600). The commands put it beside the token store ([`protect::key_file_beside`]).
    pub fn with_key_file(mut self, path: PathBuf) -> Journal {
        self.key_file = Some(path);
        self
    }

    /// The key for hashes of bank values, read or made on first use.
    fn key(&self) -> Result<&protect::Key, JournalError> {
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        let key = match &self.key_file {
            Some(path) => protect::Key::load_or_create(path)?,
            None => protect::Key::ephemeral(),
        };
        Ok(self.key.get_or_init(|| key))
    }

    /// Where the journal file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock means a panic mid-call; SQLite rolled the transaction back, so the
        // connection itself is still consistent.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sql_err(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: self.path.clone(),
            error: source,
        }
    }
}

/// The state directory, created readable by its owner only (0700).
fn create_private_dir(dir: &Path) -> Result<(), JournalError> {
    private_dir(dir).map_err(|source| JournalError::StateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// A directory created with mode 0700 (and its parents), or left as it is when it exists.
#[cfg(unix)]
pub(super) fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// A SQLite error opening the journal at `path`; "read-only" or "cannot open" in a folder that
/// cannot be written is said as a read-only state directory.
fn sqlite_error(path: &Path, source: rusqlite::Error) -> JournalError {
    let refused = matches!(
        source.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
    );
    let dir = path.parent().unwrap_or(Path::new("."));
    if refused
        && let Err(probe) = tempfile::tempfile_in(dir)
        && is_read_only(&probe)
    {
        return JournalError::ReadOnly {
            path: path.to_path_buf(),
            source: probe,
        };
    }
    JournalError::Sqlite {
        path: path.to_path_buf(),
        error: source,
    }
}

/// True for the errors a read-only folder or file system gives.
fn is_read_only(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
    )
}

#[cfg(not(unix))]
pub(super) fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Create the journal file with mode 0600 before SQLite opens it (SQLite gives its `-wal` and
/// `-shm` files the same mode as the database file).
fn create_private_file(path: &Path) -> Result<(), JournalError> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(drop)
        .map_err(|source| file_error(path, source))
}

/// Why the journal file at `path` could not be opened for writing, in words.
fn file_error(path: &Path, source: std::io::Error) -> JournalError {
    if is_read_only(&source) {
        JournalError::ReadOnly {
            path: path.to_path_buf(),
            source,
        }
    } else {
        JournalError::JournalFile {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Now, as RFC 3339 UTC with milliseconds (sorts as text).
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests;
