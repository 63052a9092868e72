//! A small, forgiving lexer for the shell found in runbooks.
//!
//! It is not a shell parser: it only tracks enough of bash's quoting,
//! expansions, heredocs and command separators to answer the questions the
//! rest of the engine asks of a step — which simple commands run (for risk
//! flags), which variables are read or assigned (for inputs), which lines
//! start at top level (so foreign lines such as SQL can be set aside), and
//! what quoting surrounds an offset (for safe substitution).
//!
//! It never fails: unterminated constructs are reported and scanning stops
//! at the end of the text.

use crate::Span;
use smallvec::{SmallVec, smallvec};
use std::borrow::Cow;
use std::ops::Range;

#[derive(Debug, Clone, Default)]
pub struct ShellScan {
    pub commands: Vec<SimpleCommand>,
    pub var_refs: Vec<VarRef>,
    pub positional_refs: Vec<Span>,
    pub heredocs: Vec<Heredoc>,
    pub comments: Vec<Span>,
    /// Lines the line filter set aside, as byte spans including the newline.
    pub skipped_lines: Vec<Span>,
    pub unterminated: Option<(Span, &'static str)>,
}

/// One simple command: words after quote removal, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    pub words: Vec<Word>,
    pub span: Span,
    /// Its stdin is a file, heredoc or here-string.
    pub stdin_redirected: bool,
    /// It reads the output of a previous command in a pipeline.
    pub piped_input: bool,
    /// It is followed by `&`.
    pub background: bool,
    /// It appears inside `$(…)`, backticks or a process substitution.
    pub substituted: bool,
}

impl SimpleCommand {
    /// Words after leading `NAME=value` assignments and reserved words such
    /// as `{`, `then` or `do`, so the first word is the program that runs.
    pub fn argv(&self) -> impl Iterator<Item = &Word> {
        self.words
            .iter()
            .skip_while(|word| precedes_program(&word.text, word.quoted))
    }
}

/// A leading word of a command that is not the program it runs.
fn precedes_program(text: &str, quoted: bool) -> bool {
    assignment_name(text).is_some()
        || (!quoted
            && matches!(
                text,
                "{" | "}" | "!" | "then" | "do" | "else" | "elif" | "if" | "until"
            ))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word with quotes and escapes removed; expansions stay verbatim.
    pub text: String,
    pub span: Span,
    pub quoted: bool,
}

impl Word {
    /// `Some(name)` when the word is a `NAME=value` (or `NAME+=value`) assignment.
    pub fn assignment(&self) -> Option<&str> {
        assignment_name(&self.text)
    }
}

fn assignment_name(text: &str) -> Option<&str> {
    let eq = text.find('=')?;
    let name = text[..eq].strip_suffix('+').unwrap_or(&text[..eq]);
    let name = name.split('[').next().unwrap_or(name);
    is_identifier(name).then_some(name)
}

/// [`ShellScan`] without a copy of each word: words borrow the scanned text
/// unless removing quotes changed them, and all commands' words share one
/// list. For callers that only look at a scan, such as the step graph,
/// which scans every step.
#[derive(Debug, Clone, Default)]
pub struct BorrowedScan<'a> {
    /// The words of every command, command after command.
    pub words: Vec<BorrowedWord<'a>>,
    pub commands: Vec<BorrowedCommand>,
    pub var_refs: Vec<BorrowedVarRef<'a>>,
    pub positional_refs: Vec<Span>,
    pub heredocs: Vec<Heredoc>,
    pub comments: Vec<Span>,
    /// Lines the line filter set aside, as byte spans including the newline.
    pub skipped_lines: Vec<Span>,
    pub unterminated: Option<(Span, &'static str)>,
}

/// A [`SimpleCommand`] whose words are `words` of its [`BorrowedScan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BorrowedCommand {
    pub words: Range<usize>,
    pub span: Span,
    pub stdin_redirected: bool,
    pub piped_input: bool,
    pub background: bool,
    pub substituted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BorrowedWord<'a> {
    /// The word with quotes and escapes removed; expansions stay verbatim.
    pub text: Cow<'a, str>,
    pub span: Span,
    pub quoted: bool,
}

