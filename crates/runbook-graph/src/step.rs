use crate::step_analysis::{GraphAnalysis, StepAnalysis};
use crate::{Input, RiskFlags};
use runbook_syntax::{ForeignSegment, Script, SectionId, Span, Spanned, StepAttributes};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

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
///
/// Text shared with the [`runbook_syntax::Document`] (instruction, body,
/// script, attributes) and with the other steps of a section (heading path)
/// is reference-counted, not copied. Inputs, assigned and read variables and
/// risk flags are not needed to build the graph: they are worked out for
/// every step of the graph together, the first time any step is asked for
/// one of them ([`Step::inputs`], [`Step::risk`], …).
#[derive(Clone)]
pub struct Step {
    /// Position in document order, 0-based.
    pub index: usize,
    /// Unique handle: the `name` attribute, else derived from the heading.
    pub id: String,
    pub name: Option<Spanned<String>>,
    pub section: Option<SectionId>,
    /// Headings from the outermost down to the step's section; shared by the
    /// steps of one section.
    pub heading_path: Arc<[String]>,
    pub kind: StepKind,
    /// One line for lists: the instruction's first line or the first command.
    pub title: String,
    /// The prose that introduces the step.
    pub instruction: Option<Arc<str>>,
    /// What runs (shell and session steps).
    pub script: Option<Arc<Script>>,
    /// The block text shown for context steps.
    pub body: Option<Arc<str>>,
    pub language: Option<Arc<str>>,
    /// Lines of the block kept as context (SQL, YAML…) next to the script.
    pub context: Vec<ForeignSegment>,
    pub expected_output: Option<Arc<str>>,
    pub session_input: Vec<String>,
    pub attributes: Arc<StepAttributes>,
    /// Why the block was classified as it was.
    pub reason: Arc<str>,
    /// A checklist item already ticked in the document.
    pub checked: bool,
    pub span: Span,
    pub line: usize,
    pub(crate) analysis: Arc<GraphAnalysis>,
}

impl Step {
    fn analysis(&self) -> &StepAnalysis {
        self.analysis.of(self.index)
    }

    /// Values the step needs before it can run.
    pub fn inputs(&self) -> &[Input] {
        &self.analysis().inputs
    }

    /// Variables this step assigns, visible to later steps.
    pub fn assigns(&self) -> &[String] {
        &self.analysis().assigns
    }

    /// Variables the step reads without assigning them first, including
    /// ones an earlier step may set: the executor prompts for any that are
    /// still unset when the step is reached (e.g. when `--from` skipped the setter).
    pub fn reads(&self) -> &[String] {
        &self.analysis().reads
    }

    pub fn risk(&self) -> &RiskFlags {
        &self.analysis().risk
    }

    pub fn is_destructive(&self) -> bool {
        !self.risk().destructive.is_empty()
    }

    pub fn is_endless(&self) -> bool {
        !self.risk().endless.is_empty()
    }

    pub fn needs_terminal(&self) -> bool {
        self.kind == StepKind::Session || !self.risk().interactive.is_empty()
    }

    /// Heading path joined for display: `Triage › Step 1`.
    pub fn heading_display(&self) -> String {
        self.heading_path.join(" › ")
    }
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Step")
            .field("index", &self.index)
            .field("id", &self.id)
            .field("name", &self.name)
            .field("section", &self.section)
            .field("heading_path", &self.heading_path)
            .field("kind", &self.kind)
            .field("title", &self.title)
            .field("instruction", &self.instruction)
            .field("script", &self.script)
            .field("body", &self.body)
            .field("language", &self.language)
            .field("context", &self.context)
            .field("expected_output", &self.expected_output)
            .field("session_input", &self.session_input)
            .field("attributes", &self.attributes)
            .field("inputs", &self.inputs())
            .field("assigns", &self.assigns())
            .field("reads", &self.reads())
            .field("risk", self.risk())
            .field("reason", &self.reason)
            .field("checked", &self.checked)
            .field("span", &self.span)
            .field("line", &self.line)
            .finish()
    }
}
