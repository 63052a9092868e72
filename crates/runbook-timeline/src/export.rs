//! The postmortem export model: what `runbook export --format json` prints and what the
//! Markdown and HTML templates see. See the crate documentation for the field reference.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use serde::Serialize;
use ulid::Ulid;

use crate::error::TimelineError;
use crate::event::{Event, EventKind, Milestone, StepStatus};
use crate::human_format;

/// Version of the export model's layout, written as `format`.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// Facts about the run that are not in its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunMeta {
    pub run_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportModel {
    pub format: u32,
    pub header: ExportHeader,
    pub milestones: Vec<MilestoneMark>,
    pub metrics: Vec<IncidentMetric>,
    pub timeline: Vec<TimelineRow>,
    pub commands: Vec<CommandRun>,
    pub failed_steps: Vec<StepProblem>,
    pub skipped_steps: Vec<StepProblem>,
    pub edited_steps: Vec<StepEdit>,
    pub notes: Vec<NoteRow>,
    pub inputs: Vec<InputRow>,
    pub outputs: Vec<OutputAppendix>,
    pub step_spans: Vec<StepSpan>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportHeader {
    pub title: String,
    pub run_id: String,
    pub runbook: Option<String>,
    pub runbook_sha256: Option<String>,
    pub mode: Option<String>,
    pub engine_version: Option<String>,
    /// UTC date the run started, `YYYY-MM-DD`.
    pub date: Option<String>,
    pub started: Option<String>,
    pub finished: Option<String>,
    /// RFC 3339 with milliseconds, for machines.
    pub started_rfc3339: Option<String>,
    pub finished_rfc3339: Option<String>,
    pub duration: Option<String>,
    /// `ok`, `failed`, `aborted`, `interrupted`, or `active` when the run never finished.
    pub status: String,
    /// Distinct actors, in order of first appearance.
    pub responders: Vec<String>,
    pub severity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilestoneMark {
    /// `impact_started`, `detected`, `acknowledged`, `mitigated` or `resolved`.
    pub key: &'static str,
    pub label: &'static str,
    /// UTC, `YYYY-MM-DD HH:MM:SS`; `None` when not marked.
    pub at: Option<String>,
    /// RFC 3339 with milliseconds.
    pub at_rfc3339: Option<String>,
    pub marked_by: Option<String>,
    /// The `timestamp.set` event that set it.
    pub seq: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentMetric {
    /// `time_to_detect`, `time_to_acknowledge`, `time_to_mitigate`, `time_to_resolve`.
    pub key: &'static str,
    pub name: &'static str,
    /// e.g. `detected − impact started`.
    pub formula: String,
    pub from: MilestoneMark,
    pub to: MilestoneMark,
    pub duration_ms: Option<i64>,
    pub duration: Option<String>,
    /// The duration, or why there is none (`not marked: impact started`), or a warning when
    /// the marks are in the wrong order.
    pub display: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineRow {
    pub seq: u64,
    /// UTC, `YYYY-MM-DD HH:MM:SS`.
    pub time: String,
    /// RFC 3339 with milliseconds.
    pub ts: String,
    pub actor: String,
    pub kind: String,
    pub step: Option<String>,
    /// Plain text; renderers escape it.
    pub description: String,
    /// This event corrects an earlier one.
    pub correction: bool,
    /// A later event corrects this one.
    pub superseded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommandRun {
    pub step: String,
    pub title: String,
    /// As run (already redacted).
    pub command: String,
    pub cwd: String,
    pub attempt: u32,
    pub started: String,
    pub exit_code: Option<i32>,
    /// Step status, or `unfinished` when the run ended during the step.
    pub status: String,
    pub duration_ms: Option<u64>,
    pub duration: Option<String>,
    /// The command was edited before running.
    pub edited: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepProblem {
    pub step: String,
    pub title: Option<String>,
    pub time: String,
    /// Why it was skipped, or how it failed.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepEdit {
    pub step: String,
    pub title: Option<String>,
    pub time: String,
    pub actor: String,
    pub original: String,
    pub edited: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteRow {
    pub time: String,
    pub actor: String,
    pub step: Option<String>,
    pub text: String,
    pub correction: bool,
    pub superseded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputRow {
    pub name: String,
    /// `None` for secrets.
    pub value: Option<String>,
    pub secret: bool,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputAppendix {
    pub step: String,
    pub title: Option<String>,
    /// Full log, relative to the run directory.
    pub log: String,
    pub bytes: u64,
    pub size: String,
    pub redactions: u64,
    pub tail: String,
    /// The tail is only the end of a longer output.
    pub truncated: bool,
}

/// One step attempt on the run's time axis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepSpan {
    pub step: String,
    pub title: String,
    pub status: String,
    /// Milliseconds from the run's start to the step's start.
    pub offset_ms: i64,
    pub duration_ms: i64,
}

struct MetricDefinition {
    key: &'static str,
    name: &'static str,
    from: Milestone,
    to: Milestone,
}

const METRICS: [MetricDefinition; 4] = [
    MetricDefinition {
        key: "time_to_detect",
        name: "Time to detect",
        from: Milestone::ImpactStarted,
        to: Milestone::Detected,
    },
    MetricDefinition {
        key: "time_to_acknowledge",
        name: "Time to acknowledge",
        from: Milestone::Detected,
        to: Milestone::Acknowledged,
    },
    MetricDefinition {
        key: "time_to_mitigate",
        name: "Time to mitigate",
        from: Milestone::ImpactStarted,
        to: Milestone::Mitigated,
    },
    MetricDefinition {
        key: "time_to_resolve",
        name: "Time to resolve",
        from: Milestone::ImpactStarted,
        to: Milestone::Resolved,
    },
];

struct MarkedMilestone {
    at: Timestamp,
    actor: String,
    seq: u64,
}

impl ExportModel {
    /// Builds the model from a run's events (in file order).
    pub fn from_events(events: &[Event], meta: &RunMeta) -> Self {
        let superseded: HashSet<Ulid> = events.iter().filter_map(|e| e.supersedes).collect();
        let is_superseded = |event: &Event| superseded.contains(&event.id);
        let titles = step_titles(events);
        let milestones = marked_milestones(events, &superseded);

        let milestone_marks: Vec<MilestoneMark> = Milestone::ALL
            .iter()
            .map(|which| milestone_mark(*which, milestones.get(which)))
            .collect();
        let metrics = METRICS
            .iter()
            .map(|definition| metric(definition, &milestones))
            .collect();

        let mut timeline: Vec<(Timestamp, TimelineRow)> = events
            .iter()
            .filter(|e| !matches!(e.kind, EventKind::StepOutput(_)))
            .map(|e| {
                (
                    e.ts,
                    TimelineRow {
                        seq: e.seq,
                        time: human_format::utc_time(e.ts),
                        ts: format!("{:.3}", e.ts),
                        actor: e.actor.clone(),
                        kind: e.kind.name().to_owned(),
                        step: e.step.clone(),
                        description: describe(e, &titles),
                        correction: e.supersedes.is_some(),
                        superseded: is_superseded(e),
                    },
                )
            })
            .collect();
        // After-the-fact events sit where they happened; ties keep file order.
        timeline.sort_by_key(|(ts, row)| (*ts, row.seq));

        let (commands, step_spans) = commands_and_spans(events, run_origin(events));
        let mut failed_steps = Vec::new();
        let mut skipped_steps = Vec::new();
        let mut edited_steps = Vec::new();
        let mut notes = Vec::new();
        let mut inputs: Vec<InputRow> = Vec::new();
        let mut outputs = Vec::new();
        for event in events {
            let step = event.step.clone().unwrap_or_default();
            let title = event.step.as_ref().and_then(|s| titles.get(s)).cloned();
            let time = human_format::utc_time(event.ts);
            match &event.kind {
                EventKind::StepFinished(finished) => match finished.status {
                    StepStatus::Ok => {}
                    StepStatus::Skipped => skipped_steps.push(StepProblem {
                        step,
                        title,
                        time,
                        detail: "skipped".to_owned(),
                    }),
                    status => failed_steps.push(StepProblem {
                        step,
                        title,
                        time,
                        detail: format!(
                            "{status}{} after {}{}",
                            finished
                                .exit_code
                                .map_or(String::new(), |code| format!(" (exit {code})")),
                            human_format::duration_ms(saturating_i64(finished.duration_ms)),
                            finished
                                .detail
                                .as_ref()
                                .map_or(String::new(), |detail| format!(": {detail}"))
                        ),
                    }),
                },
                EventKind::StepSkipped(skipped) => skipped_steps.push(StepProblem {
                    step,
                    title,
                    time,
                    detail: skipped.reason.clone(),
                }),
                EventKind::StepEdited(edit) => edited_steps.push(StepEdit {
                    step,
                    title,
                    time,
                    actor: event.actor.clone(),
                    original: edit.original.clone(),
                    edited: edit.edited.clone(),
                }),
                EventKind::Note(note) => notes.push(NoteRow {
                    time,
                    actor: event.actor.clone(),
                    step: event.step.clone(),
                    text: note.text.clone(),
                    correction: event.supersedes.is_some(),
                    superseded: is_superseded(event),
                }),
                EventKind::InputProvided(input) => {
                    let row = InputRow {
                        name: input.name.clone(),
                        value: if input.secret {
                            None
                        } else {
                            input.value.clone()
                        },
                        secret: input.secret,
                        source: input.source.to_string(),
                    };
                    match inputs.iter_mut().find(|known| known.name == row.name) {
                        Some(known) => *known = row,
                        None => inputs.push(row),
                    }
                }
                EventKind::StepOutput(output) => outputs.push(OutputAppendix {
                    step,
                    title,
                    log: output.log.clone(),
                    bytes: output.bytes,
                    size: human_format::bytes(output.bytes),
                    redactions: output.redactions,
                    tail: output.tail.clone(),
                    truncated: output.bytes > output.tail.len() as u64,
                }),
                _ => {}
            }
        }
        // A step that failed and then succeeded on a retry did not fail; several failed
        // attempts of one step are one problem, described by the last attempt.
        let mut final_status: std::collections::HashMap<&str, StepStatus> =
            std::collections::HashMap::new();
        for event in events {
            if let (Some(step), EventKind::StepFinished(finished)) = (&event.step, &event.kind) {
                final_status.insert(step.as_str(), finished.status);
            }
        }
        failed_steps
            .retain(|problem| final_status.get(problem.step.as_str()) != Some(&StepStatus::Ok));
        let mut seen_failed = std::collections::HashSet::new();
        failed_steps.reverse();
        failed_steps.retain(|problem| seen_failed.insert(problem.step.clone()));
        failed_steps.reverse();

        ExportModel {
            format: EXPORT_FORMAT_VERSION,
            header: header(events, meta, &superseded),
            milestones: milestone_marks,
            metrics,
            timeline: timeline.into_iter().map(|(_, row)| row).collect(),
            commands,
            failed_steps,
            skipped_steps,
            edited_steps,
            notes,
            inputs,
            outputs,
            step_spans,
        }
    }
}

/// The model as pretty-printed JSON.
pub fn render_json(model: &ExportModel) -> Result<String, TimelineError> {
    serde_json::to_string_pretty(model).map_err(|source| TimelineError::Serialize {
        what: "export model",
        source,
    })
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn step_titles(events: &[Event]) -> HashMap<String, String> {
    events
        .iter()
        .filter_map(|e| match (&e.kind, &e.step) {
            (EventKind::StepStarted(started), Some(step)) => {
                Some((step.clone(), started.title.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Latest mark per milestone in file order, ignoring marks that a later event corrected.
fn marked_milestones(
    events: &[Event],
    superseded: &HashSet<Ulid>,
) -> BTreeMap<Milestone, MarkedMilestone> {
    let mut marks = BTreeMap::new();
    for event in events {
        if let EventKind::TimestampSet(set) = &event.kind
            && !superseded.contains(&event.id)
        {
            marks.insert(
                set.which,
                MarkedMilestone {
                    at: set.at,
                    actor: event.actor.clone(),
                    seq: event.seq,
                },
            );
        }
    }
    marks
}

fn milestone_mark(which: Milestone, mark: Option<&MarkedMilestone>) -> MilestoneMark {
    MilestoneMark {
        key: which.key(),
        label: which.label(),
        at: mark.map(|m| human_format::utc_time(m.at)),
        at_rfc3339: mark.map(|m| format!("{:.3}", m.at)),
        marked_by: mark.map(|m| m.actor.clone()),
        seq: mark.map(|m| m.seq),
    }
}

fn metric(
    definition: &MetricDefinition,
    marks: &BTreeMap<Milestone, MarkedMilestone>,
) -> IncidentMetric {
    let from = marks.get(&definition.from);
    let to = marks.get(&definition.to);
    let duration_ms = match (from, to) {
        (Some(from), Some(to)) => Some(
            to.at
                .as_millisecond()
                .saturating_sub(from.at.as_millisecond()),
        ),
        _ => None,
    };
    let missing: Vec<&str> = [(definition.from, from), (definition.to, to)]
        .iter()
        .filter(|(_, mark)| mark.is_none())
        .map(|(which, _)| which.label())
        .collect();
    let display = match duration_ms {
        Some(ms) if ms < 0 => format!(
            "{} ({} is before {}: check the marked times)",
            human_format::duration_ms(ms),
            definition.to.label(),
            definition.from.label()
        ),
        Some(ms) => human_format::duration_ms(ms),
        None => format!("not marked: {}", missing.join(", ")),
    };
    IncidentMetric {
        key: definition.key,
        name: definition.name,
        formula: format!("{} − {}", definition.to.label(), definition.from.label()),
        from: milestone_mark(definition.from, from),
        to: milestone_mark(definition.to, to),
        duration_ms,
        duration: duration_ms.map(human_format::duration_ms),
        display,
    }
}

fn run_origin(events: &[Event]) -> Option<Timestamp> {
    events
        .iter()
        .find(|e| matches!(e.kind, EventKind::RunStarted(_)))
        .map(|e| e.ts)
        .or_else(|| events.iter().map(|e| e.ts).min())
}

fn header(events: &[Event], meta: &RunMeta, superseded: &HashSet<Ulid>) -> ExportHeader {
    let started_event = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::RunStarted(_)));
    let started = match started_event.map(|e| &e.kind) {
        Some(EventKind::RunStarted(started)) => Some(started),
        _ => None,
    };
    let finished = events.iter().rev().find_map(|e| match &e.kind {
        EventKind::RunFinished(finished) => Some((e.ts, finished)),
        _ => None,
    });
    let start_ts = run_origin(events);
    let mut responders: Vec<String> = Vec::new();
    for event in events {
        if !responders.contains(&event.actor) {
            responders.push(event.actor.clone());
        }
    }
    let severity = events
        .iter()
        .rev()
        .filter(|e| !superseded.contains(&e.id))
        .find_map(|e| match &e.kind {
            EventKind::SeverityChanged(changed) => Some(changed.severity.clone()),
            _ => None,
        });
    ExportHeader {
        title: started.map_or_else(|| "Untitled run".to_owned(), |s| s.title.clone()),
        run_id: meta.run_id.clone(),
        runbook: started.map(|s| s.runbook.clone()),
        runbook_sha256: started.map(|s| s.sha256.clone()),
        mode: started.map(|s| s.mode.to_string()),
        engine_version: started.map(|s| s.engine_version.clone()),
        date: start_ts.map(human_format::utc_date),
        started: start_ts.map(human_format::utc_time),
        finished: finished.map(|(ts, _)| human_format::utc_time(ts)),
        started_rfc3339: start_ts.map(|ts| format!("{ts:.3}")),
        finished_rfc3339: finished.map(|(ts, _)| format!("{ts:.3}")),
        duration: match (start_ts, finished) {
            (Some(start), Some((end, _))) => Some(human_format::duration_ms(
                end.as_millisecond() - start.as_millisecond(),
            )),
            _ => None,
        },
        status: finished.map_or_else(|| "active".to_owned(), |(_, f)| f.status.to_string()),
        responders,
        severity,
    }
}

fn commands_and_spans(
    events: &[Event],
    origin: Option<Timestamp>,
) -> (Vec<CommandRun>, Vec<StepSpan>) {
    struct Open {
        index: usize,
        started: Timestamp,
    }
    let mut commands: Vec<CommandRun> = Vec::new();
    let mut spans: Vec<StepSpan> = Vec::new();
    let mut open: HashMap<String, Open> = HashMap::new();
    let mut pending_edit: HashSet<String> = HashSet::new();
    let origin_ms = origin.map_or(0, |ts| ts.as_millisecond());
    let last_ms = events
        .iter()
        .map(|e| e.ts.as_millisecond())
        .max()
        .unwrap_or(origin_ms);

    for event in events {
        let Some(step) = &event.step else { continue };
        match &event.kind {
            EventKind::StepEdited(_) => {
                pending_edit.insert(step.clone());
            }
            EventKind::StepStarted(started) => {
                commands.push(CommandRun {
                    step: step.clone(),
                    title: started.title.clone(),
                    // Scripts end with a newline, which would render as an empty last line.
                    command: started.command.trim_end().to_owned(),
                    cwd: started.cwd.clone(),
                    attempt: started.attempt,
                    started: human_format::utc_time(event.ts),
                    exit_code: None,
                    status: "unfinished".to_owned(),
                    duration_ms: None,
                    duration: None,
                    edited: pending_edit.remove(step),
                });
                spans.push(StepSpan {
                    step: step.clone(),
                    title: started.title.clone(),
                    status: "unfinished".to_owned(),
                    offset_ms: event.ts.as_millisecond() - origin_ms,
                    duration_ms: (last_ms - event.ts.as_millisecond()).max(0),
                });
                open.insert(
                    step.clone(),
                    Open {
                        index: commands.len() - 1,
                        started: event.ts,
                    },
                );
            }
            EventKind::StepFinished(finished) => {
                if let Some(Open { index, started }) = open.remove(step) {
                    let command = &mut commands[index];
                    command.exit_code = finished.exit_code;
                    command.status = finished.status.to_string();
                    command.duration_ms = Some(finished.duration_ms);
                    command.duration = Some(human_format::duration_ms(saturating_i64(
                        finished.duration_ms,
                    )));
                    let span = &mut spans[index];
                    span.status = finished.status.to_string();
                    span.duration_ms = saturating_i64(finished.duration_ms)
                        .max(event.ts.as_millisecond() - started.as_millisecond())
                        .max(0);
                }
            }
            _ => {}
        }
    }
    (commands, spans)
}

/// One plain-text line per event, for the timeline table.
fn describe(event: &Event, titles: &HashMap<String, String>) -> String {
    let step = event.step.as_deref().unwrap_or("?");
    let titled_step = match titles.get(step) {
        Some(title) if title != step => format!("{step} ({title})"),
        _ => step.to_owned(),
    };
    let text = match &event.kind {
        EventKind::RunStarted(started) => format!(
            "Run started: {} ({}, {} mode, {} steps)",
            started.title, started.runbook, started.mode, started.step_count
        ),
        EventKind::RunPaused(paused) => format!("Run paused: {}", paused.reason),
        EventKind::RunResumed(_) => "Run resumed".to_owned(),
        EventKind::RunFinished(finished) => {
            let c = finished.counts;
            format!(
                "Run finished: {} ({} ok, {} failed, {} skipped, {} interrupted, {} timed out, {} not run)",
                finished.status, c.ok, c.failed, c.skipped, c.interrupted, c.timed_out, c.not_run
            )
        }
        EventKind::InputProvided(input) => match (&input.value, input.secret) {
            (Some(value), false) => {
                format!("Input {} = {value} (from {})", input.name, input.source)
            }
            _ => format!(
                "Input {}{} provided (from {})",
                input.name,
                if input.secret { " (secret)" } else { "" },
                input.source
            ),
        },
        EventKind::StepStarted(started) => {
            let attempt = if started.attempt > 1 {
                format!(", attempt {}", started.attempt)
            } else {
                String::new()
            };
            // Scripts end with a newline; it would show as a stray line break.
            format!(
                "Step {titled_step} started{attempt}: {}",
                started.command.trim_end()
            )
        }
        EventKind::StepEdited(_) => format!("Step {titled_step}: command edited before running"),
        EventKind::StepOutput(output) => format!(
            "Step {titled_step} output: {} ({})",
            human_format::bytes(output.bytes),
            output.log
        ),
        EventKind::StepFinished(finished) => format!(
            "Step {titled_step} finished: {}{} in {}",
            finished.status,
            finished
                .exit_code
                .map_or(String::new(), |code| format!(", exit {code}")),
            human_format::duration_ms(saturating_i64(finished.duration_ms))
        ),
        EventKind::StepSkipped(skipped) => {
            format!("Step {titled_step} skipped: {}", skipped.reason)
        }
        EventKind::PromptAnswered(prompt) => {
            format!(
                "Asked \"{}\", answered \"{}\"",
                prompt.question, prompt.answer
            )
        }
        EventKind::Note(note) => format!("Note: {}", note.text),
        EventKind::TimestampSet(set) => format!(
            "Marked {} at {}",
            set.which.label(),
            human_format::utc_time(set.at)
        ),
        EventKind::SeverityChanged(changed) => format!("Severity set to {}", changed.severity),
        EventKind::Unknown { kind, .. } => format!("Event of unknown kind {kind}"),
    };
    if event.supersedes.is_some() {
        format!("Correction: {text}")
    } else {
        text
    }
}
