//! `runbook resume`: what it restores, what it reruns, and what it refuses.

#[path = "timeline_support/mod.rs"]
mod support;

use runbook_timeline::{EventKind, InputSource, RunStatus};
use std::process::Stdio;
use support::{
    Running, Scratch, WAIT_FOR_STOP, after_resume, assert_exit, count_lines, started_steps, text,
    wait_for,
};

/// Step 3 fails until `ready` exists. Step 1 changes directory and sets a shell variable, step 2
/// uses a template input: all three must be restored for step 4 to write the right line.
const FLAKY: &str = r#"# Deploy

## Prepare

```bash {name=prepare}
echo x >> counts/prepare
mkdir -p work && cd work
DEPLOY_COLOR=blue
```

## Record the service

```bash {name=record}
echo x >> ../counts/record
echo "{{service}}" > service.txt
```

## Wait until ready

```bash {name=wait-ready}
echo x >> ../counts/wait-ready
test -f ../ready
```

## Deploy

```bash {name=deploy}
echo x >> ../counts/deploy
echo "$DEPLOY_COLOR {{service}} $(basename "$PWD")" > result.txt
```

## Verify

```bash {name=verify}
echo x >> ../counts/verify
```
"#;

fn flaky_scratch() -> Scratch {
    let scratch = Scratch::new();
    scratch.write("deploy.md", FLAKY);
    std::fs::create_dir(scratch.path().join("counts")).expect("counts dir");
    scratch
}

fn counts(scratch: &Scratch) -> Vec<(String, usize)> {
    ["prepare", "record", "wait-ready", "deploy", "verify"]
        .iter()
        .map(|step| {
            let path = scratch.path().join("counts").join(step);
            (step.to_string(), count_lines(&path))
        })
        .collect()
}

fn expect_counts(scratch: &Scratch, expected: [usize; 5]) {
    let names = ["prepare", "record", "wait-ready", "deploy", "verify"];
    let wanted: Vec<(String, usize)> = names
        .iter()
        .zip(expected)
        .map(|(name, count)| (name.to_string(), count))
        .collect();
    assert_eq!(counts(scratch), wanted);
}

#[test]
fn failed_step_is_fixed_then_resume_runs_only_the_rest_with_restored_state() {
    let scratch = flaky_scratch();
    let first = scratch.run(&["run", "deploy.md", "--yes", "--var", "service=checkout"]);
    assert_exit(&first, 1);
    expect_counts(&scratch, [1, 1, 1, 0, 0]);

    std::fs::write(scratch.path().join("ready"), "").expect("fix the condition");
    // From another directory: the runbook path and the working directory are found again.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let resumed = scratch
        .command(&["resume", "--yes"])
        .current_dir(elsewhere.path())
        .output()
        .expect("resume");
    assert_exit(&resumed, 0);
    let stderr = text(&resumed.stderr);
    assert!(
        stderr.contains("2 of 5 steps already done; continuing at `wait-ready`"),
        "{stderr}"
    );
    expect_counts(&scratch, [1, 1, 2, 1, 1]);
    let result = std::fs::read_to_string(scratch.path().join("work/result.txt")).expect("result");
    assert_eq!(result, "blue checkout work\n");

    let run = scratch.only_run();
    let events = scratch.events(&run);
    assert_eq!(
        started_steps(after_resume(&events)),
        ["wait-ready", "deploy", "verify"]
    );
    let state = scratch.state(&run);
    assert_eq!(state.finished, Some(RunStatus::Ok));
    let resumed_inputs: Vec<&str> = events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::InputProvided(input) if input.source == InputSource::Resumed => {
                Some(input.name.as_str())
            }
            _ => None,
        })
        .collect();
    assert!(
        resumed_inputs.is_empty(),
        "restored inputs are not recorded twice: {resumed_inputs:?}"
    );
}

