//! Candidates (UK and Ireland): look up by Agency Ref (then NI/PPS number), create, update or
//! leave alone. UK create answers 201 with no body, so a new worker's id is read back by
//! Agency Ref.

use serde_json::Value;

use super::SubmitError;
use super::engine::{ADOPTED, Engine, NEW_PREFIX, read};
use super::listed::CandidateList;
use super::remote::{CandidateKey, Remote, ServerRecord};
use super::shape::{like_sheet, whole};
use super::write::Written;
use crate::journal::RecordState;
use crate::model::Action;
use crate::model::Body;
use crate::model::{Entity, Record};
use crate::plan::{Decision, changed_fields, payload_hash};

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
}

/// The Agency Ref of a server candidate, in the detail shape or the list shape.
pub fn agency_ref(json: &Value) -> Option<&str> {
    text(json, &["generalSetting", "agencyRef"]).or_else(|| text(json, &["agencyRef"]))
}

pub fn identifier_of(json: &Value, ireland: bool) -> Option<String> {
    let field = if ireland { "PPSNumber" } else { "NINumber" };
    text(json, &["generalSetting", field])
        .or_else(|| text(json, &[field]))
        .map(normalise_id)
}

fn normalise_id(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// Why a record is held when the server has several workers with its Agency Ref.
pub fn conflict(agency: &str, ids: &[&str]) -> String {
    format!(
        "conflict: the server holds {} workers with Agency Ref '{agency}' ({}), so which one \
         the sheet means is unclear; nothing was sent. Merge them or give one another Agency \
         Ref on Nxsys, then import again",
        ids.len(),
        ids.join(", ")
    )
}

/// The candidates of a stage-start listing with this Agency Ref or NI/PPS number, read in full.
async fn from_list<R: Remote>(
    e: &Engine<'_, R>,
    list: &CandidateList,
    key: &CandidateKey,
) -> Result<Vec<ServerRecord>, SubmitError> {
    let mut out = Vec::new();
    for c in list.matching(&key.agency_ref, key.identifier.as_deref()) {
        out.push(read(e.remote.get_candidate(key.ireland, &c.id)).await?);
    }
    Ok(out)
}

pub async fn process<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
) -> Result<(), SubmitError> {
    let Body::Candidate(body) = &record.body else {
        return e.block(seq, "internal: a candidate row without a candidate body");
    };
    let body = &body.value();
    let ireland = record.entity == Entity::CandidatesIe;
    let key = CandidateKey {
        ireland,
        agency_ref: record.key.clone(),
        identifier: identifier_of(body, ireland),
    };
    // As the last run left it on both sides: no full read needed.
    if !e.was_sent(seq, Action::Create)
        && !e.was_sent(seq, Action::Update)
        && let Some(list) = e.candidate_lists.get(&ireland)
        && let Some(id) = as_acknowledged(e, record, &key, list)
    {
        e.set_action(seq, Action::Unchanged, &[])?;
        e.on_server(seq, record, RecordState::Unchanged, &id, None, None)?;
        return note_unkept(e, seq, record, body);
    }
    let found = match e.candidate_lists.get(&ireland) {
        Some(list) => from_list(e, list, &key).await?,
        None => read(e.remote.find_candidates(&key)).await?,
    };
    let same_ref: Vec<&ServerRecord> = found
        .iter()
        .filter(|c| agency_ref(&c.json) == Some(key.agency_ref.as_str()))
        .collect();
    if same_ref.len() > 1 {
        // Never "the first one": which worker the sheet means is for a person to say.
        let ids: Vec<&str> = same_ref.iter().map(|c| c.id.as_str()).collect();
        let why = conflict(&key.agency_ref, &ids);
        e.remember_failure(record, &why);
        e.set_action(seq, Action::Update, &[])?;
        return e.finish(seq, RecordState::Held, None, None, Some(why));
    }
    let existing = same_ref.first().copied();
    if existing.is_none()
        && let Some(id) = &key.identifier
        && let Some(other) = found
            .iter()
            .find(|c| identifier_of(&c.json, ireland).as_ref() == Some(id))
    {
        let what = if ireland { "PPS number" } else { "NI number" };
        let message = format!(
            "{what} already belongs to worker {} (Agency Ref '{}') on the server; to update \
             that worker use Agency Ref '{}', otherwise correct the {what}",
            other.id,
            agency_ref(&other.json).unwrap_or("none"),
            agency_ref(&other.json).unwrap_or(""),
        );
        e.remember_failure(record, &message);
        e.set_action(seq, Action::Create, &[])?;
        return e.finish(seq, RecordState::Failed, None, None, Some(message));
    }

    // An earlier process sent the create and died before recording the answer: it landed.
    if e.was_sent(seq, Action::Create)
        && let Some(server) = existing
    {
        return e.on_server(
            seq,
            record,
            RecordState::Done,
            &server.id,
            None,
            Some(recovered()),
        );
    }

    let unkept = e.remote.unkept_fields(record.entity);
    let held = existing.map(|c| (c.id.as_str(), like_sheet(body, &c.json)));
    let decision = Decision::against(
        body,
        held.as_ref().map(|(id, json)| (*id, json.as_ref())),
        &unkept,
    );
    // An earlier process sent the update and died before recording the answer: it landed.
    if decision.action == Action::Unchanged && e.was_sent(seq, Action::Update) {
        let id = decision.existing_id.clone().unwrap_or_default();
        return e.on_server(seq, record, RecordState::Done, &id, None, Some(recovered()));
    }
    let changes = match e.review(record, &decision) {
        Ok(changes) => changes,
        Err(held) => return e.hold(seq, record, decision.existing_id, held),
    };
    e.set_action(seq, decision.action, &changes)?;
    let done = match decision.action {
        Action::Unchanged | Action::Blocked => {
            let id = decision.existing_id.unwrap_or_default();
            e.on_server(seq, record, RecordState::Unchanged, &id, None, None)
        }
        Action::Create if e.dry_run() => {
            e.remember_success(record, &format!("{NEW_PREFIX}{}", record.key));
            Ok(())
        }
        Action::Update if e.dry_run() => {
            e.remember_success(record, decision.existing_id.as_deref().unwrap_or_default());
            Ok(())
        }
        Action::Create => create(e, seq, record, &key, body).await,
        Action::Update => {
            let id = decision.existing_id.unwrap_or_default();
            let held = held.map(|(_, json)| json.into_owned()).unwrap_or_default();
            let whole = whole(record.entity, body, &held);
            update(e, seq, record, ireland, &id, body, &whole).await
        }
    };
    done?;
    note_unkept(e, seq, record, body)
}

