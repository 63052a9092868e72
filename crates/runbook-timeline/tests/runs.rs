//! Run directories: listing, lookup by id prefix, the active run, and the state `resume` uses.

use std::time::Duration;

use runbook_timeline::{
    EventDraft, InputProvided, InputSource, RunFinished, RunMode, RunStarted, RunState, RunStatus,
    RunSummaryStatus, StateDir, StepCounts, StepFinished, StepLog, StepSkipped, StepStarted,
    StepStatus, TimelineError, TimelineWriter, active_run, find_run, list_runs, read_timeline,
};

fn run_started(title: &str) -> RunStarted {
    RunStarted {
        runbook: format!("ops/{title}.md"),
        sha256: RunStarted::content_sha256(title.as_bytes()),
        mode: RunMode::Interactive,
        engine_version: "0.1.0".to_owned(),
        title: title.to_owned(),
        step_count: 3,
    }
}

fn step_started(cwd: &str) -> StepStarted {
    StepStarted {
        title: "A step".to_owned(),
        heading_path: Vec::new(),
        command: "true".to_owned(),
        cwd: cwd.to_owned(),
        attempt: 1,
    }
}

fn step_finished(status: StepStatus, cwd: Option<&str>) -> StepFinished {
    StepFinished {
        exit_code: Some(if status == StepStatus::Ok { 0 } else { 1 }),
        duration_ms: 20,
        status,
        redactions: 0,
        cwd: cwd.map(str::to_owned),
        detail: None,
        attempt: 1,
        vars: Default::default(),
        unset: Vec::new(),
    }
}

fn finish(writer: &mut TimelineWriter, status: RunStatus) {
    writer
        .append(RunFinished {
            status,
            counts: StepCounts::default(),
        })
        .expect("finish");
}

#[test]
fn runs_are_listed_newest_first_with_status() {
    let temp = tempfile::tempdir().expect("tempdir");
    let state = StateDir::new(temp.path());
    assert!(list_runs(&state).expect("no runs dir yet").is_empty());
    assert!(matches!(
        find_run(&state, None),
        Err(TimelineError::NoRuns { .. })
    ));

    let first = state.create_run().expect("run");
    let mut writer = TimelineWriter::open(first.timeline_path(), "alice@web1").expect("open");
    writer.append(run_started("db-failover")).expect("start");
    finish(&mut writer, RunStatus::Failed);

    std::thread::sleep(Duration::from_millis(3));
    let second = state.create_run().expect("run");
    let mut writer = TimelineWriter::open(second.timeline_path(), "bob@web2").expect("open");
    writer.append(run_started("cache-flush")).expect("start");

    std::thread::sleep(Duration::from_millis(3));
    let empty = state.create_run().expect("run without timeline");
    std::fs::create_dir(state.runs_dir().join("not-a-run")).expect("stray dir");

    let runs = list_runs(&state).expect("list");
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [empty.id(), second.id(), first.id()]);

    assert_eq!(runs[0].status, RunSummaryStatus::Active);
    assert_eq!(runs[0].title, None);
    assert!(runs[0].started.is_some(), "falls back to the run id's time");
    assert!(runs[0].problems[0].contains("cannot read timeline"));

    assert_eq!(runs[1].status, RunSummaryStatus::Active);
    assert_eq!(runs[1].title.as_deref(), Some("cache-flush"));
    assert_eq!(runs[1].actor.as_deref(), Some("bob@web2"));
    assert_eq!(runs[1].duration, None);

    assert_eq!(
        runs[2].status,
        RunSummaryStatus::Finished(RunStatus::Failed)
    );
    assert_eq!(runs[2].status.to_string(), "failed");
    assert_eq!(runs[2].runbook.as_deref(), Some("ops/db-failover.md"));
    assert!(runs[2].duration.is_some_and(|d| !d.is_negative()));

    // The newest unfinished run is active, even without a timeline yet.
    assert_eq!(active_run(&state).expect("active").as_ref(), Some(&empty));
}

#[test]
fn active_run_skips_finished_runs() {
    let temp = tempfile::tempdir().expect("tempdir");
    let state = StateDir::new(temp.path());
    let open_run = state.create_run().expect("run");
    TimelineWriter::open(open_run.timeline_path(), "a@b")
        .expect("open")
        .append(run_started("one"))
        .expect("start");
    std::thread::sleep(Duration::from_millis(3));
    let done = state.create_run().expect("run");
    let mut writer = TimelineWriter::open(done.timeline_path(), "a@b").expect("open");
    writer.append(run_started("two")).expect("start");
    finish(&mut writer, RunStatus::Ok);
    assert_eq!(active_run(&state).expect("active"), Some(open_run));
}

