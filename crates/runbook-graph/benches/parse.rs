//! Parse + graph of a generated 5 MB runbook with 10,000 code blocks, side
//! by side with a bare pulldown-cmark walk over the same text (the floor).
//! `cargo xtask bench` runs this and reports the ratio.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pulldown_cmark::{Options, Parser};
use runbook_graph::{StepGraph, generate_runbook};
use std::hint::black_box;

fn bare_walk(text: &str) -> usize {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    Parser::new_ext(text, options).into_offset_iter().count()
}

fn parse_and_graph(text: &str) -> usize {
    let document = runbook_syntax::parse("bench.md", text);
    StepGraph::build(&document).steps.len()
}

fn bench(c: &mut Criterion) {
    let text = generate_runbook(5 * 1024 * 1024, 10_000);
    let mut group = c.benchmark_group("parse-5mb-10k-blocks");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    group.bench_function("pulldown-walk", |b| b.iter(|| bare_walk(black_box(&text))));
    group.bench_function("parse-and-graph", |b| {
        b.iter(|| parse_and_graph(black_box(&text)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
