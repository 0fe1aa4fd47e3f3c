//! Import memory, pinned: what an import holds must not grow with the batch beyond a small,
//! stated amount per timesheet, or a large agency's month no longer fits. The same generated
//! shape (a worker per five timesheets, four lines each) is imported at two sizes into fresh
//! sandboxes, each by the real binary, and each process writes its own peak resident memory
//! (`VmHWM`, through `NXSYS_PEAK_RSS_FILE`) as it ends. `wait4`'s `ru_maxrss` would not do: a
//! child's is never less than the peak of this test process, which other tests running beside
//! it make large. What the two sizes share (the binary, the runtime, buffers of a fixed size)
//! cancels out in the difference; what is left is the growth.
//!
//! The bound is 3 KiB per timesheet (with its four lines and a fifth of a worker), which leaves
//! room for the few MiB that RSS varies between runs. Before the report was streamed and the
//! records packed, this pair of imports grew by about 6 KiB a timesheet; since the listings and
//! a whole batch's timesheets are boiled down as they come, by 0.7–1.4 KiB (see BENCHMARKS.md,
//! "Import memory").

use crate::import::Env;

/// Allowed growth of the peak resident memory per timesheet, in KiB.
const KIB_PER_TIMESHEET: u64 = 3;
const SMALL: usize = 2000;
const LARGE: usize = 6000;

/// Import `timesheets` generated timesheets into a fresh sandbox; the peak resident memory of
/// the import process, in KiB, as the process itself reads it (`VmHWM`) at its end.
async fn import_peak(timesheets: usize) -> u64 {
    let env = Env::fast().await;
    let files = env
        .generated(timesheets / 5, 10, timesheets * 4, timesheets)
        .await;
    let mut args = vec!["-q", "import", "--rate", "5000"];
    let names = files.args();
    args.extend(names.iter().map(String::as_str));
    let peak_file = env.path("peak-rss");
    let out = env
        .command(&args)
        .env("NXSYS_PEAK_RSS_FILE", &peak_file)
        .output()
        .await
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "import exit status; stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let held = env.stats().timesheets;
    assert_eq!(held, timesheets as u64, "every timesheet landed");
    let peak = std::fs::read_to_string(&peak_file).unwrap_or_default();
    peak.trim()
        .parse()
        .unwrap_or_else(|_| panic!("the import wrote its peak memory, not {peak:?}"))
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_memory_grows_by_at_most_a_few_kib_per_timesheet() {
    let small = import_peak(SMALL).await;
    let large = import_peak(LARGE).await;
    let growth = large.saturating_sub(small);
    let per = growth as f64 / (LARGE - SMALL) as f64;
    eprintln!(
        "peak RSS: {small} KiB at {SMALL} timesheets, {large} KiB at {LARGE}: {per:.2} KiB per timesheet"
    );
    let bound = KIB_PER_TIMESHEET * (LARGE - SMALL) as u64;
    assert!(
        growth <= bound,
        "peak RSS grew by {growth} KiB from {SMALL} to {LARGE} timesheets ({per:.2} KiB each; \
         bound {KIB_PER_TIMESHEET} KiB each)"
    );
}
