//! `runbook run`: walks the step graph with a person at the keyboard, or
//! unattended with `--yes`; `--dry-run` prints the plan and runs nothing.

use crate::cli::{ModeArgs, RunArgs, SelectionArgs, VariableArgs};
use crate::color::{stderr_color, stdout_color};
use crate::diagnostic_render::render_human;
use crate::env_file::{parse_env_file, parse_var_flag};
use crate::event_renderer::EventRenderer;
use crate::exit_code;
use crate::loaded_runbook::LoadedRunbook;
use crate::terminal_prompter::TerminalPrompter;
use crate::timeline_recorder::TimelineRecorder;
use crate::usage_error;
use runbook_exec::{
    Engine, EngineConfig, EventSink, Interrupter, PromptError, PromptResult, Prompter, RunHeader,
    RunMode, RunStatus, ShellConfig, ShellSession, Sinks, ValueSource, VariableStore,
    command_render,
};
use runbook_graph::{InputKind, Selector, StepKind};
use runbook_timeline::{StateDir, TimelineWriter};
use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: &RunArgs) -> Result<(), ExitCode> {
    let runbook = load_runnable(&args.file)?;
    let plan = plan(&runbook, &args.selection)?;
    let variables = variable_store(&runbook, &args.variables)?;
    if args.dry_run {
        print_dry_run(&runbook, &plan, variables);
        return Ok(());
    }
    require_terminal(
        &args.mode,
        "run with --yes for unattended mode (it never prompts), or --dry-run to see the plan",
    )?;
    let state_dir = StateDir::resolve(args.state.state_dir.clone());
    let run_dir = state_dir
        .create_run()
        .map_err(|error| usage_error(&format!("cannot create the run directory: {error}")))?;
    // Held while the run executes, so `runbook resume` cannot start it a second time.
    let _lock =
        runbook_timeline::RunLock::acquire(&run_dir).map_err(|message| usage_error(&message))?;
    let writer = open_timeline(&run_dir, &args.mode)?;
    let setup = RunSetup {
        runbook: &runbook,
        plan,
        variables,
        unattended: args.mode.yes,
        keep_going: args.mode.keep_going,
        allow_destructive: args.mode.allow_destructive,
        completed: HashSet::new(),
        resumed: false,
        restore: None,
    };
    execute(setup, run_dir, writer)
}

/// Without `--yes`, runs need a terminal to ask on; fail at once rather than hang.
pub fn require_terminal(mode: &ModeArgs, advice: &str) -> Result<(), ExitCode> {
    if mode.yes || std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(usage_error(&format!("no terminal to ask on: {advice}")))
}

/// Opens the run's timeline for appending, as the operator or as automation.
pub fn open_timeline(
    run_dir: &runbook_timeline::RunDir,
    mode: &ModeArgs,
) -> Result<TimelineWriter, ExitCode> {
    let actor = if mode.yes {
        runbook_timeline::AUTOMATION_ACTOR.to_string()
    } else {
        runbook_timeline::current_actor()
    };
    TimelineWriter::open(run_dir.timeline_path(), actor)
        .map_err(|error| usage_error(&format!("cannot open the timeline: {error}")))
}

/// Everything `run` and `resume` share.
pub struct RunSetup<'a> {
    pub runbook: &'a LoadedRunbook,
    pub plan: Vec<usize>,
    pub variables: VariableStore,
    pub unattended: bool,
    pub keep_going: bool,
    pub allow_destructive: bool,
    pub completed: HashSet<String>,
    pub resumed: bool,
    /// Working directory and carried variables of the run being resumed.
    pub restore: Option<(String, BTreeMap<String, String>)>,
}

pub fn load_runnable(path: &Path) -> Result<LoadedRunbook, ExitCode> {
    let runbook = LoadedRunbook::load(path).map_err(|message| usage_error(&message))?;
    let errors: Vec<_> = runbook
        .diagnostics()
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    if !errors.is_empty() {
        for diagnostic in &errors {
            eprintln!(
                "{}\n",
                render_human(&runbook.document.source, diagnostic, stderr_color())
            );
        }
        return Err(usage_error(&format!(
            "{} has {} error(s); fix them (see `runbook check`) before running it",
            path.display(),
            errors.len()
        )));
    }
    Ok(runbook)
}

