//! The run loop with scripted answers through a test `Prompter`, real bash
//! and real processes.

use runbook_exec::{
    CollectingSink, Engine, EngineConfig, Event, FailureAction, FailureView, Interrupter,
    JumpTarget, ManualAction, MarkRequest, PromptError, PromptResult, Prompter, RunHeader, RunMode,
    RunOutcome, RunStatus, ShellConfig, ShellSession, StepAction, StepResult, StepStatusLine,
    StepView, ValueRequest, VariableStore,
};
use runbook_graph::StepGraph;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;

/// Answers queued in order; running out of answers is an error the test sees.
#[derive(Default)]
struct Script {
    steps: VecDeque<StepAction>,
    manual: VecDeque<ManualAction>,
    failures: VecDeque<FailureAction>,
    confirms: VecDeque<bool>,
    typed: VecDeque<String>,
    values: VecDeque<String>,
    edits: VecDeque<Option<String>>,
    notes: VecDeque<Option<String>>,
    jumps: VecDeque<Option<usize>>,
    marks: VecDeque<Option<MarkRequest>>,
    asked_values: Vec<ValueRequest>,
    seen_views: Vec<StepView>,
    lists_shown: usize,
}

fn next<T>(queue: &mut VecDeque<T>, what: &str) -> PromptResult<T> {
    queue.pop_front().ok_or_else(|| {
        PromptError::Unavailable(format!("test script has no answer left for {what}"))
    })
}

impl Prompter for Script {
    fn step_action(&mut self, step: &StepView) -> PromptResult<StepAction> {
        self.seen_views.push(step.clone());
        next(&mut self.steps, "step_action")
    }
    fn manual_action(&mut self, step: &StepView) -> PromptResult<ManualAction> {
        self.seen_views.push(step.clone());
        next(&mut self.manual, "manual_action")
    }
    fn failure_action(&mut self, _: &FailureView) -> PromptResult<FailureAction> {
        next(&mut self.failures, "failure_action")
    }
    fn confirm(&mut self, _: &str) -> PromptResult<bool> {
        next(&mut self.confirms, "confirm")
    }
    fn typed_confirmation(&mut self, _: &StepView, accepted: &[String]) -> PromptResult<bool> {
        let typed = next(&mut self.typed, "typed_confirmation")?;
        Ok(accepted.contains(&typed))
    }
    fn value(&mut self, request: &ValueRequest) -> PromptResult<String> {
        self.asked_values.push(request.clone());
        next(&mut self.values, "value")
    }
    fn edit_command(&mut self, _: &StepView, _: &str) -> PromptResult<Option<String>> {
        next(&mut self.edits, "edit_command")
    }
    fn note(&mut self) -> PromptResult<Option<String>> {
        next(&mut self.notes, "note")
    }
    fn jump(&mut self, _: &[JumpTarget]) -> PromptResult<Option<usize>> {
        next(&mut self.jumps, "jump")
    }
    fn mark(&mut self) -> PromptResult<Option<MarkRequest>> {
        next(&mut self.marks, "mark")
    }
    fn show_list(&mut self, _: &[StepStatusLine]) {
        self.lists_shown += 1;
    }
}

