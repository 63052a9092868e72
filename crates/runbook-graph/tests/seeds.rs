//! The five operations documents the product started from must parse and
//! plan as they are written, with no errors. Each one's step list and flags
//! are kept in a reviewed snapshot. The documents live outside the repo in
//! `../shared/seeds/`; without them the test is skipped with a reason.

use runbook_graph::{StepGraph, StepKind};
use runbook_syntax::parse_bytes;
use std::fmt::Write;
use std::path::PathBuf;

fn seeds_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    dir.is_dir().then_some(dir)
}

fn summary(graph: &StepGraph) -> String {
    let mut out = String::new();
    let count = |kind| graph.steps.iter().filter(|step| step.kind == kind).count();
    let _ = writeln!(
        out,
        "steps: {} (shell {}, manual {}, context {}, session {})",
        graph.steps.len(),
        count(StepKind::Shell),
        count(StepKind::Manual),
        count(StepKind::Context),
        count(StepKind::Session)
    );
    for (position, &index) in graph.order.iter().enumerate() {
        let step = &graph.steps[index];
        let mut flags = Vec::new();
        for (name, reasons) in [
            ("destructive", &step.risk().destructive),
            ("endless", &step.risk().endless),
            ("interactive", &step.risk().interactive),
        ] {
            if !reasons.is_empty() {
                flags.push(format!(
                    "{name}({})",
                    reasons
                        .iter()
                        .map(|r| r.what.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        let inputs: Vec<String> = step
            .inputs()
            .iter()
            .map(|input| format!("{}{}", input.name, if input.secret { "*" } else { "" }))
            .collect();
        let _ = writeln!(
            out,
            "{:>3}. L{:<4} {:<8} {:<40} {}{}",
            position + 1,
            step.line,
            step.kind.as_str(),
            step.id,
            flags.join(" "),
            if inputs.is_empty() {
                String::new()
            } else {
                format!(" inputs: {}", inputs.join(", "))
            }
        );
    }
    out
}

#[test]
fn seeds_parse_and_plan_without_errors() {
    let Some(dir) = seeds_dir() else {
        eprintln!("skipped: ../shared/seeds not found next to the repository");
        return;
    };
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("seeds dir readable")
        .map(|e| e.expect("entry").path())
        .collect();
    seeds.sort();
    assert_eq!(seeds.len(), 5, "expected the five seed documents");
    for path in seeds {
        let bytes = std::fs::read(&path).expect("seed readable");
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let document = parse_bytes(&name, &bytes);
        let graph = StepGraph::build(&document);
        let problems: Vec<_> = document
            .diagnostics
            .iter()
            .chain(&graph.diagnostics)
            .filter(|d| d.is_error())
            .collect();
        assert!(problems.is_empty(), "{name} has errors: {problems:?}");
        let prefix = name.split('_').next().unwrap_or(&name).to_string();
        insta::assert_snapshot!(format!("seed_{prefix}"), summary(&graph));
    }
}

#[test]
fn incident_runbook_keeps_every_list_nested_block() {
    let Some(dir) = seeds_dir() else {
        eprintln!("skipped: ../shared/seeds not found next to the repository");
        return;
    };
    let Some(path) = std::fs::read_dir(&dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("001_"))
        })
    else {
        panic!("seed 001 missing from {}", dir.display());
    };
    let document = parse_bytes("001", &std::fs::read(path).expect("readable"));
    let graph = StepGraph::build(&document);
    let nested_code: Vec<_> = graph
        .steps
        .iter()
        .filter(|step| {
            step.kind != StepKind::Manual && document.source.location(step.span.start).column > 1
        })
        .map(|step| step.line)
        .collect();
    assert_eq!(
        nested_code,
        vec![200, 244, 254, 306, 318, 381, 387, 586, 596, 602, 610, 618]
    );
}
