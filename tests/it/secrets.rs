//! Secrets and privacy, end to end with the real binary against an in-process sandbox: the whole
//! flow at `-vv` leaks neither the client secret nor any token into stdout, stderr, reports,
//! fix files or the journal; the token store is 0600; base URLs other than https or loopback
//! are refused; and text that a spreadsheet would run as a formula comes out as text.

use crate::run;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use calamine::{Data, Reader};
use nxsys_sandbox::{SandboxConfig, SandboxHandle};

const LIMIT: Duration = Duration::from_secs(60);

/// A sandbox on loopback, served by its own runtime while the test thread runs the binary.
struct World {
    rt: tokio::runtime::Runtime,
    sb: SandboxHandle,
    dir: tempfile::TempDir,
}

impl World {
    fn start() -> World {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sb = rt
            .block_on(nxsys_sandbox::start(SandboxConfig::default()))
            .expect("sandbox starts");
        let dir = tempfile::tempdir().expect("temp dir");
        World { rt, sb, dir }
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("config/tokens.json")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The environment every run gets: everything the tool writes stays in the temp dir.
    fn env(&self) -> Vec<(String, String)> {
        let home = self.dir.path().join("home");
        vec![
            ("HOME".into(), home.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                home.join(".config").display().to_string(),
            ),
            (
                "XDG_DATA_HOME".into(),
                home.join(".local/share").display().to_string(),
            ),
            (
                "NXSYS_TOKEN_STORE".into(),
                self.store().display().to_string(),
            ),
            ("NXSYS_STATE_DIR".into(), self.state().display().to_string()),
            ("NXSYS_BASE_URL".into(), self.sb.base_url.clone()),
        ]
    }

    /// The environment of an unattended run: credentials from `NXSYS_*` variables.
    fn unattended_env(&self) -> Vec<(String, String)> {
        let mut env = self.env();
        env.push(("NXSYS_CLIENT_ID".into(), self.sb.client_id.clone()));
        env.push(("NXSYS_CLIENT_SECRET".into(), self.sb.client_secret.clone()));
        env.push(("NXSYS_REFRESH_TOKEN".into(), self.sb.refresh_token.clone()));
        env
    }

    fn run(&self, args: &[&str], env: &[(String, String)]) -> run::Outcome {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run::run(self.dir.path(), args, &env, LIMIT, None)
    }

    /// `auth login --no-browser -vv`, approved the way a person would: open the printed
    /// address, press Approve, follow the redirect back to the tool.
    fn login(&self) -> run::Outcome {
        let mut child = Command::new(run::bin())
            .args(["-vv", "auth", "login", "--no-browser", "--port"])
            .arg(crate::auth::free_port().to_string())
            .envs(
                self.unattended_env()
                    .into_iter()
                    .filter(|(k, _)| k != "NXSYS_REFRESH_TOKEN"),
            )
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start auth login");
        let stderr = child.stderr.take().expect("stderr");
        let (found, url) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut seen = String::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("http")
                    && line.contains("authorize")
                {
                    let _ = found.send(line[at..].trim().to_string());
                }
                seen.push_str(&line);
                seen.push('\n');
            }
            seen
        });
        let url = url
            .recv_timeout(LIMIT)
            .expect("auth login printed the address to open");
        self.rt.block_on(approve(&url));
        let output = child.wait_with_output().expect("auth login ends");
        run::Outcome {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: reader.join().expect("stderr reader"),
        }
    }
}

/// Press Approve on the sandbox's authorize page and follow the redirect to the tool.
async fn approve(authorize_url: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = url::Url::parse(authorize_url).expect("authorize URL");
    let page = http.get(url.clone()).send().await.expect("authorize page");
    assert!(
        page.status().is_success(),
        "authorize page: {}",
        page.status()
    );
    let mut approve = url.clone();
    approve.set_path("/oauth/authorize/approve");
    approve.set_query(None);
    let answer = http
        .post(approve)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(url.query().unwrap_or_default().to_string())
        .send()
        .await
        .expect("approve");
    let back = answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("approve redirects back to the tool")
        .to_string();
    let done = http.get(back).send().await.expect("redirect to the tool");
    assert!(done.status().is_success(), "callback: {}", done.status());
}

/// Every file under `dir` except the token store (whose job is to hold the tokens), as text.
fn written_files(dir: &Path, store: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if path != store {
                out.push((path.clone(), readable_text(&path)));
            }
        }
    }
    out
}

