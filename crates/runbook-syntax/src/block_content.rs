use crate::Span;
use crate::text_lines::lines_with_newlines;
use serde::Serialize;
use smallvec::SmallVec;
use std::sync::Arc;

/// What a code block is for, decided by [`crate::classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockClass {
    /// Shell to run.
    Shell,
    /// Shown to the operator, never run (YAML, SQL, diagrams, output…).
    Context,
    /// Instructions or a checklist the operator performs by hand.
    Manual,
    /// An interactive session (`psql`, `redis-cli`, a REPL transcript).
    Session,
}

impl BlockClass {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockClass::Shell => "shell",
            BlockClass::Context => "context",
            BlockClass::Manual => "manual",
            BlockClass::Session => "session",
        }
    }
}

/// One line of a code block's body and where it starts in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyLine {
    pub text: String,
    pub offset: usize,
}

/// What classification needs of a body line. The parser's lines borrow
/// from the source; [`BodyLine`] owns its text.
pub(crate) trait LineText {
    fn text(&self) -> &str;
    fn offset(&self) -> usize;
}

impl LineText for BodyLine {
    fn text(&self) -> &str {
        &self.text
    }

    fn offset(&self) -> usize {
        self.offset
    }
}

/// The runnable text of a block, with each line traced back to the source so
/// shell errors can be reported at the Markdown line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Script {
    pub text: String,
    /// Where each line starts in the source. Most blocks have a few lines:
    /// those are held inline, not allocated.
    #[serde(skip)]
    pub line_offsets: SmallVec<[usize; 4]>,
}

impl Script {
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = (&'a str, usize)>) -> Self {
        Script::from_lines_with_capacity(lines, 0, 0)
    }

    /// [`Script::from_lines`] with room reserved for about `bytes` of text
    /// in `lines` lines, so building it does not regrow the buffers.
    pub(crate) fn from_lines_with_capacity<'a>(
        lines: impl IntoIterator<Item = (&'a str, usize)>,
        bytes: usize,
        lines_hint: usize,
    ) -> Self {
        let mut script = Script {
            text: String::with_capacity(bytes),
            line_offsets: SmallVec::with_capacity(lines_hint),
        };
        for (text, offset) in lines {
            if !script.line_offsets.is_empty() {
                script.text.push('\n');
            }
            script.text.push_str(text);
            script.line_offsets.push(offset);
        }
        if !script.text.is_empty() {
            script.text.push('\n');
        }
        script
    }

    pub fn is_blank(&self) -> bool {
        lines_with_newlines(&self.text).all(|line| {
            let line = line.trim();
            line.is_empty() || line.starts_with('#')
        })
    }

    /// Maps a byte offset in the script to a byte offset in the source.
    pub fn source_offset(&self, script_offset: usize) -> usize {
        // Bytes, not `str` slicing: an offset inside a character must not panic.
        let before = &self.text.as_bytes()[..script_offset.min(self.text.len())];
        let line_index = memchr::memchr_iter(b'\n', before).count();
        let line_start = memchr::memrchr(b'\n', before).map(|i| i + 1).unwrap_or(0);
        match self.line_offsets.get(line_index) {
            Some(origin) => origin + (script_offset - line_start),
            None => self.line_offsets.last().copied().unwrap_or(0),
        }
    }

    /// Maps a 1-based script line to the source offset where it starts.
    pub fn source_line_offset(&self, line: usize) -> Option<usize> {
        self.line_offsets.get(line.checked_sub(1)?).copied()
    }
}

/// Lines of a shell block that are not shell: SQL, YAML, PromQL, prose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignSegment {
    pub language: &'static str,
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ManualLineKind {
    Checklist,
    Instruction,
}

/// A checklist or instruction line found inside a fence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManualLine {
    pub kind: ManualLineKind,
    pub text: String,
    pub span: Span,
    pub checked: bool,
}

/// The result of classifying one code block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockContent {
    pub class: BlockClass,
    /// Why it was classified so, for `runbook list --explain` and `check`.
    pub reason: Arc<str>,
    /// The language of context blocks (`yaml`, `sql`, `text`…).
    pub language: Option<Arc<str>>,
    pub script: Option<Script>,
    pub foreign: Vec<ForeignSegment>,
    pub manual_lines: Vec<ManualLine>,
    /// Output shown after prompts in a transcript.
    pub expected_output: Option<Arc<str>>,
    /// What the operator types inside an interactive session.
    pub session_input: Vec<String>,
}
