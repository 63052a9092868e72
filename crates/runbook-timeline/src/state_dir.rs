use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use ulid::Ulid;

use crate::error::TimelineError;

/// Environment variable naming the state directory when no flag is given.
pub const STATE_DIR_ENV: &str = "RUNBOOK_STATE_DIR";
/// State directory used when neither flag nor environment names one.
pub const DEFAULT_STATE_DIR: &str = ".runbook";

pub const TIMELINE_FILE: &str = "timeline.jsonl";
pub const STEPS_DIR: &str = "steps";
pub const RUNS_DIR: &str = "runs";

/// Where runs are kept: `<root>/runs/<run-id>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `--state-dir` flag, else `$RUNBOOK_STATE_DIR`, else `./.runbook`.
    pub fn resolve(flag: Option<PathBuf>) -> Self {
        Self::resolve_from(flag, std::env::var_os(STATE_DIR_ENV))
    }

    /// [`StateDir::resolve`] with the environment value passed in.
    pub fn resolve_from(flag: Option<PathBuf>, env_value: Option<OsString>) -> Self {
        let chosen = flag
            .filter(|path| !path.as_os_str().is_empty())
            .or_else(|| env_value.filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
        // Absolute so messages and stored paths stay meaningful after a `cd`.
        let root = std::path::absolute(&chosen).unwrap_or(chosen);
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn runs_dir(&self) -> PathBuf {
        self.root.join(RUNS_DIR)
    }

    /// The directory of run `id` (not checked for existence).
    pub fn run(&self, id: &str) -> RunDir {
        RunDir {
            id: id.to_owned(),
            path: self.runs_dir().join(id),
        }
    }

    /// Creates `runs/<new ULID>/steps/` and makes the new directory entries durable.
    pub fn create_run(&self) -> Result<RunDir, TimelineError> {
        let runs = self.runs_dir();
        fs::create_dir_all(&runs)
            .map_err(|e| TimelineError::io("create runs directory", &runs, e))?;
        let run = self.run(&Ulid::new().to_string());
        fs::create_dir(&run.path)
            .map_err(|e| TimelineError::io("create run directory", &run.path, e))?;
        let steps = run.steps_dir();
        fs::create_dir(&steps)
            .map_err(|e| TimelineError::io("create step log directory", &steps, e))?;
        sync_dir(&runs)?;
        sync_dir(&run.path)?;
        Ok(run)
    }
}

/// One run's directory: `timeline.jsonl` plus `steps/<NNN>-<step-id>.log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    id: String,
    path: PathBuf,
}

impl RunDir {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn timeline_path(&self) -> PathBuf {
        self.path.join(TIMELINE_FILE)
    }

    pub fn steps_dir(&self) -> PathBuf {
        self.path.join(STEPS_DIR)
    }
}

/// A new file's name survives a crash only once its directory is synced.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), TimelineError> {
    fs::File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(|e| TimelineError::io("sync directory", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_beats_environment_beats_default() {
        let from_flag =
            StateDir::resolve_from(Some("/tmp/flag".into()), Some(OsString::from("/tmp/env")));
        assert_eq!(from_flag.root(), Path::new("/tmp/flag"));
        let from_env = StateDir::resolve_from(None, Some(OsString::from("/tmp/env")));
        assert_eq!(from_env.root(), Path::new("/tmp/env"));
        let default = StateDir::resolve_from(None, Some(OsString::new()));
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(default.root(), cwd.join(".runbook"));
    }

    #[test]
    fn create_run_makes_sortable_run_directories() {
        let temp = tempfile::tempdir().expect("tempdir");
        let state = StateDir::new(temp.path());
        let first = state.create_run().expect("first run");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = state.create_run().expect("second run");
        assert!(second.id() > first.id());
        assert!(first.steps_dir().is_dir());
        assert_eq!(first.path(), temp.path().join("runs").join(first.id()));
    }
}
