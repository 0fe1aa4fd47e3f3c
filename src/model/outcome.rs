//! Where each record of a run ended up ([`Outcome`]) and how many ended up where ([`Counts`]).

use std::collections::BTreeMap;

use serde::Serialize;

/// Where a record ended up, as the report says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    /// Invalid in the sheet: not sent.
    Invalid,
    /// Refused by the server.
    Rejected,
    /// The server kept failing (5xx) on it while it answered others: not on the server; the
    /// next run of the batch sends it again.
    ServerError,
    /// Not sent because something it depends on failed or could not be resolved.
    Blocked,
    /// Not sent: it changes a worker's identity, bank details or pay (or matches two server
    /// records), and nothing approved that.
    Held,
    /// Dry run: would be created / updated.
    WouldCreate,
    WouldUpdate,
    /// Offline dry run: would be sent; whether as a create or an update was not checked.
    WouldSend,
    /// The run stopped before this record finished (resume it).
    Pending,
}

impl Outcome {
    pub const ALL: [Outcome; 12] = [
        Outcome::Created,
        Outcome::Updated,
        Outcome::Unchanged,
        Outcome::Invalid,
        Outcome::Rejected,
        Outcome::ServerError,
        Outcome::Blocked,
        Outcome::Held,
        Outcome::WouldCreate,
        Outcome::WouldUpdate,
        Outcome::WouldSend,
        Outcome::Pending,
    ];

    /// The outcome in words, as reports and the terminal show it (`would create`).
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Invalid => "invalid",
            Outcome::Rejected => "rejected",
            Outcome::ServerError => "failed (server error)",
            Outcome::Blocked => "blocked",
            Outcome::Held => "held (needs approval)",
            Outcome::WouldCreate => "would create",
            Outcome::WouldUpdate => "would update",
            Outcome::WouldSend => "would create or update",
            Outcome::Pending => "pending",
        }
    }

    /// The record is on the server as the sheet has it (created, updated or unchanged).
    pub fn landed(self) -> bool {
        matches!(
            self,
            Outcome::Created | Outcome::Updated | Outcome::Unchanged
        )
    }
}

/// Count of records per outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts(pub BTreeMap<Outcome, usize>);

impl Counts {
    /// How many records have this outcome.
    pub fn get(&self, outcome: Outcome) -> usize {
        self.0.get(&outcome).copied().unwrap_or(0)
    }
}

impl FromIterator<Outcome> for Counts {
    fn from_iter<I: IntoIterator<Item = Outcome>>(outcomes: I) -> Counts {
        let mut counts = Counts::default();
        for outcome in outcomes {
            *counts.0.entry(outcome).or_default() += 1;
        }
        counts
    }
}
