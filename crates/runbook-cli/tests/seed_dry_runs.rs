//! The seed runbooks (`../shared/seeds/`, real operations documents with no annotations at all)
//! give a sensible `runbook run FILE --dry-run` plan: every step of `runbook list --json` in
//! order, context blocks marked as never run, destructive/endless/interactive flags shown, and
//! the inputs nobody has given yet listed. Each plan is also a reviewed insta snapshot.

use runbook_graph::{InputKind, StepGraph, StepKind};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_runbook");

/// Fixed values for the only variables the dry runs see, so the plans do not depend on who runs
/// the tests.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("HOME", "/home/responder"),
    ("USER", "responder"),
    ("LANG", "C.UTF-8"),
    ("NO_COLOR", "1"),
];

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds")
}

fn seed_files() -> Option<Vec<PathBuf>> {
    let dir = seeds_dir();
    let entries = fs::read_dir(&dir).ok()?;
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("seed dir entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    Some(files)
}

/// `runbook ARGS` in an empty directory (no `.env` to pick up) with only [`ENVIRONMENT`] and PATH.
fn runbook(scratch: &Path, args: &[&str]) -> Output {
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
    Command::new(BINARY)
        .args(args)
        .current_dir(scratch)
        .env_clear()
        .env("PATH", path)
        .env("RUNBOOK_STATE_DIR", scratch.join("state"))
        .envs(ENVIRONMENT.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run the runbook binary")
}

/// One step's lines of the plan: the header `N/M id [kind] heading` and its indented lines.
struct PlanBlock<'a> {
    number: usize,
    total: usize,
    id: &'a str,
    kind: &'a str,
    lines: Vec<&'a str>,
}

impl PlanBlock<'_> {
    fn has_line_starting(&self, prefix: &str) -> Option<&str> {
        self.lines
            .iter()
            .map(|line| line.trim_start())
            .find(|line| line.starts_with(prefix))
    }
}

fn parse_plan(plan: &str) -> (Vec<PlanBlock<'_>>, &str) {
    let header = regex::Regex::new(r"^(\d+)/(\d+) (\S+) \[(\w+)\]").expect("header regex");
    let mut blocks: Vec<PlanBlock> = Vec::new();
    let mut summary = "";
    for line in plan.lines() {
        if let Some(captures) = header.captures(line) {
            blocks.push(PlanBlock {
                number: captures[1].parse().expect("step number"),
                total: captures[2].parse().expect("step total"),
                id: captures.get(3).expect("id").as_str(),
                kind: captures.get(4).expect("kind").as_str(),
                lines: Vec::new(),
            });
        } else if line.starts_with("inputs still missing:") || line == "every input has a value" {
            summary = line;
        } else if line.starts_with("  ")
            && let Some(block) = blocks.last_mut()
        {
            block.lines.push(line);
        }
    }
    (blocks, summary)
}

/// The inputs a plan must call missing, worked out from the step graph: every required input
/// and every variable read before it is set, unless an earlier step assigns it or the
/// environment has it. Positional parameters are named `ARG1`, `ARG2`, ...
fn expected_missing(graph: &StepGraph, defaults: &BTreeSet<String>) -> Vec<(String, Vec<String>)> {
    let environment: BTreeSet<&str> = ENVIRONMENT
        .iter()
        .map(|(name, _)| *name)
        .chain(["PATH", "RUNBOOK_STATE_DIR"])
        .collect();
    let mut assigned: BTreeSet<String> = BTreeSet::new();
    let mut per_step = Vec::new();
    for &index in &graph.order {
        let step = &graph.steps[index];
        let mut missing: Vec<String> = Vec::new();
        let required = step
            .inputs()
            .iter()
            .filter(|input| !input.optional)
            .map(|input| {
                if input.kind == InputKind::Positional {
                    format!("ARG{}", input.name)
                } else {
                    input.name.clone()
                }
            });
        for name in required.chain(step.reads().iter().cloned()) {
            if !assigned.contains(&name)
                && !environment.contains(name.as_str())
                && !defaults.contains(&name)
                && !missing.contains(&name)
            {
                missing.push(name);
            }
        }
        per_step.push((step.id.to_string(), missing));
        assigned.extend(step.assigns().iter().cloned());
    }
    per_step
}

