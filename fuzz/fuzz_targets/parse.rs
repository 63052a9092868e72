//! Any bytes: parsing and graph building must never panic, and every
//! diagnostic span must lie inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let document = runbook_syntax::parse_bytes("fuzz.md", data);
    let graph = runbook_graph::StepGraph::build(&document);
    let length = document.source.text().len();
    for diagnostic in document.diagnostics.iter().chain(&graph.diagnostics) {
        assert!(diagnostic.span.start <= diagnostic.span.end && diagnostic.span.end <= length);
    }
    for step in &graph.steps {
        if let Some(script) = step.script() {
            for line in 1..=script.text.lines().count() {
                assert!(script.source_line_offset(line).is_some_and(|offset| offset <= length));
            }
        }
    }
});
