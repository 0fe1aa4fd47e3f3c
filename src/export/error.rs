//! Why an export failed, and whose move it is: the user's (a filter, a worker reference or an
//! output path that cannot be used) or the API's (unreachable, sign-in refused, unreadable
//! answers). The command decides what exit code each deserves.

use thiserror::Error;

use super::destination::DestinationError;
use super::workers_file::WorkersFileError;
use crate::api::ApiError;

/// Worker-reference problems listed in one message; the rest are counted.
const PROBLEMS_SHOWN: usize = 20;

/// Why an export failed. [`ExportError::is_usage`] tells the user's mistakes from failures of
/// the API.
#[derive(Debug, Error)]
pub enum ExportError {
    /// `-o` cannot be written as given.
    #[error(transparent)]
    Destination(#[from] DestinationError),
    /// The `--workers-from` file cannot be read.
    #[error(transparent)]
    WorkersFile(#[from] WorkersFileError),
    /// Worker references that name no worker or several; each problem says where the reference
    /// came from.
    #[error("{}", list_problems(.problems))]
    UnusableWorkers { problems: Vec<String> },
    /// The worker filter was given but names nobody.
    #[error("the worker filter names no workers; nothing to export")]
    NoWorkers,
    /// The spool file on disk could not be used.
    #[error("cannot {action} the temporary spool file")]
    Spool {
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The task writing the files stopped before finishing.
    #[error("the export writer stopped unexpectedly")]
    WriterStopped(#[source] tokio::task::JoinError),
    /// The payslips or the workers could not be read from the API.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl ExportError {
    /// True when the user can fix the request and run again: a bad filter value the API
    /// refused, an unusable worker reference or file, an output that cannot be written. False
    /// when the API could not be used at all (unreachable, sign-in or permission refused,
    /// unreadable answers).
    pub fn is_usage(&self) -> bool {
        match self {
            ExportError::Api(ApiError::Rejected { status, .. }) => *status != 403,
            ExportError::Api(_) => false,
            // The writer is local work on the user's files, like the spool and the output.
            ExportError::Destination(_)
            | ExportError::WorkersFile(_)
            | ExportError::UnusableWorkers { .. }
            | ExportError::NoWorkers
            | ExportError::Spool { .. }
            | ExportError::WriterStopped(_) => true,
        }
    }
}

/// "N worker reference(s) cannot be used:" and the first [`PROBLEMS_SHOWN`] problems, one a line.
fn list_problems(problems: &[String]) -> String {
    let count = problems.len();
    let mut message = format!("{count} worker reference(s) cannot be used:");
    for problem in problems.iter().take(PROBLEMS_SHOWN) {
        message.push_str("\n  ");
        message.push_str(problem);
    }
    if count > PROBLEMS_SHOWN {
        message.push_str(&format!("\n  … and {} more", count - PROBLEMS_SHOWN));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(status: u16) -> ExportError {
        ExportError::Api(ApiError::Rejected {
            method: "GET".into(),
            path: "/nxsys/payslips".into(),
            status,
            code: None,
            message: "no".into(),
            field: None,
        })
    }

    #[test]
    fn a_refused_filter_is_the_users_a_refused_permission_is_not() {
        assert!(rejected(422).is_usage());
        assert!(!rejected(403).is_usage());
        assert!(!ExportError::Api(ApiError::Config("x".into())).is_usage());
        assert!(ExportError::NoWorkers.is_usage());
    }

    #[test]
    fn long_problem_lists_are_cut() {
        let problems: Vec<String> = (0..25).map(|n| format!("problem {n}")).collect();
        let text = ExportError::UnusableWorkers { problems }.to_string();
        assert!(text.starts_with("25 worker reference(s) cannot be used:\n  problem 0"));
        assert!(text.ends_with("\n  … and 5 more"), "{text}");
        assert_eq!(text.lines().count(), 1 + PROBLEMS_SHOWN + 1);
    }
}
