//! The on-disk event schema: one [`Event`] per line of `timeline.jsonl`.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use ulid::Ulid;

/// Version written in every event's `v` field.
pub const SCHEMA_VERSION: u32 = 1;

/// One line of the timeline. `seq`, `id` and `recorded_at` are assigned by the writer.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Schema version the line was written with.
    pub v: u32,
    /// 1, 2, 3, … in file order; a gap means a lost write.
    pub seq: u64,
    pub id: Ulid,
    /// When it happened (millisecond precision, UTC). May predate `recorded_at` for events
    /// entered after the fact.
    pub ts: Timestamp,
    /// When the line was written.
    pub recorded_at: Timestamp,
    /// `user@host`, or `automation`.
    pub actor: String,
    pub step: Option<String>,
    pub kind: EventKind,
    /// The event this one corrects.
    pub supersedes: Option<Ulid>,
}

/// An event before the writer has numbered and stamped it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub kind: EventKind,
    pub step: Option<String>,
    /// When it happened; `None` means now.
    pub ts: Option<Timestamp>,
    /// Overrides the writer's actor (e.g. `automation`).
    pub actor: Option<String>,
    pub supersedes: Option<Ulid>,
}

impl EventDraft {
    pub fn new(kind: impl Into<EventKind>) -> Self {
        Self {
            kind: kind.into(),
            step: None,
            ts: None,
            actor: None,
            supersedes: None,
        }
    }

    pub fn step(mut self, step_id: impl Into<String>) -> Self {
        self.step = Some(step_id.into());
        self
    }

    pub fn at(mut self, ts: Timestamp) -> Self {
        self.ts = Some(ts);
        self
    }

    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }

    pub fn supersedes(mut self, id: Ulid) -> Self {
        self.supersedes = Some(id);
        self
    }
}

impl<K: Into<EventKind>> From<K> for EventDraft {
    fn from(kind: K) -> Self {
        EventDraft::new(kind)
    }
}

/// Truncates to the millisecond precision the file stores, so an event reads back equal.
pub fn to_millis(ts: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(ts.as_millisecond()).unwrap_or(ts)
}

/// Serializes timestamps as RFC 3339 UTC with exactly three fractional digits.
pub mod millis_timestamp {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ts: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{ts:.3}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|error| serde::de::Error::custom(format!("bad timestamp {text:?}: {error}")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunMode {
    Interactive,
    Unattended,
    DryRun,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    Ok,
    Failed,
    Aborted,
    Interrupted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Ok,
    Failed,
    Interrupted,
    TimedOut,
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputSource {
    Flag,
    EnvFile,
    Env,
    Default,
    Prompt,
    /// Captured from a step's output (`capture=`).
    Capture,
    /// Carried over from the run being resumed.
    Resumed,
}

/// Incident milestones that postmortem metrics are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    ImpactStarted,
    Detected,
    Acknowledged,
    Mitigated,
    Resolved,
}

impl Milestone {
    pub const ALL: [Milestone; 5] = [
        Milestone::ImpactStarted,
        Milestone::Detected,
        Milestone::Acknowledged,
        Milestone::Mitigated,
        Milestone::Resolved,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Milestone::ImpactStarted => "impact_started",
            Milestone::Detected => "detected",
            Milestone::Acknowledged => "acknowledged",
            Milestone::Mitigated => "mitigated",
            Milestone::Resolved => "resolved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Milestone::ImpactStarted => "impact started",
            Milestone::Detected => "detected",
            Milestone::Acknowledged => "acknowledged",
            Milestone::Mitigated => "mitigated",
            Milestone::Resolved => "resolved",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::Aborted => "aborted",
            RunStatus::Interrupted => "interrupted",
        })
    }
}

impl fmt::Display for StepStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StepStatus::Ok => "ok",
            StepStatus::Failed => "failed",
            StepStatus::Interrupted => "interrupted",
            StepStatus::TimedOut => "timed-out",
            StepStatus::Skipped => "skipped",
        })
    }
}

impl fmt::Display for RunMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunMode::Interactive => "interactive",
            RunMode::Unattended => "unattended",
            RunMode::DryRun => "dry-run",
        })
    }
}

