//! The engine against an in-memory fake API that loses answers after applying writes, refuses
//! some data and can "crash" the run part-way: no duplicates, every record accounted for.

mod fake;

use std::path::PathBuf;

use rust_decimal::Decimal;
use serde_json::json;

use super::*;
use crate::journal::RecordState;
use crate::model::{Body, LineDraft, PayRef, Provenance, TimesheetDraft, VatRef, WorkerRef};
use crate::model::{ChangeClass, Entity, Outcome, Record};
use crate::plan::approval::Acceptance;
use fake::Fake;

fn prov(file: &str, row: u32) -> Provenance {
    Provenance {
        file: PathBuf::from(file).into(),
        sheet: None,
        row,
    }
}

fn candidate(i: u32, surname: &str) -> Record {
    let agency = format!("AG{i:04}");
    Record {
        entity: Entity::Candidates,
        provenance: vec![prov("c.csv", i + 2)],
        key: agency.clone(),
        body: Body::Candidate(
            json!({
                "generalSetting": {"agencyRef": agency, "forename": "Test", "surname": surname,
                                    "NINumber": format!("QQ{:06}C", i)},
                "payrollSetting": {"paymentModel": "PAYEE"}
            })
            .into(),
        ),
        findings: vec![],
    }
}

fn rate(code: &str) -> Record {
    Record {
        entity: Entity::PaymentRates,
        provenance: vec![prov("r.csv", 2)],
        key: code.into(),
        body: Body::PaymentRate(
            json!({"code": code, "description": "Hourly", "type": "RATE",
                                        "units": "HOURLY", "defaultVATCode": "S"})
            .into(),
        ),
        findings: vec![],
    }
}

fn timesheet(worker: u32, period: u32, hours: &str) -> Record {
    let line = |row, code: &str, rate: &str| LineDraft {
        provenance: prov("t.csv", row),
        pay: PayRef::Code(code.into()),
        rate: rate.parse::<Decimal>().unwrap(),
        units: hours.parse::<Decimal>().unwrap(),
        vat: Some(VatRef::Letter("S".into())),
    };
    let agency = format!("AG{worker:04}");
    Record::of_timesheet(
        format!("{agency}|2025|{period}"),
        TimesheetDraft {
            worker: WorkerRef::AgencyRef(agency),
            assignment_ref: None,
            start_date: None,
            end_date: None,
            tax_year: 2025,
            tax_period: period,
            month: None,
            lines: vec![
                line(worker * 10 + 2, "PR200", "12.50"),
                line(worker * 10 + 3, "PR201", "3"),
            ],
        },
        vec![],
    )
}

fn batch(workers: u32, periods: u32) -> Vec<Record> {
    let mut records: Vec<Record> = (0..workers).map(|i| candidate(i, "Smith")).collect();
    records.push(rate("PR200"));
    records.push(rate("PR201"));
    for w in 0..workers {
        for p in 1..=periods {
            records.push(timesheet(w, p, "7.5"));
        }
    }
    records
}

fn request(dir: &std::path::Path) -> ImportRequest {
    ImportRequest {
        files: vec![dir.join("c.csv")],
        base_url: "http://fake".into(),
        recorded_options: json!({}),
        resume: None,
        tenant: None,
        allow_duplicate_batch: false,
        submit: SubmitOptions {
            concurrency: 8,
            dry_run: false,
            offline: false,
            progress: false,
            acceptance: Acceptance::default(),
            server_error_budget: std::time::Duration::from_millis(200),
        },
    }
}

