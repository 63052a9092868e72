//! Code blocks on their way to [`Classifier`], possibly on a second thread.
//!
//! Reading a block's fence line and classifying its body read only the
//! block: nothing the Markdown walk decides afterwards depends on them (the
//! walk reserves the block's place, and where its diagnostics go, and fills
//! them in at the end). So on large files the walk hands blocks over in
//! batches to a worker thread that reads and classifies them while the walk
//! goes on, and the two run side by side.

use crate::attributes::{StepAttributes, parse_fence_info};
use crate::block_content::{BlockClass, LineText, Script};
use crate::classify::Classifier;
use crate::document::{CodeBlock, DocumentText, FenceKind};
use crate::{Diagnostic, Span, second_core_available};
use pulldown_cmark::CowStr;
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender};
use std::thread::{Scope, ScopedJoinHandle};

/// Blocks handed over at a time: few enough hand-overs to be cheap, small
/// enough that the worker starts early and the last batch is short.
const BATCH_BLOCKS: usize = 32;

/// One line of a code block's body. Borrowed from the source when
/// pulldown-cmark hands out the source text itself (almost always), so
/// reading a block does not copy each line.
pub(crate) struct CodeLine<'a> {
    pub(crate) text: Cow<'a, str>,
    pub(crate) offset: usize,
}

impl LineText for CodeLine<'_> {
    fn text(&self) -> &str {
        &self.text
    }

    fn offset(&self) -> usize {
        self.offset
    }
}

/// How a block was written.
pub(crate) enum BlockSource<'a> {
    /// A fenced or indented block, its fence line still to be read.
    Fence {
        fence: FenceKind,
        /// The info string as pulldown-cmark read it.
        info: Option<CowStr<'a>>,
        span: Span,
    },
    /// A ```` ```cmd``` ```` written inline, its language already known.
    Inline { lang: Option<String>, span: Span },
}

/// What reading one block needs besides its lines.
struct Job<'a> {
    id: usize,
    source: BlockSource<'a>,
    /// The block's lines in [`Batch::lines`].
    lines: Range<usize>,
}

/// Blocks handed over together; their lines share one buffer.
#[derive(Default)]
pub(crate) struct Batch<'a> {
    jobs: Vec<Job<'a>>,
    lines: Vec<CodeLine<'a>>,
}

/// A block read and classified.
pub(crate) struct Classified {
    /// In source order, for where the walk was when it met the block.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// `None` for a block with nothing in it. Boxed here, on the thread
    /// that classified it, so putting it in place moves only a pointer.
    pub(crate) block: Option<Box<CodeBlock>>,
    /// What the block adds to the items, worked out here while the block
    /// is at hand: placing the blocks then need not look into each.
    pub(crate) kept: Option<Kept>,
}

/// What a classified block adds to the items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kept {
    Code,
    /// One manual item per line: a fence of checklist or instruction lines
    /// with no attributes.
    Manual(usize),
}

impl Kept {
    fn of(block: &CodeBlock) -> Kept {
        if block.content.class == BlockClass::Manual
            && *block.attributes == StepAttributes::default()
        {
            Kept::Manual(block.content.manual_lines.len())
        } else {
            Kept::Code
        }
    }
}

/// What one thread keeps from block to block.
struct Reader<'a> {
    text: &'a str,
    classifier: Classifier,
    /// Shared by the blocks whose fence has no attributes: most of them.
    no_attributes: Arc<StepAttributes>,
    /// A block's lines with the command of its fence line in front.
    with_command: Vec<CodeLine<'a>>,
    /// Fence languages met so far: a document uses a handful, so its
    /// blocks share them instead of each holding a copy.
    languages: Vec<Arc<str>>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Reader {
            text,
            classifier: Classifier::default(),
            no_attributes: Arc::default(),
            with_command: Vec::new(),
            languages: Vec::new(),
        }
    }

    fn language(&mut self, language: &str) -> Arc<str> {
        const KEPT: usize = 16;
        if let Some(known) = self.languages.iter().find(|known| ***known == *language) {
            return known.clone();
        }
        let language: Arc<str> = Arc::from(language);
        if self.languages.len() < KEPT {
            self.languages.push(language.clone());
        }
        language
    }
}

/// Collects blocks from the walk and classifies them in batches: on the
/// worker thread when there is one, else here.
pub(crate) struct BlockQueue<'a> {
    batch: Batch<'a>,
    next_id: usize,
    worker: Option<Sender<Batch<'a>>>,
    reader: Reader<'a>,
    /// Blocks classified on this thread, by id.
    classified: Vec<(usize, Classified)>,
}

