//! `invalid-shell` against real shells: batching must report exactly what
//! checking each step alone reports, and the checker must never hang.

mod support;

use regex::Regex;
use runbook_graph::StepGraph;
use runbook_lint::{INVALID_SHELL, LintOptions, ShellcheckMode};
use runbook_syntax::Document;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{lint_text, parse_text};

fn syntax_only() -> LintOptions {
    LintOptions {
        shellcheck: ShellcheckMode::Off,
        ..LintOptions::default()
    }
}

/// Step bodies: valid ones, and broken ones of every kind a batch could
/// mishandle (unclosed constructs that could run into the next step).
const SNIPPETS: &[&str] = &[
    "echo ok",
    "if true; then\n  echo yes\nfi",
    "for i in 1 2; do echo \"$i\"; done",
    "cat <<EOF\nbody\nEOF",
    "status() {\n  uptime\n}",
    "echo \"a\" \\\n  \"b\"",
    "case x in\n  x) echo x ;;\nesac",
    "# only a comment",
    "echo oops)",
    "echo \"unclosed",
    "echo 'unclosed",
    "if true; then\n  echo never closed",
    "deploy() {\n  echo deploying",
    "  echo done\n}",
    "done",
    "echo $(date",
    "x=$(( 1 +",
    "while true; do\n  sleep 1",
    "cat <<EOF\nno end",
    "[[ -n x",
    "esac",
    "echo `date",
    ")\n(",
    "fi",
    "function f {\n  echo",
    "a=(1 2",
    "echo ${x",
    "echo \"$(echo ')')\"",
    "cat <<-EOF\n\tindented\n\tEOF",
    "echo \"a\nb\"",
    "echo $(( 1 + 2 ))",
    "ls !(*.gz)",
    "echo a |",
    "echo a &&",
    "then",
    "echo a ||",
    "echo a \\",
    "case x in\n  a",
    "time",
];

/// A deterministic pseudo-random sequence, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

fn runbook(seed: u64, steps: usize) -> String {
    let mut random = Lcg(seed);
    let mut text = format!("# Runbook {seed}\n");
    for step in 0..steps {
        let snippet = SNIPPETS[random.next(SNIPPETS.len())];
        if random.next(3) == 0 {
            // Inside a list item, indented like real runbooks.
            text.push_str(&format!("\n{}. Step {step}:\n   ```bash\n", step + 1));
            for line in snippet.lines() {
                text.push_str(&format!("   {line}\n"));
            }
            text.push_str("   ```\n");
        } else {
            text.push_str(&format!("\n## Step {step}\n\n```bash\n{snippet}\n```\n"));
        }
    }
    text
}

/// What `bash -n` says about each step checked alone: `(markdown line, message)`.
fn expected_alone(document: &Document, graph: &StepGraph) -> Vec<(usize, String)> {
    let message = Regex::new(r"^bash: -c: line (\d+): (.*)$").unwrap();
    let mut expected = Vec::new();
    for step in graph
        .steps
        .iter()
        .filter(|step| step.kind.runs_code() && !step.attributes().skip)
    {
        let Some(script) = step.script() else {
            continue;
        };
        let output = Command::new("bash")
            .args(["-O", "extglob", "-n", "-c", &script.text])
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .output()
            .expect("bash runs");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        // bash may print a syntax error and still exit 0, so the message decides.
        let Some((line, text)) = stderr.lines().find_map(|line| {
            message
                .captures(line)
                .map(|c| (c[1].parse::<usize>().unwrap(), c[2].to_string()))
        }) else {
            assert!(output.status.success(), "failed without a line: {stderr:?}");
            continue;
        };
        let lines = script.text.lines().count().max(1);
        let offset = script
            .source_line_offset(line.clamp(1, lines))
            .expect("line in script");
        expected.push((
            document.source.location(offset).line,
            format!("not valid bash: {text}"),
        ));
    }
    expected
}

fn reported(document: &Document, report: &runbook_lint::LintReport) -> Vec<(usize, String)> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.code == INVALID_SHELL)
        .map(|d| {
            (
                document.source.location(d.span.start).line,
                d.message.clone(),
            )
        })
        .collect()
}

