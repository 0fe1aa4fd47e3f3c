//! Timesheets: resolve the worker and pay codes, look up the worker's timesheets for the
//! period, create, update (same worker and period, other lines) or leave alone.

use std::collections::HashSet;

use futures::TryStreamExt;

use super::SubmitError;
use super::candidates::{agency_ref, conflict};
use super::engine::{ADOPTED, Engine, NEW_PREFIX, read};
use super::remote::{CandidateKey, Remote};
use super::write::Written;
use crate::journal::RecordState;
use crate::model::{Action, PayRef, Record, RecordDetail, TimesheetDraft, WorkerRef};
use crate::plan::Decision;
use crate::plan::timesheet::{self, PayInfo, ServerTimesheet, TimesheetPlan};

/// Workers and pay codes that timesheets name but the batch does not hold: look them up on the
/// server once each, before the stage starts.
pub async fn resolve_outside_refs<R: Remote>(
    e: &Engine<'_, R>,
    items: &[(u32, &Record)],
) -> Result<(), SubmitError> {
    let (mut workers, mut codes) = (HashSet::new(), HashSet::new());
    {
        let refs = e.refs();
        for (_, record) in items {
            let Some(draft) = record.timesheet() else {
                continue;
            };
            if let WorkerRef::AgencyRef(r) = &draft.worker
                && !refs.workers.contains_key(r)
                && !refs.failed.contains_key(&format!("worker:{r}"))
            {
                workers.insert(r.clone());
            }
            for line in &draft.lines {
                if let PayRef::Code(c) = &line.pay {
                    let c = c.to_uppercase();
                    if !refs.pay.contains_key(&c) && !refs.failed.contains_key(&format!("pay:{c}"))
                    {
                        codes.insert(c);
                    }
                }
            }
        }
    }
    let concurrency = e.options.concurrency.max(1);
    futures::stream::iter(workers.into_iter().map(Ok::<_, SubmitError>))
        .try_for_each_concurrent(concurrency, |agency| async move {
            for ireland in [false, true] {
                let key = CandidateKey {
                    ireland,
                    agency_ref: agency.clone(),
                    identifier: None,
                };
                let found = read(e.remote.find_candidates(&key)).await?;
                let ids: Vec<&str> = found
                    .iter()
                    .filter(|c| agency_ref(&c.json) == Some(&agency))
                    .map(|c| c.id.as_str())
                    .collect();
                match ids.as_slice() {
                    [] => continue,
                    [id] => {
                        e.refs().workers.insert(agency.clone(), id.to_string());
                    }
                    several => {
                        let why = conflict(&agency, several);
                        e.refs().failed.insert(format!("worker:{agency}"), why);
                    }
                }
                break;
            }
            Ok(())
        })
        .await?;
    futures::stream::iter(codes.into_iter().map(Ok::<_, SubmitError>))
        .try_for_each_concurrent(concurrency, |code| async move {
            if let Some(rate) = read(e.remote.find_payment_rate(&code)).await? {
                let default_vat = rate
                    .json
                    .get("defaultVATCode")
                    .and_then(|v| v.as_str().or_else(|| v.get("id").and_then(|i| i.as_str())))
                    .map(str::to_string);
                e.refs().pay.insert(
                    code,
                    PayInfo {
                        id: rate.id,
                        default_vat,
                    },
                );
            }
            Ok(())
        })
        .await
}

/// Why a timesheet cannot go: a worker or pay code it needs did not land.
fn failed_dependency<R: Remote>(e: &Engine<'_, R>, draft: &TimesheetDraft) -> Option<String> {
    let refs = e.refs();
    if let WorkerRef::AgencyRef(r) = &draft.worker
        && let Some(why) = refs.failed.get(&format!("worker:{r}"))
    {
        return Some(format!("not sent: worker '{r}' did not land ({why})"));
    }
    draft.lines.iter().find_map(|line| match &line.pay {
        PayRef::Code(c) => refs
            .failed
            .get(&format!("pay:{}", c.to_uppercase()))
            .map(|why| {
                format!(
                    "not sent: pay code '{c}' (row {}) did not land ({why})",
                    line.provenance.row
                )
            }),
        PayRef::Id(_) => None,
    })
}