struct Harness {
    dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        Harness {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(
        &self,
        markdown: &str,
        mode: RunMode,
        config: EngineConfig,
        flags: &[(&str, &str)],
        prompter: &mut Script,
    ) -> (RunOutcome, Vec<Event>) {
        let mut sink = CollectingSink::default();
        let config = EngineConfig { mode, ..config };
        let outcome = self.run_with(
            markdown,
            config,
            flags,
            Interrupter::new(),
            prompter,
            &mut sink,
        );
        (outcome, sink.events)
    }

    /// Runs `markdown` with any prompter, sink and interrupter.
    fn run_with(
        &self,
        markdown: &str,
        config: EngineConfig,
        flags: &[(&str, &str)],
        interrupter: Interrupter,
        prompter: &mut dyn Prompter,
        sink: &mut dyn runbook_exec::EventSink,
    ) -> RunOutcome {
        let document = runbook_syntax::parse("test.md", markdown);
        assert!(!document.has_errors(), "{:?}", document.diagnostics);
        let graph = StepGraph::build(&document);
        assert!(!graph.has_errors(), "{:?}", graph.diagnostics);
        let plan = graph.order.clone();
        let env: HashMap<String, String> = [(
            "PATH".to_string(),
            std::env::var("PATH").unwrap_or_default(),
        )]
        .into_iter()
        .collect();
        let variables = VariableStore::new(
            document.front_matter.clone(),
            flags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            Vec::new(),
            env.clone(),
        );
        let session = ShellSession::new(ShellConfig::new(
            "bash",
            self.dir.path(),
            env.into_iter().collect(),
        ))
        .expect("session");
        let mut engine = Engine::new(&graph, plan, config, variables, session, interrupter);
        let header = RunHeader {
            title: "test".into(),
            runbook: "test.md".into(),
            content_sha256: String::new(),
            resumed: false,
        };
        engine.run(header, prompter, sink)
    }
}

fn finished(events: &[Event]) -> Vec<(String, StepResult)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::StepFinished { id, result, .. } => Some((id.clone(), *result)),
            _ => None,
        })
        .collect()
}

fn output_text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Output { bytes, .. } => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        })
        .collect()
}

const TWO_STEPS: &str = "# T\n\n```bash {name=one}\necho one > one.txt\n```\n\n```bash {name=two}\necho two > two.txt\n```\n";

#[test]
fn run_and_skip() {
    let harness = Harness::new();
    let mut script = Script {
        steps: [StepAction::Run, StepAction::Skip].into(),
        ..Script::default()
    };
    let (outcome, events) = harness.run(
        TWO_STEPS,
        RunMode::Interactive,
        EngineConfig::default(),
        &[],
        &mut script,
    );
    assert_eq!(outcome.status, RunStatus::Ok);
    assert!(harness.path("one.txt").exists());
    assert!(!harness.path("two.txt").exists());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::StepSkipped { id, .. } if id == "two"))
    );
    assert_eq!((outcome.ok, outcome.skipped), (1, 1));
}

#[test]
fn quit_pauses_with_nothing_else_run() {
    let harness = Harness::new();
    let mut script = Script {
        steps: [StepAction::Quit].into(),
        ..Script::default()
    };
    let (outcome, events) = harness.run(
        TWO_STEPS,
        RunMode::Interactive,
        EngineConfig::default(),
        &[],
        &mut script,
    );
    assert_eq!(outcome.status, RunStatus::Paused);
    assert!(!harness.path("one.txt").exists());
    assert!(matches!(events.last(), Some(Event::RunPaused { .. })));
    assert_eq!(outcome.not_run, 2);
}

#[test]
fn edit_records_both_versions_and_runs_the_edit() {
    let harness = Harness::new();
    let mut script = Script {
        steps: [StepAction::Edit, StepAction::Skip].into(),
        edits: [Some("echo edited > one.txt\n".to_string())].into(),
        ..Script::default()
    };
    let (_, events) = harness.run(
        TWO_STEPS,
        RunMode::Interactive,
        EngineConfig::default(),
        &[],
        &mut script,
    );
    assert_eq!(
        std::fs::read_to_string(harness.path("one.txt")).unwrap(),
        "edited\n"
    );
    assert!(events.iter().any(|e| matches!(e, Event::StepEdited { original, edited, .. } if original.contains("echo one") && edited.contains("edited"))));
}

#[test]
fn notes_marks_lists_and_jumps() {
    let harness = Harness::new();
    let mut script = Script {
        steps: [
            StepAction::Note,
            StepAction::Mark,
            StepAction::List,
            StepAction::Jump,
            StepAction::Run,
        ]
        .into(),
        notes: [Some("paged by alice".to_string())].into(),
        marks: [Some(MarkRequest {
            which: "detected".into(),
            at: None,
        })]
        .into(),
        jumps: [Some(1)].into(),
        ..Script::default()
    };
    let (outcome, events) = harness.run(
        TWO_STEPS,
        RunMode::Interactive,
        EngineConfig::default(),
        &[],
        &mut script,
    );
    assert_eq!(outcome.status, RunStatus::Ok);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Note { text, .. } if text == "paged by alice"))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Marked { which, .. } if which == "detected"))
    );
    assert_eq!(script.lists_shown, 1);
    // Jumped over `one` straight to `two`.
    assert!(!harness.path("one.txt").exists());
    assert!(harness.path("two.txt").exists());
}

