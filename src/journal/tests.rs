use super::*;
use crate::model::{Action, Change, Counts, Entity, Outcome, Provenance, RecordDetail, Totals};
use serde_json::json;

fn sample(seq: u32) -> NewRecord {
    NewRecord {
        seq,
        entity: Entity::Candidates,
        provenance: vec![Provenance {
            file: std::path::Path::new("a.csv").into(),
            sheet: None,
            row: seq + 2,
        }],
        natural_key: format!("AR{seq}"),
        payload_hash: format!("h{seq}"),
        detail: named("Ann"),
    }
}

fn named(name: &str) -> RecordDetail {
    RecordDetail {
        name: Some(name.into()),
        ..RecordDetail::default()
    }
}

#[test]
fn run_and_record_lifecycle_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let files = vec![PathBuf::from("a.csv")];
    let run = journal
        .insert_run(
            "r1",
            &files,
            "fp",
            "http://x",
            &json!({"rate": 5}),
            RunStatus::Running,
        )
        .unwrap();
    assert_eq!(run.status, RunStatus::Running);
    journal
        .insert_records("r1", &[sample(0), sample(1)])
        .unwrap();
    journal.set_action("r1", 0, Action::Create, &[]).unwrap();
    journal.mark_sent("r1", 0).unwrap();
    journal.mark_sent("r1", 0).unwrap();
    journal
        .set_state(
            "r1",
            0,
            RecordState::Done,
            &RecordUpdate {
                api_id: Some("SR-1".into()),
                http_status: Some(201),
                message: None,
            },
        )
        .unwrap();
    journal
        .set_state(
            "r1",
            1,
            RecordState::Failed,
            &RecordUpdate {
                api_id: None,
                http_status: Some(400),
                message: Some("bad".into()),
            },
        )
        .unwrap();
    let rows = journal.records("r1").unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].state, RecordState::Done);
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(rows[0].api_id.as_deref(), Some("SR-1"));
    assert_eq!(rows[0].action, Some(Action::Create));
    assert_eq!(rows[0].detail.name.as_deref(), Some("Ann"));
    assert_eq!(rows[1].state, RecordState::Failed);
    assert_eq!(rows[1].message.as_deref(), Some("bad"));
    // The lean reads used on big runs agree with the full rows.
    assert_eq!(
        journal.landed("r1", Entity::Candidates).unwrap(),
        vec![(0, "SR-1".to_string())]
    );
    assert!(journal.landed("r1", Entity::Timesheets).unwrap().is_empty());
    journal.set_detail("r1", 1, &named("Bo")).unwrap();
    assert_eq!(journal.detail("r1", 1).unwrap().name.as_deref(), Some("Bo"));
    assert_eq!(
        journal.detail("r1", 0).unwrap().name.as_deref(),
        Some("Ann")
    );
    assert!(matches!(
        journal.detail("r1", 9),
        Err(JournalError::UnknownRecord { seq: 9, .. })
    ));
    journal.set_run_status("r1", RunStatus::Finished).unwrap();
    journal.set_exit_code("r1", 1).unwrap();
    let again = journal.run("r1").unwrap();
    assert_eq!(again.status, RunStatus::Finished);
    assert_eq!(again.exit_code, Some(1));
    assert!(again.finished.is_some());
    assert_eq!(again.files, files);
}

#[test]
fn reopening_keeps_data_and_fingerprint_lookup_ignores_dry_runs() {
    let dir = tempfile::tempdir().unwrap();
    {
        let journal = Journal::open(dir.path()).unwrap();
        journal
            .insert_run("a", &[], "fp", "http://x", &json!({}), RunStatus::DryRun)
            .unwrap();
        journal
            .insert_run("b", &[], "fp", "http://x", &json!({}), RunStatus::Running)
            .unwrap();
        journal
            .insert_run(
                "c",
                &[],
                "fp",
                "http://other",
                &json!({}),
                RunStatus::Running,
            )
            .unwrap();
    }
    let journal = Journal::open(dir.path()).unwrap();
    let found = journal.runs_with_fingerprint("fp", "http://x").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "b");
    assert_eq!(journal.runs().unwrap().len(), 3);
    assert!(matches!(
        journal.run("nope"),
        Err(JournalError::UnknownRun(_))
    ));
}