fn check_plan(seed: &Path, plan: &str, listed: &Value) {
    let name = seed.display();
    let (blocks, summary) = parse_plan(plan);
    let steps = listed["steps"].as_array().expect("list --json has steps");
    assert!(!steps.is_empty(), "{name}: no steps found");
    assert_eq!(
        blocks.iter().map(|block| block.id).collect::<Vec<_>>(),
        steps
            .iter()
            .map(|step| step["id"].as_str().expect("step id"))
            .collect::<Vec<_>>(),
        "{name}: the plan must show every listed step, in order"
    );
    for (position, (block, step)) in blocks.iter().zip(steps).enumerate() {
        let id = block.id;
        assert_eq!(
            (block.number, block.total),
            (position + 1, steps.len()),
            "{name}: numbering of {id}"
        );
        assert_eq!(
            block.kind,
            step["kind"].as_str().expect("kind"),
            "{name}: kind of {id}"
        );
        let never_run = block.has_line_starting("(shown, never run)").is_some();
        assert_eq!(
            never_run,
            block.kind == "context",
            "{name}: {id} [{}] marked never run: {never_run}",
            block.kind
        );
        if block.kind == "shell" {
            assert!(
                block.has_line_starting("$ ").is_some()
                    || block.lines.iter().any(|line| line.trim() == "$"),
                "{name}: {id} shows no command"
            );
        }
        for (flag, marker) in [
            ("destructive", "⚠ destructive: "),
            ("endless", "∞ never ends by itself: "),
            ("interactive", "⌨ interactive: "),
        ] {
            let reasons: Vec<&str> = step["flags"][flag]
                .as_array()
                .expect("flag list")
                .iter()
                .map(|reason| reason.as_str().expect("reason"))
                .collect();
            match block.has_line_starting(marker) {
                Some(line) => {
                    assert!(
                        !reasons.is_empty(),
                        "{name}: {id} shows {flag} but list --json has none"
                    );
                    assert_eq!(
                        line.trim_start_matches(marker),
                        reasons.join(", "),
                        "{name}: {flag} reasons of {id}"
                    );
                }
                None => assert!(
                    reasons.is_empty(),
                    "{name}: {id} is {flag} ({reasons:?}) but the plan does not say so"
                ),
            }
        }
    }

    let bytes = fs::read(seed).expect("read seed");
    let document = runbook_syntax::parse_bytes(&seed.to_string_lossy(), &bytes);
    let graph = StepGraph::build(&document);
    let defaults: BTreeSet<String> = document
        .front_matter
        .defaulted_var_names()
        .map(str::to_owned)
        .collect();
    let expected = expected_missing(&graph, &defaults);
    let mut all_missing: Vec<String> = Vec::new();
    for (block, (step, missing)) in blocks.iter().zip(&expected) {
        assert_eq!(
            block.id, step,
            "{name}: the graph's order is the plan's order"
        );
        let shown: Vec<&str> = match block.has_line_starting("needs: ") {
            Some(line) => line
                .trim_start_matches("needs: ")
                .split(" (")
                .next()
                .unwrap_or_default()
                .split(", ")
                .collect(),
            None => Vec::new(),
        };
        let not_yet_listed: Vec<&str> = missing.iter().map(String::as_str).collect();
        assert_eq!(
            shown, not_yet_listed,
            "{name}: inputs {step} needs that nobody has given yet"
        );
        for input in missing {
            if !all_missing.contains(input) {
                all_missing.push(input.clone());
            }
        }
    }
    let expected_summary = if all_missing.is_empty() {
        "every input has a value".to_owned()
    } else {
        format!("inputs still missing: {}", all_missing.join(", "))
    };
    assert_eq!(
        summary, expected_summary,
        "{name}: the summary of missing inputs"
    );
    assert!(
        graph
            .steps
            .iter()
            .any(|step| step.kind != StepKind::Context),
        "{name}: an operations document has something to run"
    );
}

#[test]
fn every_seed_gives_a_sensible_dry_run_plan() {
    let Some(seeds) = seed_files() else {
        eprintln!(
            "skipping: no seed runbooks at {} (the shared seeds are not checked out here)",
            seeds_dir().display()
        );
        return;
    };
    assert!(
        !seeds.is_empty(),
        "{} exists but holds no seeds",
        seeds_dir().display()
    );
    let scratch = tempfile::tempdir().expect("scratch dir");
    let seeds_prefix = seeds_dir().canonicalize().unwrap_or_else(|_| seeds_dir());
    for seed in &seeds {
        let seed = seed.canonicalize().expect("canonical seed path");
        let seed_arg = seed.to_string_lossy().into_owned();
        let listed = runbook(scratch.path(), &["list", &seed_arg, "--json"]);
        assert!(
            listed.status.success(),
            "list {seed_arg}: {}",
            String::from_utf8_lossy(&listed.stderr)
        );
        let listed: Value = serde_json::from_slice(&listed.stdout).expect("list --json is JSON");

        let output = runbook(scratch.path(), &["run", &seed_arg, "--dry-run"]);
        let plan = String::from_utf8(output.stdout).expect("the plan is UTF-8");
        assert!(
            output.status.success(),
            "dry run of {seed_arg} exited {:?}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !scratch.path().join("state").exists(),
            "a dry run must not record a run"
        );
        check_plan(&seed, &plan, &listed);

        let stem = seed
            .file_stem()
            .expect("seed name")
            .to_string_lossy()
            .into_owned();
        // Absolute paths differ between checkouts.
        let plan = plan.replace(seeds_prefix.to_string_lossy().as_ref(), "[SEEDS]");
        insta::with_settings!({
            description => format!("runbook run {stem} --dry-run (unannotated seed)"),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("plan_{stem}"), plan);
        });
    }
}