/// A request that accepts these change classes.
fn accepting(dir: &std::path::Path, classes: &[ChangeClass]) -> ImportRequest {
    let mut request = request(dir);
    request.submit.acceptance = Acceptance::classes(classes.iter().copied());
    request
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn lost_answers_never_make_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let fake = Fake::new().drop_after_commit_every(5).fail_before_every(7);
    let records = batch(40, 3);
    let out = block_on(import(&fake, &journal, &records, &request(dir.path()))).unwrap();
    let state = fake.snapshot();
    assert_eq!(state.candidates, 40);
    assert_eq!(state.rates, 2);
    assert_eq!(state.timesheets, 120);
    assert_eq!(state.duplicate_candidates, 0);
    assert_eq!(state.duplicate_timesheets, 0);
    assert!(
        state.dropped > 10,
        "the fake really lost answers: {}",
        state.dropped
    );
    assert_eq!(out.counts.get(Outcome::Created), records.len());
    assert_eq!(out.counts, journal.outcome_counts(&out.run_id).unwrap());
    let timesheets: Vec<_> = journal
        .records(&out.run_id)
        .unwrap()
        .into_iter()
        .filter(|r| r.detail.input.is_some())
        .collect();
    assert_eq!(timesheets.len(), 120);
    assert!(timesheets.iter().all(|r| r.detail.totals_agree()));
}

#[test]
fn rejected_rows_carry_the_server_message_and_block_their_timesheets() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let fake = Fake::new().reject_surname("Reject");
    let mut records = batch(5, 1);
    records[2] = candidate(2, "Reject");
    let out = block_on(import(&fake, &journal, &records, &request(dir.path()))).unwrap();
    let rows = journal.records(&out.run_id).unwrap();
    let rejected: Vec<_> = rows
        .iter()
        .filter(|r| r.state == RecordState::Failed)
        .collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].http_status, Some(400));
    assert!(
        rejected[0]
            .message
            .as_deref()
            .unwrap()
            .contains("surname 'Reject' refused")
    );
    let blocked: Vec<_> = rows
        .iter()
        .filter(|r| r.state == RecordState::Blocked)
        .collect();
    assert_eq!(blocked.len(), 1);
    assert!(
        blocked[0].message.as_deref().unwrap().contains("AG0002"),
        "{:?}",
        blocked[0].message
    );
    assert_eq!(fake.snapshot().candidates, 4);
    assert_eq!(fake.snapshot().timesheets, 4);
}

#[test]
fn second_import_is_refused_and_changed_rows_update_only_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let fake = Fake::new();
    let records = batch(3, 1);
    block_on(import(&fake, &journal, &records, &request(dir.path()))).unwrap();
    let again = block_on(import(&fake, &journal, &records, &request(dir.path())));
    assert!(
        matches!(again, Err(ImportError::DuplicateBatch { .. })),
        "{again:?}"
    );

    let mut changed = records.clone();
    changed[1] = candidate(1, "Jones");
    changed[5] = timesheet(0, 1, "8");
    // A surname (identity) and a timesheet's hours (pay): held, nothing sent.
    let writes = fake.snapshot().writes;
    let held = block_on(import(&fake, &journal, &changed, &request(dir.path()))).unwrap();
    assert_eq!(held.counts.get(Outcome::Held), 2);
    assert_eq!(fake.snapshot().writes, writes);
    let rows = journal.records(&held.run_id).unwrap();
    let worker = rows.iter().find(|r| r.natural_key == "AG0001").unwrap();
    assert_eq!(worker.changed[0].class, ChangeClass::Identity);
    assert!(
        worker
            .message
            .as_deref()
            .unwrap()
            .contains("identity change")
    );
    // The same batch again without accepting anything is refused, saying why.
    let again = block_on(import(&fake, &journal, &changed, &request(dir.path())));
    assert!(
        matches!(again, Err(ImportError::HeldForApproval { held: 2, .. })),
        "{again:?}"
    );

    let both = accepting(dir.path(), &[ChangeClass::Identity, ChangeClass::Pay]);
    let out = block_on(import(&fake, &journal, &changed, &both)).unwrap();
    let rows = journal.records(&out.run_id).unwrap();
    assert_eq!(out.counts.get(Outcome::Updated), 2, "{rows:#?}");
    assert_eq!(out.counts.get(Outcome::Unchanged), records.len() - 2);
    let update = rows.iter().find(|r| r.natural_key == "AG0001").unwrap();
    assert_eq!(update.changed[0].field, "generalSetting.surname");
    assert_eq!(update.changed.len(), 1);
    let state = fake.snapshot();
    assert_eq!(
        (
            state.candidates,
            state.timesheets,
            state.duplicate_timesheets
        ),
        (3, 3, 0)
    );
    assert_eq!(fake.surname_of("AG0001").as_deref(), Some("Jones"));
}

