//! `runbook run` driven like an operator would: the real binary in a real
//! pseudo-terminal, real bash, a temporary working and state directory.
//! Every test waits for the prompt it answers; none sleeps to synchronise.

#[path = "run_support/mod.rs"]
mod support;

use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{StepGroup, Workspace, is_alive};

/// Generous: the machine running the suite may be busy building.
const EXPECT_TIMEOUT_MS: u64 = 20_000;

const STEP_PROMPT: &str = "run this step?";

/// Runs runbook on a terminal set up as a real one is (rexpect turns echo
/// off), then reports the terminal's modes once it has exited. The shell
/// catches SIGINT only to outlive runbook; its children get the default.
const REPORTING_WRAPPER: &str = r#"stty echo rows 40 cols 120 || exit 99
trap true INT
"$0" run runbook.md "$@"
status=$?
echo "terminal after exit: $(stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(isig|icanon|echo)' | tr '\n' ' ')"
exit $status"#;

/// What [`REPORTING_WRAPPER`] prints when runbook left the terminal as it found it.
const TERMINAL_RESTORED: &str = "terminal after exit: isig icanon echo ";

impl Workspace {
    /// Starts `runbook run runbook.md ARGS…` on a fresh terminal (see [`REPORTING_WRAPPER`]).
    fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Terminal {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(REPORTING_WRAPPER)
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
        let options = Options {
            timeout_ms: Some(EXPECT_TIMEOUT_MS),
            strip_ansi_escape_codes: false,
        };
        let session =
            rexpect::session::spawn_with_options(command, options).expect("spawn runbook in a pty");
        Terminal {
            session,
            transcript: String::new(),
        }
    }
}

/// Kinds of the timeline's events, in order.
fn kinds(timeline: &[Value]) -> Vec<&str> {
    timeline
        .iter()
        .map(|event| event["kind"].as_str().unwrap_or("?"))
        .collect()
}

/// Events of one kind for one step.
fn step_events<'a>(timeline: &'a [Value], kind: &str, step: &str) -> Vec<&'a Value> {
    timeline
        .iter()
        .filter(|event| event["kind"] == kind && event["step"] == step)
        .collect()
}

fn finished_status<'a>(timeline: &'a [Value], step: &str) -> Vec<&'a str> {
    step_events(timeline, "step.finished", step)
        .iter()
        .map(|event| event["data"]["status"].as_str().unwrap_or("?"))
        .collect()
}

struct Terminal {
    session: PtySession,
    /// Everything the program wrote to the terminal so far.
    transcript: String,
}

impl Terminal {
    fn expect(&mut self, needle: &str) {
        // rexpect hands over each byte as one char: match the bytes of the needle.
        let needle_bytes: String = needle.bytes().map(char::from).collect();
        match self.session.exp_string(&needle_bytes) {
            Ok(before) => {
                self.transcript.push_str(&before);
                self.transcript.push_str(&needle_bytes);
            }
            Err(error) => panic!(
                "waiting for {needle:?}: {error}\n--- transcript so far ---\n{}",
                self.shown()
            ),
        }
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("send keys");
        self.session.flush().expect("flush keys");
    }

    fn ctrl_c(&mut self) {
        self.session.send_control('c').expect("send Ctrl-C");
    }

