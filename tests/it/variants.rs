//! The importer against every API variant the sandbox can imitate (`--quirks`): what the
//! published pages leave open or contradict. The same realistic month runs under each variant
//! alone and under three combinations — UK and Irish workers, pay codes (one of them a default
//! code the sheet wants changed), timesheets, then a second batch with changes — and must end
//! with the server holding exactly the input, nothing twice, every row's outcome right, and the
//! requests within a stated bound.
//!
//! The bound: reads ≤ ⌈server records ÷ 100⌉ × 3 + one full read per existing worker the
//! sheet names (the list shape lacks the fields compared) + 20. Every list is read at most
//! three times a run (before a stage, after it, and the read-back), whatever the server does
//! with filters.

use nxsys_sandbox::{Quirks, SandboxConfig, Stats};
use serde_json::Value;

use crate::import::{Env, Files, Run, write_files};

const UK: usize = 12;
const IE: usize = 4;
const PERIODS: u32 = 2;

/// The sample Irish workers (valid PPS numbers and IBANs).
fn irish_rows(n: usize) -> String {
    let text = include_str!("../../samples/candidates-ie.csv");
    text.lines().take(n + 1).collect::<Vec<_>>().join("\n") + "\n"
}

/// UK workers; with `mobile`, a Mobile column the second month's sheet leaves out.
fn uk_rows(n: usize, mobile: bool, email_of: impl Fn(usize) -> String) -> String {
    let mut c = String::from(
        "Agency Ref,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,\
         Email,Pay Frequency,Payment Model,Account Number,Sort Code",
    );
    c += if mobile { ",Mobile\n" } else { "\n" };
    for i in 0..n {
        c += &format!(
            "AG{i:05},Worker{i},Smith,1990-05-15,AB{i:06}C,{} High St,London,SW1A 1AA,\
             {},WEEKLY,PAYEE,31926819,60-16-13",
            i + 1,
            email_of(i)
        );
        c += &if mobile {
            format!(",07700 900{i:03}\n")
        } else {
            "\n".into()
        };
    }
    c
}

fn pay_codes(overtime: &str) -> String {
    // PR100 is a default code Nxsys seeds; the sheet's description differs from the seed's,
    // so an update is planned — which a server that locks default codes refuses.
    format!(
        "Code,Description,Type,Units,Default VAT Code\n\
         PR200,Standard hourly,RATE,HOURLY,S\n\
         PR201,{overtime},RATE,HOURLY,S\n\
         PR100,Basic hours,RATE,HOURLY,S\n"
    )
}

fn timesheets(workers: &[String], hours_of: impl Fn(&str, u32) -> &'static str) -> String {
    let mut t = String::from(
        "Agency Ref,Tax Year,Tax Period,Start Date,End Date,Pay Code,Rate,Units,VAT Code\n",
    );
    for worker in workers {
        for period in 1..=PERIODS {
            let start = chrono::NaiveDate::from_ymd_opt(2025, 4, 6).unwrap()
                + chrono::Duration::weeks(i64::from(period) - 1);
            let end = start + chrono::Duration::days(6);
            let hours = hours_of(worker, period);
            t += &format!("{worker},2025,{period},{start},{end},PR200,12.50,{hours},S\n");
            t += &format!("{worker},2025,{period},{start},{end},PR201,18.75,4,S\n");
        }
    }
    t
}

fn workers() -> Vec<String> {
    let mut w: Vec<String> = (0..UK).map(|i| format!("AG{i:05}")).collect();
    w.extend((1..=IE).map(|i| format!("IE-{:04}", 2000 + i)));
    w
}

fn first_batch(dir: &std::path::Path) -> Files {
    write_files(
        dir,
        &[
            (
                "candidates.csv",
                uk_rows(UK, true, |i| format!("w{i}@example.com")),
            ),
            ("candidates-ie.csv", irish_rows(IE)),
            ("payment-rates.csv", pay_codes("Overtime")),
            ("timesheets.csv", timesheets(&workers(), |_, _| "37.5")),
        ],
    )
}

