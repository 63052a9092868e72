use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::error::SandboxError;
use crate::fake_api::{FakeApi, FakeApiConfig};

/// Directory holding the stub executables (`stubs/` of this crate).
pub fn stubs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("stubs")
}

/// Used when the test process itself has no PATH.
const FALLBACK_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// One isolated world for an end-to-end test: a temporary directory with HOME,
/// a working directory, stub state and the invocation log, plus a running [`FakeApi`].
///
/// Everything is removed and the API stopped when the sandbox is dropped.
pub struct Sandbox {
    api: FakeApi,
    bin_dir: PathBuf,
    home: PathBuf,
    work_dir: PathBuf,
    state_dir: PathBuf,
    log_path: PathBuf,
    root: TempDir,
}

impl Sandbox {
    pub fn new() -> io::Result<Sandbox> {
        Self::with_config(FakeApiConfig::default())
    }

    /// Like [`Sandbox::new`] with a custom API configuration (token, initial health, ...).
    pub fn with_config(config: FakeApiConfig) -> io::Result<Sandbox> {
        let root = tempfile::Builder::new()
            .prefix("runbook-sandbox-")
            .tempdir()?;
        let create = |name: &str| -> Result<PathBuf, SandboxError> {
            let path = root.path().join(name);
            fs::create_dir_all(&path).map_err(|source| SandboxError::CreateSandboxPath {
                path: path.clone(),
                source,
            })?;
            Ok(path)
        };
        let home = create("home")?;
        let work_dir = create("work")?;
        let state_dir = create("state")?;
        let log_path = root.path().join("invocations.jsonl");
        fs::write(&log_path, b"").map_err(|source| SandboxError::CreateSandboxPath {
            path: log_path.clone(),
            source,
        })?;
        let api = FakeApi::try_start(config)?;
        Ok(Sandbox {
            api,
            bin_dir: stubs_dir(),
            home,
            work_dir,
            state_dir,
            log_path,
            root,
        })
    }

    /// The temporary directory everything lives in.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// `$HOME` for commands run in the sandbox (`~/.claude/backups` lands here).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// An empty directory meant as the working directory of runbook steps.
    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// Where stateful stubs (systemctl, crontab) keep their state.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The stub invocation log (`$SANDBOX_LOG`): one JSON array of argv per line.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Directory of the stub executables.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    pub fn api(&self) -> &FakeApi {
        &self.api
    }

    /// The current PATH with the stub directory in front.
    pub fn path_env(&self) -> String {
        let current = std::env::var_os("PATH").unwrap_or_else(|| OsString::from(FALLBACK_PATH));
        let entries = std::iter::once(self.bin_dir.clone()).chain(std::env::split_paths(&current));
        match std::env::join_paths(entries) {
            Ok(joined) => joined.to_string_lossy().into_owned(),
            // Only a stub directory containing ':' could get here; keep the stubs first anyway.
            Err(_) => format!("{}:{}", self.bin_dir.display(), current.to_string_lossy()),
        }
    }

    /// Variables to set for any process that should run inside the sandbox.
    pub fn env(&self) -> Vec<(String, String)> {
        let text = |path: &Path| path.to_string_lossy().into_owned();
        vec![
            ("PATH".to_owned(), self.path_env()),
            ("HOME".to_owned(), text(&self.home)),
            ("SANDBOX_LOG".to_owned(), text(&self.log_path)),
            ("SANDBOX_API_URL".to_owned(), self.api.base_url()),
            ("SANDBOX_STATE_DIR".to_owned(), text(&self.state_dir)),
        ]
    }

    /// `bash -c SCRIPT` with the sandbox environment, run in [`Sandbox::work_dir`].
    pub fn bash(&self, script: &str) -> Command {
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(script)
            .current_dir(&self.work_dir)
            .envs(self.env());
        command
    }

    /// Argv of every stub invocation so far, in order; `argv[0]` is the command name.
    ///
    /// # Panics
    /// When the log cannot be read or holds a line that is not a JSON array of
    /// strings; use [`Sandbox::try_invocations`] to handle that.
    pub fn invocations(&self) -> Vec<Vec<String>> {
        match self.try_invocations() {
            Ok(invocations) => invocations,
            Err(error) => panic!("{error}"),
        }
    }

    pub fn try_invocations(&self) -> Result<Vec<Vec<String>>, SandboxError> {
        let bytes = fs::read(&self.log_path).map_err(|source| SandboxError::ReadInvocationLog {
            path: self.log_path.clone(),
            source,
        })?;
        parse_invocation_log(&bytes, &self.log_path)
    }

    /// Empties the invocation log, e.g. between phases of one test.
    pub fn clear_invocations(&self) -> io::Result<()> {
        fs::write(&self.log_path, b"")
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("root", &self.root.path())
            .field("api", &self.api)
            .finish()
    }
}

fn parse_invocation_log(bytes: &[u8], path: &Path) -> Result<Vec<Vec<String>>, SandboxError> {
    bytes
        .split(|byte| *byte == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(index, line)| {
            // Arguments may be arbitrary bytes; invalid UTF-8 is replaced rather than rejected.
            let text = String::from_utf8_lossy(line);
            serde_json::from_str::<Vec<String>>(&text).map_err(|error| {
                SandboxError::CorruptInvocationLog {
                    path: path.to_owned(),
                    line_number: index + 1,
                    reason: format!("{error} in {text:?}"),
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_reports_the_corrupt_one() {
        let path = Path::new("/log");
        assert_eq!(
            parse_invocation_log(b"[\"a\",\"b c\"]\n[\"d\"]\n", path).expect("valid log"),
            vec![vec!["a".to_owned(), "b c".to_owned()], vec!["d".to_owned()]]
        );
        let error = parse_invocation_log(b"[\"a\"]\nnot json\n", path).expect_err("corrupt");
        assert!(error.to_string().contains("line 2"), "{error}");
    }
}
