//! `import` when things go wrong: no server at all, one that answers HTML or 502s, a 200 of an
//! unexpected shape, an outage mid-run, a refresh refused mid-run, a report that cannot be written,
//! ten SIGKILLs across one batch, and a slow-loris server. Each run ends with a
//! clear message and the right exit code, never a panic; nothing is recorded as sent that was
//! not, and resuming ends with every record in the sandbox exactly once.

use crate::run;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(240);

const CANDIDATES: &str = "Agency Ref,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,Pay Frequency,Payment Model\n\
AG-001,Ann,Smith,1990-05-15,JG103759A,1 High St,London,SW1A 1AA,a@example.com,Weekly,PAYE\n";

/// A loopback HTTP/1.1 server answering every request with `answer(path)`, one thread per
/// connection, until the test ends.
fn serve(answer: fn(&str) -> (u16, &'static str, String)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || handle(stream, answer));
        }
    });
    format!("http://{addr}")
}

fn handle(stream: TcpStream, answer: fn(&str) -> (u16, &'static str, String)) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut out = stream;
    loop {
        let Some(path) = read_request(&mut reader) else {
            return;
        };
        let (status, content_type, text) = answer(&path);
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{text}",
            text.len()
        );
        if out.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// Read one HTTP/1.1 request (line, headers, body) and return its path; `None` when the
/// connection ends.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return None;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return None;
        }
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(path)
}

/// A loopback server whose answers never end: a 200 with a chunked JSON-looking body streamed
/// as fast as the client reads it, on every path — or, with `token_ok`, on every path but the
/// token endpoint, which signs in normally.
fn serve_endless(token_ok: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let Ok(clone) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(clone);
                let mut out = stream;
                while let Some(path) = read_request(&mut reader) {
                    if token_ok && path.ends_with("/oauth/token") {
                        let text = r#"{"accessToken":"acc","tokenType":"Bearer","expiresIn":3600}"#;
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
                            text.len()
                        );
                        if out.write_all(head.as_bytes()).is_err() {
                            return;
                        }
                        continue;
                    }
                    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n[\r\n";
                    if out.write_all(head.as_bytes()).is_err() {
                        return;
                    }
                    let chunk = format!("{:x}\r\n{}\r\n", 65_536, "0,".repeat(32_768));
                    // Until the client hangs up.
                    while out.write_all(chunk.as_bytes()).is_ok() {}
                    return;
                }
            });
        }
    });
    format!("http://{addr}")
}

/// `import` of one valid candidate against `base_url`, with unattended credentials and a
/// 2-second answer timeout.
fn import(dir: &Path, base_url: &str) -> run::Outcome {
    import_within(dir, base_url, None)
}

/// [`import`], with the child's address space capped at `memory_mib` when given.
fn import_within(dir: &Path, base_url: &str, memory_mib: Option<u64>) -> run::Outcome {
    std::fs::write(dir.join("candidates.csv"), CANDIDATES).expect("input");
    let store = dir.join("tokens.json").display().to_string();
    let state = dir.join("state").display().to_string();
    run::run(
        dir,
        &[
            "--no-progress",
            "--state-dir",
            &state,
            "--base-url",
            base_url,
            "--timeout",
            "2",
            "import",
            "candidates.csv",
            "--report",
            "run.xlsx",
        ],
        &[
            ("NXSYS_CLIENT_ID", "NXSYS.ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"),
            (
                "NXSYS_CLIENT_SECRET",
                "0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
            ("NXSYS_REFRESH_TOKEN", "fedcba9876543210fedcba9876543210"),
            ("NXSYS_TOKEN_STORE", &store),
        ],
        LIMIT,
        memory_mib,
    )
}

/// The states of the records the journal holds (empty when there is no journal).
fn journal_states(dir: &Path) -> Vec<String> {
    let path = dir.join("state/journal.sqlite");
    if !path.exists() {
        return Vec::new();
    }
    let db = rusqlite::Connection::open(path).expect("journal opens");
    let mut query = db.prepare("SELECT state FROM records").expect("query");
    query
        .query_map([], |r| r.get::<_, String>(0))
        .expect("rows")
        .flatten()
        .collect()
}

fn no_panic(out: &run::Outcome) {
    assert!(!out.all().contains("panicked"), "{}", out.all());
}

#[test]
fn api_down_at_start_aborts_with_exit_3_and_sends_nothing() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = import(dir.path(), &format!("http://127.0.0.1:{port}"));
    no_panic(&out);
    assert_eq!(out.code, Some(3), "{}", out.all());
    assert!(
        out.stderr.contains("did not answer") && out.stderr.contains("base URL"),
        "the message says what happened and what to check: {}",
        out.stderr
    );
    let states = journal_states(dir.path());
    assert!(
        states.iter().all(|s| s != "sent" && s != "done"),
        "{states:?}"
    );
}

