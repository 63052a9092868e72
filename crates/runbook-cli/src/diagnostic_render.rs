//! Renders diagnostics like rustc and `just`: `file:line:col`, the source
//! line, a caret, and a help line; or as JSON, or as GitHub annotations.

use annotate_snippets::{Level, Renderer, Snippet};
use runbook_syntax::{Diagnostic, Severity, SourceFile, Span};
use serde::Serialize;

fn level(severity: Severity) -> Level {
    match severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
    }
}

/// The lines around `span`, as (first line number, text, byte offset of that text).
fn excerpt(source: &SourceFile, span: Span) -> (usize, &str, usize) {
    let first_line = source.line_of(span.start);
    let last_line = source.line_of(span.end.max(span.start));
    let start = source.line_span(first_line).start;
    let end = source
        .line_span(last_line)
        .end
        .max(span.end.min(source.text().len()));
    (first_line, &source.text()[start..end], start)
}

pub fn render_human(source: &SourceFile, diagnostic: &Diagnostic, color: bool) -> String {
    // annotate-snippets appends `:line:col` to the origin itself.
    let origin = source.name().to_string();
    let (line_start, text, offset) = excerpt(source, diagnostic.span);
    // Spans are snapped to character boundaries: the renderer slices the text with them.
    let clamp = |span: Span, base: usize, len: usize, excerpt: &str| {
        let mut start = span.start.saturating_sub(base).min(len);
        while start > 0 && !excerpt.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.saturating_sub(base).min(len).max(start);
        while end < len && !excerpt.is_char_boundary(end) {
            end += 1;
        }
        start..end
    };
    let mut snippets = vec![
        Snippet::source(text)
            .line_start(line_start)
            .origin(&origin)
            .fold(false)
            .annotation(
                level(diagnostic.severity)
                    .span(clamp(diagnostic.span, offset, text.len(), text))
                    .label(""),
            ),
    ];
    let mut label_snippets = Vec::new();
    for label in &diagnostic.labels {
        let (label_line, label_text, label_offset) = excerpt(source, label.span);
        label_snippets.push((
            label_line,
            label_text,
            label_offset,
            source.name().to_string(),
            label,
        ));
    }
    for (label_line, label_text, label_offset, label_origin, label) in &label_snippets {
        snippets.push(
            Snippet::source(label_text)
                .line_start(*label_line)
                .origin(label_origin)
                .annotation(
                    Level::Info
                        .span(clamp(
                            label.span,
                            *label_offset,
                            label_text.len(),
                            label_text,
                        ))
                        .label(&label.message),
                ),
        );
    }
    let title = diagnostic.message.as_str();
    let mut message = level(diagnostic.severity)
        .title(title)
        .id(diagnostic.code)
        .snippets(snippets);
    if let Some(help) = &diagnostic.help {
        message = message.footer(Level::Help.title(help));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(message).to_string()
}

#[derive(Serialize)]
pub struct JsonDiagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub help: Option<String>,
    pub labels: Vec<JsonLabel>,
}

#[derive(Serialize)]
pub struct JsonLabel {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

pub fn to_json(source: &SourceFile, diagnostic: &Diagnostic) -> JsonDiagnostic {
    let start = source.location(diagnostic.span.start);
    let end = source.location(diagnostic.span.end);
    JsonDiagnostic {
        severity: diagnostic.severity,
        code: diagnostic.code,
        message: diagnostic.message.clone(),
        file: source.name().to_string(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        help: diagnostic.help.clone(),
        labels: diagnostic
            .labels
            .iter()
            .map(|label| {
                let at = source.location(label.span.start);
                JsonLabel {
                    line: at.line,
                    column: at.column,
                    message: label.message.clone(),
                }
            })
            .collect(),
    }
}

/// `::error file=…,line=…,col=…,title=…::message` for GitHub Actions.
pub fn render_github(source: &SourceFile, diagnostic: &Diagnostic) -> String {
    let start = source.location(diagnostic.span.start);
    let end = source.location(diagnostic.span.end);
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push('\n');
        message.push_str(help);
    }
    format!(
        "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(source.name()),
        start.line,
        start.column,
        end.line,
        end.column,
        escape_property(diagnostic.code),
        escape_data(&message)
    )
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
