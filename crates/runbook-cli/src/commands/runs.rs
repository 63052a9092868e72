//! `runbook runs`: every recorded run, newest first. Also the helpers every
//! run-reading command shares: choosing the state dir and the run, reading a
//! timeline with its warnings on stderr, and printing to a closed pipe.

use crate::cli::{RunsArgs, StateDirArgs};
use crate::exit_code;
use crate::usage_error;
use runbook_timeline::RunLock;
use runbook_timeline::{
    Event, RunDir, RunState, RunStatus, RunSummary, RunSummaryStatus, StateDir, TimelineError,
    find_run, list_runs, read_timeline,
};
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

pub fn state_dir(args: &StateDirArgs) -> StateDir {
    StateDir::resolve(args.state_dir.clone())
}

/// The run with this id or unique prefix, or the newest run.
pub fn find(state_dir: &StateDir, query: Option<&str>) -> Result<RunDir, ExitCode> {
    find_run(state_dir, query).map_err(|error| match error {
        TimelineError::NoRuns { .. } | TimelineError::RunNotFound { .. } => {
            usage_error(&format!("{error} (see `runbook runs`)"))
        }
        other => usage_error(&other.to_string()),
    })
}

/// Reads a run's events; problems in the file are warned about on stderr.
pub fn read_events(run: &RunDir) -> Result<Vec<Event>, ExitCode> {
    let path = run.timeline_path();
    let (events, warnings) = read_timeline(&path).map_err(|error| {
        failure(&format!(
            "cannot read the timeline of run {}: {error}",
            run.id()
        ))
    })?;
    for warning in warnings {
        eprintln!("warning: {}: {warning}", path.display());
    }
    Ok(events)
}

/// Prints an error that is not the user's fault (IO) and returns exit code 1.
pub fn failure(message: &str) -> ExitCode {
    let prefix = if crate::color::stderr_color() {
        console::style("error:").red().bold().to_string()
    } else {
        "error:".to_string()
    };
    eprintln!("{prefix} {message}");
    exit_code::code(exit_code::FAILURE)
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub fn print_stdout(text: &str) -> Result<(), ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(failure(&format!("cannot write to stdout: {error}"))),
    }
}

/// `850ms`, `12.3s`, `4m 05s`, `2h 03m 04s`, `1d 02h 03m`, as in the export.
pub fn human_duration(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    let seconds = ms / 1000;
    let text = match seconds {
        0 => format!("{ms}ms"),
        1..60 => format!("{seconds}.{}s", (ms % 1000) / 100),
        60..3600 => format!("{}m {:02}s", seconds / 60, seconds % 60),
        3600..86_400 => format!(
            "{}h {:02}m {:02}s",
            seconds / 3600,
            (seconds % 3600) / 60,
            seconds % 60
        ),
        _ => format!(
            "{}d {:02}h {:02}m",
            seconds / 86_400,
            (seconds % 86_400) / 3600,
            (seconds % 3600) / 60
        ),
    };
    format!("{sign}{text}")
}

pub fn utc_time(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// Where a run stands, as `runs` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunCondition {
    Finished(RunStatus),
    /// A runbook process holds the run's lock.
    Running,
    /// The operator quit or pressed Ctrl-C; the state was saved.
    Paused,
    /// No end was recorded and nobody is running it: the process died.
    Unfinished,
}

impl RunCondition {
    pub fn of(summary: &RunSummary, run: &RunDir) -> Self {
        match summary.status {
            RunSummaryStatus::Finished(status) => RunCondition::Finished(status),
            RunSummaryStatus::Active if RunLock::is_held(run) => RunCondition::Running,
            RunSummaryStatus::Active => {
                let paused = read_timeline(&run.timeline_path())
                    .map(|(events, _)| RunState::from_events(&events).paused)
                    .unwrap_or(false);
                if paused {
                    RunCondition::Paused
                } else {
                    RunCondition::Unfinished
                }
            }
        }
    }

