//! Payslip export: the writers read back with calamine (and the xlsx parts with zip), and — in
//! the `sandbox` section — whole exports against the local simulator.

use std::io::Read;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::Utc;
use nxsys_etl::export::collect::Collector;
use nxsys_etl::export::columns::known_field;
use nxsys_etl::export::destination::{Destination, write_outputs};
use nxsys_etl::export::filter::LocalFilter;
use nxsys_etl::export::split::SplitBy;
use nxsys_etl::export::xlsx::{About, MONEY_FORMAT};
use serde_json::{Map, Value, json};

const HOSTILE_NAME: &str = "=HYPERLINK(\"x\",\"y\")";

fn payslip(n: u64, worker: u64, period: u64) -> Map<String, Value> {
    let name = if worker == 1 {
        HOSTILE_NAME.to_owned()
    } else {
        format!("Worker {worker}")
    };
    let value = json!({
        "id": format!("PL-{n}"), "incrementId": n, "timesheetId": format!("TS-{n}"),
        "subcontractorId": format!("SR-{worker}"), "subcontractorName": name,
        "agencyName": null, "taxYear": 2025, "taxPeriod": period, "payFrequency": "WEEKLY",
        "paymentModel": "PAYE", "timesheetValue": "500.00", "margin": 15,
        "employerNI": "40.50", "employerPension": "10.00", "apprenticeshipLevy": "0.00",
        "gross": "434.50", "taxableGross": "421.46", "tax": "36.40", "employeeNI": "10.46",
        "employeePension": "13.04", "studentLoan": "0.00", "net": "374.60", "materials": "0.00",
        "payDate": "2025-04-11", "createdAt": "2025-04-10T09:30:00.000Z",
        "holidayAccrued": "12.34", "flags": {"p45": false}
    });
    value.as_object().cloned().unwrap_or_default()
}

fn about() -> About {
    About {
        filters: vec![("Tax year".into(), "2025".into())],
        base_url: "http://127.0.0.1:1".into(),
        exported_at: Utc::now(),
    }
}

/// Collect `payslips` and write them as `output` would be.
fn export_offline(
    payslips: &[Map<String, Value>],
    output: &Path,
    excel_csv: bool,
    split_by: Option<SplitBy>,
) -> Vec<PathBuf> {
    let plan = Destination::new(output, excel_csv, split_by).expect("plan");
    plan.prepare().expect("output writable");
    let mut collector = Collector::new(split_by).expect("collector");
    for p in payslips {
        assert!(collector.add(p, &LocalFilter::default()).expect("spooled"));
    }
    let collected = collector.finish().expect("collected");
    write_outputs(collected, &plan, &about(), || {}).expect("written")
}

fn sheet(path: &Path, name: &str) -> calamine::Range<Data> {
    let mut workbook: Xlsx<_> = open_workbook(path).expect("workbook opens");
    workbook.worksheet_range(name).expect("sheet exists")
}

fn header_index(range: &calamine::Range<Data>, label: &str) -> usize {
    range
        .rows()
        .next()
        .and_then(|header| header.iter().position(|c| *c == label))
        .unwrap_or_else(|| panic!("no column {label}"))
}

fn zip_entry(path: &Path, entry: &str) -> String {
    let file = std::fs::File::open(path).expect("open");
    let mut archive = zip::ZipArchive::new(file).expect("zip");
    let mut text = String::new();
    archive
        .by_name(entry)
        .expect("entry")
        .read_to_string(&mut text)
        .expect("read");
    text
}

/// The header a JSON field is exported under.
fn label(key: &str) -> String {
    known_field(key).map_or_else(|| key.to_owned(), |f| f.label.to_owned())
}