#[test]
fn failure_offers_retry_then_skip() {
    let harness = Harness::new();
    let markdown = "# T\n\n```bash {name=flaky}\necho try >> tries.txt\nexit 3\n```\n\n```bash {name=after}\ntouch after.txt\n```\n";
    let mut script = Script {
        steps: [StepAction::Run, StepAction::Run].into(),
        failures: [FailureAction::Retry, FailureAction::Skip].into(),
        ..Script::default()
    };
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Interactive,
        EngineConfig::default(),
        &[],
        &mut script,
    );
    assert_eq!(
        std::fs::read_to_string(harness.path("tries.txt")).unwrap(),
        "try\ntry\n"
    );
    assert!(harness.path("after.txt").exists());
    assert_eq!(outcome.status, RunStatus::Ok);
    let exits: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let Event::StepFinished { exit_code, .. } = e {
                Some(*exit_code)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(exits, vec![Some(3), Some(3), Some(0)]);
}

#[test]
fn destructive_steps_need_the_typed_name() {
    let harness = Harness::new();
    std::fs::write(harness.path("victim.txt"), "x").unwrap();
    let markdown = "# T\n\n```bash {name=wipe}\nrm -f victim.txt\n```\n";
    let mut script = Script {
        steps: [StepAction::Run, StepAction::Run].into(),
        typed: ["nope".into(), "wipe".into()].into(),
        ..Script::default()
    };
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Interactive,
        EngineConfig::default(),
        &[],
        &mut script,
    );
    assert_eq!(outcome.status, RunStatus::Ok);
    assert!(!harness.path("victim.txt").exists());
    let answers: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let Event::PromptAnswered { answer, .. } = e {
                Some(answer.as_str())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(answers, vec!["not confirmed", "confirmed"]);
}

#[test]
fn confirm_attribute_asks_yes_no() {
    let harness = Harness::new();
    let markdown = "# T\n\n```bash {name=restart confirm=\"Restart now?\"}\ntouch restarted\n```\n";
    let mut script = Script {
        steps: [StepAction::Run, StepAction::Skip].into(),
        confirms: [false].into(),
        ..Script::default()
    };
    let (_, events) = harness.run(
        markdown,
        RunMode::Interactive,
        EngineConfig::default(),
        &[],
        &mut script,
    );
    assert!(!harness.path("restarted").exists());
    assert!(events.iter().any(|e| matches!(e, Event::PromptAnswered { question, answer, .. } if question == "Restart now?" && answer == "no")));
}

#[test]
fn manual_steps_and_context_blocks() {
    let harness = Harness::new();
    let markdown = "# T\n\n- [ ] Page the team\n\n```yaml\na: 1\n```\n\n- [ ] Post status\n";
    let mut script = Script {
        manual: [ManualAction::Done, ManualAction::Skip].into(),
        ..Script::default()
    };
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Interactive,
        EngineConfig::default(),
        &[],
        &mut script,
    );
    assert_eq!(outcome.status, RunStatus::Ok);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ManualConfirmed {
            unattended: false,
            ..
        }
    )));
    assert_eq!(
        script.seen_views.len(),
        2,
        "the context block is shown without asking"
    );
}

#[test]
fn variables_and_cwd_carry_across_steps_and_capture_works() {
    let harness = Harness::new();
    let markdown = "# T\n\n```bash\nmkdir -p work && cd work\nexport TENANT_ID=t-42\nDB_URL=libsql://x\n```\n\n```bash {capture=WHERE}\npwd\n```\n\n```bash\necho \"$TENANT_ID $DB_URL $WHERE\" > seen.txt\n```\n";
    let mut script = Script::default();
    let (outcome, _) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig::default(),
        &[],
        &mut script,
    );
    assert_eq!(outcome.status, RunStatus::Ok);
    let seen =
        std::fs::read_to_string(harness.path("work/seen.txt")).expect("third step ran in work/");
    let work = harness.path("work").canonicalize().unwrap();
    assert_eq!(seen.trim(), format!("t-42 libsql://x {}", work.display()));
}