#[test]
fn find_run_by_exact_id_unique_prefix_or_newest() {
    let temp = tempfile::tempdir().expect("tempdir");
    let state = StateDir::new(temp.path());
    let older = state.create_run().expect("run");
    std::thread::sleep(Duration::from_millis(3));
    let newer = state.create_run().expect("run");

    assert_eq!(find_run(&state, None).expect("newest"), newer);
    assert_eq!(find_run(&state, Some(older.id())).expect("exact"), older);
    let lowercase_prefix = newer.id()[..20].to_ascii_lowercase();
    assert_eq!(
        find_run(&state, Some(&lowercase_prefix)).expect("prefix"),
        newer
    );
    // Both ids share their leading timestamp characters.
    match find_run(&state, Some(&older.id()[..2])) {
        Err(TimelineError::AmbiguousRun { candidates, .. }) => assert_eq!(candidates.len(), 2),
        other => panic!("expected ambiguity, got {other:?}"),
    }
    let missing = find_run(&state, Some("ZZZZ")).expect_err("no such run");
    assert!(
        missing.to_string().contains("no run matching \"ZZZZ\""),
        "{missing}"
    );
}

#[test]
fn run_state_folds_what_resume_needs() {
    let temp = tempfile::tempdir().expect("tempdir");
    let state_dir = StateDir::new(temp.path());
    let run = state_dir.create_run().expect("run");
    let mut writer = TimelineWriter::open(run.timeline_path(), "alice@web1").expect("open");
    writer.append(run_started("deploy")).expect("start");
    let inputs = [
        ("REGION", false, "eu-west-1"),
        ("TOKEN", true, "s3cret-value"),
        ("REGION", false, "us-east-1"),
    ];
    for (name, secret, value) in inputs {
        writer
            .append(InputProvided {
                name: name.to_owned(),
                secret,
                value: Some(value.to_owned()),
                source: InputSource::Flag,
            })
            .expect("input");
    }
    writer
        .append_batch([
            EventDraft::new(step_started("/srv")).step("build"),
            EventDraft::new(step_finished(StepStatus::Ok, Some("/srv/app"))).step("build"),
        ])
        .expect("build");
    writer
        .append_batch([
            EventDraft::new(step_started("/srv/app")).step("migrate"),
            EventDraft::new(step_finished(StepStatus::Failed, None)).step("migrate"),
        ])
        .expect("migrate fails");
    writer
        .append(
            EventDraft::new(StepSkipped {
                reason: "not needed".to_owned(),
            })
            .step("notify"),
        )
        .expect("skip");
    // Retried successfully later: the latest outcome counts.
    writer
        .append_batch([
            EventDraft::new(step_started("/srv/app")).step("migrate"),
            EventDraft::new(step_finished(StepStatus::Ok, None)).step("migrate"),
        ])
        .expect("migrate retry");
    writer
        .append(EventDraft::new(step_started("/srv/app/db")).step("verify"))
        .expect("verify starts, then the process dies");

    let (events, warnings) = read_timeline(&run.timeline_path()).expect("read");
    assert!(warnings.is_empty());
    let state = RunState::from_events(&events);
    assert_eq!(state.completed_steps(), ["build", "migrate"]);
    assert_eq!(state.skipped_steps(), ["notify"]);
    assert!(state.failed_steps().is_empty());
    assert_eq!(state.outcome("migrate"), Some(StepStatus::Ok));
    assert_eq!(state.last_cwd.as_deref(), Some("/srv/app/db"));
    assert_eq!(
        state.inputs.get("REGION").map(String::as_str),
        Some("us-east-1")
    );
    assert!(!state.inputs.contains_key("TOKEN"));
    assert!(state.secret_inputs.contains("TOKEN"));
    let unfinished = state
        .unfinished_step
        .as_ref()
        .expect("verify is unfinished");
    assert_eq!(unfinished.step, "verify");
    assert_eq!(unfinished.started.cwd, "/srv/app/db");
    assert_eq!(state.finished, None);
    assert_eq!(
        state.started.as_ref().map(|s| s.title.as_str()),
        Some("deploy")
    );
    assert_eq!(state.last_seq, events.len() as u64);
}

#[test]
fn step_logs_live_in_the_run_directory() {
    let temp = tempfile::tempdir().expect("tempdir");
    let run = StateDir::new(temp.path()).create_run().expect("run");
    let mut log = StepLog::create(run.path(), 7, "check-health").expect("log");
    log.write(b"HTTP/1.1 200 OK\n").expect("write");
    let output = log.finish(0).expect("finish");
    assert_eq!(output.log, "steps/007-check-health.log");
    assert_eq!(
        std::fs::read(run.path().join(&output.log)).expect("read log"),
        b"HTTP/1.1 200 OK\n"
    );
}