#[test]
fn workbook_has_every_field_typed_cells_totals_and_a_summary() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("payslips.xlsx");
    let payslips: Vec<_> = (1..=6).map(|n| payslip(n, n % 3, 1 + n % 2)).collect();
    let files = export_offline(&payslips, &out, false, None);
    assert_eq!(files, std::slice::from_ref(&out));

    let range = sheet(&out, "Payslips");
    let header: Vec<String> = range
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    for key in payslips[0].keys() {
        assert!(
            header.contains(&label(key)),
            "field {key} has a column: {header:?}"
        );
    }
    // Header + 6 payslips + totals row.
    assert_eq!(range.height(), 8);

    let net = header_index(&range, "Net pay");
    let name = header_index(&range, "Worker name");
    let period = header_index(&range, "Tax period");
    let pay_date = header_index(&range, "Pay date");
    let extra = header_index(&range, "holidayAccrued");
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows[1][net], Data::Float(374.60));
    assert_eq!(rows[1][period], Data::Float(2.0));
    assert!(
        matches!(rows[1][pay_date], Data::DateTime(_)),
        "dates are dates: {:?}",
        rows[1][pay_date]
    );
    assert_eq!(
        rows[1][extra],
        Data::String("12.34".into()),
        "unknown fields as they came"
    );
    let hostile = rows
        .iter()
        .find(|r| r[name] == Data::String(HOSTILE_NAME.into()));
    assert!(hostile.is_some(), "the formula-like name is a text cell");
    assert_eq!(rows[7][0], Data::String("Total".into()));
    let total = match &rows[7][net] {
        Data::Float(f) => *f,
        other => panic!("total is a number: {other:?}"),
    };
    assert!((total - 6.0 * 374.60).abs() < 1e-6);

    // The formula text and the currency format, as stored in the file.
    let sheet_xml = zip_entry(&out, "xl/worksheets/sheet1.xml");
    assert!(
        !sheet_xml.contains("<f>HYPERLINK"),
        "no user text became a formula"
    );
    assert!(sheet_xml.contains("SUBTOTAL(9,"));
    let styles = zip_entry(&out, "xl/styles.xml");
    let escaped = MONEY_FORMAT.replace('"', "&quot;");
    assert!(
        styles.contains(&escaped),
        "currency format present: {styles}"
    );

    let summary = sheet(&out, "Summary");
    let cells: Vec<String> = summary.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(cells.contains(&"2025/26 P1".to_owned()));
    assert!(cells.contains(&"2025/26 P2".to_owned()));
    assert!(cells.contains(&HOSTILE_NAME.to_owned()));
    assert!(zip_entry(&out, "xl/charts/chart1.xml").contains("Net pay"));

    let about_sheet = sheet(&out, "About");
    let about_cells: Vec<String> = about_sheet.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(about_cells.contains(&"http://127.0.0.1:1".to_owned()));
    assert!(about_cells.iter().any(|c| c.contains("holidayAccrued")));
}

#[test]
fn csv_keeps_exact_values_and_neutralises_formulas() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("payslips.csv");
    let payslips: Vec<_> = (1..=3).map(|n| payslip(n, n, 1)).collect();
    export_offline(&payslips, &out, true, None);

    let bytes = std::fs::read(&out).expect("read");
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "--excel-csv writes a BOM"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().expect("headers").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 3);
    let col = |label: &str| headers.iter().position(|h| h == label).expect(label);
    assert_eq!(&rows[0][col("Worker name")], format!("'{HOSTILE_NAME}"));
    assert_eq!(&rows[0][col("Net pay")], "374.60", "exact decimal string");
    assert_eq!(&rows[0][col("flags")], "{\"p45\":false}");
    assert_eq!(&rows[0][col("Agency")], "");
}

#[test]
fn split_by_worker_writes_one_file_per_worker() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("by-worker");
    let payslips: Vec<_> = (1..=7).map(|n| payslip(n, 10 + n % 3, 1)).collect();
    let files = export_offline(&payslips, &out, false, Some(SplitBy::Worker));
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name()?.to_str().map(str::to_owned))
        .collect();
    assert_eq!(
        names,
        [
            "SR-10 Worker 10.xlsx",
            "SR-11 Worker 11.xlsx",
            "SR-12 Worker 12.xlsx"
        ]
    );
    let mut total = 0;
    for file in &files {
        let range = sheet(file, "Payslips");
        let worker = header_index(&range, "Worker ID");
        let ids: Vec<String> = range
            .rows()
            .skip(1)
            .take(range.height() - 2)
            .map(|r| r[worker].to_string())
            .collect();
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        assert!(
            ids.iter().all(|id| stem.starts_with(&format!("{id} "))),
            "{stem}: {ids:?}"
        );
        total += ids.len();
    }
    assert_eq!(total, 7);
}

