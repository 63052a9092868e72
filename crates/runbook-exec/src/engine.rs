//! The run loop: offers each planned step, asks the operator through a
//! [`Prompter`], runs it in the carried [`ShellSession`], and reports
//! everything as [`Event`]s. It never prints.

use crate::command_render::{self, SECRET_MASK};
use crate::prompter::{
    FailureAction, FailureView, JumpTarget, ManualAction, PromptError, Prompter, StepAction,
    ValueRequest,
};
use crate::{
    Event, EventSink, ExecIoError, Interrupter, OutputStream, RunMode, RunStatus, ShellSession,
    StepIo, StepRequest, StepResult, StepStatus, StepStatusLine, StepView, ValueSource,
    VariableStore,
};
use runbook_graph::{InputKind, Step, StepGraph, StepKind};
use runbook_redact::Redactor;
use runbook_syntax::Expect;
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many bytes of output each step keeps for failure display and the timeline.
const TAIL_BYTES: usize = 4096;
/// How much combined output is kept to check an `expect=/regex/`.
const EXPECT_CAPTURE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub mode: RunMode,
    /// Unattended: go on after a failed step.
    pub keep_going: bool,
    /// Unattended: run destructive steps.
    pub allow_destructive: bool,
    /// A terminal is attached (interactive steps can use it).
    pub has_terminal: bool,
    /// Delay between retries when a step has `retries` but no `delay`.
    pub retry_delay: Duration,
    /// Honour Runme's `excludeFromRunAll` (when running everything).
    pub skip_excluded: bool,
    /// Step ids completed in an earlier run (resume).
    pub completed: HashSet<String>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            mode: RunMode::Interactive,
            keep_going: false,
            allow_destructive: false,
            has_terminal: false,
            retry_delay: Duration::from_secs(2),
            skip_excluded: true,
            completed: HashSet::new(),
        }
    }
}

/// What `runbook run` reports at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    pub status: RunStatus,
    pub ok: usize,
    pub failed: usize,
    pub skipped: usize,
    pub not_run: usize,
    /// A value was missing and could not be asked for (exit code 2).
    pub input_error: Option<String>,
    /// Why the run was aborted (timeline unwritable, shell could not start…).
    pub abort_reason: Option<String>,
}

/// Identifies the runbook in `run.started`.
#[derive(Debug, Clone)]
pub struct RunHeader {
    pub title: String,
    pub runbook: PathBuf,
    pub content_sha256: String,
    pub resumed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StepState {
    Pending,
    Done,
    Shown,
    Failed,
    Skipped,
}

impl StepState {
    fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Done => "done",
            StepState::Shown => "shown",
            StepState::Failed => "failed",
            StepState::Skipped => "skipped",
        }
    }
}

/// Where the loop goes after a step.
enum Flow {
    Next,
    JumpTo(usize),
    Stop(RunStatus),
}

/// Why the loop must stop early.
enum Halt {
    Sink(String),
    Prompt(PromptError),
    Input(String),
    Exec(ExecIoError),
}

impl From<crate::SinkError> for Halt {
    fn from(error: crate::SinkError) -> Self {
        Halt::Sink(error.message)
    }
}

impl From<PromptError> for Halt {
    fn from(error: PromptError) -> Self {
        Halt::Prompt(error)
    }
}

/// What one execution (with its retries) produced.
struct Execution {
    result: StepResult,
    stdout: Option<String>,
    tail: String,
    exit_code: Option<i32>,
    detail: Option<String>,
}

pub struct Engine<'a> {
    graph: &'a StepGraph,
    plan: Vec<usize>,
    config: EngineConfig,
    variables: VariableStore,
    session: ShellSession,
    interrupter: Interrupter,
    redactor: Arc<Redactor>,
    states: Vec<StepState>,
}

impl<'a> Engine<'a> {
    pub fn new(
        graph: &'a StepGraph,
        plan: Vec<usize>,
        config: EngineConfig,
        variables: VariableStore,
        session: ShellSession,
        interrupter: Interrupter,
    ) -> Self {
        let states = vec![StepState::Pending; plan.len()];
        Engine {
            graph,
            plan,
            config,
            variables,
            session,
            interrupter,
            redactor: Arc::new(Redactor::new()),
            states,
        }
    }

    pub fn session(&self) -> &ShellSession {
        &self.session
    }

    pub fn variables(&self) -> &VariableStore {
        &self.variables
    }

