//! Journal schema and its migrations, versioned with `PRAGMA user_version`.

use std::path::Path;

use rusqlite::Connection;

use super::JournalError;

/// The schema version this build writes. Each entry of [`MIGRATIONS`] moves one version up.
pub const VERSION: i64 = 3;

const MIGRATIONS: [&str; 3] = [
    r#"
CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    started     TEXT NOT NULL,
    finished    TEXT,
    files       TEXT NOT NULL,           -- JSON array of paths
    fingerprint TEXT NOT NULL,           -- sha256 of the normalised payloads
    base_url    TEXT NOT NULL,
    options     TEXT NOT NULL,           -- JSON object
    status      TEXT NOT NULL,           -- running | finished | aborted | dry-run | interrupted
    exit_code   INTEGER
);
CREATE INDEX runs_by_fingerprint ON runs (fingerprint, base_url);
CREATE TABLE records (
    run          TEXT NOT NULL REFERENCES runs (id),
    seq          INTEGER NOT NULL,
    entity       TEXT NOT NULL,
    provenance   TEXT NOT NULL,          -- JSON array of {file, sheet, row}
    natural_key  TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    action       TEXT,                   -- create | update | unchanged | blocked
    state        TEXT NOT NULL,          -- planned | sent | done | failed | blocked | unchanged
    api_id       TEXT,
    http_status  INTEGER,
    message      TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    changed      TEXT,                   -- JSON array of changed fields
    detail       TEXT,                   -- JSON: what the report shows (names, control totals)
    updated      TEXT NOT NULL,
    PRIMARY KEY (run, seq)
);
"#,
    // What the client learnt of a server's behaviour (filters, number style, answer shapes),
    // per base URL, so that later runs start right.
    r#"
CREATE TABLE servers (
    base_url TEXT PRIMARY KEY,
    learnt   TEXT NOT NULL,              -- JSON object (api::ServerTraits)
    updated  TEXT NOT NULL
);
"#,
    // When `runs prune` removed the personal values of a run (names, NI/PPS numbers, old and
    // new values of changes, the server's messages); NULL while the run still holds them.
    r#"
ALTER TABLE runs ADD COLUMN pruned TEXT;
"#,
];

/// Bring the database at `path` to [`VERSION`]; refuse a newer one.
///
/// The version is read again inside the write transaction (`BEGIN IMMEDIATE`, which waits on
/// the connection's busy timeout), so processes opening a fresh state directory at once apply
/// each migration once: the others find it done.
pub fn migrate(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    let sql = |source| JournalError::Sqlite {
        path: path.to_path_buf(),
        error: source,
    };
    let version = |conn: &Connection| -> Result<i64, JournalError> {
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        if found > VERSION {
            return Err(JournalError::TooNew {
                path: path.to_path_buf(),
                found,
                supported: VERSION,
            });
        }
        Ok(found)
    };
    // Up to date: nothing to write (a read-only journal stays readable).
    if version(conn)? == VERSION {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sql)?;
    let applied = (|| {
        let found = version(conn)?;
        for (index, step) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
            let next = index as i64 + 1;
            conn.execute_batch(&format!("{step} PRAGMA user_version = {next};"))
                .map_err(sql)?;
        }
        conn.execute_batch("COMMIT").map_err(sql)
    })();
    if applied.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    applied
}