#[test]
fn an_api_answering_html_aborts_cleanly() {
    let base = serve(|_| {
        (
            200,
            "text/html",
            "<html><body>Gateway login</body></html>".into(),
        )
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let out = import(dir.path(), &base);
    no_panic(&out);
    assert_eq!(out.code, Some(3), "{}", out.all());
    assert!(out.stderr.contains("error"), "{}", out.all());
    assert!(journal_states(dir.path()).iter().all(|s| s != "done"));
}

#[test]
fn an_api_answering_500_with_html_aborts_cleanly() {
    let base = serve(|_| (502, "text/html", "<html>Bad gateway</html>".into()));
    let dir = tempfile::tempdir().expect("temp dir");
    let out = import(dir.path(), &base);
    no_panic(&out);
    assert_eq!(out.code, Some(3), "{}", out.all());
    assert!(journal_states(dir.path()).iter().all(|s| s != "done"));
}

#[test]
fn a_200_with_an_unexpected_shape_is_not_taken_for_success() {
    let base = serve(|path| {
        if path.contains("oauth/token") {
            (
                201,
                "application/json",
                r#"{"access_token":"a1","refresh_token":"r2","expires_in":3600}"#.into(),
            )
        } else {
            (200, "application/json", r#"{"surprise":[1,2,3]}"#.into())
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let out = import(dir.path(), &base);
    no_panic(&out);
    assert_eq!(out.code, Some(3), "{}", out.all());
    assert!(
        out.stderr.contains("could not be read") && out.stderr.contains("resume"),
        "the message says what was wrong and how to go on: {}",
        out.stderr
    );
    // Whatever happened, a candidate without an API id was not recorded as done.
    let db = dir.path().join("state/journal.sqlite");
    if db.exists() {
        let db = rusqlite::Connection::open(db).expect("journal");
        let done_without_id: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM records WHERE state = 'done' AND (api_id IS NULL OR api_id = '')",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(done_without_id, 0, "{}", out.all());
    }
}

/// A batch of `n` workers, two pay codes and one timesheet per worker.
fn write_batch(dir: &Path, n: usize) -> Vec<String> {
    let mut candidates = String::from(
        "Agency Ref,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,Pay Frequency,Payment Model\n",
    );
    let mut timesheets = String::from("Agency Ref,Tax Year,Tax Period,Pay Code,Rate,Units\n");
    for i in 0..n {
        candidates.push_str(&format!(
            "CR-{i:03},Ann{i},Smith,1990-05-15,JG{:06}A,{i} High St,London,SW1A 1AA,w{i}@example.com,Weekly,PAYE\n",
            200_000 + i
        ));
        let code = if i % 2 == 0 { "PR300" } else { "PR301" };
        timesheets.push_str(&format!("CR-{i:03},2025,1,{code},15.50,37.5\n"));
    }
    let files = [
        ("candidates.csv", candidates),
        (
            "payment-rates.csv",
            "Code,Description,Type,Units,Hours Per Unit\nPR300,Standard,Rate,Hourly,1\nPR301,Overtime,Rate,Hourly,1\n".to_string(),
        ),
        ("timesheets.csv", timesheets),
    ];
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).expect("batch file");
    }
    files.iter().map(|(n, _)| n.to_string()).collect()
}

/// Kill `import` with SIGKILL at ten moments across one batch, resuming each time; then let it
/// finish. The sandbox must end up holding the batch exactly once.
#[test]
fn ten_sigkills_across_a_batch_leave_no_duplicate_and_nothing_missing() {
    const WORKERS: usize = 20;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = rt
        .block_on(nxsys_sandbox::start(nxsys_sandbox::SandboxConfig {
            latency_ms: Some((5, 30)),
            ..Default::default()
        }))
        .expect("sandbox");
    let before = sb.stats();
    let dir = tempfile::tempdir().expect("temp dir");
    let files = write_batch(dir.path(), WORKERS);
    let store = dir.path().join("tokens.json").display().to_string();
    let state = dir.path().join("state").display().to_string();
    let mut args = vec![
        "--no-progress",
        "--state-dir",
        &state,
        "--base-url",
        &sb.base_url,
        "import",
    ];
    args.extend(files.iter().map(String::as_str));
    let env = [
        ("NXSYS_CLIENT_ID", sb.client_id.as_str()),
        ("NXSYS_CLIENT_SECRET", sb.client_secret.as_str()),
        ("NXSYS_REFRESH_TOKEN", sb.refresh_token.as_str()),
        ("NXSYS_TOKEN_STORE", store.as_str()),
    ];
    // Ten moments, spread over a run's first seconds (a fixed seed: the same every time).
    let mut seed: u64 = 0x5eed;
    let mut kills = 0;
    for _ in 0..10 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let after = Duration::from_millis(100 + (seed >> 33) % 1500);
        let mut child = std::process::Command::new(run::bin())
            .args(&args)
            .envs(env)
            .current_dir(dir.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start import");
        std::thread::sleep(after);
        if child.try_wait().expect("poll").is_none() {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        let _ = child.wait();
    }
    let last = run::run(dir.path(), &args, &env, LIMIT, None);
    no_panic(&last);
    assert_eq!(last.code, Some(0), "the last run completes: {}", last.all());
    let after = sb.stats();
    assert!(kills >= 5, "only {kills} runs were still going when killed");
    assert_eq!(after.candidates - before.candidates, WORKERS as u64);
    assert_eq!(after.payment_rates - before.payment_rates, 2);
    assert_eq!(after.timesheets - before.timesheets, WORKERS as u64);
    assert_eq!(after.duplicate_candidates, 0);
    assert_eq!(after.duplicate_timesheets, 0);
    rt.block_on(sb.shutdown());
}

/// The sandbox, its credentials as `NXSYS_*` variables, and a state directory.
struct Live {
    rt: tokio::runtime::Runtime,
    sb: nxsys_sandbox::SandboxHandle,
    dir: tempfile::TempDir,
}

impl Live {
    fn start(config: nxsys_sandbox::SandboxConfig) -> Live {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sb = rt.block_on(nxsys_sandbox::start(config)).expect("sandbox");
        let dir = tempfile::tempdir().expect("temp dir");
        Live { rt, sb, dir }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("NXSYS_CLIENT_ID", self.sb.client_id.clone()),
            ("NXSYS_CLIENT_SECRET", self.sb.client_secret.clone()),
            ("NXSYS_REFRESH_TOKEN", self.sb.refresh_token.clone()),
            (
                "NXSYS_TOKEN_STORE",
                self.dir.path().join("tokens.json").display().to_string(),
            ),
            ("NXSYS_BASE_URL", self.sb.base_url.clone()),
            (
                "NXSYS_STATE_DIR",
                self.dir.path().join("state").display().to_string(),
            ),
        ]
    }

    fn run(&self, args: &[&str]) -> run::Outcome {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run::run(self.dir.path(), args, &env, LIMIT, None)
    }
}

#[test]
fn a_report_that_cannot_be_written_keeps_the_exit_code_and_says_how_to_get_it() {
    let live = Live::start(Default::default());
    std::fs::write(live.dir.path().join("candidates.csv"), CANDIDATES).expect("input");
    // A folder where the report should go: the path passes the check before the run (a known
    // extension in an existing folder), and the write after it fails — as a full disk or a
    // folder turned read-only would, but also for root.
    let blocked = live.dir.path().join("run.xlsx");
    std::fs::create_dir(&blocked).expect("folder in the way");
    let out = live.run(&[
        "--no-progress",
        "import",
        "candidates.csv",
        "--report",
        "run.xlsx",
    ]);
    no_panic(&out);
    // The import landed: its exit code is the import's, not "cannot write the output" (2).
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(
        out.stderr.contains("cannot write the report run.xlsx")
            && out.stderr.contains("journal.sqlite")
            && out.stderr.contains("runs show")
            && out.stderr.contains("--report run.xlsx"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("Report: "), "{}", out.stdout);
    // Nothing half-written is left: no truncated report, no temporary file.
    assert!(blocked.is_dir());
    let partial: Vec<_> = std::fs::read_dir(live.dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(partial.is_empty(), "{partial:?}");
    // The row was sent and the journal says so; the report can be written afterwards.
    let states = journal_states(live.dir.path());
    assert_eq!(states, ["done"], "{}", out.all());
    assert_eq!(live.sb.stats().candidates, 1);
    let runs = live.run(&["runs", "list"]);
    assert_eq!(runs.code, Some(0), "{}", runs.all());
    assert!(runs.stdout.contains("finished"), "{}", runs.all());
    let run_id = runs
        .stdout
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a run")
        .to_string();
    let again = live.run(&["runs", "show", &run_id, "--report", "again.xlsx"]);
    assert_eq!(again.code, Some(0), "{}", again.all());
    assert!(live.dir.path().join("again.xlsx").is_file());
    live.rt.block_on(live.sb.shutdown());
}

#[test]
fn an_api_going_down_mid_run_stops_it_and_the_next_run_completes_it() {
    const WORKERS: usize = 12;
    let live = Live::start(nxsys_sandbox::SandboxConfig {
        latency_ms: Some((10, 30)),
        ..Default::default()
    });
    let files = write_batch(live.dir.path(), WORKERS);
    let before = live.sb.stats();
    let mut args = vec!["--no-progress", "import"];
    args.extend(files.iter().map(String::as_str));
    let env = live.env();
    let child = std::process::Command::new(run::bin())
        .args(&args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(live.dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start import");
    // Let some writes through, then every request fails with 500 until the run gives up.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while live.sb.stats().candidates - before.candidates < 3 && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    live.sb.set_faults(nxsys_sandbox::Faults {
        status500: 1.0,
        ..Default::default()
    });
    let first = child.wait_with_output().expect("first run ends");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(first.status.code(), Some(3), "{stderr}");
    let partway = live.sb.stats();
    assert!(
        partway.candidates - before.candidates < WORKERS as u64
            || partway.timesheets - before.timesheets < WORKERS as u64,
        "the outage came after the run had finished; nothing was tested"
    );
    live.sb.set_faults(nxsys_sandbox::Faults::default());
    let second = live.run(&args);
    no_panic(&second);
    assert_eq!(second.code, Some(0), "{}", second.all());
    let after = live.sb.stats();
    assert_eq!(after.candidates - before.candidates, WORKERS as u64);
    assert_eq!(after.payment_rates - before.payment_rates, 2);
    assert_eq!(after.timesheets - before.timesheets, WORKERS as u64);
    assert_eq!(after.duplicate_candidates, 0);
    assert_eq!(after.duplicate_timesheets, 0);
    live.rt.block_on(live.sb.shutdown());
}

/// A server that accepts, reads the request, then trickles one byte of an answer every few
/// seconds and never finishes it.
fn slow_loris() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: ".iter().cycle() {
                    if stream.write_all(&[*byte]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(3));
                }
            });
        }
    });
    format!("http://{addr}")
}

