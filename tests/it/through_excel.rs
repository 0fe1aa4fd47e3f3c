//! A batch that went through a spreadsheet: CSV fixtures opened and saved by LibreOffice itself
//! (`soffice --headless --convert-to xlsx|ods|xls|csv`, at test time, with a UK locale as a UK
//! payroll clerk's Excel has), then validated and imported by the real binary. Identifiers that
//! lost their leading zeros are repaired with a warning naming the value read and the value
//! used, only where that is certain; the server must end with exactly the values of the CSV.
//!
//! Without LibreOffice the tests print a note and pass, except under `CI=true`, where they
//! fail: `.ci/run` installs it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use futures::TryStreamExt;
use nxsys_etl::api::{Candidate, CandidateFilter, Client, ClientConfig, PaymentRateFilter};
use nxsys_etl::auth::{self, Credentials};
use secrecy::SecretString;
use serde_json::Value;

use super::import::Run;

/// The UK workers: the sample workers with identifiers written the way Excel damages them
/// (mobiles as 11 bare digits, sort codes as 6 digits, some with leading zeros) and a GB IBAN on
/// some rows. Rows (sheet rows, header = 1) whose identifiers lose leading zeros in a workbook:
/// 4, 9, 14, 22 (sort code, IBAN given), 35 (sort code, no IBAN), 6 and 30 (account, no IBAN),
/// 9 and 18 (account, IBAN given).
fn fixture_candidates() -> PathBuf {
    manifest().join("tests/data/through-excel/candidates.csv")
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The clean batch: the fixture's UK workers and the samples' Irish workers, pay codes and
/// timesheets (60 workers, 240 timesheets).
fn clean_batch() -> Vec<PathBuf> {
    let samples = manifest().join("samples");
    vec![
        fixture_candidates(),
        samples.join("candidates-ie.csv"),
        samples.join("payment-rates.csv"),
        samples.join("timesheets.csv"),
    ]
}

/// Open `files` in LibreOffice and save them as `to` (`xlsx`, `ods`, `xls`, `csv`) into `out`,
/// reading CSV input as a UK user's spreadsheet does (UTF-8, comma, English (UK) dates and
/// numbers). Each call has its own LibreOffice profile, so tests may convert at once.
fn convert(soffice: &str, files: &[PathBuf], to: &str, out: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(out).expect("output folder");
    let filter = if to == "csv" {
        // CSV written as UTF-8 with commas and quotes, as a re-saved CSV file.
        "csv:Text - txt - csv (StarCalc):44,34,76"
    } else {
        to
    };
    crate::rendered::convert(soffice, files, filter, Some("CSV:44,34,76,1,,2057"), out);
    files
        .iter()
        .map(|f| {
            let stem = f.file_stem().expect("file name").to_string_lossy();
            let converted = out.join(format!("{stem}.{to}"));
            assert!(
                converted.is_file(),
                "LibreOffice wrote no {}",
                converted.display()
            );
            converted
        })
        .collect()
}

/// The import tests' sandbox, state directory and binary, with what these tests add.
struct Env(super::import::Env);

impl Env {
    async fn start() -> Env {
        Env(super::import::Env::fast().await)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path(name)
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.0.run(args).await
    }

    /// `--json import FILES --rate 500 --report REPORT`.
    async fn import(&self, files: &[PathBuf], report: &str) -> Run {
        let mut args = vec!["--json".to_string(), "import".to_string()];
        args.extend(files.iter().map(|f| f.display().to_string()));
        args.extend(["--rate", "500", "--report"].map(String::from));
        args.push(self.path(report).display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&args).await
    }

    async fn client(&self) -> Client {
        let mut config =
            ClientConfig::new(url::Url::parse(&self.0.sandbox.base_url).expect("sandbox URL"));
        config.rate = 500;
        let creds = Credentials {
            client_id: self.0.sandbox.client_id.clone(),
            client_secret: SecretString::from(self.0.sandbox.client_secret.clone()),
            // A token of its own: the binary rotated (and so spent) the one it was given.
            refresh_token: SecretString::from(self.0.sandbox.new_refresh_token()),
        };
        auth::connect(config, creds, None)
            .await
            .expect("client connects")
    }

    /// What the server holds, by natural key, without the ids it made up: every candidate (UK
    /// and Irish, as read back one by one), every pay code, and every timesheet keyed by its
    /// worker's Agency Ref and period.
    async fn server_state(&self) -> BTreeMap<String, Value> {
        let client = self.client().await;
        let mut state = BTreeMap::new();
        let mut agency_ref_of = BTreeMap::new();
        for ireland in [false, true] {
            let listed: Vec<Candidate> = if ireland {
                client.candidates_ie(CandidateFilter::default())
            } else {
                client.candidates(CandidateFilter::default())
            }
            .try_collect()
            .await
            .expect("candidate list");
            for listed in listed {
                let id = listed.id.clone().expect("candidate id");
                let full = if ireland {
                    client.get_candidate_ie(&id).await
                } else {
                    client.get_candidate(&id).await
                }
                .expect("candidate");
                let key = full.agency_ref().expect("agency ref").to_string();
                agency_ref_of.insert(id, key.clone());
                state.insert(format!("candidate {key}"), without_ids(&full));
            }
        }
        let rates: Vec<_> = client
            .payment_rates(PaymentRateFilter::default())
            .try_collect()
            .await
            .expect("pay codes");
        let mut code_of = BTreeMap::new();
        for rate in rates {
            let value = serde_json::to_value(&rate).expect("json");
            let code = value["code"].as_str().expect("code").to_string();
            if let Some(id) = value["id"].as_str() {
                code_of.insert(id.to_string(), code.clone());
            }
            state.insert(format!("pay code {code}"), without_ids(&rate));
        }
        let timesheets: Vec<_> = client
            .timesheets(Default::default())
            .try_collect()
            .await
            .expect("timesheets");
        for sheet in timesheets {
            let worker = sheet.subcontractor_ref.clone().unwrap_or_default();
            let worker = agency_ref_of.get(&worker).cloned().unwrap_or(worker);
            let mut value = without_ids(&sheet);
            // Ids the server made up, replaced by the keys they stand for.
            rename_ids(&mut value, &agency_ref_of, &code_of);
            state.insert(
                format!(
                    "timesheet {worker} {:?}/{:?}",
                    sheet.tax_year, sheet.tax_period
                ),
                value,
            );
        }
        state
    }
}

/// A record as JSON without the fields the server makes up (ids, timestamps).
fn without_ids(record: &impl serde::Serialize) -> Value {
    let mut value = serde_json::to_value(record).expect("json");
    strip(&mut value);
    value
}

fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| {
                let k = k.to_ascii_lowercase();
                !([
                    "id",
                    "incrementid",
                    "systemid",
                    "idno",
                    "employmentid",
                    "payslipid",
                ]
                .contains(&k.as_str())
                    || k.contains("created")
                    || k.contains("modified")
                    || k.contains("updated"))
            });
            // Amounts: a workbook's 15.5 and the CSV's 15.50 are the same rate.
            for key in ["rate", "units", "hoursPerUnit"] {
                if let Some(Value::String(amount)) = map.get_mut(key)
                    && let Ok(d) = amount.parse::<rust_decimal::Decimal>()
                {
                    *amount = d.normalize().to_string();
                }
            }
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

