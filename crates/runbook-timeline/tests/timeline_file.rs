//! The writer and reader against real files: round trips, crash leftovers, concurrent writers
//! and failing disks.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Barrier};

use jiff::Timestamp;
use runbook_timeline::{
    EventDraft, EventKind, InputProvided, InputSource, Note, RunFinished, RunMode, RunStarted,
    RunStatus, StepCounts, StepFinished, StepStarted, StepStatus, TimelineError, TimelineWarning,
    TimelineWriter, read_timeline,
};

fn note(text: &str) -> EventDraft {
    EventDraft::new(Note {
        text: text.to_owned(),
    })
}

fn started() -> RunStarted {
    RunStarted {
        runbook: "ops/api.md".to_owned(),
        sha256: RunStarted::content_sha256(b"# API\n"),
        mode: RunMode::Interactive,
        engine_version: "0.1.0".to_owned(),
        title: "API outage".to_owned(),
        step_count: 2,
    }
}

#[test]
fn events_round_trip_through_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("timeline.jsonl");
    let mut writer = TimelineWriter::open(&path, "alice@web1").expect("open");
    let earlier: Timestamp = "2024-05-01T13:50:00.250Z".parse().expect("valid");
    let mut written = vec![writer.append(started()).expect("run.started")];
    written.extend(
        writer
            .append_batch([
                EventDraft::new(InputProvided {
                    name: "TOKEN".to_owned(),
                    secret: true,
                    value: Some("never-written".to_owned()),
                    source: InputSource::Prompt,
                }),
                EventDraft::new(StepStarted {
                    title: "Check health".to_owned(),
                    heading_path: vec!["API outage".to_owned()],
                    command: "curl -fsS https://api.internal/health".to_owned(),
                    cwd: "/srv/api".to_owned(),
                    attempt: 1,
                })
                .step("check-health"),
            ])
            .expect("batch"),
    );
    written.push(
        writer
            .append(
                note("users saw 502s since 13:50")
                    .at(earlier)
                    .actor("bob@laptop"),
            )
            .expect("note"),
    );
    written.push(
        writer
            .append(
                EventDraft::new(StepFinished {
                    exit_code: Some(0),
                    duration_ms: 412,
                    status: StepStatus::Ok,
                    redactions: 0,
                    cwd: None,
                    detail: None,
                    attempt: 1,
                    vars: Default::default(),
                    unset: Vec::new(),
                })
                .step("check-health"),
            )
            .expect("finished"),
    );

    let (events, warnings) = read_timeline(&path).expect("read");
    assert!(warnings.is_empty(), "{warnings:?}");
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    // The secret's value is not on disk, so it reads back without it.
    let mut expected = written.clone();
    if let EventKind::InputProvided(input) = &mut expected[1].kind {
        input.value = None;
    }
    assert_eq!(events, expected);
    assert_eq!(events[3].ts, earlier);
    assert_eq!(events[3].actor, "bob@laptop");
    assert_eq!(events[0].actor, "alice@web1");
    assert!(events[3].recorded_at > events[3].ts);
    let text = fs::read_to_string(&path).expect("read text");
    assert!(!text.contains("never-written"));
    assert_eq!(text.lines().count(), 5);
}

#[test]
fn torn_last_line_is_ignored_with_a_warning_and_writing_continues() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("timeline.jsonl");
    let mut writer = TimelineWriter::open(&path, "alice@web1").expect("open");
    writer.append(note("first")).expect("first");
    writer.append(note("second")).expect("second");
    // A crash in the middle of writing a third line.
    let full = fs::read_to_string(&path).expect("read");
    let second_line = full.lines().nth(1).expect("two lines");
    OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(&second_line.as_bytes()[..40]))
        .expect("tear");

    let (events, warnings) = read_timeline(&path).expect("read");
    assert_eq!(events.len(), 2);
    assert_eq!(
        warnings,
        [TimelineWarning::TornLastLine { line: 3, bytes: 40 }]
    );

    // A new writer (as after a restart) continues the sequence on a fresh line.
    let mut restarted = TimelineWriter::open(&path, "alice@web1").expect("reopen");
    let third = restarted.append(note("third")).expect("third");
    assert_eq!(third.seq, 3);
    let (events, warnings) = read_timeline(&path).expect("read again");
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(
        matches!(
            warnings.as_slice(),
            [TimelineWarning::CorruptLine { line: 3, .. }]
        ),
        "{warnings:?}"
    );
}