#[test]
fn a_new_var_flag_wins_over_the_restored_input() {
    let scratch = flaky_scratch();
    assert_exit(
        &scratch.run(&["run", "deploy.md", "--yes", "--var", "service=checkout"]),
        1,
    );
    std::fs::write(scratch.path().join("ready"), "").expect("fix the condition");
    let resumed = scratch.run(&["resume", "--yes", "--var", "service=payments"]);
    assert_exit(&resumed, 0);
    let result = std::fs::read_to_string(scratch.path().join("work/result.txt")).expect("result");
    assert_eq!(result, "blue payments work\n");
}

#[test]
fn a_run_that_finished_ok_needs_force_and_then_reruns_nothing_that_was_ok() {
    let scratch = flaky_scratch();
    std::fs::write(scratch.path().join("ready"), "").expect("ready from the start");
    assert_exit(
        &scratch.run(&["run", "deploy.md", "--yes", "--var", "service=checkout"]),
        0,
    );
    let run = scratch.only_run();
    let refused = scratch.run(&["resume", &run[..8], "--yes"]);
    assert_exit(&refused, 2);
    assert!(
        text(&refused.stderr).contains("finished ok"),
        "{}",
        text(&refused.stderr)
    );
    let default_refused = scratch.run(&["resume", "--yes"]);
    assert_exit(&default_refused, 2);

    let forced = scratch.run(&["resume", &run[..8], "--yes", "--force"]);
    assert_exit(&forced, 0);
    expect_counts(&scratch, [1, 1, 1, 1, 1]);
    let events = scratch.events(&run);
    assert!(started_steps(after_resume(&events)).is_empty());
    assert_eq!(scratch.state(&run).finished, Some(RunStatus::Ok));
}

#[test]
fn keep_going_failures_are_rerun_and_nothing_else() {
    let scratch = flaky_scratch();
    let first = scratch.run(&[
        "run",
        "deploy.md",
        "--yes",
        "--keep-going",
        "--var",
        "service=checkout",
    ]);
    assert_exit(&first, 1);
    expect_counts(&scratch, [1, 1, 1, 1, 1]);
    std::fs::write(scratch.path().join("ready"), "").expect("fix the condition");
    assert_exit(&scratch.run(&["resume", "--yes"]), 0);
    expect_counts(&scratch, [1, 1, 2, 1, 1]);
}

#[test]
fn secrets_are_not_restored_and_must_be_given_again_under_yes() {
    let scratch = Scratch::new();
    scratch.write(
        "secret.md",
        "# Secret\n\n## Login\n\n```bash {name=login}\ntest -n \"$API_TOKEN\" && echo x >> login\n```\n\n## Gate\n\n```bash {name=gate}\ntest -f ready\n```\n\n## Use\n\n```bash {name=use}\ntest \"${#API_TOKEN}\" -eq 13 && echo x >> used\n```\n",
    );
    let first = scratch
        .command(&["run", "secret.md", "--yes"])
        .env("API_TOKEN", "tok-123456789")
        .output()
        .expect("run");
    assert_exit(&first, 1);
    std::fs::write(scratch.path().join("ready"), "").expect("fix the condition");

    let missing = scratch
        .command(&["resume", "--yes"])
        .env_remove("API_TOKEN")
        .output()
        .expect("resume");
    assert_exit(&missing, 2);
    let stderr = text(&missing.stderr);
    assert!(
        stderr.contains("secrets are never recorded (API_TOKEN)"),
        "{stderr}"
    );
    assert!(stderr.contains("missing value for `API_TOKEN`"), "{stderr}");
    assert!(!scratch.path().join("used").exists());

    let resumed = scratch
        .command(&["resume", "--yes", "--var", "API_TOKEN=tok-123456789"])
        .output()
        .expect("resume");
    assert_exit(&resumed, 0);
    assert_eq!(count_lines(&scratch.path().join("login")), 1);
    assert_eq!(count_lines(&scratch.path().join("used")), 1);
    let timeline =
        std::fs::read_to_string(scratch.timeline_path(&scratch.only_run())).expect("timeline");
    assert!(!timeline.contains("tok-123456789"));
}