/// A file's text; for zipped workbooks, the text of every part; for the SQLite journal, every
/// value of every table, one per line.
fn readable_text(path: &Path) -> String {
    if path.extension().is_some_and(|e| e == "sqlite") {
        return sqlite_text(path);
    }
    let bytes = std::fs::read(path).unwrap_or_default();
    if bytes.starts_with(b"PK")
        && let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(&bytes))
    {
        let mut text = String::new();
        for i in 0..zip.len() {
            if let Ok(mut part) = zip.by_index(i) {
                let mut buf = Vec::new();
                let _ = std::io::Read::read_to_end(&mut part, &mut buf);
                text.push_str(&String::from_utf8_lossy(&buf));
            }
        }
        return text;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn sqlite_text(path: &Path) -> String {
    let db = rusqlite::Connection::open(path).expect("journal opens");
    let mut tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .expect("tables");
    let names: Vec<String> = tables
        .query_map([], |r| r.get(0))
        .expect("tables")
        .flatten()
        .collect();
    let mut text = String::new();
    for name in names {
        let mut rows = db
            .prepare(&format!("SELECT * FROM \"{name}\""))
            .expect("select");
        let columns = rows.column_count();
        let mut cursor = rows.query([]).expect("rows");
        while let Ok(Some(row)) = cursor.next() {
            for i in 0..columns {
                if let Ok(value) = row.get_ref(i) {
                    match value {
                        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                            text.push_str(&String::from_utf8_lossy(t))
                        }
                        other => text.push_str(&format!("{other:?}")),
                    }
                    text.push('\n');
                }
            }
        }
    }
    text
}

/// Runs of 40 or more hex digits: the shape of the sandbox's access tokens (40), refresh tokens
/// (64) and client secret (48). Only a 64-digit run that is no known token is let through: the
/// journal's batch fingerprints are SHA-256.
fn hex_runs(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"[0-9a-fA-F]{40,}").expect("regex");
    re.find_iter(text).map(|m| m.as_str().to_string()).collect()
}

#[test]
fn the_whole_flow_at_vv_leaks_no_secret_and_keeps_the_store_private() {
    let world = World::start();
    let mut outputs: Vec<(String, String)> = Vec::new();

    let login = world.login();
    assert_eq!(login.code, Some(0), "auth login: {}", login.all());
    outputs.push(("auth login".into(), login.all()));

    let status = world.run(&["-vv", "auth", "status"], &world.env());
    assert_eq!(status.code, Some(0), "auth status: {}", status.all());
    assert!(
        status.stdout.contains(&world.sb.client_id),
        "{}",
        status.all()
    );
    outputs.push(("auth status".into(), status.all()));

    // The store holds the refresh token, privately.
    let store = world.store();
    let mode = std::fs::metadata(&store)
        .expect("token store")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "token store mode {mode:o}");
    let stored = std::fs::read_to_string(&store).expect("store");

    let input = world.dir.path().join("candidates.csv");
    std::fs::write(
        &input,
        "Agency Ref,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,Pay Frequency,Payment Model\n\
         AG-001,Ann,Smith,1990-05-15,JG103759A,1 High St,London,SW1A 1AA,a@example.com,Weekly,PAYE\n\
         AG-002,Bob,Jones,1990-05-15,XX,1 High St,London,SW1A 1AA,b@example.com,Weekly,PAYE\n",
    )
    .expect("input");
    std::fs::create_dir_all(world.dir.path().join("out")).expect("out dir");
    let env = world.unattended_env();
    let validate = world.run(
        &[
            "-vv",
            "validate",
            "candidates.csv",
            "--report",
            "out/findings.xlsx",
            "--fix-file",
            "out/fix.csv",
        ],
        &env,
    );
    assert_eq!(validate.code, Some(1), "validate: {}", validate.all());
    outputs.push(("validate".into(), validate.all()));

    // The commands that talk to the API, and the journal they leave.
    let steps: [(&[&str], &[i32]); 7] = [
        (
            &[
                "-vv",
                "import",
                "candidates.csv",
                "--dry-run",
                "--report",
                "out/plan.xlsx",
            ],
            &[1],
        ),
        (
            &[
                "-vv",
                "import",
                "candidates.csv",
                "--report",
                "out/run.xlsx",
                "--mask-pii",
                "--fix-file",
                "out/fix-import.xlsx",
            ],
            &[1],
        ),
        (
            &["-vv", "export", "payslips", "-o", "out/payslips.xlsx"],
            &[0, 1],
        ),
        (
            &["-vv", "export", "payslips", "-o", "out/payslips.csv"],
            &[0, 1],
        ),
        (&["-vv", "runs", "list"], &[0]),
        // The doctor sends the client secret to the grant-token-url helper; it never shows it.
        (&["-vv", "doctor"], &[0]),
        (&["-vv", "--json", "doctor", "--save"], &[0]),
    ];
    for (args, codes) in steps {
        let out = world.run(args, &env);
        assert!(
            out.code.is_some_and(|c| codes.contains(&c)),
            "{args:?} ended with {:?}: {}",
            out.code,
            out.all()
        );
        assert!(!out.all().contains("panicked"), "{args:?}: {}", out.all());
        if args.contains(&"--mask-pii") {
            assert!(
                !out.all().contains("JG103759A"),
                "--mask-pii output shows an NI number: {}",
                out.all()
            );
        }
        outputs.push((args.join(" "), out.all()));
    }
    let journal = world.state().join("journal.sqlite");
    let mode = std::fs::metadata(&journal)
        .expect("journal")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "journal mode {mode:o}");
    // --mask-pii: the NI number shown in the plain report is hidden in the masked one.
    let plain = readable_text(&world.dir.path().join("out/plan.xlsx"));
    assert!(
        plain.contains("JG103759A"),
        "the plain report shows the NI number"
    );
    let masked = readable_text(&world.dir.path().join("out/run.xlsx"));
    assert!(
        !masked.contains("JG103759A"),
        "the --mask-pii report shows an NI number"
    );

    let mut secrets = vec![
        ("client secret", world.sb.client_secret.clone()),
        (
            "refresh token from the environment",
            world.sb.refresh_token.clone(),
        ),
    ];
    let stored_json: serde_json::Value = serde_json::from_str(&stored).expect("store is JSON");
    for token in stored_json
        .to_string()
        .split('"')
        .filter(|s| s.len() >= 40 && s.chars().all(|c| c.is_ascii_hexdigit()))
    {
        secrets.push(("a token from the store", token.to_string()));
    }
    for (path, text) in written_files(world.dir.path(), &store) {
        outputs.push((path.display().to_string(), text));
    }
    for (what, text) in &outputs {
        for (kind, secret) in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{what} contains the {kind}"
            );
        }
        if what.ends_with("-wal") || what.ends_with("-shm") {
            continue;
        }
        for run in hex_runs(text) {
            // A SHA-256 batch fingerprint is fine; 40 hex digits is the shape of a token.
            assert!(
                run.len() == 64 && !secrets.iter().any(|(_, s)| *s == run),
                "{what} contains a token-like value {run}"
            );
        }
    }
    let rt = world.rt;
    rt.block_on(world.sb.shutdown());
}