#[test]
fn values_never_become_shell_syntax() {
    let harness = Harness::new();
    let pwned = harness.path("pwned");
    let evil = format!("'; touch {0}; ' $(touch {0}) `touch {0}`", pwned.display());
    let markdown = "# T\n\n```bash\nprintf '%s' {{payload}} > a.txt\nprintf '%s' \"{{payload}}\" > b.txt\nprintf '%s' '{{payload}}' > c.txt\nprintf '%s' \"$PAYLOAD2\" > d.txt\nvalue=<payload three>\nprintf '%s' \"$value\" > e.txt\n```\n";
    let mut script = Script::default();
    let flags = [
        ("payload", evil.as_str()),
        ("PAYLOAD2", evil.as_str()),
        ("PAYLOAD_THREE", evil.as_str()),
    ];
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig::default(),
        &flags,
        &mut script,
    );
    assert_eq!(
        outcome.status,
        RunStatus::Ok,
        "{outcome:?} {}",
        output_text(&events)
    );
    assert!(!pwned.exists(), "a value was executed as shell");
    for file in ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"] {
        assert_eq!(
            std::fs::read_to_string(harness.path(file)).unwrap(),
            evil,
            "{file}"
        );
    }
}

#[test]
fn missing_value_is_prompted_interactively_and_an_error_unattended() {
    let harness = Harness::new();
    let markdown = "+++\n[vars.API_TOKEN]\nsecret = true\n+++\n\n# T\n\n```bash {name=use}\necho \"$NAMESPACE:$API_TOKEN\" > got.txt\n```\n";
    let mut script = Script {
        steps: [StepAction::Run].into(),
        values: ["prod".into(), "hunter22".into()].into(),
        ..Script::default()
    };
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Interactive,
        EngineConfig::default(),
        &[],
        &mut script,
    );
    assert_eq!(outcome.status, RunStatus::Ok);
    assert_eq!(
        std::fs::read_to_string(harness.path("got.txt")).unwrap(),
        "prod:hunter22\n"
    );
    assert!(
        script
            .asked_values
            .iter()
            .any(|r| r.name == "API_TOKEN" && r.secret)
    );
    for event in &events {
        if let Event::InputProvided { name, value, .. } = event
            && name == "API_TOKEN"
        {
            assert!(value.is_none(), "secret value reported");
        }
    }

    let harness = Harness::new();
    let (outcome, _) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig::default(),
        &[("NAMESPACE", "x")],
        &mut Script::default(),
    );
    assert_eq!(outcome.status, RunStatus::Failed);
    assert!(
        outcome
            .input_error
            .as_deref()
            .unwrap_or("")
            .contains("API_TOKEN")
    );
}

#[test]
fn secrets_are_redacted_in_output_events() {
    let harness = Harness::new();
    let markdown = "+++\n[vars.API_TOKEN]\nsecret = true\n+++\n\n# T\n\n```bash\nprintf 'token=%s\\n' \"$API_TOKEN\"\nprintf '%s' \"$API_TOKEN\" | base64\n```\n";
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig::default(),
        &[("API_TOKEN", "s3cr3t-value-123")],
        &mut Script::default(),
    );
    assert_eq!(outcome.status, RunStatus::Ok);
    let text = output_text(&events);
    assert!(text.contains("token=[REDACTED:API_TOKEN]"), "{text}");
    assert!(!text.contains("s3cr3t-value-123"));
    assert!(
        !text.contains("czNjcjN0LXZhbHVlLTEyMw"),
        "base64 of the secret leaked: {text}"
    );
}