#[cfg(unix)]
#[test]
fn journal_file_is_private_and_versioned() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let journal = Journal::open(&state).unwrap();
    let mode = std::fs::metadata(journal.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let conn = rusqlite::Connection::open(journal.path()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::VERSION);
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    drop(journal);
    assert!(matches!(
        Journal::open(&state),
        Err(JournalError::TooNew { found: 99, .. })
    ));
}

#[test]
fn run_ids_sort_by_time_and_look_right() {
    let id = runs::new_run_id();
    let re = regex::Regex::new(r"^\d{8}-\d{6}-[0-9a-f]{4}$").unwrap();
    assert!(re.is_match(&id), "{id}");
}

/// A journal with run `r1` and the records `sample(0)`, `sample(1)`.
fn journal_with_records(dir: &Path) -> Journal {
    let journal = Journal::open(dir).unwrap();
    journal
        .insert_run("r1", &[], "fp", "http://x", &json!({}), RunStatus::Running)
        .unwrap();
    journal
        .insert_records("r1", &[sample(0), sample(1)])
        .unwrap();
    journal
}

#[test]
fn typed_rows_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with_records(dir.path());
    let new = NewRecord {
        seq: 2,
        entity: Entity::Timesheets,
        provenance: vec![
            Provenance {
                file: std::path::Path::new("book.xlsx").into(),
                sheet: Some("Timesheets".into()),
                row: 3,
            },
            Provenance {
                file: std::path::Path::new("book.xlsx").into(),
                sheet: Some("Timesheets".into()),
                row: 4,
            },
        ],
        natural_key: "AR1|2025|3".into(),
        payload_hash: "h2".into(),
        detail: RecordDetail {
            worker: Some("AR1".into()),
            tax_year: Some(2025),
            tax_period: Some(3),
            input: Some(Totals::new(
                2,
                "9".parse().unwrap(),
                "200.50".parse().unwrap(),
            )),
            ..RecordDetail::default()
        },
    };
    journal
        .insert_records("r1", std::slice::from_ref(&new))
        .unwrap();
    let changes = vec![Change::new("rates", json!("PR-1 8 × 12.5"), json!(null))];
    journal
        .set_action("r1", 2, Action::Update, &changes)
        .unwrap();
    let mut detail = new.detail.clone();
    detail.read_back = detail.input;
    journal.set_detail("r1", 2, &detail).unwrap();

    let row = journal.records("r1").unwrap().remove(2);
    assert_eq!(row.entity, Entity::Timesheets);
    assert_eq!(row.provenance, new.provenance);
    assert_eq!(row.action, Some(Action::Update));
    assert_eq!(row.changed, changes);
    assert_eq!(row.detail, detail);
    assert!(journal.records("r1").unwrap()[0].changed.is_empty());

    // What is stored is what earlier versions wrote: journals written before still read.
    let conn = rusqlite::Connection::open(journal.path()).unwrap();
    let (provenance, action, detail_text): (String, String, String) = conn
        .query_row(
            "SELECT provenance, action, detail FROM records WHERE run = 'r1' AND seq = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        provenance,
        r#"[{"file":"book.xlsx","sheet":"Timesheets","row":3},{"file":"book.xlsx","sheet":"Timesheets","row":4}]"#
    );
    assert_eq!(action, "update");
    assert_eq!(
        detail_text,
        r#"{"invalid":false,"worker":"AR1","tax_year":2025,"tax_period":3,"input":{"lines":2,"units":"9","net":"200.5"},"read_back":{"lines":2,"units":"9","net":"200.5"}}"#
    );
}

