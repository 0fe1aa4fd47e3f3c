//! Exit codes of the command-line contract and the error type that carries one.

use std::fmt;

use crate::model::{Counts, Outcome};

/// How a run ended, as the shell sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Every row done.
    Ok = 0,
    /// Finished, but some rows were invalid or rejected.
    Rows = 1,
    /// Usage, configuration or unreadable input.
    Usage = 2,
    /// Aborted: authentication, API unreachable, journal error.
    Aborted = 3,
    /// Interrupted by Ctrl-C or SIGTERM (128 + SIGINT, the shell's convention); the run is
    /// resumable.
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The exit status of an import run from its records' outcomes: 0 when every record landed
    /// (or would, for a dry run), 1 when some are invalid, rejected or blocked, 3 when some are
    /// still pending (the run stopped).
    pub fn of_run(counts: &Counts) -> Exit {
        if counts.get(Outcome::Pending) > 0 {
            Exit::Aborted
        } else if counts.get(Outcome::Invalid)
            + counts.get(Outcome::Rejected)
            + counts.get(Outcome::ServerError)
            + counts.get(Outcome::Blocked)
            + counts.get(Outcome::Held)
            > 0
        {
            Exit::Rows
        } else {
            Exit::Ok
        }
    }
}

/// An error that knows which exit code it deserves. Anything else that reaches `main`
/// is treated as [`Exit::Usage`] unless a command wraps it.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn usage(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            exit: Exit::Usage,
            error: error.into(),
        }
    }

    pub fn interrupted(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            exit: Exit::Interrupted,
            error: error.into(),
        }
    }

    pub fn aborted(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            exit: Exit::Aborted,
            error: error.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(&self.error))
    }
}

/// An error and its causes in one line, each said once: a cause whose words the message already
/// holds (most of this tool's errors quote their source: "journal F: file is not a database")
/// is not repeated.
pub fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let said = cause.to_string();
        if said.is_empty() || text.contains(&said) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&said);
    }
    text
}

impl std::error::Error for Failure {}

/// The exit code for an error that reached the top: a [`Failure`] anywhere in the chain decides,
/// otherwise it is a usage/input problem.
pub fn exit_for(error: &anyhow::Error) -> Exit {
    error
        .chain()
        .find_map(|e| e.downcast_ref::<Failure>().map(|f| f.exit))
        .unwrap_or(Exit::Usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(outcomes: &[(Outcome, usize)]) -> Counts {
        outcomes
            .iter()
            .flat_map(|(o, n)| std::iter::repeat_n(*o, *n))
            .collect()
    }

    #[test]
    fn each_cause_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("journal j.sqlite: {source}")]
        struct Quoting {
            source: std::io::Error,
        }
        let inner = Quoting {
            source: std::io::Error::other("file is not a database"),
        };
        let error = anyhow::Error::from(Failure::aborted(
            anyhow::Error::from(inner).context("cannot list the runs"),
        ));
        assert_eq!(
            describe(&error),
            "cannot list the runs: journal j.sqlite: file is not a database"
        );
        assert_eq!(
            describe(&anyhow::anyhow!("plain")),
            "plain",
            "a lone message is kept as it is"
        );
    }

    #[test]
    fn outcomes_map_to_exit_statuses() {
        // The outcomes of the report's sample run: some rows did not land.
        let sample = counts(&[
            (Outcome::Created, 3),
            (Outcome::Updated, 1),
            (Outcome::Rejected, 1),
            (Outcome::Invalid, 1),
        ]);
        assert_eq!(Exit::of_run(&sample), Exit::Rows);
        let landed = counts(&[(Outcome::Created, 2), (Outcome::WouldUpdate, 1)]);
        assert_eq!(Exit::of_run(&landed), Exit::Ok);
        let stopped = counts(&[(Outcome::Blocked, 1), (Outcome::Pending, 1)]);
        assert_eq!(Exit::of_run(&stopped), Exit::Aborted);
    }
}