impl BorrowedWord<'_> {
    /// `Some(name)` when the word is a `NAME=value` (or `NAME+=value`) assignment.
    pub fn assignment(&self) -> Option<&str> {
        assignment_name(&self.text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BorrowedVarRef<'a> {
    pub name: &'a str,
    /// The whole expansion, e.g. `${NAME:-x}`.
    pub span: Span,
    pub quote: QuoteContext,
    /// `${NAME:-default}`, `${NAME=x}` or `${NAME:+alt}`: reading it does not require a value.
    pub optional: bool,
}

impl<'a> BorrowedScan<'a> {
    /// The words of `command`.
    pub fn words(&self, command: &BorrowedCommand) -> &[BorrowedWord<'a>] {
        self.words.get(command.words.clone()).unwrap_or(&[])
    }

    /// Like [`SimpleCommand::argv`]: the words from the program on.
    pub fn argv(&self, command: &BorrowedCommand) -> &[BorrowedWord<'a>] {
        let words = self.words(command);
        let leading = words
            .iter()
            .take_while(|word| precedes_program(&word.text, word.quoted))
            .count();
        &words[leading..]
    }

    /// The same scan with every word and name copied out.
    pub fn into_owned(self) -> ShellScan {
        let mut words = self.words.into_iter();
        let commands = self
            .commands
            .into_iter()
            .map(|command| SimpleCommand {
                // Commands' words follow each other in order.
                words: words
                    .by_ref()
                    .take(command.words.len())
                    .map(|word| Word {
                        text: word.text.into_owned(),
                        span: word.span,
                        quoted: word.quoted,
                    })
                    .collect(),
                span: command.span,
                stdin_redirected: command.stdin_redirected,
                piped_input: command.piped_input,
                background: command.background,
                substituted: command.substituted,
            })
            .collect();
        let var_refs = self
            .var_refs
            .into_iter()
            .map(|var| VarRef {
                name: var.name.to_string(),
                span: var.span,
                quote: var.quote,
                optional: var.optional,
            })
            .collect();
        ShellScan {
            commands,
            var_refs,
            positional_refs: self.positional_refs,
            heredocs: self.heredocs,
            comments: self.comments,
            skipped_lines: self.skipped_lines,
            unterminated: self.unterminated,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuoteContext {
    Unquoted,
    DoubleQuoted,
    SingleQuoted,
    Heredoc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef {
    pub name: String,
    /// The whole expansion, e.g. `${NAME:-x}`.
    pub span: Span,
    pub quote: QuoteContext,
    /// `${NAME:-default}`, `${NAME=x}` or `${NAME:+alt}`: reading it does not require a value.
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub body: Span,
    /// `false` when the delimiter was quoted, so the body is literal.
    pub expands: bool,
}

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Scans `text`. `line_filter` is asked about every line that starts at top
/// level (outside quotes, heredocs, substitutions and continuations); when it
/// returns `true` the line is skipped entirely.
pub fn scan(text: &str, line_filter: &mut dyn FnMut(Span) -> bool) -> ShellScan {
    scan_borrowed(text, line_filter).into_owned()
}

/// [`scan`] into a [`BorrowedScan`].
pub fn scan_borrowed<'a>(
    text: &'a str,
    line_filter: &mut dyn FnMut(Span) -> bool,
) -> BorrowedScan<'a> {
    let mut scanner = Scanner::new(text);
    scanner.run(line_filter);
    scanner.out
}

/// [`scan_all`] into a [`BorrowedScan`].
pub fn scan_all_borrowed(text: &str) -> BorrowedScan<'_> {
    scan_borrowed(text, &mut |_| false)
}

/// What [`scan_lines`] finds: the same line structure as [`scan`], without
/// the commands, words and references.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LineScan {
    pub skipped_lines: Vec<Span>,
    pub unterminated: Option<(Span, &'static str)>,
}

/// Like [`scan`], but only tracks the state that decides where lines start
/// and whether the text ends inside a construct. Classification asks these
/// questions of every block, and the step graph scans the runnable script
/// in full afterwards anyway, so this pass builds no words (no allocation
/// per word) — it is the cheap half of scanning a block twice.
pub(crate) fn scan_lines(text: &str, line_filter: &mut dyn FnMut(Span) -> bool) -> LineScan {
    let mut scanner = Scanner::new(text);
    scanner.record = false;
    scanner.run(line_filter);
    LineScan {
        skipped_lines: scanner.out.skipped_lines,
        unterminated: scanner.out.unterminated,
    }
}

/// Scans `text` with no lines skipped.
pub fn scan_all(text: &str) -> ShellScan {
    scan(text, &mut |_| false)
}

/// The quoting in force at `offset` of `text`, or `None` if `offset` is in a
/// comment or a literal heredoc.
pub fn quote_context_at(text: &str, offset: usize) -> QuoteContext {
    let mut scanner = Scanner::new(text);
    scanner.stop_at = Some(offset);
    scanner.run(&mut |_| false);
    scanner.context_at_stop.unwrap_or(QuoteContext::Unquoted)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terminator {
    EndOfText,
    Paren,
    Backtick,
}

#[derive(Debug)]
struct CommandFrame<'a> {
    terminator: Terminator,
    is_array_literal: bool,
    /// Words of the command being read; moved to the scan when it ends.
    words: Vec<BorrowedWord<'a>>,
    word_start: Option<usize>,
    word_quoted: bool,
    command_start: Option<usize>,
    redirect_target_pending: bool,
    stdin_redirected: bool,
    piped_input: bool,
}

impl CommandFrame<'_> {
    fn new(terminator: Terminator) -> Self {
        CommandFrame {
            terminator,
            is_array_literal: false,
            words: Vec::new(),
            word_start: None,
            word_quoted: false,
            command_start: None,
            redirect_target_pending: false,
            stdin_redirected: false,
            piped_input: false,
        }
    }
}

#[derive(Debug)]
enum Frame<'a> {
    Command(CommandFrame<'a>),
    DoubleQuote,
    SingleQuote,
    AnsiCQuote,
    Parameter,
    Arithmetic {
        depth: usize,
    },
    HeredocBody {
        delimiter: String,
        strip_tabs: bool,
        expands: bool,
        body_start: usize,
    },
}

struct PendingHeredoc {
    delimiter: String,
    strip_tabs: bool,
    expands: bool,
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    // Nesting is shallow: the frames of most scans fit inline, with no allocation per scan.
    frames: SmallVec<[Frame<'a>; 4]>,
    pending_heredocs: Vec<PendingHeredoc>,
    /// A `|`, `&&`, `||` or `\` ended the previous line, so the next line continues it.
    continues: bool,
    out: BorrowedScan<'a>,
    stop_at: Option<usize>,
    context_at_stop: Option<QuoteContext>,
    /// `{ … }` groups open at top level, and which of them are function bodies.
    brace_depth: usize,
    function_body_depths: Vec<usize>,
    function_header_seen: bool,
    /// `false` for [`scan_lines`]: keep only skipped lines and the
    /// unterminated construct. Nothing that decides control flow depends on
    /// what is recorded, so both modes see the same lines.
    record: bool,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            frames: smallvec![Frame::Command(CommandFrame::new(Terminator::EndOfText))],
            pending_heredocs: Vec::new(),
            continues: false,
            out: BorrowedScan::default(),
            stop_at: None,
            context_at_stop: None,
            brace_depth: 0,
            function_body_depths: Vec::new(),
            function_header_seen: false,
            record: true,
        }
    }

    fn peek(&self, ahead: usize) -> u8 {
        self.bytes.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn at_line_start(&self) -> bool {
        self.pos == 0 || self.bytes[self.pos - 1] == b'\n'
    }

    fn is_fresh_line(&self) -> bool {
        if self.continues || !self.pending_heredocs.is_empty() || self.frames.len() != 1 {
            return false;
        }
        matches!(&self.frames[0], Frame::Command(frame) if frame.command_start.is_none() && frame.word_start.is_none())
    }

    fn line_end(&self, from: usize) -> usize {
        memchr::memchr(b'\n', &self.bytes[from..])
            .map(|i| from + i + 1)
            .unwrap_or(self.bytes.len())
    }

    fn current_quote_context(&self) -> QuoteContext {
        for frame in self.frames.iter().rev() {
            match frame {
                Frame::DoubleQuote => return QuoteContext::DoubleQuoted,
                Frame::SingleQuote | Frame::AnsiCQuote => return QuoteContext::SingleQuoted,
                Frame::HeredocBody { .. } => return QuoteContext::Heredoc,
                Frame::Command(_) => return QuoteContext::Unquoted,
                Frame::Parameter | Frame::Arithmetic { .. } => continue,
            }
        }
        QuoteContext::Unquoted
    }

    fn run(&mut self, line_filter: &mut dyn FnMut(Span) -> bool) {
        while self.pos < self.bytes.len() {
            if let Some(stop) = self.stop_at
                && self.pos >= stop
            {
                self.context_at_stop = Some(self.current_quote_context());
                return;
            }
            if self.at_line_start() {
                if let Some(Frame::HeredocBody { .. }) = self.frames.last() {
                    self.heredoc_line_start();
                    continue;
                }
                if self.is_fresh_line() {
                    let end = self.line_end(self.pos);
                    let line = Span::new(self.pos, end);
                    if line_filter(line) {
                        self.out.skipped_lines.push(line);
                        self.pos = end;
                        continue;
                    }
                }
            }
            self.step();
        }
        self.finish();
    }

    fn heredoc_line_start(&mut self) {
        let end = self.line_end(self.pos);
        let Some(Frame::HeredocBody {
            delimiter,
            strip_tabs,
            expands,
            body_start,
        }) = self.frames.last()
        else {
            return;
        };
        let mut line = &self.text[self.pos..end];
        line = line.trim_end_matches(['\n', '\r']);
        if *strip_tabs {
            line = line.trim_start_matches('\t');
        }
        if line == delimiter {
            if self.record {
                self.out.heredocs.push(Heredoc {
                    body: Span::new(*body_start, self.pos),
                    expands: *expands,
                });
            }
            self.frames.pop();
            self.pos = end;
            self.start_pending_heredoc();
        } else if !*expands {
            self.pos = end;
        } else {
            // Expanding bodies are scanned character by character by `step`.
            self.step();
        }
    }

    fn start_pending_heredoc(&mut self) {
        if self.pending_heredocs.is_empty() {
            return;
        }
        let pending = self.pending_heredocs.remove(0);
        self.frames.push(Frame::HeredocBody {
            delimiter: pending.delimiter,
            strip_tabs: pending.strip_tabs,
            expands: pending.expands,
            body_start: self.pos,
        });
    }

    fn step(&mut self) {
        let c = self.bytes[self.pos];
        match self.frames.last_mut() {
            Some(Frame::Command(_)) => self.step_command(c),
            Some(Frame::SingleQuote) => {
                if c == b'\'' {
                    self.frames.pop();
                    self.pos += 1;
                } else {
                    let limit = self.skip_limit();
                    self.pos = memchr::memchr(b'\'', &self.bytes[self.pos..limit])
                        .map_or(limit, |i| self.pos + i);
                }
            }
            Some(Frame::AnsiCQuote) => {
                match c {
                    b'\\' => self.pos += 1,
                    b'\'' => {
                        self.frames.pop();
                    }
                    _ => {}
                }
                self.pos += 1;
            }
            Some(Frame::DoubleQuote) => match c {
                b'"' => {
                    self.frames.pop();
                    self.pos += 1;
                }
                b'\\' => self.pos += 2,
                b'$' => self.dollar(QuoteContext::DoubleQuoted),
                b'`' => {
                    self.pos += 1;
                    self.frames
                        .push(Frame::Command(CommandFrame::new(Terminator::Backtick)));
                }
                _ => self.skip_plain(|b| !matches!(b, b'"' | b'\\' | b'$' | b'`')),
            },
            Some(Frame::Parameter) => match c {
                b'}' => {
                    self.frames.pop();
                    self.pos += 1;
                }
                b'\\' => self.pos += 2,
                b'\'' => {
                    self.pos += 1;
                    self.frames.push(Frame::SingleQuote);
                }
                b'"' => {
                    self.pos += 1;
                    self.frames.push(Frame::DoubleQuote);
                }
                b'$' => self.dollar(QuoteContext::DoubleQuoted),
                _ => self.pos += 1,
            },
            Some(Frame::Arithmetic { depth }) => {
                match c {
                    b'(' => *depth += 1,
                    b')' => {
                        if *depth == 0 {
                            if self.peek(1) == b')' {
                                self.pos += 1;
                            }
                            self.frames.pop();
                        } else {
                            *depth -= 1;
                        }
                    }
                    b'$' => {
                        self.dollar(QuoteContext::Unquoted);
                        return;
                    }
                    _ => {}
                }
                self.pos += 1;
            }
            Some(Frame::HeredocBody { .. }) => match c {
                b'\\' => self.pos += 2,
                b'$' => self.dollar(QuoteContext::Heredoc),
                b'`' => {
                    self.pos += 1;
                    self.frames
                        .push(Frame::Command(CommandFrame::new(Terminator::Backtick)));
                }
                // Stop at the newline: the next line may be the delimiter.
                b'\n' => self.pos += 1,
                _ => self.skip_plain(|b| !matches!(b, b'\\' | b'$' | b'`' | b'\n')),
            },
            None => self.pos += 1,
        }
        self.pos = self.pos.min(self.bytes.len());
    }

    /// Where a run of bytes that need no decision may be skipped to:
    /// the end, or the offset `quote_context_at` asks about.
    fn skip_limit(&self) -> usize {
        self.stop_at.map_or(self.bytes.len(), |stop| {
            stop.clamp(self.pos, self.bytes.len())
        })
    }

    /// Steps over the byte at `pos` and every following byte for which
    /// `plain` holds, up to [`Self::skip_limit`]. Only for bytes that `step`
    /// would pass over one at a time without changing any state, so the
    /// result is the same as stepping, just without a dispatch per byte.
    fn skip_plain(&mut self, plain: impl Fn(u8) -> bool) {
        let limit = self.skip_limit();
        self.pos += 1;
        while self.pos < limit && plain(self.bytes[self.pos]) {
            self.pos += 1;
        }
    }

    fn command_frame(&mut self) -> &mut CommandFrame<'a> {
        command_frame_in(&mut self.frames)
    }

    fn begin_word(&mut self, quoted: bool) {
        let pos = self.pos;
        let frame = self.command_frame();
        if frame.word_start.is_none() {
            frame.word_start = Some(pos);
            frame.word_quoted = false;
        }
        if frame.command_start.is_none() {
            frame.command_start = Some(pos);
        }
        frame.word_quoted |= quoted;
    }

    fn end_word(&mut self) {
        let pos = self.pos;
        let text = self.text;
        let record = self.record;
        let frame = self.command_frame();
        let Some(start) = frame.word_start.take() else {
            return;
        };
        let raw = &text[start..pos];
        if frame.redirect_target_pending {
            frame.redirect_target_pending = false;
            return;
        }
        if !record {
            // Words and the brace tracking below only feed recorded output
            // (commands and positional references).
            return;
        }
        let first_word = frame.words.is_empty();
        let is_function_keyword = first_word && raw == "function";
        let opens_function_keyword_body = raw == "{"
            && frame
                .words
                .first()
                .is_some_and(|word| word.text == "function");
        frame.words.push(BorrowedWord {
            text: unquote_borrowed(raw),
            span: Span::new(start, pos),
            quoted: frame.word_quoted,
        });
        if is_function_keyword {
            self.function_header_seen = true;
        }
        if (first_word || opens_function_keyword_body) && raw == "{" {
            self.brace_depth += 1;
            if std::mem::take(&mut self.function_header_seen) {
                self.function_body_depths.push(self.brace_depth);
            }
        } else if first_word && raw == "}" {
            if self.function_body_depths.last() == Some(&self.brace_depth) {
                self.function_body_depths.pop();
            }
            self.brace_depth = self.brace_depth.saturating_sub(1);
        }
    }

    fn end_command(&mut self, background: bool) {
        self.end_word();
        let substituted = self.frames.len() > 1;
        let record = self.record;
        let frame = command_frame_in(&mut self.frames);
        let start = frame.command_start.take();
        let stdin_redirected = std::mem::take(&mut frame.stdin_redirected);
        let piped_input = std::mem::take(&mut frame.piped_input);
        frame.redirect_target_pending = false;
        let (Some(first), Some(last)) = (frame.words.first(), frame.words.last()) else {
            return;
        };
        if frame.is_array_literal || !record {
            frame.words.clear();
            return;
        }
        let span = Span::new(start.unwrap_or(first.span.start), last.span.end);
        // The frame keeps its buffer for the next command.
        let begin = self.out.words.len();
        self.out.words.append(&mut frame.words);
        let words = begin..self.out.words.len();
        self.out.commands.push(BorrowedCommand {
            words,
            span,
            stdin_redirected,
            piped_input,
            background,
            substituted,
        });
    }

    fn step_command(&mut self, c: u8) {
        if c != b'\n' && c != b' ' && c != b'\t' && c != b'\r' && c != b'\\' {
            self.continues = false;
        }
        match c {
            b' ' | b'\t' | b'\r' => {
                self.end_word();
                self.pos += 1;
            }
            b'\n' => {
                self.end_command(false);
                self.pos += 1;
                if !self.pending_heredocs.is_empty() {
                    self.start_pending_heredoc();
                }
            }
            b'#' if self.command_frame().word_start.is_none() => {
                let end = self.line_end(self.pos);
                let end_without_newline = if end > self.pos && self.bytes[end - 1] == b'\n' {
                    end - 1
                } else {
                    end
                };
                if self.record {
                    self.out
                        .comments
                        .push(Span::new(self.pos, end_without_newline));
                }
                self.pos = end_without_newline;
            }
            b'\\' => {
                if self.peek(1) == b'\n' {
                    self.end_word();
                    self.pos += 2;
                    self.continues = true;
                } else if self.peek(1) == b'\r' && self.peek(2) == b'\n' {
                    self.end_word();
                    self.pos += 3;
                    self.continues = true;
                } else {
                    self.begin_word(true);
                    self.pos += 2;
                }
            }
            b'\'' => {
                self.begin_word(true);
                self.pos += 1;
                self.frames.push(Frame::SingleQuote);
            }
            b'"' => {
                self.begin_word(true);
                self.pos += 1;
                self.frames.push(Frame::DoubleQuote);
            }
            b'`' => {
                if self.command_frame().terminator == Terminator::Backtick {
                    self.end_command(false);
                    self.frames.pop();
                    self.pos += 1;
                } else {
                    self.begin_word(false);
                    self.pos += 1;
                    self.frames
                        .push(Frame::Command(CommandFrame::new(Terminator::Backtick)));
                }
            }
            b'$' => {
                self.begin_word(false);
                self.dollar(QuoteContext::Unquoted);
            }
            b';' | b'&' | b'|' => {
                let next = self.peek(1);
                if c == b'&' && next == b'>' {
                    self.redirect(false);
                    return;
                }
                let background = c == b'&' && next != b'&';
                self.end_command(background);
                let doubled =
                    next == c || (c == b'|' && next == b'&') || (c == b';' && next == b'&');
                self.pos += if doubled { 2 } else { 1 };
                if c == b'|' && next != b'|' {
                    self.command_frame().piped_input = true;
                }
                if c != b';' {
                    self.continues = true;
                }
            }
            b'(' => {
                let frame = self.command_frame();
                if frame.word_start.is_some() {
                    let word_start = frame.word_start.unwrap_or(self.pos);
                    if self.text[word_start..self.pos].ends_with('=') {
                        self.pos += 1;
                        let mut array = CommandFrame::new(Terminator::Paren);
                        array.is_array_literal = true;
                        self.frames.push(Frame::Command(array));
                    } else {
                        // `name()` function definition or `@(…)` extglob: part of the word.
                        self.pos += 1;
                        if self.peek(0) == b')' {
                            // A function definition header is a command of its own.
                            self.pos += 1;
                            self.end_command(false);
                            self.function_header_seen = true;
                        }
                    }
                } else {
                    self.end_command(false);
                    self.pos += if self.peek(1) == b'(' { 2 } else { 1 };
                    self.frames
                        .push(Frame::Command(CommandFrame::new(Terminator::Paren)));
                }
            }
            b')' => {
                if self.command_frame().terminator == Terminator::Paren {
                    self.end_command(false);
                    self.frames.pop();
                    self.pos += 1;
                } else {
                    // A `case` pattern such as `start)`: its words are not a command.
                    self.end_word();
                    let frame = self.command_frame();
                    frame.words.clear();
                    frame.command_start = None;
                    self.pos += 1;
                }
            }
            b'<' | b'>' => {
                if self.peek(1) == b'(' {
                    self.begin_word(false);
                    self.pos += 2;
                    self.frames
                        .push(Frame::Command(CommandFrame::new(Terminator::Paren)));
                    return;
                }
                self.redirect(c == b'<');
            }
            _ => {
                self.begin_word(false);
                // `#` only starts a comment before a word, so inside one it is plain.
                self.skip_plain(|b| {
                    !matches!(
                        b,
                        b' ' | b'\t'
                            | b'\r'
                            | b'\n'
                            | b'\\'
                            | b'\''
                            | b'"'
                            | b'`'
                            | b'$'
                            | b';'
                            | b'&'
                            | b'|'
                            | b'('
                            | b')'
                            | b'<'
                            | b'>'
                    )
                });
            }
        }
    }

    fn redirect(&mut self, input: bool) {
        // A file descriptor number directly before the operator (`2>`) is not a word.
        let pos = self.pos;
        let text = self.text;
        let frame = self.command_frame();
        if let Some(start) = frame.word_start
            && text[start..pos].bytes().all(|b| b.is_ascii_digit())
        {
            frame.word_start = None;
        }
        self.end_word();
        if input && self.peek(1) == b'<' && self.peek(2) == b'<' {
            self.pos += 3;
            self.command_frame().stdin_redirected = true;
            self.command_frame().redirect_target_pending = true;
            return;
        }
        if input && self.peek(1) == b'<' {
            self.pos += 2;
            let strip_tabs = self.peek(0) == b'-';
            if strip_tabs {
                self.pos += 1;
            }
            while matches!(self.peek(0), b' ' | b'\t') {
                self.pos += 1;
            }
            let start = self.pos;
            while self.pos < self.bytes.len()
                && !matches!(
                    self.bytes[self.pos],
                    b' ' | b'\t' | b'\n' | b'\r' | b';' | b'|' | b'&' | b'<' | b'>' | b')'
                )
            {
                match self.bytes[self.pos] {
                    quote @ (b'\'' | b'"') => {
                        self.pos += 1;
                        while self.pos < self.bytes.len()
                            && self.bytes[self.pos] != quote
                            && self.bytes[self.pos] != b'\n'
                        {
                            self.pos += 1;
                        }
                        self.pos = (self.pos + 1).min(self.bytes.len());
                    }
                    _ => self.pos += 1,
                }
            }
            let raw = &self.text[start..self.pos];
            let expands = !raw.contains(['\'', '"', '\\']);
            let delimiter = unquote(raw);
            let frame = self.command_frame();
            frame.stdin_redirected = true;
            if !delimiter.is_empty() {
                self.pending_heredocs.push(PendingHeredoc {
                    delimiter,
                    strip_tabs,
                    expands,
                });
            }
            return;
        }
        let frame = self.command_frame();
        if input {
            frame.stdin_redirected = true;
        }
        if frame.command_start.is_none() {
            frame.command_start = Some(pos);
        }
        frame.redirect_target_pending = true;
        self.pos += 1;
        while matches!(self.peek(0), b'>' | b'&' | b'|') {
            self.pos += 1;
        }
        // `>&2`, `2>&1`: the target is a descriptor, already consumed.
        if self.bytes[self.pos - 1] == b'&'
            && (self.peek(0).is_ascii_digit() || self.peek(0) == b'-')
        {
            while self.peek(0).is_ascii_digit() || self.peek(0) == b'-' {
                self.pos += 1;
            }
            self.command_frame().redirect_target_pending = false;
        }
    }

    fn dollar(&mut self, quote: QuoteContext) {
        let start = self.pos;
        let next = self.peek(1);
        match next {
            b'(' => {
                if self.peek(2) == b'(' {
                    self.pos += 3;
                    self.frames.push(Frame::Arithmetic { depth: 0 });
                } else {
                    self.pos += 2;
                    self.frames
                        .push(Frame::Command(CommandFrame::new(Terminator::Paren)));
                }
            }
            b'{' => {
                self.pos += 2;
                let mut name_start = self.pos;
                if matches!(self.peek(0), b'#' | b'!')
                    && (self.peek(1) == b'_' || self.peek(1).is_ascii_alphabetic())
                {
                    name_start += 1;
                    self.pos += 1;
                }
                while self.peek(0) == b'_' || self.peek(0).is_ascii_alphanumeric() {
                    self.pos += 1;
                }
                let name = &self.text[name_start..self.pos];
                let rest = &self.text[self.pos..];
                let optional = ["-", ":-", "=", ":=", "+", ":+"]
                    .iter()
                    .any(|op| rest.starts_with(op));
                if self.record {
                    let end = self.matching_brace(start + 2);
                    if is_identifier(name) {
                        self.out.var_refs.push(BorrowedVarRef {
                            name,
                            span: Span::new(start, end),
                            quote,
                            optional,
                        });
                    } else if !name.is_empty()
                        && name.bytes().all(|b| b.is_ascii_digit())
                        && self.function_body_depths.is_empty()
                    {
                        self.out.positional_refs.push(Span::new(start, end));
                    }
                }
                self.frames.push(Frame::Parameter);
            }
            b'\'' if quote == QuoteContext::Unquoted => {
                self.pos += 2;
                self.frames.push(Frame::AnsiCQuote);
            }
            b'"' if quote == QuoteContext::Unquoted => {
                self.pos += 2;
                self.frames.push(Frame::DoubleQuote);
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                self.pos += 1;
                let name_start = self.pos;
                while self.peek(0) == b'_' || self.peek(0).is_ascii_alphanumeric() {
                    self.pos += 1;
                }
                if self.record {
                    let name = &self.text[name_start..self.pos];
                    self.out.var_refs.push(BorrowedVarRef {
                        name,
                        span: Span::new(start, self.pos),
                        quote,
                        optional: false,
                    });
                }
            }
            c if c.is_ascii_digit() => {
                self.pos += 2;
                // Inside a function, `$1` is the function's argument, not the script's.
                if c != b'0' && self.function_body_depths.is_empty() && self.record {
                    self.out.positional_refs.push(Span::new(start, self.pos));
                }
            }
            b'@' | b'*' | b'#' | b'?' | b'$' | b'!' | b'-' => self.pos += 2,
            _ => self.pos += 1,
        }
    }

    /// End offset (exclusive) of the `${…}` whose body starts at `from`,
    /// used only to give the reference a sensible span.
    fn matching_brace(&self, from: usize) -> usize {
        let mut depth = 1usize;
        let mut index = from;
        while index < self.bytes.len() {
            match self.bytes[index] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return index + 1;
                    }
                }
                b'\n' => return index,
                _ => {}
            }
            index += 1;
        }
        self.bytes.len()
    }

    fn finish(&mut self) {
        if self.stop_at.is_some() && self.context_at_stop.is_none() {
            self.context_at_stop = Some(self.current_quote_context());
        }
        let unterminated = self.frames.iter().rev().find_map(|frame| match frame {
            Frame::DoubleQuote => Some("double quote"),
            Frame::SingleQuote | Frame::AnsiCQuote => Some("single quote"),
            Frame::Parameter => Some("`${`"),
            Frame::Arithmetic { .. } => Some("`$((`"),
            Frame::HeredocBody { .. } => Some("heredoc"),
            Frame::Command(frame) if frame.terminator == Terminator::Paren => Some("parenthesis"),
            Frame::Command(frame) if frame.terminator == Terminator::Backtick => Some("backtick"),
            Frame::Command(_) => None,
        });
        if let Some(what) = unterminated {
            self.out.unterminated = Some((Span::empty_at(self.bytes.len()), what));
        }
        // Close every open frame so the words seen so far still count.
        while self.frames.len() > 1 {
            if let Some(Frame::Command(_)) = self.frames.last() {
                self.end_command(false);
            }
            self.frames.pop();
        }
        self.end_command(false);
    }
}

