use crate::{BlockContent, Diagnostic, FrontMatter, SourceFile, Span, StepAttributes};
use serde::Serialize;
use std::sync::Arc;

/// A parsed runbook. Parsing never fails: problems are in `diagnostics`.
#[derive(Debug, Clone)]
pub struct Document {
    pub source: SourceFile,
    pub front_matter: FrontMatter,
    /// The front matter title, else the first level-1 heading.
    pub title: Option<String>,
    /// Shared with the step graphs built from the document.
    pub sections: Arc<Vec<Section>>,
    /// Everything that can become a step, in document order. Shared with
    /// the step graphs built from the document, whose steps read them.
    pub items: Arc<Vec<Item>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Drop for Document {
    /// The last holder of a large document's items frees them on two threads.
    fn drop(&mut self) {
        crate::drop_shared_in_halves(&mut self.items);
    }
}

impl Document {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Text of this document: a span of its source, or a copy.
    pub fn text<'d>(&'d self, text: &'d DocumentText) -> &'d str {
        text.read(self.source.text())
    }

    /// A code block's body, see [`CodeBlock::body_in`].
    pub fn body<'d>(&'d self, code: &'d CodeBlock) -> &'d str {
        code.body_in(self.source.text())
    }

    /// The prose that introduces `item`.
    pub fn intro<'d>(&'d self, item: &'d Item) -> Option<&'d str> {
        item.intro_in(self.source.text())
    }

    /// Titles from the outermost heading down to `section`.
    pub fn heading_path(&self, section: Option<SectionId>) -> Vec<&str> {
        Section::path(&self.sections, section)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SectionId(pub usize);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub title: String,
    pub level: u8,
    pub span: Span,
    pub parent: Option<SectionId>,
    /// GitHub-style anchor, e.g. `backup--recovery`.
    pub slug: String,
}

impl Section {
    /// Titles from the outermost heading down to `section`, one of `sections`.
    pub fn path(sections: &[Section], section: Option<SectionId>) -> Vec<&str> {
        let mut path = Vec::new();
        let mut current = section;
        while let Some(id) = current {
            let Some(section) = sections.get(id.0) else {
                break;
            };
            path.push(section.title.as_str());
            // A parent always comes before its child, so the walk up ends.
            current = section.parent.filter(|parent| parent.0 < id.0);
        }
        path.reverse();
        path
    }
}

/// Something the operator will see as a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub section: Option<SectionId>,
    pub span: Span,
    /// The 1-based line where it starts.
    pub line: usize,
    /// The prose that introduces it: its list item's text, or the paragraph
    /// before it. Read it with [`Document::intro`].
    pub intro: Option<DocumentText>,
    pub kind: ItemKind,
}

impl Item {
    /// The prose that introduces it, given the source of its document.
    pub fn intro_in<'t>(&'t self, source: &'t str) -> Option<&'t str> {
        Some(self.intro.as_ref()?.read(source))
    }
}

/// Text of the document: a stretch of its source as written (most
/// paragraphs), or text put together from several pieces (a list item's
/// lines, the items it is nested in, a paragraph with markup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentText {
    Source(Span),
    Assembled(Arc<str>),
}

impl DocumentText {
    /// The text, given the document's source.
    pub fn read<'t>(&'t self, source: &'t str) -> &'t str {
        match self {
            DocumentText::Source(span) => source.get(span.to_range()).unwrap_or(""),
            DocumentText::Assembled(text) => text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    Code(Box<CodeBlock>),
    /// A task-list item (`- [ ] …`) or a checklist line inside a fence.
    Task(TaskItem),
    /// A numbered prose item with no code, kept so nothing the author wrote is lost.
    Instruction(InstructionItem),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FenceKind {
    Backticks,
    Tildes,
    Indented,
    /// A one-line ```` ```cmd``` ```` written inline in a paragraph.
    InlineTripleBacktick,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    pub fence: FenceKind,
    /// Shared by the blocks of a document written in the same language.
    pub lang: Option<Arc<str>>,
    pub info_span: Option<Span>,
    pub attributes: Arc<StepAttributes>,
    /// The block's lines joined with `\n`, see [`CodeBlock::body_in`];
    /// `None` when that is the script's text without its last newline (most
    /// runnable blocks), so the text is held once. A fence whose lines are
    /// written as they read (no indentation or `\r` removed) is a span.
    pub(crate) body: Option<DocumentText>,
    pub body_span: Span,
    pub content: BlockContent,
}

impl CodeBlock {
    /// The block's lines joined with `\n`, as written inside the fence
    /// (indentation of the enclosing list or quote removed), given the
    /// source of its document; [`Document::body`] reads it from its own.
    pub fn body_in<'c>(&'c self, source: &'c str) -> &'c str {
        match (&self.body, &self.content.script) {
            (Some(body), _) => body.read(source),
            (None, Some(script)) => script.text.strip_suffix('\n').unwrap_or(&script.text),
            (None, None) => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskItem {
    /// What to check; read it with [`Document::text`].
    pub text: DocumentText,
    pub checked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionItem {
    /// What to do; read it with [`Document::text`].
    pub text: DocumentText,
    pub number: Option<u64>,
}
