//! Learning the server's rate limit (issue 16): an import asking more than a rate-limited
//! sandbox allows keeps the limit it measured in the journal, never above the sandbox's, and
//! the next import against the same server starts from it instead of being refused again.

use std::time::Duration;

use nxsys_etl::api::ServerTraits;
use nxsys_etl::journal::Journal;
use nxsys_sandbox::{Quirks, SandboxConfig};

use crate::import::{Batch, Env};

const LIMIT: u32 = 10;

/// The rate limit the journal keeps for the sandbox.
fn learnt(env: &Env) -> Option<u32> {
    let journal = Journal::open(&env.path("state")).expect("journal");
    let base = format!("{}/", env.sandbox.base_url.trim_end_matches('/'));
    let traits: Option<ServerTraits> = journal.learnt(&base).expect("readable");
    traits.and_then(|t| t.rate_limit)
}

/// A sandbox allowing `LIMIT` requests a second, with `quirks` (comma-separated).
async fn limited(quirks: &str) -> Env {
    Env::start(SandboxConfig {
        rate_limit: Some(LIMIT),
        quirks: Quirks::parse(quirks).expect("quirk"),
        ..SandboxConfig::default()
    })
    .await
}

/// Import the batch `name` (`periods` periods) asking 40 requests a second: four times what
/// the sandbox allows. It must succeed.
async fn over_ask(env: &Env, name: &str, periods: u32) {
    let run = env
        .import(&batch(env, name, periods), &["--rate", "40"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// `Batch::new(workers, periods)` written into its own folder.
fn batch(env: &Env, name: &str, periods: u32) -> crate::import::Files {
    let dir = env.path(name);
    std::fs::create_dir_all(&dir).expect("batch folder");
    Batch::new(30, periods).write(&dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_asking_import_keeps_the_limit_it_measured_and_the_next_starts_from_it() {
    let env = limited("").await;
    // Four times what the server allows, nothing known of it yet.
    over_ask(&env, "april", 1).await;
    let first = env.stats().rate_limited;
    assert!(first > 0, "the sandbox pushed back");
    let limit = learnt(&env).expect("a limit was measured and kept");
    assert!(
        (1..=LIMIT).contains(&limit),
        "learnt {limit} of a {LIMIT}/s server"
    );

    // The server's allowance refills; the next month's timesheets for the same workers,
    // asking as much again: it starts a little below the learnt limit, so is not refused.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    over_ask(&env, "may", 2).await;
    let second = env.stats().rate_limited - first;
    eprintln!("429s: {first} while learning ({limit}/s learnt), {second} after");
    assert!(
        second < first,
        "refused {second} times after learning, {first} before"
    );
    let kept = learnt(&env).expect("still kept");
    assert!(
        (1..=LIMIT).contains(&kept),
        "learnt {kept} of a {LIMIT}/s server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stating_its_limit_in_headers_is_not_over_asked() {
    let env = limited("rate-limit-headers").await;
    over_ask(&env, "april", 1).await;
    // The first answers (the token's own does not count: it is the login's) state the limit
    // before the server's burst is spent.
    assert_eq!(env.stats().rate_limited, 0, "no request was refused");
    assert_eq!(learnt(&env), Some(LIMIT), "the stated limit is kept");
}
