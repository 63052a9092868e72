//! Runs real bash through `ShellSession`: state carrying, isolation, process control, output.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use runbook_exec::{
    CarriedVariable, ExecIoError, Interrupter, OutputChunk, OutputStream, ShellConfig,
    ShellSession, StepIo, StepOutcome, StepRequest, StepStatus,
};

const KILL_GRACE: Duration = Duration::from_millis(500);

fn session_in(dir: &Path, extra_env: &[(&str, &str)]) -> ShellSession {
    let mut base_env = vec![(
        "PATH".to_owned(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_owned()),
    )];
    base_env.extend(
        extra_env
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string())),
    );
    ShellSession::new(ShellConfig {
        initial_cwd: dir.to_owned(),
        base_env,
        kill_grace: KILL_GRACE,
        ..ShellConfig::default()
    })
    .expect("session starts")
}

struct Ran {
    outcome: StepOutcome,
    stdout: String,
    stderr: String,
    chunks: Vec<OutputChunk>,
}

fn run_with(session: &mut ShellSession, request: StepRequest, interrupter: &Interrupter) -> Ran {
    let mut chunks = Vec::new();
    let outcome = session
        .run(request, interrupter, &mut |chunk| chunks.push(chunk))
        .expect("step runs");
    let text = |stream| {
        let bytes: Vec<u8> = chunks
            .iter()
            .filter(|chunk: &&OutputChunk| chunk.stream == stream)
            .flat_map(|chunk| chunk.bytes.iter().copied())
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ran {
        stdout: text(OutputStream::Stdout),
        stderr: text(OutputStream::Stderr),
        outcome,
        chunks,
    }
}

fn run(session: &mut ShellSession, label: &str, script: &str) -> Ran {
    run_with(
        session,
        StepRequest::new(label, script),
        &Interrupter::new(),
    )
}

fn assert_clean_success(ran: &Ran) {
    assert_eq!(
        ran.outcome.status,
        StepStatus::Exited(0),
        "stderr: {}",
        ran.stderr
    );
    assert_eq!(ran.stderr, "", "the step printed errors");
}

/// Gone, or a zombie waiting for whoever adopted it.
fn process_is_gone(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn wait_until_gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if process_is_gone(pid) {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Interrupts through `interrupter` after `delay`, from another thread.
fn interrupt_after(interrupter: &Interrupter, delay: Duration) -> thread::JoinHandle<()> {
    let trigger = interrupter.clone();
    thread::spawn(move || {
        thread::sleep(delay);
        trigger.interrupt();
    })
}

fn pid_after(label: &str, output: &str) -> u32 {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .and_then(|pid| pid.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` line in {output:?}"))
}

#[test]
fn exported_and_assigned_variables_carry_to_later_steps() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    assert_clean_success(&run(
        &mut session,
        "set",
        "export EXPORTED=1\nPLAIN='two words'\nCOUNT=3",
    ));
    let ran = run(
        &mut session,
        "use",
        r#"echo "$EXPORTED|$PLAIN|$COUNT"; bash -c 'echo "child:${EXPORTED-unset}:${PLAIN-unset}"'"#,
    );
    assert_clean_success(&ran);
    assert_eq!(ran.stdout, "1|two words|3\nchild:1:unset\n");

    let variables = session.variables();
    assert_eq!(
        variables.get("EXPORTED"),
        Some(&CarriedVariable {
            value: "1".to_owned(),
            exported: true
        })
    );
    assert_eq!(
        variables.get("PLAIN"),
        Some(&CarriedVariable {
            value: "two words".to_owned(),
            exported: false
        })
    );
    assert!(
        !variables.contains_key("PATH"),
        "untouched inherited variables are not listed"
    );
}

#[test]
fn arrays_and_functions_carry() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    assert_clean_success(&run(
        &mut session,
        "define",
        "hosts=(web-1 'web 2' $'multi\\nline')\ndeclare -A port=([web]=80 [db]=5432)\ngreet() { echo \"hello $1\"; }",
    ));
    let ran = run(
        &mut session,
        "use",
        r#"echo "${#hosts[@]}|${hosts[1]}|${port[db]}"; greet bob; printf '%s' "${hosts[2]}" | wc -l"#,
    );
    assert_clean_success(&ran);
    assert_eq!(ran.stdout, "3|web 2|5432\nhello bob\n1\n");
    assert!(
        !session.variables().contains_key("hosts"),
        "arrays are not scalars"
    );
}

#[test]
fn functions_named_like_the_builtins_the_session_uses_carry_and_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    assert_clean_success(&run(
        &mut session,
        "define",
        "command() { echo \"[command $*]\"; builtin command \"$@\"; }\nexec() { echo '[exec]'; }",
    ));
    let ran = run(&mut session, "use", "command echo hi\nexec");
    assert_clean_success(&ran);
    assert_eq!(ran.stdout, "[command echo hi]\nhi\n[exec]\n");
    // Still defined for the step after.
    let ran = run(&mut session, "again", "declare -F command exec");
    assert_clean_success(&ran);
    assert_eq!(ran.stdout, "command\nexec\n");
}

#[test]
fn working_directory_carries_and_a_step_directory_is_step_local() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    fs::create_dir_all(root.join("app/build")).unwrap();
    fs::create_dir_all(root.join("elsewhere")).unwrap();
    let mut session = session_in(&root, &[]);
    assert_clean_success(&run(&mut session, "enter", "cd app"));
    assert_eq!(session.cwd(), root.join("app"));
    let ran = run(&mut session, "where", "pwd");
    assert_eq!(ran.stdout, format!("{}\n", root.join("app").display()));

    let mut relative = StepRequest::new("relative", "pwd; NOTE=from-build; cd ..");
    relative.cwd = Some(PathBuf::from("build"));
    let ran = run_with(&mut session, relative, &Interrupter::new());
    assert_clean_success(&ran);
    assert_eq!(
        ran.stdout,
        format!("{}\n", root.join("app/build").display())
    );

    let mut absolute = StepRequest::new("absolute", "pwd");
    absolute.cwd = Some(root.join("elsewhere"));
    let ran = run_with(&mut session, absolute, &Interrupter::new());
    assert_eq!(
        ran.stdout,
        format!("{}\n", root.join("elsewhere").display())
    );

    assert_eq!(
        session.cwd(),
        root.join("app"),
        "step directories do not move the session"
    );
    let ran = run(&mut session, "after", "pwd; echo $NOTE");
    assert_eq!(
        ran.stdout,
        format!("{}\nfrom-build\n", root.join("app").display())
    );

    let mut missing = StepRequest::new("missing", "true");
    missing.cwd = Some(PathBuf::from("no-such-dir"));
    let error = session
        .run(missing, &Interrupter::new(), &mut |_| {})
        .unwrap_err();
    assert!(
        matches!(error, ExecIoError::WorkingDirectory { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("no-such-dir"), "{error}");
}

#[test]
fn shell_options_stay_in_their_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    assert_clean_success(&run(
        &mut session,
        "strict",
        "set -euo pipefail\nshopt -s nullglob\nIFS=,\nSTRICT=on",
    ));
    let ran = run(
        &mut session,
        "lenient",
        r#"false; echo "still running $STRICT"; echo "${UNSET_VARIABLE-}flags=$-"; shopt -q nullglob || echo no-nullglob; printf '%q\n' "$IFS""#,
    );
    assert_eq!(ran.outcome.status, StepStatus::Exited(0), "{}", ran.stderr);
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines[0], "still running on");
    assert!(
        !lines[1].contains('e') && !lines[1].contains('u'),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "no-nullglob");
    assert_eq!(lines[3], "$' \\t\\n'");
}

#[test]
fn exit_status_is_reported_and_state_still_carries() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    fs::create_dir(root.join("sub")).unwrap();
    let mut session = session_in(&root, &[]);
    let ran = run(
        &mut session,
        "fails",
        "export AFTER=kept\ncd sub\nexit 3\necho unreachable",
    );
    assert_eq!(ran.outcome.status, StepStatus::Exited(3));
    assert!(ran.outcome.state_updated);
    assert_eq!(ran.stdout, "");
    let ran = run(&mut session, "check", "echo $AFTER; pwd");
    assert_eq!(
        ran.stdout,
        format!("kept\n{}\n", root.join("sub").display())
    );

    let ran = run(&mut session, "last command", "FINAL=1; false");
    assert_eq!(ran.outcome.status, StepStatus::Exited(1));
    assert_eq!(session.variables()["FINAL"].value, "1");
}

#[test]
fn tracing_and_own_exit_traps_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let ran = run(&mut session, "traced", "set -x\nTRACED=1\n");
    assert_eq!(ran.outcome.status, StepStatus::Exited(0));
    assert!(ran.stderr.contains("TRACED=1"), "{}", ran.stderr);
    assert!(
        !ran.stderr.contains("__runbook"),
        "the wrapper was traced: {}",
        ran.stderr
    );

    let ran = run(
        &mut session,
        "own trap",
        "trap 'echo cleanup' EXIT\nexport AFTER_TRAP=1",
    );
    assert_clean_success(&ran);
    assert_eq!(ran.stdout, "cleanup\n");
    assert!(ran.outcome.state_updated);
    assert_eq!(session.variables()["AFTER_TRAP"].value, "1");

    // Replacing the EXIT trap and then calling `exit` leaves no chance to save the state.
    let ran = run(
        &mut session,
        "own trap and exit",
        "trap 'echo bye' EXIT\nLOST=1\nexit 0",
    );
    assert_eq!(ran.stdout, "bye\n");
    assert!(!ran.outcome.state_updated);
    assert!(!session.variables().contains_key("LOST"));
    assert_eq!(
        session.variables()["AFTER_TRAP"].value,
        "1",
        "the earlier state stays"
    );
}

#[test]
fn errors_name_the_step_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let ran = run(
        &mut session,
        "Restart the API",
        "echo ok\nno_such_command_xyz\n",
    );
    assert_eq!(ran.outcome.status, StepStatus::Exited(127));
    assert_eq!(ran.stdout, "ok\n");
    assert_eq!(
        ran.stderr,
        "Restart the API: line 2: no_such_command_xyz: command not found\n"
    );
    // A label that is also a program on PATH still runs the step's own script.
    let ran = run(&mut session, "ls", "echo from-script");
    assert_eq!(ran.stdout, "from-script\n");
}

#[test]
fn readonly_and_shell_maintained_variables_do_not_break_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    assert_clean_success(&run(
        &mut session,
        "lock",
        "readonly LOCKED=1\ndeclare -r ALSO=2\nexport FINE=yes\nSECONDS=5\ncd /",
    ));
    let carried: Vec<&str> = session.variables().keys().map(String::as_str).collect();
    assert_eq!(carried, ["FINE"]);
    let ran = run(
        &mut session,
        "next",
        r#"echo "$FINE ${LOCKED-unset}"; LOCKED=changed; echo "$LOCKED""#,
    );
    assert_clean_success(&ran);
    assert_eq!(ran.stdout, "yes unset\nchanged\n");
}

#[test]
fn values_are_data_never_shell_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let marker = |name: &str| {
        dir.path()
            .join(format!("pwned-{name}-{}", std::process::id()))
    };
    let (first, second, third, fourth) = (
        marker("quote"),
        marker("subst"),
        marker("backtick"),
        marker("arg"),
    );
    let hostile = [
        ("QUOTE", format!("'; touch {}; '", first.display())),
        ("SUBST", format!("$(touch {})", second.display())),
        (
            "BACKTICK",
            format!("`touch {}` \"\\ $HOME\nnext line", third.display()),
        ),
    ];
    let mut session = session_in(dir.path(), &[]);
    let mut request = StepRequest::new(
        "hostile",
        r#"printf '[%s]\n' "$QUOTE" "$SUBST" "$BACKTICK" "$1"; export COPY_QUOTE=$QUOTE COPY_SUBST=$SUBST; COPY_BACKTICK=$BACKTICK"#,
    );
    request.env = hostile
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect();
    request.positional_args = vec![format!("$(touch {})", fourth.display())];
    let debug = format!("{request:?}");
    assert!(!debug.contains("touch"), "Debug shows values: {debug}");
    let ran = run_with(&mut session, request, &Interrupter::new());
    assert_clean_success(&ran);
    let expected: String = hostile
        .iter()
        .map(|(_, value)| format!("[{value}]\n"))
        .chain([format!("[$(touch {})]\n", fourth.display())])
        .collect();
    assert_eq!(ran.stdout, expected);

    // The copies travel through the carried state file into the next shell.
    let ran = run(
        &mut session,
        "read back",
        r#"printf '[%s]\n' "$COPY_QUOTE" "$COPY_SUBST" "$COPY_BACKTICK""#,
    );
    assert_clean_success(&ran);
    let expected: String = hostile
        .iter()
        .map(|(_, value)| format!("[{value}]\n"))
        .collect();
    assert_eq!(ran.stdout, expected);
    assert_eq!(session.variables()["COPY_BACKTICK"].value, hostile[2].1);
    assert_eq!(session.variables()["COPY_SUBST"].value, hostile[1].1);

    // And through a restore, which writes the values itself.
    let restored: Vec<(String, CarriedVariable)> = session
        .variables()
        .iter()
        .map(|(name, variable)| (name.clone(), variable.clone()))
        .collect();
    let mut resumed = session_in(dir.path(), &[]);
    resumed.restore(dir.path(), restored).unwrap();
    let ran = run(
        &mut resumed,
        "resumed",
        r#"printf '[%s]\n' "$COPY_QUOTE" "$COPY_SUBST" "$COPY_BACKTICK""#,
    );
    assert_eq!(ran.stdout, expected);

    for path in [first, second, third, fourth] {
        assert!(!path.exists(), "{} was created", path.display());
    }
}

#[test]
fn per_step_environment_does_not_carry_but_unsets_do() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[("HTTP_PROXY", "http://proxy:3128")]);
    let mut request = StepRequest::new("with input", r#"echo "$TOKEN"; unset HTTP_PROXY"#);
    request.env = vec![("TOKEN".to_owned(), "s3cr3t".to_owned())];
    let ran = run_with(&mut session, request, &Interrupter::new());
    assert_eq!(ran.stdout, "s3cr3t\n");
    assert!(!session.variables().contains_key("TOKEN"));
    let ran = run(
        &mut session,
        "without input",
        r#"echo "${TOKEN-unset} ${HTTP_PROXY-unset}""#,
    );
    assert_eq!(ran.stdout, "unset unset\n");

    let mut bad = StepRequest::new("bad", "true");
    bad.env = vec![("NOT-A-NAME".to_owned(), "x".to_owned())];
    let error = session
        .run(bad, &Interrupter::new(), &mut |_| {})
        .unwrap_err();
    assert!(
        matches!(error, ExecIoError::InvalidEnvironment { .. }),
        "{error}"
    );
    let mut reserved = StepRequest::new("reserved", "true");
    reserved.env = vec![("BASH_ENV".to_owned(), "/tmp/evil".to_owned())];
    assert!(
        session
            .run(reserved, &Interrupter::new(), &mut |_| {})
            .is_err()
    );
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let mut request = StepRequest::new(
        "hangs",
        "sleep 1000 & echo \"background $!\"\nbash -c 'echo \"foreground $$\"; exec sleep 1000'",
    );
    request.timeout = Some(Duration::from_millis(400));
    let started = Instant::now();
    let ran = run_with(&mut session, request, &Interrupter::new());
    assert_eq!(ran.outcome.status, StepStatus::TimedOut);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    for label in ["background", "foreground"] {
        let pid = pid_after(label, &ran.stdout);
        assert!(
            wait_until_gone(pid),
            "{label} process {pid} survived the timeout"
        );
    }
}

#[test]
fn interrupter_stops_a_running_step_and_its_background_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let interrupter = Interrupter::new();
    let interrupting = interrupt_after(&interrupter, Duration::from_millis(300));
    let started = Instant::now();
    let ran = run_with(
        &mut session,
        StepRequest::new(
            "long",
            "export BEFORE=1\nsleep 1000 & echo \"background $!\"\nsleep 1000",
        ),
        &interrupter,
    );
    interrupting.join().unwrap();
    assert_eq!(ran.outcome.status, StepStatus::Interrupted);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let background = pid_after("background", &ran.stdout);
    assert!(
        wait_until_gone(background),
        "background job {background} survived"
    );
    // SIGINT lets bash run its EXIT trap, so what the step did before is kept.
    assert!(ran.outcome.state_updated);
    assert_eq!(session.variables()["BEFORE"].value, "1");
    assert!(
        !interrupter.take_pending_interrupt(),
        "the interrupt was used by the step"
    );

    interrupter.interrupt();
    assert!(interrupter.take_pending_interrupt());
    assert!(!interrupter.take_pending_interrupt());
}

#[test]
fn sigint_to_the_process_interrupts_the_step_or_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let interrupter = Interrupter::new();
    interrupter.install_sigint_handler().unwrap();

    nix::sys::signal::raise(nix::sys::signal::Signal::SIGINT).unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while !interrupter.take_pending_interrupt() {
        assert!(Instant::now() < deadline, "SIGINT was not recorded");
        thread::sleep(Duration::from_millis(10));
    }

    let raising = thread::spawn(|| {
        thread::sleep(Duration::from_millis(300));
        nix::sys::signal::raise(nix::sys::signal::Signal::SIGINT).unwrap();
    });
    let ran = run_with(
        &mut session,
        StepRequest::new("long", "sleep 1000"),
        &interrupter,
    );
    raising.join().unwrap();
    assert_eq!(ran.outcome.status, StepStatus::Interrupted);
}

#[test]
fn captured_steps_read_end_of_file_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let mut request = StepRequest::new("asks", r#"read -r answer; echo "rc=$? answer=${answer-}""#);
    request.timeout = Some(Duration::from_secs(10));
    let ran = run_with(&mut session, request, &Interrupter::new());
    assert_eq!(ran.outcome.status, StepStatus::Exited(0));
    assert_eq!(ran.stdout, "rc=1 answer=\n");
}

#[test]
fn large_output_on_both_streams_does_not_deadlock() {
    const BYTES: usize = 20_000_000;
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let mut request = StepRequest::new(
        "floods",
        format!("yes stdout-line | head -c {BYTES} &\nyes stderr-line | head -c {BYTES} >&2\nwait"),
    );
    request.capture_stdout = true;
    request.timeout = Some(Duration::from_secs(20));
    let mut counts = [0usize; 2];
    let mut largest_chunk = 0;
    let outcome = session
        .run(request, &Interrupter::new(), &mut |chunk| {
            largest_chunk = largest_chunk.max(chunk.bytes.len());
            counts[(chunk.stream == OutputStream::Stderr) as usize] += chunk.bytes.len();
        })
        .unwrap();
    assert_eq!(outcome.status, StepStatus::Exited(0));
    assert_eq!(counts, [BYTES, BYTES]);
    assert!(largest_chunk <= 64 * 1024);
    assert!(outcome.stdout_truncated);
    let captured = outcome.stdout.unwrap();
    assert!(captured.len() <= 1024 * 1024);
    assert!(captured.starts_with("stdout-line\nstdout-line\n"));
}

#[test]
fn captured_stdout_is_trimmed_and_streams_are_tagged() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let mut request = StepRequest::new("value", "echo '  v-123  '; echo oops >&2; echo");
    request.capture_stdout = true;
    let ran = run_with(&mut session, request, &Interrupter::new());
    assert_eq!(ran.outcome.stdout.as_deref(), Some("v-123"));
    assert_eq!(ran.stdout, "  v-123  \n\n");
    assert_eq!(ran.stderr, "oops\n");
    assert!(ran.chunks.iter().all(|chunk| !chunk.bytes.is_empty()));

    let ran = run(&mut session, "not captured", "echo hi");
    assert_eq!(ran.outcome.stdout, None);
}

#[test]
fn positional_arguments_reach_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let mut request = StepRequest::new("args", r#"echo "$#"; printf '<%s>\n' "$@"; echo "$0""#);
    request.positional_args = vec!["first arg".to_owned(), String::new(), "*".to_owned()];
    let ran = run_with(&mut session, request, &Interrupter::new());
    assert_clean_success(&ran);
    assert_eq!(ran.stdout, "3\n<first arg>\n<>\n<*>\nargs\n");
    let ran = run(&mut session, "no args", r#"echo "$#""#);
    assert_eq!(ran.stdout, "0\n");
}

#[test]
fn terminal_steps_carry_state_and_report_status() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let mut request = StepRequest::new("interactive", "export FROM_TERMINAL=1; exit 4");
    request.io = StepIo::Terminal;
    request.capture_stdout = true;
    let mut chunks = 0;
    let outcome = session
        .run(request, &Interrupter::new(), &mut |_| chunks += 1)
        .unwrap();
    assert_eq!(outcome.status, StepStatus::Exited(4));
    assert_eq!(outcome.stdout, None);
    assert_eq!(chunks, 0);
    assert_eq!(session.variables()["FROM_TERMINAL"].value, "1");
}

#[test]
fn state_directory_is_private_and_removed_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    assert_clean_success(&run(&mut session, "secret", "export API_TOKEN=hunter2"));
    let state_dir = session.state_dir().to_owned();
    let mode = fs::metadata(&state_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    drop(session);
    assert!(!state_dir.exists());
}

#[test]
fn restore_rebuilds_variables_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let mut session = session_in(Path::new("/"), &[]);
    session
        .restore(
            &root,
            [
                (
                    "NAMESPACE".to_owned(),
                    CarriedVariable {
                        value: "prod".to_owned(),
                        exported: true,
                    },
                ),
                (
                    "LOCAL_ONLY".to_owned(),
                    CarriedVariable {
                        value: "it's here".to_owned(),
                        exported: false,
                    },
                ),
            ],
        )
        .unwrap();
    assert_eq!(session.cwd(), root);
    let ran = run(
        &mut session,
        "resumed",
        r#"pwd; echo "$LOCAL_ONLY"; bash -c 'echo "${NAMESPACE-} ${LOCAL_ONLY-unset}"'"#,
    );
    assert_clean_success(&ran);
    assert_eq!(
        ran.stdout,
        format!("{}\nit's here\nprod unset\n", root.display())
    );
    assert!(session.restore("relative", []).is_err());
    let internal = CarriedVariable {
        value: "/".to_owned(),
        exported: true,
    };
    assert!(
        session
            .restore("/", [("PWD".to_owned(), internal)])
            .is_err()
    );
}

/// Captured steps are subshells of one long-lived shell (`$$` is its pid, as for commands pasted
/// into one terminal): an interrupted step must not take that shell down with it.
#[test]
fn the_session_shell_outlives_an_interrupted_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let before = run(
        &mut session,
        "before",
        "echo \"server $$\"\necho \"step $BASHPID\"",
    );
    assert_clean_success(&before);
    let server = pid_after("server ", &before.stdout);
    assert_ne!(server, pid_after("step ", &before.stdout));

    let interrupter = Interrupter::new();
    let interrupting = interrupt_after(&interrupter, Duration::from_millis(300));
    let ran = run_with(
        &mut session,
        StepRequest::new("long", "echo \"step $BASHPID\"\nsleep 1000"),
        &interrupter,
    );
    interrupting.join().unwrap();
    assert_eq!(ran.outcome.status, StepStatus::Interrupted);
    assert!(wait_until_gone(pid_after("step ", &ran.stdout)));

    let after = run(&mut session, "after", "echo \"server $$\"");
    assert_clean_success(&after);
    assert_eq!(pid_after("server ", &after.stdout), server);
}

/// A step that kills the session shell fails with that signal and is stopped with it (as a command
/// dies with its terminal's shell); the next step gets a new shell and still sees everything
/// carried so far.
#[test]
fn a_killed_session_shell_is_replaced_and_nothing_carried_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let first = run(
        &mut session,
        "first",
        "export KEPT=yes\nmkdir sub && cd sub\necho \"server $$\"",
    );
    assert_clean_success(&first);
    let server = pid_after("server ", &first.stdout);

    let killer = run(
        &mut session,
        "killer",
        "echo \"step $BASHPID\"\nkill -KILL $$\nsleep 1000",
    );
    assert_eq!(killer.outcome.status, StepStatus::Signaled(9));
    assert!(wait_until_gone(server));
    assert!(wait_until_gone(pid_after("step ", &killer.stdout)));
    let terminated = run(&mut session, "terminated", "kill -TERM $$\nsleep 1000");
    assert_eq!(terminated.outcome.status, StepStatus::Signaled(15));

    let next = run(
        &mut session,
        "next",
        "echo \"$KEPT $PWD\"\necho \"server $$\"",
    );
    assert_eq!(
        next.outcome.status,
        StepStatus::Exited(0),
        "{}",
        next.stderr
    );
    let expected = dir.path().join("sub").canonicalize().unwrap();
    assert!(
        next.stdout
            .starts_with(&format!("yes {}\n", expected.display())),
        "{:?}",
        next.stdout
    );
    assert_ne!(pid_after("server ", &next.stdout), server);
}

/// A background job that outlives its step keeps writing into that step's output channel, never
/// into a later step's.
#[test]
fn a_lingering_background_job_never_writes_into_a_later_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let first = run(
        &mut session,
        "first",
        "( for i in 1 2 3 4 5 6 7 8 9 10; do echo from-first; sleep 0.05; done ) &\necho started",
    );
    assert_eq!(first.outcome.status, StepStatus::Exited(0));
    let second = run(&mut session, "second", "sleep 0.6; echo second-done");
    assert_eq!(second.stdout, "second-done\n");
}

/// `prepare` gets the shell ready while the caller records the start; nothing of the step runs
/// before `run`, and a prepared step that is dropped never runs at all.
#[test]
fn nothing_of_a_prepared_step_runs_before_run_and_a_dropped_one_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let marker = dir.path().join("ran");

    let prepared = session
        .prepare(StepRequest::new(
            "cancelled",
            "touch ran\nexport CANCELLED=1",
        ))
        .expect("prepares");
    thread::sleep(Duration::from_millis(200));
    drop(prepared);
    thread::sleep(Duration::from_millis(100));
    assert!(!marker.exists(), "a dropped step ran");

    let prepared = session
        .prepare(StepRequest::new("gated", "touch ran\necho \"server $$\""))
        .expect("prepares");
    thread::sleep(Duration::from_millis(200));
    assert!(!marker.exists(), "the step ran before `run`");
    let mut stdout = Vec::new();
    let outcome = prepared
        .run(&Interrupter::new(), &mut |chunk| {
            stdout.extend_from_slice(&chunk.bytes)
        })
        .expect("runs");
    assert_eq!(outcome.status, StepStatus::Exited(0));
    assert!(marker.exists());
    assert!(!session.variables().contains_key("CANCELLED"));

    // The same server goes on serving after the cancelled step.
    let server = pid_after("server ", &String::from_utf8_lossy(&stdout));
    let after = run(&mut session, "after", "echo \"server $$\"");
    assert_eq!(pid_after("server ", &after.stdout), server);
}

/// A killed runbook cannot remove its private directory (it may hold secrets); the next session
/// removes it once its owner is gone, and leaves live sessions' directories alone.
#[test]
fn private_directories_of_dead_runbooks_are_removed() {
    let parent = tempfile::tempdir().unwrap();
    let mut finished = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = finished.id();
    finished.wait().unwrap();
    let abandoned = parent
        .path()
        .join(format!("runbook-shell-{dead_pid}-AbCdEf"));
    let live = parent.path().join("runbook-shell-1-XyZ123");
    let unrelated = parent.path().join("runbook-shell-notapid");
    for dir in [&abandoned, &live, &unrelated] {
        fs::create_dir(dir).unwrap();
        fs::write(dir.join("state"), "export SECRET=x\n").unwrap();
    }
    let session = ShellSession::new(ShellConfig {
        initial_cwd: parent.path().to_owned(),
        state_dir_parent: Some(parent.path().to_owned()),
        ..ShellConfig::default()
    })
    .expect("session starts");
    assert!(!abandoned.exists(), "the dead runbook's directory is left");
    assert!(live.exists() && unrelated.exists());
    let own = session
        .state_dir()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        own.starts_with(&format!("runbook-shell-{}-", std::process::id())),
        "{own}"
    );
}

/// A configured shell that is not bash gets an error that says so, not only that it ended.
#[test]
fn a_shell_that_is_not_bash_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    // A POSIX shell that rejects bash's options, as dash does (`/bin/sh` is bash on some systems).
    let not_bash = dir.path().join("sh");
    fs::write(
        &not_bash,
        "#!/bin/sh\necho \"sh: illegal option\" >&2\nexit 2\n",
    )
    .unwrap();
    fs::set_permissions(&not_bash, fs::Permissions::from_mode(0o755)).unwrap();
    let mut session = ShellSession::new(ShellConfig {
        shell: not_bash.clone(),
        initial_cwd: dir.path().to_owned(),
        base_env: vec![("PATH".to_owned(), "/usr/bin:/bin".to_owned())],
        ..ShellConfig::default()
    })
    .expect("session starts");
    let error = session
        .run(
            StepRequest::new("step", "echo hi"),
            &Interrupter::new(),
            &mut |_| {},
        )
        .expect_err("sh cannot run steps");
    let expected = format!("`{}` is not bash", not_bash.display());
    assert!(error.to_string().contains(&expected), "{error}");
}

/// The step's variables (secrets among them) travel to the session shell in a file: it is gone
/// once the step runs, and nothing else in the private directory holds them.
#[test]
fn step_variables_do_not_stay_in_the_private_directory() {
    const SECRET: &str = "s3cr3t-in-request-Zq7";
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_in(dir.path(), &[]);
    let mut request = StepRequest::new("uses-secret", "test -n \"$TOKEN\" && echo seen");
    request.env = vec![("TOKEN".to_owned(), SECRET.to_owned())];
    let ran = run_with(&mut session, request, &Interrupter::new());
    assert_clean_success(&ran);
    assert_eq!(ran.stdout, "seen\n");
    let mut stack = vec![session.state_dir().to_owned()];
    while let Some(path) = stack.pop() {
        for entry in fs::read_dir(&path).unwrap().flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let bytes = fs::read(&path).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(SECRET),
                    "{} holds the value",
                    path.display()
                );
            }
        }
    }
}
