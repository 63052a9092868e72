//! How the executor asks the operator. The CLI implements this with
//! dialoguer on a terminal; tests implement it with scripted answers.

use crate::{StepStatusLine, StepView};

/// What to do with a runnable step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepAction {
    Run,
    Skip,
    /// Edit the command before running it.
    Edit,
    Note,
    Jump,
    /// Show every step with its status, then ask again.
    List,
    /// Record an incident timestamp, then ask again.
    Mark,
    Quit,
}

/// What to do with a manual step (checklist item, instruction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManualAction {
    Done,
    Skip,
    Note,
    Jump,
    List,
    Mark,
    Quit,
}

/// What to do after a step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureAction {
    Retry,
    Edit,
    Skip,
    Jump,
    Quit,
}

/// A variable the executor needs a value for.
#[derive(Debug, Clone)]
pub struct ValueRequest {
    pub name: String,
    pub prompt: String,
    pub secret: bool,
    pub choices: Vec<String>,
    /// A regex the answer must match (already validated).
    pub pattern: Option<String>,
    pub default: Option<String>,
    /// The step that needs it.
    pub step_id: String,
}

/// A place the operator can jump to.
#[derive(Debug, Clone)]
pub struct JumpTarget {
    pub position: usize,
    pub id: String,
    pub title: String,
    pub heading: String,
    pub status: &'static str,
}

/// An incident timestamp to record: `detected`, `mitigated`… and an optional
/// RFC 3339 time when it happened earlier than now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkRequest {
    pub which: String,
    pub at: Option<String>,
}

/// A step that failed, as shown when asking what to do next.
#[derive(Debug, Clone)]
pub struct FailureView {
    pub id: String,
    pub result: &'static str,
    pub exit_code: Option<i32>,
    pub detail: Option<String>,
    pub tail: String,
}

/// The operator closed the terminal, pressed Ctrl-C at a prompt, or input
/// ended: the run pauses with its state saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptError {
    Interrupted,
    /// No answer can come (no terminal, stdin closed).
    Unavailable(String),
}

impl std::fmt::Display for PromptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PromptError::Interrupted => f.write_str("interrupted at a prompt"),
            PromptError::Unavailable(reason) => write!(f, "cannot ask the operator: {reason}"),
        }
    }
}

impl std::error::Error for PromptError {}

pub type PromptResult<T> = Result<T, PromptError>;

pub trait Prompter {
    fn step_action(&mut self, step: &StepView) -> PromptResult<StepAction>;
    fn manual_action(&mut self, step: &StepView) -> PromptResult<ManualAction>;
    fn failure_action(&mut self, failure: &FailureView) -> PromptResult<FailureAction>;
    /// A y/N question (the `confirm` attribute). `true` means go ahead.
    fn confirm(&mut self, question: &str) -> PromptResult<bool>;
    /// Destructive steps: the operator must type one of `accepted` (the step
    /// id, or `yes`). `true` means the typed text matched.
    fn typed_confirmation(&mut self, step: &StepView, accepted: &[String]) -> PromptResult<bool>;
    fn value(&mut self, request: &ValueRequest) -> PromptResult<String>;
    /// Returns the edited command, or `None` when the operator cancelled.
    fn edit_command(&mut self, step: &StepView, command: &str) -> PromptResult<Option<String>>;
    /// Returns the note, or `None` when empty or cancelled.
    fn note(&mut self) -> PromptResult<Option<String>>;
    fn jump(&mut self, targets: &[JumpTarget]) -> PromptResult<Option<usize>>;
    fn mark(&mut self) -> PromptResult<Option<MarkRequest>>;
    /// The `l` key: shows every step and its status.
    fn show_list(&mut self, lines: &[StepStatusLine]);
}
