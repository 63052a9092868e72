//! Nothing secret is ever stored, and nothing runs when the timeline cannot be written.

#[path = "timeline_support/mod.rs"]
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use support::{Scratch, assert_exit, text};

const SECRET: &str = "s3cr3t-Vault-Token-9f8e7d6c5b4a";

/// Prints the secret split across output chunks, base64-encoded (whole, split, inside a
/// basic-auth payload, unpadded) and on stderr, then fails so it lands in the failure tail too.
const LEAKY: &str = r#"# Leaky

## Print the token

```bash {name=print-token}
printf '%s' "${API_TOKEN:0:11}"; sleep 0.05; printf '%s\n' "${API_TOKEN:11}"
printf '%s' "$API_TOKEN" | base64 | { head -c 9; sleep 0.05; cat; }
printf 'user:%s' "$API_TOKEN" | base64
printf '%s' "$API_TOKEN" | base64 | tr -d '=\n'; echo
echo "token=$API_TOKEN" >&2
export LEAKED="prefix-$API_TOKEN"
false
```
"#;

fn base64(bytes: &[u8]) -> String {
    let output = Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(bytes)?;
            child.wait_with_output()
        })
        .expect("run base64");
    String::from_utf8(output.stdout).expect("base64 is ascii")
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
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
fn a_secret_split_across_chunks_or_base64_encoded_never_reaches_the_state_dir() {
    let scratch = Scratch::new();
    scratch.write("leaky.md", LEAKY);
    let run = scratch
        .command(&["run", "leaky.md", "--yes"])
        .env("API_TOKEN", SECRET)
        .output()
        .expect("run");
    assert_exit(&run, 1);
    let id = scratch.only_run();
    let note = scratch
        .command(&[
            "note",
            &format!("rotated {SECRET} after the leak"),
            "--run",
            &id,
        ])
        .env("API_TOKEN", SECRET)
        .output()
        .expect("note");
    assert_exit(&note, 0);
    for (format, file) in [
        ("markdown", "pm.md"),
        ("json", "pm.json"),
        ("html", "pm.html"),
    ] {
        let path = scratch.state_dir().join(file);
        let path = path.to_str().expect("utf-8 path");
        assert_exit(&scratch.run(&["export", "--format", format, "-o", path]), 0);
    }

    let encoded = base64(SECRET.as_bytes());
    let forbidden = [
        SECRET.to_string(),
        encoded.clone(),
        encoded.trim_end_matches('=').to_string(),
        base64(format!("user:{SECRET}").as_bytes()),
    ];
    let files = files_under(&scratch.state_dir());
    assert!(
        files.len() >= 6,
        "timeline, lock, step log, three exports: {files:?}"
    );
    let mut redactions = 0;
    for file in &files {
        let content = text(&std::fs::read(file).expect("read"));
        for secret in &forbidden {
            assert!(
                !content.contains(secret.as_str()),
                "{} contains {secret:?}:\n{content}",
                file.display()
            );
        }
        redactions += content.matches("[REDACTED:API_TOKEN]").count();
    }
    assert!(
        redactions > 0,
        "the secret was printed, so something was redacted"
    );
    let log = files
        .iter()
        .find(|file| file.to_string_lossy().ends_with("print-token.log"))
        .expect("the step's log");
    let log = std::fs::read_to_string(log).expect("log");
    assert_eq!(
        log.matches("[REDACTED:API_TOKEN]").count(),
        5,
        "split, split base64, inside base64, unpadded base64 and stderr:\n{log}"
    );
    // The terminal never sees it either.
    assert!(!text(&run.stdout).contains(SECRET) && !text(&run.stderr).contains(SECRET));
}

fn runbook_with_side_effect(scratch: &Scratch) -> std::path::PathBuf {
    let effects = scratch.path().join("effects");
    std::fs::create_dir(&effects).expect("effects dir");
    std::fs::set_permissions(&effects, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    scratch.write(
        "touch.md",
        &format!(
            "# Touch\n\n## Touch\n\n```bash {{name=touch}}\ntouch {}/ran\n```\n",
            effects.display()
        ),
    );
    effects.join("ran")
}

#[test]
fn a_state_dir_that_cannot_be_created_stops_the_run_before_any_step() {
    let scratch = Scratch::new();
    let side_effect = runbook_with_side_effect(&scratch);
    for state_dir in ["/proc/self/runbook-state", "/dev/full/state"] {
        let output = scratch.run(&["run", "touch.md", "--yes", "--state-dir", state_dir]);
        assert_exit(&output, 2);
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("cannot create the run directory") && stderr.contains(state_dir),
            "{stderr}"
        );
        assert!(!side_effect.exists(), "a step ran without a timeline");
    }
}

