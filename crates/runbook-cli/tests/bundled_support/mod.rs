//! Shared by `bundled_runbooks.rs`: runs the real `runbook` binary inside a
//! [`runbook_sandbox::Sandbox`] (stubs first on PATH, temporary HOME, fake API on
//! 127.0.0.1) and reads back what the run recorded.

#![allow(dead_code)]

use runbook_graph::{StepGraph, StepKind};
use runbook_sandbox::Sandbox;
use runbook_timeline::{Event, EventKind, StepFinished, read_timeline};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_runbook");

/// A run that takes longer than this is stuck: it is killed and the test fails.
const RUN_DEADLINE: Duration = Duration::from_secs(150);

/// Following stubs (`journalctl -f`, `docker compose logs -f`, ...) end by themselves after this
/// many seconds, so a step with `timeout=30s` on one takes 2 s instead of 30 s.
pub const DEFAULT_FOLLOW_SECONDS: &str = "2";

/// Where curl would send anything not meant for the fake API: a closed port, so a runbook that
/// reaches for a real host fails instead of depending on the network.
const NOWHERE_PROXY: &str = "http://127.0.0.1:9";

/// The repository root (the workspace), from this crate's manifest directory.
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

pub fn runbooks_dir() -> PathBuf {
    workspace_root().join("runbooks")
}

/// Every `*.md` under `runbooks/` except the README, as paths relative to `runbooks/`, sorted.
pub fn runbook_files() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        let entries =
            fs::read_dir(dir).unwrap_or_else(|error| panic!("read {}: {error}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|extension| extension == "md") {
                let relative = path
                    .strip_prefix(base)
                    .expect("under runbooks/")
                    .to_string_lossy()
                    .into_owned();
                if relative != "README.md" {
                    out.push(relative);
                }
            }
        }
    }
    let base = runbooks_dir();
    let mut files = Vec::new();
    walk(&base, &base, &mut files);
    files.sort();
    files
}

/// What the parser and graph say about a runbook: the oracle the run is compared with.
pub struct RunbookModel {
    pub graph: StepGraph,
    pub front_matter: runbook_syntax::FrontMatter,
}

