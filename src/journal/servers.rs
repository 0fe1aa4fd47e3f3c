//! What the client learnt of each server (by base URL): kept as JSON so that the API layer
//! owns its meaning and later runs start with it instead of learning it again.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Journal, JournalError, now};

impl Journal {
    /// What was learnt of the server at `base_url`, if anything (or if it no longer reads:
    /// a build that learns other things starts afresh rather than failing).
    pub fn learnt<T: DeserializeOwned>(&self, base_url: &str) -> Result<Option<T>, JournalError> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT learnt FROM servers WHERE base_url = ?1",
                params![base_url],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql_err(e))?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Keep what was learnt of the server at `base_url` (replacing what was kept).
    pub fn set_learnt<T: Serialize>(&self, base_url: &str, learnt: &T) -> Result<(), JournalError> {
        let text = serde_json::to_string(learnt).unwrap_or_else(|_| "{}".into());
        self.conn()
            .execute(
                "INSERT INTO servers (base_url, learnt, updated) VALUES (?1, ?2, ?3)
                 ON CONFLICT (base_url) DO UPDATE SET learnt = ?2, updated = ?3",
                params![base_url, text, now()],
            )
            .map_err(|e| self.sql_err(e))?;
        Ok(())
    }
}