#[test]
fn a_changed_runbook_is_reported_step_by_step() {
    let scratch = flaky_scratch();
    assert_exit(
        &scratch.run(&["run", "deploy.md", "--yes", "--var", "service=checkout"]),
        1,
    );
    let changed = FLAKY
        .replace(
            "echo \"{{service}}\" > service.txt",
            "echo \"{{service}}\" > service.txt\necho changed",
        )
        .replace(
            "## Prepare",
            // Runs in the directory restored from the run (`work`), like every remaining step.
            "## Announce\n\n```bash {name=announce}\necho x >> ../counts/announce\n```\n\n## Prepare",
        );
    scratch.write("deploy.md", &changed);
    std::fs::write(scratch.path().join("ready"), "").expect("fix the condition");
    let resumed = scratch.run(&["resume", "--yes"]);
    assert_exit(&resumed, 0);
    let stderr = text(&resumed.stderr);
    assert!(
        stderr.contains("deploy.md changed since run started"),
        "{stderr}"
    );
    assert!(
        stderr.contains("changed  record: its command differs from what ran"),
        "{stderr}"
    );
    assert!(stderr.contains("added    announce"), "{stderr}");
    assert!(
        stderr.contains("5 planned when the run started, 6 now"),
        "{stderr}"
    );
    assert!(!stderr.contains("changed  prepare"), "{stderr}");
    assert!(!stderr.contains("changed  wait-ready"), "{stderr}");
    // The new step had not run: it runs now, and the completed ones do not.
    expect_counts(&scratch, [1, 1, 2, 1, 1]);
    assert_eq!(count_lines(&scratch.path().join("counts/announce")), 1);

    let removed = changed
        .replace("## Verify", "## Check")
        .replace("name=verify", "name=check");
    scratch.write("deploy.md", &removed);
    let forced = scratch.run(&["resume", "--yes", "--force", &scratch.only_run()]);
    assert_exit(&forced, 0);
    assert!(
        text(&forced.stderr).contains("removed  verify"),
        "{}",
        text(&forced.stderr)
    );
}

#[test]
fn a_selection_must_be_given_again() {
    let scratch = Scratch::new();
    scratch.write(
        "two.md",
        "# Two\n\n## One\n\n```bash {name=one}\necho x >> one\n```\n\n## Two\n\n```bash {name=two}\necho x >> two\ntest -f ready\n```\n",
    );
    assert_exit(
        &scratch.run(&["run", "two.md", "--yes", "--only", "two"]),
        1,
    );
    let refused = scratch.run(&["resume", "--yes"]);
    assert_exit(&refused, 2);
    assert!(
        text(&refused.stderr).contains("pass the same selection"),
        "{}",
        text(&refused.stderr)
    );
    std::fs::write(scratch.path().join("ready"), "").expect("fix the condition");
    assert_exit(&scratch.run(&["resume", "--yes", "--only", "two"]), 0);
    assert_eq!(count_lines(&scratch.path().join("one")), 0);
    assert_eq!(count_lines(&scratch.path().join("two")), 2);
}