impl fmt::Display for InputSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputSource::Flag => "flag",
            InputSource::EnvFile => "env-file",
            InputSource::Env => "env",
            InputSource::Default => "default",
            InputSource::Prompt => "prompt",
            InputSource::Capture => "capture",
            InputSource::Resumed => "resumed",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStarted {
    /// Path of the runbook file as given.
    pub runbook: String,
    /// Hex SHA-256 of the runbook's content.
    pub sha256: String,
    pub mode: RunMode,
    pub engine_version: String,
    pub title: String,
    pub step_count: usize,
}

impl RunStarted {
    /// Hex SHA-256 of a runbook's content, for the `sha256` field.
    pub fn content_sha256(content: &[u8]) -> String {
        use sha2::Digest as _;
        sha2::Sha256::digest(content)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPaused {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RunResumed {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StepCounts {
    #[serde(default)]
    pub ok: usize,
    #[serde(default)]
    pub failed: usize,
    #[serde(default)]
    pub skipped: usize,
    #[serde(default)]
    pub interrupted: usize,
    #[serde(default)]
    pub timed_out: usize,
    /// Steps never reached.
    #[serde(default)]
    pub not_run: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFinished {
    pub status: RunStatus,
    pub counts: StepCounts,
}

/// A variable's value as the run saw it. For a secret only the name is ever written: `value` is
/// dropped on serialization whatever it holds.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputProvided {
    pub name: String,
    pub secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub source: InputSource,
}

impl fmt::Debug for InputProvided {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = match (&self.value, self.secret) {
            (Some(_), true) => Some("<secret>"),
            (Some(value), false) => Some(value.as_str()),
            (None, _) => None,
        };
        f.debug_struct("InputProvided")
            .field("name", &self.name)
            .field("secret", &self.secret)
            .field("value", &value)
            .field("source", &self.source)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepStarted {
    pub title: String,
    /// Headings enclosing the step, outermost first.
    #[serde(default)]
    pub heading_path: Vec<String>,
    /// The command as run, already redacted.
    pub command: String,
    pub cwd: String,
    pub attempt: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepEdited {
    pub original: String,
    pub edited: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutput {
    /// The last bytes of output (at most [`crate::OUTPUT_TAIL_BYTES`]), lossily decoded.
    pub tail: String,
    /// Full output log, relative to the run directory.
    pub log: String,
    pub bytes: u64,
    pub redactions: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepFinished {
    /// `None` when the process ended by a signal or never ran.
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub status: StepStatus,
    #[serde(default)]
    pub redactions: u64,
    /// The shell's working directory after the step, when known, so a resumed run continues
    /// where this one left off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Why it failed when the exit code does not say: an `expect` mismatch, a refusal, a timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// 1 for the first try; higher for retries.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// Non-secret shell variables the step assigned or changed (already redacted), so a resumed
    /// run can restore them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub vars: std::collections::BTreeMap<String, String>,
    /// Shell variables an earlier step set that this step unset, so a resumed run does not bring
    /// them back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unset: Vec<String>,
}

fn first_attempt() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepSkipped {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptAnswered {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimestampSet {
    pub which: Milestone,
    #[serde(with = "millis_timestamp")]
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityChanged {
    pub severity: String,
}

macro_rules! event_kinds {
    ($($variant:ident = $name:literal,)*) => {
        /// What happened. Serialized as the event's `kind` string plus its `data` object.
        #[derive(Debug, Clone, PartialEq)]
        pub enum EventKind {
            $($variant($variant),)*
            /// A kind this version does not know (written by a newer engine), or a known kind
            /// whose data could not be read. Kept verbatim so nothing is lost.
            Unknown { kind: String, data: Value },
        }

        impl EventKind {
            /// Every kind name this version understands.
            pub const KNOWN: &'static [&'static str] = &[$($name,)*];

            /// The `kind` string written to disk.
            pub fn name(&self) -> &str {
                match self {
                    $(EventKind::$variant(_) => $name,)*
                    EventKind::Unknown { kind, .. } => kind,
                }
            }

            /// Reads `data` as the typed payload for `kind`. Unknown kinds become
            /// [`EventKind::Unknown`]; a known kind with unreadable data is an error.
            pub fn from_parts(kind: &str, data: Value) -> Result<EventKind, serde_json::Error> {
                match kind {
                    $($name => serde_json::from_value(data).map(EventKind::$variant),)*
                    _ => Ok(EventKind::Unknown { kind: kind.to_owned(), data }),
                }
            }

            fn to_data(&self) -> Result<Value, serde_json::Error> {
                match self {
                    EventKind::InputProvided(input) if input.secret => {
                        serde_json::to_value(InputProvided { value: None, ..input.clone() })
                    }
                    $(EventKind::$variant(data) => serde_json::to_value(data),)*
                    EventKind::Unknown { data, .. } => Ok(data.clone()),
                }
            }
        }

        $(impl From<$variant> for EventKind {
            fn from(data: $variant) -> Self {
                EventKind::$variant(data)
            }
        })*
    };
}

event_kinds! {
    RunStarted = "run.started",
    RunPaused = "run.paused",
    RunResumed = "run.resumed",
    RunFinished = "run.finished",
    InputProvided = "input.provided",
    StepStarted = "step.started",
    StepEdited = "step.edited",
    StepOutput = "step.output",
    StepFinished = "step.finished",
    StepSkipped = "step.skipped",
    PromptAnswered = "prompt.answered",
    Note = "note",
    TimestampSet = "timestamp.set",
    SeverityChanged = "severity.changed",
}

impl EventKind {
    pub fn is_known_kind(kind: &str) -> bool {
        Self::KNOWN.contains(&kind)
    }

    /// Whether losing this event in a crash would lose state: such events are fsynced before
    /// the append returns. Output tails can be rebuilt from the step log.
    pub fn needs_sync(&self) -> bool {
        !matches!(self, EventKind::StepOutput(_))
    }
}

/// The line layout; field order here is the order on disk.
#[derive(Serialize, Deserialize)]
struct EventLine {
    v: u32,
    seq: u64,
    id: Ulid,
    #[serde(with = "millis_timestamp")]
    ts: Timestamp,
    #[serde(with = "millis_timestamp")]
    recorded_at: Timestamp,
    actor: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    step: Option<String>,
    #[serde(default = "empty_object")]
    data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    supersedes: Option<Ulid>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let data = self.kind.to_data().map_err(serde::ser::Error::custom)?;
        EventLine {
            v: self.v,
            seq: self.seq,
            id: self.id,
            ts: self.ts,
            recorded_at: self.recorded_at,
            actor: self.actor.clone(),
            kind: self.kind.name().to_owned(),
            step: self.step.clone(),
            data,
            supersedes: self.supersedes,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let line = EventLine::deserialize(deserializer)?;
        let kind =
            EventKind::from_parts(&line.kind, line.data.clone()).unwrap_or(EventKind::Unknown {
                kind: line.kind,
                data: line.data,
            });
        Ok(Event {
            v: line.v,
            seq: line.seq,
            id: line.id,
            ts: line.ts,
            recorded_at: line.recorded_at,
            actor: line.actor,
            step: line.step,
            kind,
            supersedes: line.supersedes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind) -> Event {
        let ts: Timestamp = "2024-05-01T14:03:22.123Z".parse().expect("valid");
        Event {
            v: SCHEMA_VERSION,
            seq: 7,
            id: Ulid::from_string("01HWZ5J4Q8W3T4C8G2V7Y6X5RM").expect("valid"),
            ts,
            recorded_at: ts,
            actor: "alice@web1".to_owned(),
            step: Some("restart-api".to_owned()),
            kind,
            supersedes: None,
        }
    }

    #[test]
    fn line_layout_is_kind_plus_data() {
        let line = serde_json::to_string(&event(EventKind::Note(Note {
            text: "pager fired".to_owned(),
        })))
        .expect("serializes");
        assert_eq!(
            line,
            r#"{"v":1,"seq":7,"id":"01HWZ5J4Q8W3T4C8G2V7Y6X5RM","ts":"2024-05-01T14:03:22.123Z","recorded_at":"2024-05-01T14:03:22.123Z","actor":"alice@web1","kind":"note","step":"restart-api","data":{"text":"pager fired"}}"#
        );
    }

    #[test]
    fn whole_seconds_still_have_three_fraction_digits() {
        let mut e = event(EventKind::RunResumed(RunResumed {}));
        e.ts = "2024-05-01T14:03:22Z".parse().expect("valid");
        let line = serde_json::to_string(&e).expect("serializes");
        assert!(
            line.contains(r#""ts":"2024-05-01T14:03:22.000Z""#),
            "{line}"
        );
    }

    #[test]
    fn secret_input_value_is_never_written() {
        let line = serde_json::to_string(&event(EventKind::InputProvided(InputProvided {
            name: "DB_PASSWORD".to_owned(),
            secret: true,
            value: Some("hunter2-hunter2".to_owned()),
            source: InputSource::Prompt,
        })))
        .expect("serializes");
        assert!(!line.contains("hunter2"), "{line}");
        assert!(line.contains(r#""data":{"name":"DB_PASSWORD","secret":true,"source":"prompt"}"#));
    }

    #[test]
    fn unknown_kind_round_trips_verbatim() {
        let line = r#"{"v":2,"seq":3,"id":"01HWZ5J4Q8W3T4C8G2V7Y6X5RM","ts":"2024-05-01T14:03:22.123Z","recorded_at":"2024-05-01T14:03:22.123Z","actor":"automation","kind":"page.sent","data":{"to":"sre","urgent":true}}"#;
        let parsed: Event = serde_json::from_str(line).expect("parses");
        assert_eq!(parsed.kind.name(), "page.sent");
        assert!(matches!(parsed.kind, EventKind::Unknown { .. }));
        assert_eq!(serde_json::to_string(&parsed).expect("serializes"), line);
    }

    #[test]
    fn known_kind_with_bad_data_is_kept_as_unknown() {
        let line = r#"{"v":1,"seq":3,"id":"01HWZ5J4Q8W3T4C8G2V7Y6X5RM","ts":"2024-05-01T14:03:22.123Z","recorded_at":"2024-05-01T14:03:22.123Z","actor":"automation","kind":"step.finished","data":{"status":"exploded"}}"#;
        let parsed: Event = serde_json::from_str(line).expect("parses");
        assert!(matches!(&parsed.kind, EventKind::Unknown { kind, .. } if kind == "step.finished"));
    }

    #[test]
    fn content_hash_is_hex_sha256() {
        assert_eq!(
            RunStarted::content_sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn every_kind_round_trips() {
        let at: Timestamp = "2024-05-01T13:50:00Z".parse().expect("valid");
        let kinds: Vec<EventKind> = vec![
            RunStarted {
                runbook: "ops/db.md".into(),
                sha256: "ab".repeat(32),
                mode: RunMode::DryRun,
                engine_version: "0.1.0".into(),
                title: "DB failover".into(),
                step_count: 4,
            }
            .into(),
            RunPaused {
                reason: "waiting".into(),
            }
            .into(),
            RunResumed {}.into(),
            RunFinished {
                status: RunStatus::Interrupted,
                counts: StepCounts {
                    ok: 2,
                    failed: 1,
                    ..StepCounts::default()
                },
            }
            .into(),
            InputProvided {
                name: "REGION".into(),
                secret: false,
                value: Some("eu-west-1".into()),
                source: InputSource::EnvFile,
            }
            .into(),
            StepStarted {
                title: "Check".into(),
                heading_path: vec!["Failover".into(), "Check".into()],
                command: "curl -s $URL".into(),
                cwd: "/srv".into(),
                attempt: 2,
            }
            .into(),
            StepEdited {
                original: "a".into(),
                edited: "b".into(),
            }
            .into(),
            StepOutput {
                tail: "ok\n".into(),
                log: "steps/001-check.log".into(),
                bytes: 3,
                redactions: 0,
            }
            .into(),
            StepFinished {
                exit_code: None,
                duration_ms: 5,
                status: StepStatus::TimedOut,
                redactions: 1,
                cwd: Some("/tmp".into()),
                detail: None,
                attempt: 1,
                vars: Default::default(),
                unset: Vec::new(),
            }
            .into(),
            StepSkipped {
                reason: "n/a".into(),
            }
            .into(),
            PromptAnswered {
                question: "Proceed?".into(),
                answer: "yes".into(),
            }
            .into(),
            Note { text: "hi".into() }.into(),
            TimestampSet {
                which: Milestone::ImpactStarted,
                at,
            }
            .into(),
            SeverityChanged {
                severity: "SEV2".into(),
            }
            .into(),
        ];
        assert_eq!(kinds.len(), EventKind::KNOWN.len());
        for kind in kinds {
            let original = event(kind);
            let line = serde_json::to_string(&original).expect("serializes");
            let back: Event = serde_json::from_str(&line).expect("parses");
            assert_eq!(back, original, "{line}");
        }
    }
}