/// The month again with changes: worker 3's email, the overtime code's description, more
/// hours on worker 5's second week, and a new UK worker with her timesheets.
fn second_batch(dir: &std::path::Path) -> Files {
    let mut all = workers();
    all.push(format!("AG{UK:05}"));
    write_files(
        dir,
        &[
            (
                "candidates.csv",
                uk_rows(UK + 1, false, |i| {
                    if i == 3 {
                        "moved@example.com".into()
                    } else {
                        format!("w{i}@example.com")
                    }
                }),
            ),
            ("candidates-ie.csv", irish_rows(IE)),
            ("payment-rates.csv", pay_codes("Overtime (time and a half)")),
            (
                "timesheets.csv",
                timesheets(&all, |w, p| {
                    if w == "AG00005" && p == 2 {
                        "40"
                    } else {
                        "37.5"
                    }
                }),
            ),
        ],
    )
}

/// Requests the sandbox saw between two readings, split into reads and writes.
fn spent(before: &Stats, after: &Stats) -> (u64, u64) {
    (after.reads - before.reads, after.writes - before.writes)
}

fn outcomes(run: &Run) -> Value {
    let json = run.json();
    serde_json::json!({
        "created": json["created"], "updated": json["updated"],
        "unchanged": json["unchanged"], "rejected": json["rejected"],
        "server_errors": json["server_errors"], "blocked": json["blocked"],
        "held": json["held"], "invalid": json["invalid"],
    })
}

/// A field anywhere in a JSON value (a flat or a nested answer).
fn find<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(o) => o
            .get(key)
            .or_else(|| o.values().find_map(|child| find(child, key))),
        Value::Array(a) => a.iter().find_map(|child| find(child, key)),
        _ => None,
    }
}

/// `GET` a path of the sandbox's API with a fresh token (outside the importer's counts only
/// in that the test reads stats before it).
async fn get(env: &Env, path: &str) -> Value {
    let url = format!("{}/nxsys/{path}", env.sandbox.base_url);
    let answer = reqwest::Client::new()
        .get(url)
        .header(
            "Authorization",
            format!("Nxsys-oauthtoken {}", env.sandbox.access_token()),
        )
        .send()
        .await
        .expect("sandbox answers");
    answer.json().await.expect("json")
}

/// Every item of a list (the tests read whole lists, which every variant serves).
async fn list(env: &Env, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let body = get(env, &format!("{path}?page={page}&size=100")).await;
        let items = body["data"]
            .as_array()
            .or_else(|| body["items"].as_array())
            .cloned()
            .unwrap_or_default();
        if items.is_empty() {
            break;
        }
        out.extend(items);
    }
    out
}

/// Bound on reads for a run against a server holding `held` records.
fn read_bound(held: u64, existing_workers: u64) -> u64 {
    held.div_ceil(100) * 3 + existing_workers + 20
}

