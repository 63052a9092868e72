//! The postmortem export: metrics formulas, escaping, and snapshots of every format rendered from
//! a fixed incident.

use jiff::Timestamp;
use runbook_timeline::{
    Event, EventKind, ExportModel, InputProvided, InputSource, Milestone, Note, PromptAnswered,
    RunFinished, RunMeta, RunMode, RunStarted, RunStatus, SCHEMA_VERSION, SeverityChanged,
    StepCounts, StepEdited, StepFinished, StepOutput, StepSkipped, StepStarted, StepStatus,
    TimelineError, TimestampSet, render_html, render_json, render_markdown,
};
use ulid::Ulid;

fn at(text: &str) -> Timestamp {
    text.parse().expect("valid timestamp")
}

fn id(seq: u64) -> Ulid {
    Ulid::from_parts(1_714_572_000_000 + seq, u128::from(seq))
}

/// Builds events with fixed ids and times; `recorded_at` equals `ts` unless noted.
struct Incident {
    events: Vec<Event>,
}

impl Incident {
    fn new() -> Self {
        Self { events: Vec::new() }
    }

    fn push(
        &mut self,
        ts: &str,
        actor: &str,
        step: Option<&str>,
        kind: impl Into<EventKind>,
    ) -> Ulid {
        self.push_correction(ts, actor, step, kind, None)
    }

    fn push_correction(
        &mut self,
        ts: &str,
        actor: &str,
        step: Option<&str>,
        kind: impl Into<EventKind>,
        supersedes: Option<Ulid>,
    ) -> Ulid {
        let seq = self.events.len() as u64 + 1;
        self.events.push(Event {
            v: SCHEMA_VERSION,
            seq,
            id: id(seq),
            ts: at(ts),
            recorded_at: at(ts),
            actor: actor.to_owned(),
            step: step.map(str::to_owned),
            kind: kind.into(),
            supersedes,
        });
        id(seq)
    }

    fn mark(&mut self, recorded: &str, which: Milestone, when: &str) -> Ulid {
        self.push(
            recorded,
            "bob@laptop",
            None,
            TimestampSet {
                which,
                at: at(when),
            },
        )
    }
}

const ALICE: &str = "alice@web1";
const BOB: &str = "bob@laptop";

fn meta() -> RunMeta {
    RunMeta {
        run_id: "01HWZ5J4Q8W3T4C8G2V7Y6X5RM".to_owned(),
    }
}

fn started(cmd: &str, title: &str, attempt: u32) -> StepStarted {
    StepStarted {
        title: title.to_owned(),
        heading_path: vec!["API returns 502".to_owned(), title.to_owned()],
        command: cmd.to_owned(),
        cwd: "/srv/api".to_owned(),
        attempt,
    }
}

fn finished(exit: i32, ms: u64, status: StepStatus) -> StepFinished {
    StepFinished {
        exit_code: Some(exit),
        duration_ms: ms,
        status,
        redactions: 0,
        cwd: None,
        detail: None,
        attempt: 1,
        vars: Default::default(),
        unset: Vec::new(),
    }
}

