//! `runbook run` without a terminal: `--yes` never waits for anyone, a run
//! that would need to ask refuses at once, `--dry-run` runs nothing, and the
//! exit codes are the ones `runbook run --help` documents.

#[path = "run_support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;
use support::{StepGroup, Workspace, is_alive};

/// Longer than any of these runs takes on a busy machine; reaching it means a run blocked.
const GUARD: Duration = Duration::from_secs(20);

impl Workspace {
    /// `runbook ARGS…` with stdin from /dev/null and no terminal anywhere.
    fn command(&self, args: &[&str]) -> duct::Expression {
        duct::cmd(env!("CARGO_BIN_EXE_runbook"), args)
            .dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("CLICOLOR_FORCE")
            .env("RUNBOOK_STATE_DIR", self.state_dir())
            .stdin_null()
            .unchecked()
    }

    /// Runs to the end, failing the test if it takes longer than [`GUARD`].
    fn run(&self, args: &[&str]) -> Output {
        let handle = self
            .command(args)
            .stdout_capture()
            .stderr_capture()
            .start()
            .expect("start runbook");
        match handle.wait_timeout(GUARD).expect("wait for runbook") {
            Some(output) => output.clone(),
            None => {
                let _ = handle.kill();
                panic!(
                    "`runbook {}` was still running after {GUARD:?}: it blocked",
                    args.join(" ")
                );
            }
        }
    }
}

fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {output:?}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn yes_without_a_terminal_never_blocks() {
    let workspace = Workspace::new(
        "# Drill\n\n- [ ] Tell the team in #incidents\n\n```bash {name=restart confirm=true}\necho restarted > restarted.txt\n```\n\n```bash {name=check}\ncat restarted.txt\n```\n",
    );
    let output = workspace.run(&["run", "runbook.md", "--yes"]);
    assert_eq!(
        code(&output),
        0,
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("restarted.txt")).unwrap(),
        "restarted\n"
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains("done (unattended)"), "{stdout}");
    assert!(
        !stdout.contains("run this step?"),
        "unattended mode prompted:\n{stdout}"
    );
    let timeline = workspace.timeline();
    assert_eq!(timeline[0]["data"]["mode"], "unattended");
    assert_eq!(timeline.last().unwrap()["kind"], "run.finished");
    assert_eq!(timeline.last().unwrap()["data"]["status"], "ok");
}

#[test]
fn without_a_terminal_or_yes_it_exits_2_at_once_and_records_nothing() {
    let workspace = Workspace::new("# Demo\n\n```bash\ntouch ran.txt\n```\n");
    let output = workspace.run(&["run", "runbook.md"]);
    assert_eq!(code(&output), 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no terminal to ask on") && stderr.contains("--yes"),
        "{stderr}"
    );
    assert!(!workspace.path().join("ran.txt").exists());
    assert!(
        !workspace.state_dir().exists(),
        "a run was recorded although nothing could run"
    );
}

#[test]
fn dry_run_runs_nothing_and_lists_missing_inputs() {
    let workspace = Workspace::new(
        "# Deploy\n\n```bash {name=prepare}\ntouch created-by-step.txt\n```\n\n```bash {name=deploy}\ncurl -H \"Authorization: Bearer $DEPLOY_TOKEN\" https://example.invalid/{{release}}\n```\n",
    );
    let output = workspace.run(&["run", "runbook.md", "--dry-run", "--var", "release=v1.2.3"]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert!(
        !workspace.path().join("created-by-step.txt").exists(),
        "--dry-run ran a step"
    );
    assert!(!workspace.state_dir().exists(), "--dry-run recorded a run");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("$ touch created-by-step.txt"), "{stdout}");
    // `release` has a value from --var; only the token is missing.
    assert!(
        stdout
            .lines()
            .any(|line| line == "inputs still missing: DEPLOY_TOKEN"),
        "{stdout}"
    );
}

#[test]
fn run_help_documents_the_exit_codes() {
    let output = Workspace::new("").run(&["run", "--help"]);
    assert_eq!(code(&output), 0);
    let help = text(&output.stdout);
    for documented in ["0 done", "1 a step failed", "2 usage or", "130 interrupted"] {
        assert!(
            help.contains(documented),
            "`{documented}` is not in `runbook run --help`:\n{help}"
        );
    }
}

