//! TEMPORARY (perf work): min-of-N timings of each phase.
use pulldown_cmark::{Options, Parser};
use std::time::{Duration, Instant};

fn min_time<T>(n: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..n {
        let start = Instant::now();
        let out = f();
        let elapsed = start.elapsed();
        drop(std::hint::black_box(out));
        best = best.min(elapsed);
    }
    best
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(15);
    let text = runbook_graph::generate_runbook(5 * 1024 * 1024, 10_000);
    if std::env::args().nth(2).as_deref() == Some("walk") {
        let options = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
        for _ in 0..n {
            std::hint::black_box(Parser::new_ext(&text, options).into_offset_iter().count());
        }
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("loop") {
        for _ in 0..n {
            let d = runbook_syntax::parse("x.md", &text);
            std::hint::black_box(runbook_graph::StepGraph::build(&d).steps.len());
        }
        return;
    }
    let bench_opts = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let our_opts = bench_opts | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let walk = min_time(n, || Parser::new_ext(&text, bench_opts).into_offset_iter().count());
    let walk_ours = min_time(n, || Parser::new_ext(&text, our_opts).into_offset_iter().count());
    let source = min_time(n, || runbook_syntax::SourceFile::new("x", text.clone()));
    let parse = min_time(n, || runbook_syntax::parse("x.md", &text));
    let document = runbook_syntax::parse("x.md", &text);
    let graph = min_time(n, || runbook_graph::StepGraph::build(&document));
    let mut drop_doc = Duration::MAX;
    for _ in 0..n { let d = runbook_syntax::parse("x.md", &text); let s = Instant::now(); drop(d); drop_doc = drop_doc.min(s.elapsed()); }
    let mut drop_graph = Duration::MAX;
    for _ in 0..n { let g = runbook_graph::StepGraph::build(&document); let s = Instant::now(); drop(g); drop_graph = drop_graph.min(s.elapsed()); }
    let graph_value = runbook_graph::StepGraph::build(&document);
    let clone_doc = min_time(n, || document.clone());
    let clone_graph = min_time(n, || graph_value.clone());
    let clone_both_and_drop = min_time(n, || { let d = document.clone(); let g = graph_value.clone(); drop(g); drop(d); });
    println!("floor: clone-doc {clone_doc:?} clone-graph {clone_graph:?} clone+drop both {clone_both_and_drop:?}");
    let total = min_time(n, || { let d = runbook_syntax::parse("x.md", &text); runbook_graph::StepGraph::build(&d).steps.len() });
    // Interleaved, so both see the same machine load.
    let mut ratios = Vec::new();
    let (mut best_walk, mut best_total) = (Duration::MAX, Duration::MAX);
    for _ in 0..n {
        let w = min_time(1, || Parser::new_ext(&text, bench_opts).into_offset_iter().count());
        let t = min_time(1, || { let d = runbook_syntax::parse("x.md", &text); runbook_graph::StepGraph::build(&d).steps.len() });
        best_walk = best_walk.min(w);
        best_total = best_total.min(t);
        ratios.push(t.as_secs_f64() / w.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    println!("interleaved: walk {best_walk:?} total {best_total:?} ratio-of-mins {:.2} median-ratio {:.2}", best_total.as_secs_f64() / best_walk.as_secs_f64(), ratios[ratios.len() / 2]);
    println!("walk {walk:?} walk-our-options {walk_ours:?} source {source:?} parse {parse:?} graph {graph:?} drop-doc {drop_doc:?} drop-graph {drop_graph:?} total {total:?} ratio {:.2}", total.as_secs_f64() / walk.as_secs_f64());
}
