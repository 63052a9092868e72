//! Lints about what a step will do when it runs: risky commands without a
//! guard, and values nobody provides.

use crate::lint_catalog::{
    DESTRUCTIVE_WITHOUT_CONFIRM, ENDLESS_WITHOUT_TIMEOUT, PLACEHOLDER_WITHOUT_VARIABLE,
    UNKNOWN_TEMPLATE_VARIABLE,
};
use runbook_graph::{InputKind, Step, StepGraph};
use runbook_syntax::{Diagnostic, Document, did_you_mean};
use std::collections::BTreeSet;

/// Steps that can run: `skip=true` steps are shown, never run.
fn running_steps(graph: &StepGraph) -> impl Iterator<Item = &Step> {
    graph
        .steps
        .iter()
        .filter(|step| step.kind.runs_code() && !step.attributes().skip)
}

pub fn destructive_without_confirm(graph: &StepGraph, out: &mut Vec<Diagnostic>) {
    for step in running_steps(graph) {
        if step.attributes().confirm.is_some() || step.attributes().danger == Some(false) {
            continue;
        }
        let Some(first) = step.risk().destructive.first() else {
            continue;
        };
        let mut diagnostic = Diagnostic::warning(
            DESTRUCTIVE_WITHOUT_CONFIRM,
            first.span,
            format!("step `{}` runs a destructive command ({}) without asking for confirmation", step.id, first.what),
        )
        .with_help("add `confirm=true` (or `confirm=\"question\"`) to the fence, e.g. ```bash {confirm=true}; `danger=false` if it is harmless");
        for other in step.risk().destructive.iter().skip(1) {
            diagnostic =
                diagnostic.with_label(other.span, format!("also destructive: {}", other.what));
        }
        out.push(diagnostic);
    }
}

pub fn endless_without_timeout(graph: &StepGraph, out: &mut Vec<Diagnostic>) {
    for step in running_steps(graph) {
        if step.attributes().timeout.is_some() || step.attributes().interactive == Some(true) {
            continue;
        }
        let Some(first) = step.risk().endless.first() else {
            continue;
        };
        out.push(
            Diagnostic::warning(ENDLESS_WITHOUT_TIMEOUT, first.span, format!("step `{}` runs `{}`, which never ends by itself", step.id, first.what))
                .with_help("add `timeout=5m` to stop it after a while, or `interactive=true` to watch it until you press Ctrl-C"),
        );
    }
}

/// Every name some step assigns or captures, and every front-matter variable.
fn provided_names(document: &Document, graph: &StepGraph) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = document
        .front_matter
        .vars
        .iter()
        .map(|var| var.name.clone())
        .collect();
    for step in &graph.steps {
        names.extend(step.assigns().iter().cloned());
        if let Some(capture) = &step.attributes().capture {
            names.insert(capture.value.clone());
        }
    }
    names
}

pub fn unknown_template_variable(
    document: &Document,
    graph: &StepGraph,
    out: &mut Vec<Diagnostic>,
) {
    let provided = provided_names(document, graph);
    let placeholders: BTreeSet<&str> = graph
        .steps
        .iter()
        .flat_map(|step| step.inputs().iter())
        .filter(|input| input.kind == InputKind::Placeholder)
        .map(|input| input.name.as_str())
        .collect();
    for step in running_steps(graph) {
        for input in step
            .inputs()
            .iter()
            .filter(|input| input.kind == InputKind::Template)
        {
            if provided.contains(&input.name) || placeholders.contains(input.name.as_str()) {
                continue;
            }
            let literal = input.literal.as_deref().unwrap_or(&input.name);
            let mut diagnostic = Diagnostic::error(
                UNKNOWN_TEMPLATE_VARIABLE,
                input.span,
                format!(
                    "`{literal}` names no variable: `{}` is not declared in front matter, captured or assigned by a step",
                    input.name
                ),
            );
            diagnostic = match did_you_mean(&input.name, provided.iter().map(String::as_str)) {
                Some(suggestion) => diagnostic.with_help(format!("did you mean `{{{{{suggestion}}}}}`?")),
                None => diagnostic.with_help(format!("declare it in front matter: [vars.{}] with prompt = \"…\", or capture it in an earlier step with capture={}", input.name, input.name)),
            };
            out.push(diagnostic);
        }
    }
}

pub fn placeholder_without_variable(
    document: &Document,
    graph: &StepGraph,
    out: &mut Vec<Diagnostic>,
) {
    let provided = provided_names(document, graph);
    for step in running_steps(graph) {
        for input in step
            .inputs()
            .iter()
            .filter(|input| input.kind == InputKind::Placeholder)
        {
            // `TENANT_ID="xxx"` assigns the placeholder itself: that provides nothing.
            let provided_elsewhere = document.front_matter.var(&input.name).is_some()
                || graph.steps.iter().any(|other| {
                    other.index != step.index
                        && (other.assigns().contains(&input.name)
                            || other
                                .attributes()
                                .capture
                                .as_ref()
                                .is_some_and(|c| c.value == input.name))
                });
            if provided.contains(&input.name) && provided_elsewhere {
                continue;
            }
            let literal = input.literal.as_deref().unwrap_or(&input.name);
            let secret = if input.secret { ", secret = true" } else { "" };
            out.push(
                Diagnostic::warning(
                    PLACEHOLDER_WITHOUT_VARIABLE,
                    input.span,
                    format!("placeholder `{literal}` has no declared variable `{}`", input.name),
                )
                .with_help(format!("declare it in front matter so the operator gets a clear prompt: [vars.{}] with prompt = \"…\"{secret}", input.name)),
            );
        }
    }
}
