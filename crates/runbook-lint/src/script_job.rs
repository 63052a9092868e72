//! One runnable step's script, ready for `bash -n` or ShellCheck, with the
//! way back from a checker's line and column to the Markdown.

use crate::prepared_script::{PreparedScript, line_start};
use crate::shell_dialect::ShellDialect;
use runbook_graph::StepGraph;
use runbook_syntax::{Document, Script, Span};

pub struct ScriptJob<'a> {
    /// Which of the runbooks being linted.
    pub runbook: usize,
    pub step: usize,
    pub dialect: ShellDialect,
    pub script: &'a Script,
    pub prepared: PreparedScript,
}

impl<'a> ScriptJob<'a> {
    /// The steps of a runbook that run code. `skip=true` steps never run, so
    /// they may hold sketches that are not valid shell.
    pub fn collect(
        runbook: usize,
        document: &Document,
        graph: &'a StepGraph,
    ) -> Vec<ScriptJob<'a>> {
        let dialect = ShellDialect::of(&document.front_matter);
        graph
            .steps
            .iter()
            .filter(|step| step.kind.runs_code() && !step.attributes().skip)
            .filter_map(|step| {
                let script = step.script()?;
                Some(ScriptJob {
                    runbook,
                    step: step.index,
                    dialect: dialect.clone(),
                    script,
                    prepared: PreparedScript::new(&script.text, step.inputs()),
                })
            })
            .collect()
    }

    pub fn line_count(&self) -> usize {
        self.script.text.lines().count().max(1)
    }

    /// The Markdown span of 1-based script `line` (clamped to the script).
    pub fn line_span(&self, line: usize) -> Span {
        let line = line.clamp(1, self.line_count());
        let text = &self.script.text;
        let start = line_start(text, line - 1).unwrap_or(0);
        let length = text[start..].split('\n').next().unwrap_or("").len();
        Span::new(
            self.script.source_offset(start),
            self.script.source_offset(start + length),
        )
    }

    /// The Markdown span between two 1-based (line, character column)
    /// positions of the prepared text.
    pub fn span_between(&self, start: (usize, usize), end: (usize, usize)) -> Span {
        let original = &self.script.text;
        let start = self
            .script
            .source_offset(self.prepared.original_offset(original, start.0, start.1));
        let end = self
            .script
            .source_offset(self.prepared.original_offset(original, end.0, end.1));
        Span::new(start, end.max(start))
    }
}
