//! Request economy, pinned: the API's rate limit is the wall every import runs into, so the
//! requests an import spends per record are what users feel. A generated month (1,000 workers,
//! 20 pay codes, 2,000 timesheets) against the sandbox:
//!
//! - first import: requests ≤ writes + ⌈records ÷ 100⌉ + 20 (what the server holds is learnt by
//!   listing, 100 a page, never one read per record);
//! - the same batch again with nothing changed: requests ≤ ⌈records ÷ 100⌉ + 20 (a worker whose
//!   sheet and listed server copy are as the last run left them is not read again).

use crate::import::Env;

const WORKERS: usize = 1000;
const PAY_CODES: usize = 20;
const TIMESHEETS: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_and_its_no_change_repeat_spend_requests_near_the_minimum() {
    let env = Env::fast().await;
    let files = env
        .generated(WORKERS, PAY_CODES, TIMESHEETS * 2, TIMESHEETS)
        .await;
    let records = (WORKERS + PAY_CODES + TIMESHEETS) as u64;
    let fast = ["--rate", "2000", "--concurrency", "8"];

    let before = env.stats();
    let run = env.import(&files, &fast).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = env.stats();
    let writes = after.writes - before.writes;
    let requests = after.requests - before.requests;
    assert_eq!(writes, records, "one write per record");
    let bound = writes + records.div_ceil(100) + 20;
    eprintln!("first import: {requests} requests for {writes} writes (bound {bound})");
    assert!(requests <= bound, "{requests} requests (bound {bound})");

    let mut again = fast.to_vec();
    again.push("--allow-duplicate-batch");
    let run = env.import(&files, &again).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["unchanged"], records, "{}", run.stdout);
    let last = env.stats();
    let requests = last.requests - after.requests;
    assert_eq!(last.writes, after.writes, "nothing written");
    let bound = records.div_ceil(100) + 20;
    eprintln!("no-change import: {requests} requests (bound {bound})");
    assert!(requests <= bound, "{requests} requests (bound {bound})");
}
