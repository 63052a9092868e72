//! Walks pulldown-cmark's event stream (with byte offsets) and builds a
//! [`Document`]. The walk is iterative — containers live on explicit stacks —
//! so deeply nested input cannot overflow the call stack. Code blocks are
//! read and classified by [`BlockQueue`] (on a second thread for large
//! files); the walk holds their places and [`place_blocks`] fills them in.

use crate::block_content::ManualLineKind;
use crate::block_queue::{
    BlockQueue, BlockSource, Classified, CodeLine, Kept, Worker, start_worker,
};
use crate::chunk_split::{
    TopLevelBlock, content_end_before, cut_confirmed, find_cut, may_define_references,
};
use crate::document::{
    Document, DocumentText, FenceKind, InstructionItem, Item, ItemKind, Section, SectionId,
    TaskItem,
};
use crate::front_matter::{FrontMatter, parse_toml, parse_yaml};
use crate::known_commands::{is_known_command, is_shell_language};
use crate::text_lines::lines_with_newlines;
use crate::{Diagnostic, SourceFile, Span, second_core_available};
use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, MetadataBlockKind, Options, Parser, Tag, TagEnd,
};
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Parses runbook bytes. Invalid UTF-8 is replaced (lossily) and reported.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Document {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(name, text),
        Err(error) => {
            let valid_up_to = error.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let mut document = parse(name, &text);
            let offset = text.get(..valid_up_to).map(|_| valid_up_to).unwrap_or(0);
            let offset = offset.min(document.source.text().len());
            let stripped_bom = usize::from(document.source.text().len() < text.len());
            document.diagnostics.insert(
                0,
                Diagnostic::error(
                    "invalid-utf8",
                    Span::new(
                        offset.saturating_sub(stripped_bom * 3),
                        // The whole replacement character, so the span stays on char boundaries.
                        (offset + char::REPLACEMENT_CHARACTER.len_utf8())
                            .saturating_sub(stripped_bom * 3)
                            .min(document.source.text().len()),
                    ),
                    "the file is not valid UTF-8; invalid bytes were replaced with U+FFFD",
                )
                .with_help("save the runbook as UTF-8"),
            );
            document
        }
    }
}

/// [`parse_bytes`] for bytes the caller no longer needs: valid UTF-8 is
/// kept by the document instead of copied.
pub fn parse_bytes_owned(name: &str, bytes: Vec<u8>) -> Document {
    match String::from_utf8(bytes) {
        Ok(text) => parse_owned(name, text),
        Err(error) => parse_bytes(name, error.as_bytes()),
    }
}

/// Parses runbook text. Never fails and never panics.
pub fn parse(name: &str, text: &str) -> Document {
    parse_owned(name, text.to_string())
}

/// [`parse`] for text the caller no longer needs: the document keeps it
/// instead of a copy.
pub fn parse_owned(name: &str, text: String) -> Document {
    parse_with_threads_from(name, text, TWO_THREADS_FROM)
}

/// Documents at least this large are parsed with a second thread: below it,
/// starting the thread costs about as much as it saves.
const TWO_THREADS_FROM: usize = 256 * 1024;

/// [`parse`], using a second thread when the text is at least `threshold`
/// bytes: the document is cut in two and each half parsed on its own thread,
/// or, when no safe cut is found, its code blocks are classified on the
/// second thread while the first walks the Markdown.
fn parse_with_threads_from(name: &str, mut text: String, threshold: usize) -> Document {
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    let source = SourceFile::new(name, text);
    let whole = source.text();
    let threaded = whole.len() >= threshold && second_core_available();
    let parsed = match threaded {
        true => parse_in_halves(whole).unwrap_or_else(|| parse_chunk(whole, 0..whole.len(), true)),
        false => parse_chunk(whole, 0..whole.len(), false),
    };
    let ChunkParse {
        sections,
        items,
        diagnostics,
        front_matter,
        first_h1,
        ..
    } = parsed;
    let title = front_matter.title.clone().or(first_h1);
    Document {
        source,
        front_matter,
        title,
        sections: Arc::new(sections),
        items: Arc::new(items),
        diagnostics,
    }
}