pub fn plan(runbook: &LoadedRunbook, selection: &SelectionArgs) -> Result<Vec<usize>, ExitCode> {
    let mut selectors = Vec::new();
    if let Some(from) = &selection.from {
        selectors.push(Selector::From(from.clone()));
    }
    selectors.extend(
        selection
            .only
            .iter()
            .map(|only| Selector::Only(only.clone())),
    );
    if let Some(section) = &selection.section {
        selectors.push(Selector::Section(section.clone()));
    }
    runbook
        .graph
        .select(&selectors)
        .map_err(|message| usage_error(&message))
}

pub fn variable_store(
    runbook: &LoadedRunbook,
    args: &VariableArgs,
) -> Result<VariableStore, ExitCode> {
    let flags = args
        .var
        .iter()
        .map(|flag| parse_var_flag(flag))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|message| usage_error(&message))?;
    let mut env_file = Vec::new();
    if args.env_file.is_empty() {
        let default = Path::new(".env");
        if default.is_file() {
            env_file = parse_env_file(default).map_err(|message| usage_error(&message))?;
        }
    }
    for path in &args.env_file {
        env_file.extend(parse_env_file(path).map_err(|message| usage_error(&message))?);
    }
    Ok(VariableStore::new(
        runbook.document.front_matter.clone(),
        flags,
        env_file,
        std::env::vars().collect(),
    ))
}

pub fn execute(
    setup: RunSetup<'_>,
    run_dir: runbook_timeline::RunDir,
    writer: TimelineWriter,
) -> Result<(), ExitCode> {
    let runbook = setup.runbook;
    let run_id = run_dir.id().to_string();
    let hint = format!(
        "run {run_id} · timeline: `runbook timeline {run_id}` · postmortem: `runbook export {run_id}`"
    );
    let cwd = std::env::current_dir()
        .map_err(|error| usage_error(&format!("cannot read the current directory: {error}")))?;
    let shell = runbook
        .document
        .front_matter
        .shell
        .clone()
        .unwrap_or_else(|| "bash".to_string());
    let mut session =
        ShellSession::new(ShellConfig::new(shell, cwd, std::env::vars().collect()))
            .map_err(|error| usage_error(&format!("cannot start the shell session: {error}")))?;
    if let Some((cwd, vars)) = &setup.restore {
        let carried = vars.iter().map(|(name, value)| {
            (
                name.clone(),
                runbook_exec::CarriedVariable {
                    value: value.clone(),
                    exported: true,
                },
            )
        });
        if let Err(error) = session.restore(cwd, carried) {
            eprintln!("warning: could not restore the previous shell state: {error}");
        }
    }
    let interrupter = Interrupter::new();
    if let Err(error) = interrupter.install_sigint_handler() {
        eprintln!("warning: cannot handle Ctrl-C: {error}");
    }
    let mut recorder = TimelineRecorder::new(run_dir, writer);
    if let Some((_, vars)) = &setup.restore {
        recorder = recorder.with_restored_vars(vars.clone());
    }
    let live = std::io::stdout().is_terminal() && !setup.unattended;
    let mut renderer = EventRenderer::new(stdout_color(), live, hint, setup.unattended);
    let config = EngineConfig {
        mode: if setup.unattended {
            RunMode::Unattended
        } else {
            RunMode::Interactive
        },
        keep_going: setup.keep_going,
        allow_destructive: setup.allow_destructive,
        has_terminal: std::io::stdin().is_terminal(),
        completed: setup.completed,
        ..EngineConfig::default()
    };
    let header = RunHeader {
        title: runbook.title(),
        runbook: runbook.path.clone(),
        content_sha256: runbook_timeline::RunStarted::content_sha256(
            runbook.document.source.text().as_bytes(),
        ),
        resumed: setup.resumed,
    };
    let mut engine = Engine::new(
        &runbook.graph,
        setup.plan,
        config,
        setup.variables,
        session,
        interrupter.clone(),
    );
    let outcome = {
        // The timeline first: a step is never run unrecorded.
        let mut sinks = Sinks::new(vec![
            &mut recorder as &mut dyn EventSink,
            &mut renderer as &mut dyn EventSink,
        ]);
        if setup.unattended {
            engine.run(header, &mut Unattended, &mut sinks)
        } else {
            let mut prompter = TerminalPrompter::new(interrupter, stderr_color());
            engine.run(header, &mut prompter, &mut sinks)
        }
    };
    drop(renderer);
    if let Some(message) = &outcome.input_error {
        return Err(usage_error(message));
    }
    if let Some(reason) = &outcome.abort_reason {
        eprintln!("error: run aborted: {reason}");
        eprintln!(
            "the timeline so far is in {}",
            recorder.run_dir().path().display()
        );
        return Err(exit_code::code(exit_code::FAILURE));
    }
    match outcome.status {
        RunStatus::Ok | RunStatus::Paused => Ok(()),
        RunStatus::Interrupted => Err(exit_code::code(exit_code::INTERRUPTED)),
        RunStatus::Failed | RunStatus::Aborted => Err(exit_code::code(exit_code::FAILURE)),
    }
}