#[test]
fn corrupt_middle_line_is_reported_with_its_line_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("timeline.jsonl");
    let mut writer = TimelineWriter::open(&path, "alice@web1").expect("open");
    writer.append(note("one")).expect("one");
    OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(b"{\"v\":1,\"seq\": oops}\n"))
        .expect("corrupt");
    let two = writer.append(note("two")).expect("two");
    assert_eq!(two.seq, 2, "the corrupt line carries no usable seq");

    let (events, warnings) = read_timeline(&path).expect("read");
    assert_eq!(events.len(), 2);
    match warnings.as_slice() {
        [TimelineWarning::CorruptLine { line: 2, error }] => {
            assert!(!error.is_empty());
            assert!(
                warnings[0]
                    .to_string()
                    .starts_with("line 2: corrupt event ignored")
            );
        }
        other => panic!("unexpected warnings {other:?}"),
    }
}

#[test]
fn sequence_gaps_are_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("timeline.jsonl");
    let mut writer = TimelineWriter::open(&path, "alice@web1").expect("open");
    for text in ["a", "b", "c", "d"] {
        writer.append(note(text)).expect("append");
    }
    // Lose the second and third lines, as a broken disk or a careless edit would.
    let text = fs::read_to_string(&path).expect("read");
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1 && *i != 2)
        .map(|(_, l)| l)
        .collect();
    fs::write(&path, kept.join("\n") + "\n").expect("rewrite");

    let (events, warnings) = read_timeline(&path).expect("read");
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 4]);
    assert_eq!(
        warnings,
        [TimelineWarning::SeqGap {
            line: 2,
            expected: 2,
            found: 4
        }]
    );
    assert_eq!(
        warnings[0].to_string(),
        "line 2: sequence jumps from 1 to 4: 2 event(s) lost"
    );
}

#[test]
fn unknown_kinds_from_newer_engines_are_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("timeline.jsonl");
    fs::write(
        &path,
        concat!(
            r#"{"v":1,"seq":1,"id":"01HWZ5J4Q8W3T4C8G2V7Y6X5RM","ts":"2024-05-01T14:00:00.000Z","recorded_at":"2024-05-01T14:00:00.000Z","actor":"a@b","kind":"note","data":{"text":"x"}}"#,
            "\n",
            r#"{"v":2,"seq":2,"id":"01HWZ5J4Q8W3T4C8G2V7Y6X5RN","ts":"2024-05-01T14:00:01.000Z","recorded_at":"2024-05-01T14:00:01.000Z","actor":"a@b","kind":"page.sent","data":{"to":"sre"},"extra":true}"#,
            "\n"
        ),
    )
    .expect("write");
    let (events, warnings) = read_timeline(&path).expect("read");
    assert_eq!(events.len(), 2);
    assert!(matches!(&events[1].kind, EventKind::Unknown { kind, .. } if kind == "page.sent"));
    assert_eq!(
        warnings,
        [TimelineWarning::NewerSchema {
            line: 2,
            version: 2
        }]
    );
    // Appending after a newer engine's line keeps the sequence going.
    let mut writer = TimelineWriter::open(&path, "a@b").expect("open");
    assert_eq!(writer.append(note("after")).expect("append").seq, 3);
}

