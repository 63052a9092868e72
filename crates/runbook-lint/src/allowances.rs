//! `allow` lists: front matter `allow = ["id"]` silences a lint in the whole
//! file, a fence attribute `allow=id1,id2` silences it inside that block.
//! ShellCheck findings can also be allowed one check at a time (`SC2086`).

use crate::lint_catalog::{SHELLCHECK, UNKNOWN_LINT, all_ids, is_known_lint_id};
use runbook_graph::StepGraph;
use runbook_syntax::{Diagnostic, Document, ItemKind, Span, did_you_mean};

#[derive(Debug, Clone, Default)]
pub struct Allowances {
    file: Vec<String>,
    /// A step's span and the ids allowed inside it.
    steps: Vec<(Span, Vec<String>)>,
}

impl Allowances {
    pub fn new(document: &Document, graph: &StepGraph) -> Allowances {
        Allowances {
            file: document.front_matter.allow.clone(),
            steps: graph
                .steps
                .iter()
                .filter(|step| !step.attributes().allow.is_empty())
                .map(|step| (step.span, step.attributes().allow.clone()))
                .collect(),
        }
    }

    /// Whether an `allow` list silences this diagnostic: the file's, or
    /// that of the step the diagnostic points into.
    pub fn allows(&self, diagnostic: &Diagnostic) -> bool {
        let shellcheck_code = (diagnostic.code == SHELLCHECK)
            .then(|| diagnostic.message.split(':').next().unwrap_or(""))
            .filter(|code| code.starts_with("SC"));
        let names = |ids: &[String]| {
            ids.iter()
                .any(|id| id == diagnostic.code || Some(id.as_str()) == shellcheck_code)
        };
        names(&self.file)
            || self.steps.iter().any(|(span, ids)| {
                span.start <= diagnostic.span.start
                    && diagnostic.span.start < span.end.max(span.start + 1)
                    && names(ids)
            })
    }
}

/// `unknown-lint` for every id in an `allow` list that is not a lint.
pub fn unknown_lints(document: &Document, graph: &StepGraph, out: &mut Vec<Diagnostic>) {
    let front_matter_span = document.front_matter.span;
    for id in document
        .front_matter
        .allow
        .iter()
        .filter(|id| !is_known_lint_id(id))
    {
        let span = front_matter_span
            .map(|span| id_span(document, span, id))
            .unwrap_or_default();
        out.push(unknown(id, span));
    }
    for step in &graph.steps {
        let info_span = match document.items.get(step.index).map(|item| &item.kind) {
            Some(ItemKind::Code(code)) => code.info_span,
            _ => None,
        };
        for id in step
            .attributes()
            .allow
            .iter()
            .filter(|id| !is_known_lint_id(id))
        {
            let span = id_span(document, info_span.unwrap_or(step.span), id);
            out.push(unknown(id, span));
        }
    }
}

fn unknown(id: &str, span: Span) -> Diagnostic {
    let diagnostic = Diagnostic::warning(
        UNKNOWN_LINT,
        span,
        format!("unknown lint `{id}` in `allow`"),
    );
    match did_you_mean(id, all_ids()) {
        Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
        None => diagnostic.with_help(
            "`runbook check --help` lists the lint ids; ShellCheck checks are written like SC2086",
        ),
    }
}

/// Where `id` is written after the `allow` key inside `within`.
fn id_span(document: &Document, within: Span, id: &str) -> Span {
    let text = document.source.slice(within);
    let after_key = text
        .find("allow")
        .map(|index| index + "allow".len())
        .unwrap_or(0);
    let mut search_from = after_key;
    while let Some(found) = text[search_from..].find(id) {
        let start = search_from + found;
        let end = start + id.len();
        let boundary = |c: Option<char>| {
            c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        };
        if boundary(text[..start].chars().next_back()) && boundary(text[end..].chars().next()) {
            return Span::new(within.start + start, within.start + end);
        }
        search_from = end;
    }
    within
}