#[test]
fn unattended_refuses_destructive_and_endless_steps() {
    let harness = Harness::new();
    let markdown = "# T\n\n```bash {name=wipe}\nrm -rf ./cache\n```\n";
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig::default(),
        &[],
        &mut Script::default(),
    );
    assert_eq!(outcome.status, RunStatus::Failed);
    assert_eq!(
        finished(&events),
        vec![("wipe".to_string(), StepResult::Refused)]
    );

    let (outcome, _) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig {
            allow_destructive: true,
            ..EngineConfig::default()
        },
        &[],
        &mut Script::default(),
    );
    assert_eq!(outcome.status, RunStatus::Ok);

    let endless = "# T\n\n```bash {name=follow}\ntail -f /dev/null\n```\n";
    let (outcome, events) = harness.run(
        endless,
        RunMode::Unattended,
        EngineConfig::default(),
        &[],
        &mut Script::default(),
    );
    assert_eq!(outcome.status, RunStatus::Failed);
    assert_eq!(
        finished(&events),
        vec![("follow".to_string(), StepResult::Refused)]
    );
}

#[test]
fn endless_step_with_timeout_succeeds_when_stopped() {
    let harness = Harness::new();
    let markdown =
        "# T\n\n```bash {name=follow timeout=500ms}\necho start\ntail -f /dev/null\n```\n";
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig::default(),
        &[],
        &mut Script::default(),
    );
    assert_eq!(outcome.status, RunStatus::Ok);
    assert_eq!(
        finished(&events),
        vec![("follow".to_string(), StepResult::Ok)]
    );
}

#[test]
fn timeout_on_a_normal_step_is_a_failure() {
    let harness = Harness::new();
    let markdown = "# T\n\n```bash {name=slow timeout=300ms}\nsleep 1000\n```\n";
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig::default(),
        &[],
        &mut Script::default(),
    );
    assert_eq!(outcome.status, RunStatus::Failed);
    assert_eq!(
        finished(&events),
        vec![("slow".to_string(), StepResult::TimedOut)]
    );
}

#[test]
fn retries_until_expect_matches() {
    let harness = Harness::new();
    let markdown = "# T\n\n```bash {name=health retries=5 delay=50ms expect=/healthy/}\nn=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count\nif [ $n -ge 3 ]; then echo healthy; else echo starting; fi\n```\n";
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig::default(),
        &[],
        &mut Script::default(),
    );
    assert_eq!(outcome.status, RunStatus::Ok);
    let results: Vec<_> = finished(&events).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        results,
        vec![StepResult::Failed, StepResult::Failed, StepResult::Ok]
    );
}

#[test]
fn expect_exit_code_and_keep_going() {
    let harness = Harness::new();
    let markdown = "# T\n\n```bash {name=check expect=2}\nexit 2\n```\n\n```bash {name=bad}\nexit 1\n```\n\n```bash {name=later}\ntouch later\n```\n";
    let config = EngineConfig {
        keep_going: true,
        ..EngineConfig::default()
    };
    let (outcome, events) = harness.run(
        markdown,
        RunMode::Unattended,
        config,
        &[],
        &mut Script::default(),
    );
    assert_eq!(outcome.status, RunStatus::Failed);
    assert!(harness.path("later").exists());
    assert_eq!(
        finished(&events)
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Vec<_>>(),
        vec![StepResult::Ok, StepResult::Failed, StepResult::Ok]
    );

    let harness = Harness::new();
    let (_, _) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig::default(),
        &[],
        &mut Script::default(),
    );
    assert!(
        !harness.path("later").exists(),
        "stops at the first failure without --keep-going"
    );
}

#[test]
fn mark_attribute_records_on_success() {
    let harness = Harness::new();
    let markdown = "# T\n\n```bash {mark=mitigated}\ntrue\n```\n";
    let (_, events) = harness.run(
        markdown,
        RunMode::Unattended,
        EngineConfig::default(),
        &[],
        &mut Script::default(),
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Marked { which, .. } if which == "mitigated"))
    );
}