#[test]
fn an_empty_export_is_still_a_valid_workbook() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("none.xlsx");
    export_offline(&[], &out, false, None);
    let range = sheet(&out, "Payslips");
    assert_eq!(
        range.rows().next().map(|r| r[0].to_string()),
        Some("Payslip ID".into())
    );
    assert!(
        range
            .cells()
            .any(|(_, _, c)| c.to_string().contains("No payslips"))
    );
}

/// The net-pay chart's axis starts at 0: an axis from the smallest total makes small
/// differences look large.
#[test]
fn the_net_pay_chart_starts_at_zero() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("chart.xlsx");
    let payslips: Vec<_> = (1..=12).map(|n| payslip(n, n % 3, 1 + n % 4)).collect();
    export_offline(&payslips, &out, false, None);
    let chart = zip_entry(&out, "xl/charts/chart1.xml");
    assert!(chart.contains("Net pay by tax period"), "{chart}");
    assert!(chart.contains("<c:min val=\"0\"/>"), "{chart}");
}

/// LibreOffice (headless) opens the workbook and converts it; skipped with a notice when
/// LibreOffice is not installed, and failing under `CI=true` (see `rendered::renderer`).
#[test]
fn libreoffice_opens_the_workbook() {
    let Some(soffice) = crate::rendered::renderer() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("lo.xlsx");
    let payslips: Vec<_> = (1..=20).map(|n| payslip(n, n % 4, 1 + n % 3)).collect();
    export_offline(&payslips, &out, false, None);

    let converted = dir.path().join("converted");
    let stderr =
        crate::rendered::convert(soffice, std::slice::from_ref(&out), "csv", None, &converted);
    assert!(!stderr.contains("Error"), "soffice reported: {stderr}");
    let csv = std::fs::read_to_string(converted.join("lo.csv")).expect("converted csv");
    // Header, 20 payslips, totals row.
    assert_eq!(csv.lines().count(), 22, "{csv}");
    assert!(
        csv.contains("HYPERLINK"),
        "the hostile name stayed text: {csv}"
    );
}

mod with_a_fake_source {
    //! The whole export over a [`PayslipSource`] that is not the API: filters, workers, errors.

    use super::*;
    use std::cell::RefCell;

    use futures::Stream;
    use nxsys_etl::api::ApiError;
    use nxsys_etl::commands::exit::{Exit, Failure};
    use nxsys_etl::export::filter::PeriodRange;
    use nxsys_etl::export::payslip_source::{PayslipQuery, PayslipSource};
    use nxsys_etl::export::run::run_export;
    use nxsys_etl::export::{ExportError, ExportRequest};

    /// Serves `payslips`; honours the period and worker filters only when `honest`, to show
    /// that the export filters again itself.
    struct Fake {
        payslips: Vec<Map<String, Value>>,
        honest: bool,
        fail: bool,
        queries: RefCell<Vec<PayslipQuery>>,
    }

    impl Fake {
        fn new(payslips: Vec<Map<String, Value>>, honest: bool) -> Self {
            Fake {
                payslips,
                honest,
                fail: false,
                queries: RefCell::new(Vec::new()),
            }
        }
    }

    impl PayslipSource for Fake {
        fn payslips(
            &self,
            query: PayslipQuery,
        ) -> impl Stream<Item = Result<Map<String, Value>, ApiError>> + '_ {
            self.queries.borrow_mut().push(query.clone());
            let fail = self.fail;
            let honest = self.honest;
            futures::stream::iter(self.payslips.iter().filter_map(move |p| {
                if fail {
                    return Some(Err(ApiError::Unreachable {
                        method: "GET".into(),
                        path: "/nxsys/payslips".into(),
                        attempts: 1,
                        reason: "unreachable".into(),
                    }));
                }
                let period = p.get("taxPeriod").and_then(Value::as_u64);
                let worker = p
                    .get("subcontractorId")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let wanted = !honest
                    || (query
                        .tax_period
                        .is_none_or(|t| Some(u64::from(t)) == period)
                        && (query.candidate_ids.is_empty()
                            || query.candidate_ids.iter().any(|id| id == worker)));
                if wanted { Some(Ok(p.clone())) } else { None }
            }))
        }

