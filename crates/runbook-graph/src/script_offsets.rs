//! Script-to-source offset mapping for the many spans of one step.

use runbook_syntax::{Script, Span};

/// Maps script offsets to source offsets exactly like
/// [`Script::source_offset`], but indexes the script's line starts once, so
/// a step with many inputs and risk reasons does not rescan its script for
/// each of them.
pub(crate) struct ScriptOffsets<'a> {
    script: &'a Script,
    /// The offset just after each `\n` of the script text, ascending.
    line_starts: Vec<usize>,
}

impl<'a> ScriptOffsets<'a> {
    pub(crate) fn new(script: &'a Script) -> Self {
        let line_starts = memchr::memchr_iter(b'\n', script.text.as_bytes())
            .map(|index| index + 1)
            .collect();
        ScriptOffsets {
            script,
            line_starts,
        }
    }

    pub(crate) fn source_offset(&self, script_offset: usize) -> usize {
        let clamped = script_offset.min(self.script.text.len());
        // Lines that start at or before the offset = newlines before it.
        let line_index = self.line_starts.partition_point(|&start| start <= clamped);
        let line_start = line_index
            .checked_sub(1)
            .map_or(0, |previous| self.line_starts[previous]);
        match self.script.line_offsets.get(line_index) {
            Some(origin) => origin + (script_offset - line_start),
            None => self.script.line_offsets.last().copied().unwrap_or(0),
        }
    }

    pub(crate) fn span(&self, span: Span) -> Span {
        let start = self.source_offset(span.start);
        // A script line can be longer than its source (pulldown-cmark turns
        // NUL into U+FFFD), so an end on the next line can map before the
        // start: keep the span empty there, as `Span::new` does in release.
        Span::new(start, self.source_offset(span.end).max(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_script_source_offset_everywhere() {
        let scripts = [
            Script::from_lines([("echo a", 10), ("", 40), ("ls -la é", 50)]),
            Script::from_lines([("one line", 7)]),
            Script::default(),
            Script {
                text: "no\nline offsets\n".into(),
                line_offsets: Default::default(),
            },
            Script {
                text: "more lines\nthan\noffsets".into(),
                line_offsets: [3].into_iter().collect(),
            },
        ];
        for script in &scripts {
            let offsets = ScriptOffsets::new(script);
            for offset in (0..script.text.len() + 3).filter(|offset| {
                script.text.is_char_boundary(*offset) || *offset > script.text.len()
            }) {
                assert_eq!(
                    offsets.source_offset(offset),
                    script.source_offset(offset),
                    "{script:?} at {offset}"
                );
            }
        }
    }
}
