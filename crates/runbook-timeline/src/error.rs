use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong reading or writing timelines, step logs and exports.
#[derive(Debug)]
pub enum TimelineError {
    /// A filesystem operation failed; `action` says what we were doing.
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// An event was written (its bytes reached the file) but could not be made durable.
    NotDurable {
        path: PathBuf,
        source: io::Error,
    },
    Serialize {
        what: &'static str,
        source: serde_json::Error,
    },
    Template {
        what: String,
        message: String,
    },
    NoRuns {
        state_dir: PathBuf,
    },
    RunNotFound {
        state_dir: PathBuf,
        query: String,
    },
    AmbiguousRun {
        query: String,
        candidates: Vec<String>,
    },
}

impl TimelineError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        TimelineError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for TimelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimelineError::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            TimelineError::NotDurable { path, source } => write!(
                f,
                "event written to {} but not flushed to disk (fsync failed): {source}",
                path.display()
            ),
            TimelineError::Serialize { what, source } => {
                write!(f, "cannot serialize {what}: {source}")
            }
            TimelineError::Template { what, message } => write!(f, "{what}: {message}"),
            TimelineError::NoRuns { state_dir } => {
                write!(f, "no runs recorded under {}", state_dir.display())
            }
            TimelineError::RunNotFound { state_dir, query } => {
                write!(f, "no run matching {query:?} under {}", state_dir.display())
            }
            TimelineError::AmbiguousRun { query, candidates } => write!(
                f,
                "run id prefix {query:?} is ambiguous; it matches {}",
                candidates.join(", ")
            ),
        }
    }
}

impl std::error::Error for TimelineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TimelineError::Io { source, .. } | TimelineError::NotDurable { source, .. } => {
                Some(source)
            }
            TimelineError::Serialize { source, .. } => Some(source),
            _ => None,
        }
    }
}