        async fn workers_with_agency_ref(&self, agency_ref: &str) -> Result<Vec<String>, ApiError> {
            Ok(match agency_ref {
                "AG-2" => vec!["SR-2".into()],
                "AG-dup" => vec!["SR-1".into(), "SR-3".into()],
                _ => Vec::new(),
            })
        }

        fn describe(&self) -> String {
            "fake".into()
        }
    }

    /// 4 workers × 6 periods.
    fn payslips() -> Vec<Map<String, Value>> {
        (0..24).map(|n| payslip(n, n % 4, 1 + n / 4)).collect()
    }

    fn rows_of(path: &Path) -> Vec<Vec<Data>> {
        let range = sheet(path, "Payslips");
        let height = range.height();
        range
            .rows()
            .skip(1)
            .take(height.saturating_sub(2))
            .map(<[Data]>::to_vec)
            .collect()
    }

    fn run(source: &Fake, request: &ExportRequest) -> Result<usize, Failure> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime
            .block_on(run_export(source, request, false))
            .map(|s| s.payslips)
            .map_err(|e: ExportError| Failure::from(e))
    }

    #[test]
    fn period_ranges_filter_even_when_the_server_ignores_them() {
        for honest in [true, false] {
            let dir = tempfile::tempdir().expect("dir");
            let mut request = ExportRequest::new(dir.path().join("p.xlsx"));
            request.tax_periods = Some("2-4".parse::<PeriodRange>().expect("range"));
            let source = Fake::new(payslips(), honest);
            assert_eq!(
                run(&source, &request).expect("exported"),
                12,
                "honest={honest}"
            );
            let rows = rows_of(&request.output);
            let range = sheet(&request.output, "Payslips");
            let period = header_index(&range, "Tax period");
            let periods: BTreeSet<String> = rows.iter().map(|r| r[period].to_string()).collect();
            assert_eq!(periods, ["2", "3", "4"].map(String::from).into());
            assert_eq!(source.queries.borrow().len(), 3, "one query per period");
        }
    }

    use std::collections::BTreeSet;

    #[test]
    fn workers_from_a_file_mixes_ids_and_agency_refs() {
        let dir = tempfile::tempdir().expect("dir");
        let list = dir.path().join("workers.csv");
        std::fs::write(&list, "Name,Agency Ref\nAnn,AG-2\n\nCy,SR-3\n").expect("write");
        let mut request = ExportRequest::new(dir.path().join("w.csv"));
        request.workers_from = Some(list);
        request.workers = vec!["SR-0".into()];
        let source = Fake::new(payslips(), false);
        // An Agency Ref column: "SR-3" is an Agency Ref there and no worker has it.
        let error = run(&source, &request).expect_err("SR-3 is not an Agency Ref");
        assert_eq!(error.exit, Exit::Usage);
        let message = error.to_string();
        assert!(
            message.contains("workers.csv, row 4, column B"),
            "{message}"
        );
        assert!(message.contains("`SR-3`"), "{message}");

        let list = dir.path().join("ids.csv");
        std::fs::write(&list, "AG-2\nsr-3\n").expect("write");
        request.workers_from = Some(list);
        assert_eq!(run(&source, &request).expect("exported"), 18);
        let text = std::fs::read_to_string(&request.output).expect("csv");
        for worker in ["SR-0", "SR-2", "SR-3"] {
            assert_eq!(text.matches(&format!(",{worker},")).count(), 6, "{worker}");
        }
        assert!(!text.contains(",SR-1,"));
    }

    #[test]
    fn workers_from_a_workbook() {
        let dir = tempfile::tempdir().expect("dir");
        let list = dir.path().join("workers.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.set_name("Team").expect("name");
        ws.write_string(0, 0, "Worker").expect("cell");
        ws.write_string(1, 0, "SR-3").expect("cell");
        ws.write_string(2, 0, "AG-2").expect("cell");
        ws.write_number(3, 0, 1234).expect("cell");
        book.save(&list).expect("saved");

        let mut request = ExportRequest::new(dir.path().join("w.xlsx"));
        request.workers_from = Some(list.clone());
        let error = run(&Fake::new(payslips(), true), &request).expect_err("1234 is unknown");
        let message = error.to_string();
        assert!(message.contains("sheet Team, row 4, column A"), "{message}");
        assert!(
            message.contains("`1234`"),
            "a number reads as typed: {message}"
        );

        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.write_string(0, 0, "Worker").expect("cell");
        ws.write_string(1, 0, "SR-3").expect("cell");
        ws.write_string(2, 0, "AG-2").expect("cell");
        book.save(&list).expect("saved");
        assert_eq!(
            run(&Fake::new(payslips(), true), &request).expect("exported"),
            12
        );
    }

    #[test]
    fn ambiguous_and_unknown_agency_refs_are_all_reported() {
        let dir = tempfile::tempdir().expect("dir");
        let mut request = ExportRequest::new(dir.path().join("w.xlsx"));
        request.workers = vec!["AG-dup".into(), "AG-none".into()];
        let error = run(&Fake::new(payslips(), true), &request).expect_err("refused");
        let message = error.to_string();
        assert!(message.contains("2 worker reference(s)"), "{message}");
        assert!(
            message.contains("several workers (SR-1, SR-3)"),
            "{message}"
        );
        assert!(message.contains("--worker AG-none"), "{message}");
        assert!(!request.output.exists(), "nothing written");
    }

    #[test]
    fn unknown_agency_refs_are_reported_in_row_order() {
        let dir = tempfile::tempdir().expect("dir");
        let list = dir.path().join("refs.csv");
        let rows: String = (1..=11).map(|n| format!("AG-x{n}\n")).collect();
        std::fs::write(&list, format!("Agency Ref\n{rows}")).expect("write");
        let mut request = ExportRequest::new(dir.path().join("w.xlsx"));
        request.workers_from = Some(list);
        let message = run(&Fake::new(payslips(), true), &request)
            .expect_err("refused")
            .to_string();
        let at = |row: &str| {
            message
                .find(&format!("row {row},"))
                .unwrap_or_else(|| panic!("row {row} listed: {message}"))
        };
        assert!(at("2") < at("3") && at("3") < at("10"), "{message}");
    }

    #[test]
    fn a_per_worker_export_never_widens_to_payslips_without_a_worker_id() {
        // A server that ignores `candidateIds` and names workers by name only: every payslip
        // comes back, none provably the requested worker's.
        let nameless: Vec<Map<String, Value>> = payslips()
            .into_iter()
            .map(|mut p| {
                p.remove("subcontractorId");
                p
            })
            .collect();
        let dir = tempfile::tempdir().expect("dir");
        let mut request = ExportRequest::new(dir.path().join("one.xlsx"));
        request.workers = vec!["SR-2".into()];
        let source = Fake::new(nameless.clone(), false);
        assert_eq!(
            run(&source, &request).expect("exported"),
            0,
            "nobody else's payslips"
        );
        // Without a worker filter every payslip is wanted, id or not.
        let everyone = ExportRequest::new(dir.path().join("all.xlsx"));
        assert_eq!(
            run(&Fake::new(nameless, false), &everyone).expect("exported"),
            24
        );
    }

    #[test]
    fn an_unreachable_api_exits_3_and_an_unwritable_output_exits_2() {
        let dir = tempfile::tempdir().expect("dir");
        let mut source = Fake::new(payslips(), true);
        source.fail = true;
        let request = ExportRequest::new(dir.path().join("x.xlsx"));
        let error = run(&source, &request).expect_err("fails");
        assert_eq!(error.exit, Exit::Aborted);
        assert!(!request.output.exists(), "no half-written file");

        let request = ExportRequest::new(dir.path().join("missing/x.xlsx"));
        let error = run(&Fake::new(payslips(), true), &request).expect_err("fails");
        assert_eq!(error.exit, Exit::Usage);
        assert!(error.to_string().contains("does not exist"));
    }
}