    /// Runs the plan to the end, a failure, or the operator quitting.
    pub fn run(
        &mut self,
        header: RunHeader,
        prompter: &mut dyn Prompter,
        sink: &mut dyn EventSink,
    ) -> RunOutcome {
        let result = self.run_inner(header, prompter, sink);
        let pause_reason = match &result {
            Err(Halt::Prompt(PromptError::Unavailable(reason))) => {
                format!("the terminal went away ({reason})")
            }
            Err(Halt::Prompt(PromptError::Interrupted)) => "interrupted".to_string(),
            _ => "operator quit".to_string(),
        };
        let (status, input_error, abort_reason) = match result {
            Ok(status) => (status, None, None),
            Err(Halt::Prompt(PromptError::Interrupted)) => (RunStatus::Interrupted, None, None),
            // The terminal went away (closed, hung up, input ended): pause with the state
            // saved so the run can be resumed.
            Err(Halt::Prompt(PromptError::Unavailable(_))) => (RunStatus::Paused, None, None),
            Err(Halt::Input(message)) => (RunStatus::Failed, Some(message), None),
            Err(Halt::Sink(message)) => (
                RunStatus::Aborted,
                None,
                Some(format!("the timeline could not be written: {message}")),
            ),
            Err(Halt::Exec(error)) => (RunStatus::Aborted, None, Some(error.to_string())),
        };
        let count = |state: StepState| self.states.iter().filter(|s| **s == state).count();
        let outcome = RunOutcome {
            status,
            ok: count(StepState::Done),
            failed: count(StepState::Failed),
            skipped: count(StepState::Skipped),
            not_run: count(StepState::Pending),
            input_error,
            abort_reason,
        };
        let ending = match status {
            RunStatus::Paused | RunStatus::Interrupted => Event::RunPaused {
                reason: pause_reason,
            },
            _ => Event::RunFinished {
                status,
                ok: outcome.ok,
                failed: outcome.failed,
                skipped: outcome.skipped,
                not_run: outcome.not_run,
            },
        };
        if status != RunStatus::Aborted || outcome.input_error.is_some() {
            // Best effort: the sink may be the thing that failed.
            let _ = sink.emit(&ending);
        }
        outcome
    }

    fn run_inner(
        &mut self,
        header: RunHeader,
        prompter: &mut dyn Prompter,
        sink: &mut dyn EventSink,
    ) -> Result<RunStatus, Halt> {
        sink.emit(&Event::RunStarted {
            title: header.title,
            runbook: header.runbook,
            content_sha256: header.content_sha256,
            mode: self.config.mode,
            steps: self.plan.len(),
            resumed: header.resumed,
        })?;
        for name in self.variables.settle_declared() {
            self.report_settled(&name, sink)?;
        }
        let mut position = 0;
        let mut any_failed = false;
        while position < self.plan.len() {
            match self.visit(position, prompter, sink)? {
                Flow::Next => position += 1,
                Flow::JumpTo(target) => position = target,
                Flow::Stop(status) => return Ok(status),
            }
            any_failed |= self.states.contains(&StepState::Failed);
        }
        Ok(if any_failed {
            RunStatus::Failed
        } else {
            RunStatus::Ok
        })
    }

    fn unattended(&self) -> bool {
        self.config.mode == RunMode::Unattended
    }

