//! Times the lints over a directory-sized set of runbooks.
//!
//! `cargo run --release -p runbook-lint --example lint_bench -- [COUNT] [--shellcheck] [--seeds]`
//!
//! The runbooks are the crate's fixtures plus the seed documents (when
//! `../shared/seeds` exists; `--seeds` uses only those), repeated up to
//! COUNT (default 1000), each copy made distinct. Parsing and graph
//! building are timed separately; the lints are timed with only
//! in-process lints, with `bash -n`, and optionally with ShellCheck, both as
//! one `lint_many` call and as per-file `lint` calls on every core (what a
//! CLI iterating files in parallel does).

use runbook_graph::StepGraph;
use runbook_lint::{LintOptions, LintReport, ShellcheckMode, lint, lint_many};
use runbook_syntax::{Document, parse_bytes};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count: usize = args.iter().find_map(|arg| arg.parse().ok()).unwrap_or(1000);
    let with_shellcheck = args.iter().any(|arg| arg == "--shellcheck");
    let sources = sources();
    if sources.is_empty() {
        eprintln!("no runbooks found under {}", manifest_dir().display());
        std::process::exit(1);
    }
    let seeds_only = args.iter().any(|arg| arg == "--seeds");
    let sources: Vec<(String, Vec<u8>)> = if seeds_only {
        sources
            .into_iter()
            .filter(|(name, _)| !name.ends_with(".md"))
            .collect()
    } else {
        sources
    };
    // Every copy differs (a comment in each shell fence), as files in a real directory do.
    let fence = regex::Regex::new(r"(?m)^([ \t>]*)```bash\n").expect("valid fence regex");
    let texts: Vec<(String, Vec<u8>)> = sources
        .iter()
        .cycle()
        .take(count)
        .enumerate()
        .map(|(copy, (name, bytes))| {
            let marker = format!("$1```bash\n$1# copy {copy}\n");
            let text = fence
                .replace_all(&String::from_utf8_lossy(bytes), marker.as_str())
                .into_owned();
            (format!("{copy}-{name}"), text.into_bytes())
        })
        .collect();

    let started = Instant::now();
    let documents: Vec<Document> = texts
        .iter()
        .map(|(name, bytes)| parse_bytes(name, bytes))
        .collect();
    let graphs: Vec<StepGraph> = documents.iter().map(StepGraph::build).collect();
    let parse_time = started.elapsed();
    let pairs: Vec<(&Document, &StepGraph)> = documents.iter().zip(&graphs).collect();
    let steps: usize = graphs
        .iter()
        .map(|graph| {
            graph
                .steps
                .iter()
                .filter(|step| step.kind.runs_code())
                .count()
        })
        .sum();
    let bytes: usize = texts.iter().map(|(_, bytes)| bytes.len()).sum();
    println!(
        "{count} runbooks ({} distinct), {} KiB, {steps} runnable steps; parse + graph: {parse_time:.2?}",
        sources.len(),
        bytes / 1024
    );

    let mut configurations = vec![
        ("in-process lints only", LintOptions::in_process_only()),
        (
            "with bash -n",
            LintOptions {
                shellcheck: ShellcheckMode::Off,
                ..LintOptions::default()
            },
        ),
    ];
    if with_shellcheck {
        configurations.push(("with bash -n and ShellCheck", LintOptions::default()));
    }
    for (label, options) in configurations {
        let (together, reports) = timed(|| lint_many(&pairs, &options));
        let (per_file, _) = timed(|| per_file_on_every_core(&pairs, &options));
        let findings: usize = reports.iter().map(|report| report.diagnostics.len()).sum();
        println!(
            "{label:<30} lint_many: {together:>9.2?}   per-file lint on every core: {per_file:>9.2?}   ({findings} findings)"
        );
    }
}

fn timed<T>(work: impl FnOnce() -> T) -> (Duration, T) {
    let started = Instant::now();
    let result = work();
    (started.elapsed(), result)
}

fn per_file_on_every_core(
    pairs: &[(&Document, &StepGraph)],
    options: &LintOptions,
) -> Vec<LintReport> {
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2);
    let chunk = pairs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = pairs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(document, graph)| lint(document, graph, options))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("lint thread"))
            .collect()
    })
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sources() -> Vec<(String, Vec<u8>)> {
    let mut paths = Vec::new();
    for dir in [
        manifest_dir().join("test_data"),
        manifest_dir().join("test_data/shellcheck"),
        manifest_dir().join("../../../shared/seeds"),
    ] {
        paths.extend(markdown_files(&dir));
    }
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            Some((
                path.file_name()?.to_string_lossy().into_owned(),
                std::fs::read(&path).ok()?,
            ))
        })
        .collect()
}

fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .collect()
}
