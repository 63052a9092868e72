//! Times the phases of parsing a generated runbook: `cargo run --release -p runbook-graph --example profile_parse [rounds]`.
//! Prints each round and, last, the fastest time of each phase (the least
//! disturbed by other work on the machine). More rounds also give a sampling
//! profiler (`perf record`) enough to work with.
use std::time::{Duration, Instant};

fn main() {
    let rounds = std::env::args()
        .nth(1)
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(3);
    // `RUNBOOK_PROFILE_SKIP_ANALYSIS=1` leaves out the lazily computed analysis, for profiling what the benchmark's first row measures.
    let skip_analysis = std::env::var_os("RUNBOOK_PROFILE_SKIP_ANALYSIS").is_some();
    let scale: usize = std::env::var("SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let text = runbook_graph::generate_runbook(scale * 512 * 1024, scale * 1000);
    let phases = [
        "walk",
        "line index",
        "parse",
        "graph",
        "analysis",
        "drop graph",
        "drop document",
    ];
    let mut fastest = [Duration::MAX; 7];
    // What the benchmark's first row compares, round by round: parse, graph
    // and both drops over the walk of the same round.
    let mut ratios: Vec<f64> = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut times = [Duration::ZERO; 7];
        let start = Instant::now();
        let events = pulldown_cmark::Parser::new_ext(&text, runbook_syntax::markdown_options())
            .into_offset_iter()
            .count();
        times[0] = start.elapsed();
        let start = Instant::now();
        let source = runbook_syntax::SourceFile::new("x", text.clone());
        let last_line = source.line_of(text.len());
        times[1] = start.elapsed();
        let owned = text.clone();
        let start = Instant::now();
        let document = runbook_syntax::parse_owned("x.md", owned);
        times[2] = start.elapsed();
        let start = Instant::now();
        let graph = runbook_graph::StepGraph::build(&document);
        times[3] = start.elapsed();
        let start = Instant::now();
        let inputs: usize = if skip_analysis {
            0
        } else {
            graph
                .steps
                .iter()
                .map(|step| step.inputs().len() + step.title().len() + step.heading_path().len())
                .sum()
        };
        times[4] = start.elapsed();
        let start = Instant::now();
        drop(graph);
        times[5] = start.elapsed();
        let start = Instant::now();
        drop(document);
        times[6] = start.elapsed();
        let row: Vec<String> = phases
            .iter()
            .zip(times)
            .map(|(phase, time)| format!("{phase} {time:.2?}"))
            .collect();
        println!(
            "{}  (events {events}, inputs {inputs}, lines {last_line})",
            row.join("  ")
        );
        for (best, time) in fastest.iter_mut().zip(times) {
            *best = (*best).min(time);
        }
        let ours = times[2] + times[3] + times[5] + times[6];
        ratios.push(ours.as_secs_f64() / times[0].as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let row: Vec<String> = phases
        .iter()
        .zip(fastest)
        .map(|(phase, time)| format!("{phase} {time:.2?}"))
        .collect();
    println!("fastest: {}", row.join("  "));
    if let Some(median) = ratios.get(ratios.len() / 2) {
        println!("parse + graph + drops over the walk, median of the rounds: {median:.2}x");
    }
}
