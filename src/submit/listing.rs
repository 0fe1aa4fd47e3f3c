//! What a stage reads in bulk: the listings taken before a stage (so records need no look-up
//! each) and the read-back after the run (for the control totals).

use std::collections::HashMap;

use futures::TryStreamExt;

use super::SubmitError;
use super::candidates::NOT_LISTED;
use super::engine::{Engine, LIST_ITEMS_PER_RECORD, PendingId, read};
use super::listed::{CandidateList, ListedCandidate};
use super::remote::Remote;
use crate::journal::{Acknowledged, RecordState};
use crate::model::{Entity, Record};
use crate::plan::payload_hash;
use crate::plan::timesheet::{ListedTotals, TimesheetList};

impl<R: Remote> Engine<'_, R> {
    /// Read in one listing what the stage's records may already be, when that is cheaper than
    /// one look-up per record (a server with too many is looked up record by record).
    pub(super) async fn list_before_stage(
        &mut self,
        items: &[(u32, &Record)],
    ) -> Result<(), SubmitError> {
        self.candidate_lists.clear();
        self.timesheet_lists.clear();
        self.rate_list = None;
        for ireland in [false, true] {
            let entity = if ireland {
                Entity::CandidatesIe
            } else {
                Entity::Candidates
            };
            let n = items.iter().filter(|(_, r)| r.entity == entity).count();
            if n == 0 {
                continue;
            }
            let limit = self.list_limit(entity, n).await?;
            if let Some(list) = read(self.remote.list_candidates(ireland, limit)).await? {
                self.candidate_lists
                    .insert(ireland, CandidateList::new(list));
            }
        }
        let rates = items
            .iter()
            .filter(|(_, r)| r.entity == Entity::PaymentRates)
            .count();
        if rates > 0 {
            let limit = self.list_limit(Entity::PaymentRates, rates).await?;
            self.rate_list = read(self.remote.list_payment_rates(limit)).await?;
        }
        for (year, n) in tax_years(items.iter().map(|(_, r)| *r)) {
            let limit = self.list_limit(Entity::Timesheets, n).await?;
            if let Some(list) = read(self.remote.list_timesheets(year, limit)).await? {
                self.timesheet_lists.insert(year, list);
            }
        }
        Ok(())
    }

    /// How many items one listing for `n` records of `entity` may read before looking the
    /// records up one by one is cheaper — every item, when the server's filters do not narrow
    /// (then each look-up would read the whole collection again).
    pub(super) async fn list_limit(&self, entity: Entity, n: usize) -> Result<usize, SubmitError> {
        Ok(if read(self.remote.filters_narrow(entity)).await? {
            (n * LIST_ITEMS_PER_RECORD).max(1000)
        } else {
            usize::MAX
        })
    }

    /// After the run: read every timesheet that landed back from the API for the control
    /// totals. Memory stays small whatever the run's size: the listing keeps only each
    /// timesheet's totals, and the journal is read one record at a time. `stage_lists` are the
    /// listings taken before the timesheet stage: boiled down if nothing was written since
    /// (they are still what the server holds), else dropped before listing anew.
    pub(super) async fn read_back(
        &self,
        work: &[(u32, &Record)],
        mut stage_lists: HashMap<i32, TimesheetList>,
    ) -> Result<(), SubmitError> {
        let records: HashMap<u32, &Record> = work
            .iter()
            .filter(|(_, r)| r.entity == Entity::Timesheets)
            .map(|(seq, r)| (*seq, *r))
            .collect();
        if self.wrote_any(Entity::Timesheets) {
            stage_lists.clear();
        }
        let mut items: Vec<ListedTotals> = Vec::new();
        for (year, _) in tax_years(records.values().copied()) {
            match stage_lists.remove(&year) {
                Some(list) => items.extend(list.into_timesheets().map(ListedTotals::from)),
                _ => {
                    let limit = self.list_limit(Entity::Timesheets, work.len()).await?;
                    items.extend(
                        read(self.remote.list_timesheet_totals(year, limit))
                            .await?
                            .into_iter()
                            .flatten(),
                    );
                }
            }
        }
        drop(stage_lists);
        // Sorted by id to be looked up (no map of 100,000 ids).
        items.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let twins = held_twice(&items);
        let landed: Vec<(u32, String)> = self
            .journal
            .landed(self.run, Entity::Timesheets)?
            .into_iter()
            .filter(|(seq, _)| records.contains_key(seq))
            .collect();
        let (items, twins) = (&items, &twins);
        futures::stream::iter(landed.into_iter().map(Ok::<_, SubmitError>))
            .try_for_each_concurrent(self.options.concurrency.max(1), |(seq, id)| async move {
                let (totals, net, others) = match items.binary_search_by(|t| (*t.id).cmp(&id)) {
                    Ok(i) => {
                        let others = twins.get(&i).cloned().unwrap_or_default();
                        (items[i].totals, items[i].net, others)
                    }
                    Err(_) => {
                        let t = ListedTotals::from(read(self.remote.get_timesheet(&id)).await?);
                        (t.totals, t.net, Vec::new())
                    }
                };
                let mut detail = self.journal.detail(self.run, seq)?;
                detail.read_back = totals;
                // No lines echoed: the net is all that can be tied.
                detail.read_back_net = if totals.is_none() { net } else { None };
                if !others.is_empty() {
                    detail
                        .warnings
                        .push(duplicate_warning("timesheet", &others));
                    detail.server_duplicates = others;
                }
                self.set_detail(seq, &detail)
            })
            .await?;
        Ok(())
    }
}