    /// Waits for the program to end, checks it left the terminal's modes as
    /// it found them, and returns its exit code.
    fn exit_code(&mut self) -> i32 {
        match self.session.exp_eof() {
            Ok(rest) => self.transcript.push_str(&rest),
            Err(error) => panic!(
                "waiting for the end: {error}\n--- transcript ---\n{}",
                self.shown()
            ),
        }
        assert!(
            self.transcript.contains(TERMINAL_RESTORED),
            "the terminal was not restored:\n{}",
            self.shown()
        );
        match self.session.process.wait().expect("wait for runbook") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("runbook did not exit normally: {other:?}\n{}", self.shown()),
        }
    }
    /// Waits for any text matching `pattern` (a regex).
    fn expect_regex(&mut self, pattern: &str) -> String {
        match self.session.exp_regex(pattern) {
            Ok((before, matched)) => {
                self.transcript.push_str(&before);
                self.transcript.push_str(&matched);
                matched
            }
            Err(error) => panic!(
                "waiting for /{pattern}/: {error}\n--- transcript so far ---\n{}",
                self.shown()
            ),
        }
    }

    /// The transcript as text (rexpect hands over bytes one char each).
    fn shown(&self) -> String {
        let bytes: Vec<u8> = self
            .transcript
            .chars()
            .map(|c| u32::from(c) as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn enter_asks_a_confirm_step_and_only_y_runs_it() {
    let workspace = Workspace::new(
        "# Restart\n\n```bash {name=restart confirm=true}\necho restarted >> restarts.txt\n```\n",
    );
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    terminal.expect("(y/n)");
    terminal.send("n");
    // Declined: offered again, and nothing ran.
    terminal.expect(STEP_PROMPT);
    assert!(
        !workspace.path().join("restarts.txt").exists(),
        "declined step ran:\n{}",
        terminal.shown()
    );
    terminal.send("\r");
    terminal.expect("(y/n)");
    terminal.send("y");
    terminal.expect("finished: 1 ok");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("restarts.txt")).unwrap(),
        "restarted\n"
    );
    let timeline = workspace.timeline();
    let answers: Vec<&str> = step_events(&timeline, "prompt.answered", "restart")
        .iter()
        .map(|event| event["data"]["answer"].as_str().unwrap())
        .collect();
    assert_eq!(answers, ["no", "yes"]);
    assert_eq!(finished_status(&timeline, "restart"), ["ok"]);
    assert_eq!(kinds(&timeline).last(), Some(&"run.finished"));
}

#[test]
fn s_skips_a_step_and_the_next_one_is_offered() {
    let workspace = Workspace::new(
        "# Demo\n\n```bash {name=first}\ntouch first.txt\n```\n\n```bash {name=second}\ntouch second.txt\n```\n",
    );
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect("step 1/2 · first");
    terminal.expect(STEP_PROMPT);
    terminal.send("s");
    terminal.expect("skipped");
    terminal.expect("step 2/2 · second");
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    terminal.expect("1 ok, 0 failed, 1 skipped");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    assert!(!workspace.path().join("first.txt").exists());
    assert!(workspace.path().join("second.txt").exists());
    let timeline = workspace.timeline();
    assert_eq!(step_events(&timeline, "step.skipped", "first").len(), 1);
    assert!(step_events(&timeline, "step.started", "first").is_empty());
    assert_eq!(finished_status(&timeline, "second"), ["ok"]);
}

#[test]
fn e_edits_the_command_and_both_versions_land_in_the_timeline() {
    let workspace =
        Workspace::new("# Demo\n\n```bash {name=greet}\necho one > greeting.txt\n```\n");
    let mut terminal = workspace.spawn(&[], &[("EDITOR", "sed -i 's/one/edited/'")]);
    terminal.expect(STEP_PROMPT);
    // The engine runs an edited command right away; it is shown first.
    terminal.send("e");
    terminal.expect("now runs:");
    terminal.expect("echo edited > greeting.txt");
    terminal.expect("finished: 1 ok");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("greeting.txt")).unwrap(),
        "edited\n"
    );
    let timeline = workspace.timeline();
    let edits = step_events(&timeline, "step.edited", "greet");
    assert_eq!(edits.len(), 1, "{timeline:?}");
    assert_eq!(edits[0]["data"]["original"], "echo one > greeting.txt\n");
    assert_eq!(edits[0]["data"]["edited"], "echo edited > greeting.txt\n");
    let started = step_events(&timeline, "step.started", "greet");
    assert!(
        started[0]["data"]["command"]
            .as_str()
            .unwrap()
            .contains("echo edited"),
        "{started:?}"
    );
}

