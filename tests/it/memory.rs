//! Import memory, pinned: what an import holds must not grow with the batch beyond a small,
//! stated amount per timesheet, or a large agency's month no longer fits. The same generated
//! shape (a worker per five timesheets, four lines each) is imported at two sizes into fresh
//! sandboxes, each by the real binary, and the peak resident memory of each process is read
//! from the kernel (`wait4`'s `ru_maxrss`). What the two sizes share (the binary, the runtime,
//! buffers of a fixed size) cancels out in the difference; what is left is the growth.
//!
//! The bound is 3 KiB per timesheet (with its four lines and a fifth of a worker), which leaves
//! room for the few MiB that RSS varies between runs. Before the report was streamed and the
//! records packed, this pair of imports grew by about 6 KiB a timesheet; it now grows by about
//! 1.5 KiB (see BENCHMARKS.md, "Import memory").

use std::path::Path;

use crate::import::Env;

/// Allowed growth of the peak resident memory per timesheet, in KiB.
const KIB_PER_TIMESHEET: u64 = 3;
const SMALL: usize = 2000;
const LARGE: usize = 6000;

/// Import `timesheets` generated timesheets into a fresh sandbox; the peak resident memory of
/// the import process, in KiB.
async fn import_peak(timesheets: usize) -> u64 {
    let env = Env::fast().await;
    let files = env
        .generated(timesheets / 5, 10, timesheets * 4, timesheets)
        .await;
    let mut args = vec!["-q", "import", "--rate", "5000"];
    let names = files.args();
    args.extend(names.iter().map(String::as_str));
    let mut cmd = env.command(&args);
    let log = env.path("import.log");
    let mut command = std::mem::replace(cmd.as_std_mut(), std::process::Command::new("true"));
    command
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"));
    let (status, kib) = tokio::task::spawn_blocking(move || peak_of(command))
        .await
        .expect("waits");
    assert_eq!(status, 0, "import exit status; stderr:\n{}", read(&log));
    let held = env.stats().timesheets;
    assert_eq!(held, timesheets as u64, "every timesheet landed");
    kib
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Run `command` to its end; its exit status and peak resident set size in KiB.
fn peak_of(mut command: std::process::Command) -> (i32, u64) {
    let child = command.spawn().expect("binary runs");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `usage` is a plain C struct the kernel fills in; `pid` is our own child, waited
    // for once here (std's `Child` is dropped without waiting again).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    drop(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // Linux reports ru_maxrss in KiB.
    (code, usage.ru_maxrss as u64)
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
