use super::*;
use serde_json::json;

fn sample(seq: u32) -> NewRecord {
    NewRecord {
        seq,
        entity: "candidates".into(),
        provenance: json!([{"file": "a.csv", "sheet": null, "row": seq + 2}]),
        natural_key: format!("AR{seq}"),
        payload_hash: format!("h{seq}"),
        detail: json!({"name": "Ann"}),
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
    journal
        .set_action("r1", 0, "create", &serde_json::Value::Null)
        .unwrap();
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
    assert_eq!(rows[0].action.as_deref(), Some("create"));
    assert_eq!(rows[0].detail["name"], "Ann");
    assert_eq!(rows[1].state, RecordState::Failed);
    assert_eq!(rows[1].message.as_deref(), Some("bad"));
    // The lean reads used on big runs agree with the full rows.
    assert_eq!(
        journal.landed("r1", "candidates").unwrap(),
        vec![(0, "SR-1".to_string())]
    );
    assert!(journal.landed("r1", "timesheets").unwrap().is_empty());
    journal.set_detail("r1", 1, &json!({"name": "Bo"})).unwrap();
    assert_eq!(journal.detail("r1", 1).unwrap()["name"], "Bo");
    assert_eq!(journal.detail("r1", 0).unwrap()["name"], "Ann");
    assert_eq!(journal.detail("r1", 9).unwrap(), serde_json::Value::Null);
    journal
        .set_run_status("r1", RunStatus::Finished, Some(1))
        .unwrap();
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
