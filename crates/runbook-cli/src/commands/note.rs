//! `runbook note`: adds a note to a run's timeline from any terminal, while
//! the run goes on. Also the append path `mark` and `severity` share: the
//! timeline writer locks the file, so any number of processes can append at
//! once without interleaving or losing lines.

use crate::cli::NoteArgs;
use crate::commands::resume::locate_runbook;
use crate::commands::runs;
use crate::loaded_runbook::LoadedRunbook;
use crate::usage_error;
use runbook_redact::Redactor;
use runbook_timeline::{
    Event, EventDraft, EventKind, Note, RunDir, RunState, StateDir, TimelineWriter, active_run,
};
use std::process::ExitCode;

pub fn run(args: &NoteArgs) -> Result<(), ExitCode> {
    let text = args.text.join(" ");
    let text = text.trim();
    if text.is_empty() {
        return Err(usage_error("the note is empty"));
    }
    let state_dir = runs::state_dir(&args.state);
    let run = target_run(&state_dir, args.run.as_deref())?;
    if let Some(step) = &args.step {
        check_step(&run, step)?;
    }
    let mut draft = EventDraft::new(Note {
        text: redact_environment_secrets(text),
    });
    if let Some(step) = &args.step {
        draft = draft.step(step.clone());
    }
    let event = append(&run, draft)?;
    println!("noted in run {} (event {})", run.id(), event.seq);
    Ok(())
}

/// The run named by `--run`, else the newest run that has not finished.
pub fn target_run(state_dir: &StateDir, query: Option<&str>) -> Result<RunDir, ExitCode> {
    if let Some(query) = query {
        return runs::find(state_dir, Some(query));
    }
    match active_run(state_dir) {
        Ok(Some(run)) => Ok(run),
        Ok(None) => Err(usage_error(&format!(
            "no unfinished run under {}; name a run with --run ID (see `runbook runs`)",
            state_dir.root().display()
        ))),
        Err(error) => Err(runs::failure(&error.to_string())),
    }
}

/// Appends one event as the person at this terminal (`user@host`).
pub fn append(run: &RunDir, draft: EventDraft) -> Result<Event, ExitCode> {
    let path = run.timeline_path();
    // Never start a timeline here: a run without one has nothing to annotate.
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(runs::failure(&format!(
            "run {} has no timeline ({} is missing)",
            run.id(),
            path.display()
        )));
    }
    let mut writer = TimelineWriter::open(&path, runbook_timeline::current_actor())
        .map_err(|error| runs::failure(&format!("cannot open the timeline: {error}")))?;
    writer.append(draft).map_err(|error| {
        runs::failure(&format!(
            "nothing was recorded in run {}: {error}",
            run.id()
        ))
    })
}

/// A note about a step that neither the run nor its runbook knows is most likely a typo.
fn check_step(run: &RunDir, step: &str) -> Result<(), ExitCode> {
    let events = runs::read_events(run)?;
    if events
        .iter()
        .any(|event| event.step.as_deref() == Some(step))
    {
        return Ok(());
    }
    let state = RunState::from_events(&events);
    let runbook = state
        .started
        .as_ref()
        .and_then(|started| locate_runbook(started, &events))
        .and_then(|path| LoadedRunbook::load(&path).ok());
    let Some(runbook) = runbook else {
        eprintln!(
            "warning: step `{step}` has not appeared in run {} yet, and its runbook cannot be read to check the name",
            run.id()
        );
        return Ok(());
    };
    if runbook.graph.steps.iter().any(|known| known.id == step) {
        return Ok(());
    }
    let mut known: Vec<&str> = events
        .iter()
        .filter(|event| matches!(event.kind, EventKind::StepStarted(_)))
        .filter_map(|event| event.step.as_deref())
        .collect();
    known.dedup();
    let hint = match known.last() {
        Some(last) => format!("; the latest step started is `{last}`"),
        None => String::new(),
    };
    Err(usage_error(&format!(
        "run {} has no step `{step}` (see `runbook list {}`){hint}",
        run.id(),
        runbook.path.display()
    )))
}

/// A note typed in a terminal can contain a secret the terminal's environment holds; those
/// values are redacted the way step output is.
fn redact_environment_secrets(text: &str) -> String {
    let mut redactor = Redactor::new();
    for (name, value) in std::env::vars() {
        if runbook_graph::is_secret_name(&name) && !value.trim().is_empty() {
            let _ = redactor.add_secret(&name, &value);
        }
    }
    redactor.redact_str(text).0
}