    pub fn label(self) -> String {
        match self {
            RunCondition::Finished(status) => status.to_string(),
            RunCondition::Running => "running".into(),
            RunCondition::Paused => "paused".into(),
            RunCondition::Unfinished => "unfinished".into(),
        }
    }

    /// `runbook resume` continues it without `--force`.
    pub fn resumable(self) -> bool {
        !matches!(
            self,
            RunCondition::Finished(RunStatus::Ok) | RunCondition::Running
        )
    }
}

/// One element of `runs --json`. Stable: fields are only ever added.
#[derive(Serialize)]
struct RunJson {
    id: String,
    runbook: Option<String>,
    title: Option<String>,
    /// RFC 3339, milliseconds.
    started: Option<String>,
    duration_ms: Option<i64>,
    duration: Option<String>,
    /// ok, failed, aborted, interrupted, running, paused or unfinished.
    status: String,
    resumable: bool,
    actor: Option<String>,
    dir: String,
    problems: Vec<String>,
}

pub fn run(args: &RunsArgs) -> Result<(), ExitCode> {
    let state_dir = state_dir(&args.state);
    let summaries = list_runs(&state_dir).map_err(|error| failure(&error.to_string()))?;
    let rows: Vec<RunJson> = summaries
        .iter()
        .map(|summary| {
            let run = state_dir.run(&summary.id);
            let condition = RunCondition::of(summary, &run);
            let duration_ms = summary.duration.map(|d| d.as_millis() as i64);
            RunJson {
                id: summary.id.clone(),
                runbook: summary.runbook.clone(),
                title: summary.title.clone(),
                started: summary.started.map(|ts| format!("{ts:.3}")),
                duration_ms,
                duration: duration_ms.map(human_duration),
                status: condition.label(),
                resumable: condition.resumable() && summary.runbook.is_some(),
                actor: summary.actor.clone(),
                dir: summary.dir.display().to_string(),
                problems: summary.problems.clone(),
            }
        })
        .collect();
    for row in &rows {
        for problem in &row.problems {
            eprintln!("warning: run {}: {problem}", row.id);
        }
    }
    if args.json {
        let json = serde_json::to_string_pretty(&rows)
            .map_err(|error| failure(&format!("cannot serialize the run list: {error}")))?;
        return print_stdout(&format!("{json}\n"));
    }
    if rows.is_empty() {
        eprintln!("no runs recorded under {}", state_dir.root().display());
        return Ok(());
    }
    let table: Vec<[String; 6]> = summaries
        .iter()
        .zip(&rows)
        .map(|(summary, row)| {
            [
                row.id.clone(),
                row.runbook.clone().unwrap_or_else(|| "?".into()),
                summary.started.map(utc_time).unwrap_or_else(|| "?".into()),
                row.duration.clone().unwrap_or_else(|| "–".into()),
                row.status.clone(),
                row.actor.clone().unwrap_or_else(|| "?".into()),
            ]
        })
        .collect();
    let header = [
        "ID",
        "RUNBOOK",
        "STARTED (UTC)",
        "DURATION",
        "STATUS",
        "WHO",
    ]
    .map(String::from);
    print_stdout(&aligned(&header, &table))
}

/// Left-aligned columns two spaces apart; the last column is not padded.
pub fn aligned<const N: usize>(header: &[String; N], rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in std::iter::once(header).chain(rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header).chain(rows) {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[column] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_match_the_export() {
        assert_eq!(human_duration(850), "850ms");
        assert_eq!(human_duration(12_345), "12.3s");
        assert_eq!(human_duration(245_000), "4m 05s");
        assert_eq!(human_duration(7_384_000), "2h 03m 04s");
        assert_eq!(human_duration(93_780_000), "1d 02h 03m");
    }

    #[test]
    fn columns_line_up() {
        let header = ["A".to_string(), "LONG HEADER".to_string(), "C".to_string()];
        let rows = [["wide cell".to_string(), "x".to_string(), "last".to_string()]];
        assert_eq!(
            aligned(&header, &rows),
            "A          LONG HEADER  C\nwide cell  x            last\n"
        );
    }
}