impl<'a> BlockQueue<'a> {
    pub(crate) fn new(text: &'a str, worker: Option<Sender<Batch<'a>>>) -> Self {
        BlockQueue {
            batch: Batch::default(),
            next_id: 0,
            worker,
            reader: Reader::new(text),
            classified: Vec::new(),
        }
    }

    /// Queues a block to be read and classified and returns its id, which
    /// indexes the result of [`Self::finish`]. Empties `lines`.
    pub(crate) fn push(&mut self, source: BlockSource<'a>, lines: &mut Vec<CodeLine<'a>>) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        let start = self.batch.lines.len();
        self.batch.lines.append(lines);
        self.batch.jobs.push(Job {
            id,
            source,
            lines: start..self.batch.lines.len(),
        });
        if self.batch.jobs.len() >= BATCH_BLOCKS {
            // The next batch starts at the size this one reached, so filling
            // it does not grow its buffers step by step again.
            let next = Batch {
                jobs: Vec::with_capacity(BATCH_BLOCKS),
                lines: Vec::with_capacity(self.batch.lines.len()),
            };
            let batch = std::mem::replace(&mut self.batch, next);
            let unsent = match &self.worker {
                Some(worker) => worker.send(batch).err().map(|returned| returned.0),
                None => Some(batch),
            };
            if let Some(batch) = unsent {
                // No worker, or it is gone: classify here.
                self.worker = None;
                classify_batch(&mut self.reader, batch, &mut self.classified);
            }
        }
        id
    }

    /// Classifies the last batch, waits for the worker, and returns every
    /// block's result by id.
    pub(crate) fn finish(self, worker: Option<Worker<'_, 'a>>) -> Vec<Option<Classified>> {
        let BlockQueue {
            batch,
            next_id,
            worker: sender,
            mut reader,
            mut classified,
        } = self;
        // Closing the channel lets the worker finish once its queue is empty.
        drop(sender);
        classify_batch(&mut reader, batch, &mut classified);
        if let Some(worker) = &worker {
            // Help with the batches the worker has not started yet.
            while let Some(batch) = next_batch(&worker.batches) {
                classify_batch(&mut reader, batch, &mut classified);
            }
        }
        let mut results: Vec<Option<Classified>> = Vec::with_capacity(next_id);
        results.resize_with(next_id, || None);
        let from_worker = match worker.map(|worker| worker.thread.join()) {
            Some(Ok(from_worker)) => from_worker,
            // Classifying is the same code on either thread: a panic there
            // would have happened here too.
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Vec::new(),
        };
        for (id, block) in classified.into_iter().chain(from_worker) {
            if let Some(slot) = results.get_mut(id) {
                *slot = Some(block);
            }
        }
        results
    }
}

/// The second thread, and the batches it takes them from; the walk's
/// thread takes from the same queue once the walk is over.
pub(crate) struct Worker<'scope, 'a> {
    batches: Arc<Mutex<Receiver<Batch<'a>>>>,
    thread: ScopedJoinHandle<'scope, Vec<(usize, Classified)>>,
}

/// Starts a worker when the machine
/// has a second core. Returns the sending end for [`BlockQueue::new`].
pub(crate) fn start_worker<'scope, 'a: 'scope>(
    scope: &'scope Scope<'scope, '_>,
    text: &'a str,
) -> Option<(Sender<Batch<'a>>, Worker<'scope, 'a>)> {
    if !second_core_available() {
        return None;
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    let batches = Arc::new(Mutex::new(receiver));
    let queue = batches.clone();
    let thread = std::thread::Builder::new()
        .name("runbook-classify".to_string())
        .spawn_scoped(scope, move || {
            let mut reader = Reader::new(text);
            let mut results = Vec::new();
            while let Some(batch) = next_batch(&queue) {
                classify_batch(&mut reader, batch, &mut results);
            }
            results
        })
        .ok()?;
    Some((sender, Worker { batches, thread }))
}

/// The next batch, waiting for one while the walk may still send some;
/// `None` once the walk is over and every batch is taken.
fn next_batch<'a>(batches: &Mutex<Receiver<Batch<'a>>>) -> Option<Batch<'a>> {
    // The lock is held only to take a batch, never while classifying one.
    batches.lock().ok()?.recv().ok()
}

