//! Command-line definitions. Every subcommand's help ends with examples.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes:
  0    success
  1    a step failed, or `check` found errors
  2    usage or input error (bad flag, unreadable file, missing variable, no terminal)
  130  interrupted (Ctrl-C); the run's state is saved

Examples:
  runbook run runbooks/demo/disk-full.md
  runbook list runbooks/demo/disk-full.md
  runbook check runbooks/
  runbook graph runbooks/demo/disk-full.md --format mermaid
  runbook resume --yes
  runbook export --format html -o postmortem.html";

#[derive(Debug, Parser)]
#[command(
    name = "runbook",
    version,
    about = "Run Markdown runbooks step by step, and check them",
    long_about = "runbook turns an operations runbook written in Markdown (headings, prose, numbered lists, \
checklists and fenced bash blocks) into a step graph. It lists and checks runbooks as they are written, \
with no annotations needed; fence attributes such as {name=restart confirm=true timeout=30s} add power.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a runbook step by step: confirm, skip, edit, note, jump or quit at each step
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Show one line per step: id, heading, kind, flags, inputs and line
    #[command(
        after_help = "Examples:\n  runbook list runbooks/demo/disk-full.md\n  runbook list incident.md --json | jq '.steps[] | select(.flags.destructive != [])'\n  runbook list incident.md --explain"
    )]
    List(ListArgs),
    /// Report every problem in one or more runbooks, rustc-style
    #[command(
        after_help = "Exit status: 0 when clean, 1 when there are errors (or warnings with --deny warnings), 2 on usage or IO failure.\n\nExamples:\n  runbook check runbooks/\n  runbook check a.md b.md --format json\n  runbook check runbooks/ --deny warnings --format github"
    )]
    Check(CheckArgs),
    /// Draw the step graph as Mermaid (renders on GitHub) or Graphviz dot
    #[command(
        after_help = "Examples:\n  runbook graph incident.md > graph.mmd\n  runbook graph incident.md --format dot | dot -Tsvg > graph.svg"
    )]
    Graph(GraphArgs),
    /// Continue an interrupted run (quit, Ctrl-C, crash, kill) where it stopped
    #[command(after_help = RESUME_HELP)]
    Resume(ResumeArgs),
    /// Add a note to a run's timeline, from any terminal
    #[command(after_help = NOTE_HELP)]
    Note(NoteArgs),
    /// Record an incident milestone (detected, mitigated, …) in a run's timeline
    #[command(after_help = MARK_HELP)]
    Mark(MarkArgs),
    /// Record the incident's severity in a run's timeline
    #[command(after_help = SEVERITY_HELP)]
    Severity(SeverityArgs),
    /// List recorded runs, newest first
    #[command(after_help = RUNS_HELP)]
    Runs(RunsArgs),
    /// Print a run's timeline (UTC)
    #[command(after_help = TIMELINE_HELP)]
    Timeline(TimelineArgs),
    /// Export a run as a postmortem draft (Markdown), JSON or a self-contained HTML page
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// Start a new runbook from a template (incident, maintenance or blank)
    #[command(
        after_help = "The file passes `runbook check` as written; fill in the commands.\n\nExamples:\n  runbook new api-outage\n  runbook new db-upgrade --template maintenance --title \"Upgrade Postgres 15 to 16\" --owner dba-team\n  runbook new notes --template blank --dir runbooks/"
    )]
    New(NewArgs),
    /// Print a shell completion script (bash, zsh or fish), with step and section names for --from/--only/--section
    #[command(
        after_help = "Examples:\n  runbook completions bash > ~/.local/share/bash-completion/completions/runbook\n  runbook completions zsh > \"${fpath[1]}/_runbook\"\n  runbook completions fish > ~/.config/fish/completions/runbook.fish"
    )]
    Completions(CompletionsArgs),
    /// Used by the completion scripts: step ids or section titles of a runbook
    #[command(name = "__complete", hide = true)]
    Complete(CompleteArgs),
    /// Writes man pages for runbook and its subcommands into DIR (used by `cargo xtask man`)
    #[command(name = "__man", hide = true)]
    Man(ManArgs),
}

const RUN_HELP: &str = "\
Each step shows its heading, prose, command (variables filled in) and flags,
then asks with one key: Enter/y run · s skip · e edit · n note · j jump ·
l list · m mark · q quit · ? help. Destructive steps need the step name (or
`yes`) typed. Every run writes an append-only timeline under
.runbook/runs/<id>/ (or --state-dir / RUNBOOK_STATE_DIR).

Variables come from --var, then --env-file (or ./.env), then the
environment, then front-matter defaults; missing ones are asked for just
before the first step that needs them (secrets without echo).

