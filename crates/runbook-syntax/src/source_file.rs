use crate::Span;
use serde::Serialize;
use std::sync::{Arc, OnceLock};

/// The text of one runbook plus the index needed to turn byte offsets into
/// `file:line:col`. The index is built on first use: parsing and building
/// the step graph do not need it, and for a large file it costs a sizeable
/// part of the whole parse.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    /// Shared with what is built from the document (its step graphs), so
    /// they can read stretches of it without copying them.
    text: Arc<String>,
    line_starts: OnceLock<Vec<usize>>,
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: String) -> Self {
        SourceFile {
            name: name.into(),
            text: Arc::new(text),
            line_starts: OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let bytes = self.text.as_bytes();
            // Counting first (vectorised) sizes the index exactly: no regrowth
            // copies and no slack kept alive for the document's lifetime.
            let mut line_starts = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
            line_starts.push(0);
            line_starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
            line_starts
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text itself, shared: for holding on to it without the rest of the document.
    pub fn shared_text(&self) -> Arc<String> {
        self.text.clone()
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// The 1-based line number containing `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts().binary_search(&offset) {
            Ok(index) => index + 1,
            Err(index) => index,
        }
    }

    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let line_start = self.line_starts()[line - 1];
        let column = self
            .text
            .get(line_start..offset)
            .map(|prefix| prefix.chars().count())
            .unwrap_or(offset - line_start)
            + 1;
        Location { line, column }
    }

    /// Byte range of 1-based `line`, without its line terminator.
    pub fn line_span(&self, line: usize) -> Span {
        let line_starts = self.line_starts();
        let start = line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        let mut end = line_starts.get(line).copied().unwrap_or(self.text.len());
        let bytes = self.text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        Span::new(start, end)
    }

    pub fn line_count(&self) -> usize {
        match self.line_starts.get() {
            Some(line_starts) => line_starts.len(),
            None => memchr::memchr_iter(b'\n', self.text.as_bytes()).count() + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based_and_count_characters() {
        let file = SourceFile::new("x.md", "ab\néé x\n\nlast".to_string());
        assert_eq!(file.location(0), Location { line: 1, column: 1 });
        assert_eq!(file.location(3), Location { line: 2, column: 1 });
        let x = file.text().find('x').unwrap();
        assert_eq!(file.location(x), Location { line: 2, column: 4 });
        assert_eq!(
            file.location(file.text().len()),
            Location { line: 4, column: 5 }
        );
        assert_eq!(file.slice(file.line_span(2)), "éé x");
        assert_eq!(file.line_count(), 4);
    }

    #[test]
    fn lines_are_counted_with_or_without_the_index() {
        let text = "one\ntwo\n\nfour\r\nfive\n".to_string();
        let unindexed = SourceFile::new("x.md", text.clone());
        assert_eq!(unindexed.line_count(), 6);
        let indexed = SourceFile::new("x.md", text);
        assert_eq!(indexed.line_of(9), 4);
        assert_eq!(indexed.line_count(), 6);
    }
}
