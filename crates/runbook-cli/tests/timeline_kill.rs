//! `kill -9` at random points of a 200-step run, then `runbook resume --yes`.
//!
//! The rule under test: the timeline records `step.started` (fsynced) before a step runs and
//! `step.finished` after. Resume skips every step whose latest outcome is ok and reruns a step
//! that has a `step.started` but no `step.finished` — the run died during it, or after it ran
//! but before its end was written. So every step runs exactly once, except that one step, which
//! may have run once before the kill and once after: its counter may be 2, no other may.
//!
//! Set `RUNBOOK_KILL_TEST_SEED` to replay a failing sequence (the seed is printed).

#[path = "timeline_support/mod.rs"]
mod support;

use runbook_timeline::{EventKind, RunState, RunStatus, TimelineWarning};
use std::process::Stdio;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{Running, Scratch, assert_exit, count_lines, wait_for};

const STEPS: usize = 200;
const TRIALS: usize = 26;
const WORKERS: usize = 2;

/// xorshift64*: reproducible from the printed seed, no dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn runbook_text() -> String {
    let mut text = String::from("# Kill test\n");
    for step in 1..=STEPS {
        text.push_str(&format!(
            "\n## Step {step}\n\n```bash\necho x >> counts/step-{step}\n```\n"
        ));
    }
    text
}

#[derive(Debug, Default)]
struct TrialReport {
    killed: bool,
    steps_done_at_kill: usize,
    ran_twice: Option<String>,
    torn_line: bool,
}

enum KillPoint {
    /// This long after the run recorded its start.
    After(Duration),
    /// As soon as this step's side effect appears: the step ran, its end may not be recorded.
    WhenStepRan(usize),
}

