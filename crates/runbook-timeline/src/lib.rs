//! The incident timeline: the on-disk event format, its writer and reader, run directories,
//! and the postmortem export.
//!
//! # Storage
//!
//! ```text
//! <state dir>/runs/<run id (ULID)>/timeline.jsonl       one JSON event per line
//! <state dir>/runs/<run id>/steps/<NNN>-<step id>.log    full (redacted) output of each step
//! ```
//!
//! The state dir is `--state-dir`, else `$RUNBOOK_STATE_DIR`, else `./.runbook`
//! ([`StateDir::resolve`]).
//!
//! # Event lines
//!
//! ```json
//! {"v":1,"seq":4,"id":"01HX…","ts":"2024-05-01T14:03:22.123Z","recorded_at":"2024-05-01T14:03:22.125Z",
//!  "actor":"alice@web1","kind":"step.finished","step":"restart-api",
//!  "data":{"exit_code":0,"duration_ms":1520,"status":"ok","redactions":0}}
//! ```
//!
//! `v` schema version; `seq` 1, 2, 3… (a gap means a lost write); `id` ULID; `ts` when it
//! happened and `recorded_at` when it was written (RFC 3339 UTC, milliseconds); `actor`
//! `user@host` or `automation`; `kind` + `data` per [`EventKind`]; optional `step`; optional
//! `supersedes` naming an event this one corrects. Lines are never rewritten: corrections are new
//! events. Unknown kinds are kept as [`EventKind::Unknown`] so newer files still read.
//!
//! [`TimelineWriter`] appends under an exclusive file lock with one `write` per batch on an
//! `O_APPEND` descriptor, and fsyncs every event except `step.output` before returning, so
//! several processes can append to one run. [`read_timeline`] skips a torn last line and corrupt
//! lines with [`TimelineWarning`]s, and flags sequence gaps.
//!
//! # Export model
//!
//! [`ExportModel::from_events`] is both the JSON export ([`render_json`]) and the data every
//! Markdown template sees ([`render_markdown`]; the built-in one is
//! `templates/postmortem.md.hbs`). Times are UTC `YYYY-MM-DD HH:MM:SS` strings; durations are
//! human strings (`4m 05s`) next to raw milliseconds. Fields:
//!
//! - `format`: layout version of this model (1).
//! - `header`: `title`, `run_id`, `runbook`, `runbook_sha256`, `mode`, `engine_version`, `date`,
//!   `started`, `finished` (and `started_rfc3339`, `finished_rfc3339`), `duration`, `status` (`ok`/`failed`/`aborted`/`interrupted`/`active`),
//!   `responders` (distinct actors in order of appearance), `severity` (latest
//!   `severity.changed`).
//! - `milestones[]`: `key` (`impact_started`, `detected`, `acknowledged`, `mitigated`,
//!   `resolved`), `label`, `at`, `at_rfc3339`, `marked_by`, `seq`. The latest `timestamp.set`
//!   for a milestone wins; a mark corrected by a later event (`supersedes`) is ignored.
//! - `metrics[]`: `key`, `name`, `formula`, `from` and `to` (milestones as above),
//!   `duration_ms`, `duration`, `display` (the duration, or `not marked: …`, or a warning when
//!   the marks are out of order). Time to detect = detected − impact started; to acknowledge =
//!   acknowledged − detected; to mitigate = mitigated − impact started; to resolve = resolved −
//!   impact started.
//! - `timeline[]`: `seq`, `time`, `ts` (RFC 3339), `actor`, `kind`, `step`, `description` (plain text),
//!   `correction`, `superseded`; sorted by when things happened, `step.output` left out.
//! - `commands[]`: `step`, `title`, `command`, `cwd`, `attempt`, `started`, `exit_code`,
//!   `status` (or `unfinished`), `duration_ms`, `duration`, `edited`.
//! - `failed_steps[]`, `skipped_steps[]`: `step`, `title`, `time`, `detail`.
//! - `edited_steps[]`: `step`, `title`, `time`, `actor`, `original`, `edited`.
//! - `notes[]`: `time`, `actor`, `step`, `text`, `correction`, `superseded`.
//! - `inputs[]`: `name`, `value` (`null` for secrets), `secret`, `source`; latest per name.
//! - `outputs[]`: `step`, `title`, `log`, `bytes`, `size`, `redactions`, `tail`, `truncated`.
//! - `step_spans[]`: `step`, `title`, `status`, `offset_ms` (from run start), `duration_ms`.
//!
//! [`render_html`] renders the same content as one self-contained page with a time axis.

mod actor;
mod error;
mod event;
mod export;
mod human_format;
mod reader;
mod render_html;
mod render_markdown;
mod run_lock;
mod run_state;
mod runs;
mod state_dir;
mod step_log;
mod writer;

pub use actor::{AUTOMATION_ACTOR, current_actor};
pub use error::TimelineError;
pub use event::{
    Event, EventDraft, EventKind, InputProvided, InputSource, Milestone, Note, PromptAnswered,
    RunFinished, RunMode, RunPaused, RunResumed, RunStarted, RunStatus, SCHEMA_VERSION,
    SeverityChanged, StepCounts, StepEdited, StepFinished, StepOutput, StepSkipped, StepStarted,
    StepStatus, TimestampSet, millis_timestamp,
};
pub use export::{
    CommandRun, EXPORT_FORMAT_VERSION, ExportHeader, ExportModel, IncidentMetric, InputRow,
    MilestoneMark, NoteRow, OutputAppendix, RunMeta, StepEdit, StepProblem, StepSpan, TimelineRow,
    render_json,
};
pub use reader::{TimelineWarning, parse_timeline, read_timeline};
pub use render_html::{HTML_TEMPLATE, render_html};
pub use render_markdown::{DEFAULT_MARKDOWN_TEMPLATE, escape_markdown, render_markdown};
pub use run_lock::{RUN_LOCK_FILE, RunLock};
pub use run_state::{RunState, UnfinishedStep};
pub use runs::{RunSummary, RunSummaryStatus, active_run, find_run, list_runs};
pub use state_dir::{
    DEFAULT_STATE_DIR, RUNS_DIR, RunDir, STATE_DIR_ENV, STEPS_DIR, StateDir, TIMELINE_FILE,
};
pub use step_log::{OUTPUT_TAIL_BYTES, StepLog};
pub use writer::TimelineWriter;