#[test]
fn a_failing_editor_leaves_the_command_unchanged() {
    let workspace =
        Workspace::new("# Demo\n\n```bash {name=greet}\necho one > greeting.txt\n```\n");
    let mut terminal = workspace.spawn(
        &[],
        &[("EDITOR", "sed -i 's/one/edited/' \"$1\"; exit 1; :")],
    );
    terminal.expect(STEP_PROMPT);
    terminal.send("e");
    terminal.expect("exited with status 1; the command is unchanged");
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    terminal.expect("finished: 1 ok");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("greeting.txt")).unwrap(),
        "one\n"
    );
    assert!(step_events(&workspace.timeline(), "step.edited", "greet").is_empty());
}

#[test]
fn a_destructive_step_runs_only_when_its_name_is_typed() {
    let workspace = Workspace::new("# Cleanup\n\n```bash {name=wipe}\nrm -rf scratch\n```\n");
    std::fs::create_dir(workspace.path().join("scratch")).unwrap();
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect("destructive: rm -r");
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    terminal.expect("type `wipe` or `yes`");
    terminal.send("wip\r");
    terminal.expect("not confirmed; the step did not run");
    terminal.expect(STEP_PROMPT);
    assert!(
        workspace.path().join("scratch").exists(),
        "ran without confirmation"
    );
    terminal.send("\r");
    terminal.expect("type `wipe` or `yes`");
    terminal.send("wipe\r");
    terminal.expect("finished: 1 ok");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    assert!(!workspace.path().join("scratch").exists());
    let timeline = workspace.timeline();
    let answers: Vec<&str> = step_events(&timeline, "prompt.answered", "wipe")
        .iter()
        .map(|event| event["data"]["answer"].as_str().unwrap())
        .collect();
    assert_eq!(answers, ["not confirmed", "confirmed"]);
}

#[test]
fn ctrl_c_stops_the_whole_step_and_a_second_ctrl_c_quits_with_130() {
    // A foreground sleep and a background child: both must die.
    let workspace = Workspace::new(
        "# Wait\n\n```bash {name=long-wait}\nsleep 987651 &\necho $! > child.pid\necho $BASHPID > shell.pid\necho \"waiting-$((6 * 7))\"\nsleep 987652\n```\n\n```bash {name=after}\ntouch after.txt\n```\n",
    );
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    // The step's own output (its source says `$((6 * 7))`): it is running.
    terminal.expect("waiting-42");
    let child = std::fs::read_to_string(workspace.path().join("child.pid")).unwrap();
    let shell = std::fs::read_to_string(workspace.path().join("shell.pid")).unwrap();
    let _cleanup = StepGroup::from_pid_file(&workspace.path().join("shell.pid"));
    assert!(is_alive(&child) && is_alive(&shell));
    terminal.ctrl_c();
    terminal.expect("`long-wait` was interrupted");
    assert!(
        !is_alive(&child),
        "the background child {child} survived Ctrl-C"
    );
    assert!(
        !is_alive(&shell),
        "the step's shell {shell} survived Ctrl-C"
    );
    terminal.ctrl_c();
    terminal.expect("paused (interrupted); state saved");
    assert_eq!(terminal.exit_code(), 130, "{}", terminal.shown());
    assert!(!workspace.path().join("after.txt").exists());
    let timeline = workspace.timeline();
    assert_eq!(finished_status(&timeline, "long-wait"), ["interrupted"]);
    assert_eq!(kinds(&timeline).last(), Some(&"run.paused"), "{timeline:?}");
    assert_eq!(timeline.last().unwrap()["data"]["reason"], "interrupted");
}

