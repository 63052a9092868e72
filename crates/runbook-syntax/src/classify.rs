//! Decides what each code block is: shell to run, context to show, manual
//! instructions, or an interactive session — and extracts the runnable script.
//!
//! Real runbooks are written for people, so shell-tagged blocks often hold
//! SQL, YAML, checklists or prompts with output. Lines are only set aside
//! when they start at the top level of the shell (see
//! [`crate::shell_scan::scan`]), so a multi-line `psql -c "SELECT …"` stays
//! shell while a bare `SELECT …;` becomes context.
//!
//! Every line of every block passes through here, so each regex is guarded
//! by a byte check that any match needs (the `could_*` functions): the
//! regex only runs on lines that might match it, and the answer is the same.

use crate::Span;
use crate::block_content::{
    BlockClass, BlockContent, BodyLine, ForeignSegment, LineText, ManualLine, ManualLineKind,
    Script,
};
use crate::known_commands::{is_known_command, is_shell_language, is_transcript_language};
use crate::shell_scan::{self, is_identifier};
use crate::text_lines::lines_with_newlines;
use regex::Regex;
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::LazyLock;

static SHELL_PROMPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\$ |[\w.-]+@[\w.-]+(?::[^\s$#]*)?\s?[$#] |\[[\w.-]+@[\w.-]+ [^\]]*\][$#] |(?:/|~)[^\s]* ?[$#] |PS [A-Z]:\\[^>]*> )",
    )
    .expect("valid prompt regex")
});
static REPL_PROMPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[\w-]+=[#>] ?|>>> |(?:redis|mysql|sqlite|mongo|irb|pry|iex|ghci|scala|mariadb)[^\s>]*> ?|irb\([^)]*\)[^>]*> )")
        .expect("valid repl regex")
});
static SQL_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|TRUNCATE|GRANT|REVOKE|EXPLAIN|VACUUM|ANALYZE|BEGIN|COMMIT|ROLLBACK|SET|SHOW|PRAGMA|REINDEX)\b|(?i:select\s.+\sfrom\s|insert\s+into\s|delete\s+from\s|update\s+\w+\s+set\s))",
    )
    .expect("valid sql regex")
});
static YAML_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:- )?[A-Za-z_][\w.-]*:(?:\s+\S.*)?$").expect("valid yaml regex")
});
static QUERY_LANGUAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(?:[a-z_][a-z0-9_]*\s*\((?:[^)]|$)|[a-z_:][a-z0-9_:]*\{[^}]*=|\{[a-z_]+=~?")"#)
        .expect("valid promql regex")
});
static CRONTAB_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:@(?:reboot|yearly|annually|monthly|weekly|daily|hourly)|(?:[\d*/,-]+\s+){4}[\d*/,-]+)\s+\S").expect("valid crontab regex")
});
static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,3}[.)]\s+\S").expect("valid numbered regex"));
static BULLET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[-*+]\s+\S").expect("valid bullet regex"));
static CHECKLIST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[-*+]\s+)?(?:\[(?<done>[ xX])\]|(?<check>[✅✓✔☑]|âœ…|âœ“|âœ”|â˜‘)|☐|⬜|🔲|â˜)\s*(?<text>.+)$").expect("valid checklist regex")
});

// Byte checks that every match of the regex above them needs. `\d`, `\w`
// and `(?i)` are Unicode-aware, so a non-ASCII first byte always passes.

/// Every [`SHELL_PROMPT`] starts with `$`, `[`, `/`, `~` or `PS `, or is `user@host`.
fn could_be_shell_prompt(line: &str) -> bool {
    matches!(
        line.as_bytes().first(),
        Some(b'$' | b'[' | b'/' | b'~' | b'P')
    ) || memchr::memchr(b'@', line.as_bytes()).is_some()
}

/// Every [`REPL_PROMPT`] ends in `>`, `=#` or `=>`.
fn could_be_repl_prompt(line: &str) -> bool {
    memchr::memchr2(b'>', b'#', line.as_bytes()).is_some()
}

fn shell_prompt_end(line: &str) -> Option<usize> {
    // The first alternative, and by far the most common prompt: leftmost-first
    // matching takes it whatever follows.
    if line.starts_with("$ ") {
        return Some(2);
    }
    could_be_shell_prompt(line)
        .then(|| SHELL_PROMPT.find(line).map(|m| m.end()))
        .flatten()
}

fn repl_prompt_end(line: &str) -> Option<usize> {
    could_be_repl_prompt(line)
        .then(|| REPL_PROMPT.find(line).map(|m| m.end()))
        .flatten()
}

fn is_yaml_key(line: &str) -> bool {
    could_be_yaml_key(line) && YAML_KEY.is_match(line)
}