/// Unattended mode never asks; the engine does not call it, and if it ever
/// did, the answer is that nobody is there.
struct Unattended;

impl Unattended {
    fn nobody<T>() -> PromptResult<T> {
        Err(PromptError::Unavailable(
            "unattended mode (--yes) never prompts".into(),
        ))
    }
}

impl Prompter for Unattended {
    fn step_action(
        &mut self,
        _: &runbook_exec::StepView,
    ) -> PromptResult<runbook_exec::StepAction> {
        Self::nobody()
    }
    fn manual_action(
        &mut self,
        _: &runbook_exec::StepView,
    ) -> PromptResult<runbook_exec::ManualAction> {
        Self::nobody()
    }
    fn failure_action(
        &mut self,
        _: &runbook_exec::FailureView,
    ) -> PromptResult<runbook_exec::FailureAction> {
        Self::nobody()
    }
    fn confirm(&mut self, _: &str) -> PromptResult<bool> {
        Self::nobody()
    }
    fn typed_confirmation(
        &mut self,
        _: &runbook_exec::StepView,
        _: &[String],
    ) -> PromptResult<bool> {
        Self::nobody()
    }
    fn value(&mut self, _: &runbook_exec::ValueRequest) -> PromptResult<String> {
        Self::nobody()
    }
    fn edit_command(
        &mut self,
        _: &runbook_exec::StepView,
        _: &str,
    ) -> PromptResult<Option<String>> {
        Self::nobody()
    }
    fn note(&mut self) -> PromptResult<Option<String>> {
        Self::nobody()
    }
    fn jump(&mut self, _: &[runbook_exec::JumpTarget]) -> PromptResult<Option<usize>> {
        Self::nobody()
    }
    fn mark(&mut self) -> PromptResult<Option<runbook_exec::MarkRequest>> {
        Self::nobody()
    }
    fn show_list(&mut self, _: &[runbook_exec::StepStatusLine]) {}
}