#[test]
fn a_read_only_state_dir_stops_the_run_before_any_step() {
    let scratch = Scratch::new();
    let side_effect = runbook_with_side_effect(&scratch);
    let state = scratch.state_dir();
    std::fs::create_dir(&state).expect("state dir");
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod scratch");
    let mut command = scratch.command(&["run", "touch.md", "--yes"]);
    let we_are_root =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&state).expect("stat")) == 0;
    if we_are_root {
        // Root ignores permissions; run as `nobody`, who can reach the binary and the scratch
        // dir but not write the state dir.
        use std::os::unix::process::CommandExt;
        command.uid(65534).gid(65534).env("HOME", "/nonexistent");
    }
    let output = command.output().expect("run");
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("cannot create the run directory") && stderr.contains("Permission denied"),
        "{stderr}"
    );
    assert!(!side_effect.exists(), "a step ran without a timeline");
}

/// A run whose second step fails until `ready` exists; the first step leaves `first`.
fn interrupted_run(scratch: &Scratch) -> (String, std::path::PathBuf) {
    let effects = scratch.path().join("effects");
    std::fs::create_dir(&effects).expect("effects dir");
    scratch.write(
        "gate.md",
        "# Gate\n\n## First\n\n```bash {name=first}\ntouch effects/first\n```\n\n## Gate\n\n```bash {name=gate}\ntest -f ready && touch effects/gate\n```\n\n## Last\n\n```bash {name=last}\ntouch effects/last\n```\n",
    );
    assert_exit(&scratch.run(&["run", "gate.md", "--yes"]), 1);
    std::fs::write(scratch.path().join("ready"), "").expect("fix the gate");
    (scratch.only_run(), effects)
}

#[test]
fn a_timeline_replaced_by_dev_full_is_refused_and_nothing_runs() {
    let scratch = Scratch::new();
    let (run, effects) = interrupted_run(&scratch);
    let timeline = scratch.timeline_path(&run);
    std::fs::remove_file(&timeline).expect("remove timeline");
    std::os::unix::fs::symlink("/dev/full", &timeline).expect("symlink");

    let resumed = scratch.run(&["resume", "--yes"]);
    assert_exit(&resumed, 1);
    let stderr = text(&resumed.stderr);
    assert!(
        stderr.contains("cannot read the timeline of run") && stderr.contains("not a regular file"),
        "{stderr}"
    );
    assert!(!effects.join("gate").exists() && !effects.join("last").exists());

    let note = scratch.run(&["note", "still there?", "--run", &run]);
    assert_exit(&note, 1);
    let stderr = text(&note.stderr);
    assert!(
        stderr.contains("nothing was recorded") && stderr.contains("No space left on device"),
        "{stderr}"
    );
    for args in [vec!["timeline", run.as_str()], vec!["export", run.as_str()]] {
        let output = scratch.run(&args);
        assert_exit(&output, 1);
        assert!(text(&output.stderr).contains("not a regular file"));
    }
}

#[test]
fn a_timeline_write_that_fails_mid_resume_stops_before_any_step() {
    let scratch = Scratch::new();
    let (run, effects) = interrupted_run(&scratch);
    let timeline = scratch.timeline_path(&run);
    // The file stays readable but cannot grow: the kernel refuses writes past RLIMIT_FSIZE with
    // EFBIG once SIGXFSZ is ignored (an ignored signal stays ignored across exec). `ulimit -f`
    // counts KiB, so a blank line (readers skip those) brings the file to a whole KiB.
    let mut before = std::fs::read(&timeline).expect("timeline");
    let padding = before.len().next_multiple_of(1024) - before.len();
    if padding > 0 {
        before.extend(std::iter::repeat_n(b' ', padding - 1));
        before.push(b'\n');
        std::fs::write(&timeline, &before).expect("pad the timeline");
    }
    let limit_kib = before.len() / 1024;
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {limit_kib}; exec \"$0\" resume --yes",
        ))
        .arg(support::BINARY)
        .current_dir(scratch.path())
        .env("RUNBOOK_STATE_DIR", scratch.state_dir())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("resume under a file size limit");
    assert_exit(&output, 1);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("run aborted: the timeline could not be written")
            && stderr.contains("File too large"),
        "{stderr}"
    );
    assert!(!effects.join("gate").exists() && !effects.join("last").exists());
    // A partly written line was cut off again: the timeline reads cleanly, nothing added.
    let after = std::fs::read(&timeline).expect("timeline");
    assert_eq!(after, before);
    scratch.events(&run);
}
