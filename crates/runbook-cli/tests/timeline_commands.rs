//! `note`, `mark`, `severity`, `runs`, `timeline` and `export` against real runs.

#[path = "timeline_support/mod.rs"]
mod support;

use runbook_timeline::EventKind;
use std::path::Path;
use std::process::Stdio;
use support::{Running, Scratch, WAIT_FOR_STOP, assert_exit, text, wait_for};

/// Deterministic apart from times: an input, output, a failure (kept going), a skipped step, a
/// manual step.
const OUTAGE: &str = r#"+++
title = "API outage"
[vars.REGION]
default = "eu-west-1"
+++

# API outage

## Check health

```bash {name=check-health}
echo "region $REGION: 3 of 4 pods ready"
```

## Restart the API

```bash {name=restart-api}
echo "restarting in {{REGION}}"
echo "pod api-7 did not come back" >&2
exit 3
```

## Flush the cache

```bash {name=flush-cache skip=true}
echo never
```

## Tell the customers

1. Post on the status page that the API is degraded.

## Verify

```bash {name=verify}
echo "4 of 4 pods ready"
```
"#;

fn outage_run(scratch: &Scratch) -> String {
    scratch.write("api.md", OUTAGE);
    let output = scratch.run(&["run", "api.md", "--yes", "--keep-going"]);
    assert_exit(&output, 1);
    scratch.only_run()
}

