//! Inputs the fuzzer found (`fuzz/`), parsed and built into a graph: no
//! panics (debug assertions included), every span inside the text.

use runbook_graph::StepGraph;
use runbook_syntax::parse_bytes;

#[test]
fn fuzzer_regressions_build_a_graph() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../runbook-syntax/tests/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("regressions dir") {
        let path = entry.expect("entry").path();
        let document = parse_bytes("regression.md", &std::fs::read(&path).expect("readable"));
        let graph = StepGraph::build(&document);
        let length = document.source.text().len();
        for diagnostic in document.diagnostics.iter().chain(&graph.diagnostics) {
            assert!(
                diagnostic.span.start <= diagnostic.span.end && diagnostic.span.end <= length,
                "{}: {diagnostic:?}",
                path.display()
            );
        }
        for step in &graph.steps {
            for reason in step
                .risk()
                .destructive
                .iter()
                .chain(&step.risk().endless)
                .chain(&step.risk().interactive)
            {
                assert!(
                    reason.span.start <= reason.span.end && reason.span.end <= length,
                    "{}: {reason:?}",
                    path.display()
                );
            }
            for input in step.inputs() {
                assert!(
                    input.span.start <= input.span.end && input.span.end <= length,
                    "{}: {input:?}",
                    path.display()
                );
            }
        }
        count += 1;
    }
    assert!(count >= 2);
}