#[test]
fn a_crashed_run_resumes_to_the_same_state_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let records = batch(20, 2);
    let fake = Fake::new().crash_after_writes(17);
    let first = block_on(import(&fake, &journal, &records, &request(dir.path())));
    let Err(ImportError::Aborted { run, .. }) = first else {
        panic!("expected the run to stop: {first:?}")
    };
    assert!(
        journal
            .records(&run)
            .unwrap()
            .iter()
            .any(|r| r.state == RecordState::Sent)
    );
    let fake = fake.without_crash();
    let out = block_on(import(&fake, &journal, &records, &request(dir.path()))).unwrap();
    assert!(out.resumed);
    assert_eq!(out.run_id, run);
    let state = fake.snapshot();
    assert_eq!(
        (state.candidates, state.rates, state.timesheets),
        (20, 2, 40)
    );
    assert_eq!(state.duplicate_candidates + state.duplicate_timesheets, 0);
    assert_eq!(out.counts.get(Outcome::Created), records.len());
}

#[test]
fn dry_run_sends_nothing_and_plans_everything() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let fake = Fake::new();
    let records = batch(4, 2);
    let mut req = request(dir.path());
    req.submit.dry_run = true;
    let out = block_on(import(&fake, &journal, &records, &req)).unwrap();
    assert_eq!(fake.snapshot().writes, 0);
    assert_eq!(out.counts.get(Outcome::WouldCreate), records.len());
    // Offline: no server at all.
    req.submit.offline = true;
    let out = block_on(import(&Offline, &journal, &records, &req)).unwrap();
    assert_eq!(out.counts.get(Outcome::WouldCreate), records.len());
}

#[test]
fn resume_by_id_checks_the_batch_and_the_run_state() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let records = batch(6, 1);
    let crashing = Fake::new().crash_after_writes(3);
    let Err(ImportError::Aborted { run, .. }) =
        block_on(import(&crashing, &journal, &records, &request(dir.path())))
    else {
        panic!("expected the run to stop")
    };
    // Another batch cannot resume it.
    let mut req = request(dir.path());
    req.resume = Some(run.clone());
    let other = batch(7, 1);
    let wrong = block_on(import(&crashing, &journal, &other, &req));
    assert!(
        matches!(wrong, Err(ImportError::ResumeMismatch { .. })),
        "{wrong:?}"
    );
    // The same batch, given in another order, resumes it.
    let mut reordered = records.clone();
    reordered.reverse();
    let fake = crashing.without_crash();
    let out = block_on(import(&fake, &journal, &reordered, &req)).unwrap();
    assert!(out.resumed);
    assert_eq!(out.run_id, run);
    assert_eq!(fake.snapshot().candidates, 6);
    assert_eq!(fake.snapshot().duplicate_candidates, 0);
    // A finished run cannot be resumed.
    let again = block_on(import(&fake, &journal, &records, &req));
    assert!(
        matches!(again, Err(ImportError::NotResumable { .. })),
        "{again:?}"
    );
    assert!(again.unwrap_err().is_usage());
    // A dry run never resumes (it would mark the real run as a dry run).
    req.submit.dry_run = true;
    let dry = block_on(import(&fake, &journal, &records, &req));
    assert!(
        matches!(dry, Err(ImportError::DryRunResume { .. })),
        "{dry:?}"
    );
}

