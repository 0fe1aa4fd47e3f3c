//! Payment rates: look up by code, create, update (never the code) or leave alone.

use serde_json::Value;

use super::SubmitError;
use super::engine::{ADOPTED, Engine, NEW_PREFIX, read};
use super::remote::Remote;
use super::shape::whole;
use super::write::Written;
use crate::journal::RecordState;
use crate::model::Action;
use crate::model::Body;
use crate::model::Record;
use crate::plan::resolve::{payment_rate_body, payment_rate_edit_body};
use crate::plan::{Decision, changed_fields};

/// The default VAT code id of a payment-rate record, resolved.
pub fn default_vat<R: Remote>(e: &Engine<'_, R>, record: &Record) -> Option<String> {
    let Body::PaymentRate(sheet) = &record.body else {
        return None;
    };
    payment_rate_body(&sheet.value(), &e.vat)
        .ok()?
        .get("defaultVATCode")?
        .as_str()
        .map(str::to_string)
}

pub async fn process<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
) -> Result<(), SubmitError> {
    let Body::PaymentRate(sheet) = &record.body else {
        return e.block(
            seq,
            "internal: a payment-rate row without a payment-rate body",
        );
    };
    let sheet = &sheet.value();
    let body = match payment_rate_body(sheet, &e.vat) {
        Ok(body) => body,
        Err(message) => {
            e.remember_failure(record, &message);
            return e.block(seq, &message);
        }
    };
    let code = record.key.to_uppercase();
    let existing = match &e.rate_list {
        Some(list) => list
            .iter()
            .find(|r| {
                r.json
                    .get("code")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.eq_ignore_ascii_case(&code))
            })
            .cloned(),
        None => read(e.remote.find_payment_rate(&code)).await?,
    };
    if e.was_sent(seq, Action::Create)
        && let Some(server) = &existing
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
    let decision = Decision::against(
        &body,
        existing.as_ref().map(|s| (s.id.as_str(), &s.json)),
        &["code"],
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
    let id = decision.existing_id.clone().unwrap_or_default();
    match decision.action {
        Action::Unchanged | Action::Blocked => {
            e.on_server(seq, record, RecordState::Unchanged, &id, None, None)
        }
        Action::Create if e.dry_run() => {
            e.remember_success(record, &format!("{NEW_PREFIX}{code}"));
            Ok(())
        }
        Action::Update if e.dry_run() => {
            e.remember_success(record, &id);
            Ok(())
        }
        Action::Create => {
            let written = e
                .write_once(
                    seq,
                    record.entity,
                    e.was_sent(seq, Action::Create),
                    || async { e.remote.create_payment_rate(&body).await.map(|r| r.id) },
                    || async { Ok(e.remote.find_payment_rate(&code).await?.map(|r| r.id)) },
                )
                .await?;
            settle(e, seq, record, written, 201)
        }
        Action::Update => {
            let held = existing
                .as_ref()
                .map(|s| s.json.clone())
                .unwrap_or_default();
            let edit = payment_rate_edit_body(&body);
            let whole = whole(record.entity, &edit, &held);
            let written = e
                .write_once(
                    seq,
                    record.entity,
                    e.was_sent(seq, Action::Update),
                    || async {
                        e.remote
                            .update_payment_rate(&id, &whole)
                            .await
                            .map(|r| r.id)
                    },
                    || async {
                        let now = e.remote.get_payment_rate(&id).await?;
                        Ok(same(&edit, &now.json).then_some(now.id))
                    },
                )
                .await?;
            match written {
                Written::Rejected { status, message } if DEFAULT_CODES.contains(&code.as_str()) => {
                    locked(e, seq, record, &id, status, &message)
                }
                written => settle(e, seq, record, written, 200),
            }
        }
    }
}

/// The pay codes Nxsys creates for every agency; its support pages say they "cannot be
/// altered".
const DEFAULT_CODES: [&str; 2] = ["PR100", "PR101"];

/// A default pay code the server refused to change: nothing changed, and nothing that uses it
/// is held back — the run goes on with the code as Nxsys has it, and says so.
fn locked<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
    id: &str,
    status: u16,
    message: &str,
) -> Result<(), SubmitError> {
    let why = format!(
        "{} is a default pay code, which Nxsys does not let anyone alter (HTTP {status}: \
         {message}); the sheet's changes to it were not applied, and timesheets use it as Nxsys \
         has it. Use a pay code of your own for other terms",
        record.key.to_uppercase()
    );
    let mut detail = e.detail(seq, record);
    detail.warnings.push(why.clone());
    e.set_detail(seq, &detail)?;
    e.on_server(
        seq,
        record,
        RecordState::Unchanged,
        id,
        Some(status),
        Some(why),
    )
}

fn same(edit: &Value, server: &Value) -> bool {
    changed_fields(edit, server, &["code"]).is_empty()
}

fn recovered() -> String {
    "the answer was lost; found on the server by its code".into()
}

fn settle<R: Remote>(
    e: &Engine<'_, R>,
    seq: u32,
    record: &Record,
    written: Written<String>,
    ok_status: u16,
) -> Result<(), SubmitError> {
    match written {
        Written::Sent(id) => {
            e.on_server(seq, record, RecordState::Done, &id, Some(ok_status), None)
        }
        Written::Found(id) => {
            e.on_server(seq, record, RecordState::Done, &id, None, Some(recovered()))
        }
        Written::Adopted(id) => e.on_server(
            seq,
            record,
            RecordState::Done,
            &id,
            Some(409),
            Some(ADOPTED.into()),
        ),
        Written::Rejected { status, message } => {
            e.remember_failure(record, &message);
            e.finish(seq, RecordState::Failed, None, Some(status), Some(message))
        }
        Written::ServerError { status, message } => {
            e.server_failed(seq, record, None, status, &message)
        }
    }
}
