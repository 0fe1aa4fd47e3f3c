//! What the journal keeps of people (issue #18), end to end with the real binary: bank details
//! never in clear, and `runs prune` (or a profile's `retention_days`) leaves none of a batch's
//! NI numbers, account numbers or surnames in the journal's bytes — its WAL included — while a
//! report re-issued from it still shows the run's outcomes and balancing control totals.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use nxsys_sandbox::SandboxConfig;
use serde_json::Value;

use super::import::{Env, Files, records, write_files};

/// One worker: Agency Ref, surname, NI number, account number, sort code.
struct Worker {
    agency: String,
    surname: &'static str,
    ni: String,
    account: String,
    sort_code: &'static str,
}

const SURNAMES: [&str; 6] = [
    "Gorringe",
    "Pemberton",
    "Quixley",
    "Wolstenholme",
    "Ffoulkes",
    "Trevelyan",
];

fn workers(account_base: u32, sort_code: &'static str, surnames: &[&'static str]) -> Vec<Worker> {
    surnames
        .iter()
        .enumerate()
        .map(|(i, surname)| Worker {
            agency: format!("PV{i:04}"),
            surname,
            ni: format!("JH{:06}B", 314_150 + i),
            account: format!("{:08}", account_base as usize + i * 1_011),
            sort_code,
        })
        .collect()
}

/// Candidates, one pay code and one timesheet (two lines) per worker.
fn batch(dir: &Path, workers: &[Worker]) -> Files {
    let mut c = String::from(
        "Agency Ref,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,\
         Pay Frequency,Payment Model,Account Number,Sort Code\n",
    );
    let mut t = String::from(
        "Agency Ref,Tax Year,Tax Period,Start Date,End Date,Pay Code,Rate,Units,VAT Code\n",
    );
    for (i, w) in workers.iter().enumerate() {
        c += &format!(
            "{},Sam,{},1988-02-{:02},{},{} Mill Lane,Leeds,LS1 4AP,p{i}@example.com,WEEKLY,\
             PAYEE,{},{}\n",
            w.agency,
            w.surname,
            i + 1,
            w.ni,
            i + 3,
            w.account,
            w.sort_code
        );
        for units in ["37.5", "4"] {
            t += &format!(
                "{},2025,1,2025-04-06,2025-04-12,PR300,12.50,{units},S\n",
                w.agency
            );
        }
    }
    let p = "Code,Description,Type,Units,Default VAT Code\nPR300,Standard hourly,RATE,HOURLY,S\n";
    write_files(
        dir,
        &[
            ("candidates.csv", c),
            ("payment-rates.csv", p.to_string()),
            ("timesheets.csv", t),
        ],
    )
}

/// The journal's bytes: the file and its write-ahead log.
fn journal_bytes(state: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["journal.sqlite", "journal.sqlite-wal"] {
        if let Ok(bytes) = std::fs::read(state.join(name)) {
            all.extend(bytes);
        }
    }
    all
}

/// Which of `values` occur in `bytes`.
fn found<'a>(bytes: &[u8], values: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    values
        .into_iter()
        .filter(|v| bytes.windows(v.len()).any(|w| w == v.as_bytes()))
        .collect()
}

/// Every bank value of `workers` as it could be written: account numbers, sort codes with and
/// without dashes.
fn bank_values(workers: &[Worker]) -> Vec<String> {
    let mut values = Vec::new();
    for w in workers {
        values.push(w.account.clone());
        values.push(w.sort_code.to_string());
        values.push(w.sort_code.replace('-', ""));
    }
    values
}

fn run_id(run: &super::import::Run) -> String {
    run.json()["run_id"].as_str().expect("run id").to_string()
}

