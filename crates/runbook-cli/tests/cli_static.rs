//! `list`, `check` and `graph` through the real binary: output shapes and
//! exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn runbook(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .output()
        .expect("runbook runs")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runbook-graph/test_data")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

#[test]
fn list_json_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let output = runbook(
        &[
            "list",
            fixtures().join("attributes-and-needs.md").to_str().unwrap(),
            "--json",
        ],
        dir.path(),
    );
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(json["version"], 1);
    assert_eq!(json["title"], "Deploy");
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    let deploy = steps.iter().find(|s| s["id"] == "deploy").unwrap();
    assert_eq!(deploy["needs"], serde_json::json!(["build"]));
    assert_eq!(deploy["kind"], "shell");
    assert_eq!(deploy["flags"]["secret_inputs"], true);
    assert_eq!(deploy["inputs"][0]["name"], "DEPLOY_TOKEN");
    for key in [
        "number",
        "id",
        "name",
        "heading_path",
        "title",
        "flags",
        "inputs",
        "needs",
        "line",
        "column",
        "reason",
    ] {
        assert!(deploy.get(key).is_some(), "missing `{key}`");
    }
}

#[test]
fn list_human_shows_flags_and_lines() {
    let dir = tempfile::tempdir().unwrap();
    let output = runbook(
        &[
            "list",
            fixtures().join("risk-flags.md").to_str().unwrap(),
            "--explain",
        ],
        dir.path(),
    );
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("destructive(docker-compose down, kubectl delete, pg_terminate_backend)"),
        "{text}"
    );
    assert!(text.contains("endless(docker-compose logs -f)"));
    assert!(text.contains("line 5"));
    assert!(text.contains("↳ `bash` block"));
}

#[test]
fn check_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let clean = write(dir.path(), "clean.md", "# Ok\n\n```bash\necho hello\n```\n");
    let broken = write(
        dir.path(),
        "broken.md",
        "# Broken\n\n```bash {name=a needs=nowhere}\necho a\n```\n",
    );
    let warned = write(
        dir.path(),
        "warned.md",
        "# W\n\n```bash {timeot=3s}\necho w\n```\n",
    );
    assert_eq!(
        runbook(&["check", clean.to_str().unwrap()], dir.path())
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        runbook(&["check", broken.to_str().unwrap()], dir.path())
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        runbook(&["check", warned.to_str().unwrap()], dir.path())
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        runbook(
            &["check", warned.to_str().unwrap(), "--deny", "warnings"],
            dir.path()
        )
        .status
        .code(),
        Some(1)
    );
    let missing = runbook(&["check", "does-not-exist.md"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read `does-not-exist.md`"));
    assert_eq!(
        runbook(
            &["check", "--format", "nope", clean.to_str().unwrap()],
            dir.path()
        )
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn check_keeps_going_over_many_files_and_reports_locations() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.md",
        "# A\n\n```bash {retries=many}\necho a\n```\n",
    );
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    write(
        &dir.path().join("nested"),
        "b.md",
        "# B\n\n```bash {name=x}\necho\n```\n\n```bash {name=x}\necho\n```\n",
    );
    let output = runbook(&["check", "."], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("./a.md:3:18"), "{text}");
    assert!(text.contains("./nested/b.md:7:15"), "{text}");
    assert!(text.contains("checked 2 files: 2 errors"), "{text}");
}

#[test]
fn check_json_and_github_formats() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "a.md",
        "# A\n\n```bash {retries=many}\necho a\n```\n",
    );
    let output = runbook(
        &[
            "check",
            file.to_str().unwrap(),
            "--format",
            "json",
            "--fast",
        ],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(json["version"], 1);
    assert_eq!(json["errors"], 1);
    let diagnostic = &json["files"][0]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "invalid-attribute-value");
    assert_eq!(
        (diagnostic["line"].as_u64(), diagnostic["column"].as_u64()),
        (Some(3), Some(18))
    );
    let github = runbook(
        &[
            "check",
            file.to_str().unwrap(),
            "--format",
            "github",
            "--fast",
        ],
        dir.path(),
    );
    let text = String::from_utf8_lossy(&github.stdout);
    assert!(text.starts_with("::error file="), "{text}");
    assert!(text.contains(",line=3,col=18,"), "{text}");
}

