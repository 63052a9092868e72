//! `invalid-shell`: every runnable step must parse as shell (`bash -n`).
//!
//! Starting `bash` costs about a millisecond or two, far more than parsing a
//! step, so steps are checked in batches: each step becomes the body of its
//! own function, `__runbook_lint_N() ( :` … `)`, and one `bash -n` parses the
//! batch. The batch is only trusted where that cannot change the verdict:
//!
//! - A step that is valid on its own is a valid function body, and ends at
//!   its closing `)`, so valid steps never make a batch fail. (A heredoc
//!   left open at the end is the exception: bash accepts it with a warning,
//!   so such steps are checked alone, see below.) bash may print a syntax
//!   error and still exit 0, so any error message counts as a failure.
//! - An invalid step leaves the parser inside something unclosed or hits an
//!   unexpected token. Unclosed `if`, `case`, loops, `{` and `[[` all meet
//!   the wrapper's `)` and fail inside the step's own lines. Unclosed quotes,
//!   `$(`, `${`, `$((`, `(`, backticks and heredocs could run on into the
//!   next step, so steps where the lexer in `runbook_syntax::shell_scan`
//!   finds one are checked alone.
//! - bash stops at the first error. The step whose lines it names is
//!   re-checked alone, which gives the exact message and line as if it had
//!   been checked by itself; the steps before it parsed and are clean, and
//!   the rest go into a new batch. If that step turns out valid alone, the
//!   error came from somewhere else, and every earlier step of the batch is
//!   checked alone too.
//!
//! Processes run concurrently (a few per core), each with a timeout.

use crate::bounded_process::{BoundedProcess, ProcessEnd, ProcessSpec};
use crate::lint_catalog::INVALID_SHELL;
use crate::lint_options::LintOptions;
use crate::program_lookup::find_program;
use crate::script_job::ScriptJob;
use crate::shell_dialect::ShellDialect;
use regex::Regex;
use runbook_syntax::Diagnostic;
use runbook_syntax::shell_scan::scan_all;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::sync::LazyLock;

/// Longest script passed with `-c`; Linux limits one argument to 128 KiB.
const ARGUMENT_LIMIT: usize = 100_000;

/// Size of one batch: small enough that batches run on every core and that
/// re-parsing the rest of a batch after an error stays cheap.
const BATCH_LIMIT: usize = 32_000;

/// Line-numbered messages: bash `bash: -c: line 3: msg`, dash `sh: 3: msg`, zsh `zsh:3: msg`.
static MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^.*?:(?: line)? ?(\d+): (.*)$").expect("valid shell message regex")
});