/// The answer starts but never finishes: the `--timeout 2` fires on each attempt and the run
/// stops with exit 3, nothing recorded as done.
#[test]
fn a_slow_loris_server_times_out_and_aborts_cleanly() {
    let base = slow_loris();
    let dir = tempfile::tempdir().expect("temp dir");
    let started = std::time::Instant::now();
    let out = import(dir.path(), &base);
    no_panic(&out);
    assert_eq!(out.code, Some(3), "{}", out.all());
    assert!(out.stderr.contains("did not answer"), "{}", out.stderr);
    // It gave up on its own (the harness would have killed it at LIMIT).
    assert!(started.elapsed() < LIMIT, "{:?}", started.elapsed());
    assert!(journal_states(dir.path()).iter().all(|s| s != "done"));
}

/// A loopback proxy in front of the sandbox that passes the first `allowed` token requests and
/// answers later ones `400 invalid_grant`, as Nxsys does for a revoked refresh token. The test
/// may raise `allowed` later.
async fn refusing_proxy(
    target: String,
    allowed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> String {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let seen = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let (seen, http, target) = (Arc::clone(&seen), http.clone(), target.clone());
            let allowed = allowed.load(Ordering::SeqCst);
            async move {
                if uri.path().ends_with("/oauth/token")
                    && seen.fetch_add(1, Ordering::SeqCst) >= allowed
                {
                    return (
                        StatusCode::BAD_REQUEST,
                        [("content-type", "application/json")],
                        Bytes::from_static(br#"{"error":"invalid_grant"}"#),
                    );
                }
                let mut request = http.request(method, format!("{target}{uri}")).body(body);
                for (name, value) in &headers {
                    if name != "host" && name != "content-length" {
                        request = request.header(name, value);
                    }
                }
                match request.send().await {
                    Ok(answer) => {
                        let status = StatusCode::from_u16(answer.status().as_u16())
                            .unwrap_or(StatusCode::BAD_GATEWAY);
                        let bytes = answer.bytes().await.unwrap_or_default();
                        (status, [("content-type", "application/json")], bytes)
                    }
                    Err(_) => (
                        StatusCode::BAD_GATEWAY,
                        [("content-type", "application/json")],
                        Bytes::new(),
                    ),
                }
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[test]
fn a_refresh_refused_mid_run_stops_cleanly_and_the_run_resumes() {
    const WORKERS: usize = 12;
    // Access tokens live one second, so the run must refresh while it works.
    let live = Live::start(nxsys_sandbox::SandboxConfig {
        latency_ms: Some((20, 40)),
        token_ttl: Duration::from_secs(1),
        ..Default::default()
    });
    let allowed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(1));
    let proxy = live.rt.block_on(refusing_proxy(
        live.sb.base_url.trim_end_matches('/').to_string(),
        std::sync::Arc::clone(&allowed),
    ));
    let files = write_batch(live.dir.path(), WORKERS);
    let before = live.sb.stats();
    let mut args = vec!["--no-progress", "--base-url", &proxy, "import"];
    args.extend(files.iter().map(String::as_str));
    let first = live.run(&args);
    no_panic(&first);
    assert_eq!(first.code, Some(3), "{}", first.all());
    assert!(first.stderr.contains("invalid_grant"), "{}", first.stderr);
    let partway = live.sb.stats();
    assert!(
        partway.timesheets - before.timesheets < WORKERS as u64,
        "the run finished before its token expired; nothing was tested"
    );
    // Refreshing works again: the stored (rotated) refresh token resumes the run.
    allowed.store(usize::MAX, std::sync::atomic::Ordering::SeqCst);
    let second = live.run(&args);
    no_panic(&second);
    assert_eq!(second.code, Some(0), "{}", second.all());
    let after = live.sb.stats();
    assert_eq!(after.candidates - before.candidates, WORKERS as u64);
    assert_eq!(after.timesheets - before.timesheets, WORKERS as u64);
    assert_eq!(after.duplicate_candidates, 0);
    assert_eq!(after.duplicate_timesheets, 0);
    live.rt.block_on(live.sb.shutdown());
}

#[test]
fn a_run_killed_while_saving_the_rotated_token_leaves_the_next_run_signed_in() {
    let live = Live::start(Default::default());
    std::fs::write(live.dir.path().join("candidates.csv"), CANDIDATES).expect("input");
    let marker = live.dir.path().join("paused");
    let store = live.dir.path().join("tokens.json");
    let env = live.env();
    // The first run exchanges the refresh token (the server retires it at once), writes the
    // successor to its temporary file and stops there; it is killed before the rename.
    let mut child = std::process::Command::new(run::bin())
        .args([
            "--no-progress",
            "import",
            "candidates.csv",
            "--report",
            "run.xlsx",
        ])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("NXSYS_TEST_PAUSE_BEFORE_TOKEN_RENAME", &marker)
        .current_dir(live.dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start nxsys-etl");
    let started = std::time::Instant::now();
    while !marker.exists() {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("the run ended ({status}) before reaching the pause point");
        }
        assert!(
            started.elapsed() < LIMIT,
            "the pause point was never reached"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let leftovers: Vec<_> = std::fs::read_dir(live.dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "the rotated token is only in the temporary file"
    );
    assert!(
        !std::fs::read_to_string(&store)
            .unwrap_or_default()
            .contains("refreshToken"),
        "the store was never written"
    );
    // The next run, with the same (now retired) NXSYS_REFRESH_TOKEN and no `auth login`,
    // recovers the successor and signs in.
    let out = live.run(&[
        "--no-progress",
        "import",
        "candidates.csv",
        "--report",
        "run.xlsx",
    ]);
    no_panic(&out);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(!out.all().contains("auth login"), "{}", out.all());
    assert_eq!(live.sb.stats().candidates, 1);
    live.rt.block_on(live.sb.shutdown());
}

/// The address space an import gets in the hostile-answer tests: far below what holding an
/// endless answer reaches, far above what the run needs.
const ENDLESS_MEMORY_MIB: u64 = 1024;

#[test]
fn an_endless_answer_is_cut_at_the_cap_with_exit_3_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = import_within(dir.path(), &serve_endless(true), Some(ENDLESS_MEMORY_MIB));
    no_panic(&out);
    assert_eq!(out.code, Some(3), "{}", out.all());
    assert!(
        out.stderr.contains("larger than 8 MiB") && out.stderr.contains("GET /"),
        "the message names the endpoint and the cap: {}",
        out.stderr
    );
    assert!(journal_states(dir.path()).iter().all(|s| s != "done"));
}

#[test]
fn an_endless_token_answer_is_cut_at_the_cap_with_exit_3_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = import_within(dir.path(), &serve_endless(false), Some(ENDLESS_MEMORY_MIB));
    no_panic(&out);
    assert_eq!(out.code, Some(3), "{}", out.all());
    assert!(
        out.stderr.contains("POST /nxsys/oauth/token") && out.stderr.contains("larger than 8 MiB"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_damaged_journal_is_said_once_and_listing_runs_creates_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let state_arg = state.display().to_string();
    // Listing the runs of a state directory that does not exist yet only reads: it says there
    // are none and creates nothing.
    let out = run::run(
        dir.path(),
        &["--state-dir", &state_arg, "runs", "list"],
        &[],
        LIMIT,
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(out.stdout.contains("No runs yet"), "{}", out.all());
    assert!(!state.exists(), "`runs list` created the state directory");

    std::fs::create_dir(&state).expect("state dir");
    std::fs::write(
        state.join("journal.sqlite"),
        "not a database at all, just text\n".repeat(200),
    )
    .expect("garbage");
    let out = run::run(
        dir.path(),
        &["--state-dir", &state_arg, "runs", "list"],
        &[],
        LIMIT,
        None,
    );
    no_panic(&out);
    assert_eq!(out.code, Some(3), "{}", out.all());
    assert_eq!(
        out.stderr.matches("not a database").count(),
        1,
        "said once: {}",
        out.stderr
    );
    assert!(out.stderr.contains("journal.sqlite"), "{}", out.stderr);
}