#[test]
fn check_runs_bash_syntax_lint() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "a.md",
        "# A\n\n1. Broken:\n\n   ```bash\n   if true; then\n     echo x\n   ```\n",
    );
    let output = runbook(
        &["check", file.to_str().unwrap(), "--no-shellcheck"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("error[invalid-shell]"), "{text}");
}

#[test]
fn graph_formats() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixtures().join("attributes-and-needs.md");
    let mermaid = runbook(&["graph", file.to_str().unwrap()], dir.path());
    let text = String::from_utf8_lossy(&mermaid.stdout);
    assert!(text.starts_with("flowchart TD\n"));
    assert!(text.contains("-. needs .->"));
    let dot = runbook(
        &["graph", file.to_str().unwrap(), "--format", "dot"],
        dir.path(),
    );
    let text = String::from_utf8_lossy(&dot.stdout);
    assert!(text.starts_with("digraph runbook {"));
    assert!(text.contains("style=dashed"));
}

#[test]
fn help_teaches_with_examples_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let help = runbook(&["--help"], dir.path());
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("Exit codes:") && text.contains("Examples:"),
        "{text}"
    );
    for command in ["run", "list", "check", "graph"] {
        let output = runbook(&[command, "--help"], dir.path());
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Examples:"),
            "`{command} --help` has no examples"
        );
    }
}

#[test]
fn new_writes_runbooks_that_check_clean() {
    let dir = tempfile::tempdir().unwrap();
    for (name, template) in [
        ("api-outage", "incident"),
        ("db-upgrade", "maintenance"),
        ("notes", "blank"),
    ] {
        let output = runbook(
            &["new", name, "--template", template, "--owner", "sre-team"],
            dir.path(),
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let file = dir.path().join(format!("{name}.md"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("owner = \"sre-team\""));
        let check = runbook(
            &[
                "check",
                file.to_str().unwrap(),
                "--deny",
                "warnings",
                "--no-shellcheck",
            ],
            dir.path(),
        );
        assert!(
            check.status.success(),
            "{template}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
    let again = runbook(&["new", "api-outage"], dir.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = runbook(&["new", "x", "--title", "say \"hi\""], dir.path());
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn bash_completion_offers_step_ids_and_sections_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "r.md",
        "# R\n\n## Triage\n\n```bash {name=check-health}\ntrue\n```\n\n## Mitigation\n\n```bash {name=restart-api}\ntrue\n```\n",
    );
    let script = runbook(&["completions", "bash"], dir.path());
    assert!(script.status.success());
    std::fs::write(dir.path().join("completion.bash"), &script.stdout).unwrap();
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_runbook"))
        .parent()
        .unwrap()
        .to_path_buf();
    let probe = format!(
        "source completion.bash\nCOMP_WORDS=(runbook run {file} --from re); COMP_CWORD=4\n_runbook_dynamic runbook re --from\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\nCOMP_WORDS=(runbook run {file} --section ''); COMP_CWORD=4\n_runbook_dynamic runbook '' --section\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        file = file.display()
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(probe)
        .current_dir(dir.path())
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        vec!["restart-api", "R", "Triage", "Mitigation"],
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for shell in ["zsh", "fish"] {
        let output = runbook(&["completions", shell], dir.path());
        assert!(output.status.success());
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("__complete steps")
                || String::from_utf8_lossy(&output.stdout).contains("__complete $kind")
        );
    }
}

#[test]
fn man_pages_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    let output = runbook(&["__man", "man"], dir.path());
    assert!(output.status.success());
    let page = std::fs::read_to_string(dir.path().join("man/runbook-run.1")).unwrap();
    assert!(page.contains(".TH runbook-run"), "{page}");
    assert!(dir.path().join("man/runbook.1").exists());
}

#[test]
fn check_renders_every_fixture_without_crashing() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["human", "json", "github"] {
        let output = runbook(
            &[
                "check",
                fixtures().to_str().unwrap(),
                "--format",
                format,
                "--fast",
            ],
            dir.path(),
        );
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{format}: {:?}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let regressions =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runbook-syntax/tests/regressions");
    for entry in std::fs::read_dir(regressions).unwrap() {
        let output = runbook(
            &["check", entry.unwrap().path().to_str().unwrap(), "--fast"],
            dir.path(),
        );
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{:?}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