async fn month(quirks: &str) {
    let quirks_parsed = Quirks::parse(quirks).expect("known quirks");
    let env = Env::start(SandboxConfig {
        quirks: quirks_parsed,
        ..SandboxConfig::default()
    })
    .await;
    let locked = quirks.contains("default-rates-locked");
    let seeded = env.stats();

    // First month: everything is new (PR100 is there already and changes).
    let first = first_batch(env.dir.path());
    let run = env.import(&first, &[]).await;
    assert_eq!(run.code, 0, "[{quirks}] first import:\n{}", run.stderr);
    check_report(&env, &run, quirks).await;
    let after_first = env.stats();
    let (reads, writes) = spent(&seeded, &after_first);
    let timesheets = (UK + IE) as u64 * u64::from(PERIODS);
    let expected_writes = (UK + IE) as u64 + 2 + u64::from(!locked) + timesheets;
    let summary = outcomes(&run);
    assert_eq!(
        summary,
        serde_json::json!({
            "created": UK + IE + 2 + timesheets as usize, "updated": usize::from(!locked),
            "unchanged": usize::from(locked), "rejected": 0, "server_errors": 0,
            "blocked": 0, "held": 0, "invalid": 0,
        }),
        "[{quirks}] first import:\n{}",
        run.stderr
    );
    eprintln!("[{quirks}] first month: {reads} reads, {writes} writes");
    let held = after_first.candidates
        + after_first.candidates_ie
        + after_first.payment_rates
        + after_first.timesheets;
    assert!(
        reads <= read_bound(held, 0),
        "[{quirks}] first import: {reads} reads for {writes} writes (bound {})",
        read_bound(held, 0)
    );
    // A write refused for its number style or a PPS field teaches the client, which sends it
    // again: at most the writes in flight when the first refusal came (8) are sent twice.
    assert!(
        writes <= expected_writes + 8,
        "[{quirks}] first import: {writes} writes, {expected_writes} records to write"
    );

    // Second month: the changes go, nothing else is touched.
    let second = second_batch(env.dir.path());
    let run = env.import(&second, &["--accept", "pay"]).await;
    assert_eq!(run.code, 0, "[{quirks}] second import:\n{}", run.stderr);
    let after_second = env.stats();
    let (reads, writes) = spent(&after_first, &after_second);
    eprintln!("[{quirks}] second month: {reads} reads, {writes} writes");
    let summary = outcomes(&run);
    let expected_updates = 3; // worker 3's email, PR201, worker 5's second week
    assert_eq!(
        summary,
        serde_json::json!({
            "created": 1 + PERIODS as usize, "updated": expected_updates,
            "unchanged": UK + IE - 1 + 1 + 1 + timesheets as usize - 1,
            "rejected": 0, "server_errors": 0, "blocked": 0, "held": 0, "invalid": 0,
        }),
        "[{quirks}] second import:\n{}",
        run.stderr
    );
    // What the first run learnt (number style, PPS field…) was kept: no write is refused now
    // but the default pay code's, which is asked again in case Nxsys allows it by now.
    assert_eq!(
        writes,
        1 + u64::from(PERIODS) + expected_updates as u64 + u64::from(locked),
        "[{quirks}] second import: {writes} writes"
    );
    check_report(&env, &run, quirks).await;
    let held = after_second.candidates
        + after_second.candidates_ie
        + after_second.payment_rates
        + after_second.timesheets;
    let bound = read_bound(held, (UK + IE) as u64);
    assert!(
        reads <= bound,
        "[{quirks}] second import: {reads} reads (bound {bound})"
    );

    // The server holds exactly the input, once.
    assert_eq!(after_second.candidates, UK as u64 + 1, "[{quirks}]");
    assert_eq!(after_second.candidates_ie, IE as u64, "[{quirks}]");
    assert_eq!(after_second.payment_rates, seeded.payment_rates + 2);
    assert_eq!(
        after_second.timesheets,
        timesheets + u64::from(PERIODS),
        "[{quirks}]"
    );
    assert_eq!(after_second.duplicate_candidates, 0, "[{quirks}]");
    assert_eq!(after_second.duplicate_timesheets, 0, "[{quirks}]");
    let uk = list(&env, "candidates").await;
    let moved = uk
        .iter()
        .find(|c| c["agencyRef"] == "AG00003")
        .expect("worker 3 listed");
    let id = moved["id"].as_str().unwrap();
    let full = get(&env, &format!("candidates/{id}")).await;
    assert_eq!(
        find(&full, "email"),
        Some(&Value::from("moved@example.com")),
        "[{quirks}] {full}"
    );
    // What the second sheet leaves out survives the update (a PUT that replaces the resource
    // would otherwise wipe it), and what it repeats stays as it was.
    if !quirks.contains("flat-get") {
        // A flat answer does not say which section a field the sheet lacks belongs in, so
        // only a nested one can carry it through a replacing PUT.
        let mobile = find(&full, "mobile").and_then(Value::as_str);
        assert_eq!(mobile, Some("07700900003"), "[{quirks}] {full}");
    }
    assert_eq!(
        find(&full, "DOB").and_then(Value::as_str).map(|d| &d[..10]),
        Some("1990-05-15"),
        "[{quirks}] {full}"
    );
    assert_eq!(
        find(&full, "sortCode")
            .and_then(Value::as_str)
            .map(|s| s.replace('-', "")),
        Some("601613".to_string()),
        "[{quirks}] {full}"
    );
    let rates = list(&env, "payment-rate").await;
    let overtime = rates.iter().find(|r| r["code"] == "PR201").unwrap();
    assert_eq!(overtime["description"], "Overtime (time and a half)");
    let default = rates.iter().find(|r| r["code"] == "PR100").unwrap();
    let expected = if locked { "Hourly" } else { "Basic hours" };
    assert_eq!(default["description"], expected, "[{quirks}]");
    let sheets = list(&env, "time-sheets").await;
    let net: rust_decimal::Decimal = sheets
        .iter()
        .map(|t| {
            find(t, "totalNet")
                .and_then(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .or_else(|| Some(v.to_string()))
                })
                .and_then(|s| s.parse::<rust_decimal::Decimal>().ok())
                .unwrap_or_default()
        })
        .sum();
    // 12.50 × 37.5 + 18.75 × 4 a week, for every worker-week; 2.5 more hours once.
    let week = rust_decimal::Decimal::new(54375, 2);
    let expected_net = week * rust_decimal::Decimal::from(timesheets + u64::from(PERIODS))
        + rust_decimal::Decimal::new(3125, 2);
    assert_eq!(net, expected_net, "[{quirks}]");
}