fn print_dry_run(runbook: &LoadedRunbook, plan: &[usize], mut variables: VariableStore) {
    let graph = &runbook.graph;
    let color = stdout_color();
    let style = |s: console::Style| if color { s } else { console::Style::new() };
    let (bold, dim, red, yellow) = (
        style(console::Style::new().bold()),
        style(console::Style::new().dim()),
        style(console::Style::new().red()),
        style(console::Style::new().yellow()),
    );
    println!(
        "{} {}",
        bold.apply_to(format!("plan for {}", runbook.title())),
        dim.apply_to(format!("— {} steps, dry run: nothing runs", plan.len()))
    );
    let mut assigned: HashSet<String> = HashSet::new();
    let mut missing_overall: Vec<String> = Vec::new();
    for (position, &index) in plan.iter().enumerate() {
        let step = &graph.steps[index];
        println!();
        println!(
            "{} {} {}",
            bold.apply_to(format!("{}/{} {}", position + 1, plan.len(), step.id)),
            dim.apply_to(format!("[{}]", step.kind.as_str())),
            dim.apply_to(step.heading_display())
        );
        println!("  {}", step.title());
        if let Some(script) = step.script() {
            for input in step.inputs() {
                variables.settle(&input.name);
            }
            let lookup = |name: &str| variables.get(name).map(|v| (v.value.clone(), v.secret));
            for line in command_render::dry_run(&script.text, step.inputs(), &lookup)
                .trim_end()
                .lines()
            {
                println!("  $ {line}");
            }
        }
        if step.kind == StepKind::Context {
            println!("  {}", dim.apply_to("(shown, never run)"));
        }
        for segment in step.context().iter().filter(|_| step.kind.runs_code()) {
            let lines = segment.text.lines().count();
            let line = runbook.document.source.line_of(segment.span.start);
            println!(
                "  {}",
                dim.apply_to(format!(
                    "(line {line}: {lines} line{} of {} kept as context, not run)",
                    if lines == 1 { "" } else { "s" },
                    segment.language
                ))
            );
        }
        let mut notes = Vec::new();
        if step.attributes().skip || step.attributes().exclude_from_run_all {
            notes.push("skipped (skip / excludeFromRunAll)".to_string());
        }
        if let Some(timeout) = step.attributes().timeout {
            notes.push(format!("timeout {}", runbook_exec::humanize(timeout)));
        }
        if let Some(retries) = step.attributes().retries {
            notes.push(format!("retries {retries}"));
        }
        if step.attributes().confirm.is_some() {
            notes.push("asks for confirmation".into());
        }
        if let Some(capture) = &step.attributes().capture {
            notes.push(format!("captures stdout into {}", capture.value));
        }
        if !notes.is_empty() {
            println!("  {}", dim.apply_to(notes.join(" · ")));
        }
        if step.is_destructive() {
            println!(
                "  {}",
                red.apply_to(format!(
                    "⚠ destructive: {}",
                    step.risk()
                        .destructive
                        .iter()
                        .map(|r| r.what.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            );
        }
        if step.is_endless() {
            println!(
                "  {}",
                yellow.apply_to(format!(
                    "∞ never ends by itself: {}",
                    step.risk()
                        .endless
                        .iter()
                        .map(|r| r.what.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            );
        }
        if !step.risk().interactive.is_empty() {
            println!(
                "  {}",
                yellow.apply_to(format!(
                    "⌨ interactive: {}",
                    step.risk()
                        .interactive
                        .iter()
                        .map(|r| r.what.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            );
        }
        let mut missing = Vec::new();
        for input in step.inputs() {
            if input.optional {
                continue;
            }
            let name = if input.kind == InputKind::Positional {
                format!("ARG{}", input.name)
            } else {
                input.name.clone()
            };
            if assigned.contains(&name) || missing.contains(&name) {
                continue;
            }
            match variables.settle(&name) {
                Some((variable, _)) if variable.source != ValueSource::Prompt => {}
                _ => missing.push(name),
            }
        }
        for name in step.reads() {
            if !assigned.contains(name)
                && !missing.contains(name)
                && variables.settle(name).is_none()
            {
                missing.push(name.clone());
            }
        }
        if !missing.is_empty() {
            println!(
                "  {}",
                yellow.apply_to(format!(
                    "needs: {} (not set yet: prompted, or pass --var)",
                    missing.join(", ")
                ))
            );
            for name in missing {
                if !missing_overall.contains(&name) {
                    missing_overall.push(name);
                }
            }
        }
        assigned.extend(step.assigns().iter().cloned());
    }
    println!();
    if missing_overall.is_empty() {
        println!("{}", dim.apply_to("every input has a value"));
    } else {
        println!("inputs still missing: {}", missing_overall.join(", "));
    }
}