/// Import `batch(2, 1)`; then the batch as `change` makes it, accepting `classes`, against a
/// fake that crashes after one more write; then resume it without any flag. Returns the fake,
/// the journal, the writes before the changed run and the resumed run's outcome.
fn crash_once_then_resume(
    dir: &std::path::Path,
    change: impl FnOnce(&mut Vec<Record>),
    classes: &[ChangeClass],
) -> (Fake, Journal, u64, ImportOutcome) {
    let journal = Journal::open(dir).unwrap();
    let fake = Fake::new();
    let records = batch(2, 1);
    block_on(import(&fake, &journal, &records, &request(dir))).unwrap();
    let writes = fake.snapshot().writes;
    let mut changed = records.clone();
    change(&mut changed);
    let crashing = fake.crash_after_writes(writes + 1);
    let first = block_on(import(
        &crashing,
        &journal,
        &changed,
        &accepting(dir, classes),
    ));
    let Err(ImportError::Aborted { run, .. }) = first else {
        panic!("expected the run to stop: {first:?}")
    };
    let fake = crashing.without_crash();
    // Resumed without the flag: the run keeps what its first process accepted.
    let out = block_on(import(&fake, &journal, &changed, &request(dir))).unwrap();
    assert_eq!(out.run_id, run);
    (fake, journal, writes, out)
}

#[test]
fn an_update_lost_in_a_crash_is_reported_as_updated_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, journal, writes, out) = crash_once_then_resume(
        dir.path(),
        |changed| changed[0] = candidate(0, "Jones"),
        &[ChangeClass::Identity],
    );
    let rows = journal.records(&out.run_id).unwrap();
    assert_eq!(out.counts.get(Outcome::Updated), 1, "{rows:#?}");
    assert_eq!(out.counts.get(Outcome::Unchanged), rows.len() - 1);
    assert_eq!(fake.surname_of("AG0000").as_deref(), Some("Jones"));
    assert_eq!(
        fake.snapshot().writes,
        writes + 1,
        "the update was not sent twice"
    );
}

#[test]
fn a_resumed_run_keeps_held_records_held_and_accepted_ones_accepted() {
    let dir = tempfile::tempdir().unwrap();
    // Two surnames (identity, accepted) and one timesheet's hours (pay, not accepted).
    let (fake, journal, writes, out) = crash_once_then_resume(
        dir.path(),
        |changed| {
            changed[0] = candidate(0, "Jones");
            changed[1] = candidate(1, "Brown");
            changed[5] = timesheet(1, 1, "9");
        },
        &[ChangeClass::Identity],
    );
    let rows = journal.records(&out.run_id).unwrap();
    assert_eq!(out.counts.get(Outcome::Updated), 2, "{rows:#?}");
    assert_eq!(out.counts.get(Outcome::Held), 1, "{rows:#?}");
    assert_eq!(fake.surname_of("AG0001").as_deref(), Some("Brown"));
    assert_eq!(
        fake.snapshot().writes,
        writes + 2,
        "the held timesheet was not sent"
    );
}

#[test]
fn a_409_on_create_adopts_the_record_the_server_already_has() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let fake = Fake::new().rate_created_elsewhere("PR200");
    let records = batch(1, 1);
    let out = block_on(import(&fake, &journal, &records, &request(dir.path()))).unwrap();
    let rows = journal.records(&out.run_id).unwrap();
    let rate = rows.iter().find(|r| r.natural_key == "PR200").unwrap();
    assert_eq!(rate.state, RecordState::Done, "{rate:#?}");
    assert!(
        rate.message.as_deref().unwrap_or_default().contains("409"),
        "{rate:#?}"
    );
    // Its timesheet went to the adopted rate.
    assert_eq!(out.counts.get(Outcome::Blocked), 0, "{rows:#?}");
    assert_eq!(fake.snapshot().rates, 2);
}

#[test]
fn two_server_workers_with_one_agency_ref_are_a_conflict_never_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let fake = Fake::new()
        .with_worker("AG0000", "Smith")
        .with_worker("AG0000", "Smyth");
    let records = batch(1, 1);
    let out = block_on(import(&fake, &journal, &records, &request(dir.path()))).unwrap();
    let rows = journal.records(&out.run_id).unwrap();
    let worker = rows.iter().find(|r| r.natural_key == "AG0000").unwrap();
    assert_eq!(worker.state, RecordState::Held, "{worker:#?}");
    let why = worker.message.as_deref().unwrap();
    assert!(why.contains("SR-1") && why.contains("SR-2"), "{why}");
    let sheet = rows
        .iter()
        .find(|r| r.entity == Entity::Timesheets)
        .unwrap();
    assert_eq!(sheet.state, RecordState::Blocked, "{sheet:#?}");
    assert_eq!(fake.snapshot().timesheets, 0);
}

