//! Safe monthly runs, end to end: identity, bank and pay changes held until accepted (by class
//! or row by row through the report's Changes sheet), timesheets matched by worker, period and
//! dates, dry runs that never pretend, and files the user wrote never overwritten.
//!
//! "The server is unchanged" is proven with the tool itself: a dry run of the earlier batch
//! (`--allow-duplicate-batch`) finds every record unchanged.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};
use serde_json::Value;

use super::import::{Env, Files, Run, count, records, write_files as write};

/// A held record's outcome in JSON reports, and as workbooks show it.
const HELD: &str = "held";
const HELD_LABEL: &str = "held (needs approval)";

/// One worker row: Agency Ref, surname, account number, city.
type Worker<'a> = (&'a str, &'a str, &'a str, &'a str);

fn candidates_csv(workers: &[Worker<'_>]) -> String {
    let mut c = String::from(
        "Agency Ref,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,\
         Pay Frequency,Payment Model,Account Number,Sort Code\n",
    );
    for (i, (agency, surname, account, city)) in workers.iter().enumerate() {
        c += &format!(
            "{agency},Sam,{surname},1990-05-15,AB{i:06}C,1 High St,{city},SW1A 1AA,\
             w{i}@example.com,WEEKLY,PAYEE,{account},60-16-13\n"
        );
    }
    c
}

/// Dry-run `files` again on the same server: every record unchanged means the server holds
/// exactly what they say.
async fn assert_server_holds(env: &Env, files: &Files) {
    let check = env
        .import(files, &["--dry-run", "--allow-duplicate-batch"])
        .await;
    assert_eq!(check.code, 0, "{}", check.stderr);
    let s = check.json();
    assert_eq!(
        (
            s["created"].as_u64(),
            s["updated"].as_u64(),
            s["held"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "the server no longer holds these files exactly: {s}"
    );
}

fn outcome_of<'a>(report: &'a Value, key: &str) -> &'a str {
    records(report)
        .iter()
        .find(|r| r["key"] == key)
        .and_then(|r| r["outcome"].as_str())
        .unwrap_or_else(|| panic!("no record {key}"))
}

fn run_id(run: &Run) -> String {
    run.json()["run_id"].as_str().expect("run id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reused_agency_refs_are_held_and_the_server_is_unchanged() {
    let env = Env::fast().await;
    for (seed, dir) in [("7", "a"), ("11", "b")] {
        let generated = env
            .run(&[
                "gen-batch",
                "--workers",
                "12",
                "--pay-codes",
                "3",
                "--timesheet-lines",
                "40",
                "--seed",
                seed,
                "-o",
                dir,
            ])
            .await;
        assert_eq!(generated.code, 0, "{}", generated.stderr);
    }
    let batch = |dir: &str| {
        Files(
            ["candidates.csv", "payment-rates.csv", "timesheets.csv"]
                .iter()
                .map(|f| env.path(dir).join(f))
                .collect(),
        )
    };
    let first = env.import(&batch("a"), &["--rate", "500"]).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    let after_first = env.stats();

    // The same Agency Refs, other people: nothing about them may go through unasked.
    let second = env
        .import(&batch("b"), &["--rate", "500", "--report", "b.xlsx"])
        .await;
    assert_eq!(second.code, 1, "{}", second.stderr);
    let summary = second.json();
    assert_eq!(summary["fraud_patterns"], 12, "{summary}");
    let report = env.report(&run_id(&second)).await;
    for r in records(&report)
        .iter()
        .filter(|r| r["entity"] == "candidates")
    {
        assert_eq!(r["outcome"], HELD, "{r}");
        assert!(r["message"].as_str().unwrap().contains("--accept"), "{r}");
    }
    // Their timesheets wait for them instead of paying the person the server holds.
    for r in records(&report)
        .iter()
        .filter(|r| r["entity"] == "timesheets")
    {
        assert!(
            ["blocked", HELD, "unchanged"].contains(&r["outcome"].as_str().unwrap()),
            "{r}"
        );
    }
    let changes = report["changes"].as_array().expect("changes");
    for class in ["identity", "bank"] {
        assert!(
            changes.iter().any(|c| c["class"] == class),
            "no {class} change"
        );
    }
    assert!(
        changes
            .iter()
            .all(|c| c["outcome"] == HELD || c["class"] == "other" || c["class"] == "pay")
    );
    let stats = env.stats();
    assert_eq!(
        (stats.candidates, stats.timesheets),
        (after_first.candidates, after_first.timesheets)
    );
    assert_server_holds(&env, &batch("a")).await;

    // The Changes sheet of the workbook lists them.
    let mut book = open_workbook_auto(env.path("b.xlsx")).expect("report opens");
    let sheet = book.worksheet_range("Changes").expect("Changes sheet");
    let held_rows = sheet
        .rows()
        .filter(|r| r.get(7) == Some(&Data::String(HELD_LABEL.into())))
        .count();
    assert!(held_rows >= 12 * 3, "{held_rows} held change rows");

    // The same batch again, nothing accepted: refused, saying how to go on.
    let again = env.import(&batch("b"), &["--rate", "500"]).await;
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        again.stderr.contains("held for approval") && again.stderr.contains("--approvals"),
        "{}",
        again.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_classes_and_approved_rows_go_nothing_else() {
    let env = Env::fast().await;
    let before: Vec<Worker<'_>> = vec![
        ("W0", "Smith", "31926810", "London"),
        ("W1", "Smith", "31926811", "London"),
        ("W2", "Smith", "31926812", "London"),
        ("W3", "Smith", "31926813", "London"),
        ("W4", "Smith", "31926814", "London"),
        ("W5", "Smith", "31926815", "London"),
    ];
    let first = write(
        env.dir.path(),
        &[("candidates.csv", candidates_csv(&before))],
    );
    assert_eq!(env.import(&first, &["--rate", "500"]).await.code, 0);

    let after: Vec<Worker<'_>> = vec![
        ("W0", "Jones", "31926810", "London"), // identity
        ("W1", "Brown", "31926811", "London"), // identity
        ("W2", "Smith", "55555552", "London"), // bank
        ("W3", "Smith", "55555553", "London"), // bank
        ("W4", "Evans", "55555554", "London"), // identity and bank: the fraud pattern
        ("W5", "Smith", "31926815", "York"),   // other: goes through
    ];
    std::fs::create_dir(env.path("b")).unwrap();
    let second = write(
        &env.path("b"),
        &[("candidates.csv", candidates_csv(&after))],
    );
    let held = env
        .import(&second, &["--rate", "500", "--report", "held.xlsx"])
        .await;
    assert_eq!(held.code, 1, "{}", held.stderr);
    let s = held.json();
    assert_eq!(
        (s["held"].as_u64(), s["updated"].as_u64()),
        (Some(5), Some(1)),
        "{s}"
    );

    // --accept bank: the records whose guarded changes are all bank go; W4's identity change
    // keeps the whole record held (a part of an update is never sent).
    let bank = env
        .import(
            &second,
            &["--rate", "500", "--accept", "bank", "--report", "bank.xlsx"],
        )
        .await;
    assert_eq!(bank.code, 1, "{}", bank.stderr);
    let report = env.report(&run_id(&bank)).await;
    for (key, outcome) in [
        ("W0", HELD),
        ("W1", HELD),
        ("W2", "updated"),
        ("W3", "updated"),
        ("W4", HELD),
        ("W5", "unchanged"),
    ] {
        assert_eq!(outcome_of(&report, key), outcome, "{key}");
    }
    let w2 = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "W2")
        .expect("W2's change listed");
    assert_eq!(w2["accepted"], "--accept bank");
    assert_eq!(w2["class"], "bank");
    let w4_flagged = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["key"] == "W4")
        .all(|c| c["fraud_pattern"] == true);
    assert!(w4_flagged);

    // An approval file: the Changes sheet with "yes" on W0's and W4's rows only.
    let approvals = env.path("approvals.xlsx");
    approve_rows(&env.path("bank.xlsx"), &approvals, &["W0", "W4"]);
    let approved = env
        .import(
            &second,
            &["--rate", "500", "--approvals", approvals.to_str().unwrap()],
        )
        .await;
    assert_eq!(approved.code, 1, "W1 is still held: {}", approved.stderr);
    let report = env.report(&run_id(&approved)).await;
    for (key, outcome) in [("W0", "updated"), ("W1", HELD), ("W4", "updated")] {
        assert_eq!(outcome_of(&report, key), outcome, "{key}");
    }
    let w4 = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "W4" && c["class"] == "bank")
        .expect("W4's bank change listed");
    assert!(
        w4["accepted"]
            .as_str()
            .unwrap()
            .starts_with("approvals.xlsx row "),
        "{w4}"
    );
    // Flagged even though approved.
    assert_eq!(w4["fraud_pattern"], true);
    assert_eq!(approved.json()["fraud_patterns"], 1);

    // Everything but W1's surname is now on the server.
    let mut expected = after.clone();
    expected[1].1 = "Smith";
    std::fs::create_dir(env.path("c")).unwrap();
    let now = write(
        &env.path("c"),
        &[("candidates.csv", candidates_csv(&expected))],
    );
    assert_server_holds(&env, &now).await;
}

