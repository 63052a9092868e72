//! ShellCheck findings, mapped back to the Markdown. These run only where
//! `shellcheck` is installed (CI installs it); elsewhere they print why
//! they were skipped. The "not installed" behaviour is tested everywhere.

mod support;

use runbook_lint::{LintOptions, SHELLCHECK_NOT_INSTALLED, ShellcheckMode};
use std::ffi::OsString;
use support::{lint_text, load, render, shellcheck_installed};

#[test]
fn shellcheck_fixtures() {
    if !shellcheck_installed() {
        eprintln!("skipped: shellcheck is not installed (apt-get install shellcheck)");
        return;
    }
    let options = LintOptions::default();
    insta::glob!("../test_data/shellcheck", "*.md", |path| {
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

#[test]
fn without_shellcheck_there_is_one_note_and_no_findings() {
    let bash = which("bash").expect("bash is installed");
    // A search path holding bash but not shellcheck.
    let directory = tempfile::tempdir().expect("temporary directory");
    std::os::unix::fs::symlink(&bash, directory.path().join("bash")).expect("symlink bash");
    let options = LintOptions {
        search_path: Some(OsString::from(directory.path())),
        ..LintOptions::default()
    };
    let (_, report) = lint_text(
        "# T\n\n```bash\nfor f in $(ls *.log); do echo \"$f\"; done\necho oops)\n```\n",
        &options,
    );
    assert_eq!(report.notes, vec![SHELLCHECK_NOT_INSTALLED.to_string()]);
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        vec!["invalid-shell"],
        "bash -n still runs from the search path"
    );
}

#[test]
fn shellcheck_off_adds_no_note() {
    let options = LintOptions {
        shellcheck: ShellcheckMode::Off,
        ..LintOptions::default()
    };
    let (_, report) = lint_text(
        "# T\n\n```bash\nfor f in $(ls *.log); do echo \"$f\"; done\n```\n",
        &options,
    );
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}
