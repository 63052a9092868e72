//! `runbook resume`: continues a run that stopped before its end, appending
//! to the same timeline.
//!
//! What is restored, from the run's events ([`RunState`]):
//! - steps whose latest outcome is ok are not run again;
//! - steps the operator (or `skip=true`) skipped stay skipped, unless `--force`;
//! - a step with a `step.started` but no `step.finished` was cut short (the process died during
//!   it) and runs again, so such a step may have run twice in total — the only case where a step
//!   runs more than once;
//! - non-secret inputs (as `resumed`, below `--var`), the working directory and the shell
//!   variables the steps set. Secrets were never recorded: they are asked for again, or come
//!   from `--var`/the environment under `--yes`.
//!
//! While a run executes, its process holds `runs/<id>/run.lock` ([`RunLock`]), so a run that
//! is still going cannot be resumed a second time from another terminal.

use crate::cli::ResumeArgs;
use crate::commands::run::{RunSetup, execute, load_runnable, plan, variable_store};
use crate::commands::runs::{self, RunCondition};
use crate::env_file::parse_var_flag;
use crate::loaded_runbook::LoadedRunbook;
use crate::usage_error;
use runbook_exec::{ValueSource, command_render};
use runbook_graph::StepKind;
use runbook_timeline::{
    Event, EventKind, RunDir, RunLock, RunStarted, RunState, RunStatus, StateDir, list_runs,
};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(args: &ResumeArgs) -> Result<(), ExitCode> {
    super::run::require_terminal(
        &args.mode,
        "resume with --yes for unattended mode (it never prompts)",
    )?;
    let state_dir = runs::state_dir(&args.state);
    let run_dir = match args.run.as_deref() {
        Some(query) => runs::find(&state_dir, Some(query))?,
        None => newest_resumable(&state_dir)?,
    };
    // Locked before reading, so the state cannot change under us.
    let lock = RunLock::acquire(&run_dir).map_err(|message| usage_error(&message))?;
    let events = runs::read_events(&run_dir)?;
    let state = RunState::from_events(&events);
    let Some(started) = state.started.clone() else {
        return Err(usage_error(&format!(
            "run {} never recorded its start, so no step of it ran; start it again with `runbook run`",
            run_dir.id()
        )));
    };
    if state.finished == Some(RunStatus::Ok) && !args.force {
        return Err(usage_error(&format!(
            "run {} finished ok; `runbook resume {} --force` reruns the steps that did not end ok (skipped ones)",
            run_dir.id(),
            run_dir.id()
        )));
    }
    let path = match &args.file {
        Some(file) => file.clone(),
        None => locate_runbook(&started, &events).ok_or_else(|| {
            usage_error(&format!(
                "the runbook of run {}, `{}`, is not there any more; pass its new path with --file",
                run_dir.id(),
                started.runbook
            ))
        })?,
    };
    let runbook = load_runnable(&path)?;
    let full_plan = plan(&runbook, &args.selection)?;
    let selection_given = args.selection.from.is_some()
        || !args.selection.only.is_empty()
        || args.selection.section.is_some();
    let sha256 = RunStarted::content_sha256(runbook.document.source.text().as_bytes());
    if sha256 != started.sha256 {
        warn_about_changes(&runbook, &full_plan, &started, &events, &state, &path);
    } else if full_plan.len() != started.step_count {
        let message = format!(
            "run {} planned {} steps but {} has {} to run: the run was probably started with --from, --only or --section",
            run_dir.id(),
            started.step_count,
            path.display(),
            full_plan.len()
        );
        if !selection_given {
            return Err(usage_error(&format!(
                "{message}; pass the same selection to resume it"
            )));
        }
        eprintln!("warning: {message}");
    }

    let mut variables = variable_store(&runbook, &args.variables)?;
    let flagged: HashSet<String> = args
        .variables
        .var
        .iter()
        .filter_map(|flag| parse_var_flag(flag).ok())
        .map(|(name, _)| name)
        .collect();
    for (name, value) in &state.inputs {
        // A name that is secret now must not travel unredacted; it is asked for again.
        if !flagged.contains(name) && !variables.is_secret(name) {
            variables.set(name, value.clone(), ValueSource::Resumed);
        }
    }

    let completed: HashSet<String> = state
        .completed_steps()
        .into_iter()
        .map(str::to_string)
        .collect();
    let skipped: HashSet<String> = if args.force {
        HashSet::new()
    } else {
        state
            .skipped_steps()
            .into_iter()
            .map(str::to_string)
            .collect()
    };
    let plan = remaining_plan(&runbook, &full_plan, &completed, &skipped);
    report_resume_point(
        &run_dir,
        &started,
        &state,
        &runbook,
        &plan,
        &completed,
        args.mode.yes,
    );

    let writer = super::run::open_timeline(&run_dir, &args.mode)?;
    let restore = state
        .last_cwd
        .clone()
        .map(|cwd| (cwd, state.shell_vars.clone()));
    let setup = RunSetup {
        runbook: &runbook,
        plan,
        variables,
        unattended: args.mode.yes,
        keep_going: args.mode.keep_going,
        allow_destructive: args.mode.allow_destructive,
        completed,
        resumed: true,
        restore,
    };
    let result = execute(setup, run_dir, writer);
    drop(lock);
    result
}