#[test]
fn base_urls_other_than_https_or_loopback_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("tokens.json");
    let store = store.display().to_string();
    for (url, refused) in [
        ("http://api.nxsys.tech", true),
        ("http://192.168.1.10:8787", true),
        ("ftp://api.nxsys.tech", true),
        ("file:///etc/passwd", true),
        ("not a url", true),
        ("https://api.nxsys.tech", false),
        ("http://127.0.0.1:9", false),
        ("http://localhost:9", false),
        ("http://[::1]:9", false),
    ] {
        let out = run::run(
            dir.path(),
            &["auth", "status", "--base-url", url],
            &[("NXSYS_TOKEN_STORE", &store)],
            LIMIT,
            None,
        );
        let all = out.all();
        if refused {
            assert_eq!(out.code, Some(2), "{url}: {all}");
            assert!(
                all.contains("https://"),
                "{url}: the refusal says what to use: {all}"
            );
        } else {
            // Accepted: not signed in (exit 3), but no complaint about the URL.
            assert_eq!(out.code, Some(3), "{url}: {all}");
            assert!(!all.contains("base URL"), "{url}: {all}");
        }
    }
}

/// Text cells that a spreadsheet would run as a formula.
const RISKY: [&str; 5] = [
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+SUM(1,2)",
    "-2+3",
    "@cmd",
    "=1+1",
];

#[test]
fn formula_like_text_comes_out_of_reports_and_fix_files_as_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut csv = String::from(
        "Agency Ref,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,Pay Frequency,Payment Model\n",
    );
    for (i, risky) in RISKY.iter().enumerate() {
        let quoted = format!("\"{}\"", risky.replace('"', "\"\""));
        // Each row is invalid (bad NI number) so it lands in the fix file with its risky text.
        csv.push_str(&format!(
            "AG-00{i},{quoted},{quoted},1990-05-15,{quoted},{quoted},London,SW1A 1AA,a@example.com,Weekly,PAYE\n"
        ));
    }
    std::fs::write(dir.path().join("candidates.csv"), csv).expect("input");
    for (report, fix) in [("findings.xlsx", "fix.xlsx"), ("findings.csv", "fix.csv")] {
        let out = run::run(
            dir.path(),
            &[
                "validate",
                "candidates.csv",
                "--report",
                report,
                "--fix-file",
                fix,
            ],
            &[],
            LIMIT,
            None,
        );
        assert_eq!(out.code, Some(1), "{}", out.all());
        for file in [report, fix] {
            let path = dir.path().join(file);
            if file.ends_with(".xlsx") {
                assert_xlsx_text_only(&path);
            } else {
                assert_csv_neutralised(&path);
            }
        }
    }
}