mod against_the_sandbox {
    //! Whole exports through the real client against the local simulator.

    use super::*;

    use nxsys_etl::api::{Client, ClientConfig, TimesheetCreate, TimesheetRateLine};
    use nxsys_etl::auth::Credentials;
    use nxsys_etl::export::filter::PeriodRange;
    use nxsys_etl::export::payslip_source::{PayslipQuery, PayslipSource};
    use nxsys_etl::export::{ExportRequest, export};
    use nxsys_sandbox::{SandboxConfig, SandboxHandle, start};
    use secrecy::SecretString;

    async fn sandbox(seed_payslips: usize) -> (SandboxHandle, Client) {
        sandbox_with(SandboxConfig {
            seed_payslips,
            ..SandboxConfig::default()
        })
        .await
    }

    /// A sandbox started with `config`, and a client signed in to it.
    async fn sandbox_with(config: SandboxConfig) -> (SandboxHandle, Client) {
        let sb = start(config).await.expect("sandbox starts");
        let mut config = ClientConfig::new(url::Url::parse(&sb.base_url).expect("url"));
        config.rate = 1000;
        let creds = Credentials {
            client_id: sb.client_id.clone(),
            client_secret: SecretString::from(sb.client_secret.clone()),
            refresh_token: SecretString::from(sb.refresh_token.clone()),
        };
        let client = nxsys_etl::auth::connect(config, creds, None)
            .await
            .expect("signed in");
        (sb, client)
    }