/// The newest run that did not finish ok.
fn newest_resumable(state_dir: &StateDir) -> Result<RunDir, ExitCode> {
    let summaries = list_runs(state_dir).map_err(|error| runs::failure(&error.to_string()))?;
    if summaries.is_empty() {
        return Err(usage_error(&format!(
            "no runs recorded under {}",
            state_dir.root().display()
        )));
    }
    for summary in &summaries {
        let run = state_dir.run(&summary.id);
        // A running one is picked too: the lock then says who runs it, which beats silently
        // resuming an older run.
        // Runs that died before recording their start ran nothing and are passed over, but an
        // unreadable timeline is picked so that its problem is reported.
        let condition = RunCondition::of(summary, &run);
        let unreadable = !summary.problems.is_empty() && run.timeline_path().exists();
        let started_or_unreadable = summary.runbook.is_some() || unreadable;
        if started_or_unreadable && condition != RunCondition::Finished(RunStatus::Ok) {
            return Ok(run);
        }
    }
    Err(usage_error(&format!(
        "every run under {} finished ok (or never started); name one to rerun its skipped steps: `runbook resume RUN --force` (see `runbook runs`)",
        state_dir.root().display()
    )))
}

/// The runbook a run recorded: its path as given, else (for a relative path) taken from the
/// directory the run started in, which its first step recorded.
pub fn locate_runbook(started: &RunStarted, events: &[Event]) -> Option<PathBuf> {
    let recorded = PathBuf::from(&started.runbook);
    if recorded.is_file() {
        return Some(recorded);
    }
    if recorded.is_absolute() {
        return None;
    }
    let first_cwd = events.iter().find_map(|event| match &event.kind {
        EventKind::StepStarted(step) => Some(step.cwd.clone()),
        _ => None,
    })?;
    let candidate = Path::new(&first_cwd).join(&recorded);
    candidate.is_file().then_some(candidate)
}

/// The plan without previously skipped steps and without the context steps before the first
/// step left to run (they were shown already).
fn remaining_plan(
    runbook: &LoadedRunbook,
    full_plan: &[usize],
    completed: &HashSet<String>,
    skipped: &HashSet<String>,
) -> Vec<usize> {
    let steps = &runbook.graph.steps;
    let first_to_run = full_plan.iter().position(|&index| {
        let step = &steps[index];
        step.kind != StepKind::Context
            && !completed.contains(step.id.as_str())
            && !skipped.contains(step.id.as_str())
    });
    full_plan
        .iter()
        .enumerate()
        .filter(|&(position, &index)| {
            let step = &steps[index];
            if skipped.contains(step.id.as_str()) {
                return false;
            }
            let already_shown =
                step.kind == StepKind::Context && first_to_run.is_none_or(|first| position < first);
            !already_shown
        })
        .map(|(_, &index)| index)
        .collect()
}

fn report_resume_point(
    run_dir: &RunDir,
    started: &RunStarted,
    state: &RunState,
    runbook: &LoadedRunbook,
    plan: &[usize],
    completed: &HashSet<String>,
    unattended: bool,
) {
    let steps = &runbook.graph.steps;
    let done = plan
        .iter()
        .filter(|&&index| completed.contains(steps[index].id.as_str()))
        .count();
    let next = plan
        .iter()
        .map(|&index| &steps[index])
        .find(|step| step.kind != StepKind::Context && !completed.contains(step.id.as_str()));
    let whereto = match next {
        Some(step) => format!("continuing at `{}` ({})", step.id, step.title()),
        None => "no step is left to run; closing the run".to_string(),
    };
    eprintln!(
        "resuming run {} ({}): {done} of {} steps already done; {whereto}",
        run_dir.id(),
        started.title,
        plan.len()
    );
    if let Some(unfinished) = &state.unfinished_step {
        eprintln!(
            "note: step `{}` was started (event {}) but never recorded as finished: the run stopped during it, so it runs again — check that running it twice is safe",
            unfinished.step, unfinished.seq
        );
    }
    if !state.secret_inputs.is_empty() {
        let names: Vec<&str> = state.secret_inputs.iter().map(String::as_str).collect();
        let how = if unattended {
            "they must come from --var, --env-file or the environment"
        } else {
            "they are asked for again when a step needs them"
        };
        eprintln!(
            "note: secrets are never recorded ({}); {how}",
            names.join(", ")
        );
    }
}