/// Every [`YAML_KEY`] is, after an optional `- `, a run of `[\w.-]` that
/// starts with a letter or `_` and ends at a `:`. An ASCII byte outside that
/// class before the first `:` rules it out; a non-ASCII one may be a `\w`.
fn could_be_yaml_key(line: &str) -> bool {
    let bytes = line.as_bytes();
    let key = bytes.strip_prefix(b"- ").unwrap_or(bytes);
    if !matches!(key.first(), Some(b'_' | b'A'..=b'Z' | b'a'..=b'z')) {
        // `- ` is optional: `-` itself cannot start a key, but the line
        // without the prefix was already the candidate.
        return false;
    }
    match key
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
    {
        Some(end) => key[end] == b':' || !key[end].is_ascii(),
        None => false,
    }
}

/// Checks a trimmed, non-empty line against the line regexes, first byte first.
struct LineStart(u8);

impl LineStart {
    fn could_be_checklist(&self) -> bool {
        matches!(self.0, b'-' | b'*' | b'+' | b'[') || !self.0.is_ascii()
    }

    fn could_be_crontab(&self) -> bool {
        matches!(self.0, b'@' | b'*' | b'/' | b',' | b'-' | b'0'..=b'9') || !self.0.is_ascii()
    }

    fn could_be_numbered(&self) -> bool {
        self.0.is_ascii_digit() || !self.0.is_ascii()
    }

    /// The upper-case keywords, or `select`/`insert`/`delete`/`update` in
    /// any case. A lower-case first letter can only start the latter: their
    /// ASCII letters, unless a non-ASCII character (a Unicode case variant
    /// such as `ſ`) comes before the word could be told apart.
    fn could_be_sql_line(&self, line: &str) -> bool {
        if !self.could_be_sql() {
            return false;
        }
        if !self.0.is_ascii_lowercase() {
            return true;
        }
        let bytes = line.as_bytes();
        let word = &bytes[..bytes.len().min(6)];
        !word.is_ascii()
            || ["select", "insert", "delete", "update"]
                .iter()
                .any(|keyword| keyword.as_bytes().eq_ignore_ascii_case(word))
    }

    /// The upper-case keywords, or `select`/`insert`/`delete`/`update` in any case.
    fn could_be_sql(&self) -> bool {
        matches!(
            self.0,
            b'S' | b'I'
                | b'U'
                | b'D'
                | b'W'
                | b'C'
                | b'A'
                | b'T'
                | b'G'
                | b'R'
                | b'E'
                | b'V'
                | b'B'
                | b'P'
                | b's'
                | b'i'
                | b'u'
                | b'd'
        ) || !self.0.is_ascii()
    }

    fn could_be_bullet(&self) -> bool {
        matches!(self.0, b'-' | b'*' | b'+')
    }

    fn could_be_query(&self, line: &str) -> bool {
        matches!(self.0, b'a'..=b'z' | b'_' | b':' | b'{')
            && memchr::memchr2(b'(', b'{', line.as_bytes()).is_some()
    }
}

/// Classifies a block from its fence language (if any) and body lines.
pub fn classify(lang: Option<&str>, lines: &[BodyLine]) -> BlockContent {
    Classifier::default().classify(lang, lines)
}

/// Classifies the blocks of one document, reusing its buffers from block to
/// block and sharing the reasons and languages that repeat.
#[derive(Default)]
pub(crate) struct Classifier {
    /// The last block's lines, each ending in `\n`.
    text: String,
    /// Where each line starts in `text`.
    line_starts: Vec<usize>,
    shared: SharedText,
    transcript: TranscriptBuffers,
}

/// What reading a transcript needs from block to block.
#[derive(Default)]
struct TranscriptBuffers {
    /// Each command line: its line's index, and where the command starts in it.
    commands: Vec<(usize, usize)>,
    /// The command being read, to see whether it goes on.
    command: String,
    /// The output lines, joined.
    output: String,
}

/// Texts handed out before, so a repeated one costs a reference count, not an allocation.
#[derive(Default)]
struct SharedText {
    key: String,
    known: Vec<Arc<str>>,
}

impl SharedText {
    /// The concatenation of `parts`, shared with earlier identical ones.
    fn get(&mut self, parts: &[&str]) -> Arc<str> {
        // Reasons and languages repeat across a document; a handful covers it.
        const KEPT: usize = 32;
        self.key.clear();
        for part in parts {
            self.key.push_str(part);
        }
        if let Some(known) = self.known.iter().find(|known| ***known == *self.key) {
            return known.clone();
        }
        let text: Arc<str> = Arc::from(self.key.as_str());
        if self.known.len() < KEPT {
            self.known.push(text.clone());
        }
        text
    }
}

impl Classifier {
    /// The last classified block's lines joined with `\n`.
    pub(crate) fn body(&self) -> &str {
        self.text.strip_suffix('\n').unwrap_or(&self.text)
    }

