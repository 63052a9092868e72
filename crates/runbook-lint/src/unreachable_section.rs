//! `unreachable-section`: a section that can never run anything.
//!
//! In this model every step can be reached: running everything walks the
//! steps in order, and the operator can jump to any step, including ones
//! marked `excludeFromRunAll` (those are left out of "run all" on purpose,
//! and `needs` can still pull them in). The only steps that never run are
//! `skip=true` (Runme: `ignore`). So a section is unreachable when it has
//! runnable steps (shell or session, its subsections included) and every one
//! of them is `skip=true`. Sections with only prose, checklists or context
//! are documentation, not unreachable. Only the outermost such section is
//! reported.

use crate::lint_catalog::UNREACHABLE_SECTION;
use runbook_graph::StepGraph;
use runbook_syntax::{Diagnostic, Document, SectionId, Span};

pub fn unreachable_sections(document: &Document, graph: &StepGraph, out: &mut Vec<Diagnostic>) {
    let count = document.sections.len();
    let mut runnable = vec![0usize; count];
    let mut skipped = vec![0usize; count];
    for step in graph.steps.iter().filter(|step| step.kind.runs_code()) {
        let mut current = step.section;
        while let Some(SectionId(index)) = current {
            let Some(section) = document.sections.get(index) else {
                break;
            };
            runnable[index] += 1;
            if step.attributes().skip {
                skipped[index] += 1;
            }
            current = section.parent;
        }
    }
    let unreachable = |index: usize| runnable[index] > 0 && skipped[index] == runnable[index];
    for (index, section) in document.sections.iter().enumerate() {
        if !unreachable(index)
            || section
                .parent
                .is_some_and(|SectionId(parent)| unreachable(parent))
        {
            continue;
        }
        let steps = runnable[index];
        let message = if steps == 1 {
            format!(
                "section `{}` can never run: its only step is skip=true",
                section.title
            )
        } else {
            format!(
                "section `{}` can never run: all of its {steps} steps are skip=true",
                section.title
            )
        };
        out.push(
            Diagnostic::warning(UNREACHABLE_SECTION, heading_line(document, section.span), message)
            .with_help("remove `skip=true` from the steps that should run; if the section is kept for reference, add `allow = [\"unreachable-section\"]` to the front matter"),
        );
    }
}

/// The heading's own line, without the newline the section span ends with.
fn heading_line(document: &Document, span: Span) -> Span {
    let text = document.source.slice(span);
    let line = text.split('\n').next().unwrap_or(text).trim_end();
    Span::new(span.start, span.start + line.len())
}