/// Outcome per key, and the control totals, of a report.
fn outcomes_and_totals(report: &Value) -> (Vec<(String, String)>, Value) {
    let outcomes = records(report)
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (outcomes, report["control_totals"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pruned_run_leaves_no_personal_value_in_the_journal_and_its_report_still_balances() {
    let env = Env::fast().await;
    let people = workers(40_112_233, "40-11-22", &SURNAMES);
    let files = batch(env.dir.path(), &people);
    let run = env.import(&files, &["--rate", "500"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run_id(&run);
    let state = env.path("state");

    // Within retention the report's personal columns are there; bank details never are.
    let bytes = journal_bytes(&state);
    let bank = bank_values(&people);
    assert!(
        found(&bytes, bank.iter().map(String::as_str)).is_empty(),
        "bank details in clear in the journal"
    );
    assert!(
        !found(&bytes, SURNAMES).is_empty(),
        "names kept for reports"
    );
    let before = env.report(&id).await;
    let shown = env.run(&["runs", "show", &id]).await;
    assert!(
        shown
            .stdout
            .contains("personal data: names of 6 and NI/PPS numbers of 6 worker(s)"),
        "{}",
        shown.stdout
    );

    let pruned = env
        .run(&["--json", "runs", "prune", "--older-than", "0d"])
        .await;
    assert_eq!(pruned.code, 0, "{}", pruned.stderr);
    let said = pruned.json();
    assert_eq!(said["runs"], serde_json::json!([id]), "{said}");
    assert_eq!(said["records"], 13, "{said}");
    assert!(said["not_reclaimed"].is_null(), "{said}");
    let (size_before, size_after) = (
        said["bytes_before"].as_u64().unwrap(),
        said["bytes_after"].as_u64().unwrap(),
    );
    eprintln!("journal: {size_before} bytes before the prune, {size_after} after");

    let bytes = journal_bytes(&state);
    let mut personal: Vec<&str> = SURNAMES.to_vec();
    personal.extend(people.iter().map(|w| w.ni.as_str()));
    personal.extend(bank.iter().map(String::as_str));
    assert_eq!(
        found(&bytes, personal),
        Vec::<&str>::new(),
        "still in the journal"
    );

    // The re-issued report: same outcomes and control totals, balanced; personal columns
    // say "pruned".
    let after = env.report(&id).await;
    assert_eq!(outcomes_and_totals(&after), outcomes_and_totals(&before));
    let control = after["control_totals"].as_array().unwrap();
    assert_eq!(control.len(), 6);
    assert!(control.iter().all(|c| c["balanced"] == true), "{control:?}");
    // 37.5 × 12.50 + 4 × 12.50 = 518.75 per timesheet.
    assert_eq!(control[0]["input"]["net"], "518.75");
    for r in records(&after)
        .iter()
        .filter(|r| r["entity"] == "candidates")
    {
        assert_eq!(
            (&r["name"], &r["identifier"]),
            (&"pruned".into(), &"pruned".into())
        );
        assert!(r["api_id"].as_str().unwrap().starts_with("SR-"), "{r}");
    }
    let xlsx = env.path("pruned.xlsx");
    let rewritten = env
        .run(&["runs", "show", &id, "--report", xlsx.to_str().unwrap()])
        .await;
    assert_eq!(rewritten.code, 0, "{}", rewritten.stderr);
    assert!(
        rewritten.stdout.contains("personal data: pruned on"),
        "{}",
        rewritten.stdout
    );

    // Pruning again finds nothing; --all removes the run itself.
    let again = env.run(&["runs", "prune", "--older-than", "0d"]).await;
    assert!(
        again.stdout.contains("Nothing to prune"),
        "{}",
        again.stdout
    );
    let all = env.run(&["runs", "prune", "--all"]).await;
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(all.stdout.contains("Removed 1 run(s)"), "{}", all.stdout);
    let list = env.run(&["--json", "runs", "list"]).await;
    assert_eq!(list.json(), serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_bank_detail_is_in_the_journal_in_clear_at_any_time_during_a_run_with_bank_changes() {
    // Slow answers, so the journal is read many times while the run writes it.
    let env = Env::start(SandboxConfig {
        latency_ms: Some((30, 60)),
        ..SandboxConfig::default()
    })
    .await;
    let first = workers(40_112_233, "40-11-22", &SURNAMES);
    let files = batch(env.dir.path(), &first);
    let run = env.import(&files, &["--rate", "500"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    // The same workers with new accounts and sort codes, one with a new surname as well.
    let mut surnames = SURNAMES;
    surnames[0] = "Abernethy";
    let second = workers(77_300_001, "20-45-77", &surnames);
    std::fs::create_dir(env.path("b")).unwrap();
    let changed = batch(&env.path("b"), &second);
    let mut clear = bank_values(&first);
    clear.extend(bank_values(&second));

    // Watch the journal's bytes for the whole run.
    let state = env.path("state");
    let stop = Arc::new(AtomicBool::new(false));
    let looks = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (stop, looks, state, clear) =
            (stop.clone(), looks.clone(), state.clone(), clear.clone());
        tokio::task::spawn_blocking(move || {
            let mut seen: Vec<String> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let bytes = journal_bytes(&state);
                for v in found(&bytes, clear.iter().map(String::as_str)) {
                    if !seen.iter().any(|s| s == v) {
                        seen.push(v.to_string());
                    }
                }
                looks.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
            seen
        })
    };
    let update = env
        .import(
            &changed,
            &[
                "--rate",
                "500",
                "--concurrency",
                "1",
                "--accept",
                "bank,identity",
                "--report",
                "b.xlsx",
            ],
        )
        .await;
    stop.store(true, Ordering::Relaxed);
    let seen = watcher.await.unwrap();
    assert_eq!(update.code, 0, "{}", update.stderr);
    assert_eq!(update.json()["updated"], 6, "{}", update.stdout);
    // At least one look while the run went on (a loaded machine may manage few).
    assert!(
        looks.load(Ordering::Relaxed) > 0,
        "the journal was not read during the run"
    );
    assert_eq!(
        seen,
        Vec::<String>::new(),
        "bank details in clear in the journal during the run"
    );
    let bytes = journal_bytes(&state);
    assert!(found(&bytes, clear.iter().map(String::as_str)).is_empty());

    // The report shows them masked, with the start of their keyed hash; the surname change
    // in clear (the run is within its retention).
    let report = env.report(&run_id(&update)).await;
    let changes = report["changes"].as_array().unwrap();
    let account = changes
        .iter()
        .find(|c| c["key"] == "PV0001" && c["field"] == "bankSetting.accountNumber")
        .expect("account change listed");
    let (old, new) = (
        account["old"].as_str().unwrap(),
        account["new"].as_str().unwrap(),
    );
    assert!(old.starts_with("******") && old.contains(" #"), "{old}");
    assert!(new.starts_with("******") && new.contains(" #"), "{new}");
    assert_ne!(old, new);
    assert!(!account["change_id"].as_str().unwrap().is_empty());
    let surname = changes
        .iter()
        .find(|c| c["key"] == "PV0000" && c["field"] == "generalSetting.surname")
        .expect("surname change listed");
    assert_eq!(surname["new"], "Abernethy");
    // The key that makes the hashes lives beside the token store, private.
    let key = env.path("journal.key");
    assert!(key.is_file(), "no key beside the token store");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profiles_retention_days_prunes_after_each_import() {
    let env = Env::fast().await;
    std::fs::write(
        env.path("config.toml"),
        "[profiles.short]\nretention_days = 0\n",
    )
    .unwrap();
    let people = workers(40_112_233, "40-11-22", &SURNAMES[..2]);
    let files = batch(env.dir.path(), &people);
    let run = env
        .import(&files, &["--rate", "500", "--profile", "short"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run_id(&run);
    let shown = env.run(&["runs", "show", &id]).await;
    assert!(
        shown.stdout.contains("personal data: pruned on"),
        "{}",
        shown.stdout
    );
    let bytes = journal_bytes(&env.path("state"));
    assert!(found(&bytes, SURNAMES[..2].iter().copied()).is_empty());

    // Neither --older-than nor --all: refused, saying what to give.
    let bare = env.run(&["runs", "prune"]).await;
    assert_eq!(bare.code, 2, "{}", bare.stderr);
    assert!(bare.stderr.contains("--older-than"), "{}", bare.stderr);
    let months = env.run(&["runs", "prune", "--older-than", "3m"]).await;
    assert_eq!(months.code, 2, "{}", months.stderr);
    assert!(months.stderr.contains("90d or 12w"), "{}", months.stderr);
}
