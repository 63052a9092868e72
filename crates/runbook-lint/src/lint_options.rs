use std::ffi::OsString;
use std::time::Duration;

/// Whether to run ShellCheck over the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShellcheckMode {
    /// Run it when `shellcheck` is on the search path; otherwise add a note.
    #[default]
    Auto,
    Off,
}

/// What [`crate::lint`] checks and how it runs the external checkers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintOptions {
    pub shellcheck: ShellcheckMode,
    /// Parse every runnable step with `bash -n` (or `sh -n`/`zsh -n`).
    /// The only lint besides ShellCheck that starts processes.
    pub shell_syntax: bool,
    /// How long one `bash -n` or `shellcheck` process may run before it is killed.
    pub process_timeout: Duration,
    /// Directories searched for `bash`, `sh`, `zsh` and `shellcheck`, in
    /// `PATH` syntax. `None` uses the `PATH` environment variable.
    pub search_path: Option<OsString>,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            shellcheck: ShellcheckMode::Auto,
            shell_syntax: true,
            process_timeout: Duration::from_secs(20),
            search_path: None,
        }
    }
}

impl LintOptions {
    /// Only the lints that need no other program: fast enough for editors and large trees.
    pub fn in_process_only() -> Self {
        LintOptions {
            shellcheck: ShellcheckMode::Off,
            shell_syntax: false,
            ..LintOptions::default()
        }
    }
}