fn classify_batch<'a>(
    reader: &mut Reader<'a>,
    batch: Batch<'a>,
    classified: &mut Vec<(usize, Classified)>,
) {
    let Batch { jobs, lines } = batch;
    classified.reserve(jobs.len());
    for job in jobs {
        let block_lines = lines.get(job.lines.clone()).unwrap_or(&[]);
        classified.push((job.id, read_block(reader, job.source, block_lines)));
    }
}

/// Reads a block's fence line, then classifies its body.
fn read_block<'a>(
    reader: &mut Reader<'a>,
    source: BlockSource<'a>,
    lines: &[CodeLine<'a>],
) -> Classified {
    let mut diagnostics = Vec::new();
    let (fence, span, lang, info_span, attributes, command) = match source {
        BlockSource::Inline { lang, span } => (
            FenceKind::InlineTripleBacktick,
            span,
            lang.map(|lang| reader.language(&lang)),
            None,
            reader.no_attributes.clone(),
            None,
        ),
        BlockSource::Fence { fence, info, span } => {
            let (info_text, info_span) = match info {
                Some(info) if !info.trim().is_empty() => info_string(reader.text, span, info),
                _ => (None, None),
            };
            if matches!(fence, FenceKind::Backticks | FenceKind::Tildes) {
                check_fence_closed(reader.text, span, &mut diagnostics);
            }
            let mut lang = None;
            let mut attributes = reader.no_attributes.clone();
            let mut command = None;
            let only_language = info_text.as_deref().map(str::trim).filter(|info| {
                !info.is_empty() && !info.contains(|c: char| c.is_whitespace() || c == '{')
            });
            if let Some(language) = only_language {
                // Most fences name a language and nothing else: no attributes to read.
                lang = Some(reader.language(language));
            } else if let (Some(info), Some(info_span)) = (&info_text, info_span) {
                let fence = parse_fence_info(info, info_span.start, &mut diagnostics);
                if !fence.attributes.is_empty() {
                    attributes = Arc::new(StepAttributes::from_raw(
                        &fence.attributes,
                        &mut diagnostics,
                    ));
                }
                lang = fence.lang.map(|lang| reader.language(lang.value));
                if let Some(fence_command) = fence.command {
                    command = Some(CodeLine {
                        text: Cow::Owned(fence_command.value.to_string()),
                        offset: fence_command.span.start,
                    });
                    if lang.is_none() {
                        lang = Some(reader.language("sh"));
                    }
                }
            }
            (fence, span, lang, info_span, attributes, command)
        }
    };
    let read = BlockRead {
        fence,
        span,
        lang,
        info_span,
        attributes,
    };
    let lines = match command {
        Some(command) => {
            let mut with_command = std::mem::take(&mut reader.with_command);
            with_command.clear();
            with_command.push(command);
            with_command.extend(lines.iter().map(|line| CodeLine {
                text: line.text.clone(),
                offset: line.offset,
            }));
            let block = classify_block(reader, read, &with_command);
            reader.with_command = with_command;
            block
        }
        None => classify_block(reader, read, lines),
    };
    if lines.is_none() {
        diagnostics.push(
            Diagnostic::warning("empty-block", span, "empty code block")
                .with_help("remove it, or put the command inside"),
        );
    }
    Classified {
        diagnostics,
        kept: lines.as_deref().map(Kept::of),
        block: lines,
    }
}