fn trial(number: usize, random: &mut Random, text: &str) -> TrialReport {
    let scratch = Scratch::in_memory();
    scratch.write("kill.md", text);
    std::fs::create_dir(scratch.path().join("counts")).expect("counts dir");
    let kill_point = if number.is_multiple_of(2) {
        // A whole run takes a few hundred milliseconds (steps cost about a millisecond each):
        // kills in its first ~150 ms land mid-run on fast machines too. Kills at later steps
        // come from the other half of the trials.
        KillPoint::After(Duration::from_millis(random.below(150)))
    } else {
        KillPoint::WhenStepRan(1 + random.below(STEPS as u64 - 1) as usize)
    };

    let mut run = Running(
        scratch
            .command(&["run", "kill.md", "--yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the run"),
    );
    let child = &mut run.0;
    let runs = scratch.state_dir().join("runs");
    wait_for(20, "the run to record its start", || {
        std::fs::read_dir(&runs)
            .ok()
            .and_then(|mut entries| entries.next())
            .and_then(|entry| entry.ok())
            .and_then(|entry| std::fs::metadata(entry.path().join("timeline.jsonl")).ok())
            .is_some_and(|metadata| metadata.len() > 0)
    });
    match kill_point {
        KillPoint::After(delay) => std::thread::sleep(delay),
        KillPoint::WhenStepRan(step) => {
            let counter = scratch.path().join(format!("counts/step-{step}"));
            wait_for(30, "the step to run", || {
                counter.exists() || child.try_wait().ok().flatten().is_some()
            });
        }
    }
    let killed = child.try_wait().expect("poll the run").is_none();
    child.kill().ok();
    child.wait().expect("reap the run");

    let run = scratch.only_run();
    let (events, warnings) = scratch.events_with_warnings(&run);
    let torn_line = warnings
        .iter()
        .any(|warning| matches!(warning, TimelineWarning::TornLastLine { .. }));
    assert!(
        warnings
            .iter()
            .all(|warning| matches!(warning, TimelineWarning::TornLastLine { .. })),
        "trial {number}: after the kill, only a torn last line is acceptable: {warnings:?}"
    );
    let state = RunState::from_events(&events);
    let unfinished = state
        .unfinished_step
        .as_ref()
        .map(|unfinished| unfinished.step.clone());
    let completed: Vec<String> = state
        .completed_steps()
        .into_iter()
        .map(str::to_string)
        .collect();
    // Nothing ran unrecorded: a step's side effect implies its start is in the timeline.
    for step in 1..=STEPS {
        let id = format!("step-{step}");
        let count = count_lines(&scratch.path().join(format!("counts/step-{step}")));
        if completed.contains(&id) {
            assert_eq!(count, 1, "trial {number}: completed {id} ran {count} times");
        } else if Some(&id) != unfinished.as_ref() {
            assert_eq!(
                count, 0,
                "trial {number}: {id} ran but its start is not recorded"
            );
        }
    }

    let finished_before_kill = state.finished == Some(RunStatus::Ok);
    let resumed = scratch.run(&["resume", "--yes"]);
    if finished_before_kill {
        // The kill came too late; there is nothing to resume, and resume says so.
        assert_exit(&resumed, 2);
    } else {
        assert_exit(&resumed, 0);
    }

    let (events, warnings) = scratch.events_with_warnings(&run);
    // A torn line left by the kill is now followed by more lines: a corrupt line, not lost data.
    assert!(
        warnings
            .iter()
            .all(|warning| torn_line && matches!(warning, TimelineWarning::CorruptLine { .. })),
        "trial {number}: after resume: {warnings:?}"
    );
    let resumes = events
        .iter()
        .filter(|event| matches!(event.kind, EventKind::RunResumed(_)))
        .count();
    let state = RunState::from_events(&events);
    assert_eq!(state.finished, Some(RunStatus::Ok), "trial {number}");
    assert_eq!(state.completed_steps().len(), STEPS, "trial {number}");
    let mut ran_twice = None;
    for step in 1..=STEPS {
        let id = format!("step-{step}");
        let count = count_lines(&scratch.path().join(format!("counts/step-{step}")));
        if count == 2 && Some(&id) == unfinished.as_ref() {
            ran_twice = Some(id);
        } else {
            assert_eq!(
                count, 1,
                "trial {number}: {id} ran {count} times (the step cut short by the kill was {unfinished:?})"
            );
        }
    }
    assert_eq!(
        resumes,
        usize::from(!finished_before_kill),
        "trial {number}: run.resumed events"
    );
    TrialReport {
        killed: killed && !finished_before_kill,
        steps_done_at_kill: completed.len(),
        ran_twice,
        torn_line,
    }
}

#[test]
fn kill_nine_at_random_points_then_resume_runs_every_step_once() {
    let seed = std::env::var("RUNBOOK_KILL_TEST_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |elapsed| elapsed.as_nanos() as u64)
                | 1
        });
    println!("RUNBOOK_KILL_TEST_SEED={seed}");
    let text = runbook_text();
    let started = Instant::now();
    let next_trial = AtomicUsize::new(0);
    let reports = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..WORKERS {
            let (text, next_trial, reports) = (&text, &next_trial, &reports);
            scope.spawn(move || {
                let mut random = Random(seed ^ (worker as u64 + 1).wrapping_mul(0x9E37_79B9));
                loop {
                    let number = next_trial.fetch_add(1, Ordering::SeqCst);
                    if number >= TRIALS {
                        break;
                    }
                    let report = trial(number, &mut random, text);
                    reports.lock().expect("reports").push(report);
                }
            });
        }
    });
    let reports = reports.into_inner().expect("reports");
    let killed = reports.iter().filter(|report| report.killed).count();
    let twice: Vec<&String> = reports
        .iter()
        .filter_map(|report| report.ran_twice.as_ref())
        .collect();
    let mut done: Vec<usize> = reports
        .iter()
        .map(|report| report.steps_done_at_kill)
        .collect();
    done.sort_unstable();
    println!(
        "{} trials in {:.1}s: {killed} killed mid-run, steps done at the kill {done:?}, {} step(s) ran twice by the documented rule {twice:?}, {} torn line(s)",
        reports.len(),
        started.elapsed().as_secs_f64(),
        twice.len(),
        reports.iter().filter(|report| report.torn_line).count()
    );
    assert_eq!(reports.len(), TRIALS);
    // Most kills must land mid-run, or the test proves little.
    assert!(
        killed * 4 >= TRIALS * 3,
        "only {killed} of {TRIALS} trials killed the run before it ended"
    );
}