/// An API outage: a failed health check, an edited restart, a skipped step, notes, milestones
/// (one corrected), and a secret input.
fn api_outage() -> Vec<Event> {
    let mut incident = Incident::new();
    incident.push(
        "2024-05-01T14:00:00Z",
        ALICE,
        None,
        RunStarted {
            runbook: "ops/api-outage.md".to_owned(),
            sha256: RunStarted::content_sha256(b"# API returns 502\n"),
            mode: RunMode::Interactive,
            engine_version: "0.1.0".to_owned(),
            title: "API returns 502".to_owned(),
            step_count: 4,
        },
    );
    incident.push(
        "2024-05-01T14:00:01Z",
        ALICE,
        None,
        InputProvided {
            name: "REGION".to_owned(),
            secret: false,
            value: Some("eu-west-1".to_owned()),
            source: InputSource::Flag,
        },
    );
    incident.push(
        "2024-05-01T14:00:02Z",
        ALICE,
        None,
        InputProvided {
            name: "API_TOKEN".to_owned(),
            secret: true,
            value: None,
            source: InputSource::Prompt,
        },
    );
    incident.push(
        "2024-05-01T14:00:05Z",
        ALICE,
        None,
        SeverityChanged {
            severity: "SEV2".to_owned(),
        },
    );
    incident.push(
        "2024-05-01T14:00:10Z",
        ALICE,
        Some("check-health"),
        started(
            "curl -fsS -H 'Authorization: Bearer [REDACTED:API_TOKEN]' https://api.internal/health | jq .status",
            "Check health",
            1,
        ),
    );
    incident.push(
        "2024-05-01T14:00:11.500Z",
        ALICE,
        Some("check-health"),
        StepOutput {
            tail: "curl: (22) The requested URL returned error: 502\n".to_owned(),
            log: "steps/001-check-health.log".to_owned(),
            bytes: 49,
            redactions: 0,
        },
    );
    incident.push(
        "2024-05-01T14:00:11.500Z",
        ALICE,
        Some("check-health"),
        finished(22, 1500, StepStatus::Failed),
    );
    incident.push(
        "2024-05-01T14:01:00Z",
        BOB,
        None,
        Note {
            text: "DB connection pool exhausted | pool=100, waiting=<many>".to_owned(),
        },
    );
    incident.push(
        "2024-05-01T14:02:00Z",
        ALICE,
        Some("restart-api"),
        StepEdited {
            original: "kubectl rollout restart deploy/api".to_owned(),
            edited: "kubectl -n prod rollout restart deploy/api".to_owned(),
        },
    );
    incident.push(
        "2024-05-01T14:02:01Z",
        ALICE,
        Some("restart-api"),
        started(
            "kubectl -n prod rollout restart deploy/api",
            "Restart API pods",
            1,
        ),
    );
    incident.push(
        "2024-05-01T14:02:31Z",
        ALICE,
        Some("restart-api"),
        StepOutput {
            tail: "deployment.apps/api restarted\n```\n</details>\n".to_owned(),
            log: "steps/002-restart-api.log".to_owned(),
            bytes: 9000,
            redactions: 1,
        },
    );
    incident.push(
        "2024-05-01T14:02:31Z",
        ALICE,
        Some("restart-api"),
        finished(0, 30_000, StepStatus::Ok),
    );
    incident.push(
        "2024-05-01T14:02:40Z",
        ALICE,
        Some("notify-status"),
        StepSkipped {
            reason: "Status page already updated by comms".to_owned(),
        },
    );
    incident.mark(
        "2024-05-01T14:03:00Z",
        Milestone::ImpactStarted,
        "2024-05-01T13:45:00Z",
    );
    incident.mark(
        "2024-05-01T14:03:10Z",
        Milestone::Detected,
        "2024-05-01T13:52:00Z",
    );
    incident.mark(
        "2024-05-01T14:03:20Z",
        Milestone::Acknowledged,
        "2024-05-01T13:55:30Z",
    );
    let wrong = incident.mark(
        "2024-05-01T14:04:00Z",
        Milestone::Mitigated,
        "2024-05-01T14:02:31Z",
    );
    incident.push_correction(
        "2024-05-01T14:04:30Z",
        BOB,
        None,
        TimestampSet {
            which: Milestone::Mitigated,
            at: at("2024-05-01T14:02:40Z"),
        },
        Some(wrong),
    );
    incident.push(
        "2024-05-01T14:05:00Z",
        BOB,
        None,
        Note {
            text: "Error rate back to baseline (*0.1%*)\nWatching for 10 minutes".to_owned(),
        },
    );
    incident.push(
        "2024-05-01T14:05:05Z",
        ALICE,
        None,
        PromptAnswered {
            question: "Close the incident?".to_owned(),
            answer: "yes".to_owned(),
        },
    );
    incident.push(
        "2024-05-01T14:05:10Z",
        ALICE,
        None,
        RunFinished {
            status: RunStatus::Failed,
            counts: StepCounts {
                ok: 1,
                failed: 1,
                skipped: 1,
                not_run: 1,
                ..StepCounts::default()
            },
        },
    );
    incident.events
}

#[test]
fn markdown_postmortem_snapshot() {
    let model = ExportModel::from_events(&api_outage(), &meta());
    let markdown = render_markdown(&model, None).expect("render");
    insta::assert_snapshot!("api_outage_markdown", markdown);
}

#[test]
fn html_postmortem_snapshot() {
    let model = ExportModel::from_events(&api_outage(), &meta());
    let html = render_html(&model).expect("render");
    insta::assert_snapshot!("api_outage_html", html);
}

