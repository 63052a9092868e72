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
  runbook graph runbooks/demo/disk-full.md --format mermaid";

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
    #[command(after_help = "Examples:\n  runbook list runbooks/demo/disk-full.md\n  runbook list incident.md --json | jq '.steps[] | select(.flags.destructive != [])'\n  runbook list incident.md --explain")]
    List(ListArgs),
    /// Report every problem in one or more runbooks, rustc-style
    #[command(after_help = "Exit status: 0 when clean, 1 when there are errors (or warnings with --deny warnings), 2 on usage or IO failure.\n\nExamples:\n  runbook check runbooks/\n  runbook check a.md b.md --format json\n  runbook check runbooks/ --deny warnings --format github")]
    Check(CheckArgs),
    /// Draw the step graph as Mermaid (renders on GitHub) or Graphviz dot
    #[command(after_help = "Examples:\n  runbook graph incident.md > graph.mmd\n  runbook graph incident.md --format dot | dot -Tsvg > graph.svg")]
    Graph(GraphArgs),
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
    /// Unattended: run everything in order without prompting; stop at the first failure
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With --yes: keep going after a failed step
    #[arg(long, requires = "yes")]
    pub keep_going: bool,
    /// With --yes: run destructive steps (refused otherwise)
    #[arg(long, requires = "yes")]
    pub allow_destructive: bool,
    /// Print the plan with rendered commands and the inputs still missing; run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Where runs are recorded [default: ./.runbook]
    #[arg(long, env = "RUNBOOK_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
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