impl<R: Remote> Engine<'_, R> {
    /// After the candidates stage, from one listing per country: the ids of the workers
    /// created without one in the answer (UK), and a check that the server holds each worker
    /// this run landed once. An Agency Ref held twice (another machine imported at the same
    /// time; nothing locks across machines) is marked on the record and reported. A server too
    /// large to list in one go is asked worker by worker for the ids, and not scanned.
    pub(super) async fn after_candidates(
        &self,
        items: &[(u32, &Record)],
    ) -> Result<(), SubmitError> {
        let pending =
            std::mem::take(&mut *self.pending_ids.lock().unwrap_or_else(|e| e.into_inner()));
        for (ireland, entity) in [(false, Entity::Candidates), (true, Entity::CandidatesIe)] {
            let stage: HashMap<u32, &Record> = items
                .iter()
                .filter(|(_, r)| r.entity == entity)
                .map(|(seq, r)| (*seq, *r))
                .collect();
            let pending: Vec<&PendingId> = pending.iter().filter(|p| p.entity == entity).collect();
            if stage.is_empty() && pending.is_empty() {
                continue;
            }
            // Nothing written since the stage's listing: it is still what the server holds.
            let unwritten = !self.wrote_any(entity) && pending.is_empty();
            let fresh;
            let list = match self.candidate_lists.get(&ireland) {
                Some(list) if unwritten => Some(list),
                _ => {
                    let limit = self.list_limit(entity, stage.len()).await?;
                    fresh = read(self.remote.list_candidates(ireland, limit))
                        .await?
                        .map(CandidateList::new);
                    fresh.as_ref()
                }
            };
            for p in pending {
                let id = match list {
                    Some(list) => list.with_ref(&p.agency_ref).next().map(|c| c.id.clone()),
                    None => read(self.remote.find_candidate_id(ireland, &p.agency_ref)).await?,
                };
                self.settle_pending(p, id)?;
            }
            let landed = self.journal.landed(self.run, entity)?;
            if landed.is_empty() || stage.is_empty() {
                continue;
            }
            let Some(list) = list else {
                tracing::info!(
                    ?entity,
                    "too many workers on the server to scan for duplicates"
                );
                continue;
            };
            self.acknowledge(entity, &stage, &landed, list)?;
            for (seq, id) in landed {
                let Some(record) = stage.get(&seq) else {
                    continue;
                };
                let others: Vec<String> = list
                    .with_ref(&record.key)
                    .filter(|c| c.id != id)
                    .map(|c| c.id.clone())
                    .collect();
                if others.is_empty() {
                    continue;
                }
                let mut detail = self.journal.detail(self.run, seq)?;
                detail.warnings.push(duplicate_warning("worker", &others));
                detail.server_duplicates = others;
                self.set_detail(seq, &detail)?;
            }
        }
        Ok(())
    }
}