#[test]
fn json_export_snapshot() {
    let model = ExportModel::from_events(&api_outage(), &meta());
    insta::assert_snapshot!("api_outage_json", render_json(&model).expect("json"));
}

#[test]
fn metrics_follow_their_formulas() {
    let model = ExportModel::from_events(&api_outage(), &meta());
    let metric = |key: &str| {
        model
            .metrics
            .iter()
            .find(|m| m.key == key)
            .unwrap_or_else(|| panic!("metric {key}"))
    };
    // detected 13:52:00 − impact started 13:45:00
    assert_eq!(metric("time_to_detect").duration_ms, Some(7 * 60_000));
    assert_eq!(metric("time_to_detect").display, "7m 00s");
    assert_eq!(
        metric("time_to_detect").formula,
        "detected − impact started"
    );
    // acknowledged 13:55:30 − detected 13:52:00
    assert_eq!(metric("time_to_acknowledge").duration_ms, Some(210_000));
    // mitigated 14:02:40 (the correction, not 14:02:31) − impact started 13:45:00
    assert_eq!(
        metric("time_to_mitigate").duration_ms,
        Some(17 * 60_000 + 40_000)
    );
    assert_eq!(
        metric("time_to_mitigate").to.at.as_deref(),
        Some("2024-05-01 14:02:40")
    );
    let resolve = metric("time_to_resolve");
    assert_eq!(resolve.duration_ms, None);
    assert_eq!(resolve.display, "not marked: resolved");
    assert_eq!(resolve.from.at.as_deref(), Some("2024-05-01 13:45:00"));
}

#[test]
fn later_mark_wins_and_corrections_can_withdraw_a_mark() {
    let mut incident = Incident::new();
    incident.mark(
        "2024-05-01T10:00:00Z",
        Milestone::ImpactStarted,
        "2024-05-01T09:00:00Z",
    );
    incident.mark(
        "2024-05-01T10:01:00Z",
        Milestone::Detected,
        "2024-05-01T09:30:00Z",
    );
    // A later plain mark replaces the earlier one.
    incident.mark(
        "2024-05-01T10:02:00Z",
        Milestone::ImpactStarted,
        "2024-05-01T09:10:00Z",
    );
    // Resolved was marked by mistake; the correction sets acknowledged instead.
    let mistaken = incident.mark(
        "2024-05-01T10:03:00Z",
        Milestone::Resolved,
        "2024-05-01T09:40:00Z",
    );
    incident.push_correction(
        "2024-05-01T10:04:00Z",
        BOB,
        None,
        TimestampSet {
            which: Milestone::Acknowledged,
            at: at("2024-05-01T09:40:00Z"),
        },
        Some(mistaken),
    );
    let model = ExportModel::from_events(&incident.events, &meta());
    let by_key = |key: &str| model.metrics.iter().find(|m| m.key == key).expect("metric");
    assert_eq!(by_key("time_to_detect").duration_ms, Some(20 * 60_000));
    assert_eq!(by_key("time_to_acknowledge").duration_ms, Some(10 * 60_000));
    assert_eq!(by_key("time_to_resolve").duration_ms, None);
    assert_eq!(by_key("time_to_resolve").display, "not marked: resolved");
    assert_eq!(by_key("time_to_mitigate").display, "not marked: mitigated");
    let resolved = model
        .milestones
        .iter()
        .find(|m| m.key == "resolved")
        .expect("resolved milestone");
    assert_eq!(resolved.at, None);
    // The withdrawn mark stays visible in the timeline, flagged.
    let row = model.timeline.iter().find(|r| r.seq == 4).expect("row 4");
    assert!(row.superseded);
    assert!(
        model
            .timeline
            .iter()
            .find(|r| r.seq == 5)
            .expect("row 5")
            .correction
    );
}

#[test]
fn out_of_order_marks_are_flagged_and_unmarked_ones_named() {
    let mut incident = Incident::new();
    incident.mark(
        "2024-05-01T10:00:00Z",
        Milestone::ImpactStarted,
        "2024-05-01T09:30:00Z",
    );
    incident.mark(
        "2024-05-01T10:00:01Z",
        Milestone::Detected,
        "2024-05-01T09:25:00Z",
    );
    let model = ExportModel::from_events(&incident.events, &meta());
    let detect = &model.metrics[0];
    assert_eq!(detect.duration_ms, Some(-5 * 60_000));
    assert_eq!(
        detect.display,
        "-5m 00s (detected is before impact started: check the marked times)"
    );
    let empty = ExportModel::from_events(&[], &meta());
    assert_eq!(
        empty.metrics[0].display,
        "not marked: impact started, detected"
    );
    assert_eq!(empty.header.status, "active");
    assert_eq!(empty.header.title, "Untitled run");
    render_markdown(&empty, None).expect("an empty run still renders");
    render_html(&empty).expect("an empty run still renders");
}

