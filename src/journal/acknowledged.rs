//! What each server held of a record when a run last left it as the sheet says
//! ([`Acknowledged`]), so a later run can tell "nothing changed on either side" from one
//! listing instead of reading every record in full.

use std::collections::HashMap;

use rusqlite::params;

use super::{Journal, JournalError, now};
use crate::model::Entity;

/// A record as a run left it on a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    /// The sheet's payload hash ([`crate::plan::payload_hash`]).
    pub payload_hash: String,
    /// A digest of the server's list item at that time.
    pub listed: String,
    pub api_id: String,
}

impl Journal {
    /// Every record of `entity` acknowledged by the server at `base_url`, by natural key.
    pub fn acknowledged(
        &self,
        base_url: &str,
        entity: Entity,
    ) -> Result<HashMap<String, Acknowledged>, JournalError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT natural_key, payload_hash, listed, api_id FROM acknowledged
                 WHERE base_url = ?1 AND entity = ?2",
            )
            .map_err(|e| self.sql_err(e))?;
        let rows = stmt
            .query_map(params![base_url, entity.name()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Acknowledged {
                        payload_hash: r.get(1)?,
                        listed: r.get(2)?,
                        api_id: r.get(3)?,
                    },
                ))
            })
            .map_err(|e| self.sql_err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql_err(e))
    }

    /// Remember these records (natural key, acknowledgement) of `entity` at `base_url`.
    pub fn set_acknowledged(
        &self,
        base_url: &str,
        entity: Entity,
        records: &[(String, Acknowledged)],
    ) -> Result<(), JournalError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.sql_err(e))?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO acknowledged
                         (base_url, entity, natural_key, payload_hash, listed, api_id, updated)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (base_url, entity, natural_key) DO UPDATE SET
                         payload_hash = ?4, listed = ?5, api_id = ?6, updated = ?7",
                )
                .map_err(|e| self.sql_err(e))?;
            let at = now();
            for (key, a) in records {
                stmt.execute(params![
                    base_url,
                    entity.name(),
                    key,
                    a.payload_hash,
                    a.listed,
                    a.api_id,
                    at
                ])
                .map_err(|e| self.sql_err(e))?;
            }
        }
        tx.commit().map_err(|e| self.sql_err(e))
    }
}