fn rename_ids(
    value: &mut Value,
    workers: &BTreeMap<String, String>,
    codes: &BTreeMap<String, String>,
) {
    match value {
        Value::String(s) => {
            if let Some(key) = workers.get(s.as_str()).or_else(|| codes.get(s.as_str())) {
                *s = key.clone();
            }
        }
        Value::Object(map) => map.values_mut().for_each(|v| rename_ids(v, workers, codes)),
        Value::Array(items) => items.iter_mut().for_each(|v| rename_ids(v, workers, codes)),
        _ => {}
    }
}

/// The paths where two JSON values differ, with both values.
fn differences(at: &str, want: &Value, got: &Value) -> Vec<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            let mut keys: Vec<&String> = w.keys().chain(g.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|k| {
                    let none = Value::Null;
                    differences(
                        &format!("{at}/{k}"),
                        w.get(k).unwrap_or(&none),
                        g.get(k).unwrap_or(&none),
                    )
                })
                .collect()
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => w
            .iter()
            .zip(g)
            .enumerate()
            .flat_map(|(i, (w, g))| differences(&format!("{at}/{i}"), w, g))
            .collect(),
        _ if want == got => Vec::new(),
        _ => vec![format!("{at}: CSV gave {want}, the workbook {got}")],
    }
}

