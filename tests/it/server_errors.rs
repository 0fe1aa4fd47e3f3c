//! A server that keeps failing (5xx) on some writes: one bad record must not stop a month's
//! payroll, and a server that fails everything must stop the run early, resumably.

use nxsys_sandbox::{Faults, SandboxConfig};

use crate::import::{Batch, Env, count};

/// Fast enough for 1,000 records against the (unlimited) sandbox.
const FAST: [&str; 4] = ["--rate", "1000", "--concurrency", "8"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_poisoned_worker_among_500_fails_alone_and_the_rest_lands() {
    let env = Env::start(SandboxConfig {
        faults: Faults::parse("poison=AG00042").expect("fault"),
        ..SandboxConfig::default()
    })
    .await;
    let files = Batch::new(500, 1).write(env.dir.path());
    let run = env.import(&files, &FAST).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let summary = run.json();
    assert_eq!(summary["server_errors"], 1, "{summary}");
    assert_eq!(summary["blocked"], 1, "{summary}");
    assert_eq!(summary["created"], 499 + 2 + 499, "{summary}");
    let stats = env.stats();
    assert_eq!((stats.candidates, stats.timesheets), (499, 499));

    let report = env.report(summary["run_id"].as_str().unwrap()).await;
    assert_eq!(count(&report, "server-error"), 1);
    let rows = crate::import::records(&report);
    let poisoned = rows.iter().find(|r| r["key"] == "AG00042").unwrap();
    assert_eq!(poisoned["outcome"], "server-error");
    assert!(
        poisoned["message"].as_str().unwrap().contains("HTTP 500"),
        "{poisoned}"
    );
    let blocked = rows
        .iter()
        .find(|r| r["outcome"] == "blocked")
        .expect("its timesheet");
    let why = blocked["message"].as_str().unwrap();
    assert!(
        why.contains("AG00042") && why.contains("server failed on it"),
        "{why}"
    );

    // The server is mended: the same import sends the two records left, nothing else.
    env.sandbox.set_faults(Faults::default());
    let again = env.import(&files, &FAST).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    let stats = env.stats();
    assert_eq!((stats.candidates, stats.timesheets), (500, 500));
    assert_eq!(
        (stats.duplicate_candidates, stats.duplicate_timesheets),
        (0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_failing_every_write_stops_the_run_early_and_it_resumes_cleanly() {
    let env = Env::start(SandboxConfig {
        // Every worker's body holds its Agency Ref "AG…": every candidate write fails.
        faults: Faults::parse("poison=AG0").expect("fault"),
        ..SandboxConfig::default()
    })
    .await;
    let files = Batch::new(60, 1).write(env.dir.path());
    let started = std::time::Instant::now();
    let run = env.import(&files, &FAST).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("in a row"), "{}", run.stderr);
    let writes = env.stats().writes;
    // A handful of records (the five in a row, and those in flight beside them), each sent a
    // few times within its budget — not the 60 workers.
    assert!(writes <= 8 * 6, "{writes} writes before the stop");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the stop took {:?}",
        started.elapsed()
    );
    env.sandbox.set_faults(Faults::default());
    let again = env.import(&files, &FAST).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    let stats = env.stats();
    assert_eq!((stats.candidates, stats.timesheets), (60, 60));
    assert_eq!(
        (stats.duplicate_candidates, stats.duplicate_timesheets),
        (0, 0)
    );
}

/// A few seconds of 500s to everything in the middle of a run are ridden out: reads wait
/// within their 20 s budget, writes are searched for and sent again within their 10 s one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_outage_mid_run_is_ridden_out() {
    let env = Env::fast().await;
    let files = Batch::new(150, 2).write(env.dir.path());
    let mut args = vec!["--json", "import"];
    let paths = files.args();
    args.extend(paths.iter().map(String::as_str));
    args.extend(["--rate", "200", "--concurrency", "4"]);
    let child = env.command(&args).spawn().expect("import starts");
    // Once some workers have landed, the server fails everything for three seconds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while env.stats().candidates < 20 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    env.sandbox.set_faults(Faults {
        status500: 1.0,
        ..Faults::default()
    });
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let during = env.stats();
    env.sandbox.set_faults(Faults::default());
    let out = child.wait_with_output().await.expect("import ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        during.faults_injected > 0,
        "the outage came too late to test"
    );
    let stats = env.stats();
    assert_eq!((stats.candidates, stats.timesheets), (150, 300));
    assert_eq!(
        (stats.duplicate_candidates, stats.duplicate_timesheets),
        (0, 0)
    );
}
