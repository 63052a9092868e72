//! The five operations documents the product started from: linting must not
//! crash, and what it finds is kept in a reviewed snapshot. They live
//! outside the repository in `../shared/seeds/`; without them the test is
//! skipped with a reason.

mod support;

use runbook_lint::{LintOptions, ShellcheckMode};
use std::collections::BTreeMap;
use std::fmt::Write;
use support::{load, render, seeds_dir};

#[test]
fn seeds_lint_without_crashing() {
    let Some(dir) = seeds_dir() else {
        eprintln!("skipped: ../shared/seeds not found next to the repository");
        return;
    };
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .expect("seeds dir readable")
        .map(|entry| entry.expect("entry").path())
        .collect();
    seeds.sort();
    assert_eq!(seeds.len(), 5, "expected the five seed documents");
    let options = LintOptions {
        shellcheck: ShellcheckMode::Off,
        ..LintOptions::default()
    };
    let mut counts = String::new();
    for path in &seeds {
        let (document, graph) = load(path);
        let report = runbook_lint::lint(&document, &graph, &options);
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let prefix = name.split('_').next().unwrap_or(&name).to_string();
        let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
        for diagnostic in &report.diagnostics {
            *by_code.entry(diagnostic.code).or_default() += 1;
        }
        let _ = writeln!(counts, "{prefix}: {by_code:?}");
        insta::assert_snapshot!(format!("seed_{prefix}"), render(&document, &report));
    }
    insta::assert_snapshot!("seed_counts", counts);
}

#[test]
fn seeds_with_shellcheck() {
    let Some(dir) = seeds_dir() else {
        eprintln!("skipped: ../shared/seeds not found next to the repository");
        return;
    };
    if !support::shellcheck_installed() {
        eprintln!("skipped: shellcheck is not installed (apt-get install shellcheck)");
        return;
    }
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .expect("seeds dir readable")
        .map(|entry| entry.expect("entry").path())
        .collect();
    seeds.sort();
    let mut findings = String::new();
    for path in &seeds {
        let (document, graph) = load(path);
        let report = runbook_lint::lint(&document, &graph, &LintOptions::default());
        assert!(
            report.notes.is_empty(),
            "{}: {:?}",
            path.display(),
            report.notes
        );
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let prefix = name.split('_').next().unwrap_or(&name).to_string();
        let shellcheck: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.code == "shellcheck")
            .collect();
        let _ = writeln!(
            findings,
            "{prefix}: {} ShellCheck findings",
            shellcheck.len()
        );
        for diagnostic in shellcheck {
            support::render_one(&document, diagnostic, &mut findings);
        }
    }
    insta::assert_snapshot!("seed_shellcheck", findings);
}
