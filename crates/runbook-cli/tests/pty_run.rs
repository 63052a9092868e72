//! `runbook run` driven like an operator would: the real binary in a real
//! pseudo-terminal, real bash, a temporary working and state directory.
//! Every test waits for the prompt it answers; none sleeps to synchronise.

use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Generous: the machine running the suite may be busy building.
const EXPECT_TIMEOUT_MS: u64 = 20_000;

const STEP_PROMPT: &str = "run this step?";

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new(markdown: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("runbook.md"), markdown).expect("write the runbook");
        Workspace { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn state_dir(&self) -> PathBuf {
        self.path().join("state")
    }

    /// Starts `runbook run runbook.md ARGS…` on a fresh terminal with echo on,
    /// as a real terminal has it (rexpect turns it off by default).
    fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Terminal {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg("stty echo rows 40 cols 120 && exec \"$0\" run runbook.md \"$@\"")
            .arg(env!("CARGO_BIN_EXE_runbook"))
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            .env("RUNBOOK_STATE_DIR", self.state_dir());
        for (name, value) in env {
            command.env(name, value);
        }
        let options = Options { timeout_ms: Some(EXPECT_TIMEOUT_MS), strip_ansi_escape_codes: false };
        let session = rexpect::session::spawn_with_options(command, options).expect("spawn runbook in a pty");
        Terminal { session, transcript: String::new() }
    }

    /// The one run's timeline, parsed.
    fn timeline(&self) -> Vec<Value> {
        let runs = self.state_dir().join("runs");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&runs)
            .unwrap_or_else(|error| panic!("no runs under {}: {error}", runs.display()))
            .map(|entry| entry.expect("run dir entry").path())
            .collect();
        assert_eq!(dirs.len(), 1, "expected exactly one run: {dirs:?}");
        let text = std::fs::read_to_string(dirs.remove(0).join("timeline.jsonl")).expect("timeline");
        text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("bad line {line}: {e}"))).collect()
    }
}

/// Kinds of the timeline's events, in order.
fn kinds(timeline: &[Value]) -> Vec<&str> {
    timeline.iter().map(|event| event["kind"].as_str().unwrap_or("?")).collect()
}

/// Events of one kind for one step.
fn step_events<'a>(timeline: &'a [Value], kind: &str, step: &str) -> Vec<&'a Value> {
    timeline.iter().filter(|event| event["kind"] == kind && event["step"] == step).collect()
}

fn finished_status<'a>(timeline: &'a [Value], step: &str) -> Vec<&'a str> {
    step_events(timeline, "step.finished", step).iter().map(|event| event["data"]["status"].as_str().unwrap_or("?")).collect()
}

struct Terminal {
    session: PtySession,
    /// Everything the program wrote to the terminal so far.
    transcript: String,
}

impl Terminal {
    fn expect(&mut self, needle: &str) {
        match self.session.exp_string(needle) {
            Ok(before) => {
                self.transcript.push_str(&before);
                self.transcript.push_str(needle);
            }
            Err(error) => panic!("waiting for {needle:?}: {error}\n--- transcript so far ---\n{}", self.transcript),
        }
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("send keys");
        self.session.flush().expect("flush keys");
    }

    fn ctrl_c(&mut self) {
        self.session.send_control('c').expect("send Ctrl-C");
    }

    /// Waits for the program to end and returns its exit code.
    fn exit_code(&mut self) -> i32 {
        match self.session.exp_eof() {
            Ok(rest) => self.transcript.push_str(&rest),
            Err(error) => panic!("waiting for the end: {error}\n--- transcript ---\n{}", self.transcript),
        }
        match self.session.process.wait().expect("wait for runbook") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("runbook did not exit normally: {other:?}\n{}", self.transcript),
        }
    }
}

#[test]
fn enter_runs_a_step_and_the_run_finishes() {
    let workspace = Workspace::new("# Demo\n\n```bash\necho hello > out.txt\necho step-one-ran\n```\n");
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    terminal.expect("step-one-ran");
    terminal.expect("finished");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.transcript);
    assert_eq!(std::fs::read_to_string(workspace.path().join("out.txt")).unwrap(), "hello\n");
    let timeline = workspace.timeline();
    assert_eq!(kinds(&timeline).last(), Some(&"run.finished"), "{timeline:?}");
    println!("{}", terminal.transcript);
}
