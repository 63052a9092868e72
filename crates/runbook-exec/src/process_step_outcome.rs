use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

/// How a step's shell ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// The shell exited with this code (0 is success).
    Exited(i32),
    /// The shell was killed by this signal number, and not by us.
    Signaled(i32),
    /// The step exceeded its timeout and was stopped.
    TimedOut,
    /// The step was stopped through an [`crate::Interrupter`].
    Interrupted,
}

impl StepStatus {
    pub fn is_success(&self) -> bool {
        matches!(self, StepStatus::Exited(0))
    }

    /// How a shell process ended, as its parent saw it.
    pub(crate) fn from_exit_status(status: ExitStatus) -> Self {
        match status.code() {
            Some(code) => StepStatus::Exited(code),
            None => StepStatus::Signaled(status.signal().unwrap_or(0)),
        }
    }
}

/// What running one step produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    pub status: StepStatus,
    /// From starting the shell until it ended.
    pub duration: Duration,
    /// Captured stdout with surrounding whitespace trimmed, when the request asked for it.
    /// Invalid UTF-8 is replaced with U+FFFD.
    pub stdout: Option<String>,
    /// The step wrote more than 1 MiB to stdout; `stdout` holds only the beginning.
    pub stdout_truncated: bool,
    /// The shell saved its variables, functions and working directory, and later steps will see
    /// them. False when the shell could not save them: it was killed with SIGKILL, it replaced
    /// itself with `exec`, or the script installed its own EXIT trap and then called `exit`.
    /// The previously carried state is then kept unchanged.
    pub state_updated: bool,
}
