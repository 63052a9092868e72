//! The lock a run's executing process holds on `runs/<id>/run.lock`, so a
//! run that is still going is not resumed a second time, and `runs` can tell
//! a live run from one whose process died.

use crate::{RunDir, current_actor};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};

/// File in the run directory locked by the process executing the run.
pub const RUN_LOCK_FILE: &str = "run.lock";

/// Held by the one process executing a run; released when dropped or when the process dies
/// (even by `kill -9`), so a crashed run can be resumed at once.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock, or says who holds it.
    pub fn acquire(run: &RunDir) -> Result<RunLock, String> {
        let path = run.path().join(RUN_LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|error| format!("cannot create the run lock {}: {error}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    String::new()
                } else {
                    format!(" ({holder})")
                };
                return Err(format!(
                    "run {} is being executed by another runbook process{holder}; wait for it to stop, or add to it with `runbook note`",
                    run.id()
                ));
            }
            Err(TryLockError::Error(error)) => {
                return Err(format!("cannot lock {}: {error}", path.display()));
            }
        }
        // Who holds it, for the message above; purely informative.
        let _ = file.set_len(0).and_then(|()| {
            file.rewind()?;
            writeln!(file, "pid {} by {}", std::process::id(), current_actor())
        });
        Ok(RunLock { _file: file })
    }

    /// Whether some process is executing the run right now.
    pub fn is_held(run: &RunDir) -> bool {
        let Ok(file) = File::open(run.path().join(RUN_LOCK_FILE)) else {
            return false;
        };
        matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
    }
}