    /// The sandbox's own answer to `GET /nxsys/payslips?{query}`, read without our client.
    async fn raw_list(sb: &SandboxHandle, query: &str) -> Value {
        reqwest::Client::new()
            .get(format!("{}/nxsys/payslips?{query}", sb.base_url))
            .header(
                "Authorization",
                format!("Nxsys-oauthtoken {}", sb.access_token()),
            )
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("json")
    }

    async fn raw_count(sb: &SandboxHandle, query: &str) -> usize {
        let answer = raw_list(sb, &format!("{query}&size=1")).await;
        answer["meta"]["totalDocs"]
            .as_u64()
            .or_else(|| answer["totalDocs"].as_u64())
            .expect("a total") as usize
    }

    fn data_rows(path: &Path) -> usize {
        sheet(path, "Payslips").height() - 2
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn payslips_without_worker_ids_are_left_out_of_a_per_worker_export() {
        let (_sb, client) = sandbox_with(SandboxConfig {
            seed_payslips: 104,
            quirks: nxsys_sandbox::Quirks::parse("payslip-no-worker-id,filters-ignored")
                .expect("quirks"),
            ..SandboxConfig::default()
        })
        .await;
        let dir = tempfile::tempdir().expect("dir");
        let mut one = ExportRequest::new(dir.path().join("one.xlsx"));
        one.workers = vec!["SR-1".into()];
        let summary = export(&client, &one, false).await.expect("exported");
        assert_eq!(
            summary.payslips, 0,
            "the server's answer names no worker by id"
        );
        let all = ExportRequest::new(dir.path().join("all.xlsx"));
        let summary = export(&client, &all, false).await.expect("exported");
        assert_eq!(summary.payslips, 104);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_equal_the_sandbox_count_for_each_filter() {
        let (sb, client) = sandbox(300).await;
        let dir = tempfile::tempdir().expect("dir");

        let all = ExportRequest::new(dir.path().join("all.xlsx"));
        let summary = export(&client, &all, false).await.expect("exported");
        assert_eq!(summary.payslips as u64, sb.stats().payslips);
        assert_eq!(data_rows(&all.output), 300);

        let mut periods = ExportRequest::new(dir.path().join("p2-4.xlsx"));
        periods.tax_year = Some(2025);
        periods.tax_periods = Some("2-4".parse::<PeriodRange>().expect("range"));
        let summary = export(&client, &periods, false).await.expect("exported");
        let mut expected = 0;
        for period in 2..=4 {
            expected += raw_count(&sb, &format!("taxYear=2025&taxPeriod={period}")).await;
        }
        assert!(expected > 0);
        assert_eq!(summary.payslips, expected);
        let query = PayslipQuery {
            tax_year: Some(2025),
            tax_period: Some(2),
            ..PayslipQuery::default()
        };
        let counted = client.count(&query).await.map(|n| n as usize);
        assert_eq!(
            counted,
            Some(raw_count(&sb, "taxYear=2025&taxPeriod=2").await)
        );
        assert_eq!(data_rows(&periods.output), expected);

        let mut wide = ExportRequest::new(dir.path().join("p1-45.csv"));
        wide.tax_periods = Some("1-45".parse::<PeriodRange>().expect("range"));
        let summary = export(&client, &wide, false).await.expect("exported");
        let mut expected = 0;
        for period in 1..=45 {
            expected += raw_count(&sb, &format!("taxPeriod={period}")).await;
        }
        assert_eq!(
            summary.payslips, expected,
            "a wide range is filtered locally"
        );
        sb.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_field_of_the_api_answer_is_a_column_with_money_as_numbers() {
        let (sb, client) = sandbox(60).await;
        let dir = tempfile::tempdir().expect("dir");
        let request = ExportRequest::new(dir.path().join("p.xlsx"));
        export(&client, &request, false).await.expect("exported");

        let answer = raw_list(&sb, "size=1").await;
        let first = answer["items"][0].as_object().cloned().expect("a payslip");
        let range = sheet(&request.output, "Payslips");
        let header: Vec<String> = range
            .rows()
            .next()
            .expect("header")
            .iter()
            .map(|c| c.to_string())
            .collect();
        for key in first.keys() {
            assert!(
                header.contains(&label(key)),
                "{key} missing from {header:?}"
            );
        }
        let row = range.rows().nth(1).expect("a payslip row");
        for money in [
            "gross",
            "net",
            "tax",
            "employerNI",
            "margin",
            "timesheetValue",
        ] {
            let col = header_index(&range, &label(money));
            assert!(
                matches!(row[col], Data::Float(_)),
                "{money} is numeric: {:?}",
                row[col]
            );
        }
        let gross = header_index(&range, "Gross");
        let want: f64 = first["gross"]
            .as_str()
            .and_then(|g| g.parse().ok())
            .expect("gross");
        assert_eq!(row[gross], Data::Float(want));
        sb.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn payslips_of_timesheets_made_through_the_client_keep_hostile_names_as_text() {
        let (sb, client) = sandbox(0).await;
        let body = json!({
            "generalSetting": {
                "agencyRef": "HOST-1", "title": "MR", "gender": "MALE",
                "forename": HOSTILE_NAME, "surname": "Smith", "DOB": "1990-05-15",
                "NINumber": "QQ123456C", "address": ["1 High St"], "postCode": "SW1A 1AA",
                "country": "GB", "email": "h@example.com", "payFrequency": "WEEKLY"
            },
            "payrollSetting": {"paymentModel": "PAYEE", "taxCode": "1257L"}
        });
        client
            .create_candidate(&body)
            .await
            .expect("candidate created");
        let dir = tempfile::tempdir().expect("dir");
        let mut request = ExportRequest::new(dir.path().join("t.xlsx"));
        request.workers = vec!["HOST-1".into()];
        std::fs::write(dir.path().join("w.csv"), "Agency Ref\nHOST-1\n").expect("write");
        let worker = match client
            .workers_with_agency_ref("HOST-1")
            .await
            .expect("looked up")
        {
            ids if ids.len() == 1 => ids[0].clone(),
            ids => panic!("one worker has Agency Ref HOST-1, not {ids:?}"),
        };
        for week in [1, 2] {
            let timesheet = TimesheetCreate {
                subcontractor_ref: worker.clone(),
                rates: vec![TimesheetRateLine {
                    rate_id: "PR-1".into(),
                    rate: "18.50".parse().expect("rate"),
                    units: "37.5".parse().expect("units"),
                    vat_id: Some("VC-1".into()),
                }],
                tax_year: 2025,
                tax_period_config: week,
                ..TimesheetCreate::default()
            };
            client
                .create_timesheet(&timesheet)
                .await
                .expect("timesheet created");
        }
        assert_eq!(sb.stats().payslips, 2);

        let summary = export(&client, &request, false).await.expect("exported");
        assert_eq!(summary.payslips, 2);
        let range = sheet(&request.output, "Payslips");
        let name = header_index(&range, "Worker name");
        let names: Vec<&Data> = range.rows().skip(1).take(2).map(|r| &r[name]).collect();
        for cell in names {
            match cell {
                Data::String(s) => assert!(s.starts_with("=HYPERLINK"), "{s}"),
                other => panic!("the name is a text cell, not {other:?}"),
            }
        }

        let mut csv_request = request.clone();
        csv_request.output = dir.path().join("t.csv");
        csv_request.workers = Vec::new();
        csv_request.workers_from = Some(dir.path().join("w.csv"));
        export(&client, &csv_request, false)
            .await
            .expect("exported");
        let mut reader = csv::Reader::from_path(&csv_request.output).expect("csv");
        let headers = reader.headers().expect("headers").clone();
        let col = headers
            .iter()
            .position(|h| h == "Worker name")
            .expect("name");
        for record in reader.records() {
            let record = record.expect("row");
            assert!(record[col].starts_with("'=HYPERLINK"), "{:?}", &record[col]);
        }
        sb.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn split_by_worker_and_period_against_the_sandbox() {
        let (sb, client) = sandbox(130).await;
        let dir = tempfile::tempdir().expect("dir");
        let mut by_worker = ExportRequest::new(dir.path().join("workers"));
        by_worker.split_by = Some(SplitBy::Worker);
        let summary = export(&client, &by_worker, false).await.expect("exported");
        assert_eq!(summary.payslips, 130);
        assert_eq!(
            summary.files.len(),
            3,
            "130 weekly payslips = 3 seeded workers"
        );
        let rows: usize = summary.files.iter().map(|f| data_rows(f)).sum();
        assert_eq!(rows, 130);

        let mut by_period = ExportRequest::new(dir.path().join("periods"));
        by_period.split_by = Some(SplitBy::Period);
        by_period.excel_csv = true;
        let summary = export(&client, &by_period, false).await.expect("exported");
        assert_eq!(summary.files.len(), 52);
        let first = std::fs::read_to_string(&summary.files[0]).expect("csv");
        assert_eq!(
            first.lines().count(),
            1 + 3,
            "period 1 has one payslip per worker"
        );
        sb.shutdown().await;
    }
}

mod the_command {
    //! `nxsys-etl export payslips` as a user runs it: JSON summary and exit codes.

    use super::*;
    use std::process::{Command, Output};

    fn nxsys(dir: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
            .args(args)
            .current_dir(dir)
            .env("HOME", dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("NXSYS_TOKEN_STORE", dir.join("tokens.json"))
            .env_remove("NXSYS_BASE_URL")
            .env_remove("NXSYS_CONFIG")
            .env_remove("NXSYS_PROFILE")
            .output()
            .expect("the binary runs")
    }

    #[test]
    fn json_summary_and_exit_codes() {
        let dir = tempfile::tempdir().expect("dir");
        let out = nxsys(
            dir.path(),
            &[
                "--json",
                "export",
                "payslips",
                "--sandbox",
                "--tax-period",
                "1-2",
                "-o",
                "p.xlsx",
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let summary: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(
            summary["payslips"],
            json!(20),
            "10 sandbox workers × 2 weeks"
        );
        assert_eq!(summary["files"], json!(["p.xlsx"]));
        assert_eq!(sheet(&dir.path().join("p.xlsx"), "Payslips").height(), 22);

        let bad_period = nxsys(
            dir.path(),
            &["export", "payslips", "--tax-period", "9-2", "-o", "x.xlsx"],
        );
        assert_eq!(bad_period.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&bad_period.stderr).contains("first-last"));

        let bad_output = nxsys(
            dir.path(),
            &["export", "payslips", "--sandbox", "-o", "x.pdf"],
        );
        assert_eq!(bad_output.status.code(), Some(2));

        let unreachable = Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
            .args(["export", "payslips", "-o", "x.xlsx"])
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .env("NXSYS_TOKEN_STORE", dir.path().join("tokens.json"))
            .env("NXSYS_BASE_URL", "http://127.0.0.1:9")
            .env("NXSYS_CLIENT_ID", "NXSYS.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .env(
                "NXSYS_CLIENT_SECRET",
                "0123456789abcdef0123456789abcdef0123456789abcdef",
            )
            .env("NXSYS_REFRESH_TOKEN", "not-a-real-token")
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&unreachable.stderr);
        assert_eq!(unreachable.status.code(), Some(3), "{stderr}");
        assert!(
            !stderr.contains("0123456789abcdef"),
            "no secret in messages"
        );
        assert!(!dir.path().join("x.xlsx").exists());
    }
}