#[test]
fn a_worker_another_machine_created_at_once_is_reported_as_a_server_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let fake = Fake::new().twin_created_elsewhere("AG0001");
    let records = batch(3, 1);
    let out = block_on(import(&fake, &journal, &records, &request(dir.path()))).unwrap();
    assert_eq!(out.server_duplicates, 1);
    let rows = journal.records(&out.run_id).unwrap();
    let worker = rows.iter().find(|r| r.natural_key == "AG0001").unwrap();
    assert_eq!(worker.detail.server_duplicates.len(), 1, "{worker:#?}");
    assert!(worker.detail.warnings[0].contains("DUPLICATE ON THE SERVER"));
    let others = rows
        .iter()
        .filter(|r| !r.detail.server_duplicates.is_empty())
        .count();
    assert_eq!(others, 1, "only the twin is reported");
}

#[test]
fn a_record_the_server_always_fails_is_a_server_error_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let mut records = batch(20, 1);
    records[7] = candidate(7, "Poisoned");
    let mut fake = Fake::new().poison("Poisoned");
    let out = block_on(import(&fake, &journal, &records, &request(dir.path()))).unwrap();
    assert_eq!(out.counts.get(Outcome::ServerError), 1, "{:?}", out.counts);
    assert_eq!(out.counts.get(Outcome::Blocked), 1, "{:?}", out.counts);
    assert_eq!(fake.snapshot().candidates, 19);
    assert_eq!(fake.snapshot().timesheets, 19);
    let rows = journal.records(&out.run_id).unwrap();
    let failed = rows
        .iter()
        .find(|r| r.state == RecordState::ServerError)
        .unwrap();
    assert_eq!(failed.natural_key, "AG0007");
    assert!(failed.message.as_deref().unwrap().contains("HTTP 500"));
    let blocked = rows
        .iter()
        .find(|r| r.state == RecordState::Blocked)
        .unwrap();
    let why = blocked.message.as_deref().unwrap();
    assert!(
        why.contains("AG0007") && why.contains("server failed"),
        "{why}"
    );
    // The run stays resumable, and the next import of the batch sends the record again.
    let run = journal.run(&out.run_id).unwrap();
    assert_eq!(run.status, crate::journal::RunStatus::Incomplete);
    fake.cure();
    let again = block_on(import(&fake, &journal, &records, &request(dir.path()))).unwrap();
    assert!(again.resumed);
    assert_eq!(again.run_id, out.run_id);
    assert_eq!(
        again.counts.get(Outcome::ServerError),
        0,
        "{:?}",
        again.counts
    );
    assert_eq!(again.counts.get(Outcome::Blocked), 0, "{:?}", again.counts);
    let snap = fake.snapshot();
    assert_eq!((snap.candidates, snap.timesheets), (20, 20));
    assert_eq!(
        (snap.duplicate_candidates, snap.duplicate_timesheets),
        (0, 0)
    );
    let run = journal.run(&out.run_id).unwrap();
    assert_eq!(run.status, crate::journal::RunStatus::Finished);
}

#[test]
fn a_server_that_fails_every_write_stops_the_run_after_a_few_records() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let records = batch(40, 1);
    let fake = Fake::new().poison("*");
    let mut req = request(dir.path());
    req.submit.concurrency = 2;
    let err = block_on(import(&fake, &journal, &records, &req)).unwrap_err();
    let ImportError::Aborted { message, run } = err else {
        panic!("expected an abort, got {err:?}");
    };
    assert!(message.contains("in a row"), "{message}");
    let rows = journal.records(&run).unwrap();
    let failed = rows
        .iter()
        .filter(|r| r.state == RecordState::ServerError)
        .count();
    assert!(
        (5..=7).contains(&failed),
        "{failed} records failed before the stop"
    );
    assert_eq!(fake.snapshot().candidates, 0);
}
