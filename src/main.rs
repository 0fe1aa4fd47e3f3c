use clap::Parser;
use nxsys_etl::cli::Cli;
use nxsys_etl::commands::{self, exit};

fn main() {
    restore_sigpipe();
    let cli = Cli::parse();
    let code = match commands::run(cli) {
        Ok(exit) => exit.code(),
        Err(error) => {
            eprintln!("error: {}", exit::describe(&error));
            exit::exit_for(&error).code()
        }
    };
    std::process::exit(code);
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