    /// [`classify`] for any line type, so the parser can pass lines borrowed
    /// from the source instead of copying each into a [`BodyLine`].
    pub(crate) fn classify<L: LineText>(
        &mut self,
        lang: Option<&str>,
        lines: &[L],
    ) -> BlockContent {
        join_lines(lines, &mut self.text, &mut self.line_starts);
        let lang_lower = lang.map(|lang| match lang.bytes().any(|b| b.is_ascii_uppercase()) {
            true => Cow::Owned(lang.to_ascii_lowercase()),
            false => Cow::Borrowed(lang),
        });
        let lang = lang_lower.as_deref();
        match lang {
            Some(lang) if !is_shell_language(lang) => {
                if lines
                    .iter()
                    .any(|line| repl_prompt_end(line.text()).is_some())
                {
                    return session_transcript(
                        lines,
                        format!("`{lang}` block with interactive prompts"),
                    );
                }
                BlockContent {
                    language: Some(self.shared.get(&[lang])),
                    ..empty(
                        BlockClass::Context,
                        self.shared
                            .get(&["`", lang, "` blocks are shown, never run"]),
                    )
                }
            }
            _ => {
                let transcript = lang.is_some_and(is_transcript_language);
                if transcript
                    || lines.iter().any(|line| {
                        shell_prompt_end(line.text()).is_some() && !line.text().starts_with("#")
                    })
                {
                    return prompted(lines, transcript, &mut self.shared, &mut self.transcript);
                }
                if lines
                    .iter()
                    .any(|line| repl_prompt_end(line.text()).is_some())
                {
                    return session_transcript(
                        lines,
                        "REPL prompts: an interactive session".to_string(),
                    );
                }
                shell_like_scanned(
                    lang,
                    lines,
                    &self.text,
                    &self.line_starts,
                    &mut self.shared,
                    false,
                )
            }
        }
    }
}

fn empty(class: BlockClass, reason: impl Into<Arc<str>>) -> BlockContent {
    BlockContent {
        class,
        reason: reason.into(),
        language: None,
        script: None,
        foreign: Vec::new(),
        manual_lines: Vec::new(),
        expected_output: None,
        session_input: Vec::new(),
    }
}

fn session_transcript<L: LineText>(lines: &[L], reason: String) -> BlockContent {
    let input = lines
        .iter()
        .filter_map(|line| repl_prompt_end(line.text()).map(|end| line.text()[end..].to_string()))
        .collect();
    BlockContent {
        session_input: input,
        ..empty(BlockClass::Session, reason)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Region {
    None,
    Sql,
    Yaml { indent: usize },
}

struct ForeignLine {
    language: &'static str,
    span: Span,
}

/// Decides which top-level lines of a shell block are not shell.
struct ForeignLineDetector<'a> {
    text: &'a str,
    region: Region,
    found: Vec<ForeignLine>,
    manual: Vec<ManualLine>,
    /// Top-level lines kept as shell; only untagged blocks need them (to
    /// judge whether the block looks like shell at all).
    kept_fresh_lines: Vec<Span>,
    tagged_shell: bool,
}

/// What a top-level line is when read on its own (outside SQL or YAML).
enum FreshLine<'t> {
    Shell,
    Checklist { text: &'t str, checked: bool },
    Crontab,
    Instruction,
    Sql { complete: bool },
    Yaml,
    Prose,
    Query,
}

/// Judges a trimmed top-level line that is neither empty nor a comment.
fn fresh_line(trimmed: &str, tagged_shell: bool) -> FreshLine<'_> {
    let Some(&first) = trimmed.as_bytes().first() else {
        return FreshLine::Shell;
    };
    let start = LineStart(first);
    let first_word = trimmed.split_whitespace().next().unwrap_or("");
    if start.could_be_checklist()
        && let Some(captures) = CHECKLIST.captures(trimmed)
    {
        // A ✅ in a written checklist is a bullet, not a record that it was done.
        let checked = captures.name("done").is_some_and(|m| m.as_str() != " ");
        let text = captures.name("text").map_or("", |m| m.as_str());
        return FreshLine::Checklist { text, checked };
    }
    if start.could_be_crontab() && CRONTAB_ENTRY.is_match(trimmed) {
        return FreshLine::Crontab;
    }
    if start.could_be_numbered() && NUMBERED.is_match(trimmed) {
        return FreshLine::Instruction;
    }
    if start.could_be_sql_line(trimmed) && SQL_START.is_match(trimmed) {
        return FreshLine::Sql {
            complete: trimmed.ends_with(';'),
        };
    }
    if is_yaml_key(trimmed) && !is_known_command(first_word.trim_end_matches(':')) {
        return FreshLine::Yaml;
    }
    if start.could_be_bullet() && BULLET.is_match(trimmed) && !is_known_command(first_word) {
        return FreshLine::Prose;
    }
    if start.could_be_query(trimmed)
        && QUERY_LANGUAGE.is_match(trimmed)
        && !is_function_definition(trimmed)
        && !is_known_command(first_word)
    {
        return FreshLine::Query;
    }
    if !tagged_shell && !is_known_command(first_word) && contains_diagram_arrow(trimmed) {
        return FreshLine::Prose;
    }
    FreshLine::Shell
}

