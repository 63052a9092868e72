//! What the `run` tests share: a scratch directory holding `runbook.md` and the run state, and
//! cleanup for the processes a step leaves behind.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary directory with `runbook.md`; runs keep their state in `state/`.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new(markdown: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("runbook.md"), markdown).expect("write the runbook");
        Workspace { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn state_dir(&self) -> PathBuf {
        self.path().join("state")
    }

    /// The one run's timeline, parsed.
    pub fn timeline(&self) -> Vec<Value> {
        let runs = self.state_dir().join("runs");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&runs)
            .unwrap_or_else(|error| panic!("no runs under {}: {error}", runs.display()))
            .map(|entry| entry.expect("run dir entry").path())
            .collect();
        assert_eq!(dirs.len(), 1, "expected exactly one run: {dirs:?}");
        let text =
            std::fs::read_to_string(dirs.remove(0).join("timeline.jsonl")).expect("timeline");
        text.lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| panic!("bad line {line}: {e}"))
            })
            .collect()
    }
}

/// Whether process `pid` exists and is not a zombie.
pub fn is_alive(pid: &str) -> bool {
    Path::new("/proc").join(pid.trim()).exists()
        && !std::fs::read_to_string(Path::new("/proc").join(pid.trim()).join("stat"))
            .is_ok_and(|stat| stat.contains(") Z "))
}

/// A step's process group, killed when the test ends so a failing test leaves nothing behind.
pub struct StepGroup(pub String);

impl StepGroup {
    pub fn from_pid_file(path: &Path) -> Self {
        let pid =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        StepGroup(pid.trim().to_string())
    }
}

impl Drop for StepGroup {
    fn drop(&mut self) {
        if is_alive(&self.0) {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.0)])
                .status();
        }
    }
}
