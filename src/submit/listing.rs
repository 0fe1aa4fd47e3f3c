//! What a stage reads in bulk: the listings taken before a stage (so records need no look-up
//! each) and the read-back after the run (for the control totals).

use std::collections::HashMap;

use futures::TryStreamExt;

use super::SubmitError;
use super::engine::{Engine, LIST_ITEMS_PER_RECORD, read};
use super::remote::Remote;
use crate::journal::{RecordRow, RecordState};
use crate::plan::timesheet::{ServerTimesheet, Totals};
use crate::report::reconcile::RecordDetail;
use crate::schema::{Entity, Record};

impl<R: Remote> Engine<'_, R> {
    /// Read in one listing what the stage's records may already be, when that is cheaper than
    /// one look-up per record (a server with too many is looked up record by record).
    pub(super) async fn list_before_stage(
        &mut self,
        items: &[(u32, &Record)],
    ) -> Result<(), SubmitError> {
        self.candidate_lists.clear();
        self.timesheet_lists.clear();
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
            let limit = (n * LIST_ITEMS_PER_RECORD).max(1000);
            if let Some(list) = read(self.remote.list_candidates(ireland, limit)).await? {
                self.candidate_lists.insert(ireland, list);
            }
        }
        let mut years: Vec<(i32, usize)> = Vec::new();
        for (_, record) in items {
            if let crate::schema::record::Body::Timesheet(t) = &record.body {
                match years.iter_mut().find(|(y, _)| *y == t.tax_year) {
                    Some((_, n)) => *n += 1,
                    None => years.push((t.tax_year, 1)),
                }
            }
        }
        for (year, n) in years {
            let limit = (n * LIST_ITEMS_PER_RECORD).max(1000);
            if let Some(list) = read(self.remote.list_timesheets(year, limit)).await? {
                self.timesheet_lists.insert(year, list);
            }
        }
        Ok(())
    }

    /// After the run: read every timesheet that landed back from the API for the control
    /// totals.
    pub(super) async fn read_back(&self, work: &[(u32, &Record)]) -> Result<(), SubmitError> {
        let rows: HashMap<u32, RecordRow> = self
            .journal
            .records(self.run)?
            .into_iter()
            .map(|r| (r.seq, r))
            .collect();
        let mut listed: HashMap<String, ServerTimesheet> = HashMap::new();
        let mut years: Vec<i32> = work
            .iter()
            .filter_map(|(_, r)| match &r.body {
                crate::schema::record::Body::Timesheet(t) => Some(t.tax_year),
                _ => None,
            })
            .collect();
        years.sort_unstable();
        years.dedup();
        for year in years {
            let n = work.len();
            let limit = (n * LIST_ITEMS_PER_RECORD).max(1000);
            if let Some(list) = read(self.remote.list_timesheets(year, limit)).await? {
                listed.extend(list.into_iter().map(|t| (t.id.clone(), t)));
            }
        }
        let listed = &listed;
        let targets: Vec<(u32, String, RecordDetail)> = work
            .iter()
            .filter(|(_, r)| r.entity == Entity::Timesheets)
            .filter_map(|(seq, record)| {
                let row = rows.get(seq)?;
                let id = row.api_id.clone()?;
                matches!(row.state, RecordState::Done | RecordState::Unchanged).then(|| {
                    let detail = serde_json::from_value(row.detail.clone())
                        .unwrap_or_else(|_| super::initial_detail(record));
                    (*seq, id, detail)
                })
            })
            .collect();
        futures::stream::iter(targets.into_iter().map(Ok::<_, SubmitError>))
            .try_for_each_concurrent(
                self.options.concurrency.max(1),
                |(seq, id, mut detail)| async move {
                    let timesheet = match listed.get(&id) {
                        Some(t) => t.clone(),
                        None => read(self.remote.get_timesheet(&id)).await?,
                    };
                    detail.read_back = timesheet.lines.as_deref().map(Totals::of);
                    self.set_detail(seq, &detail)
                },
            )
            .await?;
        Ok(())
    }
}