#[test]
fn a_secret_is_never_echoed_nor_written_under_the_state_dir() {
    const SECRET: &str = "hunter2-s3cr3t-Xq9";
    let workspace = Workspace::new(
        "+++\n[vars.API_TOKEN]\nprompt = \"API token\"\nsecret = true\n+++\n# Call\n\n```bash {name=call}\ntest \"$API_TOKEN\" = \"$(cat expected-token)\" && echo token-matches\necho \"token is $API_TOKEN\"\n```\n",
    );
    // Beside the state dir, not in it: the step compares against it.
    std::fs::write(workspace.path().join("expected-token"), SECRET).unwrap();
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect("API token (API_TOKEN, needed by call)");
    terminal.expect("›");
    terminal.send(SECRET);
    terminal.send("\r");
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    terminal.expect("token-matches");
    terminal.expect("finished: 1 ok");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    let shown = terminal.shown();
    assert!(
        !shown.contains(SECRET),
        "the secret reached the terminal:\n{shown}"
    );
    assert!(shown.contains("token is "), "{shown}");
    for file in files_under(&workspace.state_dir()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET),
            "the secret is in {}",
            file.display()
        );
    }
    let timeline = workspace.timeline();
    let token = timeline
        .iter()
        .find(|event| event["kind"] == "input.provided" && event["data"]["name"] == "API_TOKEN");
    assert_eq!(
        token.map(|event| &event["data"]["secret"]),
        Some(&Value::Bool(true)),
        "{timeline:?}"
    );
}

#[test]
fn q_quits_with_the_state_saved() {
    let workspace = Workspace::new(
        "# Demo\n\n```bash {name=first}\ntouch first.txt\n```\n\n```bash {name=second}\ntouch second.txt\n```\n",
    );
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    terminal.expect("step 2/2 · second");
    terminal.expect(STEP_PROMPT);
    terminal.send("q");
    terminal.expect("paused (operator quit); state saved");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    assert!(workspace.path().join("first.txt").exists());
    assert!(!workspace.path().join("second.txt").exists());
    let timeline = workspace.timeline();
    assert_eq!(finished_status(&timeline, "first"), ["ok"]);
    assert!(step_events(&timeline, "step.started", "second").is_empty());
    assert_eq!(kinds(&timeline).last(), Some(&"run.paused"));
    assert_eq!(timeline.last().unwrap()["data"]["reason"], "operator quit");
}

#[test]
fn l_lists_the_steps_and_j_jumps_to_another() {
    let workspace = Workspace::new(
        "# Demo\n\n```bash {name=alpha}\ntouch alpha.txt\n```\n\n```bash {name=bravo}\ntouch bravo.txt\n```\n\n```bash {name=charlie}\ntouch charlie.txt\n```\n",
    );
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect(STEP_PROMPT);
    terminal.send("l");
    terminal.expect_regex(r"1\. pending +alpha");
    terminal.expect_regex(r"2\. pending +bravo");
    terminal.expect_regex(r"3\. pending +charlie");
    terminal.expect(STEP_PROMPT);
    terminal.send("j");
    terminal.expect("jump to");
    terminal.expect("charlie");
    // Down twice from the current step, then Enter.
    terminal.send("\x1b[B\x1b[B\r");
    terminal.expect("step 3/3 · charlie");
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    terminal.expect("1 ok, 0 failed, 0 skipped, 2 not run");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    assert!(workspace.path().join("charlie.txt").exists());
    assert!(
        !workspace.path().join("alpha.txt").exists()
            && !workspace.path().join("bravo.txt").exists()
    );
    let timeline = workspace.timeline();
    let started: Vec<&str> = timeline
        .iter()
        .filter(|e| e["kind"] == "step.started")
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(started, ["charlie"]);
}

#[test]
fn a_manual_checklist_step_is_confirmed_with_d_or_enter() {
    let workspace = Workspace::new(
        "# Comms\n\n- [ ] Tell the team in #incidents\n- [ ] Update the status page\n",
    );
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect("Tell the team in #incidents");
    terminal.expect("done?");
    terminal.send("d");
    terminal.expect("Update the status page");
    terminal.expect("done?");
    terminal.send("\r");
    terminal.expect("finished: 2 ok");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    let timeline = workspace.timeline();
    let answers: Vec<&str> = timeline
        .iter()
        .filter(|e| e["kind"] == "prompt.answered")
        .map(|e| e["data"]["answer"].as_str().unwrap())
        .collect();
    assert_eq!(answers, ["done", "done"]);
    assert_eq!(
        timeline
            .iter()
            .filter(|e| e["kind"] == "step.finished" && e["data"]["status"] == "ok")
            .count(),
        2
    );
}

