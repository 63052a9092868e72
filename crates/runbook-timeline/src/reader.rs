use std::fmt;
use std::path::Path;

use crate::error::TimelineError;
use crate::event::{Event, EventKind, SCHEMA_VERSION};

/// Something odd found while reading a timeline. Reading carries on; nothing readable is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineWarning {
    /// The last line has no newline and is not a complete event: a write cut short by a crash.
    /// It was ignored.
    TornLastLine { line: usize, bytes: usize },
    /// The last line has no newline but is a complete event; it was kept.
    UnterminatedLastLine { line: usize },
    /// A line that is not a valid event; it was ignored.
    CorruptLine { line: usize, error: String },
    /// A known kind whose data could not be read; kept as [`EventKind::Unknown`].
    UnreadableData {
        line: usize,
        kind: String,
        error: String,
    },
    /// Written by a newer engine; fields this version does not know were ignored.
    NewerSchema { line: usize, version: u32 },
    /// Sequence numbers skip: events between were lost.
    SeqGap {
        line: usize,
        expected: u64,
        found: u64,
    },
    /// A sequence number not above the previous one.
    SeqNotIncreasing {
        line: usize,
        previous: u64,
        found: u64,
    },
}

impl fmt::Display for TimelineWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimelineWarning::TornLastLine { line, bytes } => write!(
                f,
                "line {line}: incomplete last line ({bytes} bytes, probably cut short by a crash) ignored"
            ),
            TimelineWarning::UnterminatedLastLine { line } => {
                write!(f, "line {line}: last line has no trailing newline")
            }
            TimelineWarning::CorruptLine { line, error } => {
                write!(f, "line {line}: corrupt event ignored: {error}")
            }
            TimelineWarning::UnreadableData { line, kind, error } => write!(
                f,
                "line {line}: data of {kind} event could not be read ({error}); kept unparsed"
            ),
            TimelineWarning::NewerSchema { line, version } => write!(
                f,
                "line {line}: written with schema version {version} (this runbook reads {SCHEMA_VERSION}); unknown fields ignored"
            ),
            TimelineWarning::SeqGap {
                line,
                expected,
                found,
            } => {
                let missing = found - expected;
                write!(
                    f,
                    "line {line}: sequence jumps from {} to {found}: {missing} event(s) lost",
                    expected - 1
                )
            }
            TimelineWarning::SeqNotIncreasing {
                line,
                previous,
                found,
            } => write!(
                f,
                "line {line}: sequence number {found} does not follow {previous}"
            ),
        }
    }
}

/// Reads a whole timeline file. See [`parse_timeline`].
///
/// Only regular files are read: a timeline replaced by a device or pipe (`/dev/zero`,
/// `/dev/full`, a FIFO) would otherwise be read forever.
pub fn read_timeline(path: &Path) -> Result<(Vec<Event>, Vec<TimelineWarning>), TimelineError> {
    let mut file =
        std::fs::File::open(path).map_err(|e| TimelineError::io("read timeline", path, e))?;
    let metadata = file
        .metadata()
        .map_err(|e| TimelineError::io("read timeline", path, e))?;
    if !metadata.is_file() {
        return Err(TimelineError::io(
            "read timeline",
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file (a device, pipe or directory)",
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    std::io::Read::read_to_end(&mut file, &mut bytes)
        .map_err(|e| TimelineError::io("read timeline", path, e))?;
    Ok(parse_timeline(&bytes))
}

/// Parses timeline bytes into events in file order, with warnings for torn, corrupt or
/// out-of-sequence lines.
pub fn parse_timeline(bytes: &[u8]) -> (Vec<Event>, Vec<TimelineWarning>) {
    let mut events: Vec<Event> = Vec::new();
    let mut warnings = Vec::new();
    let terminated = bytes.is_empty() || bytes.ends_with(b"\n");
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let lines: Vec<&[u8]> = if body.is_empty() && terminated {
        Vec::new()
    } else {
        body.split(|&b| b == b'\n').collect()
    };
    let mut warned_newer_schema = false;
    let mut previous_seq: Option<u64> = None;

    for (index, raw) in lines.iter().enumerate() {
        let line = index + 1;
        let is_last = index + 1 == lines.len();
        if raw.trim_ascii().is_empty() {
            continue;
        }
        let parsed = serde_json::from_slice::<Event>(raw);
        let event = match parsed {
            Ok(event) => {
                if is_last && !terminated {
                    warnings.push(TimelineWarning::UnterminatedLastLine { line });
                }
                event
            }
            Err(_) if is_last && !terminated => {
                warnings.push(TimelineWarning::TornLastLine {
                    line,
                    bytes: raw.len(),
                });
                continue;
            }
            Err(error) => {
                warnings.push(TimelineWarning::CorruptLine {
                    line,
                    error: error.to_string(),
                });
                continue;
            }
        };
        if event.v > SCHEMA_VERSION && !warned_newer_schema {
            warned_newer_schema = true;
            warnings.push(TimelineWarning::NewerSchema {
                line,
                version: event.v,
            });
        }
        if let EventKind::Unknown { kind, data } = &event.kind
            && EventKind::is_known_kind(kind)
            && let Err(error) = EventKind::from_parts(kind, data.clone())
        {
            warnings.push(TimelineWarning::UnreadableData {
                line,
                kind: kind.clone(),
                error: error.to_string(),
            });
        }
        let expected = previous_seq.map_or(1, |seq| seq + 1);
        if event.seq > expected {
            warnings.push(TimelineWarning::SeqGap {
                line,
                expected,
                found: event.seq,
            });
        } else if let Some(previous) = previous_seq
            && event.seq <= previous
        {
            warnings.push(TimelineWarning::SeqNotIncreasing {
                line,
                previous,
                found: event.seq,
            });
        }
        previous_seq = Some(previous_seq.map_or(event.seq, |p| p.max(event.seq)));
        events.push(event);
    }
    (events, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_refused_instead_of_read_forever() {
        let error = read_timeline(Path::new("/dev/zero")).expect_err("not a regular file");
        assert!(error.to_string().contains("not a regular file"), "{error}");
    }
}