#[test]
fn batches_report_exactly_what_each_step_alone_reports() {
    let count: u64 = std::env::var("RUNBOOK_LINT_STRESS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let texts: Vec<String> = (0..count)
        .map(|seed| runbook(seed, 3 + (seed as usize % 14)))
        .collect();
    let parsed: Vec<(Document, StepGraph)> = texts.iter().map(|text| parse_text(text)).collect();
    let pairs: Vec<(&Document, &StepGraph)> = parsed
        .iter()
        .map(|(document, graph)| (document, graph))
        .collect();
    // All runbooks at once (shared batches across files) and one by one.
    let together = runbook_lint::lint_many(&pairs, &syntax_only());
    for (index, (document, graph)) in parsed.iter().enumerate() {
        let expected = expected_alone(document, graph);
        let alone = runbook_lint::lint(document, graph, &syntax_only());
        assert_eq!(
            reported(document, &alone),
            expected,
            "runbook {index}:\n{}",
            texts[index]
        );
        assert_eq!(
            reported(document, &together[index]),
            expected,
            "runbook {index} in lint_many:\n{}",
            texts[index]
        );
        assert!(alone.notes.is_empty(), "{:?}", alone.notes);
    }
}

#[test]
fn a_step_too_long_for_an_argument_is_checked_from_a_file() {
    let mut body = String::new();
    for index in 0..4000 {
        body.push_str(&format!(
            "echo \"line {index} of a very long generated step\"\n"
        ));
    }
    body.push_str("echo broken)\n");
    assert!(body.len() > 150_000);
    let text = format!("# Long\n\n```bash\n{body}```\n\n```bash\necho fine\n```\n");
    let (document, report) = lint_text(&text, &syntax_only());
    assert_eq!(
        reported(&document, &report),
        vec![(
            4004,
            "not valid bash: syntax error near unexpected token `)'".to_string()
        )]
    );
}

#[test]
fn steps_of_sh_and_zsh_runbooks_are_parsed_by_their_shell() {
    for (shell, program) in [("sh", "sh"), ("zsh", "zsh")] {
        let text = format!(
            "+++\nshell = \"{shell}\"\n+++\n\n# T\n\n```sh\necho fine\n```\n\n```sh\necho broken )\n```\n"
        );
        let (document, report) = lint_text(&text, &syntax_only());
        let found = reported(&document, &report);
        assert_eq!(found.len(), 1, "{shell}: {found:?}");
        assert_eq!(found[0].0, 12, "{shell}: {found:?}");
        let checker = if which(program).is_some() {
            shell
        } else {
            "bash"
        };
        assert!(
            found[0].1.starts_with(&format!("not valid {checker}: ")),
            "{shell}: {found:?}"
        );
    }
}

#[test]
fn an_unknown_shell_is_a_note_not_a_finding() {
    let (_, report) = lint_text(
        "+++\nshell = \"fish\"\n+++\n\n# T\n\n```bash\necho broken )\n```\n",
        &syntax_only(),
    );
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(
        report.notes,
        vec!["steps run in `fish`: shell syntax not checked (bash, sh and zsh are)".to_string()]
    );
}

/// A search path whose `bash` is a stand-in script, to see how failures of
/// the checker itself are handled.
fn fake_bash(script: &str) -> (tempfile::TempDir, LintOptions) {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("bash");
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("write fake bash");
    make_executable(&path);
    let options = LintOptions {
        search_path: Some(OsString::from(directory.path())),
        ..syntax_only()
    };
    (directory, options)
}

#[test]
fn a_hanging_checker_is_killed_and_noted() {
    let (_directory, mut options) = fake_bash("sleep 30");
    options.process_timeout = Duration::from_millis(400);
    let started = Instant::now();
    let (_, report) = lint_text(
        "# T\n\n```bash\necho a\n```\n\n```bash\necho b\n```\n",
        &options,
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(
        report.notes,
        vec![
            "`bash -n` did not finish within 0.4s: shell syntax of some steps not checked"
                .to_string()
        ]
    );
}

#[test]
fn a_failing_checker_is_a_note_not_a_finding_per_step() {
    let (_directory, options) = fake_bash("echo 'cannot load libreadline' >&2; exit 127");
    let (_, report) = lint_text(
        "# T\n\n```bash\necho a\n```\n\n```bash\necho b\n```\n",
        &options,
    );
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(report.notes, vec!["`bash -n` failed (exit status 127: cannot load libreadline): shell syntax of some steps not checked".to_string()]);
}

#[test]
fn without_bash_there_is_a_note() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let options = LintOptions {
        search_path: Some(OsString::from(directory.path())),
        ..syntax_only()
    };
    let (_, report) = lint_text("# T\n\n```bash\necho broken )\n```\n", &options);
    assert!(report.diagnostics.is_empty());
    assert_eq!(
        report.notes,
        vec!["bash not found: shell syntax not checked".to_string()]
    );
}

#[test]
fn shell_syntax_can_be_switched_off() {
    let options = LintOptions {
        shell_syntax: false,
        ..syntax_only()
    };
    let (_, report) = lint_text("# T\n\n```bash\necho broken )\n```\n", &options);
    assert!(
        report.diagnostics.is_empty() && report.notes.is_empty(),
        "{report:?}"
    );
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}