fn command_frame_in<'f, 'a>(frames: &'f mut [Frame<'a>]) -> &'f mut CommandFrame<'a> {
    match frames.last_mut() {
        Some(Frame::Command(frame)) => frame,
        _ => unreachable!("command_frame called outside a command frame"),
    }
}

/// [`unquote`], borrowing from `raw` when nothing is removed or the word is
/// one quoted string (`"$URL"`, `'.items[0]'`) whose inside stays as it is.
fn unquote_borrowed(raw: &str) -> Cow<'_, str> {
    let bytes = raw.as_bytes();
    match memchr::memchr3(b'\'', b'"', b'\\', bytes) {
        None => return Cow::Borrowed(raw),
        Some(0) if bytes.len() >= 2 && bytes[bytes.len() - 1] == bytes[0] => {
            let inner = &raw[1..raw.len() - 1];
            let plain = match bytes[0] {
                // Inside single quotes nothing is special but the closing quote.
                b'\'' => !inner.contains('\''),
                // Inside double quotes a backslash may escape something.
                b'"' => memchr::memchr2(b'"', b'\\', inner.as_bytes()).is_none(),
                _ => false,
            };
            if plain {
                return Cow::Borrowed(inner);
            }
        }
        Some(_) => {}
    }
    Cow::Owned(unquote(raw))
}