/// Every timesheet's control totals balance (by the net alone where lines are not echoed),
/// and the records say what the server did not take.
async fn check_report(env: &Env, run: &Run, quirks: &str) {
    let run_id = run.json()["run_id"].as_str().expect("run id").to_string();
    let report = env.report(&run_id).await;
    let control = report["control_totals"].as_array().expect("control totals");
    assert!(!control.is_empty());
    for c in control {
        assert_eq!(c["balanced"], true, "[{quirks}] {c}");
        if quirks.contains("no-line-echo") {
            assert!(
                c["read_back"].is_null() && !c["read_back_net"].is_null(),
                "{c}"
            );
        } else {
            assert!(!c["read_back"].is_null(), "[{quirks}] {c}");
        }
    }
    let rows = crate::import::records(&report);
    let message = |key: &str| {
        rows.iter()
            .find(|r| r["key"] == key)
            .and_then(|r| r["message"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    if quirks.contains("no-pps") {
        let said = message("IE-2001");
        assert!(
            said.contains("not sent: generalSetting.PPSNumber"),
            "{said:?} in {:?}",
            rows.iter().find(|r| r["key"] == "IE-2001")
        );
    }
    if quirks.contains("default-rates-locked") {
        let said = message("PR100");
        assert!(said.contains("default pay code"), "{said}");
    }
}

macro_rules! variants {
    ($($name:ident: $quirks:expr,)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            month($quirks).await;
        }
    )*};
}

variants! {
    the_default_sandbox: "",
    filters_ignored: "filters-ignored",
    filters_rejected: "filters-rejected",
    no_line_echo: "no-line-echo",
    numbers_only: "numbers-only",
    strings_only: "strings-only",
    validation_500: "validation-500",
    flat_get: "flat-get",
    put_replaces: "put-replaces",
    no_pps: "no-pps",
    payslip_no_worker_id: "payslip-no-worker-id",
    default_rates_locked: "default-rates-locked",
    exact_redirect: "exact-redirect",
    lists_unfiltered_lines_unechoed_and_flat: "filters-ignored,no-line-echo,flat-get",
    filters_refused_with_numbers_and_replacing_puts: "filters-rejected,numbers-only,put-replaces",
    errors_as_500_without_pps_and_locked_defaults: "validation-500,no-pps,default-rates-locked,strings-only",
}

/// A server that ignores filters and already holds 10,000 timesheets of other workers: 200
/// new ones cost their writes and a few whole reads of the list, not a read of it per record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_timesheets_beside_ten_thousand_others_when_filters_are_ignored() {
    let env = Env::start(SandboxConfig {
        quirks: Quirks::parse("filters-ignored").expect("quirk"),
        ..SandboxConfig::default()
    })
    .await;
    env.sandbox.seed_timesheets(10_000, 2025);
    let before = env.stats();
    let files = crate::import::Batch::new(100, 2).write(env.dir.path());
    let run = env
        .import(&files, &["--rate", "1000", "--concurrency", "8"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = env.stats();
    let (reads, writes) = spent(&before, &after);
    assert_eq!(writes, 100 + 2 + 200);
    assert_eq!(after.timesheets - before.timesheets, 200);
    assert_eq!(after.duplicate_timesheets, 0);
    let held = after.candidates + after.payment_rates + after.timesheets;
    let bound = read_bound(held, 0);
    eprintln!("10,000 unrelated timesheets: {reads} reads (bound {bound}), {writes} writes");
    assert!(
        reads <= bound,
        "{reads} reads (bound {bound}) for {writes} writes"
    );
}