/// Parses the two halves of `text` on two threads, or returns `None` when
/// there is no safe cut, the text may define references, or the first
/// half's parse shows the cut was not safe after all (see
/// [`chunk_split`](crate::chunk_split)).
///
/// The second thread starts first: while this one looks for the cut, it
/// looks through the whole text for reference definitions, then waits for
/// the cut, so both halves start as soon as it is known.
fn parse_in_halves(text: &str) -> Option<ChunkParse> {
    let cut_found = Handoff::new();
    // Handed over as 1 when the text may define references, else 0.
    let references = Handoff::new();
    let (cut, first, second) = std::thread::scope(|scope| {
        let later = std::thread::Builder::new()
            .name("runbook-parse".to_string())
            .spawn_scoped(scope, || {
                let found = may_define_references(text);
                references.hand_over(Some(usize::from(found)));
                let cut = (!found).then(|| cut_found.wait()).flatten()?;
                Some(parse_chunk(text, cut..text.len(), false))
            })
            .ok()?;
        // Handed over even if the scan panics, so the other thread is never left waiting.
        let cut = std::panic::catch_unwind(|| find_cut(text));
        cut_found.hand_over(cut.as_ref().ok().copied().flatten());
        later.thread().unpark();
        let cut = cut.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // The other thread has nearly always finished its look by now; when
        // it has not, this half is parsed anyway and perhaps thrown away.
        let first = cut
            .filter(|_| references.peek() != Some(Some(1)))
            .map(|cut| parse_chunk(text, 0..cut, false));
        match later.join() {
            Ok(second) => Some((cut?, first?, second?)),
            // Parsing is the same code on either thread: a panic there would have happened here too.
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })?;
    cut_confirmed(first.last_top_level, content_end_before(text, cut)).then(|| first.join(second))
}

/// A number, or that there is none, handed from one thread to another.
struct Handoff(AtomicUsize);

impl Handoff {
    /// Held until something is handed over.
    const PENDING: usize = usize::MAX;
    const NOTHING: usize = usize::MAX - 1;

    fn new() -> Self {
        Handoff(AtomicUsize::new(Self::PENDING))
    }

    /// Hands `value` over; the handing thread then unparks the waiting one.
    fn hand_over(&self, value: Option<usize>) {
        let value = value.map_or(Self::NOTHING, |value| value.min(Self::NOTHING - 1));
        self.0.store(value, Ordering::Release);
    }

    /// What was handed over, or `None` while nothing has been yet.
    fn peek(&self) -> Option<Option<usize>> {
        match self.0.load(Ordering::Acquire) {
            Self::PENDING => None,
            Self::NOTHING => Some(None),
            value => Some(Some(value)),
        }
    }

    /// What is handed over, once it is. It spins a little first, since the
    /// wait is often shorter than being woken from a park.
    fn wait(&self) -> Option<usize> {
        for _ in 0..2_000 {
            if let Some(value) = self.peek() {
                return value;
            }
            std::hint::spin_loop();
        }
        loop {
            match self.peek() {
                Some(value) => return value,
                None => std::thread::park(),
            }
        }
    }
}

/// What the walk of one stretch of the document found, its code blocks in place.
struct ChunkParse {
    sections: Vec<Section>,
    /// The headings still open at the stretch's end, outermost first.
    heading_stack: Vec<(u8, SectionId)>,
    items: Vec<Item>,
    diagnostics: Vec<Diagnostic>,
    front_matter: FrontMatter,
    first_h1: Option<String>,
    /// The last top-level block and where it ended.
    last_top_level: Option<(TopLevelBlock, usize)>,
    /// How many lines the stretch holds: its items' lines count from its start.
    newlines: usize,
}

impl ChunkParse {
    /// The parse of this stretch followed by `later`, the stretch that
    /// starts where this one ends, as if both had been parsed in one go.
    fn join(mut self, later: ChunkParse) -> ChunkParse {
        let offset = self.sections.len();
        let moved = |id: SectionId| SectionId(id.0 + offset);
        // The headings open here are the outer ones of `later`'s top-level headings.
        let outer = std::mem::take(&mut self.heading_stack);
        let parent_at = |level: u8| {
            outer
                .iter()
                .rev()
                .find(|(open, _)| *open < level)
                .map(|(_, id)| *id)
        };
        // Sized exactly, as a document parsed in one go: they live as long as the document.
        self.sections.reserve_exact(later.sections.len());
        for mut section in later.sections {
            section.parent = match section.parent {
                Some(parent) => Some(moved(parent)),
                None => parent_at(section.level),
            };
            self.sections.push(section);
        }
        self.items.reserve_exact(later.items.len());
        let before_any_heading = outer.last().map(|(_, id)| *id);
        let lines_before = self.newlines;
        self.items.extend(later.items.into_iter().map(|mut item| {
            item.section = item.section.map(moved).or(before_any_heading);
            item.line += lines_before;
            item
        }));
        self.newlines += later.newlines;
        self.diagnostics.extend(later.diagnostics);
        let first_later = later
            .heading_stack
            .first()
            .map_or(u8::MAX, |(level, _)| *level);
        self.heading_stack = outer
            .into_iter()
            .filter(|(level, _)| *level < first_later)
            .chain(
                later
                    .heading_stack
                    .into_iter()
                    .map(|(level, id)| (level, moved(id))),
            )
            .collect();
        self.first_h1 = self.first_h1.or(later.first_h1);
        self.last_top_level = later.last_top_level;
        self
    }
}

/// Walks `chunk` of `text`, classifying its code blocks on a second thread
/// when `with_worker` and the machine has one.
fn parse_chunk(text: &str, chunk: Range<usize>, with_worker: bool) -> ChunkParse {
    std::thread::scope(|scope| {
        let (sender, worker) = with_worker
            .then(|| start_worker(scope, text))
            .flatten()
            .unzip();
        let mut walker = Walker::new(text, chunk, BlockQueue::new(text, sender));
        walker.walk();
        walker.finish(worker)
    })
}

/// A place in the document's item list, filled as the walk goes on.
enum Slot {
    /// Held for a list item that may turn out to be a step.
    Reserved,
    Item(Item),
    /// A code block, until it is classified.
    Block(PendingBlock),
}

/// A code block met by the walk; [`Classified`] completes it.
struct PendingBlock {
    /// Its index in the classification results.
    id: usize,
    section: Option<SectionId>,
    span: Span,
    intro: Option<DocumentText>,
    /// How many diagnostics the walk had found when it met the block: the
    /// block's own go after them.
    diagnostics_at: usize,
    /// The code block an expected-output comment right after this block
    /// belongs to if this one turns out empty (empty blocks are skipped).
    previous_code_slot: Option<usize>,
    /// From an `<!-- expected output: … -->` comment right after the block.
    expected_output: Option<Arc<str>>,
}

/// The items in document order, with each block as its classification makes
/// it: a code item, nothing (an empty block), or one manual item per line of
/// a checklist or numbered instructions written inside a fence. The blocks'
/// diagnostics join the walk's where the walk met each block.
fn place_blocks(
    mut slots: Vec<Slot>,
    classified: Vec<Option<Classified>>,
    walk_diagnostics: Vec<Diagnostic>,
) -> (Vec<Item>, Vec<Diagnostic>) {
    let mut classified = classified;
    let content_of = |slot: &Slot, classified: &[Option<Classified>]| -> Option<Kept> {
        let Slot::Block(block) = slot else {
            return None;
        };
        classified.get(block.id)?.as_ref()?.kept
    };
    // An expected-output comment after an empty block belongs to the code
    // block before it, as if the empty one were not there.
    for index in 0..slots.len() {
        let has_output =
            matches!(&slots[index], Slot::Block(block) if block.expected_output.is_some());
        if !has_output || content_of(&slots[index], &classified).is_some() {
            continue;
        }
        let Slot::Block(block) = &mut slots[index] else {
            continue;
        };
        let Some(output) = block.expected_output.take() else {
            continue;
        };
        let mut target = block.previous_code_slot;
        while let Some(slot @ Slot::Block(previous)) = target.and_then(|t| slots.get(t)) {
            if content_of(slot, &classified).is_some() {
                break;
            }
            target = previous.previous_code_slot;
        }
        if let Some(Slot::Block(previous)) = target.and_then(|t| slots.get_mut(t)) {
            previous.expected_output = Some(output);
        }
    }
    // Sized exactly: the items live as long as the document.
    let count = slots
        .iter()
        .map(|slot| match slot {
            Slot::Reserved => 0,
            Slot::Item(_) => 1,
            Slot::Block(_) => match content_of(slot, &classified) {
                None => 0,
                Some(Kept::Code) => 1,
                Some(Kept::Manual(lines)) => lines,
            },
        })
        .sum();
    let block_diagnostics: usize = classified
        .iter()
        .flatten()
        .map(|done| done.diagnostics.len())
        .sum();
    let mut diagnostics = Vec::with_capacity(walk_diagnostics.len() + block_diagnostics);
    let mut walk_diagnostics = walk_diagnostics.into_iter();
    let mut walk_taken = 0;
    let mut items = Vec::with_capacity(count);
    for slot in slots {
        let block = match slot {
            Slot::Reserved => continue,
            Slot::Item(item) => {
                items.push(item);
                continue;
            }
            Slot::Block(block) => block,
        };
        let Some(Classified {
            diagnostics: found,
            block: done,
            kept,
        }) = classified.get_mut(block.id).and_then(Option::take)
        else {
            continue;
        };
        // What the walk found before the block comes before the block's own.
        while walk_taken < block.diagnostics_at {
            let Some(diagnostic) = walk_diagnostics.next() else {
                break;
            };
            diagnostics.push(diagnostic);
            walk_taken += 1;
        }
        diagnostics.extend(found);
        let Some(mut code) = done else {
            continue;
        };
        if let Some(Kept::Manual(_)) = kept {
            for line in std::mem::take(&mut code.content.manual_lines) {
                let kind = match line.kind {
                    ManualLineKind::Checklist => ItemKind::Task(TaskItem {
                        text: DocumentText::Assembled(line.text.into()),
                        checked: line.checked,
                    }),
                    ManualLineKind::Instruction => ItemKind::Instruction(InstructionItem {
                        text: DocumentText::Assembled(line.text.into()),
                        number: None,
                    }),
                };
                items.push(Item {
                    section: block.section,
                    span: line.span,
                    // Numbered once every item is in place (`Walker::finish`).
                    line: 0,
                    intro: block.intro.clone(),
                    kind,
                });
            }
            continue;
        }
        if block.expected_output.is_some() {
            code.content.expected_output = block.expected_output;
        }
        items.push(Item {
            section: block.section,
            span: block.span,
            line: 0,
            intro: block.intro,
            kind: ItemKind::Code(code),
        });
    }
    diagnostics.extend(walk_diagnostics);
    (items, diagnostics)
}

/// The pulldown-cmark options runbooks are parsed with.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
}

