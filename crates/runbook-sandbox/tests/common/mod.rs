//! Helpers shared by the integration tests: real curl, jq and bash.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

/// True when every tool runs; otherwise prints why the calling test is skipped.
pub fn tools_available(tools: &[&str]) -> bool {
    for tool in tools {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            eprintln!("skipping: `{tool}` is not installed");
            return false;
        }
    }
    true
}

/// Status code and body of one real `curl` call.
#[derive(Debug)]
pub struct HttpResult {
    pub status: u16,
    pub body: String,
    pub headers: String,
}

/// Runs `curl -s ARGS` and splits off the status code.
pub fn curl(args: &[&str]) -> HttpResult {
    let header_file = tempfile::NamedTempFile::new().expect("temp file for headers");
    let header_path = header_file.path().to_string_lossy().into_owned();
    let output = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-D",
            &header_path,
            "-w",
            "\n%{http_code}",
        ])
        .args(args)
        .output()
        .expect("curl runs");
    assert!(
        output.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("curl output is UTF-8");
    let (body, status) = text.rsplit_once('\n').expect("status line from -w");
    HttpResult {
        status: status.trim().parse().expect("numeric status"),
        body: body.to_owned(),
        headers: std::fs::read_to_string(header_file.path()).unwrap_or_default(),
    }
}

/// Pipes `input` through `jq ARGS` and returns its trimmed stdout.
pub fn jq(args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("jq")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jq runs");
    child
        .stdin
        .take()
        .expect("jq stdin")
        .write_all(input.as_bytes())
        .expect("write to jq");
    let output = child.wait_with_output().expect("jq finishes");
    assert!(
        output.status.success(),
        "jq {args:?} failed on {input:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("jq output is UTF-8")
        .trim()
        .to_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "command failed with {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
    stdout(output)
}