#[test]
fn outcome_counts_follow_state_action_and_validity() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with_records(dir.path());
    let mut invalid = sample(2);
    invalid.detail.invalid = true;
    journal.insert_records("r1", &[invalid, sample(3)]).unwrap();
    journal.set_action("r1", 0, Action::Update, &[]).unwrap();
    journal
        .set_state("r1", 0, RecordState::Done, &RecordUpdate::default())
        .unwrap();
    for seq in [2, 3] {
        journal.set_action("r1", seq, Action::Blocked, &[]).unwrap();
        journal
            .set_state("r1", seq, RecordState::Blocked, &RecordUpdate::default())
            .unwrap();
    }
    let counts = journal.outcome_counts("r1").unwrap();
    assert_eq!(counts.get(Outcome::Updated), 1);
    assert_eq!(counts.get(Outcome::Pending), 1, "record 1 is still planned");
    assert_eq!(counts.get(Outcome::Invalid), 1);
    assert_eq!(counts.get(Outcome::Blocked), 1);
    assert_eq!(journal.record_count("r1").unwrap(), 4);
}

#[test]
fn a_damaged_record_is_an_error_naming_its_run_and_record() {
    let damages = [
        ("state = 'lost'", "unknown state 'lost'"),
        ("action = 'send'", "unknown action 'send'"),
        ("entity = 'workers'", "unknown entity 'workers'"),
        ("detail = '{\"name\": 7}'", "detail"),
        ("detail = 'null'", "detail"),
        ("detail = NULL", "no detail"),
        ("provenance = 'a.csv row 3'", "provenance"),
        ("changed = '[1]'", "changed"),
    ];
    for (damage, what) in damages {
        let dir = tempfile::tempdir().unwrap();
        let journal = journal_with_records(dir.path());
        rusqlite::Connection::open(journal.path())
            .unwrap()
            .execute(
                &format!("UPDATE records SET {damage} WHERE run = 'r1' AND seq = 1"),
                [],
            )
            .unwrap();
        let err = journal.records("r1").unwrap_err();
        let JournalError::CorruptRecord { run, seq, .. } = &err else {
            panic!("{damage}: {err:?}")
        };
        assert_eq!((run.as_str(), *seq), ("r1", 1), "{damage}");
        let message = err.to_string();
        assert!(
            message.contains("run r1, record 1") && message.contains(what),
            "{damage}: {message}"
        );
        // Counting reads only what decides an outcome (state, action, the invalid flag).
        if damage.starts_with("state") || damage.starts_with("action") {
            let err = journal.outcome_counts("r1").unwrap_err();
            assert!(
                err.to_string().contains("run r1, record 1"),
                "{damage}: {err}"
            );
        }
        if damage.starts_with("detail") {
            assert!(
                matches!(
                    journal.detail("r1", 1),
                    Err(JournalError::CorruptRecord { seq: 1, .. })
                ),
                "{damage}"
            );
        }
    }
}

#[test]
fn a_damaged_run_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with_records(dir.path());
    let conn = rusqlite::Connection::open(journal.path()).unwrap();
    conn.execute("UPDATE runs SET status = 'paused' WHERE id = 'r1'", [])
        .unwrap();
    let err = journal.run("r1").unwrap_err();
    assert!(matches!(&err, JournalError::Corrupt { run, .. } if run == "r1"));
    assert!(err.to_string().contains("unknown status 'paused'"), "{err}");
    assert!(journal.runs().is_err());
}

#[test]
fn processes_opening_a_fresh_state_dir_at_once_all_get_the_journal() {
    // Several openers (as several processes would) race to create the same fresh journal:
    // each must find the schema made, never fail with "table runs already exists".
    const OPENERS: usize = 8;
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let start = std::sync::Barrier::new(OPENERS);
        let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..OPENERS)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        Journal::open(&state)
                            .and_then(|j| j.runs().map(drop))
                            .map_err(|e| e.to_string())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for result in results {
            result.expect("every opener gets the journal");
        }
    }
}