/// A list item being read.
struct OpenItem {
    ordered: bool,
    number: Option<u64>,
    task: Option<bool>,
    span: Span,
    text: String,
    nested_text: String,
    has_code: bool,
    link_text_len: usize,
    /// Slot reserved in `items` so the item keeps its document position.
    slot: usize,
}

enum Container {
    List { ordered: bool, next_number: u64 },
    Item(OpenItem),
    BlockQuote,
    Other,
}

struct OpenCode<'a> {
    range: Range<usize>,
    fence: FenceKind,
    info: Option<CowStr<'a>>,
    lines: Vec<CodeLine<'a>>,
    /// The last line has not seen its newline yet.
    open_line: bool,
}

struct Walker<'a> {
    /// The whole document: offsets are into it.
    text: &'a str,
    /// The stretch of `text` this walk reads.
    chunk: Range<usize>,
    /// Open Markdown elements, for telling top-level blocks.
    depth: usize,
    last_top_level: Option<(TopLevelBlock, usize)>,
    sections: Vec<Section>,
    heading_stack: Vec<(u8, SectionId)>,
    items: Vec<Slot>,
    diagnostics: Vec<Diagnostic>,
    front_matter: FrontMatter,
    first_h1: Option<String>,
    containers: Vec<Container>,
    inline: Option<InlineText<'a>>,
    /// Emptied text buffers of finished paragraphs, reused for the next
    /// ones: most of a runbook is prose that is read and then dropped.
    spare_text: Vec<String>,
    code: Option<OpenCode<'a>>,
    /// An emptied line buffer of an earlier block, for the next one.
    spare_lines: Vec<CodeLine<'a>>,
    blocks: BlockQueue<'a>,
    /// The last paragraph, while nothing else came after it. Most
    /// paragraphs are one piece of the source, borrowed until they are kept.
    last_paragraph: Option<Cow<'a, str>>,
    /// Text of a `<summary>` while inside `<details>`.
    summary: Option<String>,
    /// The last item pushed, while nothing else came after it (for expected-output comments).
    last_code_slot: Option<usize>,
    metadata: Option<(MetadataBlockKind, Range<usize>)>,
}

/// Inline text being collected for a heading, paragraph or tight list item.
#[derive(Default)]
struct InlineText<'a> {
    text: String,
    /// The whole text so far while it is a single piece of the source,
    /// which is not copied into `text` unless more follows. `text` is then empty.
    borrowed: Option<&'a str>,
    link_depth: usize,
    link_text_len: usize,
    only_code: Option<(String, Range<usize>)>,
    other_content: bool,
}

impl<'a> InlineText<'a> {
    fn as_str(&self) -> &str {
        self.borrowed.unwrap_or(&self.text)
    }

    fn push_str(&mut self, piece: &str) {
        if let Some(borrowed) = self.borrowed.take() {
            self.text.push_str(borrowed);
        }
        self.text.push_str(piece);
    }

    /// Counts what `text` adds: whether it is more than a lone code span, and link text.
    fn note_content(&mut self, text: &str) {
        if !text.trim().is_empty() {
            self.other_content = true;
        }
        if self.link_depth > 0 {
            self.link_text_len += text.len();
        }
    }

    /// Appends a piece of the source, only borrowing it while it is the whole text.
    fn push_source(&mut self, piece: &'a str) {
        match self.text.is_empty() && self.borrowed.is_none() {
            true => self.borrowed = Some(piece),
            false => self.push_str(piece),
        }
    }
}

impl<'a> Walker<'a> {
    fn new(text: &'a str, chunk: Range<usize>, blocks: BlockQueue<'a>) -> Self {
        Walker {
            text,
            chunk,
            depth: 0,
            last_top_level: None,
            sections: Vec::new(),
            heading_stack: Vec::new(),
            items: Vec::new(),
            diagnostics: Vec::new(),
            front_matter: FrontMatter::default(),
            first_h1: None,
            containers: Vec::new(),
            inline: None,
            spare_text: Vec::new(),
            code: None,
            spare_lines: Vec::new(),
            blocks,
            last_paragraph: None,
            summary: None,
            last_code_slot: None,
            metadata: None,
        }
    }

    /// What the walk found, once the worker (if any) has classified every block.
    fn finish(self, worker: Option<Worker<'_, 'a>>) -> ChunkParse {
        let Walker {
            text,
            chunk,
            sections,
            heading_stack,
            items,
            diagnostics,
            front_matter,
            first_h1,
            last_top_level,
            blocks,
            ..
        } = self;
        let (mut items, diagnostics) = place_blocks(items, blocks.finish(worker), diagnostics);
        let newlines = number_lines(text, chunk, &mut items);
        ChunkParse {
            sections,
            heading_stack,
            items,
            diagnostics,
            front_matter,
            first_h1,
            last_top_level,
            newlines,
        }
    }

    fn current_section(&self) -> Option<SectionId> {
        self.heading_stack.last().map(|(_, id)| *id)
    }

    /// Starts collecting inline text, in a reused buffer when there is one.
    fn open_inline(&mut self) {
        let text = self.spare_text.pop().unwrap_or_default();
        if let Some(previous) = self.inline.replace(InlineText {
            text,
            ..InlineText::default()
        }) {
            self.recycle(previous.text);
        }
    }

    /// Keeps a buffer whose text is no longer needed for [`Self::open_inline`].
    fn recycle(&mut self, mut text: String) {
        // A few buffers cover the nesting of real documents; huge ones are
        // not worth keeping around.
        const KEPT: usize = 4;
        const MAX_CAPACITY: usize = 64 * 1024;
        if self.spare_text.len() < KEPT && text.capacity() <= MAX_CAPACITY {
            text.clear();
            self.spare_text.push(text);
        }
    }

    fn recycle_text(&mut self, text: Cow<'_, str>) {
        if let Cow::Owned(text) = text {
            self.recycle(text);
        }
    }

    fn innermost_item(&mut self) -> Option<&mut OpenItem> {
        self.containers
            .iter_mut()
            .rev()
            .find_map(|container| match container {
                Container::Item(item) => Some(item),
                _ => None,
            })
    }

