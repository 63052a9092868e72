//! Times the phases of parsing a generated runbook: `cargo run --release -p runbook-graph --example profile_parse`.
use std::time::Instant;

fn main() {
    let text = runbook_graph::generate_runbook(5 * 1024 * 1024, 10_000);
    for _ in 0..3 {
        let start = Instant::now();
        let source = runbook_syntax::SourceFile::new("x", text.clone());
        let t_source = start.elapsed();
        let start = Instant::now();
        let document = runbook_syntax::parse("x.md", &text);
        let t_parse = start.elapsed();
        let start = Instant::now();
        let graph = runbook_graph::StepGraph::build(&document);
        let t_graph = start.elapsed();
        let start = Instant::now();
        let inputs: usize = graph.steps.iter().map(|step| step.inputs().len()).sum();
        let t_analysis = start.elapsed();
        let start = Instant::now();
        drop(graph);
        drop(document);
        let t_drop = start.elapsed();
        println!(
            "source index {:?}  parse {:?}  graph {:?}  per-step analysis {:?}  drop {:?}  inputs {} lines {}",
            t_source,
            t_parse,
            t_graph,
            t_analysis,
            t_drop,
            inputs,
            source.line_count()
        );
    }
}
