//! The `sandbox-api` binary: listening line, control switch, request log, shutdown.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use common::{curl, jq, tools_available};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

fn spawn(args: &[&str]) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox-api"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sandbox-api starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    let url = first
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    (child, stdout, url)
}

fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "sandbox-api did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serves_switches_logs_and_stops_on_sigterm() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log_path = log_dir.path().join("requests.jsonl");
    let (mut child, _stdout, url) = spawn(&["--log", log_path.to_str().expect("utf-8 path")]);

    assert_eq!(curl(&[&format!("{url}/health")]).status, 200);
    let switched = curl(&[
        "-X",
        "POST",
        &format!("{url}/__control/health"),
        "-d",
        "degraded",
    ]);
    assert_eq!(switched.status, 200);
    let degraded = curl(&[&format!("{url}/health")]);
    assert_eq!(degraded.status, 503);
    assert_eq!(jq(&["-r", ".status"], &degraded.body), "degraded");
    curl(&["-X", "POST", &format!("{url}/__control/health"), "-d", "ok"]);
    let tenants = curl(&[
        &format!("{url}/api/tenants?limit=2"),
        "-H",
        "Authorization: Bearer secret-token",
    ]);
    assert_eq!(tenants.status, 200);

    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).expect("send SIGTERM");
    let status = wait_for_exit(&mut child);
    assert!(status.success(), "{status:?}");

    let log = std::fs::read_to_string(&log_path).expect("request log");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "control requests are not logged: {log}");
    assert_eq!(
        jq(&["-c", "[.method, .path, .status, .has_auth]"], lines[0]),
        r#"["GET","/health",200,false]"#
    );
    assert_eq!(
        jq(&["-c", "[.path, .status]"], lines[1]),
        r#"["/health",503]"#
    );
    assert_eq!(
        jq(&["-c", "[.path, .query, .has_auth]"], lines[2]),
        r#"["/api/tenants","limit=2",true]"#
    );
    assert!(
        !log.contains("secret-token"),
        "header values stay out of the log"
    );
}

#[test]
fn exits_when_stdin_closes() {
    let (mut child, _stdout, _url) = spawn(&["--exit-on-stdin-eof", "--degraded"]);
    drop(child.stdin.take());
    let status = wait_for_exit(&mut child);
    assert!(status.success(), "{status:?}");
}

#[test]
fn reports_an_unusable_port() {
    let (mut first, _stdout, url) = spawn(&[]);
    let port = url.rsplit(':').next().expect("port");
    let output = Command::new(env!("CARGO_BIN_EXE_sandbox-api"))
        .args(["--port", port])
        .output()
        .expect("second sandbox-api runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen on 127.0.0.1:"), "{stderr}");
    first.kill().expect("kill first server");
    first.wait().expect("reap first server");
}
