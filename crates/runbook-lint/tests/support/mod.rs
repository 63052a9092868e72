//! Shared by the integration tests: parsing a runbook and rendering lint
//! findings as stable text for snapshots.

#![allow(dead_code)]

use runbook_graph::StepGraph;
use runbook_lint::{LintOptions, LintReport};
use runbook_syntax::{Diagnostic, Document, parse_bytes};
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub fn load(path: &Path) -> (Document, StepGraph) {
    let bytes = std::fs::read(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let name = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned();
    let document = parse_bytes(&name, &bytes);
    let graph = StepGraph::build(&document);
    (document, graph)
}

pub fn parse_text(text: &str) -> (Document, StepGraph) {
    let document = parse_bytes("test.md", text.as_bytes());
    let graph = StepGraph::build(&document);
    (document, graph)
}

pub fn lint_text(text: &str, options: &LintOptions) -> (Document, LintReport) {
    let (document, graph) = parse_text(text);
    let report = runbook_lint::lint(&document, &graph, options);
    (document, report)
}

/// `line:col severity[code] message`, then help and labels, then notes.
pub fn render(document: &Document, report: &LintReport) -> String {
    let mut out = String::new();
    for diagnostic in &report.diagnostics {
        render_one(document, diagnostic, &mut out);
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if out.is_empty() {
        out.push_str("(no findings)\n");
    }
    out
}

pub fn render_one(document: &Document, diagnostic: &Diagnostic, out: &mut String) {
    let source = &document.source;
    let at = source.location(diagnostic.span.start);
    let severity = if diagnostic.is_error() {
        "error"
    } else {
        "warning"
    };
    let _ = writeln!(
        out,
        "{}:{} {severity}[{}] {}",
        at.line, at.column, diagnostic.code, diagnostic.message
    );
    let _ = writeln!(out, "    at: {:?}", source.slice(diagnostic.span));
    for label in &diagnostic.labels {
        let at = source.location(label.span.start);
        let _ = writeln!(
            out,
            "    note {}:{}: {} ({:?})",
            at.line,
            at.column,
            label.message,
            source.slice(label.span)
        );
    }
    if let Some(help) = &diagnostic.help {
        let _ = writeln!(out, "    help: {help}");
    }
}

pub fn seeds_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    dir.is_dir().then_some(dir)
}

pub fn shellcheck_installed() -> bool {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|dir| dir.join("shellcheck").is_file())
}
