//! `shellcheck`: ShellCheck's errors and warnings for every runnable step.
//!
//! Each step is written to its own file in a temporary directory and one
//! `shellcheck` process reads many files (a few processes when there are
//! many steps, to use every core). Files keep steps independent, exactly as
//! if each were checked alone. Info and style findings are dropped, and so
//! are the checks in [`crate::SHELLCHECK_EXCLUDED`].

use crate::bounded_process::{BoundedProcess, ProcessEnd, ProcessSpec};
use crate::lint_catalog::{SHELLCHECK, SHELLCHECK_EXCLUDED};
use crate::lint_options::LintOptions;
use crate::program_lookup::find_program;
use crate::script_job::ScriptJob;
use crate::shell_dialect::ShellDialect;
use runbook_syntax::Diagnostic;
use serde::Deserialize;
use std::ffi::OsString;

pub const NOT_INSTALLED: &str = "shellcheck not installed: ShellCheck lints skipped";

/// Steps per process below which splitting the work is not worth a process.
const STEPS_PER_PROCESS: usize = 8;

#[derive(Default)]
pub struct ShellcheckOutcome {
    pub findings: Vec<(usize, Diagnostic)>,
    pub notes: Vec<(usize, String)>,
}

#[derive(Deserialize)]
struct Json1 {
    comments: Vec<Comment>,
}

#[derive(Deserialize)]
struct Comment {
    file: String,
    line: usize,
    #[serde(rename = "endLine")]
    end_line: Option<usize>,
    column: usize,
    #[serde(rename = "endColumn")]
    end_column: Option<usize>,
    level: String,
    code: u32,
    message: String,
}

pub fn check(jobs: &[ScriptJob<'_>], runbooks: usize, options: &LintOptions) -> ShellcheckOutcome {
    let mut outcome = ShellcheckOutcome::default();
    let Some(program) = find_program(options.search_path.as_ref(), "shellcheck") else {
        outcome
            .notes
            .extend((0..runbooks).map(|runbook| (runbook, NOT_INSTALLED.to_string())));
        return outcome;
    };
    let mut bash_jobs = Vec::new();
    let mut sh_jobs = Vec::new();
    for (index, job) in jobs.iter().enumerate() {
        match &job.dialect {
            ShellDialect::Bash => bash_jobs.push(index),
            ShellDialect::Sh => sh_jobs.push(index),
            other => outcome.notes.push((
                job.runbook,
                format!(
                    "ShellCheck does not support {}: ShellCheck lints skipped",
                    other.name()
                ),
            )),
        }
    }
    if bash_jobs.is_empty() && sh_jobs.is_empty() {
        outcome.notes.dedup();
        return outcome;
    }
    let directory = match tempfile::Builder::new()
        .prefix("runbook-shellcheck-")
        .tempdir()
    {
        Ok(directory) => directory,
        Err(error) => {
            note_all(
                jobs,
                &mut outcome,
                &format!(
                    "ShellCheck lints skipped: could not create a temporary directory: {error}"
                ),
            );
            return outcome;
        }
    };
    for &index in bash_jobs.iter().chain(&sh_jobs) {
        if let Err(error) = std::fs::write(
            directory.path().join(file_name(index)),
            &jobs[index].prepared.text,
        ) {
            note_all(
                jobs,
                &mut outcome,
                &format!("ShellCheck lints skipped: could not write a temporary file: {error}"),
            );
            return outcome;
        }
    }
    let parallelism = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2)
        .max(1);
    let mut running = Vec::new();
    for (shell, group) in [("bash", &bash_jobs), ("sh", &sh_jobs)] {
        if group.is_empty() {
            continue;
        }
        let processes = group
            .len()
            .div_ceil(STEPS_PER_PROCESS)
            .clamp(1, parallelism);
        for chunk in group.chunks(group.len().div_ceil(processes)) {
            let mut args: Vec<OsString> = vec![
                "--format=json1".into(),
                "--norc".into(),
                "--severity=warning".into(),
                format!("--shell={shell}").into(),
                format!(
                    "--exclude={}",
                    SHELLCHECK_EXCLUDED
                        .iter()
                        .map(|(code, _)| format!("SC{code}"))
                        .collect::<Vec<_>>()
                        .join(",")
                )
                .into(),
                "--".into(),
            ];
            args.extend(chunk.iter().map(|&index| OsString::from(file_name(index))));
            let spec = ProcessSpec {
                program: &program,
                args,
                cwd: Some(directory.path().to_path_buf()),
                // ShellCheck decodes its input with the locale's encoding.
                env: &[("LC_ALL", "C.UTF-8")],
                capture_stdout: true,
                timeout: options.process_timeout,
            };
            match BoundedProcess::start(spec) {
                Ok(process) => running.push((chunk.to_vec(), process)),
                Err(message) => note_jobs(
                    jobs,
                    chunk,
                    &mut outcome,
                    &format!("ShellCheck lints skipped: {message}"),
                ),
            }
        }
    }
    for (chunk, process) in running {
        match process.finish() {
            ProcessEnd::Exited {
                code,
                stdout,
                stderr,
            } => read_findings(jobs, &chunk, code, &stdout, &stderr, &mut outcome),
            ProcessEnd::TimedOut => note_jobs(
                jobs,
                &chunk,
                &mut outcome,
                &format!(
                    "shellcheck did not finish within {}s: ShellCheck lints skipped for some steps",
                    options.process_timeout.as_secs_f64()
                ),
            ),
            ProcessEnd::Failed(message) => note_jobs(
                jobs,
                &chunk,
                &mut outcome,
                &format!("shellcheck failed: {message}"),
            ),
        }
    }
    outcome.notes.sort();
    outcome.notes.dedup();
    outcome
}