impl<R: Remote> Engine<'_, R> {
    /// Whether this process sent a write for a record of `entity`.
    fn wrote_any(&self, entity: Entity) -> bool {
        self.wrote
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&entity)
    }

    /// Remember, for the next run, what the server's list holds of each record that landed:
    /// a record whose sheet and listed copy are both the same then needs no full read.
    fn acknowledge(
        &self,
        entity: Entity,
        stage: &HashMap<u32, &Record>,
        landed: &[(u32, String)],
        list: &CandidateList,
    ) -> Result<(), SubmitError> {
        let by_id: HashMap<&str, &ListedCandidate> =
            list.iter().map(|c| (c.id.as_str(), c)).collect();
        let acks: Vec<(String, Acknowledged)> = landed
            .iter()
            .filter_map(|(seq, id)| {
                let record = stage.get(seq)?;
                let listed = by_id.get(id.as_str())?.digest.clone()?;
                Some((
                    record.key.clone(),
                    Acknowledged {
                        payload_hash: payload_hash(record),
                        listed,
                        api_id: id.clone(),
                    },
                ))
            })
            .collect();
        Ok(self
            .journal
            .set_acknowledged(&self.base_url, entity, &acks)?)
    }

    /// A created worker's id, read after the stage (or not found: its timesheets wait).
    fn settle_pending(&self, p: &PendingId, id: Option<String>) -> Result<(), SubmitError> {
        let key = format!("worker:{}", p.agency_ref);
        match id {
            Some(id) => {
                self.refs().workers.insert(p.agency_ref.clone(), id.clone());
                self.finish(
                    p.seq,
                    RecordState::Done,
                    Some(id),
                    p.http_status,
                    p.message.clone(),
                )
            }
            None => {
                self.refs().failed.insert(key, NOT_LISTED.into());
                self.finish(
                    p.seq,
                    RecordState::Done,
                    None,
                    p.http_status,
                    Some(NOT_LISTED.into()),
                )
            }
        }
    }
}

/// For each listed timesheet the server holds twice (another with the same worker, period,
/// dates and totals: see [`ListedTotals::same`]), the ids of the others, by its place in
/// `items`. Found by sorting the hashes: no map of 100,000 keys.
fn held_twice(items: &[ListedTotals]) -> HashMap<usize, Vec<String>> {
    let mut hashed: Vec<(u128, usize)> =
        items.iter().enumerate().map(|(i, t)| (t.same, i)).collect();
    hashed.sort_unstable();
    let mut twins = HashMap::new();
    for run in hashed
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
    {
        for &(_, i) in run {
            // The same item listed twice (pages that overlap) is not a duplicate of itself.
            let others: Vec<String> = run
                .iter()
                .map(|&(_, j)| &items[j].id)
                .filter(|id| **id != items[i].id)
                .map(ToString::to_string)
                .collect();
            if !others.is_empty() {
                twins.insert(i, others);
            }
        }
    }
    twins
}

fn duplicate_warning(what: &str, others: &[String]) -> String {
    format!(
        "DUPLICATE ON THE SERVER: Nxsys also holds {} with the same key as this {what} ({}); \
         another import (another machine, or a run with other credentials) sent it at the same \
         time. Remove the extra one on Nxsys before payroll runs",
        if others.len() == 1 {
            "another"
        } else {
            "others"
        },
        others.join(", ")
    )
}

/// The tax years of the timesheets among `records`, each with how many there are.
fn tax_years<'a>(records: impl Iterator<Item = &'a Record>) -> Vec<(i32, usize)> {
    let mut years: Vec<(i32, usize)> = Vec::new();
    for record in records {
        if let crate::model::Body::Timesheet(t) = &record.body {
            match years.iter_mut().find(|(y, _)| *y == t.tax_year()) {
                Some((_, n)) => *n += 1,
                None => years.push((t.tax_year(), 1)),
            }
        }
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::timesheet::{Line, ServerTimesheet};
    use rust_decimal::Decimal;

    fn listed(id: &str, worker: &str, units: &str) -> ServerTimesheet {
        ServerTimesheet {
            id: id.into(),
            worker_id: Some(worker.into()),
            start_date: None,
            end_date: None,
            tax_year: Some(2025),
            tax_period: Some(3),
            lines: Some(vec![Line {
                rate_id: "PR-1".into(),
                rate: Decimal::new(1250, 2),
                units: units.parse().unwrap(),
                vat_id: None,
            }]),
            net: None,
        }
    }

    #[test]
    fn a_timesheet_held_twice_names_the_other_and_only_it() {
        let list = [
            listed("TS-1", "SR-1", "8"),
            listed("TS-2", "SR-2", "8"),
            listed("TS-3", "SR-1", "8.00"),
            listed("TS-4", "SR-1", "9"),
            // The same item listed twice (pages that overlap) is not a duplicate of itself.
            listed("TS-2", "SR-2", "8"),
        ];
        let items: Vec<ListedTotals> = list.into_iter().map(ListedTotals::from).collect();
        let twins = held_twice(&items);
        assert_eq!(twins.get(&0), Some(&vec!["TS-3".to_string()]));
        assert_eq!(twins.get(&2), Some(&vec!["TS-1".to_string()]));
        assert_eq!(twins.len(), 2, "{twins:?}");
    }
}