/// The trimmed content of a line, or `None` for a blank line or a comment.
fn line_content(line: &str) -> Option<&str> {
    let trimmed = line.trim_end_matches(['\n', '\r']).trim();
    (!trimmed.is_empty() && !trimmed.starts_with('#')).then_some(trimmed)
}

impl ForeignLineDetector<'_> {
    fn judge(&mut self, line: Span) -> bool {
        let raw = self.text[line.to_range()].trim_end_matches(['\n', '\r']);
        let trimmed = raw.trim();
        let indent = raw.len() - raw.trim_start().len();
        match self.region {
            Region::Sql => {
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    self.region = Region::None;
                } else {
                    if trimmed.ends_with(';') {
                        self.region = Region::None;
                    }
                    return self.mark("sql", line);
                }
            }
            Region::Yaml { indent: base } => {
                let yamlish = is_yaml_key(trimmed) || trimmed.starts_with("- ") || trimmed == "-";
                if trimmed.is_empty() || indent > base || (yamlish && indent == base) {
                    return self.mark("yaml", line);
                }
                self.region = Region::None;
            }
            Region::None => {}
        }
        let Some(trimmed) = line_content(raw) else {
            self.keep(line);
            return false;
        };
        match fresh_line(trimmed, self.tagged_shell) {
            FreshLine::Shell => {
                self.keep(line);
                false
            }
            FreshLine::Checklist { text, checked } => {
                self.manual.push(ManualLine {
                    kind: ManualLineKind::Checklist,
                    text: text.trim().to_string(),
                    span: line_without_newline(self.text, line),
                    checked,
                });
                self.mark("checklist", line)
            }
            FreshLine::Crontab => self.mark("crontab", line),
            FreshLine::Instruction => {
                self.manual.push(ManualLine {
                    kind: ManualLineKind::Instruction,
                    text: trimmed.to_string(),
                    span: line_without_newline(self.text, line),
                    checked: false,
                });
                self.mark("instructions", line)
            }
            FreshLine::Sql { complete } => {
                if !complete {
                    self.region = Region::Sql;
                }
                self.mark("sql", line)
            }
            FreshLine::Yaml => {
                self.region = Region::Yaml { indent };
                self.mark("yaml", line)
            }
            FreshLine::Prose => self.mark("text", line),
            FreshLine::Query => self.mark("promql", line),
        }
    }

    fn keep(&mut self, line: Span) {
        if !self.tagged_shell {
            self.kept_fresh_lines.push(line);
        }
    }

    fn mark(&mut self, language: &'static str, line: Span) -> bool {
        match self.found.last_mut() {
            Some(previous) if previous.language == language && previous.span.end == line.start => {
                previous.span.end = line.end;
            }
            _ => self.found.push(ForeignLine {
                language,
                span: line,
            }),
        }
        true
    }
}

fn line_without_newline(text: &str, line: Span) -> Span {
    let content = text[line.to_range()].trim_end_matches(['\n', '\r']);
    Span::new(line.start, line.start + content.len())
}

fn is_function_definition(line: &str) -> bool {
    static FUNCTION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:function\s+)?[\w-]+\s*\(\s*\)").expect("valid function regex")
    });
    FUNCTION.is_match(line)
}

fn contains_diagram_arrow(line: &str) -> bool {
    [
        "→", "←", "↓", "↑", "──", "│", "-->", "==>", "<--", "â†", "â”€", "â”‚",
    ]
    .iter()
    .any(|arrow| line.contains(arrow))
}

/// Does this line start like a shell command a person would type?
fn starts_like_shell(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let Some(mut first) = words.next() else {
        return false;
    };
    // Skip leading assignments: `FOO=1 cmd` or a bare `FOO=$(…)`.
    while let Some(eq) = first.find('=') {
        if !is_identifier(&first[..eq]) {
            break;
        }
        match words.next() {
            Some(next) => first = next,
            None => return true,
        }
    }
    is_known_command(first)
        || first.starts_with("./")
        || first.starts_with("~/")
        || (first.starts_with('/') && first.len() > 1 && !first.starts_with("//"))
        || first.starts_with("$(")
        || first.starts_with('$') && first.len() > 1
}

