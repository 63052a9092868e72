//! Finding `bash`, `shellcheck`… on a `PATH`-style search path, once per process.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

type Key = (Option<OsString>, &'static str);

static FOUND: LazyLock<Mutex<HashMap<Key, Option<PathBuf>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The executable `name` in `search_path` (or `PATH` when `None`).
pub fn find_program(search_path: Option<&OsString>, name: &'static str) -> Option<PathBuf> {
    let key = (search_path.cloned(), name);
    if let Some(found) = FOUND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&key)
    {
        return found.clone();
    }
    let path = search_path
        .cloned()
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate));
    FOUND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(key, found.clone());
    found
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_bash_and_not_missing_programs() {
        assert!(find_program(None, "bash").is_some());
        assert!(find_program(None, "no-such-program-for-runbook-lint").is_none());
        let empty = OsString::from("/nonexistent-dir-for-runbook-lint");
        assert!(find_program(Some(&empty), "bash").is_none());
    }
}