/// Removes quotes and backslash escapes from a shell word, keeping
/// expansions verbatim.
pub fn unquote(raw: &str) -> String {
    // Most words have nothing to remove.
    if memchr::memchr3(b'\'', b'"', b'\\', raw.as_bytes()).is_none() {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                for inner in chars.by_ref() {
                    if inner == '\'' {
                        break;
                    }
                    out.push(inner);
                }
            }
            '"' => {
                while let Some(inner) = chars.next() {
                    match inner {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            if let Some(escaped) = chars.next() {
                                out.push(escaped);
                            }
                        }
                        _ => out.push(inner),
                    }
                }
            }
            '\\' => {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argvs(text: &str) -> Vec<Vec<String>> {
        scan_all(text)
            .commands
            .iter()
            .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
            .collect()
    }

    #[test]
    fn splits_commands_and_removes_quotes() {
        assert_eq!(
            argvs("curl -s 'a b' \"c $X\" | jq .x && echo done; ls\n"),
            vec![
                vec!["curl", "-s", "a b", "c $X"],
                vec!["jq", ".x"],
                vec!["echo", "done"],
                vec!["ls"]
            ]
        );
    }

    #[test]
    fn continuation_lines_join_one_command() {
        let scan = scan_all("curl -s \\\n  -H 'x: y' \\\n  http://h\n");
        assert_eq!(scan.commands.len(), 1);
        assert_eq!(scan.commands[0].words.len(), 5);
    }

    #[test]
    fn command_substitutions_are_commands_too() {
        let all = argvs("DB=$(curl -s \"$U\" | jq -r .x)\n");
        assert!(all.contains(&vec![
            "curl".to_string(),
            "-s".to_string(),
            "$U".to_string()
        ]));
        assert!(all.iter().any(|c| c[0].starts_with("DB=$(")));
    }

    #[test]
    fn variable_references_know_their_quoting() {
        let scan =
            scan_all("echo $A \"${B:-x}\" '$C' ${D:0:20} $1 <<EOF\n$E\nEOF\ncat <<'Q'\n$F\nQ\n");
        let refs: Vec<_> = scan
            .var_refs
            .iter()
            .map(|r| (r.name.as_str(), r.quote, r.optional))
            .collect();
        assert_eq!(
            refs,
            vec![
                ("A", QuoteContext::Unquoted, false),
                ("B", QuoteContext::DoubleQuoted, true),
                ("D", QuoteContext::Unquoted, false),
                ("E", QuoteContext::Heredoc, false),
            ]
        );
        assert_eq!(scan.positional_refs.len(), 1);
        assert_eq!(scan.heredocs.len(), 2);
        assert!(!scan.heredocs[1].expands);
    }

    #[test]
    fn redirections_and_fd_numbers_are_not_arguments() {
        assert_eq!(argvs("cmd a > out.txt 2>&1\n"), vec![vec!["cmd", "a"]]);
        let scan = scan_all("psql db < dump.sql\n");
        assert!(scan.commands[0].stdin_redirected);
    }

    #[test]
    fn line_filter_skips_only_top_level_lines() {
        let text = "echo \"\nSELECT 1;\n\"\nSELECT 2;\nls\n";
        let mut asked = Vec::new();
        let scan = scan(text, &mut |line| {
            let content = &text[line.to_range()];
            asked.push(content.to_string());
            content.starts_with("SELECT")
        });
        assert_eq!(asked, vec!["echo \"\n", "SELECT 2;\n", "ls\n"]);
        assert_eq!(scan.skipped_lines.len(), 1);
    }

    #[test]
    fn comments_are_not_commands() {
        assert_eq!(argvs("# rm -rf /\necho a # b\n"), vec![vec!["echo", "a"]]);
    }

    #[test]
    fn unterminated_quote_is_reported_not_fatal() {
        let scan = scan_all("echo 'oops\n");
        assert_eq!(scan.unterminated.map(|u| u.1), Some("single quote"));
        assert_eq!(scan.commands.len(), 1);
    }

    #[test]
    fn quote_context_at_offsets() {
        let text = "a \"x{{v}}\" '{{w}}' {{z}}";
        assert_eq!(
            quote_context_at(text, text.find("{{v").unwrap()),
            QuoteContext::DoubleQuoted
        );
        assert_eq!(
            quote_context_at(text, text.find("{{w").unwrap()),
            QuoteContext::SingleQuoted
        );
        assert_eq!(
            quote_context_at(text, text.find("{{z").unwrap()),
            QuoteContext::Unquoted
        );
    }

    #[test]
    fn positional_arguments_inside_functions_are_the_functions() {
        let scan = scan_all("f() {\n  local a=$1\n}\nfunction g {\n echo ${2}\n}\necho $1\n");
        assert_eq!(scan.positional_refs.len(), 1);
        assert_eq!(
            scan.positional_refs[0].start,
            "f() {\n  local a=$1\n}\nfunction g {\n echo ${2}\n}\necho ".len()
        );
    }

    #[test]
    fn functions_arrays_and_case_patterns() {
        let all = argvs("f() {\n  rm -rf \"$1\"\n}\narr=(a b)\ncase $x in\n  start) go ;;\nesac\n");
        assert!(all.contains(&vec!["rm".to_string(), "-rf".to_string(), "$1".to_string()]));
        assert!(all.contains(&vec!["go".to_string()]));
        assert!(!all.contains(&vec!["start".to_string()]));
        assert!(
            !all.iter()
                .any(|c| c == &vec!["a".to_string(), "b".to_string()])
        );
    }

    /// Deterministic shell-ish texts mixing every construct the scanner tracks.
    fn shell_samples() -> Vec<String> {
        const PIECES: &[&str] = &[
            "echo ",
            "a",
            "\"",
            "'",
            "$(",
            ")",
            "`",
            "${X:-1}",
            "$HOME",
            "$1",
            "$'a\\'b'",
            "$((1+2))",
            "<<EOF\n",
            "EOF\n",
            "<<-'Q'\n",
            "Q\n",
            "\\\n",
            "\\",
            " | ",
            " && ",
            ";",
            "&",
            "\n",
            "\r\n",
            "# c\n",
            "f() {\n",
            "}\n",
            "arr=(x y)",
            "case $x in\n a) b ;;\nesac\n",
            "SELECT 1",
            "<(ls)",
            "2>&1 ",
            "> f ",
            "{",
            "}",
            "function g ",
            "=",
            "é",
            "\t",
            " ",
            "x#y ",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (0..4_000)
            .map(|_| {
                let count = next() % 25;
                (0..count)
                    .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn line_scan_sees_the_same_lines_as_a_full_scan() {
        for text in shell_samples() {
            let skip = |line: Span| {
                text[line.to_range()].starts_with("SELECT")
                    || text[line.to_range()].starts_with('a')
            };
            let mut asked_full = Vec::new();
            let full = scan(&text, &mut |line| {
                asked_full.push(line);
                skip(line)
            });
            let mut asked_lines = Vec::new();
            let lines = scan_lines(&text, &mut |line| {
                asked_lines.push(line);
                skip(line)
            });
            assert_eq!(asked_lines, asked_full, "{text:?}");
            assert_eq!(lines.skipped_lines, full.skipped_lines, "{text:?}");
            assert_eq!(lines.unterminated, full.unterminated, "{text:?}");
        }
    }

    #[test]
    fn borrowed_words_are_the_unquoted_words() {
        for raw in [
            "plain",
            "\"$URL\"",
            "'.items[0]'",
            "\"a\\\"b\"",
            "'a'b",
            "\"a\"'b'",
            "\"",
            "'",
            "''",
            "\"x",
            "a\\ b",
            "\"it's\"",
            "'say \"hi\"'",
        ] {
            assert_eq!(unquote_borrowed(raw), unquote(raw), "{raw:?}");
        }
        for text in shell_samples() {
            let borrowed = scan_all_borrowed(&text);
            for word in &borrowed.words {
                assert_eq!(word.text, unquote(&text[word.span.to_range()]), "{text:?}");
            }
            let owned = borrowed.clone().into_owned();
            assert_eq!(owned.commands.len(), borrowed.commands.len());
            for (command, owned_command) in borrowed.commands.iter().zip(&owned.commands) {
                let words: Vec<&str> = borrowed
                    .words(command)
                    .iter()
                    .map(|word| word.text.as_ref())
                    .collect();
                let owned_words: Vec<&str> = owned_command
                    .words
                    .iter()
                    .map(|word| word.text.as_str())
                    .collect();
                assert_eq!(words, owned_words, "{text:?}");
                let argv: Vec<&str> = borrowed
                    .argv(command)
                    .iter()
                    .map(|word| word.text.as_ref())
                    .collect();
                let owned_argv: Vec<&str> = owned_command
                    .argv()
                    .map(|word| word.text.as_str())
                    .collect();
                assert_eq!(argv, owned_argv, "{text:?}");
            }
        }
    }
}
