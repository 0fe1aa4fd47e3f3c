//! Ctrl-C and SIGTERM during an import: the first asks the submission to stop (records in
//! flight finish and are journaled; the run ends `interrupted`, exit 130); a second quits at
//! once — anything then in flight is journaled as `sent` and searched for on resume, so
//! nothing is sent twice either way.

use super::exit::Exit;

/// The message a user sees when a run stops on a signal.
pub const INTERRUPTED: &str = "interrupted — run the same command again to resume";

/// Listen for Ctrl-C and SIGTERM for as long as the returned task runs (abort it when the
/// import is over).
pub fn listen(quiet: bool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if !signal().await {
            return;
        }
        crate::submit::request_stop();
        if !quiet {
            eprintln!(
                "\nstopping: sending nothing more, waiting for the requests in flight \
                 (press Ctrl-C again to quit at once)"
            );
        }
        if signal().await {
            eprintln!("{INTERRUPTED}");
            std::process::exit(Exit::Interrupted.code());
        }
    })
}

/// Wait for Ctrl-C (SIGINT) or SIGTERM; `false` when signals cannot be listened for.
async fn signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return tokio::signal::ctrl_c().await.is_ok();
        };
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.is_ok(),
            received = term.recv() => received.is_some(),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}