impl RunbookModel {
    pub fn load(path: &Path) -> RunbookModel {
        let bytes =
            fs::read(path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
        let document = runbook_syntax::parse_bytes(&path.to_string_lossy(), &bytes);
        let graph = StepGraph::build(&document);
        RunbookModel {
            graph,
            front_matter: document.front_matter.clone(),
        }
    }

    /// Steps of a whole-file run, in order: (id, what a run must record for it).
    pub fn plan(&self) -> Vec<(String, Planned)> {
        self.graph
            .order
            .iter()
            .map(|&index| {
                let step = &self.graph.steps[index];
                let planned = if step.kind == StepKind::Context {
                    Planned::ShownOnly
                } else if step.attributes().skip || step.attributes().exclude_from_run_all {
                    Planned::Skipped
                } else {
                    Planned::Runs {
                        max_attempts: step
                            .attributes()
                            .retries
                            .map_or(1, |retries| retries as usize + 1),
                    }
                };
                (step.id.to_string(), planned)
            })
            .collect()
    }

    /// Variables that are secret: declared `secret = true`, or named like a secret.
    pub fn secret_names(&self) -> BTreeSet<String> {
        let declared = self
            .front_matter
            .vars
            .iter()
            .filter(|var| var.secret)
            .map(|var| var.name.clone());
        let detected = self
            .graph
            .steps
            .iter()
            .flat_map(|step| step.inputs().iter())
            .filter(|input| input.secret)
            .map(|input| input.name.clone());
        declared.chain(detected).collect()
    }

    /// Declared variables plus every input a step reads.
    pub fn known_variables(&self) -> BTreeSet<String> {
        let declared = self.front_matter.vars.iter().map(|var| var.name.clone());
        let inputs = self
            .graph
            .steps
            .iter()
            .flat_map(|step| step.inputs().iter())
            .map(|input| input.name.clone());
        let reads = self
            .graph
            .steps
            .iter()
            .flat_map(|step| step.reads().iter().cloned());
        declared.chain(inputs).chain(reads).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planned {
    /// A context block: shown, never run, no events.
    ShownOnly,
    /// `skip` or `excludeFromRunAll`: one `step.skipped`.
    Skipped,
    /// Runs until it succeeds, at most this many times.
    Runs { max_attempts: usize },
}

/// One finished `runbook run`.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub state_dir: PathBuf,
    pub run_id: String,
    pub events: Vec<Event>,
    pub elapsed: Duration,
}

impl Finished {
    pub fn describe(&self) -> String {
        format!(
            "exit status {:?} after {:.1}s\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status.code(),
            self.elapsed.as_secs_f64(),
            tail(&self.stdout, 6000),
            tail(&self.stderr, 3000)
        )
    }

    /// `step.finished` events of one step, in order (one per attempt).
    pub fn finished(&self, step: &str) -> Vec<&StepFinished> {
        self.events
            .iter()
            .filter(|event| event.step.as_deref() == Some(step))
            .filter_map(|event| match &event.kind {
                EventKind::StepFinished(finished) => Some(finished),
                _ => None,
            })
            .collect()
    }

    pub fn started(&self, step: &str) -> usize {
        self.events
            .iter()
            .filter(|event| {
                event.step.as_deref() == Some(step)
                    && matches!(event.kind, EventKind::StepStarted(_))
            })
            .count()
    }

    /// Everything the step printed, as recorded in its `step.output` events (redacted tails).
    pub fn output_of(&self, step: &str) -> String {
        self.events
            .iter()
            .filter(|event| event.step.as_deref() == Some(step))
            .filter_map(|event| match &event.kind {
                EventKind::StepOutput(output) => Some(output.tail.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn run_finished(&self) -> Option<&runbook_timeline::RunFinished> {
        self.events
            .iter()
            .rev()
            .find_map(|event| match &event.kind {
                EventKind::RunFinished(finished) => Some(finished),
                _ => None,
            })
    }

    /// Milestones marked in order, as their keys (`detected`, `mitigated`, ...).
    pub fn marks(&self) -> Vec<&'static str> {
        self.events
            .iter()
            .filter_map(|event| match &event.kind {
                EventKind::TimestampSet(mark) => Some(mark.which.key()),
                _ => None,
            })
            .collect()
    }
}

/// The environment every `runbook` process of these tests gets, and nothing else: the sandbox's
/// PATH/HOME/SANDBOX_* variables, a temp dir inside the sandbox, no colour, no network.
pub fn base_env(sandbox: &Sandbox, state_dir: &Path) -> Vec<(String, String)> {
    let tmp = sandbox.root().join("tmp");
    fs::create_dir_all(&tmp).expect("create the sandbox TMPDIR");
    let mut env = sandbox.env();
    let mut set = |name: &str, value: &str| env.push((name.to_owned(), value.to_owned()));
    set("RUNBOOK_STATE_DIR", &state_dir.to_string_lossy());
    set("TMPDIR", &tmp.to_string_lossy());
    set("USER", "responder");
    set("LOGNAME", "responder");
    set("LANG", "C.UTF-8");
    set("NO_COLOR", "1");
    set("SANDBOX_FOLLOW_MAX_SECONDS", DEFAULT_FOLLOW_SECONDS);
    for proxy in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        set(proxy, NOWHERE_PROXY);
    }
    set("no_proxy", "127.0.0.1,localhost");
    set("NO_PROXY", "127.0.0.1,localhost");
    env
}

/// `runbook ARGS` in the sandbox's work dir with [`base_env`] plus `extra_env` (later entries
/// win), stdin closed, output to files; killed after [`RUN_DEADLINE`].
pub fn run_binary(
    sandbox: &Sandbox,
    state_dir: &Path,
    label: &str,
    args: &[String],
    extra_env: &[(String, String)],
) -> (ExitStatus, String, String, Duration) {
    let stdout_path = sandbox.root().join(format!("{label}.stdout"));
    let stderr_path = sandbox.root().join(format!("{label}.stderr"));
    let stdout = fs::File::create(&stdout_path).expect("create stdout file");
    let stderr = fs::File::create(&stderr_path).expect("create stderr file");
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .current_dir(sandbox.work_dir())
        .env_clear()
        .envs(base_env(sandbox, state_dir))
        .envs(extra_env.iter().cloned())
        .stdin(Stdio::null())
        // Files, not pipes: a background job a runbook leaves running (nohup'd tunnels) must not
        // keep the test waiting for EOF.
        .stdout(stdout)
        .stderr(stderr);
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn the runbook binary");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the runbook binary") {
            break status;
        }
        if started.elapsed() > RUN_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`runbook {}` ({label}) still running after {}s; killed\nstdout:\n{}\nstderr:\n{}",
                args.join(" "),
                RUN_DEADLINE.as_secs(),
                tail(&read_lossy(&stdout_path), 4000),
                tail(&read_lossy(&stderr_path), 2000)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status,
        read_lossy(&stdout_path),
        read_lossy(&stderr_path),
        started.elapsed(),
    )
}

/// `runbook run FILE --yes --allow-destructive --var ...` with a fresh state dir named after
/// `label`; returns the run with its timeline.
pub fn run_runbook(
    sandbox: &Sandbox,
    label: &str,
    file: &Path,
    vars: &[(String, String)],
    extra_env: &[(String, String)],
) -> Finished {
    let state_dir = sandbox.root().join(format!("state-{label}"));
    let mut args: Vec<String> = vec![
        "run".into(),
        file.to_string_lossy().into_owned(),
        "--yes".into(),
        "--allow-destructive".into(),
    ];
    for (name, value) in vars {
        args.push("--var".into());
        args.push(format!("{name}={value}"));
    }
    let (status, stdout, stderr, elapsed) =
        run_binary(sandbox, &state_dir, label, &args, extra_env);
    let run_ids: Vec<String> = match fs::read_dir(state_dir.join("runs")) {
        Ok(entries) => entries
            .map(|entry| {
                entry
                    .expect("run dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(error) => panic!(
            "{label}: no runs directory in {} ({error})\nstdout:\n{stdout}\nstderr:\n{stderr}",
            state_dir.display()
        ),
    };
    assert_eq!(
        run_ids.len(),
        1,
        "{label}: expected exactly one run in {}: {run_ids:?}",
        state_dir.display()
    );
    let run_id = run_ids[0].clone();
    let timeline = state_dir.join("runs").join(&run_id).join("timeline.jsonl");
    let (events, warnings) = read_timeline(&timeline)
        .unwrap_or_else(|error| panic!("{label}: read {}: {error}", timeline.display()));
    assert!(
        warnings.is_empty(),
        "{label}: timeline warnings: {warnings:?}"
    );
    Finished {
        status,
        stdout,
        stderr,
        state_dir,
        run_id,
        events,
        elapsed,
    }
}

/// `runbook export RUN --format markdown` for a finished run.
pub fn export_markdown(sandbox: &Sandbox, finished: &Finished, label: &str) -> String {
    let args = ["export", finished.run_id.as_str(), "--format", "markdown"].map(String::from);
    let (status, stdout, stderr, _) = run_binary(
        sandbox,
        &finished.state_dir,
        &format!("{label}-export"),
        &args,
        &[],
    );
    assert!(
        status.success(),
        "{label}: export failed: {status:?}\n{stderr}"
    );
    stdout
}

/// Files under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, needle: &[u8], out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, needle, out);
            } else if let Ok(bytes) = fs::read(&path)
                && bytes.windows(needle.len()).any(|window| window == needle)
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, needle.as_bytes(), &mut out);
    out
}

/// Asserts that `expected` argvs occur in `invocations` in this order (other calls may come in
/// between). Each expected argv is compared whole.
pub fn assert_invoked_in_order(invocations: &[Vec<String>], expected: &[Vec<String>]) {
    let mut remaining = invocations.iter();
    for wanted in expected {
        if !remaining.any(|argv| argv == wanted) {
            panic!(
                "stub invocation {wanted:?} missing or out of order; all invocations:\n{}",
                invocations
                    .iter()
                    .map(|argv| format!("  {argv:?}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

/// `argv!["kubectl", "get", x]` as an owned argv.
#[macro_export]
macro_rules! argv {
    ($($arg:expr),* $(,)?) => { vec![$(String::from($arg)),*] };
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&fs::read(path).unwrap_or_default()).into_owned()
}

pub fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
