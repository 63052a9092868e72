use crate::graph_source::GraphSource;
use crate::step_analysis::StepAnalysis;
use crate::{Input, RiskFlags};
use compact_str::CompactString;
use runbook_syntax::{
    BlockClass, ForeignSegment, Item, ItemKind, Script, SectionId, Span, Spanned, StepAttributes,
};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, LazyLock};

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

    /// The kind of step the document's `item` becomes.
    pub(crate) fn of(item: &Item) -> StepKind {
        match &item.kind {
            ItemKind::Task(_) | ItemKind::Instruction(_) => StepKind::Manual,
            ItemKind::Code(code) => match code.content.class {
                BlockClass::Shell => StepKind::Shell,
                BlockClass::Session => StepKind::Session,
                BlockClass::Context => StepKind::Context,
                BlockClass::Manual => StepKind::Manual,
            },
        }
    }
}

/// One node of the step graph.
///
/// A step is a view of one item of the [`runbook_syntax::Document`]: its
/// text (instruction, script, body, attributes…) is read from the document's
/// items through the accessors, never copied, so building a graph costs a
/// few words per step. Inputs, assigned and read variables and risk flags
/// are not needed to build the graph: they are worked out for every step of
/// the graph together, the first time any step is asked for one of them
/// ([`Step::inputs`], [`Step::risk`], …).
#[derive(Clone)]
pub struct Step {
    /// Position in document order, 0-based; also its item's index in the document.
    pub index: usize,
    /// Unique handle: the `name` attribute, else derived from the heading.
    /// Short ids (up to 24 bytes: nearly all) are held inline, not allocated.
    pub id: CompactString,
    pub section: Option<SectionId>,
    pub kind: StepKind,
    /// A checklist item already ticked in the document.
    pub checked: bool,
    pub span: Span,
    pub line: usize,
    /// The instruction of a checklist or instruction list written inside a
    /// fence: its intro and lines joined, the one instruction that is not
    /// text of the document as it stands.
    pub(crate) joined_instruction: Option<Arc<str>>,
    pub(crate) source: Arc<GraphSource>,
}

static NO_ATTRIBUTES: LazyLock<StepAttributes> = LazyLock::new(StepAttributes::default);

impl Step {
    fn item(&self) -> &Item {
        &self.source.items()[self.index]
    }

    fn analysis(&self) -> &StepAnalysis {
        self.source.analysis(self.index)
    }

    /// The step's `name` attribute.
    pub fn name(&self) -> Option<&Spanned<String>> {
        self.attributes().name.as_ref()
    }

    /// Headings from the outermost down to the step's section.
    pub fn heading_path(&self) -> &[String] {
        self.source.heading_path(self.section)
    }

    /// One line for lists: the instruction's first line, else the script's
    /// first comment or command, else the body's first line, at most 72
    /// characters. Worked out on each call.
    pub fn title(&self) -> Cow<'_, str> {
        crate::step_title::title_of(self)
    }

    /// The prose that introduces the step, or what the operator does by hand.
    pub fn instruction(&self) -> Option<&str> {
        if let Some(joined) = &self.joined_instruction {
            return Some(joined);
        }
        let item = self.item();
        match &item.kind {
            ItemKind::Task(task) => Some(self.source.text(&task.text)),
            ItemKind::Instruction(instruction) => Some(self.source.text(&instruction.text)),
            ItemKind::Code(_) => self.source.intro(item),
        }
    }

    /// What runs (shell and session steps).
    pub fn script(&self) -> Option<&Script> {
        match &self.item().kind {
            ItemKind::Code(code) if self.kind.runs_code() => code.content.script.as_ref(),
            _ => None,
        }
    }

    /// The block text shown for context and manual steps.
    pub fn body(&self) -> Option<&str> {
        match &self.item().kind {
            ItemKind::Code(code) if matches!(self.kind, StepKind::Context | StepKind::Manual) => {
                Some(self.source.body(code))
            }
            _ => None,
        }
    }

    /// The block's language: what its content turned out to be, else its fence's tag.
    pub fn language(&self) -> Option<&str> {
        match &self.item().kind {
            ItemKind::Code(code) => code.content.language.as_deref().or(code.lang.as_deref()),
            _ => None,
        }
    }

    /// Lines of the block kept as context (SQL, YAML…) next to the script.
    pub fn context(&self) -> &[ForeignSegment] {
        match &self.item().kind {
            ItemKind::Code(code) => &code.content.foreign,
            _ => &[],
        }
    }

    /// The output a transcript shows after its commands.
    pub fn expected_output(&self) -> Option<&str> {
        match &self.item().kind {
            ItemKind::Code(code) => code.content.expected_output.as_deref(),
            _ => None,
        }
    }

    /// What the operator types inside an interactive session.
    pub fn session_input(&self) -> &[String] {
        match &self.item().kind {
            ItemKind::Code(code) => &code.content.session_input,
            _ => &[],
        }
    }

    /// The fence's attributes; none for steps without a fence.
    pub fn attributes(&self) -> &StepAttributes {
        match &self.item().kind {
            ItemKind::Code(code) => &code.attributes,
            _ => &NO_ATTRIBUTES,
        }
    }

    /// Why the block was classified as it was.
    pub fn reason(&self) -> &str {
        match &self.item().kind {
            ItemKind::Code(code) => &code.content.reason,
            ItemKind::Task(_) => "checklist item",
            ItemKind::Instruction(_) => "numbered instruction with no code",
        }
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
        self.heading_path().join(" › ")
    }
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Step")
            .field("index", &self.index)
            .field("id", &self.id)
            .field("name", &self.name())
            .field("section", &self.section)
            .field("heading_path", &self.heading_path())
            .field("kind", &self.kind)
            .field("title", &self.title())
            .field("instruction", &self.instruction())
            .field("script", &self.script())
            .field("body", &self.body())
            .field("language", &self.language())
            .field("context", &self.context())
            .field("expected_output", &self.expected_output())
            .field("session_input", &self.session_input())
            .field("attributes", self.attributes())
            .field("inputs", &self.inputs())
            .field("assigns", &self.assigns())
            .field("reads", &self.reads())
            .field("risk", self.risk())
            .field("reason", &self.reason())
            .field("checked", &self.checked)
            .field("span", &self.span)
            .field("line", &self.line)
            .finish()
    }
}
