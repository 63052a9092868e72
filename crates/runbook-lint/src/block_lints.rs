//! Lints about how a code block is tagged: commands hidden in context
//! blocks, and non-shell content in shell blocks.

use crate::lint_catalog::{CONTEXT_LOOKS_RUNNABLE, SHELL_BLOCK_IS_NOT_SHELL};
use runbook_graph::{StepGraph, StepKind};
use runbook_syntax::{
    CodeBlock, Diagnostic, Document, ItemKind, Span, is_known_command, is_shell_language,
};

/// Context languages that can plausibly hide a command someone meant to run.
/// Real languages (sql, python, promql, hcl…) are never flagged.
const PLAIN_LANGUAGES: &[&str] = &["text", "txt", "plain", "plaintext", "none", "output"];
const DATA_LANGUAGES: &[&str] = &["yaml", "yml", "json"];

/// Known commands that are also English words: a line starting with one
/// only counts as a command when it also has shell syntax.
const ENGLISH_COMMANDS: &[&str] = &[
    "at", "bg", "case", "cat", "cd", "command", "date", "diff", "do", "done", "echo", "elif",
    "else", "env", "esac", "exec", "exit", "false", "fi", "file", "find", "for", "free",
    "function", "go", "head", "host", "http", "if", "jobs", "kill", "kind", "less", "local",
    "make", "mount", "read", "reboot", "return", "service", "set", "sort", "source", "stat", "su",
    "tail", "tee", "test", "then", "time", "top", "touch", "true", "until", "wait", "watch",
    "which", "while",
];

fn code_block(document: &Document, index: usize) -> Option<&CodeBlock> {
    match &document.items.get(index)?.kind {
        ItemKind::Code(code) => Some(code),
        _ => None,
    }
}

pub fn context_looks_runnable(document: &Document, graph: &StepGraph, out: &mut Vec<Diagnostic>) {
    for step in graph
        .steps
        .iter()
        .filter(|step| step.kind == StepKind::Context)
    {
        let Some(code) = code_block(document, step.index) else {
            continue;
        };
        let lang = code.lang.as_deref().map(str::to_ascii_lowercase);
        let data_language = lang
            .as_deref()
            .is_some_and(|lang| DATA_LANGUAGES.contains(&lang));
        let plain = lang
            .as_deref()
            .is_none_or(|lang| PLAIN_LANGUAGES.contains(&lang));
        if !(plain || data_language) || code.attributes.runner.is_some() {
            continue;
        }
        let lines: Vec<&str> = document
            .body(code)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        let commands = lines.iter().filter(|line| looks_like_command(line)).count();
        // Data files must be nothing but commands; text mostly commands.
        let runnable = commands > 0
            && if data_language {
                commands == lines.len()
            } else {
                commands * 3 >= lines.len() * 2
            };
        if !runnable {
            continue;
        }
        let tag = code
            .lang
            .as_deref()
            .map(|lang| format!("`{lang}` block"))
            .unwrap_or_else(|| "untagged block".to_string());
        let span = code
            .info_span
            .filter(|_| code.lang.is_some())
            .unwrap_or_else(|| first_line(document, code));
        out.push(
            Diagnostic::warning(
                CONTEXT_LOOKS_RUNNABLE,
                span,
                format!("{tag} looks like shell commands ({commands} of {} lines) but is only shown, never run", lines.len()),
            )
            .with_help("tag the fence ```bash to make it a step; if it is only an example, add {allow=context-looks-runnable}"),
        );
    }
}

fn first_line(document: &Document, code: &CodeBlock) -> Span {
    let length = document.body(code).split('\n').next().unwrap_or("").len();
    Span::new(code.body_span.start, code.body_span.start + length)
}

fn looks_like_command(line: &str) -> bool {
    let line = line.strip_prefix("$ ").unwrap_or(line);
    let mut words = line.split_whitespace().skip_while(|word| {
        word.split_once('=')
            .is_some_and(|(name, _)| is_variable_name(name))
    });
    let Some(first) = words.next() else {
        return false;
    };
    if first.ends_with(':') || !is_known_command(first) {
        return false;
    }
    let shell_syntax = line.contains(" -")
        || line.contains('|')
        || line.contains('/')
        || line.contains('$')
        || line.contains("&&")
        || line.contains('>');
    !ENGLISH_COMMANDS.contains(&first) || shell_syntax
}

fn is_variable_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn shell_block_is_not_shell(document: &Document, graph: &StepGraph, out: &mut Vec<Diagnostic>) {
    for step in &graph.steps {
        let Some(code) = code_block(document, step.index) else {
            continue;
        };
        let Some(lang) = code.lang.as_deref() else {
            continue;
        };
        if !is_shell_language(lang) || code.attributes.runner.is_some() || step.context().is_empty()
        {
            continue;
        }
        let mut languages: Vec<&str> = Vec::new();
        for segment in step.context() {
            if !languages.contains(&segment.language) {
                languages.push(segment.language);
            }
        }
        let described: Vec<&str> = languages
            .iter()
            .map(|language| describe(language))
            .collect();
        let what = described.join(" and ");
        let message = if step.kind == StepKind::Context {
            format!("`{lang}` block holds {what}, not shell: it is shown but never run")
        } else {
            format!("`{lang}` block mixes shell with {what}: those lines are shown but not run")
        };
        let first = &step.context()[0];
        let mut diagnostic = Diagnostic::warning(SHELL_BLOCK_IS_NOT_SHELL, first.span, message)
            .with_help(help(languages[0]));
        for segment in step.context().iter().skip(1).take(4) {
            diagnostic = diagnostic.with_label(
                segment.span,
                format!("{} here too", describe(segment.language)),
            );
        }
        out.push(diagnostic);
    }
}

fn describe(language: &str) -> &str {
    match language {
        "sql" => "SQL",
        "yaml" => "YAML",
        "promql" => "PromQL",
        "crontab" => "crontab entries",
        "text" => "prose",
        other => other,
    }
}

fn help(language: &str) -> &'static str {
    match language {
        "sql" => {
            "put the SQL in its own ```sql fence, and add runner=\"psql \\\"$DATABASE_URL\\\"\" (or your client) if it should run"
        }
        "yaml" => "put the YAML in its own ```yaml fence",
        "promql" => "put the query in its own ```promql fence",
        "crontab" => "put crontab entries in a ```text fence",
        _ => "move the prose out of the code fence, or tag the block ```text",
    }
}