/// Every cell that holds risky text is a string cell, and no sheet holds a formula.
fn assert_xlsx_text_only(path: &Path) {
    let xml = readable_text(path);
    assert!(
        !xml.contains("<f>") && !xml.contains("<f "),
        "{} holds a formula",
        path.display()
    );
    let mut book = calamine::open_workbook_auto(path).expect("report opens");
    let mut found = 0;
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).expect("sheet");
        for cell in range.used_cells() {
            let text = cell.2.to_string();
            if RISKY.iter().any(|r| text.contains(r)) {
                assert!(
                    matches!(cell.2, Data::String(_)),
                    "{}: {:?} is not text",
                    path.display(),
                    cell.2
                );
                found += 1;
            }
        }
    }
    assert!(
        found > 0,
        "{} holds none of the risky values",
        path.display()
    );
}

/// No CSV field starts with `= + - @`, tab or CR unless it is a number.
fn assert_csv_neutralised(path: &Path) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .expect("csv");
    let mut found = 0;
    for record in reader.records() {
        let record = record.expect("record");
        for field in record.iter() {
            if RISKY.iter().any(|r| field.contains(r)) {
                found += 1;
            }
            let risky_start = matches!(
                field.chars().next(),
                Some('=' | '+' | '-' | '@' | '\t' | '\r')
            );
            assert!(
                !risky_start || field.parse::<f64>().is_ok(),
                "{}: field {field:?} would run as a formula",
                path.display()
            );
        }
    }
    assert!(
        found > 0,
        "{} holds none of the risky values",
        path.display()
    );
}

/// Issue 17, item 10: under `--mask-pii`, messages quoted NI and account numbers the mask's
/// patterns do not recognise (`AB1234567`, `1.23457E+07`) on stdout and in every report. They
/// are now masked by column, and appear in no output of `validate` or `import`.
#[test]
fn masked_runs_quote_no_malformed_identifier_anywhere() {
    let world = World::start();
    let input = world.dir.path().join("candidates.csv");
    std::fs::write(
        &input,
        "Agency Ref,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,Pay Frequency,Payment Model,Sort Code,Account Number\n\
         AG-001,Ann,Smith,1990-05-15,JG103759A,1 High St,London,SW1A 1AA,a@example.com,Weekly,PAYE,60-16-13,31926819\n\
         AG-002,Bob,Jones,1990-05-15,AB1234567,1 High St,London,SW1A 1AA,b@example.com,Weekly,PAYE,60-16-13,1.23457E+07\n\
         AG-003,Cat,Lee,1990-05-15,JG103759A,1 High St,London,SW1A 1AA,c@example.com,Weekly,PAYE,60-16-13,3192681\n",
    )
    .expect("input");
    std::fs::create_dir_all(world.dir.path().join("out")).expect("out dir");
    let env = world.unattended_env();
    let runs: [&[&str]; 6] = [
        &[
            "validate",
            "candidates.csv",
            "--mask-pii",
            "--report",
            "out/v.xlsx",
        ],
        &[
            "validate",
            "candidates.csv",
            "--mask-pii",
            "--report",
            "out/v.csv",
            "-v",
        ],
        &["--json", "validate", "candidates.csv", "--mask-pii"],
        &[
            "import",
            "candidates.csv",
            "--mask-pii",
            "--dry-run",
            "--offline",
            "--report",
            "out/p.csv",
        ],
        &[
            "import",
            "candidates.csv",
            "--mask-pii",
            "--dry-run",
            "--offline",
            "--report",
            "out/p.json",
        ],
        &[
            "import",
            "candidates.csv",
            "--mask-pii",
            "--report",
            "out/r.xlsx",
        ],
    ];
    // A malformed NI number, an account number in scientific notation, an NI number used twice
    // (a batch finding), and an account number padded to 8 digits (a repair, sent as 03192681).
    let shown = [
        "AB1234567",
        "1.23457E+07",
        "JG103759A",
        "31926819",
        "3192681",
    ];
    for args in runs {
        let out = world.run(args, &env);
        assert!(matches!(out.code, Some(1)), "{args:?}: {}", out.all());
        for value in shown {
            assert!(
                !out.all().contains(value),
                "{args:?} shows {value}: {}",
                out.all()
            );
        }
    }
    // The reports were written, and say what is wrong without the values.
    for report in ["v.xlsx", "v.csv", "p.csv", "p.json", "r.xlsx"] {
        let text = readable_text(&world.dir.path().join("out").join(report));
        assert!(text.contains("is not an NI number"), "{report}: {text}");
        for value in shown {
            assert!(!text.contains(value), "{report} shows {value}");
        }
    }
}
