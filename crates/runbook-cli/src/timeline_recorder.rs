//! Records executor events in the run's timeline: state-changing events are
//! fsynced before the engine goes on, output goes to per-step logs.
//!
//! One exception saves a disk sync per step: in unattended runs a step's
//! `step.output` and `step.finished` are written at once but synced together
//! with the next synced event (the next step's `step.started`, which must be
//! durable before that step runs), or at the end of the run. A crash of the
//! process cannot lose them; a crash of the machine in that short window can,
//! and then the step reads as started but unfinished, as if the crash had hit
//! while it ran. Interactive runs sync `step.finished` at once: the next thing
//! may be a prompt that waits for minutes.

use runbook_exec::{
    Event, EventSink, RunMode as ExecMode, RunStatus as ExecStatus, SinkError, StepResult,
    ValueSource,
};
use runbook_timeline as timeline;
use runbook_timeline::{EventDraft, InputSource, Milestone, RunDir, StepLog, TimelineWriter};
use std::collections::BTreeMap;

pub struct TimelineRecorder {
    run_dir: RunDir,
    writer: TimelineWriter,
    log: Option<StepLog>,
    /// Step logs written so far in this run, across resumed sessions, so log names stay unique.
    logs_opened: usize,
    /// Non-secret carried variables last recorded, to write only changes.
    recorded_vars: BTreeMap<String, String>,
    engine_version: String,
    /// Unattended run: a step's end is synced with the next step's start.
    defer_step_end_sync: bool,
}

impl TimelineRecorder {
    pub fn new(run_dir: RunDir, writer: TimelineWriter) -> Self {
        // A resumed run's logs are numbered on from its earlier sessions' logs.
        let logs_opened = StepLog::highest_index(run_dir.path());
        TimelineRecorder {
            run_dir,
            writer,
            log: None,
            logs_opened,
            recorded_vars: BTreeMap::new(),
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            defer_step_end_sync: false,
        }
    }

    /// The shell variables a resumed run starts with, so that the first step that unsets one
    /// records it.
    pub fn with_restored_vars(mut self, vars: BTreeMap<String, String>) -> Self {
        self.recorded_vars = vars;
        self
    }

    pub fn run_dir(&self) -> &RunDir {
        &self.run_dir
    }

    fn append(&mut self, draft: EventDraft) -> Result<(), SinkError> {
        self.writer
            .append(draft)
            .map(|_| ())
            .map_err(|error| SinkError {
                message: error.to_string(),
            })
    }

    /// Appends a step's last events in one write; see the module comment for when it syncs.
    fn append_step_end(&mut self, drafts: Vec<EventDraft>) -> Result<(), SinkError> {
        let appended = if self.defer_step_end_sync {
            self.writer.append_batch_deferred(drafts)
        } else {
            self.writer.append_batch(drafts)
        };
        appended.map(|_| ()).map_err(sink_error)
    }
}

fn sink_error(error: impl std::fmt::Display) -> SinkError {
    SinkError {
        message: error.to_string(),
    }
}

pub fn input_source(source: ValueSource) -> InputSource {
    match source {
        ValueSource::Flag => InputSource::Flag,
        ValueSource::EnvFile => InputSource::EnvFile,
        ValueSource::Environment => InputSource::Env,
        ValueSource::Default => InputSource::Default,
        ValueSource::Prompt => InputSource::Prompt,
        ValueSource::Capture => InputSource::Capture,
        ValueSource::Resumed => InputSource::Resumed,
    }
}

pub fn milestone(which: &str) -> Option<Milestone> {
    match which.replace('_', "-").as_str() {
        "impact-started" => Some(Milestone::ImpactStarted),
        "detected" => Some(Milestone::Detected),
        "acknowledged" => Some(Milestone::Acknowledged),
        "mitigated" => Some(Milestone::Mitigated),
        "resolved" => Some(Milestone::Resolved),
        _ => None,
    }
}

