use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while setting up or reading the sandbox.
#[derive(Debug)]
pub enum SandboxError {
    /// The fake API could not listen on the requested address.
    Bind { address: String, source: io::Error },
    /// The accept loop thread could not be started.
    SpawnAcceptThread { source: io::Error },
    /// The request log file (`FakeApiConfig::log_path`) could not be opened.
    OpenRequestLog { path: PathBuf, source: io::Error },
    /// A directory or file of the sandbox's temporary tree could not be created.
    CreateSandboxPath { path: PathBuf, source: io::Error },
    /// The stub invocation log could not be read.
    ReadInvocationLog { path: PathBuf, source: io::Error },
    /// A line of the stub invocation log is not a JSON array of strings.
    CorruptInvocationLog {
        path: PathBuf,
        line_number: usize,
        reason: String,
    },
}

impl fmt::Display for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind { address, source } => {
                write!(f, "fake API cannot listen on {address}: {source}")
            }
            Self::SpawnAcceptThread { source } => {
                write!(f, "fake API cannot start its accept thread: {source}")
            }
            Self::OpenRequestLog { path, source } => write!(
                f,
                "fake API cannot open request log {}: {source}",
                path.display()
            ),
            Self::CreateSandboxPath { path, source } => {
                write!(f, "sandbox cannot create {}: {source}", path.display())
            }
            Self::ReadInvocationLog { path, source } => write!(
                f,
                "cannot read stub invocation log {}: {source}",
                path.display()
            ),
            Self::CorruptInvocationLog {
                path,
                line_number,
                reason,
            } => write!(
                f,
                "stub invocation log {} line {line_number} is not a JSON array of strings: {reason}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for SandboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind { source, .. }
            | Self::SpawnAcceptThread { source }
            | Self::OpenRequestLog { source, .. }
            | Self::CreateSandboxPath { source, .. }
            | Self::ReadInvocationLog { source, .. } => Some(source),
            Self::CorruptInvocationLog { .. } => None,
        }
    }
}

impl From<SandboxError> for io::Error {
    fn from(error: SandboxError) -> Self {
        let kind = match &error {
            SandboxError::Bind { source, .. }
            | SandboxError::SpawnAcceptThread { source }
            | SandboxError::OpenRequestLog { source, .. }
            | SandboxError::CreateSandboxPath { source, .. }
            | SandboxError::ReadInvocationLog { source, .. } => source.kind(),
            SandboxError::CorruptInvocationLog { .. } => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}