#[test]
fn concurrent_writers_never_interleave_or_lose_lines() {
    const THREADS: usize = 20;
    const NOTES: usize = 10;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("timeline.jsonl");
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|thread| {
            let path = path.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut writer =
                    TimelineWriter::open(&path, format!("user{thread}@host")).expect("open");
                barrier.wait();
                for note_index in 0..NOTES {
                    writer
                        .append(note(&format!("{thread}-{note_index} {}", "x".repeat(300))))
                        .expect("append");
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("writer thread");
    }

    let (events, warnings) = read_timeline(&path).expect("read");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(events.len(), THREADS * NOTES);
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (1..=(THREADS * NOTES) as u64).collect();
    assert_eq!(seqs, expected, "seqs are 1..=N in file order");
    let mut texts: Vec<String> = events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Note(note) => note.text.split(' ').next().expect("label").to_owned(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    texts.sort();
    let mut wanted: Vec<String> = (0..THREADS)
        .flat_map(|t| (0..NOTES).map(move |n| format!("{t}-{n}")))
        .collect();
    wanted.sort();
    assert_eq!(texts, wanted, "every note exactly once");
}

#[test]
fn write_to_a_full_disk_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("timeline.jsonl");
    std::os::unix::fs::symlink("/dev/full", &path).expect("symlink");
    let mut writer = TimelineWriter::open(&path, "alice@web1").expect("open /dev/full");
    let error = writer.append(note("lost?")).expect_err("disk is full");
    assert!(
        matches!(
            &error,
            TimelineError::Io {
                action: "append to timeline",
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("timeline.jsonl"), "{message}");
    assert!(message.contains("No space left on device"), "{message}");
}

fn assert_cannot_write_into(dir: &Path) {
    let error = TimelineWriter::open(dir.join("timeline.jsonl"), "alice@web1")
        .expect_err("directory is read-only");
    let message = error.to_string();
    assert!(message.starts_with("cannot open timeline"), "{message}");
    assert!(message.contains("ermission denied"), "{message}");
    let state = runbook_timeline::StateDir::new(dir.join("state"));
    let error = state.create_run().expect_err("cannot create runs");
    assert!(
        error
            .to_string()
            .starts_with("cannot create runs directory"),
        "{error}"
    );
}

const READ_ONLY_PROBE_ENV: &str = "RUNBOOK_TIMELINE_READ_ONLY_PROBE_DIR";

#[test]
fn read_only_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut permissions = fs::metadata(dir.path()).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o555);
    fs::set_permissions(dir.path(), permissions).expect("chmod");
    if !nix::unistd::geteuid().is_root() {
        assert_cannot_write_into(dir.path());
        return;
    }
    // Root ignores directory permissions, so probe from a child process running as `nobody`.
    use std::os::unix::process::CommandExt as _;
    let spawned = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "read_only_probe",
            "--include-ignored",
            "--nocapture",
        ])
        .env(READ_ONLY_PROBE_ENV, dir.path())
        .uid(65534)
        .gid(65534)
        .output();
    let output = match spawned {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
            // `nobody` cannot execute the test binary here (it sits in a private directory);
            // sysfs refuses new files even to root, which exercises the same error path.
            assert_cannot_write_into(Path::new("/sys"));
            return;
        }
        Err(error) => panic!("cannot spawn the probe as nobody: {error}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "probe failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Run by `read_only_directory_is_an_error` in a child process without root privileges.
#[test]
#[ignore = "run by read_only_directory_is_an_error as an unprivileged child"]
fn read_only_probe() {
    let dir = std::env::var_os(READ_ONLY_PROBE_ENV).expect("probe directory is given");
    assert!(!nix::unistd::geteuid().is_root());
    assert_cannot_write_into(Path::new(&dir));
}

#[test]
fn run_finished_and_other_state_changes_are_durable_batches() {
    // One batch is one write: both lines appear together with consecutive seqs.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("timeline.jsonl");
    let mut writer = TimelineWriter::open(&path, "alice@web1").expect("open");
    writer.append(started()).expect("start");
    let events = writer
        .append_batch([
            EventDraft::new(StepFinished {
                exit_code: Some(1),
                duration_ms: 10,
                status: StepStatus::Failed,
                redactions: 0,
                cwd: None,
                detail: None,
                attempt: 1,
                vars: Default::default(),
                unset: Vec::new(),
            })
            .step("s1"),
            EventDraft::new(RunFinished {
                status: RunStatus::Failed,
                counts: StepCounts {
                    failed: 1,
                    not_run: 1,
                    ..StepCounts::default()
                },
            }),
        ])
        .expect("batch");
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(events[0].recorded_at, events[1].recorded_at);
    assert!(writer.append_batch([]).expect("empty batch").is_empty());
    let (read, _) = read_timeline(&path).expect("read");
    assert_eq!(read.len(), 3);
}

#[test]
fn complete_last_line_without_newline_is_kept_and_continued() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("timeline.jsonl");
    let mut writer = TimelineWriter::open(&path, "alice@web1").expect("open");
    writer.append(note("one")).expect("one");
    writer.append(note("two")).expect("two");
    // A crash exactly before the final newline byte reached the disk.
    let mut bytes = fs::read(&path).expect("read");
    bytes.pop();
    fs::write(&path, &bytes).expect("truncate newline");

    let (events, warnings) = read_timeline(&path).expect("read");
    assert_eq!(events.len(), 2);
    assert_eq!(
        warnings,
        [TimelineWarning::UnterminatedLastLine { line: 2 }]
    );

    let mut restarted = TimelineWriter::open(&path, "alice@web1").expect("reopen");
    assert_eq!(restarted.append(note("three")).expect("three").seq, 3);
    let (events, warnings) = read_timeline(&path).expect("read again");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
}
