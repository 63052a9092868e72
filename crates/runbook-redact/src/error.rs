use std::fmt;

/// Why a secret could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedactError {
    /// The matcher could not be built (the combined patterns exceed the automaton's limits).
    PatternSet { secret: String, reason: String },
}

impl fmt::Display for RedactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedactError::PatternSet { secret, reason } => write!(
                f,
                "cannot build the redaction matcher after adding secret {secret}: {reason}"
            ),
        }
    }
}

impl std::error::Error for RedactError {}