Exit codes: 0 done (or quit with state saved) · 1 a step failed · 2 usage or
input error (no terminal without --yes, missing variable) · 130 interrupted.

Examples:
  runbook run runbooks/demo/disk-full.md
  runbook run incident.md --from restart-api --var NAMESPACE=prod
  runbook run drill.md --yes --allow-destructive --var PAGER_TOKEN=x
  runbook run incident.md --section Triage --dry-run";

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The runbook (Markdown)
    pub file: PathBuf,
    #[command(flatten)]
    pub variables: VariableArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub mode: ModeArgs,
    /// Print the plan with rendered commands and the inputs still missing; run nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub state: StateDirArgs,
}

/// How a run or a resumed run proceeds: asking, or unattended.
#[derive(Debug, Args)]
pub struct ModeArgs {
    /// Unattended: run the steps in order without prompting; stop at the first failure
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With --yes: keep going after a failed step
    #[arg(long, requires = "yes")]
    pub keep_going: bool,
    /// With --yes: run destructive steps (refused otherwise)
    #[arg(long, requires = "yes")]
    pub allow_destructive: bool,
}

#[derive(Debug, Args)]
pub struct VariableArgs {
    /// Set a variable: NAME=VALUE (repeatable); wins over every other source
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub var: Vec<String>,
    /// Read variables from a .env file (repeatable); ./.env is read when none is given
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Start at this step (id, name or number) and run everything after it
    #[arg(long, value_name = "STEP")]
    pub from: Option<String>,
    /// Run only this step (repeatable), plus the steps it needs
    #[arg(long, value_name = "STEP")]
    pub only: Vec<String>,
    /// Run the steps under headings starting with this text ("Triage", "Recovery/Full")
    #[arg(long, value_name = "HEADING")]
    pub section: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The runbook (Markdown)
    pub file: PathBuf,
    /// Print a stable JSON document instead (see README, "list --json")
    #[arg(long)]
    pub json: bool,
    /// Also say why each block was classified as it was
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    Warnings,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Runbook files, or directories searched for *.md
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
    /// Treat warnings as errors (for CI)
    #[arg(long, value_enum)]
    pub deny: Option<Deny>,
    /// Skip ShellCheck even when it is installed
    #[arg(long)]
    pub no_shellcheck: bool,
    /// Skip the lints that start processes (`bash -n`, ShellCheck): in-process checks only
    #[arg(long)]
    pub fast: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The runbook (Markdown)
    pub file: PathBuf,
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

const RESUME_HELP: &str = "\
Picks up a run that stopped before the end: quit with `q`, Ctrl-C, a failed
step under --yes, a crash or kill -9. Steps that finished ok are not run
again; skipped steps stay skipped (rerun them with --force). A step that was
started but never recorded as finished (the run died during it) runs again,
so it may run twice in total. Non-secret inputs, the working directory and
the shell variables the steps set are restored; secrets were never recorded
and are asked for again (give them with --var or the environment under
--yes). --var wins over restored values. Everything is appended to the same
timeline. If the runbook changed since the run started, the changed steps
are listed before anything runs.

RUN is a run id or a unique prefix; by default the newest run that has not
finished ok. A run that finished ok is only resumed with --force, which then
reruns every step that did not end ok.

Examples:
  runbook resume
  runbook resume 01J9Z --yes --var API_TOKEN=$TOKEN
  runbook resume --file runbooks/db-failover.md
  runbook resume 01J9ZQ4 --force";

const NOTE_HELP: &str = "\
Appends a note (actor user@host) to a run's timeline. Safe from any number
of terminals at once, while the run is going on. By default the newest run
that has not finished.

Examples:
  runbook note \"customers report 502s on checkout\"
  runbook note \"restart did not help\" --step restart-api
  runbook note --run 01J9Z \"handed over to bob\"";

const MARK_HELP: &str = "\
Records when an incident milestone happened; the postmortem export computes
time to detect/acknowledge/mitigate/resolve from these marks. The latest
mark of each kind wins. --at takes RFC 3339, HH:MM[:SS] (UTC, today) or a
time ago such as -15m; default now. By default the newest run that has not
finished.

Examples:
  runbook mark detected
  runbook mark impact-started --at 13:50
  runbook mark mitigated --at -5m --run 01J9Z
  runbook mark resolved --at 2024-05-01T15:04:00Z";

const SEVERITY_HELP: &str = "\
Records the incident's severity (the latest wins in the export). By default
the newest run that has not finished.

Examples:
  runbook severity SEV2
  runbook severity SEV1 --run 01J9Z";

const RUNS_HELP: &str = "\
One line per run: id, runbook, start (UTC), duration, status and who started
it. Status is ok, failed or aborted for finished runs; running while a
runbook process executes it; paused after `q` or Ctrl-C; unfinished when the
process died (crash, kill) — `runbook resume` continues paused, unfinished
and failed runs.

Examples:
  runbook runs
  runbook runs --json | jq '.[] | select(.status == \"failed\") | .id'
  RUNBOOK_STATE_DIR=/srv/incidents runbook runs";

const TIMELINE_HELP: &str = "\
Prints every event of a run in the order it happened, times in UTC: time,
actor, step and what happened (step output is in the step logs, not here).
--json prints the raw JSON Lines instead. Problems found in the file (a
line cut short by a crash, lost lines) are reported on stderr. RUN is a run
id or unique prefix; by default the newest run.

Examples:
  runbook timeline
  runbook timeline 01J9Z
  runbook timeline --json | jq -c 'select(.kind == \"step.finished\")'";

const EXPORT_HELP: &str = "\
markdown: a postmortem draft (summary placeholders, impact metrics, timeline,
commands, failed/skipped/edited steps, notes, inputs, output appendix), from
the built-in template or --template (Handlebars; see the README for the
fields). json: the same data as a stable JSON document. html: one
self-contained page (no scripts, no network) with a time axis of the steps.
Secrets never appear: they were never recorded. RUN is a run id or unique
prefix; by default the newest run.

