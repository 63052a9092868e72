//! The lints behind `runbook check`, beyond parse and graph errors.
//!
//! [`lint`] checks one parsed runbook and its step graph; [`lint_many`]
//! checks several at once and shares the external checker processes
//! between them, which is much faster for a directory. Every finding is a
//! [`Diagnostic`] whose `code` is a stable lint id from [`LINTS`], with a
//! span and a help line. `allow` lists (front matter, or a fence's
//! `allow=` attribute) silence lints; see [`Allowances`].
//!
//! Only two lints start processes: `invalid-shell` (`bash -n`, switched off
//! with [`LintOptions::shell_syntax`]) and `shellcheck` ([`ShellcheckMode`]).
//! Both run with stdin closed and a timeout, so linting never hangs.

mod allowances;
mod block_lints;
mod bounded_process;
mod hardcoded_secret;
mod lint_catalog;
mod lint_options;
mod lint_report;
mod prepared_script;
mod program_lookup;
mod script_job;
mod shell_dialect;
mod shell_syntax;
mod shellcheck;
mod step_lints;
mod unreachable_section;

pub use allowances::Allowances;
pub use lint_catalog::{
    CONTEXT_LOOKS_RUNNABLE, DESTRUCTIVE_WITHOUT_CONFIRM, ENDLESS_WITHOUT_TIMEOUT, HARDCODED_SECRET,
    INVALID_SHELL, LINTS, PARSE_AND_GRAPH_CODES, PLACEHOLDER_WITHOUT_VARIABLE,
    SHELL_BLOCK_IS_NOT_SHELL, SHELLCHECK, SHELLCHECK_EXCLUDED, UNKNOWN_LINT,
    UNKNOWN_TEMPLATE_VARIABLE, UNREACHABLE_SECTION, is_known_lint_id, is_shellcheck_code,
};
pub use lint_options::{LintOptions, ShellcheckMode};
pub use lint_report::LintReport;
pub use shellcheck::NOT_INSTALLED as SHELLCHECK_NOT_INSTALLED;

use runbook_graph::StepGraph;
use runbook_syntax::{Diagnostic, Document};
use script_job::ScriptJob;
use std::collections::HashSet;

/// Lints one runbook. Problems with the checkers themselves (ShellCheck
/// not installed, a timeout) are [`LintReport::notes`], never diagnostics.
pub fn lint(document: &Document, graph: &StepGraph, options: &LintOptions) -> LintReport {
    lint_many(&[(document, graph)], options)
        .pop()
        .unwrap_or_default()
}

/// Lints several runbooks; the reports come back in the same order.
/// Faster than calling [`lint`] per file: steps of all runbooks share the
/// `bash -n` and `shellcheck` processes.
pub fn lint_many(runbooks: &[(&Document, &StepGraph)], options: &LintOptions) -> Vec<LintReport> {
    let mut reports: Vec<LintReport> = runbooks
        .iter()
        .map(|(document, graph)| in_process_lints(document, graph))
        .collect();
    let external = options.shell_syntax || options.shellcheck == ShellcheckMode::Auto;
    if external {
        let jobs: Vec<ScriptJob<'_>> = runbooks
            .iter()
            .enumerate()
            .flat_map(|(index, (document, graph))| ScriptJob::collect(index, document, graph))
            .collect();
        let (syntax, shellcheck) = std::thread::scope(|scope| {
            let shellcheck = (options.shellcheck == ShellcheckMode::Auto)
                .then(|| scope.spawn(|| shellcheck::check(&jobs, runbooks.len(), options)));
            let syntax = options
                .shell_syntax
                .then(|| shell_syntax::check(&jobs, options));
            let shellcheck = shellcheck.map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| shellcheck_runner_crashed(runbooks.len()))
            });
            (syntax.unwrap_or_default(), shellcheck.unwrap_or_default())
        });
        let mut invalid_steps: HashSet<(usize, usize)> = HashSet::new();
        for (job, diagnostic) in syntax.findings {
            invalid_steps.insert((jobs[job].runbook, jobs[job].step));
            reports[jobs[job].runbook].diagnostics.push(diagnostic);
        }
        for (job, diagnostic) in shellcheck.findings {
            // bash already said the step does not parse; ShellCheck would only repeat it.
            if !invalid_steps.contains(&(jobs[job].runbook, jobs[job].step)) {
                reports[jobs[job].runbook].diagnostics.push(diagnostic);
            }
        }
        for (runbook, note) in syntax.notes.into_iter().chain(shellcheck.notes) {
            reports[runbook].add_note(note);
        }
    }
    for (report, (document, graph)) in reports.iter_mut().zip(runbooks) {
        let allowances = Allowances::new(document, graph);
        report
            .diagnostics
            .retain(|diagnostic| !allowances.allows(diagnostic));
        report.diagnostics.sort_by(|a, b| {
            a.span
                .start
                .cmp(&b.span.start)
                .then(a.code.cmp(b.code))
                .then(a.message.cmp(&b.message))
        });
    }
    reports
}

/// The lints that need nothing but the document: microseconds per runbook.
fn in_process_lints(document: &Document, graph: &StepGraph) -> LintReport {
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    step_lints::unknown_template_variable(document, graph, &mut diagnostics);
    step_lints::destructive_without_confirm(graph, &mut diagnostics);
    step_lints::endless_without_timeout(graph, &mut diagnostics);
    step_lints::placeholder_without_variable(document, graph, &mut diagnostics);
    hardcoded_secret::hardcoded_secrets(document, &mut diagnostics);
    block_lints::context_looks_runnable(document, graph, &mut diagnostics);
    block_lints::shell_block_is_not_shell(document, graph, &mut diagnostics);
    unreachable_section::unreachable_sections(document, graph, &mut diagnostics);
    allowances::unknown_lints(document, graph, &mut diagnostics);
    LintReport {
        diagnostics,
        notes: Vec::new(),
    }
}

fn shellcheck_runner_crashed(runbooks: usize) -> shellcheck::ShellcheckOutcome {
    shellcheck::ShellcheckOutcome {
        findings: Vec::new(),
        notes: (0..runbooks)
            .map(|runbook| {
                (
                    runbook,
                    "ShellCheck lints skipped: the ShellCheck runner failed".to_string(),
                )
            })
            .collect(),
    }
}
