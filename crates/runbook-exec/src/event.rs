use crate::OutputStream;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// How a step attempt ended, as the engine judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepResult {
    Ok,
    Failed,
    Interrupted,
    TimedOut,
    /// Refused by policy before running (unattended mode, destructive, endless…).
    Refused,
}

impl StepResult {
    pub fn as_str(self) -> &'static str {
        match self {
            StepResult::Ok => "ok",
            StepResult::Failed => "failed",
            StepResult::Interrupted => "interrupted",
            StepResult::TimedOut => "timed-out",
            StepResult::Refused => "refused",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunMode {
    Interactive,
    Unattended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Every selected step ran or was deliberately skipped.
    Ok,
    /// A step failed and the run stopped (or ended with failures under --keep-going).
    Failed,
    /// The operator quit; the run can be resumed.
    Paused,
    /// Ctrl-C at a prompt; the run can be resumed.
    Interrupted,
    /// The timeline could not be written, or another unrecoverable error.
    Aborted,
}

/// Where a variable's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueSource {
    Flag,
    EnvFile,
    Environment,
    Default,
    Prompt,
    Capture,
    Resumed,
}

impl ValueSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueSource::Flag => "flag",
            ValueSource::EnvFile => "env-file",
            ValueSource::Environment => "env",
            ValueSource::Default => "default",
            ValueSource::Prompt => "prompt",
            ValueSource::Capture => "capture",
            ValueSource::Resumed => "resumed",
        }
    }
}

/// A step as the operator sees it before deciding what to do.
#[derive(Debug, Clone)]
pub struct StepView {
    pub index: usize,
    pub id: String,
    /// 1-based position in this run's plan, and the plan's length.
    pub position: usize,
    pub total: usize,
    pub kind: &'static str,
    pub title: String,
    pub heading_path: Vec<String>,
    pub instruction: Option<String>,
    /// The command with template values filled in; secrets are masked.
    pub display_command: Option<String>,
    /// Variables the command uses, with display values (secrets masked).
    pub variables: Vec<(String, String)>,
    /// Context shown with the step: `(language, text)`.
    pub context: Vec<(String, String)>,
    pub expected_output: Option<String>,
    pub session_input: Vec<String>,
    pub destructive: Vec<String>,
    pub endless: Vec<String>,
    pub interactive: Vec<String>,
    pub timeout: Option<Duration>,
    pub retries: u32,
    pub checked: bool,
}

/// The status of every planned step, for the `l` key.
#[derive(Debug, Clone)]
pub struct StepStatusLine {
    pub position: usize,
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub current: bool,
}

/// Everything the executor reports. Renderers (the terminal) and recorders
/// (the timeline) consume the same stream. Text in events is already
/// redacted.
#[derive(Debug, Clone)]
pub enum Event {
    RunStarted {
        title: String,
        runbook: PathBuf,
        content_sha256: String,
        mode: RunMode,
        steps: usize,
        resumed: bool,
    },
    /// A step is about to be offered (or shown, for context).
    StepAnnounced {
        view: StepView,
    },
    InputProvided {
        name: String,
        secret: bool,
        source: ValueSource,
        value: Option<String>,
    },
    StepStarted {
        id: String,
        /// Title and heading path, redacted (a title can be a command line).
        title: String,
        heading_path: Vec<String>,
        command: String,
        cwd: PathBuf,
        attempt: u32,
    },
    Output {
        id: String,
        stream: OutputStream,
        bytes: Vec<u8>,
    },
    StepEdited {
        id: String,
        original: String,
        edited: String,
    },
    StepFinished {
        id: String,
        result: StepResult,
        exit_code: Option<i32>,
        duration: Duration,
        attempt: u32,
        /// Why it failed when the exit code does not say it: an `expect` mismatch, a refusal.
        detail: Option<String>,
        /// The last few lines of output (redacted), for failure display and the timeline.
        tail: String,
        redactions: usize,
        cwd: PathBuf,
        /// Non-secret shell variables carried after the step (redacted), for resume.
        vars: std::collections::BTreeMap<String, String>,
    },
    StepSkipped {
        id: String,
        reason: String,
    },
    /// A manual step the operator (or unattended mode) confirmed.
    ManualConfirmed {
        id: String,
        unattended: bool,
    },
    PromptAnswered {
        id: Option<String>,
        question: String,
        answer: String,
    },
    Note {
        id: Option<String>,
        text: String,
    },
    Marked {
        which: String,
        at: Option<String>,
    },
    Warning {
        message: String,
    },
    RunPaused {
        reason: String,
    },
    RunFinished {
        status: RunStatus,
        ok: usize,
        failed: usize,
        skipped: usize,
        not_run: usize,
    },
}