/// `validate --json FILES EXTRA…` with the binary alone (no server).
fn validate(files: &[PathBuf], extra: &[&str]) -> (i32, Value) {
    let out = StdCommand::new(env!("CARGO_BIN_EXE_nxsys-etl"))
        .args(["--json", "--no-progress", "validate"])
        .args(files)
        .args(extra)
        .env_remove("RUST_LOG")
        .output()
        .expect("binary runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "validate printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// `(code, row, column)` of every finding of a `validate --json` summary, and the messages.
fn findings(summary: &Value) -> Vec<(String, u64, String, String)> {
    summary["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_string(),
                f["row"].as_u64().unwrap_or_default(),
                f["column"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn count(found: &[(String, u64, String, String)], code: &str) -> usize {
    found.iter().filter(|(c, ..)| c == code).count()
}

/// The CSV's cell in `column` of sheet row `row` (header = row 1).
fn csv_cell(file: &Path, row: usize, column: &str) -> String {
    let mut reader = csv::Reader::from_path(file).expect("csv");
    let header = reader.headers().expect("header").clone();
    let at = header.iter().position(|h| h == column).expect("column");
    let record = reader.records().nth(row - 2).expect("row").expect("record");
    record.get(at).unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clean_batch_saved_by_libreoffice_imports_exactly_the_csv_values() {
    let Some(soffice) = crate::rendered::renderer() else {
        return;
    };
    let original = Env::start().await;
    let run = original.import(&clean_batch(), "csv.json").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = original.server_state().await;
    // 60 workers and 240 timesheets (and the pay codes, with those the sandbox starts with).
    let kinds = |state: &BTreeMap<String, Value>, kind: &str| {
        state.keys().filter(|k| k.starts_with(kind)).count()
    };
    assert_eq!(kinds(&expected, "candidate "), 60);
    assert_eq!(kinds(&expected, "timesheet "), 240);
    assert!(kinds(&expected, "pay code ") >= 10);

    for format in ["xlsx", "ods", "xls"] {
        let env = Env::start().await;
        let books = convert(soffice, &clean_batch(), format, &env.path("books"));

        // Validates with no error, and only repair warnings: 50 mobiles, 5 sort codes and 4
        // account numbers, each naming the value read and the value used.
        let (code, summary) = validate(&books, &[]);
        let found = findings(&summary);
        assert_eq!(code, 0, "{format}: {found:#?}");
        assert_eq!(summary["errors"], 0, "{format}");
        assert!(
            found.iter().all(|(code, ..)| code.ends_with(".repaired")),
            "{format}: {found:#?}"
        );
        assert_eq!(count(&found, "phone.repaired"), 50, "{format}");
        assert_eq!(count(&found, "sort_code.repaired"), 5, "{format}");
        assert_eq!(count(&found, "account_number.repaired"), 4, "{format}");
        let sort_794 = found
            .iter()
            .find(|(code, row, ..)| code == "sort_code.repaired" && *row == 4)
            .expect("row 4's sort code repaired");
        assert!(
            sort_794.3.contains("'794'") && sort_794.3.contains("000794"),
            "{format}: {}",
            sort_794.3
        );
        assert_eq!(sort_794.2, "S", "{format}");

        // Imports, and the server holds exactly what importing the CSV files gave it.
        let run = env.import(&books, "run.json").await;
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert_eq!(run.json()["rejected"], 0, "{format}");
        let got = env.server_state().await;
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{format}"
        );
        for (key, want) in &expected {
            let differs = differences("", want, &got[key]);
            assert!(differs.is_empty(), "{format}: {key}: {differs:#?}");
        }
        // And those are the CSV's own values (not only equal to each other).
        let csv = fixture_candidates();
        for (row, agency_ref) in [(4, "AG-1003"), (9, "AG-1008"), (35, "AG-1034")] {
            let bank = &got[&format!("candidate {agency_ref}")];
            let text = bank.to_string();
            for column in ["Sort Code", "Account Number", "Mobile"] {
                let want = csv_cell(&csv, row, column);
                assert!(
                    text.contains(&format!("\"{want}\"")),
                    "{format}: {agency_ref} {column} {want} not on the server: {text}"
                );
            }
        }

        // The reconciliation report shows each repair: value read, value sent, and the rule —
        // masked, as the journal it is written from keeps bank details (issue #18).
        let report: Value =
            serde_json::from_slice(&std::fs::read(env.path("run.json")).expect("report"))
                .expect("json");
        let records = report["records"].as_array().expect("records");
        let row4 = records
            .iter()
            .find(|r| r["key"] == "AG-1003")
            .expect("AG-1003 in the report");
        let message = row4["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("'*94'")
                && message.contains("****94")
                && !message.contains("000794")
                && message.contains("[sort_code.repaired]"),
            "{format}: {row4}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_gives_the_errors_of_before() {
    let Some(soffice) = crate::rendered::renderer() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let books = convert(soffice, &[fixture_candidates()], "xlsx", dir.path());
    let (code, summary) = validate(&books, &["--strict"]);
    let found = findings(&summary);
    assert_eq!(code, 1, "{found:#?}");
    assert!(
        !found.iter().any(|(code, ..)| code.ends_with(".repaired")),
        "{found:#?}"
    );
    assert_eq!(count(&found, "phone.lost_zero"), 50);
    assert_eq!(count(&found, "sort_code.lost_zero"), 5);
    // Account numbers: 6–7 digits padded with a warning, as before; 4321 an error.
    assert_eq!(count(&found, "account_number.padded"), 3);
    let short: Vec<_> = found
        .iter()
        .filter(|(code, ..)| code == "account_number.length")
        .map(|(_, row, column, _)| (*row, column.as_str()))
        .collect();
    assert_eq!(short, [(18, "R")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_saved_again_is_repaired_only_where_the_iban_confirms_a_bank_detail() {
    let Some(soffice) = crate::rendered::renderer() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let books = convert(
        soffice,
        &[fixture_candidates()],
        "xlsx",
        &dir.path().join("book"),
    );
    let resaved = convert(soffice, &books, "csv", &dir.path().join("csv"));
    // The CSV now holds the damage as text: 794 for 000794, 7700900100 for 07700900100.
    assert_eq!(csv_cell(&resaved[0], 4, "Sort Code"), "794");
    assert_eq!(csv_cell(&resaved[0], 2, "Mobile"), "7700900100");

    let (code, summary) = validate(&resaved, &[]);
    // LibreOffice writes dates as shown, with two-digit years: that damage is reported, not
    // repaired, and is not this test's subject.
    let found: Vec<_> = findings(&summary)
        .into_iter()
        .filter(|(code, ..)| !code.starts_with("date."))
        .collect();
    assert_eq!(code, 1, "{found:#?}");
    // Mobiles: bare digits are what Excel leaves, and 07 + 9 digits is the only reading.
    assert_eq!(count(&found, "phone.repaired"), 50);
    // Sort codes: repaired where the IBAN confirms; row 35 has no IBAN, so no proof.
    let sort: Vec<_> = found
        .iter()
        .filter(|(code, ..)| code.starts_with("sort_code"))
        .map(|(code, row, ..)| (code.as_str(), *row))
        .collect();
    assert_eq!(
        sort,
        [
            ("sort_code.repaired", 4),
            ("sort_code.repaired", 9),
            ("sort_code.repaired", 14),
            ("sort_code.repaired", 22),
            ("sort_code.length", 35),
        ]
    );
    // Account numbers: 4321 only with the IBAN's proof; 6–7 digits padded as before.
    let account: Vec<_> = found
        .iter()
        .filter(|(code, ..)| code.starts_with("account_number"))
        .map(|(code, row, ..)| (code.as_str(), *row))
        .collect();
    assert_eq!(
        account,
        [
            ("account_number.padded", 6),
            ("account_number.repaired", 9),
            ("account_number.repaired", 18),
            ("account_number.padded", 30),
        ]
    );
    let errors: Vec<_> = found
        .iter()
        .filter(|(code, ..)| !code.ends_with(".repaired") && !code.ends_with(".padded"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

/// Two workers whose spreadsheet lost more than zeros: a sort code the IBAN contradicts, and an
/// account number too long for a spreadsheet number.
const DAMAGED: &str = "\
Agency Ref,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,Pay Frequency,Payment Model,Mobile,Sort Code,Account Number,IBAN
AG-1,Ann,Lee,1990-05-15,AB123456C,1 High Street,London,SW1A 1AA,ann@example.com,Weekly,PAYE,07700900100,000794,86496244,GB21NWBK60079486496244
AG-2,Bob,Lee,1990-05-15,AB123457C,1 High Street,London,SW1A 1AA,bob@example.com,Weekly,PAYE,07700900101,560888,1234567890123456,
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_digits_and_a_contradicting_iban_stay_errors() {
    let Some(soffice) = crate::rendered::renderer() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let csv = dir.path().join("damaged.csv");
    std::fs::write(&csv, DAMAGED).expect("fixture");
    // The IBAN's check digits are right: only its sort code (600794) disagrees.
    let (_, clean) = validate(std::slice::from_ref(&csv), &[]);
    let iban_codes: Vec<_> = findings(&clean)
        .into_iter()
        .filter(|(code, ..)| code.starts_with("iban."))
        .collect();
    assert_eq!(iban_codes.len(), 1, "{iban_codes:?}");
    assert_eq!(iban_codes[0].0, "iban.mismatch");

    let books = convert(soffice, &[csv], "xlsx", &dir.path().join("book"));
    let resaved = convert(soffice, &books, "csv", &dir.path().join("csv"));
    // Excel's CSV shows a 16-digit number in scientific notation; LibreOffice writes what the
    // cell shows, which a real Excel file may hold as 1.23457E+15.
    let scientific = dir.path().join("scientific.csv");
    std::fs::write(
        &scientific,
        DAMAGED.replace("1234567890123456", "1.23457E+15"),
    )
    .expect("fixture");

    let fix = dir.path().join("fix.xlsx");
    let (code, summary) = validate(&books, &["--fix-file", fix.to_str().expect("path")]);
    let found = findings(&summary);
    assert_eq!(code, 1, "{found:#?}");
    let on = |found: &[(String, u64, String, String)], row: u64| -> Vec<String> {
        found
            .iter()
            .filter(|(code, r, ..)| *r == row && !code.starts_with("phone"))
            .map(|(code, ..)| code.clone())
            .collect()
    };
    // The IBAN carries 600794: the repair is refused, and the message says why.
    assert_eq!(on(&found, 2), ["sort_code.lost_zero"]);
    let message = &found
        .iter()
        .find(|(code, ..)| code == "sort_code.lost_zero")
        .expect("lost zero")
        .3;
    assert!(message.contains("600794"), "{message}");
    // 16 digits do not fit a spreadsheet number: never repaired.
    assert_eq!(on(&found, 3), ["account_number.length"]);
    // The fix file keeps the repairs of the failing rows beside their errors: the cell holds
    // the value sent, as text, and the error column names the value read.
    assert!(fix.is_file());
    let rows = fix_file_rows(&fix);
    let header = &rows[0];
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let ann = rows
        .iter()
        .find(|r| r[0] == "AG-1")
        .expect("AG-1 in the fix file");
    assert_eq!(ann[column("Mobile")], "07700900100");
    assert_eq!(ann[column("Sort Code")], "794");
    let errors = ann.last().expect("error column");
    assert!(
        errors.contains("'7700900100'") && errors.contains("600794"),
        "{errors}"
    );

    // Saved again as CSV: text proves nothing, and the IBAN contradicts the sort code.
    let (code, summary) = validate(&resaved, &[]);
    let found: Vec<_> = findings(&summary)
        .into_iter()
        .filter(|(code, ..)| !code.starts_with("date."))
        .collect();
    assert_eq!(code, 1, "{found:#?}");
    assert_eq!(on(&found, 2), ["sort_code.length"]);
    let account = on(&found, 3);
    assert!(
        account == ["identifier.scientific"] || account == ["account_number.length"],
        "{account:?}"
    );
    // Excel's own CSV: the account number in scientific notation has lost its digits.
    let (code, summary) = validate(std::slice::from_ref(&scientific), &[]);
    let found = findings(&summary);
    assert_eq!(code, 1, "{found:#?}");
    assert_eq!(on(&found, 3), ["identifier.scientific"]);
}

/// The fix file's one sheet, as text.
fn fix_file_rows(path: &Path) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, open_workbook_auto};
    let mut book = open_workbook_auto(path).expect("fix file opens");
    let name = book.sheet_names().first().cloned().expect("a sheet");
    let range = book.worksheet_range(&name).expect("sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => panic!("the fix file holds a non-text cell: {other:?}"),
                })
                .collect()
        })
        .collect()
}