fn file_name(job: usize) -> String {
    format!("{job}.sh")
}

fn note_all(jobs: &[ScriptJob<'_>], outcome: &mut ShellcheckOutcome, note: &str) {
    let all: Vec<usize> = (0..jobs.len()).collect();
    note_jobs(jobs, &all, outcome, note);
}

fn note_jobs(jobs: &[ScriptJob<'_>], chunk: &[usize], outcome: &mut ShellcheckOutcome, note: &str) {
    for &index in chunk {
        outcome.notes.push((jobs[index].runbook, note.to_string()));
    }
}

fn read_findings(
    jobs: &[ScriptJob<'_>],
    chunk: &[usize],
    code: Option<i32>,
    stdout: &[u8],
    stderr: &[u8],
    outcome: &mut ShellcheckOutcome,
) {
    // 0: clean, 1: findings, 2: some files could not be checked (still JSON).
    let parsed = match code {
        Some(0..=2) => serde_json::from_slice::<Json1>(stdout)
            .map_err(|error| format!("unreadable output ({error})")),
        _ => {
            let message = String::from_utf8_lossy(stderr);
            let first = message
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .unwrap_or("no message");
            Err(format!(
                "exit status {} ({first})",
                code.map(|c| c.to_string())
                    .unwrap_or_else(|| "unknown".into())
            ))
        }
    };
    let report = match parsed {
        Ok(report) => report,
        Err(reason) => {
            note_jobs(
                jobs,
                chunk,
                outcome,
                &format!("shellcheck failed: {reason}; ShellCheck lints skipped"),
            );
            return;
        }
    };
    for comment in report.comments {
        let severity_error = match comment.level.as_str() {
            "error" => true,
            "warning" => false,
            _ => continue,
        };
        let Some(index) = comment
            .file
            .strip_suffix(".sh")
            .and_then(|stem| stem.parse::<usize>().ok())
            .filter(|index| chunk.contains(index))
        else {
            continue;
        };
        let job = &jobs[index];
        let start = (comment.line, comment.column);
        let end = (
            comment.end_line.unwrap_or(comment.line),
            comment.end_column.unwrap_or(comment.column),
        );
        let span = job.span_between(start, end);
        let message = format!("SC{}: {}", comment.code, comment.message);
        let help = format!(
            "see https://www.shellcheck.net/wiki/SC{code}; to accept it, add `allow=SC{code}` to the fence or a `# shellcheck disable=SC{code}` line",
            code = comment.code
        );
        let diagnostic = if severity_error {
            Diagnostic::error(SHELLCHECK, span, message)
        } else {
            Diagnostic::warning(SHELLCHECK, span, message)
        };
        outcome.findings.push((index, diagnostic.with_help(help)));
    }
}