#[test]
fn exit_code_0_when_every_step_succeeds() {
    let workspace = Workspace::new("# Demo\n\n```bash\ntrue\n```\n");
    assert_eq!(code(&workspace.run(&["run", "runbook.md", "--yes"])), 0);
}

#[test]
fn exit_code_1_when_a_step_fails() {
    let workspace = Workspace::new(
        "# Demo\n\n```bash {name=broken}\necho about-to-fail\nexit 3\n```\n\n```bash {name=later}\ntouch later.txt\n```\n",
    );
    let output = workspace.run(&["run", "runbook.md", "--yes"]);
    assert_eq!(code(&output), 1, "{}", text(&output.stdout));
    assert!(
        text(&output.stdout).contains("exit code 3"),
        "{}",
        text(&output.stdout)
    );
    assert!(
        !workspace.path().join("later.txt").exists(),
        "the run went on after a failure"
    );
    let timeline = workspace.timeline();
    let finished = timeline
        .iter()
        .find(|e| e["kind"] == "step.finished" && e["step"] == "broken")
        .expect("step.finished");
    assert_eq!(finished["data"]["exit_code"], 3);
    assert_eq!(finished["data"]["status"], "failed");
}

#[test]
fn exit_code_2_when_a_variable_is_missing_unattended() {
    let workspace = Workspace::new(
        "# Demo\n\n```bash {name=greet}\necho \"hello $TARGET_HOST\" > greeted.txt\n```\n",
    );
    let output = workspace
        .command(&["run", "runbook.md", "--yes"])
        .env_remove("TARGET_HOST")
        .stdout_capture()
        .stderr_capture()
        .run()
        .unwrap();
    assert_eq!(code(&output), 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("TARGET_HOST") && stderr.contains("--var TARGET_HOST="),
        "{stderr}"
    );
    assert!(!workspace.path().join("greeted.txt").exists());
}

#[test]
fn exit_code_2_for_a_runbook_with_errors() {
    let workspace = Workspace::new("# Demo\n\n```bash {name=a needs=nowhere}\ntrue\n```\n");
    let output = workspace.run(&["run", "runbook.md", "--yes"]);
    assert_eq!(code(&output), 2, "{}", text(&output.stderr));
}

#[test]
fn exit_code_130_when_interrupted_and_the_state_is_saved() {
    let workspace = Workspace::new(
        "# Demo\n\n```bash {name=long-wait}\necho $BASHPID > shell.pid\necho \"waiting-$((6 * 7))\"\nsleep 987653\n```\n\n```bash {name=later}\ntouch later.txt\n```\n",
    );
    let (reader, writer) = std::io::pipe().expect("pipe");
    let handle = workspace
        .command(&["run", "runbook.md", "--yes"])
        .stderr_to_stdout()
        .stdout_file(writer)
        .start()
        .expect("start runbook");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    loop {
        let line = received
            .recv_timeout(GUARD)
            .unwrap_or_else(|_| panic!("the step never started:\n{seen}"));
        seen.push_str(&line);
        seen.push('\n');
        // The step's own output (its source says `$((6 * 7))`): it is running.
        if line == "waiting-42" {
            break;
        }
    }
    let step = StepGroup::from_pid_file(&workspace.path().join("shell.pid"));
    let pid = handle.pids()[0].to_string();
    let kill = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(kill.success());
    let output = match handle.wait_timeout(GUARD).expect("wait for runbook") {
        Some(output) => output.clone(),
        None => {
            let _ = handle.kill();
            panic!("runbook ignored SIGINT:\n{seen}");
        }
    };
    assert_eq!(code(&output), 130, "{seen}");
    assert!(!workspace.path().join("later.txt").exists());
    assert!(!is_alive(&step.0), "the step's shell outlived the run");
    let timeline = workspace.timeline();
    let finished = timeline
        .iter()
        .find(|e| e["kind"] == "step.finished" && e["step"] == "long-wait")
        .expect("step.finished");
    assert_eq!(finished["data"]["status"], "interrupted");
    assert_eq!(timeline.last().unwrap()["kind"], "run.paused");
}
