use std::fmt;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use ulid::Ulid;

use crate::error::TimelineError;
use crate::event::{Event, EventKind, RunStatus};
use crate::reader::read_timeline;
use crate::state_dir::{RunDir, StateDir};

/// How a run ended, or `Active` when it has no `run.finished` (still running, or crashed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunSummaryStatus {
    Finished(RunStatus),
    Active,
}

impl fmt::Display for RunSummaryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunSummaryStatus::Finished(status) => status.fmt(f),
            RunSummaryStatus::Active => f.write_str("active"),
        }
    }
}

/// One line of `runbook runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub id: String,
    pub dir: PathBuf,
    /// Runbook path from `run.started`; `None` when the run never recorded its start.
    pub runbook: Option<String>,
    pub title: Option<String>,
    /// From `run.started`, else the time encoded in the run id.
    pub started: Option<Timestamp>,
    /// Start to `run.finished`; `None` while active.
    pub duration: Option<SignedDuration>,
    pub status: RunSummaryStatus,
    /// Who started the run.
    pub actor: Option<String>,
    /// Problems found reading the timeline (missing file, corrupt lines, …).
    pub problems: Vec<String>,
}

impl RunSummary {
    pub fn from_events(run: &RunDir, events: &[Event]) -> Self {
        let started_event = events
            .iter()
            .find(|e| matches!(e.kind, EventKind::RunStarted(_)));
        let finished_event = final_finish(events);
        let (runbook, title) = match started_event.map(|e| &e.kind) {
            Some(EventKind::RunStarted(start)) => {
                (Some(start.runbook.clone()), Some(start.title.clone()))
            }
            _ => (None, None),
        };
        let started = started_event
            .map(|e| e.ts)
            .or_else(|| timestamp_of_run_id(run.id()));
        let duration = match (started, finished_event) {
            (Some(start), Some((end, _))) => Some(end.ts.duration_since(start)),
            _ => None,
        };
        RunSummary {
            id: run.id().to_owned(),
            dir: run.path().to_owned(),
            runbook,
            title,
            started,
            duration,
            status: finished_event.map_or(RunSummaryStatus::Active, |(_, status)| {
                RunSummaryStatus::Finished(status)
            }),
            actor: started_event.or(events.first()).map(|e| e.actor.clone()),
            problems: Vec::new(),
        }
    }
}

/// The `run.finished` that ended the run, unless a later `run.resumed` reopened it.
fn final_finish(events: &[Event]) -> Option<(&Event, RunStatus)> {
    events.iter().rev().find_map(|e| match &e.kind {
        EventKind::RunFinished(finished) => Some(Some((e, finished.status))),
        EventKind::RunResumed(_) => Some(None),
        _ => None,
    })?
}

fn timestamp_of_run_id(id: &str) -> Option<Timestamp> {
    let ulid = Ulid::from_string(id).ok()?;
    Timestamp::from_millisecond(i64::try_from(ulid.timestamp_ms()).ok()?).ok()
}

/// Run directories under the state dir, newest first. Entries whose names are not run ids are
/// ignored; a missing `runs/` directory means no runs.
fn run_dirs(state_dir: &StateDir) -> Result<Vec<RunDir>, TimelineError> {
    let runs = state_dir.runs_dir();
    let entries = match std::fs::read_dir(&runs) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(TimelineError::io("list runs in", &runs, error)),
    };
    let mut ids = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| TimelineError::io("list runs in", &runs, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if Ulid::from_string(&name).is_ok() && entry.path().is_dir() {
            ids.push(name);
        }
    }
    // ULIDs sort by creation time; uppercase Crockford base32 sorts correctly as text.
    ids.sort_unstable_by(|a, b| b.cmp(a));
    Ok(ids.iter().map(|id| state_dir.run(id)).collect())
}

/// Summaries of every run, newest first. A run whose timeline cannot be read is still listed,
/// with the problem noted.
pub fn list_runs(state_dir: &StateDir) -> Result<Vec<RunSummary>, TimelineError> {
    Ok(run_dirs(state_dir)?
        .iter()
        .map(|run| match read_timeline(&run.timeline_path()) {
            Ok((events, warnings)) => {
                let mut summary = RunSummary::from_events(run, &events);
                summary.problems = warnings.iter().map(ToString::to_string).collect();
                summary
            }
            Err(error) => {
                let mut summary = RunSummary::from_events(run, &[]);
                summary.problems = vec![error.to_string()];
                summary
            }
        })
        .collect())
}

/// The run with this id or unique id prefix (case-insensitive), or the newest run for `None`.
pub fn find_run(state_dir: &StateDir, id_or_prefix: Option<&str>) -> Result<RunDir, TimelineError> {
    let runs = run_dirs(state_dir)?;
    let Some(query) = id_or_prefix.map(str::trim) else {
        return runs
            .into_iter()
            .next()
            .ok_or_else(|| TimelineError::NoRuns {
                state_dir: state_dir.root().to_owned(),
            });
    };
    let wanted = query.to_ascii_uppercase();
    if wanted.is_empty() {
        return Err(TimelineError::RunNotFound {
            state_dir: state_dir.root().to_owned(),
            query: query.to_owned(),
        });
    }
    if let Some(exact) = runs.iter().find(|run| run.id() == wanted) {
        return Ok(exact.clone());
    }
    let mut matching: Vec<RunDir> = runs
        .into_iter()
        .filter(|run| run.id().starts_with(&wanted))
        .collect();
    match matching.len() {
        0 => Err(TimelineError::RunNotFound {
            state_dir: state_dir.root().to_owned(),
            query: query.to_owned(),
        }),
        1 => Ok(matching.remove(0)),
        _ => Err(TimelineError::AmbiguousRun {
            query: query.to_owned(),
            candidates: matching.iter().map(|run| run.id().to_owned()).collect(),
        }),
    }
}

/// The newest run with no `run.finished` event (or one reopened by a later `run.resumed`), if
/// any.
pub fn active_run(state_dir: &StateDir) -> Result<Option<RunDir>, TimelineError> {
    for run in run_dirs(state_dir)? {
        let finished = match read_timeline(&run.timeline_path()) {
            Ok((events, _)) => final_finish(&events).is_some(),
            Err(TimelineError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                false
            }
            Err(error) => return Err(error),
        };
        if !finished {
            return Ok(Some(run));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{RunFinished, RunResumed, StepCounts};
    use crate::writer::TimelineWriter;

    #[test]
    fn a_resumed_run_is_active_until_it_finishes_again() {
        let temp = tempfile::tempdir().expect("tempdir");
        let state = StateDir::new(temp.path());
        let run = state.create_run().expect("run");
        let mut writer = TimelineWriter::open(run.timeline_path(), "alice@web1").expect("open");
        let finished = || RunFinished {
            status: RunStatus::Failed,
            counts: StepCounts::default(),
        };
        writer.append(finished()).expect("finish");
        assert_eq!(active_run(&state).expect("active"), None);
        writer.append(RunResumed {}).expect("resume");
        assert_eq!(active_run(&state).expect("active"), Some(run.clone()));
        let summary = &list_runs(&state).expect("list")[0];
        assert_eq!(summary.status, RunSummaryStatus::Active);
        assert_eq!(summary.duration, None);
        writer.append(finished()).expect("finish again");
        assert_eq!(active_run(&state).expect("active"), None);
    }
}
