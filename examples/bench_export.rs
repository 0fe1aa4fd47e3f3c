//! Time and peak memory of a large payslip export, against a raw rust_xlsxwriter
//! constant-memory write of the same cells.
//!
//! ```text
//! cargo run --release --example bench_export -- [N]     # default N = 100000
//! # or, reusing the dev build's optimised dependencies:
//! CARGO_PROFILE_DEV_OPT_LEVEL=2 cargo run --example bench_export -- [N]
//! ```
//!
//! Each measurement runs in a child process of its own, so its peak RSS (`VmHWM` from
//! `/proc/self/status`) is its own. Phases:
//! - `raw`: the same cells written straight with rust_xlsxwriter in constant-memory mode;
//! - `writer`: the export's own path from payslip JSON objects (filter, spool, columns,
//!   summary, three sheets, atomic rename), with no network;
//! - `small`: `writer` with N/10 payslips, to show that memory does not grow with the count;
//! - `e2e`: the whole `export::export` through the real client from a sandbox *process*
//!   (`nxsys-etl sandbox --seed-payslips N`, so the sandbox's memory is not counted), pages
//!   fetched concurrently. Needs the binary built beside the example (`cargo build`).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::Utc;
use nxsys_etl::export::collect::Collector;
use nxsys_etl::export::destination::{Destination, write_outputs};
use nxsys_etl::export::filter::LocalFilter;
use nxsys_etl::export::xlsx::{About, DATE_FORMAT, DATETIME_FORMAT, MONEY_FORMAT};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Map, Value, json};

mod common;

const MONEY: [&str; 13] = [
    "timesheetValue",
    "margin",
    "employerNI",
    "employerPension",
    "apprenticeshipLevy",
    "gross",
    "taxableGross",
    "tax",
    "employeeNI",
    "employeePension",
    "studentLoan",
    "net",
    "materials",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--phase") => {
            let phase = args.get(1).map(String::as_str).unwrap_or("");
            let n = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100_000);
            let dir = tempfile::tempdir().expect("temp dir");
            let start = Instant::now();
            match phase {
                "raw" => raw(n, &dir.path().join("raw.xlsx")),
                "e2e" => end_to_end(&args[3..], &dir.path().join("e2e.xlsx")),
                _ => writer(n, &dir.path().join("export.xlsx")),
            }
            let seconds = start.elapsed().as_secs_f64();
            println!("{seconds:.3} {}", common::peak_rss_kib().unwrap_or(0));
        }
        _ => {
            let n: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(100_000);
            parent(n);
        }
    }
}

