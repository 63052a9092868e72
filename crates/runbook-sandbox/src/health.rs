use std::fmt;
use std::str::FromStr;

/// Health of the fake Muninn Cloud deployment.
///
/// `Degraded` plays the "management database unreachable" incident of the
/// seed runbooks: `/health` and `/ready` answer 503, the pool is exhausted,
/// and every endpoint that needs the management database fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Health {
    #[default]
    Ok,
    Degraded,
}

impl Health {
    /// The word used by the control endpoint and the `/health` body.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not `ok` or `degraded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownHealth(pub String);

impl fmt::Display for UnknownHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown health {:?}: expected \"ok\" or \"degraded\"",
            self.0
        )
    }
}

impl std::error::Error for UnknownHealth {}

impl FromStr for Health {
    type Err = UnknownHealth;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let word = text.trim().trim_matches('"');
        if word.eq_ignore_ascii_case("ok") || word.eq_ignore_ascii_case("healthy") {
            Ok(Self::Ok)
        } else if word.eq_ignore_ascii_case("degraded") {
            Ok(Self::Degraded)
        } else {
            Err(UnknownHealth(text.to_owned()))
        }
    }
}