/// Say on the record which of the sheet's fields the server does not keep (an Irish PPS
/// number on a server that refuses the field): not sent, and not used to find duplicates.
fn note_unkept<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
    body: &Value,
) -> Result<(), SubmitError> {
    let unkept: Vec<&str> = e
        .remote
        .unkept_fields(record.entity)
        .into_iter()
        .filter(|path| {
            path.split('.')
                .try_fold(body, |v, k| v.get(k))
                .is_some_and(|v| !v.is_null())
        })
        .collect();
    if unkept.is_empty() {
        return Ok(());
    }
    let mut detail = e.detail(seq, record);
    detail.warnings.push(format!(
        "not sent: {} — this Nxsys server refuses the field, so Nxsys does not hold it and \
         duplicates are found by Agency Ref only",
        unkept.join(", ")
    ));
    e.set_detail(seq, &detail)
}

/// The id of the worker when the sheet and the server's listed copy are both as the last run
/// left them (same payload hash, same list item — which carries the server's `updatedAt`),
/// and no other worker holds its NI/PPS number. `None`: read it in full and compare.
fn as_acknowledged<R: Remote>(
    e: &Engine<'_, R>,
    record: &Record,
    key: &CandidateKey,
    list: &CandidateList,
) -> Option<String> {
    let ack = e.acknowledged.get(&record.entity)?.get(&record.key)?;
    if ack.payload_hash != payload_hash(record) {
        return None;
    }
    let mut same = list.with_ref(&key.agency_ref);
    let listed = same.next()?;
    if same.next().is_some() || listed.id != ack.api_id || listed.digest.as_ref()? != &ack.listed {
        return None;
    }
    let shared = key
        .identifier
        .as_deref()
        .is_some_and(|i| list.with_identifier(i).any(|c| c.id != listed.id));
    (!shared).then(|| listed.id.clone())
}