    fn walk(&mut self) {
        let base = self.chunk.start;
        let chunk = &self.text[self.chunk.clone()];
        let parser = Parser::new_ext(chunk, markdown_options()).into_offset_iter();
        for (event, range) in parser {
            let range = range.start + base..range.end + base;
            match &event {
                Event::Start(_) => self.depth += 1,
                Event::End(tag) => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        let kind = match tag {
                            TagEnd::CodeBlock | TagEnd::HtmlBlock | TagEnd::MetadataBlock(_) => {
                                TopLevelBlock::Swallowing
                            }
                            _ => TopLevelBlock::Other,
                        };
                        self.last_top_level = Some((kind, range.end));
                    }
                }
                _ => {}
            }
            self.event(event, range);
        }
        // Close anything left open so every item found so far is kept.
        while let Some(container) = self.containers.pop() {
            if let Container::Item(item) = container {
                self.finish_item(item);
            }
        }
    }

    fn event(&mut self, event: Event<'a>, range: Range<usize>) {
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag, range),
            Event::Text(text) => self.text_event(text, range),
            Event::Code(code) => {
                if let Some(inline) = self.inline.as_mut() {
                    inline.push_str("`");
                    inline.push_str(&code);
                    inline.push_str("`");
                    if inline.link_depth > 0 {
                        inline.link_text_len += code.len() + 2;
                    }
                    if inline.only_code.is_none() && !inline.other_content {
                        inline.only_code = Some((code.to_string(), range));
                    } else {
                        inline.other_content = true;
                    }
                }
            }
            Event::SoftBreak => self.push_inline(" "),
            Event::HardBreak => self.push_inline("\n"),
            Event::TaskListMarker(checked) => {
                if let Some(item) = self.innermost_item() {
                    item.task = Some(checked);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => self.html(&html, range),
            Event::InlineMath(text) | Event::DisplayMath(text) => self.push_inline(&text),
            Event::FootnoteReference(_) | Event::Rule => {}
        }
    }

    fn push_inline(&mut self, text: &str) {
        if let Some(inline) = self.inline.as_mut() {
            inline.push_str(text);
            inline.note_content(text);
        }
    }

    /// [`Self::push_inline`] for text pulldown-cmark hands out as a piece of the source.
    fn push_inline_source(&mut self, text: &'a str) {
        if let Some(inline) = self.inline.as_mut() {
            inline.push_source(text);
            inline.note_content(text);
        }
    }

    fn start(&mut self, tag: Tag<'a>, range: Range<usize>) {
        match tag {
            Tag::Heading { .. } => {
                self.flush_item_inline();
                self.open_inline();
            }
            Tag::Paragraph => {
                self.flush_item_inline();
                self.open_inline();
            }
            Tag::CodeBlock(kind) => {
                self.flush_item_inline();
                let (fence, info) = match kind {
                    CodeBlockKind::Indented => (FenceKind::Indented, None),
                    CodeBlockKind::Fenced(info) => {
                        let first = self.text[range.start..].trim_start_matches([' ', '>']);
                        let fence = if first.starts_with('~') {
                            FenceKind::Tildes
                        } else {
                            FenceKind::Backticks
                        };
                        (fence, Some(info))
                    }
                };
                self.code = Some(OpenCode {
                    range,
                    fence,
                    info,
                    lines: std::mem::take(&mut self.spare_lines),
                    open_line: false,
                });
            }
            Tag::List(first_number) => {
                self.flush_item_inline();
                self.last_paragraph = None;
                self.containers.push(Container::List {
                    ordered: first_number.is_some(),
                    next_number: first_number.unwrap_or(1),
                });
            }
            Tag::Item => {
                let (ordered, number) = match self.containers.last_mut() {
                    Some(Container::List {
                        ordered,
                        next_number,
                    }) => {
                        let number = ordered.then_some(*next_number);
                        *next_number += 1;
                        (*ordered, number)
                    }
                    _ => (false, None),
                };
                self.last_paragraph = None;
                let slot = self.items.len();
                self.items.push(Slot::Reserved);
                self.containers.push(Container::Item(OpenItem {
                    ordered,
                    number,
                    task: None,
                    span: Span::from(range),
                    text: self.spare_text.pop().unwrap_or_default(),
                    nested_text: self.spare_text.pop().unwrap_or_default(),
                    has_code: false,
                    link_text_len: 0,
                    slot,
                }));
                self.open_inline();
            }
            Tag::BlockQuote(_) => {
                self.flush_item_inline();
                self.containers.push(Container::BlockQuote);
            }
            Tag::MetadataBlock(kind) => self.metadata = Some((kind, range)),
            Tag::Link { .. } => {
                if let Some(inline) = self.inline.as_mut() {
                    inline.link_depth += 1;
                }
            }
            Tag::Table(_) | Tag::FootnoteDefinition(_) | Tag::DefinitionList | Tag::HtmlBlock => {
                self.flush_item_inline();
                self.last_paragraph = None;
                self.containers.push(Container::Other);
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd, range: Range<usize>) {
        match tag {
            TagEnd::Heading(level) => {
                let inline = self.inline.take().unwrap_or_default();
                self.heading(
                    level as u8,
                    inline.as_str().trim().to_string(),
                    Span::from(range),
                );
                self.recycle(inline.text);
            }
            TagEnd::Paragraph => {
                let inline = self.inline.take().unwrap_or_default();
                self.paragraph(inline, range);
            }
            TagEnd::CodeBlock => {
                if let Some(code) = self.code.take() {
                    self.code_block(code);
                }
            }
            TagEnd::Item => {
                self.flush_item_inline();
                if let Some(Container::Item(item)) = self.containers.pop() {
                    self.finish_item(item);
                }
                if self.innermost_item().is_some() {
                    self.open_inline();
                } else if let Some(inline) = self.inline.take() {
                    self.recycle(inline.text);
                }
            }
            TagEnd::List(_) => {
                if matches!(self.containers.last(), Some(Container::List { .. })) {
                    self.containers.pop();
                }
                self.last_paragraph = None;
                if self.innermost_item().is_some() {
                    self.open_inline();
                }
            }
            TagEnd::BlockQuote(_) => {
                if matches!(self.containers.last(), Some(Container::BlockQuote)) {
                    self.containers.pop();
                }
            }
            TagEnd::Table
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::HtmlBlock => {
                if matches!(self.containers.last(), Some(Container::Other)) {
                    self.containers.pop();
                }
            }
            TagEnd::Link => {
                if let Some(inline) = self.inline.as_mut() {
                    inline.link_depth = inline.link_depth.saturating_sub(1);
                }
            }
            TagEnd::MetadataBlock(_) => {
                if let Some((kind, block)) = self.metadata.take() {
                    self.metadata_block(kind, block);
                }
            }
            _ => {}
        }
    }

    fn text_event(&mut self, text: CowStr<'a>, range: Range<usize>) {
        let source = self.text;
        if let Some(code) = self.code.as_mut() {
            // pulldown-cmark hands out the source's own bytes unless it had
            // to change them: then the text is where the range says.
            let borrowed = source
                .get(range.clone())
                .is_some_and(|there| there.as_ptr() == text.as_ptr() || there == &*text);
            let mut offset = range.start;
            // Where `piece` starts in `text`, to borrow the same bytes from the source.
            let mut position = 0;
            for piece in lines_with_newlines(&text) {
                let terminated = piece.ends_with('\n');
                let line = piece.trim_end_matches('\n').trim_end_matches('\r');
                // pulldown-cmark may split one line over several text events (e.g. at `\r\n`).
                match code.lines.last_mut() {
                    Some(last) if code.open_line => last.text.to_mut().push_str(line),
                    _ => {
                        let start = range.start + position;
                        let text = match borrowed {
                            true => Cow::Borrowed(&source[start..start + line.len()]),
                            false => Cow::Owned(line.to_string()),
                        };
                        code.lines.push(CodeLine { text, offset });
                    }
                }
                code.open_line = !terminated;
                if borrowed {
                    offset += piece.len();
                }
                position += piece.len();
            }
            return;
        }
        if self.metadata.is_some() {
            return;
        }
        match text {
            CowStr::Borrowed(text) => self.push_inline_source(text),
            text => self.push_inline(&text),
        }
    }

    fn heading(&mut self, level: u8, title: String, span: Span) {
        while self
            .heading_stack
            .last()
            .is_some_and(|(open, _)| *open >= level)
        {
            self.heading_stack.pop();
        }
        let id = SectionId(self.sections.len());
        let parent = self.current_section();
        if level == 1 && self.first_h1.is_none() {
            self.first_h1 = Some(title.clone());
        }
        let slug = slugify(&title);
        self.sections.push(Section {
            title,
            level,
            span,
            parent,
            slug,
        });
        self.heading_stack.push((level, id));
        self.last_paragraph = None;
        self.last_code_slot = None;
        self.summary = None;
    }

    fn paragraph(&mut self, inline: InlineText<'a>, range: Range<usize>) {
        self.last_code_slot = None;
        // A paragraph that is only ```cmd``` is a code block written inline.
        if let Some((code, code_range)) = &inline.only_code
            && !inline.other_content
            && self.text[code_range.clone()].starts_with("```")
        {
            self.inline_code_block(code.clone(), code_range.clone());
            return;
        }
        let text = match inline.borrowed {
            Some(borrowed) => {
                self.recycle(inline.text);
                Cow::Borrowed(borrowed.trim())
            }
            None => {
                let assembled = trim_in_place(inline.text);
                // Markup that reads as it is written (a code span keeps its
                // backticks) leaves the paragraph as the source has it.
                match self.text.get(range).map(str::trim) {
                    Some(written) if written == assembled => {
                        self.recycle(assembled);
                        Cow::Borrowed(written)
                    }
                    _ => Cow::Owned(assembled),
                }
            }
        };
        if let Some(item) = self.innermost_item() {
            if !item.text.is_empty() {
                item.text.push('\n');
            }
            item.text.push_str(&text);
            item.link_text_len += inline.link_text_len;
            self.recycle_text(text);
            return;
        }
        if text.is_empty() {
            self.recycle_text(text);
        } else if let Some(previous) = self.last_paragraph.replace(text) {
            self.recycle_text(previous);
        }
    }

    /// Moves text collected directly in a tight list item into the item.
    fn flush_item_inline(&mut self) {
        if self.innermost_item().is_none() {
            return;
        }
        if let Some(inline) = self.inline.take() {
            let text = inline.as_str().trim();
            if let Some(item) = self.innermost_item() {
                if !text.is_empty() {
                    if !item.text.is_empty() {
                        item.text.push('\n');
                    }
                    item.text.push_str(text);
                }
                item.link_text_len += inline.link_text_len;
            }
            self.recycle(inline.text);
        }
    }

    /// The enclosing list items' text joined with ` › `, else the paragraph
    /// just before, else the `<summary>` of the enclosing `<details>`.
    fn intro_for_code(&mut self, code_start: usize) -> Option<DocumentText> {
        let mut parts = self
            .containers
            .iter()
            .filter_map(|container| match container {
                Container::Item(item)
                    if !item.text.trim().is_empty() || !item.nested_text.is_empty() =>
                {
                    Some(item)
                }
                _ => None,
            })
            .peekable();
        // Usually one item's own text: shared straight from its buffer.
        if let Some(only) = parts.next_if(|item| item.nested_text.trim().is_empty())
            && parts.peek().is_none()
        {
            let window = only.span.start..code_start;
            return Some(self.written_or_assembled(only.text.trim(), window));
        }
        let mut chain: Option<String> = None;
        for container in &self.containers {
            if let Container::Item(item) = container
                && (!item.text.trim().is_empty() || !item.nested_text.is_empty())
            {
                let part = join_text(&item.text, &item.nested_text);
                match chain.as_mut() {
                    None => chain = Some(part.into_owned()),
                    Some(chain) => {
                        chain.push_str(" › ");
                        chain.push_str(&part);
                    }
                }
            }
        }
        if let Some(chain) = chain {
            return Some(DocumentText::Assembled(Arc::from(chain)));
        }
        if let Some(paragraph) = self.last_paragraph.take() {
            let intro = match &paragraph {
                // A paragraph of one piece of the source is read from the source.
                Cow::Borrowed(text) => DocumentText::Source(self.span_within(text)),
                Cow::Owned(text) => DocumentText::Assembled(Arc::from(text.as_str())),
            };
            // The buffer goes back for the next paragraph.
            self.recycle_text(paragraph);
            return Some(intro);
        }
        self.summary
            .as_deref()
            .map(|summary| DocumentText::Assembled(Arc::from(summary)))
    }

    /// `text` as a stretch of the source when it is written as it reads
    /// within `window`, else a copy.
    fn written_or_assembled(&self, text: &str, window: Range<usize>) -> DocumentText {
        let written = self.text.get(window.clone()).unwrap_or("");
        match memchr::memmem::find(written.as_bytes(), text.as_bytes()) {
            Some(at) => {
                DocumentText::Source(Span::new(window.start + at, window.start + at + text.len()))
            }
            None => DocumentText::Assembled(Arc::from(text)),
        }
    }

    /// Where `part`, a stretch of the document's text, is.
    fn span_within(&self, part: &str) -> Span {
        let start = (part.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        let start = start.min(self.text.len());
        Span::new(start, (start + part.len()).min(self.text.len()))
    }

    fn mark_items_have_code(&mut self) {
        for container in &mut self.containers {
            if let Container::Item(item) = container {
                item.has_code = true;
            }
        }
    }

    fn code_block(&mut self, code: OpenCode<'a>) {
        let span = Span::from(code.range.clone());
        let source = BlockSource::Fence {
            fence: code.fence,
            info: code.info,
            span,
        };
        self.push_code(source, code.lines, span);
    }

    fn inline_code_block(&mut self, code: String, range: Range<usize>) {
        let code = code.trim();
        let fence_len = self.text[range.clone()]
            .bytes()
            .take_while(|b| *b == b'`')
            .count();
        let content_offset =
            range.start + fence_len + self.text[range.start + fence_len..].find(code).unwrap_or(0);
        let first_word = code.split_whitespace().next().unwrap_or("");
        let (lang, body, body_offset) =
            if is_shell_language(first_word) && code.len() > first_word.len() {
                let rest = code[first_word.len()..].trim_start();
                (
                    Some(first_word.to_string()),
                    rest.to_string(),
                    content_offset + (code.len() - rest.len()),
                )
            } else if is_known_command(first_word) {
                (None, code.to_string(), content_offset)
            } else {
                return;
            };
        let lines = vec![CodeLine {
            text: Cow::Owned(body),
            offset: body_offset,
        }];
        let span = Span::from(range);
        self.push_code(BlockSource::Inline { lang, span }, lines, span);
    }

    fn push_code(&mut self, source: BlockSource<'a>, mut lines: Vec<CodeLine<'a>>, span: Span) {
        self.push_code_lines(source, &mut lines, span);
        // The next block reads its lines into the same buffer.
        lines.clear();
        if lines.capacity() > self.spare_lines.capacity() {
            self.spare_lines = lines;
        }
    }

    /// Queues the block to be read and classified, and holds its place
    /// among the items and the diagnostics.
    fn push_code_lines(
        &mut self,
        source: BlockSource<'a>,
        lines: &mut Vec<CodeLine<'a>>,
        span: Span,
    ) {
        let intro = self.intro_for_code(span.start);
        self.mark_items_have_code();
        let section = self.current_section();
        let id = self.blocks.push(source, lines);
        self.items.push(Slot::Block(PendingBlock {
            id,
            section,
            span,
            intro,
            diagnostics_at: self.diagnostics.len(),
            previous_code_slot: self.last_code_slot,
            expected_output: None,
        }));
        self.last_code_slot = Some(self.items.len() - 1);
        self.last_paragraph = None;
    }

    fn finish_item(&mut self, item: OpenItem) {
        if !item.has_code {
            self.keep_item(&item);
        }
        // Its text is kept (or was the intro of its code blocks): the
        // buffers go back for the next items.
        self.recycle(item.text);
        self.recycle(item.nested_text);
    }

    /// A closed list item with no code: a task, a numbered instruction, or
    /// prose folded into the enclosing item.
    fn keep_item(&mut self, item: &OpenItem) {
        let text = join_text(&item.text, &item.nested_text);
        let only_link = item.link_text_len > 0
            && item.link_text_len + 4 >= item.text.trim().len()
            && item.nested_text.is_empty();
        let section = self.current_section();
        let within_item = item.span.start..item.span.end;
        let kind = if let Some(checked) = item.task {
            ItemKind::Task(TaskItem {
                text: self.written_or_assembled(&text, within_item),
                checked,
            })
        } else if item.ordered && !only_link && !text.trim().is_empty() {
            ItemKind::Instruction(InstructionItem {
                text: self.written_or_assembled(&text, within_item),
                number: item.number,
            })
        } else {
            // Plain bullets are prose: fold them into the enclosing item's text.
            if !text.trim().is_empty()
                && let Some(parent) = self.innermost_item()
            {
                parent.nested_text.push_str("- ");
                parent.nested_text.push_str(&text.replace('\n', "\n  "));
                parent.nested_text.push('\n');
            }
            return;
        };
        if let Some(slot) = self.items.get_mut(item.slot) {
            *slot = Slot::Item(Item {
                section,
                span: item.span,
                line: 0,
                intro: None,
                kind,
            });
        }
    }

    fn html(&mut self, html: &str, range: Range<usize>) {
        let trimmed = html.trim();
        if let Some(start) = trimmed.find("<summary>") {
            let rest = &trimmed[start + "<summary>".len()..];
            let text = rest.split("</summary>").next().unwrap_or(rest);
            self.summary = Some(strip_tags(text).trim().to_string());
        }
        if trimmed.starts_with("</details>") {
            self.summary = None;
        }
        if trimmed.starts_with("<!--") {
            self.expected_output_comment(range);
        }
    }

    /// `<!-- expected output: … -->` right after a code block holds its expected output.
    fn expected_output_comment(&mut self, range: Range<usize>) {
        let Some(slot) = self.last_code_slot else {
            return;
        };
        let comment = &self.text[range.start..];
        let Some(end) = comment.find("-->") else {
            return;
        };
        let body = comment[4..end].trim();
        let lower = body.to_ascii_lowercase();
        let Some(rest) = [
            "expected output:",
            "expected output",
            "expected:",
            "output:",
        ]
        .iter()
        .find_map(|prefix| {
            lower
                .starts_with(prefix)
                .then(|| body[prefix.len()..].trim())
        }) else {
            return;
        };
        if let Some(Slot::Block(block)) = self.items.get_mut(slot) {
            block.expected_output = Some(Arc::from(rest));
        }
        self.last_code_slot = None;
    }

    fn metadata_block(&mut self, kind: MetadataBlockKind, block: Range<usize>) {
        let raw = &self.text[block.clone()];
        let body_start = raw.find('\n').map(|i| i + 1).unwrap_or(raw.len());
        let body_end = raw
            .trim_end()
            .rfind('\n')
            .map(|i| i + 1)
            .unwrap_or(body_start)
            .max(body_start);
        let body = &raw[body_start..body_end];
        let span = Span::from(block.clone());
        self.front_matter = match kind {
            MetadataBlockKind::PlusesStyle => {
                parse_toml(body, block.start + body_start, span, &mut self.diagnostics)
            }
            MetadataBlockKind::YamlStyle => parse_yaml(body, span),
        };
    }
}

/// `text.trim()`, reusing the buffer instead of copying into a new one.
fn trim_in_place(mut text: String) -> String {
    let end = text.trim_end().len();
    text.truncate(end);
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
    text
}

/// Sets each item's line, counted from the start of `chunk` of `text` as
/// line 1, and returns how many newlines the chunk holds. Items come in
/// document order: counting newlines from one to the next numbers them all
/// in one pass over the chunk, while it is still in the cache.
fn number_lines(text: &str, chunk: Range<usize>, items: &mut [Item]) -> usize {
    let newlines = |from: usize, to: usize| {
        memchr::memchr_iter(b'\n', text.as_bytes().get(from..to).unwrap_or(&[])).count()
    };
    let mut offset = chunk.start;
    let mut line = 1;
    for item in items {
        let start = item.span.start.clamp(chunk.start, chunk.end);
        if start >= offset {
            line += newlines(offset, start);
        } else {
            line -= newlines(start, offset);
        }
        offset = start;
        item.line = line;
    }
    line - 1 + newlines(offset, chunk.end)
}

/// An item's own text and the text of the items nested in it, borrowed
/// when it has no nested text.
fn join_text<'t>(text: &'t str, nested: &'t str) -> Cow<'t, str> {
    match (text.trim().is_empty(), nested.trim().is_empty()) {
        (_, true) => Cow::Borrowed(text.trim()),
        (true, false) => Cow::Borrowed(nested.trim_end()),
        (false, false) => Cow::Owned(format!("{}\n{}", text.trim(), nested.trim_end())),
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// GitHub's heading anchor: lowercase, spaces to `-`, punctuation dropped.
pub fn slugify(title: &str) -> String {
    title
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every class, the comments and prose around them that the
    /// classification results are matched with, and the diagnostics they cause.
    const SAMPLE: &str = r#"## Section

Restart it:

```bash {name=restart-NN timeout=30s}
kubectl rollout restart deployment/api -n "$NAMESPACE"
```
<!-- expected output: deployment.apps/api restarted -->

```bash
- [ ] check the dashboard
- [x] page the owner
```
<!-- expected output: ignored, the block is a checklist -->

```bash
```
<!-- expected output: goes to the block before the empty one -->

1. Look at the logs:

   ```console
   $ docker logs api | tail
   error: pool exhausted
   ```

2. Call the database owner

```sql {runner="psql "$DATABASE_URL""}
SELECT count(*) FROM jobs;
```

```
SELECT 1;
kubectl get pods
```

```yaml
spec:
  replicas: 3
```

```bash docker ps
```

```python
>>> print("hi")
```

```text
1. open the console
2. click restart
```

```bash {nme=typo}
echo typo
```

Run ```kubectl get nodes``` now.

"#;

    /// A block that runs every line keeps its text once, in its script; any
    /// other reads it from the source when its lines are written as they
    /// read, else keeps a copy. The body reads the same every way.
    #[test]
    fn bodies_read_the_same_whether_held_apart_or_in_the_script() {
        let text = "```bash\necho one\n  echo two\n```\n\n```console\n$ ls\nfile\n```\n\n```yaml\na: 1\n```\n\n```sql {runner=psql}\nSELECT 1;\n```\n\n- x\n\n  ```bash\n  echo three\n  ```\n\n- y\n\n  ```yaml\n  b: 2\n  c: 3\n  ```\n";
        let document = parse("x.md", text);
        let bodies: Vec<(&str, &str)> = document
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Code(code) => Some((
                    document.body(code),
                    match &code.body {
                        None => "script",
                        Some(DocumentText::Source(_)) => "source",
                        Some(DocumentText::Assembled(_)) => "copy",
                    },
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            bodies,
            [
                ("echo one\n  echo two", "script"),
                ("$ ls\nfile", "source"),
                ("a: 1", "source"),
                ("SELECT 1;", "source"),
                ("echo three", "script"),
                ("b: 2\nc: 3", "copy"),
            ]
        );
        let crlf = parse("x.md", &text.replace('\n', "\r\n"));
        let crlf_bodies: Vec<&str> = crlf
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Code(code) => Some(crlf.body(code)),
                _ => None,
            })
            .collect();
        let bodies: Vec<&str> = bodies.iter().map(|(body, _)| *body).collect();
        assert_eq!(crlf_bodies, bodies);
    }

    /// A paragraph of one piece of the source is borrowed, one of several
    /// pieces is copied together: both give the same intro text.
    #[test]
    fn intros_from_borrowed_and_assembled_paragraphs() {
        let text = "Plain prose before.\n\n```bash\necho one\n```\n\nRun `make`\nthen *check* &amp; go.\n\n```bash\necho two\n```\n\n- Item with `code`\n\n  ```bash\n  echo three\n  ```\n";
        let document = parse("x.md", text);
        let intros: Vec<Option<&str>> = document
            .items
            .iter()
            .map(|item| document.intro(item))
            .collect();
        assert_eq!(
            intros,
            [
                Some("Plain prose before."),
                Some("Run `make` then check & go."),
                Some("Item with `code`"),
            ]
        );
    }

    /// Pieces of Markdown that make or break a cut: headings, and the
    /// blocks a heading-like line can hide in (fences, comments, HTML, front
    /// matter), reference definitions, and a list item's fence that fools
    /// the cut's scan into seeing a fence where there is none.
    const PIECES: &[&str] = &[
        "# Title\n\n",
        "## Section\n\n",
        "### Sub\n\n",
        "###### Deep\n",
        "Prose before a step.\n\n",
        "Lazy line\n# heading right after\n\n",
        "```bash\necho hi\n\n# a comment, not a heading\nls\n```\n\n",
        "```bash\nunclosed\n\n# inside the fence\n",
        "~~~~\n```\n\n# in tildes\n~~~~\n\n",
        "<!--\n\n# hidden\n-->\n\n",
        "<!-- expected output: ok -->\n\n",
        "<details>\n<summary>More</summary>\n\n```bash\necho d\n```\n\n</details>\n\n",
        "1. Step one\n\n   ```bash\n   echo one\n   ```\n\n2. Step two\n\n",
        "- [ ] check it\n- [x] done\n\n",
        "> quoted\n> ```bash\n> echo q\n> ```\n\n",
        "    indented code\n\n",
        "[ref]: https://example.com\n\n",
        "See [ref] and a note[^1].\n\n[^1]: The note.\n\n",
        "<div>\n# inside an HTML block\n</div>\n\n",
        "<pre>\n\n# in pre\n</pre>\n\n",
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n",
        "```console\n$ kubectl get pods -n <namespace>\nNAME READY\n```\n\n",
        "```bash {name=restart timeout=30s}\nkubectl rollout restart deploy/api\n```\n\n",
        "- ```\n  code\n  ```\n\n",
        "- ```\n  unclosed in a list\n\n",
        "> ```\n> unclosed in a quote\n\n",
        "1. <!--\n\n",
        "[^2]: a footnote\n\n    more of it\n\n",
        "```\n",
        "#\n\n",
        "\n",
    ];

    /// Intros that read as they are written are read from the source; the
    /// rest are copies. Either way they read the same.
    #[test]
    fn intros_written_as_they_read_are_not_copied() {
        let text = "Check the logs of `api`:\n\n```bash\nls\n```\n\n1. Restart worker 7:\n\n   ```bash\n   ls\n   ```\n\nRestart **now**:\n\n```bash\nls\n```\n\n- Outer\n  - Inner\n\n    ```bash\n    ls\n    ```\n";
        let document = parse("x.md", text);
        let intros: Vec<(&str, bool)> = document
            .items
            .iter()
            .map(|item| {
                let from_source = matches!(item.intro, Some(DocumentText::Source(_)));
                (document.intro(item).unwrap_or(""), from_source)
            })
            .collect();
        assert_eq!(
            intros,
            [
                ("Check the logs of `api`:", true),
                ("Restart worker 7:", true),
                ("Restart now:", false),
                ("Outer › Inner", false),
            ]
        );
    }

    /// Checklist items and numbered instructions are read from the source
    /// like intros when written as they read.
    #[test]
    fn tasks_and_instructions_written_as_they_read_are_not_copied() {
        let text = "- [ ] Confirm worker 7 is healthy\n- [x] Page **the** owner\n\n1. Open the dashboard\n2. Check `api`\n";
        let document = parse("x.md", text);
        let texts: Vec<(&str, bool)> = document
            .items
            .iter()
            .map(|item| {
                let text = match &item.kind {
                    ItemKind::Task(task) => &task.text,
                    ItemKind::Instruction(instruction) => &instruction.text,
                    ItemKind::Code(_) => panic!("no code here"),
                };
                (document.text(text), matches!(text, DocumentText::Source(_)))
            })
            .collect();
        assert_eq!(
            texts,
            [
                ("Confirm worker 7 is healthy", true),
                ("Page the owner", false),
                ("Open the dashboard", true),
                ("Check `api`", true),
            ]
        );
    }

    #[test]
    fn a_handoff_reaches_a_thread_that_parked_waiting_for_it() {
        for value in [Some(0), Some(2_659_800), None] {
            let handoff = Handoff::new();
            assert_eq!(handoff.peek(), None);
            let received = std::thread::scope(|scope| {
                let waiting = scope.spawn(|| handoff.wait());
                // Long enough for the waiting thread to be done spinning and park.
                std::thread::sleep(std::time::Duration::from_millis(20));
                handoff.hand_over(value);
                waiting.thread().unpark();
                waiting.join().expect("the waiting thread ends")
            });
            assert_eq!(received, value);
            assert_eq!(handoff.peek(), Some(value));
        }
    }

    /// The document as parsed in halves on two threads, and whole on one.
    fn halves_and_whole(text: &str) -> (Document, Document) {
        (
            parse_with_threads_from("x.md", text.to_string(), 0),
            parse_with_threads_from("x.md", text.to_string(), usize::MAX),
        )
    }

    fn assert_same_document(halves: &Document, whole: &Document, text: &str) {
        for item in whole.items.iter() {
            assert_eq!(item.line, whole.source.line_of(item.span.start), "{text:?}");
        }
        assert_eq!(halves.sections, whole.sections, "{text:?}");
        assert_eq!(halves.items, whole.items, "{text:?}");
        assert_eq!(halves.diagnostics, whole.diagnostics, "{text:?}");
        assert_eq!(halves.title, whole.title, "{text:?}");
        assert_eq!(halves.front_matter, whole.front_matter, "{text:?}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn documents_parsed_in_halves_equal_documents_parsed_whole(
            front_matter in proptest::bool::ANY,
            crlf in proptest::bool::ANY,
            pieces in proptest::collection::vec(0..PIECES.len(), 0..40),
        ) {
            let mut text = String::new();
            if front_matter {
                text.push_str("+++\ntitle = \"T\"\n\n# a TOML comment\n[vars.NS]\ndefault = \"prod\"\n+++\n\n");
            }
            for piece in pieces {
                text.push_str(PIECES[piece]);
            }
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            let (halves, whole) = halves_and_whole(&text);
            assert_same_document(&halves, &whole, &text);
        }
    }

    /// Every bundled runbook and seed document, cut wherever a cut is safe:
    /// each cut gives the document parsed whole.
    #[test]
    fn real_runbooks_parsed_in_halves_equal_them_parsed_whole() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        let mut dirs = vec![
            root.join("runbooks"),
            root.join("docs"),
            root.join("../shared/seeds"),
        ];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                match path.is_dir() {
                    true => dirs.push(path),
                    false => files.push(path),
                }
            }
        }
        let mut cut = 0;
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            cut += usize::from(parse_in_halves(&text).is_some());
            let (halves, whole) = halves_and_whole(&text);
            assert_same_document(&halves, &whole, &file.display().to_string());
        }
        assert!(
            files.len() >= 20,
            "found {} files under {}",
            files.len(),
            root.display()
        );
        assert!(cut >= 10, "only {cut} of {} files were cut", files.len());
    }

    #[test]
    fn a_cut_the_scan_got_wrong_is_caught_and_the_document_parsed_whole() {
        // The list item's closing fence looks like an opening one to the
        // scan, which then takes the real fence for a closing one and the
        // comment inside it for a heading.
        let filler = "Prose.\n\n".repeat(40);
        let text =
            format!("{filler}- ```\n  code\n  ```\n\n```\necho\n\n# inside\nls\n```\n\n{filler}");
        let cut = find_cut(&text).expect("the scan is fooled");
        assert!(text[cut..].starts_with("# inside"));
        assert!(parse_in_halves(&text).is_none(), "the first half shows it");
        let (halves, whole) = halves_and_whole(&text);
        assert_same_document(&halves, &whole, &text);
        assert!(whole.sections.is_empty());
    }

    /// A heading at column 0 closes a list or quote and the fence left open
    /// inside it, so a cut there is safe, and the halves agree with the whole.
    #[test]
    fn a_fence_left_open_in_a_list_or_quote_ends_at_the_cut() {
        let filler = "Prose.\n\n".repeat(40);
        for open in ["- ```\n  unclosed in a list\n\n", "> ```\n> in a quote\n\n"] {
            let text = format!("{filler}{open}# Next\n\n```bash\necho next\n```\n\n{filler}");
            assert!(parse_in_halves(&text).is_some(), "{text:?}");
            let (halves, whole) = halves_and_whole(&text);
            assert_same_document(&halves, &whole, &text);
            assert_eq!(whole.sections.len(), 1);
        }
    }

    #[test]
    fn headings_of_the_second_half_nest_under_those_open_at_the_cut() {
        let filler = "Prose.\n\n".repeat(40);
        let text = format!(
            "# Top\n\n## Open\n\n{filler}### Child\n\n```bash\necho a\n```\n\n## Sibling\n\n```bash\necho b\n```\n\n{filler}"
        );
        let halves = parse_in_halves(&text).expect("cut at `### Child`");
        assert_eq!(halves.sections.len(), 4);
        let whole = parse_with_threads_from("x.md", text.clone(), usize::MAX);
        assert_eq!(halves.sections, *whole.sections);
        assert_eq!(halves.items, *whole.items);
        let parent = whole.sections[2]
            .parent
            .map(|id| whole.sections[id.0].title.as_str());
        assert_eq!(parent, Some("Open"));
    }

    #[test]
    fn a_large_document_parsed_in_halves_equals_it_parsed_whole() {
        let mut text = String::from("+++\ntitle = \"Halves\"\n+++\n\n# Halves\n\n");
        let mut copy = 0;
        while text.len() < 300 * 1024 {
            text.push_str(&SAMPLE.replace("NN", &copy.to_string()));
            copy += 1;
        }
        assert!(parse_in_halves(&text).is_some());
        let (halves, whole) = halves_and_whole(&text);
        assert!(whole.items.len() > copy * 10, "{} items", whole.items.len());
        assert_same_document(&halves, &whole, "");
    }

    #[test]
    fn blocks_classified_on_a_worker_thread_give_the_same_document() {
        // No heading to cut at: the walk runs whole, the blocks go to the worker.
        let mut text = String::from("+++\ntitle = \"Threads\"\n+++\n\n");
        let mut copy = 0;
        while text.len() < 300 * 1024 {
            let sample = SAMPLE.replace("NN", &copy.to_string());
            text.push_str(&sample.replace("## Section", "**Section**"));
            copy += 1;
        }
        text.push_str("```bash\nunclosed at the end\n");
        assert_eq!(find_cut(&text), None);
        let threaded = parse_with_threads_from("x.md", text.clone(), 0);
        let inline = parse_with_threads_from("x.md", text.clone(), usize::MAX);
        assert!(
            threaded.items.len() > copy * 10,
            "{} items",
            threaded.items.len()
        );
        assert_eq!(threaded.items, inline.items);
        assert_eq!(threaded.diagnostics, inline.diagnostics);
        assert_eq!(threaded.sections, inline.sections);
        assert_eq!(threaded.title, inline.title);
    }
}