    fn step(&self, position: usize) -> &'a Step {
        &self.graph.steps[self.plan[position]]
    }

    fn visit(
        &mut self,
        position: usize,
        prompter: &mut dyn Prompter,
        sink: &mut dyn EventSink,
    ) -> Result<Flow, Halt> {
        if self.interrupter.shutdown_requested() {
            return Err(Halt::Prompt(PromptError::Unavailable(
                "hang-up or stop signal".into(),
            )));
        }
        let step = self.step(position);
        if self.config.completed.contains(step.id.as_str()) {
            self.states[position] = StepState::Done;
            return Ok(Flow::Next);
        }
        let view = self.view(position);
        sink.emit(&Event::StepAnnounced { view: view.clone() })?;
        match step.kind {
            StepKind::Context => {
                self.states[position] = StepState::Shown;
                Ok(Flow::Next)
            }
            StepKind::Manual => self.manual(position, &view, prompter, sink),
            StepKind::Shell | StepKind::Session => self.runnable(position, prompter, sink),
        }
    }

    fn manual(
        &mut self,
        position: usize,
        view: &StepView,
        prompter: &mut dyn Prompter,
        sink: &mut dyn EventSink,
    ) -> Result<Flow, Halt> {
        let id = view.id.clone();
        if self.unattended() {
            sink.emit(&Event::ManualConfirmed {
                id,
                unattended: true,
            })?;
            self.states[position] = StepState::Done;
            return Ok(Flow::Next);
        }
        loop {
            match prompter.manual_action(view)? {
                ManualAction::Done => {
                    sink.emit(&Event::ManualConfirmed {
                        id,
                        unattended: false,
                    })?;
                    self.states[position] = StepState::Done;
                    return Ok(Flow::Next);
                }
                ManualAction::Skip => {
                    sink.emit(&Event::StepSkipped {
                        id,
                        reason: "skipped by the operator".into(),
                    })?;
                    self.states[position] = StepState::Skipped;
                    return Ok(Flow::Next);
                }
                ManualAction::Note => self.note(Some(&id), prompter, sink)?,
                ManualAction::Mark => self.mark(prompter, sink)?,
                ManualAction::List => prompter.show_list(&self.status_lines(position)),
                ManualAction::Jump => {
                    if let Some(target) = self.jump(position, prompter)? {
                        return Ok(Flow::JumpTo(target));
                    }
                }
                ManualAction::Quit => return Ok(Flow::Stop(RunStatus::Paused)),
            }
        }
    }

    fn refuse(
        &mut self,
        position: usize,
        reason: String,
        sink: &mut dyn EventSink,
    ) -> Result<Flow, Halt> {
        let id = self.step(position).id.to_string();
        sink.emit(&Event::StepFinished {
            id,
            result: StepResult::Refused,
            exit_code: None,
            duration: Duration::ZERO,
            attempt: 0,
            detail: Some(reason),
            tail: String::new(),
            redactions: 0,
            cwd: self.session.cwd().to_path_buf(),
            vars: self.carried_vars(),
        })?;
        self.states[position] = StepState::Failed;
        Ok(if self.config.keep_going {
            Flow::Next
        } else {
            Flow::Stop(RunStatus::Failed)
        })
    }

    fn runnable(
        &mut self,
        position: usize,
        prompter: &mut dyn Prompter,
        sink: &mut dyn EventSink,
    ) -> Result<Flow, Halt> {
        let step = self.step(position);
        let id = step.id.to_string();
        if step.attributes().skip
            || (self.config.skip_excluded && step.attributes().exclude_from_run_all)
        {
            let reason = if step.attributes().skip {
                "marked skip"
            } else {
                "excluded from running everything (excludeFromRunAll)"
            };
            sink.emit(&Event::StepSkipped {
                id,
                reason: reason.into(),
            })?;
            self.states[position] = StepState::Skipped;
            return Ok(Flow::Next);
        }
        if self.unattended() {
            if step.is_destructive() && !self.config.allow_destructive {
                let what: Vec<&str> = step
                    .risk()
                    .destructive
                    .iter()
                    .map(|r| r.what.as_str())
                    .collect();
                return self.refuse(position, format!("destructive step ({}) refused in unattended mode; pass --allow-destructive to run it", what.join(", ")), sink);
            }
            if step.is_endless() && step.attributes().timeout.is_none() {
                return self.refuse(position, "this command never ends by itself; give the step a `timeout` to run it unattended".into(), sink);
            }
            if step.needs_terminal() && !self.config.has_terminal {
                return self.refuse(
                    position,
                    "this step needs a terminal (interactive command) and none is attached".into(),
                    sink,
                );
            }
        }
        let positional = self.resolve_inputs(position, prompter, sink)?;
        let original = step
            .script()
            .map(|script| script.text.clone())
            .unwrap_or_default();
        let mut command = original.clone();
        let mut ask = !self.unattended();
        loop {
            if ask {
                let view = self.view_with_command(position, &command);
                match prompter.step_action(&view)? {
                    StepAction::Run => {}
                    StepAction::Skip => {
                        sink.emit(&Event::StepSkipped {
                            id,
                            reason: "skipped by the operator".into(),
                        })?;
                        self.states[position] = StepState::Skipped;
                        return Ok(Flow::Next);
                    }
                    StepAction::Edit => match prompter.edit_command(&view, &command)? {
                        Some(edited) if edited != command => {
                            self.record_edit(&id, &command, &edited, sink)?;
                            command = edited;
                        }
                        _ => continue,
                    },
                    StepAction::Note => {
                        self.note(Some(&id), prompter, sink)?;
                        continue;
                    }
                    StepAction::Mark => {
                        self.mark(prompter, sink)?;
                        continue;
                    }
                    StepAction::List => {
                        prompter.show_list(&self.status_lines(position));
                        continue;
                    }
                    StepAction::Jump => {
                        if let Some(target) = self.jump(position, prompter)? {
                            return Ok(Flow::JumpTo(target));
                        }
                        continue;
                    }
                    StepAction::Quit => return Ok(Flow::Stop(RunStatus::Paused)),
                }
                if !self.confirmed(position, &command, prompter, sink)? {
                    continue;
                }
            } else {
                self.record_unattended_confirmations(position, sink)?;
            }
            // Run, then on failure ask what to do (or stop, unattended).
            'run: loop {
                let execution = self.execute(position, &command, &positional, sink)?;
                if execution.result == StepResult::Ok {
                    self.after_success(position, execution.stdout, sink)?;
                    self.states[position] = StepState::Done;
                    return Ok(Flow::Next);
                }
                self.states[position] = StepState::Failed;
                if self.interrupter.shutdown_requested() {
                    return Err(Halt::Prompt(PromptError::Unavailable(
                        "hang-up or stop signal".into(),
                    )));
                }
                if self.unattended() {
                    if execution.result == StepResult::Interrupted {
                        return Ok(Flow::Stop(RunStatus::Interrupted));
                    }
                    return Ok(if self.config.keep_going {
                        Flow::Next
                    } else {
                        Flow::Stop(RunStatus::Failed)
                    });
                }
                let failure = FailureView {
                    id: id.clone(),
                    result: execution.result.as_str(),
                    exit_code: execution.exit_code,
                    detail: execution.detail,
                    tail: execution.tail,
                };
                loop {
                    match prompter.failure_action(&failure)? {
                        FailureAction::Retry => {
                            self.states[position] = StepState::Pending;
                            continue 'run;
                        }
                        FailureAction::Edit => {
                            let view = self.view_with_command(position, &command);
                            let Some(edited) = prompter
                                .edit_command(&view, &command)?
                                .filter(|edited| *edited != command)
                            else {
                                // Nothing changed: ask again rather than re-run the failed command.
                                continue;
                            };
                            self.record_edit(&id, &command, &edited, sink)?;
                            command = edited;
                            self.states[position] = StepState::Pending;
                            continue 'run;
                        }
                        FailureAction::Skip => {
                            sink.emit(&Event::StepSkipped {
                                id: id.clone(),
                                reason: format!("skipped after it {}", execution.result.as_str()),
                            })?;
                            self.states[position] = StepState::Skipped;
                            return Ok(Flow::Next);
                        }
                        FailureAction::Jump => {
                            if let Some(target) = self.jump(position, prompter)? {
                                return Ok(Flow::JumpTo(target));
                            }
                            ask = true;
                            break 'run;
                        }
                        FailureAction::Quit => return Ok(Flow::Stop(RunStatus::Paused)),
                    }
                }
            }
        }
    }

    /// Records an edited command next to the original (both redacted).
    fn record_edit(
        &self,
        id: &str,
        original: &str,
        edited: &str,
        sink: &mut dyn EventSink,
    ) -> Result<(), Halt> {
        sink.emit(&Event::StepEdited {
            id: id.to_string(),
            original: self.redactor.redact_str(original).0,
            edited: self.redactor.redact_str(edited).0,
        })?;
        Ok(())
    }

    /// `confirm` asks y/N; destructive steps need the step id or `yes` typed.
    fn confirmed(
        &mut self,
        position: usize,
        command: &str,
        prompter: &mut dyn Prompter,
        sink: &mut dyn EventSink,
    ) -> Result<bool, Halt> {
        let step = self.step(position);
        let id = step.id.to_string();
        if let Some(confirm) = &step.attributes().confirm {
            let question = match confirm {
                runbook_syntax::Confirm::Yes => format!("Run `{}`?", step.title()),
                runbook_syntax::Confirm::Prompt(text) => self.fill_text(text),
            };
            let yes = prompter.confirm(&question)?;
            sink.emit(&Event::PromptAnswered {
                id: Some(id.clone()),
                question,
                answer: if yes { "yes".into() } else { "no".into() },
            })?;
            if !yes {
                return Ok(false);
            }
        }
        if step.is_destructive() {
            let view = self.view_with_command(position, command);
            let accepted = vec![id.clone(), "yes".to_string()];
            let matched = prompter.typed_confirmation(&view, &accepted)?;
            sink.emit(&Event::PromptAnswered {
                id: Some(id),
                question: "destructive step: type the step name or `yes` to run it".into(),
                answer: if matched {
                    "confirmed".into()
                } else {
                    "not confirmed".into()
                },
            })?;
            return Ok(matched);
        }
        Ok(true)
    }

    fn record_unattended_confirmations(
        &mut self,
        position: usize,
        sink: &mut dyn EventSink,
    ) -> Result<(), Halt> {
        let step = self.step(position);
        if step.attributes().confirm.is_some() || step.is_destructive() {
            sink.emit(&Event::PromptAnswered {
                id: Some(step.id.to_string()),
                question: if step.is_destructive() {
                    "destructive step".into()
                } else {
                    "confirm".into()
                },
                answer: "yes (unattended)".into(),
            })?;
        }
        Ok(())
    }

    /// Replaces `{{name}}` in prose (confirm prompts) with known, non-secret values.
    fn fill_text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (name, variable) in self.variables.known() {
            let shown = if variable.secret {
                SECRET_MASK.to_string()
            } else {
                variable.value.clone()
            };
            out = out.replace(&format!("{{{{{name}}}}}"), &shown);
        }
        out
    }

    /// Settles every value the step needs, prompting (or failing, unattended)
    /// for missing ones. Returns the step's positional arguments.
    fn resolve_inputs(
        &mut self,
        position: usize,
        prompter: &mut dyn Prompter,
        sink: &mut dyn EventSink,
    ) -> Result<Vec<String>, Halt> {
        let step = self.step(position);
        let mut needed: Vec<(String, Option<String>)> = Vec::new();
        for input in step.inputs() {
            if input.optional || input.kind == InputKind::Positional {
                continue;
            }
            if !needed.iter().any(|(name, _)| *name == input.name) {
                needed.push((input.name.clone(), input.literal.clone()));
            }
        }
        for name in step.reads() {
            if !needed.iter().any(|(known, _)| known == name) {
                needed.push((name.clone(), None));
            }
        }
        for (name, literal) in needed {
            if let Some((_, newly)) = self.variables.settle(&name) {
                if newly {
                    self.report_settled(&name, sink)?;
                }
                continue;
            }
            if self.session.variables().contains_key(&name) {
                continue;
            }
            if self.unattended() {
                return Err(Halt::Input(format!(
                    "missing value for `{name}`, needed by step `{}` (line {}); pass --var {name}=VALUE, set it in the environment or an --env-file",
                    step.id, step.line
                )));
            }
            let spec = self.variables.front_matter().var(&name).cloned();
            let prompt = spec
                .as_ref()
                .and_then(|spec| spec.prompt.clone())
                .unwrap_or_else(|| match &literal {
                    Some(literal) if !literal.starts_with("{{") => format!("Value for {literal}"),
                    _ => format!("Value for {name}"),
                });
            let request = ValueRequest {
                name: name.clone(),
                prompt,
                secret: self.variables.is_secret(&name),
                choices: spec
                    .as_ref()
                    .map(|spec| spec.choices.clone())
                    .unwrap_or_default(),
                pattern: spec.as_ref().and_then(|spec| spec.pattern.clone()),
                default: spec.as_ref().and_then(|spec| spec.default.clone()),
                step_id: step.id.to_string(),
            };
            let value = prompter.value(&request)?;
            self.variables.set(&name, value, ValueSource::Prompt);
            self.report_settled(&name, sink)?;
        }
        let mut positional = Vec::new();
        let highest = step
            .inputs()
            .iter()
            .filter(|input| input.kind == InputKind::Positional)
            .filter_map(|input| input.name.parse::<usize>().ok())
            .max()
            .unwrap_or(0);
        for number in 1..=highest {
            let name = format!("ARG{number}");
            if let Some((variable, newly)) = self.variables.settle(&name) {
                let value = variable.value.clone();
                if newly {
                    self.report_settled(&name, sink)?;
                }
                positional.push(value);
                continue;
            }
            if self.unattended() {
                return Err(Halt::Input(format!(
                    "step `{}` (line {}) is written as a script and reads ${number}; pass --var {name}=VALUE",
                    step.id, step.line
                )));
            }
            let request = ValueRequest {
                name: name.clone(),
                prompt: format!("Argument ${number} for step {}", step.id),
                secret: false,
                choices: Vec::new(),
                pattern: None,
                default: None,
                step_id: step.id.to_string(),
            };
            let value = prompter.value(&request)?;
            let (shown, _) = self.redactor.redact_str(&value);
            sink.emit(&Event::InputProvided {
                name,
                secret: false,
                source: ValueSource::Prompt,
                value: Some(shown),
            })?;
            positional.push(value);
        }
        Ok(positional)
    }

    /// Reports a newly settled value and registers secrets for redaction.
    fn report_settled(&mut self, name: &str, sink: &mut dyn EventSink) -> Result<(), Halt> {
        let Some(variable) = self.variables.get(name).cloned() else {
            return Ok(());
        };
        if variable.secret {
            let redactor = Arc::make_mut(&mut self.redactor);
            if let Err(error) = redactor.add_secret(name, &variable.value) {
                sink.emit(&Event::Warning {
                    message: format!("cannot redact `{name}`: {error}"),
                })?;
            } else if redactor.too_short().iter().any(|short| short == name) {
                sink.emit(&Event::Warning {
                    message: format!(
                        "secret `{name}` is too short to be redacted reliably in output"
                    ),
                })?;
            }
        }
        let value = (!variable.secret).then(|| self.redactor.redact_str(&variable.value).0);
        sink.emit(&Event::InputProvided {
            name: name.to_string(),
            secret: variable.secret,
            source: variable.source,
            value,
        })?;
        Ok(())
    }

    /// Non-secret variables the shell carries, redacted, for the timeline (resume).
    fn carried_vars(&self) -> std::collections::BTreeMap<String, String> {
        self.session
            .variables()
            .iter()
            .filter(|(name, _)| !self.variables.is_secret(name))
            .map(|(name, carried)| (name.clone(), self.redactor.redact_str(&carried.value).0))
            .collect()
    }

    fn lookup(&self, name: &str) -> Option<(String, bool)> {
        if let Some(variable) = self.variables.get(name) {
            return Some((variable.value.clone(), variable.secret));
        }
        self.session
            .variables()
            .get(name)
            .map(|carried| (carried.value.clone(), self.variables.is_secret(name)))
    }

    fn execute(
        &mut self,
        position: usize,
        command: &str,
        positional: &[String],
        sink: &mut dyn EventSink,
    ) -> Result<Execution, Halt> {
        let step = self.step(position);
        let attributes = step.attributes();
        let attempts = attributes.retries.unwrap_or(0) + 1;
        let delay = attributes.delay.unwrap_or(self.config.retry_delay);
        let executable = command_render::executable(command, step.inputs());
        let display = {
            let lookup = |name: &str| self.lookup(name);
            let shown = command_render::display(command, step.inputs(), &lookup);
            self.redactor.redact_str(&shown).0
        };
        let io = if step.needs_terminal() && self.config.has_terminal {
            StepIo::Terminal
        } else {
            StepIo::Captured
        };
        let wants_regex = matches!(attributes.expect, Some(Expect::OutputMatches(_)));
        let mut last = None;
        for attempt in 1..=attempts {
            // A Ctrl-C that arrived between steps (no step was running to stop) stops this one
            // before it starts.
            if self.unattended() && self.interrupter.take_pending_interrupt() {
                return Ok(Execution {
                    result: StepResult::Interrupted,
                    stdout: None,
                    tail: String::new(),
                    exit_code: None,
                    detail: Some("interrupted before it started".into()),
                });
            }
            let request = StepRequest {
                label: step.id.to_string(),
                script: executable.clone(),
                env: self.variables.exports(),
                cwd: attributes.cwd.as_ref().map(PathBuf::from),
                timeout: attributes.timeout,
                io,
                capture_stdout: attributes.capture.is_some(),
                positional_args: positional.to_vec(),
            };
            // The step's shell gets ready (a fork) while its start is made durable (an fsync);
            // nothing of the step runs before `run` below.
            let started_in = self.session.cwd().to_path_buf();
            let prepared = self.session.prepare(request);
            sink.emit(&Event::StepStarted {
                id: step.id.to_string(),
                title: self.redactor.redact_str(&step.title()).0,
                heading_path: step
                    .heading_path()
                    .iter()
                    .map(|heading| self.redactor.redact_str(heading).0)
                    .collect(),
                command: display.clone(),
                cwd: started_in,
                attempt,
            })?;
            let mut stdout_redactor = self.redactor.stream();
            let mut stderr_redactor = self.redactor.stream();
            let mut tail = TailBuffer::new(TAIL_BYTES);
            let mut combined = Vec::new();
            let mut sink_error = None;
            let step_id = step.id.to_string();
            let mut forward = |stream: OutputStream, bytes: Vec<u8>, sink: &mut dyn EventSink| {
                if bytes.is_empty() || sink_error.is_some() {
                    return;
                }
                tail.push(&bytes);
                if let Err(error) = sink.emit(&Event::Output {
                    id: step_id.clone(),
                    stream,
                    bytes,
                }) {
                    sink_error = Some(error);
                }
            };
            let started = Instant::now();
            let outcome = prepared.and_then(|prepared| {
                prepared.run(&self.interrupter, &mut |chunk| {
                    if wants_regex && combined.len() < EXPECT_CAPTURE_BYTES {
                        combined.extend_from_slice(&chunk.bytes);
                    }
                    let redacted = match chunk.stream {
                        OutputStream::Stdout => stdout_redactor.push(&chunk.bytes),
                        OutputStream::Stderr => stderr_redactor.push(&chunk.bytes),
                    };
                    forward(chunk.stream, redacted, sink);
                })
            });
            let (rest_out, out_count) = stdout_redactor.finish_with_count();
            forward(OutputStream::Stdout, rest_out, sink);
            let (rest_err, err_count) = stderr_redactor.finish_with_count();
            forward(OutputStream::Stderr, rest_err, sink);
            if let Some(error) = sink_error {
                return Err(Halt::Sink(error.message));
            }
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(error) => {
                    // The step could not start (bad cwd, shell missing): a failure the operator can act on.
                    let detail = error.to_string();
                    sink.emit(&Event::StepFinished {
                        id: step.id.to_string(),
                        result: StepResult::Failed,
                        exit_code: None,
                        duration: started.elapsed(),
                        attempt,
                        detail: Some(detail.clone()),
                        tail: String::new(),
                        redactions: 0,
                        cwd: self.session.cwd().to_path_buf(),
                        vars: self.carried_vars(),
                    })?;
                    if matches!(error, ExecIoError::WatchChildren { .. }) {
                        return Err(Halt::Exec(error));
                    }
                    last = Some(Execution {
                        result: StepResult::Failed,
                        stdout: None,
                        tail: String::new(),
                        exit_code: None,
                        detail: Some(detail),
                    });
                    continue;
                }
            };
            let endless = step.is_endless();
            let (mut result, exit_code) = match outcome.status {
                StepStatus::Exited(0) => (StepResult::Ok, Some(0)),
                StepStatus::Exited(code) => (StepResult::Failed, Some(code)),
                StepStatus::Signaled(_) => (StepResult::Failed, None),
                // Stopping a command that never ends is how it is meant to finish.
                StepStatus::TimedOut if endless => (StepResult::Ok, None),
                StepStatus::Interrupted if endless => (StepResult::Ok, None),
                StepStatus::TimedOut => (StepResult::TimedOut, None),
                StepStatus::Interrupted => (StepResult::Interrupted, None),
            };
            let mut detail = None;
            match &attributes.expect {
                Some(Expect::ExitCode(expected))
                    if matches!(outcome.status, StepStatus::Exited(_)) =>
                {
                    result = if exit_code == Some(*expected) {
                        StepResult::Ok
                    } else {
                        StepResult::Failed
                    };
                    if result == StepResult::Failed {
                        detail = Some(format!(
                            "expected exit code {expected}, got {}",
                            exit_code.map(|c| c.to_string()).unwrap_or_default()
                        ));
                    }
                }
                Some(Expect::OutputMatches(pattern)) if result == StepResult::Ok => {
                    let matched = regex::Regex::new(pattern)
                        .map(|re| re.is_match(&String::from_utf8_lossy(&combined)))
                        .unwrap_or(false);
                    if !matched {
                        result = StepResult::Failed;
                        detail = Some(format!("output did not match /{pattern}/"));
                    }
                }
                _ => {}
            }
            if result == StepResult::TimedOut {
                detail = Some(format!(
                    "timed out after {}",
                    humanize(attributes.timeout.unwrap_or_default())
                ));
            }
            let tail_text = tail.text();
            sink.emit(&Event::StepFinished {
                id: step.id.to_string(),
                result,
                exit_code,
                duration: outcome.duration,
                attempt,
                detail: detail.clone(),
                tail: tail_text.clone(),
                redactions: out_count + err_count,
                cwd: self.session.cwd().to_path_buf(),
                vars: self.carried_vars(),
            })?;
            let interrupted = result == StepResult::Interrupted;
            last = Some(Execution {
                result,
                stdout: outcome.stdout,
                tail: tail_text,
                exit_code,
                detail,
            });
            if result == StepResult::Ok || interrupted || attempt == attempts {
                break;
            }
            if self.wait_before_retry(delay) {
                if let Some(execution) = last.as_mut() {
                    execution.result = StepResult::Interrupted;
                    execution.detail = Some("interrupted while waiting to retry".into());
                }
                break;
            }
        }
        Ok(last.unwrap_or(Execution {
            result: StepResult::Failed,
            stdout: None,
            tail: String::new(),
            exit_code: None,
            detail: None,
        }))
    }

    /// Sleeps between retries; returns `true` if Ctrl-C cut the wait short.
    fn wait_before_retry(&self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        while Instant::now() < deadline {
            if self.interrupter.take_pending_interrupt() {
                return true;
            }
            std::thread::sleep(
                Duration::from_millis(25).min(deadline.saturating_duration_since(Instant::now())),
            );
        }
        false
    }

    fn after_success(
        &mut self,
        position: usize,
        stdout: Option<String>,
        sink: &mut dyn EventSink,
    ) -> Result<(), Halt> {
        let step = self.step(position);
        if let (Some(capture), Some(value)) = (&step.attributes().capture, stdout) {
            self.variables
                .set(&capture.value, value, ValueSource::Capture);
            self.report_settled(&capture.value, sink)?;
        }
        if let Some(which) = &step.attributes().mark {
            sink.emit(&Event::Marked {
                which: which.clone(),
                at: None,
            })?;
        }
        Ok(())
    }

    fn note(
        &mut self,
        id: Option<&str>,
        prompter: &mut dyn Prompter,
        sink: &mut dyn EventSink,
    ) -> Result<(), Halt> {
        if let Some(text) = prompter.note()? {
            let (text, _) = self.redactor.redact_str(&text);
            sink.emit(&Event::Note {
                id: id.map(str::to_string),
                text,
            })?;
        }
        Ok(())
    }

    fn mark(&mut self, prompter: &mut dyn Prompter, sink: &mut dyn EventSink) -> Result<(), Halt> {
        if let Some(request) = prompter.mark()? {
            sink.emit(&Event::Marked {
                which: request.which,
                at: request.at,
            })?;
        }
        Ok(())
    }

    fn jump(&self, current: usize, prompter: &mut dyn Prompter) -> Result<Option<usize>, Halt> {
        let targets: Vec<JumpTarget> = (0..self.plan.len())
            .map(|position| {
                let step = self.step(position);
                JumpTarget {
                    position,
                    id: step.id.to_string(),
                    title: step.title().to_string(),
                    heading: step.heading_display(),
                    status: if position == current {
                        "current"
                    } else {
                        self.states[position].as_str()
                    },
                }
            })
            .collect();
        Ok(prompter
            .jump(&targets)?
            .filter(|target| *target < self.plan.len()))
    }

    fn status_lines(&self, current: usize) -> Vec<StepStatusLine> {
        (0..self.plan.len())
            .map(|position| {
                let step = self.step(position);
                StepStatusLine {
                    position: position + 1,
                    id: step.id.to_string(),
                    title: step.title().to_string(),
                    status: self.states[position].as_str(),
                    current: position == current,
                }
            })
            .collect()
    }

    fn view(&self, position: usize) -> StepView {
        let command = self
            .step(position)
            .script()
            .map(|script| script.text.clone());
        match command {
            Some(command) => self.view_with_command(position, &command),
            None => self.view_with_command(position, ""),
        }
    }

    fn view_with_command(&self, position: usize, command: &str) -> StepView {
        let step = self.step(position);
        let lookup = |name: &str| self.lookup(name);
        let display_command = step.script().map(|_| {
            self.redactor
                .redact_str(&command_render::display(command, step.inputs(), &lookup))
                .0
        });
        let mut variables = Vec::new();
        for input in step.inputs() {
            if input.kind == InputKind::Positional
                || variables
                    .iter()
                    .any(|(name, _): &(String, String)| *name == input.name)
            {
                continue;
            }
            if let Some((value, secret)) = self.lookup(&input.name) {
                variables.push((
                    input.name.clone(),
                    if secret {
                        SECRET_MASK.to_string()
                    } else {
                        self.redactor.redact_str(&value).0
                    },
                ));
            }
        }
        let mut context: Vec<(String, String)> = step
            .context()
            .iter()
            .map(|segment| (segment.language.to_string(), segment.text.clone()))
            .collect();
        if step.kind == StepKind::Context
            && let Some(body) = step.body()
        {
            context.insert(
                0,
                (
                    step.language().unwrap_or("text").to_string(),
                    body.to_string(),
                ),
            );
        }
        StepView {
            index: step.index,
            id: step.id.to_string(),
            position: position + 1,
            total: self.plan.len(),
            kind: step.kind.as_str(),
            title: step.title().to_string(),
            heading_path: step.heading_path().to_vec(),
            instruction: step.instruction().map(str::to_string),
            display_command,
            variables,
            context,
            expected_output: step.expected_output().map(str::to_string),
            session_input: step.session_input().to_vec(),
            destructive: step
                .risk()
                .destructive
                .iter()
                .map(|r| r.what.clone())
                .collect(),
            endless: step.risk().endless.iter().map(|r| r.what.clone()).collect(),
            interactive: step
                .risk()
                .interactive
                .iter()
                .map(|r| r.what.clone())
                .collect(),
            timeout: step.attributes().timeout,
            retries: step.attributes().retries.unwrap_or(0),
            checked: step.checked,
        }
    }
}

/// Keeps the last `limit` bytes of output, on line boundaries where possible.
struct TailBuffer {
    limit: usize,
    bytes: VecDeque<u8>,
}

impl TailBuffer {
    fn new(limit: usize) -> Self {
        TailBuffer {
            limit,
            bytes: VecDeque::with_capacity(limit),
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        let chunk = if chunk.len() > self.limit {
            &chunk[chunk.len() - self.limit..]
        } else {
            chunk
        };
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(self.limit);
        self.bytes.drain(..overflow);
        self.bytes.extend(chunk);
    }

    fn text(&self) -> String {
        let bytes: Vec<u8> = self.bytes.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if self.bytes.len() == self.limit
            && let Some(newline) = text.find('\n')
        {
            return text[newline + 1..].to_string();
        }
        text
    }
}

pub fn humanize(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 1.0 {
        format!("{}ms", duration.as_millis())
    } else if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        format!(
            "{}m{:02}s",
            duration.as_secs() / 60,
            duration.as_secs() % 60
        )
    }
}
