//! Exit codes of the command-line contract and the error type that carries one.

use std::fmt;

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
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
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

    pub fn aborted(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            exit: Exit::Aborted,
            error: error.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
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