#[test]
fn reading_opens_nothing_new_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    assert!(Journal::open_read_only(&state).unwrap().is_none());
    assert!(!state.exists(), "reading created the state directory");

    let journal = Journal::open(&state).unwrap();
    journal
        .insert_run("r1", &[], "fp", "http://x", &json!({}), RunStatus::Running)
        .unwrap();
    drop(journal);
    let reader = Journal::open_read_only(&state).unwrap().expect("a journal");
    assert_eq!(reader.runs().unwrap().len(), 1);
    let write = reader.insert_run("r2", &[], "fp", "http://x", &json!({}), RunStatus::Running);
    assert!(write.is_err(), "the read-only journal accepted a write");
}

#[test]
fn a_read_only_state_dir_is_said_as_such() {
    let path = Path::new("/srv/state/journal.sqlite");
    let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
    let text = file_error(path, denied).to_string();
    assert!(
        text.contains("the state directory /srv/state is read-only")
            && text.contains("chmod u+w /srv/state")
            && text.contains("--state-dir")
            && !text.contains("cannot create the state directory"),
        "{text}"
    );
    let other = std::io::Error::from(std::io::ErrorKind::IsADirectory);
    let text = file_error(path, other).to_string();
    assert!(
        text.starts_with("cannot create the journal /srv/state/journal.sqlite"),
        "{text}"
    );
}

#[test]
fn what_was_learnt_of_a_server_is_kept_per_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let none: Option<serde_json::Value> = journal.learnt("https://a").unwrap();
    assert!(none.is_none());
    journal
        .set_learnt("https://a", &serde_json::json!({"filters": "ignored"}))
        .unwrap();
    journal
        .set_learnt("https://a", &serde_json::json!({"filters": "rejected"}))
        .unwrap();
    let got: serde_json::Value = journal.learnt("https://a").unwrap().unwrap();
    assert_eq!(got["filters"], "rejected");
    let other: Option<serde_json::Value> = journal.learnt("https://b").unwrap();
    assert!(other.is_none());
}

#[test]
fn outcomes_are_counted_by_sqlite_as_each_row_says() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    journal
        .insert_run("r", &[], "fp", "https://x", &json!({}), RunStatus::Running)
        .unwrap();
    let record = |seq: u32, invalid: bool| NewRecord {
        seq,
        entity: Entity::Candidates,
        provenance: vec![],
        natural_key: format!("K{seq}"),
        payload_hash: "h".into(),
        detail: RecordDetail {
            invalid,
            ..RecordDetail::default()
        },
    };
    journal
        .insert_records("r", (0..6).map(|i| record(i, i == 5)))
        .unwrap();
    let done = RecordUpdate::default();
    for (seq, action, state) in [
        (0, Action::Create, RecordState::Done),
        (1, Action::Create, RecordState::Done),
        (2, Action::Update, RecordState::Done),
        (3, Action::Create, RecordState::ServerError),
        (5, Action::Blocked, RecordState::Blocked),
    ] {
        journal.set_action("r", seq, action, &[]).unwrap();
        journal.set_state("r", seq, state, &done).unwrap();
    }
    let mut dup = journal.detail("r", 1).unwrap();
    dup.server_duplicates = vec!["SR-9".into()];
    journal.set_detail("r", 1, &dup).unwrap();
    let counts = journal.outcome_counts("r").unwrap();
    assert_eq!(counts.get(Outcome::Created), 2);
    assert_eq!(counts.get(Outcome::Updated), 1);
    assert_eq!(counts.get(Outcome::ServerError), 1);
    assert_eq!(counts.get(Outcome::Invalid), 1);
    assert_eq!(counts.get(Outcome::Pending), 1);
    // The same as reading every row.
    let by_rows: Counts = journal
        .records("r")
        .unwrap()
        .iter()
        .map(|r| r.outcome(false))
        .collect();
    assert_eq!(counts, by_rows);
    assert_eq!(journal.server_duplicate_count("r").unwrap(), 1);
}
