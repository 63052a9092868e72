//! Parse + graph of a generated 5 MB runbook with 10,000 code blocks, side
//! by side with a bare pulldown-cmark walk over the same text with the
//! parser's own options (the floor). Building the graph leaves each step's
//! inputs, risk flags and heading paths to be worked out on first use, and
//! its title to be worked out when shown, so a third row asks every step
//! for all of them: both costs are reported. The
//! parser is handed the text as `runbook` hands it over, owned (the copy
//! for each round is made outside the timing), and what it built is
//! dropped inside the timing.
//! `cargo xtask bench` runs this and reports the ratios.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use pulldown_cmark::Parser;
use runbook_graph::{StepGraph, generate_runbook};
use std::hint::black_box;

fn bare_walk(text: &str) -> usize {
    Parser::new_ext(text, runbook_syntax::markdown_options())
        .into_offset_iter()
        .count()
}

fn parse_and_graph(text: String) -> usize {
    let document = runbook_syntax::parse_owned("bench.md", text);
    StepGraph::build(&document).steps.len()
}

/// Everything `runbook list --json` and `check` read of every step.
fn parse_graph_and_analysis(text: String) -> usize {
    let document = runbook_syntax::parse_owned("bench.md", text);
    let graph = StepGraph::build(&document);
    graph
        .steps
        .iter()
        .map(|step| {
            let risk = step.risk();
            step.title().len()
                + step.heading_path().len()
                + step.inputs().len()
                + step.assigns().len()
                + step.reads().len()
                + risk.destructive.len()
                + risk.endless.len()
                + risk.interactive.len()
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let text = generate_runbook(5 * 1024 * 1024, 10_000);
    let mut group = c.benchmark_group("parse-5mb-10k-blocks");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    group.bench_function("pulldown-walk", |b| b.iter(|| bare_walk(black_box(&text))));
    group.bench_function("parse-and-graph", |b| {
        b.iter_batched(
            || text.clone(),
            |text| parse_and_graph(black_box(text)),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("parse-graph-and-analysis", |b| {
        b.iter_batched(
            || text.clone(),
            |text| parse_graph_and_analysis(black_box(text)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