/// Copy the Changes sheet of `report` to a new workbook `out`, with "yes" in the Approve
/// column of the rows whose Key is one of `keys` — what a person does in Excel.
fn approve_rows(report: &Path, out: &Path, keys: &[&str]) {
    let mut book = open_workbook_auto(report).expect("report opens");
    let sheet = book.worksheet_range("Changes").expect("Changes sheet");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let copy = workbook.add_worksheet();
    copy.set_name("Changes").unwrap();
    for (r, row) in sheet.rows().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            copy.write_string(r as u32, c as u16, cell.to_string())
                .unwrap();
        }
        let key = row.get(1).map(|k| k.to_string()).unwrap_or_default();
        if r > 0 && keys.contains(&key.as_str()) {
            copy.write_string(r as u32, 11, "yes").unwrap();
        }
    }
    workbook.save(out).expect("approvals written");
}

const RATES: &str = "Code,Description,Type,Units,Default VAT Code\n\
                     PR200,Standard hourly,RATE,HOURLY,S\n";

fn timesheet(start: &str, end: &str, rate: &str, units: &str) -> String {
    format!(
        "Agency Ref,Tax Year,Tax Period,Start Date,End Date,Pay Code,Rate,Units,VAT Code\n\
         AG-000001,2025,1,{start},{end},PR200,{rate},{units},S\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_timesheet_of_the_period_is_created_beside_the_first_never_over_it() {
    let env = Env::fast().await;
    let worker = [("AG-000001", "Smith", "31926819", "London")];
    let batch = |dir: &str, sheet: String| {
        std::fs::create_dir_all(env.path(dir)).unwrap();
        write(
            &env.path(dir),
            &[
                ("candidates.csv", candidates_csv(&worker)),
                ("payment-rates.csv", RATES.to_string()),
                ("timesheets.csv", sheet),
            ],
        )
    };
    // Batch A: 6–8 April, 24 h at £20. Batch B: 9–12 April, 16 h at £25.
    let a = batch("a", timesheet("2025-04-06", "2025-04-08", "20", "24"));
    assert_eq!(env.import(&a, &["--rate", "500"]).await.code, 0);
    let b = batch("b", timesheet("2025-04-09", "2025-04-12", "25", "16"));
    let run = env.import(&b, &["--rate", "500"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["created"], 1, "B is a new timesheet");
    let report = env.report(&run_id(&run)).await;
    let ts = records(&report)
        .iter()
        .find(|r| r["entity"] == "timesheets")
        .unwrap();
    let message = ts["message"].as_str().unwrap();
    assert!(
        message.contains("another timesheet exists for this worker and period")
            && message.contains("2025-04-06 to 2025-04-08"),
        "{message}"
    );
    // A's £480 is still there, and B beside it.
    assert_server_holds(&env, &a).await;
    assert_server_holds(&env, &b).await;
    assert_eq!(env.stats().timesheets, 2);

    // C: A's dates, other lines — a pay change of A's timesheet: held.
    let c = batch("c", timesheet("2025-04-06", "2025-04-08", "20", "30"));
    let held = env.import(&c, &["--rate", "500"]).await;
    assert_eq!(held.code, 1, "{}", held.stderr);
    let report = env.report(&run_id(&held)).await;
    assert_eq!(count(&report, HELD), 1);
    let change = &report["changes"].as_array().unwrap()[0];
    assert_eq!(change["class"], "pay");
    assert_server_holds(&env, &a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_that_cannot_reach_nxsys_stops_unless_asked_to_plan_offline() {
    let env = Env::fast().await;
    let files = write(
        env.dir.path(),
        &[(
            "candidates.csv",
            candidates_csv(&[("W0", "Smith", "31926810", "London")]),
        )],
    );
    assert_eq!(env.import(&files, &["--rate", "500"]).await.code, 0);
    let signed_out = |extra: &[&str]| {
        let mut args = vec!["--json", "import", "--dry-run"];
        args.extend(extra);
        let mut cmd = env.command(&args);
        cmd.args(files.args())
            .env_remove("NXSYS_REFRESH_TOKEN")
            .env("NXSYS_TOKEN_STORE", env.path("no-tokens.json"));
        cmd
    };
    let out = signed_out(&[]).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("--offline"), "{stderr}");
    assert!(out.stdout.is_empty(), "no plan claimed");

    let out = signed_out(&["--offline", "--report", "plan.xlsx"])
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["offline"], true);
    assert_eq!(summary["created"], 0, "not claimed as new: {summary}");
    assert_eq!(summary["would_create_or_update"], 1);
    let mut book = open_workbook_auto(env.path("plan.xlsx")).unwrap();
    let facts = book.worksheet_range("Summary").unwrap();
    assert!(
        facts.rows().any(|r| r.iter().any(|c| c
            .to_string()
            .contains("offline — not checked against Nxsys"))),
        "the Summary sheet says the plan is offline"
    );
    // Text mode says it on the summary line.
    let mut cmd = env.command(&["import", "--dry-run", "--offline"]);
    cmd.args(files.args());
    let out = cmd.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("offline — not checked against Nxsys"),
        "{stdout}"
    );
    assert!(stdout.contains("would create or update"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_the_user_wrote_are_never_overwritten() {
    let env = Env::fast().await;
    let mine = env.path("candidates.xlsx");
    std::fs::write(&mine, b"my filled-in rows").unwrap();
    let refused = env.run(&["template", "candidates", "-o", "."]).await;
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("candidates.xlsx") && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read(&mine).unwrap(), b"my filled-in rows");
    let forced = env
        .run(&["template", "candidates", "-o", ".", "--force"])
        .await;
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_ne!(std::fs::read(&mine).unwrap(), b"my filled-in rows");

    // A report or fix file that is one of the inputs is refused outright, before any work.
    let files = write(
        env.dir.path(),
        &[(
            "timesheets.csv",
            timesheet("2025-04-06", "2025-04-08", "20", "24"),
        )],
    );
    let input = std::fs::read(&files.0[0]).unwrap();
    for flag in ["--report", "--fix-file"] {
        for command in ["import", "validate"] {
            let run = env
                .run(&[command, "timesheets.csv", flag, "./timesheets.csv"])
                .await;
            assert_eq!(run.code, 2, "{command} {flag}: {}", run.stderr);
            assert!(
                run.stderr.contains("one of the input files"),
                "{}",
                run.stderr
            );
            assert_eq!(std::fs::read(&files.0[0]).unwrap(), input);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_pay_code_row_does_not_block_the_timesheets_of_the_first() {
    let env = Env::fast().await;
    let files = write(
        env.dir.path(),
        &[
            (
                "candidates.csv",
                candidates_csv(&[("AG-000001", "Smith", "31926819", "London")]),
            ),
            (
                "payment-rates.csv",
                format!("{RATES}pr200,Same code again,RATE,HOURLY,S\n"),
            ),
            (
                "timesheets.csv",
                timesheet("2025-04-06", "2025-04-08", "20", "24"),
            ),
        ],
    );
    let run = env.import(&files, &["--rate", "500"]).await;
    assert_eq!(run.code, 1, "the duplicate row is an error: {}", run.stderr);
    let report = env.report(&run_id(&run)).await;
    let ts = records(&report)
        .iter()
        .find(|r| r["entity"] == "timesheets")
        .unwrap();
    assert_eq!(ts["outcome"], "created", "{ts}");
    let dup = records(&report)
        .iter()
        .find(|r| r["entity"] == "payment-rates" && r["outcome"] == "invalid")
        .expect("the duplicate row is reported");
    let message = dup["message"].as_str().unwrap();
    assert!(
        message.contains("row 2") && dup["source"].as_str().unwrap().contains("row 3"),
        "{dup}"
    );
    assert_eq!(env.stats().timesheets, 1);
}