#[test]
fn prompter_interrupt_pauses_the_run() {
    struct Interrupting;
    impl Prompter for Interrupting {
        fn step_action(&mut self, _: &StepView) -> PromptResult<StepAction> {
            Err(PromptError::Interrupted)
        }
        fn manual_action(&mut self, _: &StepView) -> PromptResult<ManualAction> {
            Err(PromptError::Interrupted)
        }
        fn failure_action(&mut self, _: &FailureView) -> PromptResult<FailureAction> {
            Err(PromptError::Interrupted)
        }
        fn confirm(&mut self, _: &str) -> PromptResult<bool> {
            Err(PromptError::Interrupted)
        }
        fn typed_confirmation(&mut self, _: &StepView, _: &[String]) -> PromptResult<bool> {
            Err(PromptError::Interrupted)
        }
        fn value(&mut self, _: &ValueRequest) -> PromptResult<String> {
            Err(PromptError::Interrupted)
        }
        fn edit_command(&mut self, _: &StepView, _: &str) -> PromptResult<Option<String>> {
            Err(PromptError::Interrupted)
        }
        fn note(&mut self) -> PromptResult<Option<String>> {
            Err(PromptError::Interrupted)
        }
        fn jump(&mut self, _: &[JumpTarget]) -> PromptResult<Option<usize>> {
            Err(PromptError::Interrupted)
        }
        fn mark(&mut self) -> PromptResult<Option<MarkRequest>> {
            Err(PromptError::Interrupted)
        }
        fn show_list(&mut self, _: &[StepStatusLine]) {}
    }
    let harness = Harness::new();
    let mut sink = CollectingSink::default();
    let outcome = harness.run_with(
        TWO_STEPS,
        EngineConfig::default(),
        &[],
        Interrupter::new(),
        &mut Interrupting,
        &mut sink,
    );
    assert_eq!(outcome.status, RunStatus::Interrupted);
    assert!(matches!(sink.events.last(), Some(Event::RunPaused { .. })));
}

#[test]
fn a_failing_sink_stops_the_run_before_the_next_step() {
    struct FailAfter(usize);
    impl runbook_exec::EventSink for FailAfter {
        fn emit(&mut self, event: &Event) -> Result<(), runbook_exec::SinkError> {
            if matches!(event, Event::StepStarted { .. }) {
                if self.0 == 0 {
                    return Err(runbook_exec::SinkError {
                        message: "disk full".into(),
                    });
                }
                self.0 -= 1;
            }
            Ok(())
        }
    }
    let harness = Harness::new();
    let config = EngineConfig {
        mode: RunMode::Unattended,
        ..EngineConfig::default()
    };
    let outcome = harness.run_with(
        TWO_STEPS,
        config,
        &[],
        Interrupter::new(),
        &mut Script::default(),
        &mut FailAfter(1),
    );
    assert_eq!(outcome.status, RunStatus::Aborted);
    assert!(outcome.abort_reason.unwrap().contains("disk full"));
    assert!(harness.path("one.txt").exists());
    assert!(
        !harness.path("two.txt").exists(),
        "a step ran although its start could not be recorded"
    );
}

#[test]
fn a_stop_signal_pauses_the_run_with_the_step_interrupted() {
    let harness = Harness::new();
    let interrupter = Interrupter::new();
    let config = EngineConfig {
        mode: RunMode::Unattended,
        ..EngineConfig::default()
    };
    let stopper = {
        let interrupter = interrupter.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            interrupter.request_shutdown();
        })
    };
    let mut sink = CollectingSink::default();
    let started = std::time::Instant::now();
    let outcome = harness.run_with(
        "# T\n\n```bash {name=long}\nsleep 1000\n```\n\n```bash {name=next}\ntouch next\n```\n",
        config,
        &[],
        interrupter,
        &mut Script::default(),
        &mut sink,
    );
    stopper.join().unwrap();
    assert_eq!(outcome.status, RunStatus::Paused);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(
        finished(&sink.events),
        vec![("long".to_string(), StepResult::Interrupted)]
    );
    assert!(
        matches!(sink.events.last(), Some(Event::RunPaused { reason }) if reason.contains("hang-up"))
    );
    assert!(!harness.path("next").exists());
}
