//! Data-driven tests: every `test_data/*.md` is parsed, built and linted
//! (with `bash -n`, without ShellCheck), and the rendered findings are
//! compared with the reviewed snapshot in `tests/snapshots/`. Each lint has
//! a fixture that triggers it and a `-clean` one that must not.
//! Update with `cargo insta review`.

mod support;

use runbook_lint::{LintOptions, ShellcheckMode};
use support::{load, render};

#[test]
fn fixtures() {
    let options = LintOptions {
        shellcheck: ShellcheckMode::Off,
        ..LintOptions::default()
    };
    insta::glob!("../test_data", "*.md", |path| {
        let (document, graph) = load(path);
        let report = runbook_lint::lint(&document, &graph, &options);
        let rendered = render(&document, &report);
        if path
            .file_stem()
            .is_some_and(|stem| stem.to_string_lossy().ends_with("-clean"))
        {
            assert_eq!(
                rendered,
                "(no findings)\n",
                "{} must not trigger any lint",
                path.display()
            );
        }
        insta::assert_snapshot!(rendered);
    });
}