/// Classifies a block's body; `None` when there is nothing in it.
fn classify_block(
    reader: &mut Reader<'_>,
    read: BlockRead,
    lines: &[CodeLine<'_>],
) -> Option<Box<CodeBlock>> {
    let BlockRead {
        fence,
        span,
        lang,
        info_span,
        attributes,
    } = read;
    let body_span = match (lines.first(), lines.last()) {
        (Some(first), Some(last)) => Span::new(
            first.offset,
            (last.offset + last.text.len()).max(first.offset),
        ),
        _ => Span::empty_at(span.end),
    };
    if lines.iter().all(|line| line.text.trim().is_empty()) {
        return None;
    }
    let classifier = &mut reader.classifier;
    let mut content = classifier.classify(lang.as_deref(), lines);
    let body_text = classifier.body();
    if let Some(runner) = &attributes.runner {
        // `runner=` makes any block runnable: the body goes to the runner's stdin.
        let delimiter = unique_heredoc_delimiter(body_text);
        let mut script = Script::from_lines(std::iter::once((
            format!("{runner} <<'{delimiter}'").as_str(),
            info_span.map(|s| s.start).unwrap_or(span.start),
        )));
        for line in lines {
            script.text.push_str(&line.text);
            script.text.push('\n');
            script.line_offsets.push(line.offset);
        }
        script.text.push_str(&delimiter);
        script.text.push('\n');
        script.line_offsets.push(body_span.end);
        content.class = BlockClass::Shell;
        content.reason = format!("runner `{runner}` receives the block on stdin").into();
        content.script = Some(script);
    }
    // Most runnable blocks run every line they hold: the body is then the
    // script's text and need not be kept twice.
    let body_is_script = content
        .script
        .as_ref()
        .is_some_and(|script| script.text.strip_suffix('\n') == Some(body_text));
    let body = (!body_is_script).then(|| match reader.text.get(body_span.to_range()) {
        Some(written) if written == body_text => DocumentText::Source(body_span),
        _ => DocumentText::Assembled(Arc::from(body_text)),
    });
    Some(Box::new(CodeBlock {
        fence,
        lang,
        info_span,
        attributes,
        body,
        body_span,
        content,
    }))
}

/// What the fence line says about a block.
struct BlockRead {
    fence: FenceKind,
    span: Span,
    lang: Option<Arc<str>>,
    info_span: Option<Span>,
    attributes: Arc<StepAttributes>,
}

/// The info string of the fence line of the block at `span`, as written,
/// and where it is.
fn info_string<'a>(
    text: &'a str,
    span: Span,
    info: CowStr<'a>,
) -> (Option<CowStr<'a>>, Option<Span>) {
    let block = text.get(span.to_range()).unwrap_or("");
    let first_line = &block[..memchr::memchr(b'\n', block.as_bytes()).unwrap_or(block.len())];
    // Read the info string as written: pulldown-cmark removes backslash escapes
    // and decodes entities, which would break `runner="psql \"$URL\""`.
    match raw_info_string(first_line) {
        Some((offset, raw)) => {
            let start = span.start + offset;
            (
                Some(CowStr::Borrowed(raw)),
                Some(Span::new(start, start + raw.len())),
            )
        }
        None => {
            let start = first_line
                .find(&*info)
                .map(|i| span.start + i)
                .unwrap_or(span.start);
            let info_span = Span::new(start, start + info.len());
            (Some(info), Some(info_span))
        }
    }
}

/// The info string of a fence's opening line as written, and its offset in
/// the line: what follows the run of backticks or tildes, trimmed.
fn raw_info_string(first_line: &str) -> Option<(usize, &str)> {
    let marker_start = first_line.len() - first_line.trim_start_matches([' ', '\t', '>']).len();
    let rest = &first_line[marker_start..];
    let fence_char = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let fence_len = rest.len() - rest.trim_start_matches(fence_char).len();
    let after = &rest[fence_len..];
    let leading = after.len() - after.trim_start().len();
    let raw = after.trim().trim_end_matches('\r').trim_end();
    (!raw.is_empty()).then_some((marker_start + fence_len + leading, raw))
}

/// Reports a fence whose closing line is missing: the rest of the document became its body.
fn check_fence_closed(text: &str, block: Span, diagnostics: &mut Vec<Diagnostic>) {
    let raw = text.get(block.to_range()).unwrap_or("");
    let opening = raw.trim_start_matches([' ', '>']);
    let fence_char = opening.chars().next().unwrap_or('`');
    let fence_len = opening.chars().take_while(|c| *c == fence_char).count();
    let last_line = raw
        .trim_end()
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .trim_start_matches([' ', '>', '\t']);
    let closed = raw.trim_end().contains('\n')
        && last_line.chars().take_while(|c| *c == fence_char).count() >= fence_len
        && last_line.trim_end().chars().all(|c| c == fence_char);
    if !closed {
        let open_end = raw.find('\n').map(|i| block.start + i).unwrap_or(block.end);
        diagnostics.push(
                Diagnostic::error("unclosed-fence", Span::new(block.start, open_end), "this code fence is never closed")
                    .with_help(format!("everything after it became one code block; close it with a line of {fence_len} `{fence_char}`")),
            );
    }
}

fn unique_heredoc_delimiter(body: &str) -> String {
    let mut delimiter = "RUNBOOK_EOF".to_string();
    while body.lines().any(|line| line.trim() == delimiter) {
        delimiter.push('_');
    }
    delimiter
}
