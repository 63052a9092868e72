use crate::{Input, RiskFlags};
use runbook_syntax::{ForeignSegment, Script, SectionId, Span, Spanned, StepAttributes};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// Shell that runs.
    Shell,
    /// The operator does it by hand and confirms: checklists, numbered instructions.
    Manual,
    /// Shown with the steps around it, never run.
    Context,
    /// Opens an interactive session (psql, ssh, REPL transcripts).
    Session,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Shell => "shell",
            StepKind::Manual => "manual",
            StepKind::Context => "context",
            StepKind::Session => "session",
        }
    }

    pub fn runs_code(self) -> bool {
        matches!(self, StepKind::Shell | StepKind::Session)
    }
}

/// One node of the step graph.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Position in document order, 0-based.
    pub index: usize,
    /// Unique handle: the `name` attribute, else derived from the heading.
    pub id: String,
    pub name: Option<Spanned<String>>,
    #[serde(skip)]
    pub section: Option<SectionId>,
    pub heading_path: Vec<String>,
    pub kind: StepKind,
    /// One line for lists: the instruction's first line or the first command.
    pub title: String,
    /// The prose that introduces the step.
    pub instruction: Option<String>,
    /// What runs (shell and session steps).
    pub script: Option<Script>,
    /// The block text shown for context steps.
    pub body: Option<String>,
    pub language: Option<String>,
    /// Lines of the block kept as context (SQL, YAML…) next to the script.
    pub context: Vec<ForeignSegment>,
    pub expected_output: Option<String>,
    pub session_input: Vec<String>,
    pub attributes: StepAttributes,
    pub inputs: Vec<Input>,
    /// Variables this step assigns, visible to later steps.
    pub assigns: Vec<String>,
    /// Variables the step reads without assigning them first, including
    /// ones an earlier step may set: the executor prompts for any that are
    /// still unset when the step is reached (e.g. when `--from` skipped the setter).
    pub reads: Vec<String>,
    pub risk: RiskFlags,
    /// Why the block was classified as it was.
    pub reason: String,
    /// A checklist item already ticked in the document.
    pub checked: bool,
    pub span: Span,
    pub line: usize,
}

impl Step {
    pub fn is_destructive(&self) -> bool {
        !self.risk.destructive.is_empty()
    }

    pub fn is_endless(&self) -> bool {
        !self.risk.endless.is_empty()
    }

    pub fn needs_terminal(&self) -> bool {
        !self.risk.interactive.is_empty() || self.kind == StepKind::Session
    }

    /// Heading path joined for display: `Triage › Step 1`.
    pub fn heading_display(&self) -> String {
        self.heading_path.join(" › ")
    }
}
