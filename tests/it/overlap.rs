//! Overlapping runs: one writer per API tenant (base URL and client id) on a machine, whatever
//! the batch and whatever the state directory — two runs at once could create the same worker
//! or timesheet twice.

use nxsys_etl::journal::Journal;
use nxsys_sandbox::SandboxConfig;

use super::import::{Batch, Env};

/// The tenant string the tool locks for the test's sandbox.
fn tenant(env: &Env) -> String {
    let base = url::Url::parse(&env.sandbox.base_url).expect("sandbox URL");
    format!("{base} client {}", env.sandbox.client_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_sending_to_the_same_account_is_refused_in_any_state_dir() {
    let env = Env::fast().await;
    let files = Batch::new(2, 1).write(env.dir.path());
    let before = env.stats();
    // Another run holds the account, with its journal elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let mut lock = Journal::open(elsewhere.path())
        .unwrap()
        .lock_tenant(&tenant(&env))
        .unwrap();
    lock.describe("run 20261130-000000-abcd, pid 4242");
    let refused = env.import(&files, &["--rate", "500"]).await;
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("another nxsys-etl is sending to this Nxsys account")
            && refused
                .stderr
                .contains("run 20261130-000000-abcd, pid 4242"),
        "{}",
        refused.stderr
    );
    assert_eq!(env.stats().candidates, before.candidates, "nothing sent");
    // A dry run sends nothing, so it is not held up.
    let plan = env.import(&files, &["--dry-run"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    drop(lock);
    let run = env.import(&files, &["--rate", "500"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_imports_started_together_never_duplicate() {
    let env = Env::start(SandboxConfig {
        latency_ms: Some((5, 20)),
        ..SandboxConfig::default()
    })
    .await;
    // Two batches that differ in one cell, same state dir; then the same batch from two state
    // dirs. Whichever starts second is refused (or, if the first already finished, finds
    // everything there).
    let a = Batch::new(30, 1);
    let mut b = a.clone();
    b.hours = "40";
    std::fs::create_dir(env.path("a")).unwrap();
    std::fs::create_dir(env.path("b")).unwrap();
    let (fa, fb) = (a.write(&env.path("a")), b.write(&env.path("b")));
    let cases: [(&super::import::Files, &str, &super::import::Files, &str); 2] = [
        (&fa, "state", &fb, "state"),
        (&fa, "state-1", &fa, "state-2"),
    ];
    let args = [
        "--json",
        "import",
        "--rate",
        "500",
        "--allow-duplicate-batch",
        "--accept",
        "pay",
    ];
    for (first, first_state, second, second_state) in cases {
        let mut one = env.command_with_state(&env.path(first_state), &args);
        one.args(first.args());
        let mut two = env.command_with_state(&env.path(second_state), &args);
        two.args(second.args());
        // The second starts once the first has signed in (the refresh token rotates; two
        // sign-ins racing on one token store is the store's own case), so both are running.
        let store = env.path("tokens.json");
        let signed_in = std::fs::read(&store).ok();
        let one = tokio::spawn(one.output());
        for _ in 0..500 {
            if std::fs::read(&store).ok() != signed_in {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let two = two.output().await;
        let one = one.await.expect("first import");
        for out in [one.unwrap(), two.unwrap()] {
            let code = out.status.code();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                code == Some(0)
                    || (code == Some(2) && stderr.contains("another nxsys-etl is sending")),
                "{code:?}: {stderr}"
            );
        }
        let stats = env.stats();
        assert_eq!(
            (stats.duplicate_candidates, stats.duplicate_timesheets),
            (0, 0),
            "{stats:?}"
        );
        assert_eq!(stats.candidates, 30);
    }
}