/// What the timeline recorded about one step.
#[derive(Default)]
struct RecordedStep {
    title: Option<String>,
    command: Option<String>,
    /// The command as written, before an edit at the prompt.
    edited_from: Option<String>,
}

fn warn_about_changes(
    runbook: &LoadedRunbook,
    plan: &[usize],
    started: &RunStarted,
    events: &[Event],
    state: &RunState,
    path: &Path,
) {
    let mut recorded: BTreeMap<String, RecordedStep> = BTreeMap::new();
    for event in events {
        let Some(id) = &event.step else { continue };
        // Notes and prompts may name any step; only these say the step took part.
        match &event.kind {
            EventKind::StepStarted(step) => {
                let entry = recorded.entry(id.clone()).or_default();
                entry.title.get_or_insert_with(|| step.title.clone());
                entry.command.get_or_insert_with(|| step.command.clone());
            }
            EventKind::StepEdited(edit) => {
                recorded
                    .entry(id.clone())
                    .or_default()
                    .edited_from
                    .get_or_insert_with(|| edit.original.clone());
            }
            EventKind::StepFinished(_) | EventKind::StepSkipped(_) => {
                recorded.entry(id.clone()).or_default();
            }
            _ => {}
        }
    }
    let lookup = |name: &str| -> Option<(String, bool)> {
        if state.secret_inputs.contains(name) || runbook_graph::is_secret_name(name) {
            return Some((command_render::SECRET_MASK.to_string(), true));
        }
        state
            .inputs
            .get(name)
            .or_else(|| state.shell_vars.get(name))
            .map(|value| (value.clone(), false))
    };
    let steps = &runbook.graph.steps;
    let mut lines = Vec::new();
    for (id, was) in &recorded {
        let Some(step) = steps.iter().find(|step| step.id == *id) else {
            lines.push(format!(
                "  removed  {id}: it took part in this run and is no longer in the runbook"
            ));
            continue;
        };
        let script = step.script().map(|script| script.text.as_str());
        let command_changed = match (&was.edited_from, &was.command, script) {
            (Some(original), _, Some(script)) => original.trim_end() != script.trim_end(),
            (None, Some(command), Some(script)) => {
                let shown = command_render::display(script, step.inputs(), &lookup);
                command.trim_end() != shown.trim_end()
            }
            (_, Some(_), None) => true,
            _ => false,
        };
        if command_changed {
            lines.push(format!(
                "  changed  {id}: its command differs from what ran"
            ));
        } else if was
            .title
            .as_ref()
            .is_some_and(|title| *title != step.title())
        {
            lines.push(format!(
                "  changed  {id}: title was {:?}, now {:?}",
                was.title.as_deref().unwrap_or_default(),
                step.title()
            ));
        }
    }
    let last_recorded = plan
        .iter()
        .rposition(|&index| recorded.contains_key(steps[index].id.as_str()));
    if let Some(last) = last_recorded {
        for &index in &plan[..last] {
            let step = &steps[index];
            if step.kind != StepKind::Context && !recorded.contains_key(step.id.as_str()) {
                lines.push(format!(
                    "  added    {}: new before steps that already ran (or never reached); it will run",
                    step.id
                ));
            }
        }
    }
    if plan.len() != started.step_count {
        lines.push(format!(
            "  steps    {} planned when the run started, {} now",
            started.step_count,
            plan.len()
        ));
    }
    eprintln!(
        "warning: {} changed since run started (sha256 {} then, {} now){}",
        path.display(),
        short_hash(&started.sha256),
        short_hash(&RunStarted::content_sha256(
            runbook.document.source.text().as_bytes()
        )),
        if lines.is_empty() {
            "; the steps that ran are unchanged".to_string()
        } else {
            ":".to_string()
        }
    );
    for line in lines {
        eprintln!("{line}");
    }
}

fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