/// Ctrl-C at every kind of prompt quits at once with 130, the state saved
/// and the cursor visible.
#[test]
fn ctrl_c_at_any_prompt_quits_with_130_and_the_state_saved() {
    let plain = "# Demo\n\n```bash {name=first}\ntouch first.txt\n```\n";
    let secret = "+++\n[vars.API_TOKEN]\nprompt = \"API token\"\nsecret = true\n+++\n# Demo\n\n```bash {name=call}\necho \"$API_TOKEN\" > /dev/null\n```\n";
    let choice = "+++\n[vars.REGION]\nprompt = \"Region\"\nchoices = [\"eu\", \"us\"]\n+++\n# Demo\n\n```bash {name=call}\necho \"$REGION\"\n```\n";
    let text = "+++\n[vars.REGION]\nprompt = \"Region\"\n+++\n# Demo\n\n```bash {name=call}\necho \"$REGION\"\n```\n";
    let confirm = "# Demo\n\n```bash {name=first confirm=true}\ntouch first.txt\n```\n";
    let destructive = "# Demo\n\n```bash {name=wipe}\nrm -rf scratch\n```\n";
    let cases: [(&str, &str, &[&str], &str); 8] = [
        ("step", plain, &[], STEP_PROMPT),
        ("note", plain, &["n"], "note for the timeline"),
        ("jump list", plain, &["j"], "jump to"),
        ("secret", secret, &[], "API token (API_TOKEN"),
        ("choice", choice, &[], "Region (REGION"),
        ("text value", text, &[], "Region (REGION"),
        ("confirm", confirm, &["\r"], "(y/n)"),
        ("typed confirmation", destructive, &["\r"], "type `wipe`"),
    ];
    for (what, markdown, keys, prompt) in cases {
        let workspace = Workspace::new(markdown);
        let mut terminal = workspace.spawn(&[], &[]);
        for key in keys {
            terminal.expect(STEP_PROMPT);
            terminal.send(key);
        }
        terminal.expect(prompt);
        terminal.ctrl_c();
        terminal.expect("paused (interrupted); state saved");
        assert_eq!(
            terminal.exit_code(),
            130,
            "Ctrl-C at the {what} prompt:\n{}",
            terminal.shown()
        );
        let raw = &terminal.transcript;
        if let Some(hidden) = raw.rfind("\x1b[?25l") {
            assert!(
                raw[hidden..].contains("\x1b[?25h"),
                "the cursor stayed hidden after the {what} prompt"
            );
        }
        let timeline = workspace.timeline();
        assert_eq!(
            kinds(&timeline).last(),
            Some(&"run.paused"),
            "{what}: {timeline:?}"
        );
        assert!(
            !workspace.path().join("first.txt").exists(),
            "{what}: a step ran"
        );
    }
}

#[test]
fn a_failed_step_shows_its_exit_code_and_offers_retry_edit_skip() {
    let workspace = Workspace::new(
        "# Demo\n\n```bash {name=flaky}\necho attempt >> attempts.txt\nexit 3\n```\n\n```bash {name=after}\ntouch after.txt\n```\n",
    );
    let mut terminal = workspace.spawn(&[], &[("EDITOR", "sed -i 's/exit 3/exit 0/'")]);
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    terminal.expect("failed, exit code 3");
    terminal
        .expect("`flaky` failed with exit code 3: [r retry · e edit · s skip · j jump · q quit]");
    // A habitual Enter must not run a failed step again: it only shows the keys.
    terminal.send("\r");
    terminal.expect("r  run it again");
    terminal.expect("`flaky` failed with exit code 3");
    terminal.send("r");
    terminal.expect("`flaky` failed with exit code 3");
    terminal.send("e");
    terminal.expect("now runs:");
    terminal.expect("step 2/2 · after");
    terminal.expect(STEP_PROMPT);
    terminal.send("s");
    terminal.expect("1 ok, 0 failed, 1 skipped");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("attempts.txt")).unwrap(),
        "attempt\n".repeat(3)
    );
    let timeline = workspace.timeline();
    assert_eq!(
        finished_status(&timeline, "flaky"),
        ["failed", "failed", "ok"]
    );
    assert_eq!(step_events(&timeline, "step.edited", "flaky").len(), 1);
}