pub async fn process<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
) -> Result<(), SubmitError> {
    let Some(draft) = record.timesheet() else {
        return e.block(seq, "internal: a timesheet row without timesheet lines");
    };
    if let Some(why) = failed_dependency(e, &draft) {
        return e.block(seq, &why);
    }
    let resolved = {
        let refs = e.refs();
        timesheet::resolve(&draft, &refs.workers, &refs.pay, &e.vat)
    };
    let plan = match resolved {
        Ok(plan) => plan,
        Err(why) => return e.block(seq, &why),
    };
    let mut detail = e.detail(seq, record);
    detail.worker_id = Some(plan.worker_id.clone());
    e.set_detail(seq, &detail)?;

    // A dry run of a timesheet for a worker or pay code it would create: nothing to look up.
    let placeholder = plan.worker_id.starts_with(NEW_PREFIX)
        || plan.lines.iter().any(|l| l.rate_id.starts_with(NEW_PREFIX));
    let listed = e
        .timesheet_lists
        .get(&plan.tax_year)
        .and_then(|list| list.in_slot(&plan));
    let existing = if placeholder {
        Vec::new()
    } else if let Some(listed) = listed {
        listed
    } else {
        read(
            e.remote
                .find_timesheets(&plan.worker_id, plan.tax_year, plan.tax_period),
        )
        .await?
    };
    let decision = timesheet::decide(&plan, &existing);

    // An earlier process sent this write and died before recording the answer.
    for action in [Action::Create, Action::Update] {
        if decision.action == Action::Unchanged && e.was_sent(seq, action) {
            e.set_action(seq, action, &[])?;
            let id = decision.existing_id.clone();
            return e.finish(seq, RecordState::Done, id, None, Some(recovered()));
        }
    }
    let changes = match e.review(record, &decision) {
        Ok(changes) => changes,
        Err(held) => return e.hold(seq, record, decision.existing_id.clone(), held),
    };
    e.set_action(seq, decision.action, &changes)?;
    if let Some(warning) = &decision.warning {
        detail.warnings.push(warning.clone());
        e.set_detail(seq, &detail)?;
    }
    match decision.action {
        Action::Unchanged | Action::Blocked => e.finish(
            seq,
            RecordState::Unchanged,
            decision.existing_id,
            None,
            None,
        ),
        _ if e.dry_run() => Ok(()),
        Action::Create => create(e, seq, record, &plan, &mut detail).await,
        Action::Update => update(e, seq, record, &plan, &decision, &mut detail).await,
    }
}

fn recovered() -> String {
    "the answer was lost; found on the server by worker, period and lines".into()
}

async fn create<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
    plan: &TimesheetPlan,
    detail: &mut RecordDetail,
) -> Result<(), SubmitError> {
    let written = e
        .write_once(
            seq,
            record.entity,
            e.was_sent(seq, Action::Create),
            || e.remote.create_timesheet(plan),
            || async {
                let found = e
                    .remote
                    .find_timesheets(&plan.worker_id, plan.tax_year, plan.tax_period)
                    .await?;
                Ok(found
                    .into_iter()
                    .find(|t| timesheet::is_same_timesheet(plan, t)))
            },
        )
        .await?;
    settle(e, seq, record, written, 201, detail)
}

async fn update<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
    plan: &TimesheetPlan,
    decision: &Decision,
    detail: &mut RecordDetail,
) -> Result<(), SubmitError> {
    let id = decision.existing_id.clone().unwrap_or_default();
    let written = e
        .write_once(
            seq,
            record.entity,
            e.was_sent(seq, Action::Update),
            || e.remote.update_timesheet(&id, plan),
            || async {
                let now = e.remote.get_timesheet(&id).await?;
                Ok(timesheet::is_same_timesheet(plan, &now).then_some(now))
            },
        )
        .await?;
    settle(e, seq, record, written, 201, detail)
}

fn settle<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
    written: Written<ServerTimesheet>,
    ok_status: u16,
    detail: &mut RecordDetail,
) -> Result<(), SubmitError> {
    let (timesheet, status, message) = match written {
        Written::Sent(t) => (t, Some(ok_status), None),
        Written::Found(t) => (t, None, Some(recovered())),
        Written::Adopted(t) => (t, Some(409), Some(ADOPTED.into())),
        Written::Rejected { status, message } => {
            return e.finish(seq, RecordState::Failed, None, Some(status), Some(message));
        }
        Written::ServerError { status, message } => {
            return e.server_failed(seq, record, None, status, &message);
        }
    };
    detail.acknowledged = timesheet.lines.as_deref().map(timesheet::totals);
    e.set_detail(seq, detail)?;
    e.finish(seq, RecordState::Done, Some(timesheet.id), status, message)
}