#[test]
fn a_run_still_executing_cannot_be_resumed_but_a_killed_one_can() {
    let scratch = Scratch::new();
    scratch.write(
        "slow.md",
        &format!(
            "# Slow\n\n## Wait\n\n```bash {{name=wait}}\necho x >> waited\n{WAIT_FOR_STOP}\n```\n\n## After\n\n```bash {{name=after}}\necho x >> after\n```\n"
        ),
    );
    let mut child = Running(
        scratch
            .command(&["run", "slow.md", "--yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the run"),
    );
    wait_for(20, "the step to start", || {
        scratch.path().join("waited").exists()
    });

    let runs = scratch.run(&["runs"]);
    assert!(
        text(&runs.stdout).contains("running"),
        "{}",
        text(&runs.stdout)
    );
    let refused = scratch.run(&["resume", "--yes"]);
    assert_exit(&refused, 2);
    assert!(
        text(&refused.stderr).contains("is being executed by another runbook process (pid"),
        "{}",
        text(&refused.stderr)
    );

    child.0.kill().expect("kill -9");
    child.0.wait().expect("reap");
    let runs = scratch.run(&["runs", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&runs.stdout).expect("json");
    assert_eq!(listed[0]["status"], "unfinished");
    assert_eq!(listed[0]["resumable"], true);
    // Lets the orphaned step (its shell outlived the kill) and the rerun end.
    std::fs::write(scratch.path().join("stop"), "").expect("stop");
    let resumed = scratch.run(&["resume", "--yes"]);
    assert_exit(&resumed, 0);
    assert!(
        text(&resumed.stderr).contains("step `wait` was started"),
        "{}",
        text(&resumed.stderr)
    );
    assert_eq!(count_lines(&scratch.path().join("waited")), 2);
    assert_eq!(count_lines(&scratch.path().join("after")), 1);
}

#[test]
fn resume_without_runs_or_terminal_explains_itself() {
    let scratch = Scratch::new();
    let none = scratch.run(&["resume", "--yes"]);
    assert_exit(&none, 2);
    assert!(
        text(&none.stderr).contains("no runs recorded"),
        "{}",
        text(&none.stderr)
    );
    let no_terminal = scratch.run(&["resume"]);
    assert_exit(&no_terminal, 2);
    assert!(
        text(&no_terminal.stderr).contains("no terminal"),
        "{}",
        text(&no_terminal.stderr)
    );
}

#[test]
fn a_torn_last_line_is_reported_and_the_run_still_resumes() {
    let scratch = flaky_scratch();
    assert_exit(
        &scratch.run(&["run", "deploy.md", "--yes", "--var", "service=checkout"]),
        1,
    );
    let run = scratch.only_run();
    let timeline = scratch.timeline_path(&run);
    let mut bytes = std::fs::read(&timeline).expect("timeline");
    bytes.extend_from_slice(br#"{"v":1,"seq":4242,"kind":"no"#);
    std::fs::write(&timeline, bytes).expect("tear the last line");
    std::fs::write(scratch.path().join("ready"), "").expect("fix the condition");

    let resumed = scratch.run(&["resume", "--yes"]);
    assert_exit(&resumed, 0);
    assert!(
        text(&resumed.stderr).contains("incomplete last line"),
        "{}",
        text(&resumed.stderr)
    );
    expect_counts(&scratch, [1, 1, 2, 1, 1]);
    let (events, warnings) = scratch.events_with_warnings(&run);
    assert!(
        matches!(
            warnings.as_slice(),
            [runbook_timeline::TimelineWarning::CorruptLine { .. }]
        ),
        "the torn line is kept, on a line of its own: {warnings:?}"
    );
    let seqs: Vec<u64> = events.iter().map(|event| event.seq).collect();
    assert!(
        seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{seqs:?}"
    );
}

/// A variable one step exports and a later one unsets stays unset after a resume.
#[test]
fn a_variable_unset_before_the_failure_stays_unset_after_resume() {
    let scratch = Scratch::new();
    scratch.write(
        "unset.md",
        "# Unset\n\n```bash {name=set}\nexport GONE=1 KEPT=2\n```\n\n```bash {name=clear}\nunset GONE\n```\n\n```bash {name=gate}\ntest -f ready\n```\n\n```bash {name=show}\necho \"${GONE-unset} ${KEPT-unset}\" > seen.txt\n```\n",
    );
    let first = scratch.run(&["run", "unset.md", "--yes"]);
    assert_exit(&first, 1);
    std::fs::write(scratch.path().join("ready"), "").expect("fix the condition");
    let resumed = scratch.run(&["resume", "--yes"]);
    assert_exit(&resumed, 0);
    let seen = std::fs::read_to_string(scratch.path().join("seen.txt")).expect("show ran");
    assert_eq!(seen, "unset 2\n");
}
