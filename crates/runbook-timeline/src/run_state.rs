use std::collections::{BTreeMap, BTreeSet};

use crate::event::{Event, EventKind, RunStarted, RunStatus, StepStarted, StepStatus};

/// What a run has done so far, folded from its events; `runbook resume` continues from here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunState {
    pub started: Option<RunStarted>,
    /// How the run ended; `None` while it has not ended, including after a `run.resumed`
    /// that reopened a finished run.
    pub finished: Option<RunStatus>,
    /// Paused and not resumed since.
    pub paused: bool,
    /// Latest outcome of every step that finished or was skipped, in the order those outcomes
    /// were recorded (a retried step moves to the end).
    pub step_outcomes: Vec<(String, StepStatus)>,
    /// Working directory most recently recorded by a step start or finish.
    pub last_cwd: Option<String>,
    /// Values of non-secret inputs (latest wins).
    pub inputs: BTreeMap<String, String>,
    /// Non-secret shell variables steps assigned (latest wins), restored on resume.
    pub shell_vars: BTreeMap<String, String>,
    /// Names of secret inputs: their values were never recorded and must be asked again.
    pub secret_inputs: BTreeSet<String>,
    /// The last step that started and has no finish or skip after it: interrupted mid-step.
    pub unfinished_step: Option<UnfinishedStep>,
    pub severity: Option<String>,
    pub last_seq: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnfinishedStep {
    pub step: String,
    pub started: StepStarted,
    pub seq: u64,
}

impl RunState {
    pub fn from_events(events: &[Event]) -> Self {
        let mut state = RunState::default();
        for event in events {
            state.apply(event);
        }
        state
    }

    pub fn apply(&mut self, event: &Event) {
        self.last_seq = self.last_seq.max(event.seq);
        match &event.kind {
            EventKind::RunStarted(started) => self.started = Some(started.clone()),
            EventKind::RunPaused(_) => self.paused = true,
            EventKind::RunResumed(_) => {
                // A resume reopens the run, whether it was paused, crashed or finished.
                self.paused = false;
                self.finished = None;
            }
            EventKind::RunFinished(finished) => self.finished = Some(finished.status),
            EventKind::InputProvided(input) => {
                if input.secret {
                    self.inputs.remove(&input.name);
                    self.secret_inputs.insert(input.name.clone());
                } else {
                    self.secret_inputs.remove(&input.name);
                    match &input.value {
                        Some(value) => {
                            self.inputs.insert(input.name.clone(), value.clone());
                        }
                        None => {
                            self.inputs.remove(&input.name);
                        }
                    }
                }
            }
            EventKind::StepStarted(started) => {
                self.last_cwd = Some(started.cwd.clone());
                if let Some(step) = &event.step {
                    self.unfinished_step = Some(UnfinishedStep {
                        step: step.clone(),
                        started: started.clone(),
                        seq: event.seq,
                    });
                }
            }
            EventKind::StepFinished(finished) => {
                if let Some(cwd) = &finished.cwd {
                    self.last_cwd = Some(cwd.clone());
                }
                for (name, value) in &finished.vars {
                    self.shell_vars.insert(name.clone(), value.clone());
                }
                for name in &finished.unset {
                    self.shell_vars.remove(name);
                }
                if let Some(step) = &event.step {
                    self.record_outcome(step, finished.status);
                }
            }
            EventKind::StepSkipped(_) => {
                if let Some(step) = &event.step {
                    self.record_outcome(step, StepStatus::Skipped);
                }
            }
            EventKind::SeverityChanged(changed) => self.severity = Some(changed.severity.clone()),
            _ => {}
        }
    }

    fn record_outcome(&mut self, step: &str, status: StepStatus) {
        self.step_outcomes.retain(|(known, _)| known != step);
        self.step_outcomes.push((step.to_owned(), status));
        if self
            .unfinished_step
            .as_ref()
            .is_some_and(|unfinished| unfinished.step == step)
        {
            self.unfinished_step = None;
        }
    }

    pub fn outcome(&self, step: &str) -> Option<StepStatus> {
        self.step_outcomes
            .iter()
            .find(|(known, _)| known == step)
            .map(|(_, status)| *status)
    }

    /// Steps whose latest outcome is success.
    pub fn completed_steps(&self) -> Vec<&str> {
        self.steps_with(|status| status == StepStatus::Ok)
    }

    pub fn skipped_steps(&self) -> Vec<&str> {
        self.steps_with(|status| status == StepStatus::Skipped)
    }

    /// Steps whose latest outcome is failed, interrupted or timed out.
    pub fn failed_steps(&self) -> Vec<&str> {
        self.steps_with(|status| !matches!(status, StepStatus::Ok | StepStatus::Skipped))
    }

    fn steps_with(&self, wanted: impl Fn(StepStatus) -> bool) -> Vec<&str> {
        self.step_outcomes
            .iter()
            .filter(|(_, status)| wanted(*status))
            .map(|(step, _)| step.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{RunFinished, RunResumed, StepCounts};

    fn event(seq: u64, kind: EventKind) -> Event {
        let ts = jiff::Timestamp::UNIX_EPOCH;
        Event {
            v: crate::event::SCHEMA_VERSION,
            seq,
            id: ulid::Ulid::new(),
            ts,
            recorded_at: ts,
            actor: "alice@web1".to_owned(),
            step: None,
            kind,
            supersedes: None,
        }
    }

    #[test]
    fn resuming_a_finished_run_reopens_it() {
        let finished = event(
            1,
            RunFinished {
                status: RunStatus::Failed,
                counts: StepCounts::default(),
            }
            .into(),
        );
        let state = RunState::from_events(std::slice::from_ref(&finished));
        assert_eq!(state.finished, Some(RunStatus::Failed));
        let state = RunState::from_events(&[finished, event(2, RunResumed {}.into())]);
        assert_eq!(state.finished, None);
        assert!(!state.paused);
    }
}