#[test]
fn twenty_concurrent_notes_are_each_recorded_exactly_once_in_sequence() {
    let scratch = Scratch::new();
    scratch.write(
        "wait.md",
        &format!(
            "# Wait\n\n## Wait for the signal\n\n```bash {{name=wait}}\n{WAIT_FOR_STOP}\n```\n\n## After\n\n```bash {{name=after}}\necho after\n```\n"
        ),
    );
    let mut run = Running(
        scratch
            .command(&["run", "wait.md", "--yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the run"),
    );
    let runs = scratch.state_dir().join("runs");
    wait_for(20, "the step to start", || {
        std::fs::read_dir(&runs)
            .ok()
            .and_then(|mut entries| entries.next())
            .and_then(Result::ok)
            .and_then(|entry| std::fs::read_to_string(entry.path().join("timeline.jsonl")).ok())
            .is_some_and(|timeline| timeline.contains("step.started"))
    });
    let notes: Vec<String> = (1..=20).map(|n| format!("observation {n:02}")).collect();
    let writers: Vec<_> = notes
        .iter()
        .map(|note| {
            scratch
                .command(&["note", note])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start a note")
        })
        .collect();
    for writer in writers {
        let output = writer.wait_with_output().expect("note");
        assert_exit(&output, 0);
    }
    std::fs::write(scratch.path().join("stop"), "").expect("let the run finish");
    assert!(run.0.wait().expect("run").success());

    let events = scratch.events(&scratch.only_run());
    let seqs: Vec<u64> = events.iter().map(|event| event.seq).collect();
    let expected: Vec<u64> = (1..=events.len() as u64).collect();
    assert_eq!(
        seqs, expected,
        "sequence numbers strictly increasing, no gap"
    );
    for note in &notes {
        let found: Vec<_> = events
            .iter()
            .filter(|event| matches!(&event.kind, EventKind::Note(n) if n.text == *note))
            .collect();
        assert_eq!(found.len(), 1, "{note}");
        assert!(
            found[0].actor.starts_with("responder@"),
            "{}",
            found[0].actor
        );
    }
    // The run's own events went on around them.
    assert!(matches!(
        events.last().map(|event| &event.kind),
        Some(EventKind::RunFinished(_))
    ));
}

#[test]
fn marks_notes_and_severity_target_the_right_run_and_reject_bad_input() {
    let scratch = Scratch::new();
    let run = outage_run(&scratch);
    // The only run finished, so nothing is active: name it.
    let orphan = scratch.run(&["note", "hello"]);
    assert_exit(&orphan, 2);
    assert!(
        text(&orphan.stderr).contains("no unfinished run"),
        "{}",
        text(&orphan.stderr)
    );

    let prefix = &run[..10];
    for args in [
        vec![
            "mark",
            "impact-started",
            "--at",
            "2020-03-01T09:50:00Z",
            "--run",
            prefix,
        ],
        vec![
            "mark",
            "detected",
            "--at",
            "2020-03-01T10:02:00Z",
            "--run",
            prefix,
        ],
        vec!["mark", "mitigated", "--at", "-1m", "--run", prefix],
        vec!["severity", "SEV2", "--run", prefix],
        vec![
            "note",
            "rolled",
            "back",
            "--run",
            prefix,
            "--step",
            "restart-api",
        ],
    ] {
        let output = scratch.run(&args);
        assert_exit(&output, 0);
        assert!(
            text(&output.stdout).contains(&run),
            "{}",
            text(&output.stdout)
        );
    }
    let bad_time = scratch.run(&["mark", "resolved", "--at", "yesterday", "--run", prefix]);
    assert_exit(&bad_time, 2);
    assert!(text(&bad_time.stderr).contains("cannot read `yesterday` as a time"));
    let bad_step = scratch.run(&["note", "x", "--run", prefix, "--step", "restart-apu"]);
    assert_exit(&bad_step, 2);
    assert!(text(&bad_step.stderr).contains("has no step `restart-apu`"));
    let bad_milestone = scratch.run(&["mark", "fixed", "--run", prefix]);
    assert_exit(&bad_milestone, 2);
    let unknown_run = scratch.run(&["note", "x", "--run", "ZZZZ"]);
    assert_exit(&unknown_run, 2);
    assert!(text(&unknown_run.stderr).contains("no run matching \"ZZZZ\""));

    let json = scratch.run(&["export", "--format", "json"]);
    assert_exit(&json, 0);
    let model: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(model["header"]["severity"], "SEV2");
    assert_eq!(model["metrics"][0]["display"], "12m 00s");
    assert_eq!(model["milestones"][0]["at"], "2020-03-01 09:50:00");
    assert!(
        model["milestones"][3]["at"].is_string(),
        "mitigated was marked"
    );
    let note = &model["notes"][0];
    assert_eq!(note["text"], "rolled back");
    assert_eq!(note["step"], "restart-api");
}

#[test]
fn runs_lists_newest_first_in_aligned_columns() {
    let scratch = Scratch::new();
    let failed = outage_run(&scratch);
    scratch.write("ok.md", "# Fine\n\n## One\n\n```bash\ntrue\n```\n");
    assert_exit(&scratch.run(&["run", "ok.md", "--yes"]), 0);
    let ids = scratch.run_ids();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[1], failed);

    let listed = scratch.run(&["runs"]);
    assert_exit(&listed, 0);
    let stdout = text(&listed.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("ID "), "{stdout}");
    assert!(
        lines[1].starts_with(&ids[0]) && lines[1].contains("ok.md"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with(&failed) && lines[2].contains("api.md"),
        "{stdout}"
    );
    for column in ["RUNBOOK", "STARTED (UTC)", "DURATION", "STATUS", "WHO"] {
        let at = lines[0].find(column).expect("column");
        for line in &lines[1..] {
            let before = line.chars().nth(at - 1).expect("cell");
            let first = line.chars().nth(at).expect("cell");
            assert!(
                before == ' ' && first != ' ',
                "{column} misaligned:\n{stdout}"
            );
        }
    }
    assert!(
        lines[2].contains(" failed ") && lines[2].ends_with("automation"),
        "{stdout}"
    );

    let json = scratch.run(&["runs", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(rows[0]["id"], ids[0].as_str());
    assert_eq!(rows[0]["status"], "ok");
    assert_eq!(rows[0]["resumable"], false);
    assert_eq!(rows[1]["status"], "failed");
    assert_eq!(rows[1]["resumable"], true);
    assert_eq!(rows[1]["title"], "API outage");
    assert!(rows[1]["duration_ms"].is_number());

    let empty = Scratch::new();
    let none = empty.run(&["runs"]);
    assert_exit(&none, 0);
    assert!(text(&none.stderr).contains("no runs recorded"));
    assert_eq!(text(&empty.run(&["runs", "--json"]).stdout), "[]\n");
}

#[test]
fn timeline_prints_events_and_raw_lines_and_warns_about_a_torn_line() {
    let scratch = Scratch::new();
    let run = outage_run(&scratch);
    let pretty = scratch.run(&["timeline", &run[..12]]);
    assert_exit(&pretty, 0);
    let stdout = text(&pretty.stdout);
    assert!(
        stdout.starts_with(&format!("run {run} · API outage · failed\n")),
        "{stdout}"
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("20"))
        .collect();
    assert_eq!(rows.len(), 12, "{stdout}");
    // Time, actor and step are columns: every description starts at the same place.
    let column = rows[0].find("Run started").expect("first event");
    for row in &rows {
        let (before, description) = row.split_at(column);
        assert!(
            before.ends_with("  ") && !description.starts_with(' '),
            "{stdout}"
        );
    }
    assert!(
        rows.iter()
            .any(|row| row.contains(" restart-api ") && row.contains("finished: failed, exit 3")),
        "{stdout}"
    );
    // A multi-line command continues under its description.
    let continued = format!(
        "\n{}echo \"pod api-7 did not come back\" >&2\n",
        " ".repeat(column)
    );
    assert!(stdout.contains(&continued), "{stdout}");
    assert!(
        stdout.contains("Step flush-cache skipped: marked skip"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("step.output"),
        "output is in the step logs"
    );

    let timeline_path = scratch.timeline_path(&run);
    let file = std::fs::read_to_string(&timeline_path).expect("timeline");
    let raw = scratch.run(&["timeline", "--json"]);
    assert_exit(&raw, 0);
    assert_eq!(text(&raw.stdout), file);

    // A write cut short by a crash.
    let torn = r#"{"v":1,"seq":99,"id":"01J"#;
    let mut appended = file.clone();
    appended.push_str(torn);
    std::fs::write(&timeline_path, appended).expect("tear");
    for args in [vec!["timeline"], vec!["timeline", "--json"]] {
        let output = scratch.run(&args);
        assert_exit(&output, 0);
        assert!(
            text(&output.stderr).contains("incomplete last line"),
            "{}",
            text(&output.stderr)
        );
        assert!(!text(&output.stdout).contains(torn));
    }
    assert_eq!(text(&scratch.run(&["timeline", "--json"]).stdout), file);
}

/// Times, durations, ids and the host change from run to run; the rest must not.
fn normalize(markdown: &str, scratch: &Scratch, run: &str) -> String {
    let replacements = [
        (
            r"\b(?:202[1-9]|20[3-9]\d)-\d\d-\d\d \d\d:\d\d:\d\d\b",
            "[TIME]",
        ),
        (r"\b(?:202[1-9]|20[3-9]\d)-\d\d-\d\d\b", "[DATE]"),
        (r"\b\d+ms\b|\b\d+\.\ds\b", "[DURATION]"),
        (r"responder@[A-Za-z0-9._-]+", "responder@[HOST]"),
    ];
    let mut text = markdown
        .replace(run, "[RUN]")
        .replace(&scratch.path().display().to_string(), "[DIR]");
    for (pattern, with) in replacements {
        text = regex::Regex::new(pattern)
            .expect("pattern")
            .replace_all(&text, with)
            .into_owned();
    }
    text
}

#[test]
fn markdown_export_snapshot() {
    let scratch = Scratch::new();
    let run = outage_run(&scratch);
    for args in [
        vec![
            "mark",
            "impact-started",
            "--at",
            "2020-03-01T09:50:00Z",
            "--run",
            &run,
        ],
        vec![
            "mark",
            "detected",
            "--at",
            "2020-03-01T10:02:00Z",
            "--run",
            &run,
        ],
        vec![
            "mark",
            "acknowledged",
            "--at",
            "2020-03-01T10:05:30Z",
            "--run",
            &run,
        ],
        vec!["severity", "SEV2", "--run", &run],
        vec![
            "note",
            "restart made it worse | rolled back",
            "--run",
            &run,
            "--step",
            "restart-api",
        ],
    ] {
        assert_exit(&scratch.run(&args), 0);
    }
    let export = scratch.run(&["export"]);
    assert_exit(&export, 0);
    let markdown = text(&export.stdout);
    insta::assert_snapshot!("outage_markdown", normalize(&markdown, &scratch, &run));

    // -o writes the same bytes; a template of one's own replaces the built-in one.
    let path = scratch.path().join("pm.md");
    let written = scratch.run(&["export", &run[..6], "-o", path.to_str().expect("utf-8")]);
    assert_exit(&written, 0);
    assert_eq!(std::fs::read_to_string(&path).expect("written"), markdown);
    scratch.write(
        "short.hbs",
        "{{header.title}} ({{header.status}}){{#each failed_steps}}; failed: {{step}}{{/each}}\n",
    );
    let custom = scratch.run(&["export", "--template", "short.hbs"]);
    assert_exit(&custom, 0);
    assert_eq!(
        text(&custom.stdout),
        "API outage (failed); failed: restart-api\n"
    );
    let wrong = scratch.run(&["export", "--format", "html", "--template", "short.hbs"]);
    assert_exit(&wrong, 2);
    scratch.write("broken.hbs", "{{#each}}");
    let broken = scratch.run(&["export", "--template", "broken.hbs"]);
    assert_exit(&broken, 2);
    assert!(
        text(&broken.stderr).contains("template"),
        "{}",
        text(&broken.stderr)
    );
}

fn chromium() -> Option<&'static str> {
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .into_iter()
    .find(|name| {
        std::process::Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

#[test]
fn html_export_renders_in_headless_chromium_without_console_errors() {
    let scratch = Scratch::new();
    let run = outage_run(&scratch);
    let page = scratch.path().join("postmortem.html");
    let export = scratch.run(&[
        "export",
        "--format",
        "html",
        "-o",
        page.to_str().expect("utf-8"),
    ]);
    assert_exit(&export, 0);
    let html = std::fs::read_to_string(&page).expect("html");
    assert!(html.contains(&run));
    let Some(browser) = chromium() else {
        println!("skipped: no chromium to render the page (install the `chromium` package)");
        return;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let output = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("run chromium");
    let dom = text(&output.stdout);
    let log = text(&output.stderr);
    assert!(output.status.success(), "chromium failed:\n{log}");
    // The page has no scripts, so any console message (chromium logs even console.error as
    // INFO:CONSOLE) means something went wrong: a script error, a blocked or missing resource.
    assert!(
        !log.contains("Uncaught") && !log.contains(":CONSOLE"),
        "{log}"
    );
    assert!(
        dom.contains("<svg class=\"axis\""),
        "time axis missing:\n{dom}"
    );
    assert!(dom.contains("aria-label=\"Steps over time\""));
    for step in ["check-health", "restart-api", "verify"] {
        assert!(dom.contains(step), "{step} missing from the rendered page");
    }
    assert!(dom.contains("API outage"));
    assert!(Path::new(&page).is_file());
}

#[test]
fn every_timeline_command_has_help_with_examples() {
    let scratch = Scratch::new();
    for command in [
        "resume", "note", "mark", "severity", "runs", "timeline", "export",
    ] {
        let help = scratch.run(&[command, "--help"]);
        assert_exit(&help, 0);
        let stdout = text(&help.stdout);
        assert!(stdout.contains("Examples:"), "{command}:\n{stdout}");
        assert!(
            stdout.contains(&format!("  runbook {command}")),
            "{command}:\n{stdout}"
        );
        assert!(stdout.contains("--state-dir <DIR>"), "{command}:\n{stdout}");
    }
}