/// A digest of a server's list item, when the item says when it last changed (`updatedAt` or
/// a like field): without one, a change to a field the list does not show would go unseen,
/// so no digest — the record is read in full.
pub fn listed_digest(item: &Value) -> Option<String> {
    use sha2::{Digest, Sha256};
    ["updatedAt", "updated_at", "modifiedAt", "lastModified"]
        .iter()
        .find(|k| item.get(**k).is_some_and(|v| !v.is_null()))?;
    let text = serde_json::to_string(item).ok()?;
    Some(format!("{:x}", Sha256::digest(text.as_bytes())))
}

fn recovered() -> String {
    "the answer was lost; found on the server by its natural key".into()
}

async fn create<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
    key: &CandidateKey,
    body: &Value,
) -> Result<(), SubmitError> {
    let find = || async {
        e.remote
            .find_candidate_id(key.ireland, &key.agency_ref)
            .await
            .map(|id| id.map(Some))
    };
    let written = e
        .write_once(
            seq,
            record.entity,
            e.was_sent(seq, Action::Create),
            || e.remote.create_candidate(key.ireland, body),
            find,
        )
        .await?;
    let (id, status, message) = match written {
        Written::Sent(id) => (id, Some(201), None),
        Written::Found(id) => (id, None, Some(recovered())),
        Written::Adopted(id) => (id, Some(409), Some(ADOPTED.into())),
        Written::Rejected { status, message } => {
            e.remember_failure(record, &message);
            return e.finish(seq, RecordState::Failed, None, Some(status), Some(message));
        }
        Written::ServerError { status, message } => {
            return e.server_failed(seq, record, None, status, &message);
        }
    };
    match id {
        Some(id) => e.on_server(seq, record, RecordState::Done, &id, status, message),
        // UK creates answer without a body: the new worker's id is read from one listing
        // after the stage, for all of them at once.
        None => e.await_id(seq, record, status, message),
    }
}

/// Why a created worker's timesheets were not sent: the server does not list it yet.
pub const NOT_LISTED: &str = "created, but the API does not list it by its Agency Ref yet, so its \
     id is unknown; timesheets for this worker were not sent — import again later";

/// Send an update: `whole` is the resource with the sheet's `body` on top (a server whose PUT
/// replaces the resource keeps what the sheet leaves out); the search after a lost answer
/// checks the sheet's fields.
async fn update<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
    ireland: bool,
    id: &str,
    body: &Value,
    whole: &Value,
) -> Result<(), SubmitError> {
    let unkept = e.remote.unkept_fields(record.entity);
    let written = e
        .write_once(
            seq,
            record.entity,
            e.was_sent(seq, Action::Update),
            || e.remote.update_candidate(ireland, id, whole),
            || async {
                let now = e.remote.get_candidate(ireland, id).await?;
                Ok(changed_fields(body, &like_sheet(body, &now.json), &unkept)
                    .is_empty()
                    .then_some(()))
            },
        )
        .await?;
    match written {
        Written::Sent(()) => e.on_server(seq, record, RecordState::Done, id, Some(200), None),
        Written::Found(()) => {
            e.on_server(seq, record, RecordState::Done, id, None, Some(recovered()))
        }
        Written::Adopted(()) => e.on_server(
            seq,
            record,
            RecordState::Done,
            id,
            Some(409),
            Some(ADOPTED.into()),
        ),
        Written::Rejected { status, message } => {
            e.remember_failure(record, &message);
            e.finish(
                seq,
                RecordState::Failed,
                Some(id.into()),
                Some(status),
                Some(message),
            )
        }
        Written::ServerError { status, message } => {
            e.server_failed(seq, record, Some(id.into()), status, &message)
        }
    }
}