#[derive(Default)]
pub struct SyntaxOutcome {
    /// `(index into the jobs, diagnostic)`.
    pub findings: Vec<(usize, Diagnostic)>,
    /// `(runbook, note)`.
    pub notes: Vec<(usize, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckerKind {
    Bash,
    Posix,
    Zsh,
}

#[derive(Debug, Clone)]
struct Checker {
    kind: CheckerKind,
    program: PathBuf,
}

impl Checker {
    fn display(&self) -> &'static str {
        match self.kind {
            CheckerKind::Bash => "bash",
            CheckerKind::Posix => "sh",
            CheckerKind::Zsh => "zsh",
        }
    }

    fn arguments(&self, script: ScriptArgument) -> Vec<OsString> {
        let mut args: Vec<OsString> = match self.kind {
            // extglob patterns are valid once `shopt -s extglob` ran, which `-n` never does.
            CheckerKind::Bash => vec!["-O".into(), "extglob".into(), "-n".into()],
            CheckerKind::Posix | CheckerKind::Zsh => vec!["-n".into()],
        };
        match script {
            ScriptArgument::Inline(text) => {
                args.push("-c".into());
                args.push(text.into());
            }
            ScriptArgument::File(path) => args.push(path.into()),
        }
        args
    }
}

enum ScriptArgument {
    Inline(String),
    File(PathBuf),
}

/// What to check next.
enum Task {
    /// Jobs (indices) parsed together in one process.
    Batch { checker: usize, jobs: Vec<usize> },
    /// One job on its own. `suspects` are the jobs before it in a batch that
    /// failed on its lines: if it is valid alone, they are checked alone.
    Alone {
        checker: usize,
        job: usize,
        suspects: Vec<usize>,
    },
}

struct Running {
    task: Task,
    process: BoundedProcess,
    /// For batches, the first and last batch line of each job's wrapper.
    layout: Vec<(usize, usize)>,
    /// Keeps a large script's temporary file alive while the shell reads it.
    _file: Option<tempfile::NamedTempFile>,
}

pub fn check(jobs: &[ScriptJob<'_>], options: &LintOptions) -> SyntaxOutcome {
    let mut outcome = SyntaxOutcome::default();
    let mut checkers: Vec<Checker> = Vec::new();
    let mut queue: VecDeque<Task> = VecDeque::new();
    let mut batches: Vec<(usize, Vec<usize>, usize)> = Vec::new();
    for (index, job) in jobs.iter().enumerate() {
        let Some(checker) = choose_checker(&job.dialect, options) else {
            let note = match &job.dialect {
                ShellDialect::Other(shell) => format!(
                    "steps run in `{shell}`: shell syntax not checked (bash, sh and zsh are)"
                ),
                _ => "bash not found: shell syntax not checked".to_string(),
            };
            outcome.notes.push((job.runbook, note));
            continue;
        };
        let checker = match checkers
            .iter()
            .position(|known| known.program == checker.program && known.kind == checker.kind)
        {
            Some(position) => position,
            None => {
                checkers.push(checker);
                checkers.len() - 1
            }
        };
        let text = &job.prepared.text;
        if text.len() > BATCH_LIMIT / 2 || scan_all(text).unterminated.is_some() {
            queue.push_back(Task::Alone {
                checker,
                job: index,
                suspects: Vec::new(),
            });
            continue;
        }
        let cost = text.len() + 64;
        match batches.iter_mut().find(|(batch_checker, _, size)| {
            *batch_checker == checker && size + cost <= BATCH_LIMIT
        }) {
            Some((_, members, size)) => {
                members.push(index);
                *size += cost;
            }
            None => batches.push((checker, vec![index], cost)),
        }
    }
    for (checker, members, _) in batches {
        queue.push_back(batch_or_alone(checker, members));
    }

    let window = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2)
        .max(1)
        * 2;
    let mut running: VecDeque<Running> = VecDeque::new();
    loop {
        while running.len() < window
            && let Some(task) = queue.pop_front()
        {
            match start(task, &checkers, jobs, options) {
                Ok(started) => running.push_back(started),
                Err((task, message)) => {
                    for job in task_jobs(&task) {
                        outcome.notes.push((
                            jobs[job].runbook,
                            format!("shell syntax not checked: {message}"),
                        ));
                    }
                }
            }
        }
        let Some(finished) = running.pop_front() else {
            break;
        };
        let end = finished.process.finish();
        let settled = Settled {
            task: finished.task,
            layout: &finished.layout,
            end,
        };
        settle(settled, &checkers, jobs, options, &mut queue, &mut outcome);
    }
    outcome.notes.sort();
    outcome.notes.dedup();
    outcome
}

fn batch_or_alone(checker: usize, jobs: Vec<usize>) -> Task {
    match jobs.as_slice() {
        [job] => Task::Alone {
            checker,
            job: *job,
            suspects: Vec::new(),
        },
        _ => Task::Batch { checker, jobs },
    }
}

fn task_jobs(task: &Task) -> Vec<usize> {
    match task {
        Task::Batch { jobs, .. } => jobs.clone(),
        Task::Alone { job, .. } => vec![*job],
    }
}

/// The shell that parses a runbook's steps: its own if installed, else bash.
fn choose_checker(dialect: &ShellDialect, options: &LintOptions) -> Option<Checker> {
    let search_path = options.search_path.as_ref();
    let bash = || {
        find_program(search_path, "bash").map(|program| Checker {
            kind: CheckerKind::Bash,
            program,
        })
    };
    match dialect {
        ShellDialect::Bash => bash(),
        ShellDialect::Sh => find_program(search_path, "sh")
            .map(|program| Checker {
                kind: CheckerKind::Posix,
                program,
            })
            .or_else(bash),
        ShellDialect::Zsh => find_program(search_path, "zsh")
            .map(|program| Checker {
                kind: CheckerKind::Zsh,
                program,
            })
            .or_else(bash),
        ShellDialect::Other(_) => None,
    }
}

fn start(
    task: Task,
    checkers: &[Checker],
    jobs: &[ScriptJob<'_>],
    options: &LintOptions,
) -> Result<Running, (Task, String)> {
    let (checker, text, layout) = match &task {
        Task::Alone { checker, job, .. } => (
            &checkers[*checker],
            jobs[*job].prepared.text.clone(),
            Vec::new(),
        ),
        Task::Batch {
            checker,
            jobs: members,
        } => {
            let (text, layout) = batch_text(members, jobs);
            (&checkers[*checker], text, layout)
        }
    };
    let mut file = None;
    let argument = if text.len() <= ARGUMENT_LIMIT {
        ScriptArgument::Inline(text)
    } else {
        match write_temporary(&text) {
            Ok(temporary) => {
                let path = temporary.path().to_path_buf();
                file = Some(temporary);
                ScriptArgument::File(path)
            }
            Err(error) => return Err((task, format!("could not write a temporary file: {error}"))),
        }
    };
    let spec = ProcessSpec {
        program: &checker.program,
        args: checker.arguments(argument),
        cwd: None,
        // English messages, so they can be read back.
        env: &[("LC_ALL", "C")],
        capture_stdout: false,
        timeout: options.process_timeout,
    };
    match BoundedProcess::start(spec) {
        Ok(process) => Ok(Running {
            task,
            process,
            layout,
            _file: file,
        }),
        Err(message) => Err((task, message)),
    }
}

fn write_temporary(text: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("runbook-lint-")
        .suffix(".sh")
        .tempfile()?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    Ok(file)
}

/// The batch script and, per job, the 1-based batch lines of its wrapper's first and last line.
fn batch_text(members: &[usize], jobs: &[ScriptJob<'_>]) -> (String, Vec<(usize, usize)>) {
    let mut text = String::new();
    let mut layout = Vec::with_capacity(members.len());
    let mut line = 1;
    for (position, &job) in members.iter().enumerate() {
        let script = &jobs[job].prepared.text;
        let script_lines = script.matches('\n').count()
            + usize::from(!script.is_empty() && !script.ends_with('\n'));
        // `:` keeps an empty body valid. It comes first: after the script it
        // would complete a step that ends in `&&` or `|`, which is an error alone.
        text.push_str(&format!("__runbook_lint_{position}() ( :\n"));
        text.push_str(script);
        if !script.is_empty() && !script.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(")\n");
        let last = line + script_lines + 1;
        layout.push((line, last));
        line = last + 1;
    }
    (text, layout)
}

/// A finished process and the task it ran.
struct Settled<'a> {
    task: Task,
    layout: &'a [(usize, usize)],
    end: ProcessEnd,
}

fn settle(
    settled: Settled<'_>,
    checkers: &[Checker],
    jobs: &[ScriptJob<'_>],
    options: &LintOptions,
    queue: &mut VecDeque<Task>,
    outcome: &mut SyntaxOutcome,
) {
    let Settled { task, layout, end } = settled;
    let program = match &task {
        Task::Alone { checker, .. } | Task::Batch { checker, .. } => checkers[*checker].display(),
    };
    let not_checked = |outcome: &mut SyntaxOutcome, why: &str| {
        for job in task_jobs(&task) {
            outcome.notes.push((
                jobs[job].runbook,
                format!("`{program} -n` {why}: shell syntax of some steps not checked"),
            ));
        }
    };
    let (code, stderr) = match end {
        ProcessEnd::Exited { code, stderr, .. } => {
            (code, String::from_utf8_lossy(&stderr).into_owned())
        }
        ProcessEnd::TimedOut => {
            not_checked(
                outcome,
                &format!(
                    "did not finish within {}s",
                    options.process_timeout.as_secs_f64()
                ),
            );
            return;
        }
        ProcessEnd::Failed(message) => {
            not_checked(outcome, &format!("failed ({message})"));
            return;
        }
    };
    // bash can print a syntax error and still exit 0 (`[[` errors inside a
    // function body), so the messages decide, not only the status.
    let errors = parse_messages(&stderr);
    if code == Some(0) && errors.is_empty() {
        if let Task::Alone {
            checker, suspects, ..
        } = task
        {
            queue.extend(suspects.into_iter().map(|suspect| Task::Alone {
                checker,
                job: suspect,
                suspects: Vec::new(),
            }));
        }
        return;
    }
    let Some((line, message)) = errors.into_iter().next() else {
        // Real shells always name the line; anything else means the checker itself failed.
        not_checked(
            outcome,
            &format!("failed ({})", describe_failure(code, &stderr)),
        );
        return;
    };
    match task {
        Task::Alone { checker, job, .. } => {
            outcome.findings.push((
                job,
                diagnostic(&jobs[job], checkers[checker].display(), line, &message),
            ));
        }
        Task::Batch {
            checker,
            jobs: members,
        } => {
            let owner = layout
                .iter()
                .position(|(first, last)| (*first..=*last).contains(&line))
                .unwrap_or(members.len() - 1);
            queue.push_back(Task::Alone {
                checker,
                job: members[owner],
                suspects: members[..owner].to_vec(),
            });
            if owner + 1 < members.len() {
                queue.push_back(batch_or_alone(checker, members[owner + 1..].to_vec()));
            }
        }
    }
}

fn describe_failure(code: Option<i32>, stderr: &str) -> String {
    let first = stderr
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("no message");
    match code {
        Some(code) => format!("exit status {code}: {first}"),
        None => format!("killed by a signal: {first}"),
    }
}

/// `(line, message)` of each error; warnings and the echo of the offending line are dropped.
fn parse_messages(stderr: &str) -> Vec<(usize, String)> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for raw in stderr.lines() {
        let Some(captures) = MESSAGE.captures(raw.trim_end()) else {
            continue;
        };
        let Ok(line) = captures[1].parse::<usize>() else {
            continue;
        };
        let message = captures[2].trim();
        let echoes_line = message.starts_with('`')
            && message.ends_with('\'')
            && found.last().is_some_and(|(previous, _)| *previous == line);
        if message.is_empty() || message.starts_with("warning:") || echoes_line {
            continue;
        }
        found.push((line, message.to_string()));
    }
    found
}

fn diagnostic(job: &ScriptJob<'_>, shell: &str, line: usize, message: &str) -> Diagnostic {
    let lower = message.to_ascii_lowercase();
    let unclosed = [
        "unexpected end of file",
        "unexpected eof",
        "end of file unexpected",
        "unterminated",
    ]
    .iter()
    .any(|words| lower.contains(words));
    let help = if unclosed {
        "a quote, bracket, `if`/`fi`, `do`/`done` or `{ }` opened in this step is never closed; each step runs on its own, so one construct cannot span two code blocks"
    } else {
        "fix the shell syntax; if the block is an example rather than a command, tag it ```text or add {skip=true}"
    };
    Diagnostic::error(
        INVALID_SHELL,
        job.line_span(line),
        format!("not valid {shell}: {message}"),
    )
    .with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_bash_dash_and_zsh() {
        let bash = "bash: -c: line 2: syntax error near unexpected token `)'\nbash: -c: line 2: `echo a)'\n";
        assert_eq!(
            parse_messages(bash),
            vec![(2, "syntax error near unexpected token `)'".to_string())]
        );
        assert_eq!(
            parse_messages("sh: 3: Syntax error: end of file unexpected (expecting \"fi\")\n")[0].0,
            3
        );
        assert_eq!(
            parse_messages("zsh:4: parse error near `)'\n"),
            vec![(4, "parse error near `)'".to_string())]
        );
        assert!(
            parse_messages(
                "bash: warning: here-document at line 2 delimited by end-of-file (wanted `EOF')\n"
            )
            .is_empty()
        );
        assert_eq!(
            parse_messages(
                "/tmp/runbook-lint-x1.sh: line 12: unexpected EOF while looking for matching `\"'\n"
            )[0]
            .0,
            12
        );
    }
}