#[test]
fn the_elapsed_time_line_is_cleared_before_output_and_the_result() {
    let workspace = Workspace::new(
        "# Demo\n\n```bash {name=slow}\nwhile [ ! -e go ]; do sleep 0.05; done\necho \"done-$((6 * 7))\"\n```\n",
    );
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect(STEP_PROMPT);
    terminal.send("\r");
    terminal.expect("Ctrl-C stops the step");
    std::fs::write(workspace.path().join("go"), "").unwrap();
    terminal.expect("done-42");
    terminal.expect("finished: 1 ok");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    let shown = terminal.shown();
    let output = shown.find("done-42\r\n").expect("the step's output");
    let ticker = shown[..output].rfind("⏱").expect("the elapsed-time line");
    assert!(
        shown[ticker..output].contains("\r\x1b[2K"),
        "output was written over the elapsed-time line:\n{shown:?}"
    );
    assert!(
        !shown[output..].contains("⏱"),
        "the elapsed-time line outlived the step:\n{shown:?}"
    );
}

#[test]
fn colours_follow_no_color_and_clicolor_force() {
    let markdown = "# Demo\n\n```bash {name=first}\ntrue\n```\n";
    let mut transcripts = Vec::new();
    for env in [&[][..], &[("CLICOLOR_FORCE", "1")][..]] {
        let workspace = Workspace::new(markdown);
        let mut terminal = workspace.spawn(&[], env);
        terminal.expect(STEP_PROMPT);
        terminal.send("\r");
        terminal.expect("finished: 1 ok");
        assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
        transcripts.push(terminal.transcript);
    }
    let styled = regex::Regex::new(r"\x1b\[[0-9;]*m").unwrap();
    assert!(
        !styled.is_match(&transcripts[0]),
        "NO_COLOR=1 still styled:\n{:?}",
        transcripts[0]
    );
    assert!(
        styled.is_match(&transcripts[1]),
        "CLICOLOR_FORCE=1 did not style:\n{:?}",
        transcripts[1]
    );
}

#[test]
fn e_without_an_editor_edits_a_one_line_command_in_place() {
    let workspace =
        Workspace::new("# Demo\n\n```bash {name=greet}\necho one > greeting.txt\n```\n");
    let mut terminal = workspace.spawn(&[], &[]);
    terminal.expect(STEP_PROMPT);
    terminal.send("e");
    terminal.expect("edit the command");
    terminal.expect("echo one > greeting.txt");
    // Backspace over "one > greeting.txt", then type the new ending.
    terminal.send(&"\x7f".repeat("one > greeting.txt".len()));
    terminal.send("two > greeting.txt\r");
    terminal.expect("now runs:");
    terminal.expect("finished: 1 ok");
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("greeting.txt")).unwrap(),
        "two\n"
    );
    let edits = step_events(&workspace.timeline(), "step.edited", "greet")
        .into_iter()
        .map(|event| {
            (
                event["data"]["original"].clone(),
                event["data"]["edited"].clone(),
            )
        })
        .collect::<Vec<_>>();
    assert_eq!(
        edits,
        [(
            Value::from("echo one > greeting.txt\n"),
            Value::from("echo two > greeting.txt\n")
        )]
    );
}
