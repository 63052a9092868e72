//! Shared by the `timeline_*` tests: a scratch directory with a state dir, and the real
//! `runbook` binary run in it with no stdin.

#![allow(dead_code)]

use runbook_timeline::{Event, EventKind, RunState, TimelineWarning, read_timeline};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BINARY: &str = env!("CARGO_BIN_EXE_runbook");

pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// In memory when possible: these tests are about processes dying, not disks, and fsync on
    /// a real disk would make the many-run tests slow.
    pub fn in_memory() -> Self {
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm).unwrap_or_else(|_| tempfile::tempdir().expect("tempdir"))
        } else {
            tempfile::tempdir().expect("tempdir")
        };
        Scratch { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn state_dir(&self) -> PathBuf {
        self.path().join("state")
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// `runbook ARGS` in the scratch dir with its state dir, no stdin, no colour, a fixed user.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .current_dir(self.path())
            .env("RUNBOOK_STATE_DIR", self.state_dir())
            .env("NO_COLOR", "1")
            .env("USER", "responder")
            .env_remove("CLICOLOR_FORCE")
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run the runbook binary")
    }

    /// Run ids, newest first.
    pub fn run_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = match std::fs::read_dir(self.state_dir().join("runs")) {
            Ok(entries) => entries
                .map(|entry| {
                    entry
                        .expect("dir entry")
                        .file_name()
                        .into_string()
                        .expect("utf-8")
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids
    }

    pub fn only_run(&self) -> String {
        let ids = self.run_ids();
        assert_eq!(ids.len(), 1, "expected exactly one run: {ids:?}");
        ids[0].clone()
    }

    pub fn timeline_path(&self, run: &str) -> PathBuf {
        self.state_dir()
            .join("runs")
            .join(run)
            .join("timeline.jsonl")
    }

    /// The run's events; any warning fails the test.
    pub fn events(&self, run: &str) -> Vec<Event> {
        let (events, warnings) = self.events_with_warnings(run);
        assert!(warnings.is_empty(), "timeline warnings: {warnings:?}");
        events
    }

    pub fn events_with_warnings(&self, run: &str) -> (Vec<Event>, Vec<TimelineWarning>) {
        read_timeline(&self.timeline_path(run)).expect("read timeline")
    }

    pub fn state(&self, run: &str) -> RunState {
        RunState::from_events(&self.events(run))
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails with both streams when the command did not exit with `code`.
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// Step ids of `step.started` events, in file order.
pub fn started_steps(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|event| matches!(event.kind, EventKind::StepStarted(_)))
        .filter_map(|event| event.step.clone())
        .collect()
}

/// Events after the last `run.resumed`.
pub fn after_resume(events: &[Event]) -> &[Event] {
    let start = events
        .iter()
        .rposition(|event| matches!(event.kind, EventKind::RunResumed(_)))
        .expect("the run was resumed");
    &events[start + 1..]
}

/// Polls until `ready` holds, for at most `seconds`.
pub fn wait_for(seconds: u64, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Lines in a counter file: how many times the step that appends to it ran.
pub fn count_lines(path: &Path) -> usize {
    match std::fs::read_to_string(path) {
        Ok(text) => text.lines().count(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => 0,
        Err(error) => panic!("read {}: {error}", path.display()),
    }
}

/// A child process killed (SIGKILL) and reaped when dropped, so a failing test leaves no run
/// behind.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Shell that waits for a `stop` file in its directory, for at most 30 s so that nothing
/// outlives a failed test for long.
pub const WAIT_FOR_STOP: &str =
    "for _ in $(seq 600); do test -f stop && break; sleep 0.05; done\ntest -f stop";