impl EventSink for TimelineRecorder {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        match event {
            Event::RunStarted {
                title,
                runbook,
                content_sha256,
                mode,
                steps,
                resumed,
            } => {
                self.defer_step_end_sync = *mode == ExecMode::Unattended;
                if *resumed {
                    self.append(EventDraft::new(timeline::RunResumed {}))
                } else {
                    let mode = match mode {
                        ExecMode::Interactive => timeline::RunMode::Interactive,
                        ExecMode::Unattended => timeline::RunMode::Unattended,
                    };
                    self.append(EventDraft::new(timeline::RunStarted {
                        runbook: runbook.display().to_string(),
                        sha256: content_sha256.clone(),
                        mode,
                        engine_version: self.engine_version.clone(),
                        title: title.clone(),
                        step_count: *steps,
                    }))
                }
            }
            Event::StepAnnounced { .. } | Event::Warning { .. } => Ok(()),
            Event::InputProvided {
                name,
                secret,
                source,
                value,
            } => self.append(EventDraft::new(timeline::InputProvided {
                name: name.clone(),
                secret: *secret,
                value: if *secret { None } else { value.clone() },
                source: input_source(*source),
            })),
            Event::StepStarted {
                id,
                title,
                heading_path,
                command,
                cwd,
                attempt,
            } => {
                self.logs_opened += 1;
                self.log = Some(
                    StepLog::create(self.run_dir.path(), self.logs_opened, id)
                        .map_err(sink_error)?,
                );
                self.append(
                    EventDraft::new(timeline::StepStarted {
                        title: title.clone(),
                        heading_path: heading_path.clone(),
                        command: command.clone(),
                        cwd: cwd.display().to_string(),
                        attempt: *attempt,
                    })
                    .step(id.clone()),
                )
            }
            Event::Output { bytes, .. } => match self.log.as_mut() {
                Some(log) => log.write(bytes).map_err(sink_error),
                None => Ok(()),
            },
            Event::StepEdited {
                id,
                original,
                edited,
            } => self.append(
                EventDraft::new(timeline::StepEdited {
                    original: original.clone(),
                    edited: edited.clone(),
                })
                .step(id.clone()),
            ),
            Event::StepFinished {
                id,
                result,
                exit_code,
                duration,
                attempt,
                detail,
                redactions,
                cwd,
                vars: current,
                ..
            } => {
                let mut drafts = Vec::with_capacity(2);
                if let Some(log) = self.log.take() {
                    let output = log.finish(*redactions as u64).map_err(sink_error)?;
                    drafts.push(EventDraft::new(output).step(id.clone()));
                }
                let status = match result {
                    StepResult::Ok => timeline::StepStatus::Ok,
                    StepResult::Failed | StepResult::Refused => timeline::StepStatus::Failed,
                    StepResult::Interrupted => timeline::StepStatus::Interrupted,
                    StepResult::TimedOut => timeline::StepStatus::TimedOut,
                };
                let vars: BTreeMap<String, String> = current
                    .iter()
                    .filter(|(name, value)| self.recorded_vars.get(*name) != Some(value))
                    .map(|(n, v)| (n.clone(), v.clone()))
                    .collect();
                let unset: Vec<String> = self
                    .recorded_vars
                    .keys()
                    .filter(|name| !current.contains_key(*name))
                    .cloned()
                    .collect();
                self.recorded_vars = current.clone();
                drafts.push(
                    EventDraft::new(timeline::StepFinished {
                        exit_code: *exit_code,
                        duration_ms: duration.as_millis() as u64,
                        status,
                        redactions: *redactions as u64,
                        cwd: Some(cwd.display().to_string()),
                        detail: detail.clone(),
                        attempt: *attempt,
                        vars,
                        unset,
                    })
                    .step(id.clone()),
                );
                self.append_step_end(drafts)
            }
            Event::StepSkipped { id, reason } => self.append(
                EventDraft::new(timeline::StepSkipped {
                    reason: reason.clone(),
                })
                .step(id.clone()),
            ),
            Event::ManualConfirmed { id, unattended } => {
                let answer = if *unattended {
                    "done (unattended)"
                } else {
                    "done"
                };
                self.append(
                    EventDraft::new(timeline::PromptAnswered {
                        question: "manual step".into(),
                        answer: answer.into(),
                    })
                    .step(id.clone()),
                )?;
                self.append(
                    EventDraft::new(timeline::StepFinished {
                        exit_code: None,
                        duration_ms: 0,
                        status: timeline::StepStatus::Ok,
                        redactions: 0,
                        cwd: None,
                        detail: Some(answer.into()),
                        attempt: 1,
                        vars: BTreeMap::new(),
                        unset: Vec::new(),
                    })
                    .step(id.clone()),
                )
            }
            Event::PromptAnswered {
                id,
                question,
                answer,
            } => {
                let draft = EventDraft::new(timeline::PromptAnswered {
                    question: question.clone(),
                    answer: answer.clone(),
                });
                self.append(match id {
                    Some(id) => draft.step(id.clone()),
                    None => draft,
                })
            }
            Event::Note { id, text } => {
                let draft = EventDraft::new(timeline::Note { text: text.clone() });
                self.append(match id {
                    Some(id) => draft.step(id.clone()),
                    None => draft,
                })
            }
            Event::Marked { which, at } => {
                let Some(which) = milestone(which) else {
                    return Err(sink_error(format!("unknown incident mark `{which}`")));
                };
                let now = jiff::Timestamp::now();
                let at = match at {
                    Some(text) => crate::time_input::parse_time(text, now).map_err(sink_error)?,
                    None => now,
                };
                self.append(EventDraft::new(timeline::TimestampSet { which, at }))
            }
            Event::RunPaused { reason } => self.append(EventDraft::new(timeline::RunPaused {
                reason: reason.clone(),
            })),
            Event::RunFinished {
                status,
                ok,
                failed,
                skipped,
                not_run,
            } => {
                let status = match status {
                    ExecStatus::Ok => timeline::RunStatus::Ok,
                    ExecStatus::Failed => timeline::RunStatus::Failed,
                    ExecStatus::Aborted => timeline::RunStatus::Aborted,
                    ExecStatus::Paused | ExecStatus::Interrupted => {
                        timeline::RunStatus::Interrupted
                    }
                };
                let counts = timeline::StepCounts {
                    ok: *ok,
                    failed: *failed,
                    skipped: *skipped,
                    not_run: *not_run,
                    ..Default::default()
                };
                self.append(EventDraft::new(timeline::RunFinished { status, counts }))
            }
        }
    }
}
