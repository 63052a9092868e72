use std::path::PathBuf;
use std::time::Duration;

/// How a step's standard streams are connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepIo {
    /// stdin is `/dev/null` (so `read` cannot hang), stdout and stderr are piped and streamed to
    /// the output callback. The shell runs in its own process group, so timeouts and interrupts
    /// reach everything the step started.
    Captured,
    /// stdin, stdout and stderr are the engine's own (for `read -p`, `psql`, `ssh`,
    /// `kubectl exec -it`). The shell stays in the engine's process group so it can use the
    /// terminal; nothing is captured. Timeouts and [`crate::Interrupter`] signal only the shell
    /// process itself, because signalling the group would hit the engine: a Ctrl-C typed at the
    /// terminal still reaches every process of the foreground group through the tty.
    Terminal,
}

/// One step's script and how to run it. Its `Debug` output leaves out environment values and
/// positional arguments, which may be secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct StepRequest {
    /// Names the script in the shell's error messages (`label: line 3: foo: command not found`)
    /// and is the step's `$0`. Characters that cannot appear in a file name are replaced.
    pub label: String,
    /// Bash source of the step.
    pub script: String,
    /// Variables exported to this step only (for example runbook inputs). Values travel through
    /// the process environment and are never parsed as shell syntax. Names must be shell
    /// identifiers. A variable assigned by an earlier step shadows an entry here, exactly as an
    /// assignment shadows an inherited variable in one long shell session.
    pub env: Vec<(String, String)>,
    /// Directory to start in; a relative path is taken relative to the carried working directory.
    /// `None` starts in the carried working directory. A step with its own directory does not
    /// change the carried working directory (even if it `cd`s); its variables still carry.
    pub cwd: Option<PathBuf>,
    /// After this long the step's process group gets SIGTERM, then SIGKILL after the grace.
    pub timeout: Option<Duration>,
    pub io: StepIo,
    /// Also collect stdout (trimmed, at most 1 MiB) into [`crate::StepOutcome::stdout`].
    /// Ignored for [`StepIo::Terminal`].
    pub capture_stdout: bool,
    /// `$1`, `$2`, ... of the script. Passed through the environment, never through the command
    /// line, so they do not show up in the process list.
    pub positional_args: Vec<String>,
}

impl StepRequest {
    /// A captured step with no extra environment, no timeout and no arguments.
    pub fn new(label: impl Into<String>, script: impl Into<String>) -> Self {
        StepRequest {
            label: label.into(),
            script: script.into(),
            env: Vec::new(),
            cwd: None,
            timeout: None,
            io: StepIo::Captured,
            capture_stdout: false,
            positional_args: Vec::new(),
        }
    }
}

impl std::fmt::Debug for StepRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let env_names: Vec<&str> = self.env.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("StepRequest")
            .field("label", &self.label)
            .field("script", &self.script)
            .field("env", &env_names)
            .field("cwd", &self.cwd)
            .field("timeout", &self.timeout)
            .field("io", &self.io)
            .field("capture_stdout", &self.capture_stdout)
            .field("positional_args", &self.positional_args.len())
            .finish()
    }
}
