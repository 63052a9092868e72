//! A stable, human-readable dump of a document and its step graph, used by
//! the data-driven fixture tests and by `runbook list --debug`.

use crate::{InputKind, StepGraph};
use runbook_syntax::Document;
use std::fmt::Write;

pub fn dump(document: &Document, graph: &StepGraph) -> String {
    let mut out = String::new();
    let source = &document.source;
    let _ = writeln!(
        out,
        "title: {}",
        document.title.as_deref().unwrap_or("(none)")
    );
    let diagnostics: Vec<_> = document
        .diagnostics
        .iter()
        .chain(&graph.diagnostics)
        .collect();
    if !diagnostics.is_empty() {
        let _ = writeln!(out, "diagnostics:");
        for diagnostic in diagnostics {
            let at = source.location(diagnostic.span.start);
            let severity = if diagnostic.is_error() {
                "error"
            } else {
                "warning"
            };
            let _ = writeln!(
                out,
                "  {severity}[{}] {}:{}: {}",
                diagnostic.code, at.line, at.column, diagnostic.message
            );
            for label in &diagnostic.labels {
                let at = source.location(label.span.start);
                let _ = writeln!(out, "    note {}:{}: {}", at.line, at.column, label.message);
            }
            if let Some(help) = &diagnostic.help {
                let _ = writeln!(out, "    help: {help}");
            }
        }
    }
    let _ = writeln!(out, "steps: {}", graph.steps.len());
    for (position, &index) in graph.order.iter().enumerate() {
        let step = &graph.steps[index];
        let at = source.location(step.span.start);
        let _ = writeln!(
            out,
            "{}. {} [{}] {} (line {}:{})",
            position + 1,
            step.id,
            step.kind.as_str(),
            step.heading_display(),
            at.line,
            at.column
        );
        let _ = writeln!(out, "   title: {}", step.title());
        if let Some(instruction) = step.instruction() {
            let _ = writeln!(
                out,
                "   instruction: {}",
                instruction.replace('\n', "\n                ")
            );
        }
        let _ = writeln!(out, "   reason: {}", step.reason());
        if let Some(script) = step.script() {
            let _ = writeln!(out, "   script:");
            for (line, text) in script.text.lines().enumerate() {
                let origin = script
                    .source_line_offset(line + 1)
                    .map(|offset| source.location(offset));
                let origin = origin
                    .map(|at| format!("{}:{}", at.line, at.column))
                    .unwrap_or_default();
                let _ = writeln!(out, "     {origin:>6} | {text}");
            }
        }
        if let Some(body) = step.body().filter(|_| step.script().is_none()) {
            let _ = writeln!(
                out,
                "   body ({}): {}",
                step.language().unwrap_or("text"),
                body.replace('\n', "\n     ")
            );
        }
        for segment in step.context() {
            let at = source.location(segment.span.start);
            let _ = writeln!(
                out,
                "   context {} at {}:{}: {}",
                segment.language,
                at.line,
                at.column,
                segment.text.replace('\n', "\n     ")
            );
        }
        if let Some(expected) = step.expected_output() {
            let _ = writeln!(
                out,
                "   expected output: {}",
                expected.replace('\n', "\n     ")
            );
        }
        if !step.session_input().is_empty() {
            let _ = writeln!(
                out,
                "   session input: {}",
                step.session_input().join(" / ")
            );
        }
        if step.checked {
            let _ = writeln!(out, "   checked: true");
        }
        for input in step.inputs() {
            let kind = match input.kind {
                InputKind::Template => "template",
                InputKind::Env => "env",
                InputKind::Placeholder => "placeholder",
                InputKind::Positional => "positional",
            };
            let mut traits = vec![kind.to_string()];
            if input.secret {
                traits.push("secret".into());
            }
            if input.optional {
                traits.push("optional".into());
            }
            if input.declared {
                traits.push("declared".into());
            }
            if let Some(literal) = &input.literal {
                traits.push(format!("literal {literal:?}"));
            }
            let at = source.location(input.span.start);
            let _ = writeln!(
                out,
                "   input {} ({}) at {}:{}",
                input.name,
                traits.join(", "),
                at.line,
                at.column
            );
        }
        if !step.assigns().is_empty() {
            let _ = writeln!(out, "   assigns: {}", step.assigns().join(", "));
        }
        for (flag, reasons) in [
            ("destructive", &step.risk().destructive),
            ("endless", &step.risk().endless),
            ("interactive", &step.risk().interactive),
        ] {
            for reason in reasons {
                let at = source.location(reason.span.start);
                let _ = writeln!(
                    out,
                    "   {flag}: {} at {}:{}",
                    reason.what, at.line, at.column
                );
            }
        }
        if !graph.needs[index].is_empty() {
            let needs: Vec<&str> = graph.needs[index]
                .iter()
                .map(|&need| graph.steps[need].id.as_str())
                .collect();
            let _ = writeln!(out, "   needs: {}", needs.join(", "));
        }
        let attributes = step.attributes();
        let mut set = Vec::new();
        if let Some(confirm) = &attributes.confirm {
            set.push(format!("confirm={confirm:?}"));
        }
        if let Some(timeout) = attributes.timeout {
            set.push(format!("timeout={timeout:?}"));
        }
        if let Some(retries) = attributes.retries {
            set.push(format!("retries={retries}"));
        }
        if let Some(delay) = attributes.delay {
            set.push(format!("delay={delay:?}"));
        }
        if let Some(capture) = &attributes.capture {
            set.push(format!("capture={}", capture.value));
        }
        if let Some(expect) = &attributes.expect {
            set.push(format!("expect={expect:?}"));
        }
        if attributes.skip {
            set.push("skip".into());
        }
        if attributes.exclude_from_run_all {
            set.push("exclude-from-run-all".into());
        }
        if let Some(interactive) = attributes.interactive {
            set.push(format!("interactive={interactive}"));
        }
        if !set.is_empty() {
            let _ = writeln!(out, "   attributes: {}", set.join(" "));
        }
    }
    out
}