#[test]
fn hostile_text_is_escaped_in_markdown_and_html() {
    let mut incident = Incident::new();
    incident.push(
        "2024-05-01T10:00:00Z",
        "mallory@x",
        None,
        Note {
            text: "<script>alert(1)</script> | col ![img](http://x/y.png) `tick`".to_owned(),
        },
    );
    let model = ExportModel::from_events(&incident.events, &meta());
    let markdown = render_markdown(&model, None).expect("markdown");
    assert!(!markdown.contains("<script>"), "{markdown}");
    assert!(
        markdown
            .contains(r"\<script\>alert(1)\</script\> \| col \!\[img\](http://x/y.png) \`tick\`")
    );
    let html = render_html(&model).expect("html");
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<img"), "no remote image");
}

#[test]
fn html_is_self_contained() {
    let model = ExportModel::from_events(&api_outage(), &meta());
    let html = render_html(&model).expect("html");
    for remote in ["<script", "<link", "src=\"http", "url(http", "@import"] {
        assert!(!html.contains(remote), "found {remote}");
    }
    assert_eq!(
        html.matches("<rect class=\"bar-").count(),
        model.step_spans.len()
    );
}

#[test]
fn custom_templates_see_the_model() {
    let model = ExportModel::from_events(&api_outage(), &meta());
    let template = "{{header.title}} / {{header.severity}} / {{#each commands}}[{{step}}:{{status}}]{{/each}} / {{code header.runbook}}";
    let rendered = render_markdown(&model, Some(template)).expect("render");
    assert_eq!(
        rendered,
        "API returns 502 / SEV2 / [check-health:failed][restart-api:ok] / `ops/api-outage.md`"
    );
}

#[test]
fn broken_custom_template_is_a_clear_error() {
    let model = ExportModel::from_events(&api_outage(), &meta());
    let error = render_markdown(&model, Some("{{#each commands}}unclosed")).expect_err("bad");
    assert!(matches!(error, TimelineError::Template { .. }));
    assert!(
        error
            .to_string()
            .starts_with("cannot parse postmortem template"),
        "{error}"
    );
}

#[test]
fn a_step_that_passed_on_retry_is_not_a_failed_step() {
    let mut incident = Incident::new();
    incident.push(
        "2024-05-01T14:00:00Z",
        "alice@web1",
        Some("health"),
        started("curl /health", "Health", 1),
    );
    incident.push(
        "2024-05-01T14:00:01Z",
        "alice@web1",
        Some("health"),
        finished(1, 100, StepStatus::Failed),
    );
    incident.push(
        "2024-05-01T14:00:03Z",
        "alice@web1",
        Some("health"),
        started("curl /health", "Health", 2),
    );
    incident.push(
        "2024-05-01T14:00:04Z",
        "alice@web1",
        Some("health"),
        finished(0, 100, StepStatus::Ok),
    );
    incident.push(
        "2024-05-01T14:00:05Z",
        "alice@web1",
        Some("flaky"),
        started("false", "Flaky", 1),
    );
    incident.push(
        "2024-05-01T14:00:06Z",
        "alice@web1",
        Some("flaky"),
        finished(1, 100, StepStatus::Failed),
    );
    incident.push(
        "2024-05-01T14:00:07Z",
        "alice@web1",
        Some("flaky"),
        started("false", "Flaky", 2),
    );
    incident.push(
        "2024-05-01T14:00:08Z",
        "alice@web1",
        Some("flaky"),
        finished(2, 100, StepStatus::Failed),
    );
    let model = ExportModel::from_events(&incident.events, &meta());
    let failed: Vec<(&str, &str)> = model
        .failed_steps
        .iter()
        .map(|p| (p.step.as_str(), p.detail.as_str()))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "flaky");
    assert!(
        failed[0].1.contains("exit 2"),
        "the last attempt describes it: {failed:?}"
    );
}