/// A shell (or untagged) block without prompts: `text` is its `lines`,
/// each ending in `\n`, starting at `line_starts`. `always_scan` turns off
/// skipping the scan, so tests can check that skipping it never changes the result.
fn shell_like_scanned<L: LineText>(
    lang: Option<&str>,
    lines: &[L],
    text: &str,
    line_starts: &[usize],
    shared: &mut SharedText,
    always_scan: bool,
) -> BlockContent {
    let mut detector = ForeignLineDetector {
        text,
        region: Region::None,
        found: Vec::new(),
        manual: Vec::new(),
        kept_fresh_lines: Vec::new(),
        tagged_shell: lang.is_some(),
    };
    // A tagged block in which every line reads as shell on its own sets
    // nothing aside, whichever lines turn out to start at top level, so it
    // needs no scan. Untagged blocks always do: they count their top-level lines.
    let could_set_aside = always_scan
        || lang.is_none()
        || lines_with_newlines(text)
            .filter_map(line_content)
            .any(|line| !matches!(fresh_line(line, true), FreshLine::Shell));
    // Only the line structure is needed here; the step graph scans the
    // resulting script in full.
    let scan = match could_set_aside {
        true => shell_scan::scan_lines(text, &mut |line| detector.judge(line)),
        false => shell_scan::LineScan::default(),
    };
    let to_source = |offset: usize| text_offset_to_source(lines, line_starts, offset);
    let foreign: Vec<ForeignSegment> = detector
        .found
        .iter()
        .filter(|segment| segment.language != "checklist" && segment.language != "instructions")
        .map(|segment| ForeignSegment {
            language: segment.language,
            text: text[segment.span.to_range()].trim_end().to_string(),
            span: {
                let content_len = text[segment.span.to_range()].trim_end().len().max(1);
                Span::new(
                    to_source(segment.span.start),
                    to_source(segment.span.start + content_len - 1) + 1,
                )
            },
        })
        .collect();
    let manual_lines: Vec<ManualLine> = detector
        .manual
        .into_iter()
        .map(|line| ManualLine {
            span: Span::new(to_source(line.span.start), to_source(line.span.end)),
            ..line
        })
        .collect();
    // A body line is dropped when a skipped line starts exactly where it
    // does. Both lists are in ascending order, so one pass matches them.
    let mut skipped_starts = scan.skipped_lines.iter().map(|span| span.start).peekable();
    let kept = lines.iter().zip(line_starts).filter(|(_, start)| {
        while skipped_starts.next_if(|skipped| skipped < *start).is_some() {}
        skipped_starts.next_if_eq(*start).is_none()
    });
    let script = Script::from_lines_with_capacity(
        kept.map(|(line, _)| (line.text(), line.offset())),
        text.len(),
        lines.len(),
    );
    // Untagged blocks only: how many top-level lines look like commands.
    let (code_lines, shell_like_lines) = detector
        .kept_fresh_lines
        .iter()
        .map(|span| text[span.to_range()].trim())
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .fold((0, 0), |(code, shell), line| {
            (code + 1, shell + usize::from(starts_like_shell(line)))
        });
    let foreign_summary = summarize(&detector.found);

    // Each way out below gives its own class and reason.
    let only_checklists = manual_lines
        .iter()
        .all(|l| l.kind == ManualLineKind::Checklist);
    let has_manual_lines = !manual_lines.is_empty();
    let base = move |class, reason: Arc<str>| BlockContent {
        foreign,
        manual_lines,
        ..empty(class, reason)
    };
    if script.is_blank() {
        if has_manual_lines && (lang.is_some() || only_checklists) {
            let kind = match only_checklists {
                true => "checklist",
                false => "numbered instructions",
            };
            let reason = format!("{kind} inside a code fence");
            return base(BlockClass::Manual, reason.into());
        }
        let language = dominant_language(&detector.found).unwrap_or("text");
        let reason = if detector.found.is_empty() {
            "only comments, nothing to run".to_string()
        } else if lang.is_some() {
            format!(
                "tagged `{}` but the content is {foreign_summary}",
                lang.unwrap_or("shell")
            )
        } else {
            format!("untagged block of {foreign_summary}")
        };
        return BlockContent {
            language: Some(Arc::from(language)),
            ..base(BlockClass::Context, reason.into()).with_manual_as_context()
        };
    }
    if lang.is_none() && (shell_like_lines == 0 || shell_like_lines * 2 < code_lines) {
        let reason = format!(
            "untagged block that does not look like shell ({shell_like_lines} of {code_lines} lines start with a known command)"
        );
        return BlockContent {
            language: Some(Arc::from(
                dominant_language(&detector.found).unwrap_or("text"),
            )),
            ..base(BlockClass::Context, reason.into()).with_manual_as_context()
        };
    }
    let reason: Arc<str> = match (lang, foreign_summary.is_empty()) {
        (Some(lang), true) => shared.get(&["`", lang, "` block"]),
        (Some(lang), false) => format!("`{lang}` block; {foreign_summary} kept as context").into(),
        (None, true) => {
            format!("untagged block that looks like shell ({shell_like_lines} command lines)")
                .into()
        }
        (None, false) => {
            format!("untagged block that looks like shell; {foreign_summary} kept as context")
                .into()
        }
    };
    BlockContent {
        script: Some(script),
        ..base(BlockClass::Shell, reason)
    }
}

