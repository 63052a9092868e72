use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::process_output::OutputStream;

/// Why the shell layer could not run a step or keep its state.
///
/// A step that runs and fails is not an error (see [`crate::StepStatus`]); these are failures of
/// the machinery around it: bad configuration, an unusable working directory, I/O on the private
/// state directory, or the operating system refusing to start or watch the shell.
#[derive(Debug)]
pub enum ExecIoError {
    /// The SIGCHLD watch that tells the session when a step's shell exits could not be set up.
    WatchChildren { source: io::Error },
    /// The private state directory could not be created.
    CreateStateDir { parent: PathBuf, source: io::Error },
    /// The session configuration is unusable.
    InvalidConfig { reason: String },
    /// An environment variable (base or per-step) cannot be passed to the shell.
    InvalidEnvironment { name: String, reason: String },
    /// A positional argument cannot be passed to the shell.
    InvalidArgument { index: usize, reason: String },
    /// The directory the step should start in is not usable.
    WorkingDirectory { path: PathBuf, reason: String },
    /// The step's script could not be written to the private state directory.
    WriteScript { path: PathBuf, source: io::Error },
    /// The shell program could not be started.
    Spawn { shell: PathBuf, source: io::Error },
    /// Reading the step's output failed.
    ReadOutput {
        stream: OutputStream,
        source: io::Error,
    },
    /// Waiting for the step's shell to finish failed.
    WaitForStep { pid: u32, source: io::Error },
    /// The state the step's shell saved could not be read.
    ReadState { path: PathBuf, source: io::Error },
    /// The state the step's shell saved is not in the expected `declare -p` format.
    MalformedStateDump { path: PathBuf, reason: String },
    /// The carried state could not be written for the next step.
    WriteState { path: PathBuf, source: io::Error },
    /// `restore` was given state that cannot be carried.
    InvalidRestore { reason: String },
    /// The request file or an output FIFO of a step could not be set up in the private state
    /// directory.
    PrepareStep { path: PathBuf, source: io::Error },
    /// The session's step server could not start the step, twice in a row.
    StepServer { reason: String },
}

impl fmt::Display for ExecIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecIoError::CreateStateDir { parent, source } => write!(
                f,
                "cannot create the private shell state directory in {}: {source}",
                parent.display()
            ),
            ExecIoError::WatchChildren { source } => {
                write!(
                    f,
                    "cannot watch for step shells exiting (SIGCHLD): {source}"
                )
            }
            ExecIoError::InvalidConfig { reason } => {
                write!(f, "invalid shell session configuration: {reason}")
            }
            ExecIoError::InvalidEnvironment { name, reason } => {
                write!(
                    f,
                    "cannot pass environment variable `{name}` to the step shell: {reason}"
                )
            }
            ExecIoError::InvalidArgument { index, reason } => {
                write!(
                    f,
                    "cannot pass positional argument ${index} to the step shell: {reason}"
                )
            }
            ExecIoError::WorkingDirectory { path, reason } => {
                write!(f, "cannot run the step in {}: {reason}", path.display())
            }
            ExecIoError::WriteScript { path, source } => {
                write!(
                    f,
                    "cannot write the step script {}: {source}",
                    path.display()
                )
            }
            ExecIoError::Spawn { shell, source } => {
                write!(
                    f,
                    "cannot start the step shell `{}`: {source}",
                    shell.display()
                )
            }
            ExecIoError::ReadOutput { stream, source } => {
                write!(f, "cannot read the step's {stream}: {source}")
            }
            ExecIoError::WaitForStep { pid, source } => {
                write!(f, "cannot wait for the step shell (pid {pid}): {source}")
            }
            ExecIoError::ReadState { path, source } => {
                write!(
                    f,
                    "cannot read the shell state saved at {}: {source}",
                    path.display()
                )
            }
            ExecIoError::MalformedStateDump { path, reason } => write!(
                f,
                "the shell state saved at {} is malformed: {reason}",
                path.display()
            ),
            ExecIoError::WriteState { path, source } => {
                write!(
                    f,
                    "cannot write the carried shell state to {}: {source}",
                    path.display()
                )
            }
            ExecIoError::InvalidRestore { reason } => {
                write!(f, "cannot restore the shell state: {reason}")
            }
            ExecIoError::PrepareStep { path, source } => {
                write!(
                    f,
                    "cannot prepare {} for the step: {source}",
                    path.display()
                )
            }
            ExecIoError::StepServer { reason } => {
                write!(f, "cannot start the step in the session's shell: {reason}")
            }
        }
    }
}

impl std::error::Error for ExecIoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExecIoError::CreateStateDir { source, .. }
            | ExecIoError::WatchChildren { source }
            | ExecIoError::WriteScript { source, .. }
            | ExecIoError::Spawn { source, .. }
            | ExecIoError::ReadOutput { source, .. }
            | ExecIoError::WaitForStep { source, .. }
            | ExecIoError::ReadState { source, .. }
            | ExecIoError::WriteState { source, .. }
            | ExecIoError::PrepareStep { source, .. } => Some(source),
            ExecIoError::InvalidConfig { .. }
            | ExecIoError::InvalidEnvironment { .. }
            | ExecIoError::InvalidArgument { .. }
            | ExecIoError::WorkingDirectory { .. }
            | ExecIoError::MalformedStateDump { .. }
            | ExecIoError::InvalidRestore { .. }
            | ExecIoError::StepServer { .. } => None,
        }
    }
}
