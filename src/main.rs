use clap::Parser;
use nxsys_etl::cli::Cli;
use nxsys_etl::commands::{self, exit};

fn main() {
    restore_sigpipe();
    return_large_blocks();
    let cli = Cli::parse();
    let code = match commands::run(cli) {
        Ok(exit) => exit.code(),
        Err(error) => {
            eprintln!("error: {}", exit::describe(&error));
            exit::exit_for(&error).code()
        }
    };
    write_peak_memory();
    std::process::exit(code);
}

/// With `NXSYS_PEAK_RSS_FILE` set, write this process's peak resident memory there at exit, in
/// KiB (`VmHWM`, Linux): what the memory test and benchmarks read. The kernel's `ru_maxrss` of
/// a child cannot serve them: it is never less than the peak of the process that spawned it
/// (`exec` keeps the larger), so a test process of 120 MiB sees every child as 120 MiB.
fn write_peak_memory() {
    let Some(path) = std::env::var_os("NXSYS_PEAK_RSS_FILE") else {
        return;
    };
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1).map(str::to_string)
        });
    if let Some(kib) = peak
        && let Err(e) = std::fs::write(&path, kib)
    {
        eprintln!("warning: the peak memory could not be written to {path:?}: {e}");
    }
}

/// Rust ignores SIGPIPE, so `nxsys-etl validate … | head` would panic on the closed pipe. Like
/// other Unix filters, end quietly instead.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// glibc raises its mmap threshold to the size of the largest block freed so far, after which
/// list pages and answer bodies (a few hundred KiB each) are carved from the heap and their
/// freed space lingers there: an import of 20,000 timesheets peaked 14 % higher. A fixed
/// threshold of 128 KiB keeps such blocks mapped and gives them back when freed.
fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in main, before any other thread allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