Examples:
  runbook export > postmortem.md
  runbook export 01J9Z --format html -o incident.html
  runbook export --format json | jq .metrics
  runbook export --template team-postmortem.md.hbs -o draft.md";

/// `--state-dir`, shared by every command that reads or writes runs.
#[derive(Debug, Args)]
pub struct StateDirArgs {
    /// Where runs are recorded [default: ./.runbook]
    #[arg(long, env = "RUNBOOK_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// Run id or unique prefix [default: the newest run that has not finished ok]
    pub run: Option<String>,
    /// The runbook, when it is no longer at the path the run recorded
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Resume a run that finished ok, rerunning every step that did not end ok (skipped too)
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub variables: VariableArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub mode: ModeArgs,
    #[command(flatten)]
    pub state: StateDirArgs,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    /// The note; several words are joined with spaces
    #[arg(required = true, value_name = "TEXT")]
    pub text: Vec<String>,
    /// Run id or unique prefix [default: the newest run that has not finished]
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,
    /// Attach the note to this step
    #[arg(long, value_name = "ID")]
    pub step: Option<String>,
    #[command(flatten)]
    pub state: StateDirArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MilestoneArg {
    ImpactStarted,
    Detected,
    Acknowledged,
    Mitigated,
    Resolved,
}

#[derive(Debug, Args)]
pub struct MarkArgs {
    /// Which milestone
    #[arg(value_enum)]
    pub which: MilestoneArg,
    /// When it happened: RFC 3339, HH:MM[:SS] (UTC today) or -15m [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Run id or unique prefix [default: the newest run that has not finished]
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,
    #[command(flatten)]
    pub state: StateDirArgs,
}

#[derive(Debug, Args)]
pub struct SeverityArgs {
    /// The severity, in your team's words (SEV1, P2, major…)
    pub severity: String,
    /// Run id or unique prefix [default: the newest run that has not finished]
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,
    #[command(flatten)]
    pub state: StateDirArgs,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Print a JSON array instead
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub state: StateDirArgs,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Run id or unique prefix [default: the newest run]
    pub run: Option<String>,
    /// Print the raw JSON Lines instead
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub state: StateDirArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Markdown,
    Json,
    Html,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Run id or unique prefix [default: the newest run]
    pub run: Option<String>,
    #[arg(long, value_enum, default_value_t = ExportFormat::Markdown)]
    pub format: ExportFormat,
    /// Handlebars template for the Markdown draft [default: the built-in one]
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Write to FILE instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub state: StateDirArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateKind {
    Incident,
    Maintenance,
    Blank,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// File name for the runbook (".md" is added when missing), e.g. api-outage
    pub name: String,
    #[arg(long, value_enum, default_value_t = TemplateKind::Incident)]
    pub template: TemplateKind,
    /// Title (first heading) [default: from NAME]
    #[arg(long)]
    pub title: Option<String>,
    /// Owning team or person, written to the front matter [default: $USER]
    #[arg(long)]
    pub owner: Option<String>,
    /// Directory to write into
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: CompletionShell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompleteWhat {
    Steps,
    Sections,
}

#[derive(Debug, Args)]
pub struct CompleteArgs {
    pub what: CompleteWhat,
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    pub dir: PathBuf,
}