fn parent(n: usize) {
    let exe = std::env::current_exe().expect("own path");
    let run_with = |phase: &str, n: usize, extra: &[String]| -> (f64, u64) {
        let out = Command::new(&exe)
            .args(["--phase", phase, &n.to_string()])
            .args(extra)
            .output()
            .expect("child runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.split_whitespace();
        let seconds = parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::NAN);
        let rss = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        if !out.status.success() {
            eprintln!("{phase} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        (seconds, rss)
    };
    let run = |phase: &str, n: usize| -> (f64, u64) { run_with(phase, n, &[]) };
    println!("payslip export benchmark, {n} payslips, 25 columns");
    let (raw_s, raw_rss) = run("raw", n);
    println!(
        "raw rust_xlsxwriter (constant memory): {raw_s:>7.3} s  peak RSS {:>6} MiB",
        raw_rss / 1024
    );
    let (ours_s, ours_rss) = run("writer", n);
    println!(
        "nxsys-etl export writer:               {ours_s:>7.3} s  peak RSS {:>6} MiB  ({:.2}x raw time)",
        ours_rss / 1024,
        ours_s / raw_s
    );
    let (small_s, small_rss) = run("writer", n / 10);
    println!(
        "nxsys-etl export writer, {:>7} rows:  {small_s:>7.3} s  peak RSS {:>6} MiB",
        n / 10,
        small_rss / 1024
    );
    match Sandbox::start(&exe, n) {
        Some(sandbox) => {
            let (e2e_s, e2e_rss) = run_with("e2e", n, &sandbox.args);
            println!(
                "nxsys-etl export, sandbox over HTTP:   {e2e_s:>7.3} s  peak RSS {:>6} MiB  ({:.2}x raw time)",
                e2e_rss / 1024,
                e2e_s / raw_s
            );
        }
        None => println!("end-to-end: skipped (build the binary first: cargo build)"),
    }
}

/// A sandbox process seeded with payslips; killed when dropped.
struct Sandbox {
    child: std::process::Child,
    /// base URL, client id, client secret, refresh token.
    args: Vec<String>,
}

impl Sandbox {
    fn start(example: &Path, n: usize) -> Option<Sandbox> {
        use std::io::BufRead;
        let binary = example.parent()?.parent()?.join("nxsys-etl");
        let mut child = Command::new(binary)
            .args([
                "--json",
                "sandbox",
                "--addr",
                "127.0.0.1:0",
                "--seed-payslips",
            ])
            .arg(n.to_string())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let mut line = String::new();
        let stdout = child.stdout.take()?;
        std::io::BufReader::new(stdout).read_line(&mut line).ok()?;
        let banner: Value = serde_json::from_str(&line).ok()?;
        let field = |k: &str| banner.get(k).and_then(Value::as_str).map(str::to_owned);
        let args = vec![
            field("base_url")?,
            field("client_id")?,
            field("client_secret")?,
            field("refresh_token")?,
        ];
        Some(Sandbox { child, args })
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn end_to_end(args: &[String], out: &Path) {
    use nxsys_etl::api::ClientConfig;
    use nxsys_etl::auth::{self, Credentials};
    use nxsys_etl::export::{ExportRequest, export};
    use secrecy::SecretString;

    let [base_url, client_id, client_secret, refresh_token] = args else {
        panic!("e2e needs base URL, client id, secret and refresh token");
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut config = ClientConfig::new(url::Url::parse(base_url).expect("url"));
        config.rate = 10_000;
        let creds = Credentials {
            client_id: client_id.clone(),
            client_secret: SecretString::from(client_secret.clone()),
            refresh_token: SecretString::from(refresh_token.clone()),
        };
        let client = auth::connect(config, creds, None).await.expect("signed in");
        let summary = export(&client, &ExportRequest::new(out), false)
            .await
            .expect("exported");
        eprintln!("exported {} payslips", summary.payslips);
    });
}

/// A payslip as the sandbox serves it; 1,000 workers over 52 weekly periods.
fn payslip(n: usize) -> Map<String, Value> {
    let worker = n % 1000;
    let pence = 40_000 + (n * 7919) % 60_000;
    let money = |p: usize| format!("{}.{:02}", p / 100, p % 100);
    let mut map = Map::new();
    map.insert("id".into(), json!(format!("PL-{n}")));
    map.insert("incrementId".into(), json!(n));
    map.insert("timesheetId".into(), json!(format!("TS-{n}")));
    map.insert("subcontractorId".into(), json!(format!("SR-{worker}")));
    map.insert(
        "subcontractorName".into(),
        json!(format!("Worker Number {worker}")),
    );
    map.insert("agencyName".into(), json!("Acme Recruitment Ltd"));
    map.insert("taxYear".into(), json!(2025));
    map.insert("taxPeriod".into(), json!(1 + n % 52));
    map.insert("payFrequency".into(), json!("WEEKLY"));
    map.insert("paymentModel".into(), json!("PAYE"));
    for (i, key) in MONEY.iter().enumerate() {
        let value = if *key == "margin" {
            json!(15)
        } else {
            json!(money(pence / (i + 1)))
        };
        map.insert((*key).into(), value);
    }
    map.insert("payDate".into(), json!("2025-04-11"));
    map.insert("createdAt".into(), json!("2025-04-10T09:30:00.000Z"));
    map
}

fn writer(n: usize, out: &Path) {
    let plan = Destination::new(out, false, None).expect("plan");
    plan.prepare().expect("writable");
    let mut collector = Collector::new(None).expect("collector");
    let filter = LocalFilter::default();
    for i in 0..n {
        collector.add(&payslip(i), &filter).expect("spooled");
    }
    let about = About {
        filters: Vec::new(),
        base_url: "bench".into(),
        exported_at: Utc::now(),
    };
    let collected = collector.finish().expect("collected");
    write_outputs(collected, &plan, &about, || {}).expect("written");
}

/// The same cells, typed by hand, straight into a constant-memory sheet.
fn raw(n: usize, out: &Path) {
    let money = Format::new().set_num_format(MONEY_FORMAT);
    let date = Format::new().set_num_format(DATE_FORMAT);
    let datetime = Format::new().set_num_format(DATETIME_FORMAT);
    let mut workbook = Workbook::new();
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .expect("sheet");
    let pay_date = ExcelDateTime::from_ymd(2025, 4, 11).expect("date");
    let created = ExcelDateTime::parse_from_str("2025-04-10T09:30:00.000").expect("stamp");
    for i in 0..n {
        let p = payslip(i);
        let row = i as u32 + 1;
        let text = |key: &str| p.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
        let mut col = 0u16;
        for key in ["id", "subcontractorId", "subcontractorName", "agencyName"] {
            sheet.write_string(row, col, text(key)).expect("cell");
            col += 1;
        }
        sheet.write_number(row, col, 2025).expect("cell");
        sheet
            .write_number(row, col + 1, (1 + i % 52) as f64)
            .expect("cell");
        sheet.write_string(row, col + 2, "WEEKLY").expect("cell");
        sheet.write_string(row, col + 3, "PAYE").expect("cell");
        sheet
            .write_datetime_with_format(row, col + 4, &pay_date, &date)
            .expect("cell");
        col += 5;
        for key in MONEY {
            let value = match p.get(key) {
                Some(Value::String(s)) => s.parse::<f64>().unwrap_or_default(),
                Some(Value::Number(v)) => v.as_f64().unwrap_or_default(),
                _ => 0.0,
            };
            sheet
                .write_number_with_format(row, col, value, &money)
                .expect("cell");
            col += 1;
        }
        sheet
            .write_string(row, col, text("timesheetId"))
            .expect("cell");
        sheet.write_number(row, col + 1, i as f64).expect("cell");
        sheet
            .write_datetime_with_format(row, col + 2, &created, &datetime)
            .expect("cell");
    }
    workbook.save(out).expect("saved");
}