impl BlockContent {
    /// The manual lines moved to the context: in a block that is context,
    /// a checklist is text to read, not steps.
    fn with_manual_as_context(mut self) -> Self {
        for line in std::mem::take(&mut self.manual_lines) {
            self.foreign.push(ForeignSegment {
                language: "text",
                text: line.text,
                span: line.span,
            });
        }
        self
    }
}

fn summarize(found: &[ForeignLine]) -> String {
    let mut languages: Vec<&str> = Vec::new();
    for line in found {
        if !languages.contains(&line.language) {
            languages.push(line.language);
        }
    }
    languages
        .iter()
        .map(|language| match *language {
            "sql" => "SQL",
            "yaml" => "YAML",
            "promql" => "PromQL",
            "crontab" => "crontab entries",
            "checklist" => "checklist lines",
            "instructions" => "numbered instructions",
            _ => "prose",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The language with the most bytes; on a tie, the one that appears first.
fn dominant_language(found: &[ForeignLine]) -> Option<&'static str> {
    // Totals per language in order of first appearance: a handful at most.
    let mut totals: Vec<(&'static str, usize)> = Vec::new();
    for line in found {
        match totals
            .iter_mut()
            .find(|(language, _)| *language == line.language)
        {
            Some((_, total)) => *total += line.span.len(),
            None => totals.push((line.language, line.span.len())),
        }
    }
    let mut best: Option<(&'static str, usize)> = None;
    for (language, total) in totals {
        if best.is_none_or(|(_, best_total)| total > best_total) {
            best = Some((language, total));
        }
    }
    best.map(|(language, _)| language)
}

/// `lines` into `text`, each ending in `\n`, and where each starts into `starts`.
fn join_lines<L: LineText>(lines: &[L], text: &mut String, starts: &mut Vec<usize>) {
    text.clear();
    starts.clear();
    for line in lines {
        starts.push(text.len());
        text.push_str(line.text());
        text.push('\n');
    }
}

fn text_offset_to_source<L: LineText>(lines: &[L], line_starts: &[usize], offset: usize) -> usize {
    let index = match line_starts.binary_search(&offset) {
        Ok(index) => index,
        Err(index) => index.saturating_sub(1),
    };
    match lines.get(index) {
        Some(line) => line.offset() + (offset - line_starts[index]).min(line.text().len()),
        None => lines
            .last()
            .map(|line| line.offset() + line.text().len())
            .unwrap_or(0),
    }
}

/// A transcript: prompted lines are commands (with continuations and
/// heredocs joined), REPL lines are session input, the rest is output.
fn prompted<L: LineText>(
    lines: &[L],
    transcript_language: bool,
    shared: &mut SharedText,
    buffers: &mut TranscriptBuffers,
) -> BlockContent {
    let TranscriptBuffers {
        commands,
        command,
        output,
    } = buffers;
    commands.clear();
    output.clear();
    let mut session_input = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index].text();
        let prompt_len = shell_prompt_end(line).or_else(|| root_prompt(line, transcript_language));
        let Some(prompt_len) = prompt_len else {
            if let Some(end) = repl_prompt_end(line) {
                session_input.push(line[end..].to_string());
            } else if !line.trim().is_empty() {
                if !output.is_empty() {
                    output.push('\n');
                }
                output.push_str(line);
            }
            index += 1;
            continue;
        };
        commands.push((index, prompt_len));
        command.clear();
        command.push_str(&line[prompt_len..]);
        command.push('\n');
        index += 1;
        while needs_more(command) && index < lines.len() {
            let next = lines[index].text();
            let skip = if next.starts_with("> ") { 2 } else { 0 };
            commands.push((index, skip));
            command.push_str(&next[skip..]);
            command.push('\n');
            index += 1;
        }
    }
    let command_lines = commands.iter().map(|&(index, start)| {
        let line = &lines[index];
        (&line.text()[start..], line.offset() + start)
    });
    let bytes = command_lines.clone().map(|(text, _)| text.len() + 1).sum();
    let script = Script::from_lines_with_capacity(command_lines, bytes, commands.len());
    let expected_output = (!output.is_empty()).then(|| Arc::from(output.as_str()));
    if script.is_blank() {
        return BlockContent {
            expected_output,
            language: Some(shared.get(&["text"])),
            ..empty(BlockClass::Context, "transcript with no commands")
        };
    }
    let class = if session_input.is_empty() {
        BlockClass::Shell
    } else {
        BlockClass::Session
    };
    let reason = match class {
        BlockClass::Session => {
            shared.get(&["prompted commands that open an interactive session, with its input"])
        }
        _ => shared.get(&["prompted commands; the other lines are expected output"]),
    };
    BlockContent {
        script: Some(script),
        expected_output,
        session_input,
        ..empty(class, reason)
    }
}

/// `# cmd` as a root prompt: only in transcripts, and only before a known command.
fn root_prompt(line: &str, transcript_language: bool) -> Option<usize> {
    let rest = line.strip_prefix("# ")?;
    let first = rest.split_whitespace().next()?;
    (transcript_language || is_known_command(first))
        .then_some(2)
        .filter(|_| is_known_command(first))
}

/// `command` is every line of a command so far, each ending in `\n`.
fn needs_more(command: &str) -> bool {
    let trimmed = command.trim_end();
    if trimmed.ends_with('\\')
        || trimmed.ends_with('|')
        || trimmed.ends_with("&&")
        || trimmed.ends_with("||")
    {
        return true;
    }
    // Only quotes, backticks, `$…`, `(` and `<<` open something that can be
    // left unterminated; a command without them needs no scan.
    let bytes = command.as_bytes();
    if memchr::memchr3(b'"', b'\'', b'`', bytes).is_none()
        && memchr::memchr3(b'$', b'(', b'<', bytes).is_none()
    {
        return false;
    }
    shell_scan::scan_lines(command, &mut |_| false)
        .unterminated
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<BodyLine> {
        let mut offset = 0;
        text.lines()
            .map(|line| {
                let body = BodyLine {
                    text: line.to_string(),
                    offset,
                };
                offset += line.len() + 1;
                body
            })
            .collect()
    }

    #[test]
    fn skipping_the_scan_of_plain_shell_changes_nothing() {
        const LINES: &[&str] = &[
            "kubectl get pods",
            "echo \"",
            "SELECT 1",
            "FROM t;",
            "spec:",
            "  replicas: 2",
            "- [ ] check",
            "1. do it",
            "0 4 * * * x",
            "rate(x[5m])",
            "docker ps",
            "'",
            "cat <<EOF",
            "EOF",
            "# note",
            "",
            "  indented",
            "→ arrow",
            "- item",
            "$(date)",
            "\\",
            "a: b",
            "✅ done",
            "up{job=\"a\"}",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3_000 {
            let count = 1 + next() % 8;
            let text: String = (0..count)
                .map(|_| format!("{}\n", LINES[(next() % LINES.len() as u64) as usize]))
                .collect();
            let body = lines(&text);
            for lang in [Some("bash"), None] {
                let (mut joined, mut starts) = (String::new(), Vec::new());
                join_lines(&body, &mut joined, &mut starts);
                let mut shared = SharedText::default();
                assert_eq!(
                    shell_like_scanned(lang, &body, &joined, &starts, &mut shared, false),
                    shell_like_scanned(lang, &body, &joined, &starts, &mut shared, true),
                    "{lang:?} {text:?}"
                );
            }
        }
    }

    #[test]
    fn plain_bash_is_shell() {
        let content = classify(Some("bash"), &lines("# check\ncurl -s http://x | jq .\n"));
        assert_eq!(content.class, BlockClass::Shell);
        assert_eq!(
            content.script.unwrap().text,
            "# check\ncurl -s http://x | jq .\n"
        );
    }

    #[test]
    fn sql_in_bash_is_context_but_quoted_sql_stays_shell() {
        let content = classify(Some("bash"), &lines("# Check\nSELECT count(*)\nFROM t;\n"));
        assert_eq!(content.class, BlockClass::Context);
        assert_eq!(content.language.as_deref(), Some("sql"));
        let content = classify(Some("bash"), &lines("psql -c \"\nSELECT 1\nFROM t;\"\n"));
        assert_eq!(content.class, BlockClass::Shell);
        assert!(content.foreign.is_empty());
    }

    #[test]
    fn mixed_block_keeps_shell_and_sets_sql_aside() {
        let content = classify(
            Some("bash"),
            &lines("kubectl top pods\n\nSELECT a\nFROM b\nLIMIT 10;\n\nredis-cli --latency\n"),
        );
        assert_eq!(content.class, BlockClass::Shell);
        let script = content.script.unwrap();
        assert!(script.text.contains("kubectl top pods") && script.text.contains("redis-cli"));
        assert!(!script.text.contains("SELECT"));
        assert_eq!(content.foreign[0].language, "sql");
        assert_eq!(content.foreign[0].text, "SELECT a\nFROM b\nLIMIT 10;");
    }

    #[test]
    fn yaml_after_a_command_is_context() {
        let content = classify(
            Some("bash"),
            &lines("kubectl edit deploy/x\n\n# Update\nspec:\n  template:\n    cpu: 1\n"),
        );
        assert_eq!(content.class, BlockClass::Shell);
        assert_eq!(
            content
                .foreign
                .iter()
                .map(|f| f.language)
                .collect::<Vec<_>>(),
            vec!["yaml"]
        );
    }

    #[test]
    fn crontab_entries_are_context() {
        let content = classify(
            Some("bash"),
            &lines("# Cleanup at 4 AM\n0 4 * * * /opt/cleanup.sh\n30 3 1 * * cp a b\n"),
        );
        assert_eq!(content.class, BlockClass::Context);
        assert_eq!(content.language.as_deref(), Some("crontab"));
    }

    #[test]
    fn checklist_in_fence_is_manual() {
        let content = classify(
            Some("bash"),
            &lines("✅ Announce window\n✅ Verify backups\n"),
        );
        assert_eq!(content.class, BlockClass::Manual);
        assert_eq!(content.manual_lines.len(), 2);
        assert_eq!(content.manual_lines[1].text, "Verify backups");
        let content = classify(None, &lines("- [ ] one\n- [x] two\n"));
        assert_eq!(content.class, BlockClass::Manual);
        assert!(content.manual_lines[1].checked && !content.manual_lines[0].checked);
        assert_eq!(
            classify(None, &lines("1. Push\n2. Pull\n")).class,
            BlockClass::Context
        );
    }

    #[test]
    fn untagged_blocks_need_to_look_like_shell() {
        assert_eq!(
            classify(None, &lines("docker compose ps\ndocker stats\n")).class,
            BlockClass::Shell
        );
        assert_eq!(
            classify(None, &lines("Alert: CRITICAL\nDuration: Immediate\n")).class,
            BlockClass::Context
        );
        assert_eq!(
            classify(None, &lines("Internet\n    ↓\nNGINX Ingress\n")).class,
            BlockClass::Context
        );
        assert_eq!(
            classify(None, &lines("api.example.com {\n  reverse_proxy a b\n}\n")).class,
            BlockClass::Context
        );
        assert_eq!(
            classify(None, &lines("container_cpu_usage_seconds_total\n")).class,
            BlockClass::Context
        );
    }

    #[test]
    fn transcript_lines_split_into_commands_and_output() {
        let content = classify(
            Some("console"),
            &lines(
                "$ kubectl get pods \\\n>   -n prod\nNAME READY\napi 1/1\n$ cat <<EOF > f\nhello\nEOF\n",
            ),
        );
        assert_eq!(content.class, BlockClass::Shell);
        assert_eq!(
            content.script.unwrap().text,
            "kubectl get pods \\\n  -n prod\ncat <<EOF > f\nhello\nEOF\n"
        );
        assert_eq!(
            content.expected_output.as_deref(),
            Some("NAME READY\napi 1/1")
        );
    }

    #[test]
    fn root_prompt_then_repl_is_a_session() {
        let content = classify(
            Some("console"),
            &lines("# psql -U postgres app\napp=# SELECT 1;\n ?column?\n"),
        );
        assert_eq!(content.class, BlockClass::Session);
        assert_eq!(content.script.unwrap().text, "psql -U postgres app\n");
        assert_eq!(content.session_input, vec!["SELECT 1;"]);
    }

    #[test]
    fn comments_in_bash_are_not_root_prompts() {
        let content = classify(Some("bash"), &lines("# Health check\ncurl -s http://x\n"));
        assert_eq!(content.class, BlockClass::Shell);
        assert!(content.expected_output.is_none());
    }

    #[test]
    fn script_lines_map_back_to_source() {
        let body = vec![
            BodyLine {
                text: "SELECT 1;".into(),
                offset: 100,
            },
            BodyLine {
                text: "echo hi".into(),
                offset: 120,
            },
        ];
        let content = classify(Some("bash"), &body);
        let script = content.script.unwrap();
        assert_eq!(script.text, "echo hi\n");
        assert_eq!(script.source_offset(5), 125);
        assert_eq!(content.foreign[0].span, Span::new(100, 109));
    }

    #[test]
    fn other_languages_are_context_and_repls_are_sessions() {
        assert_eq!(
            classify(Some("yaml"), &lines("a: 1\n")).class,
            BlockClass::Context
        );
        assert_eq!(
            classify(Some("python"), &lines(">>> import os\n")).class,
            BlockClass::Session
        );
        assert_eq!(
            classify(None, &lines("redis> GET x\n")).class,
            BlockClass::Session
        );
    }
}
