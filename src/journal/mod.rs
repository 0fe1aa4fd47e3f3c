//! The journal: runs, records and outcomes in SQLite (WAL) in the state directory.
