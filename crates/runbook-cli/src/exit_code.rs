//! Exit codes, documented in `runbook --help` and the README.

use std::process::ExitCode;

/// Everything went as planned.
pub const SUCCESS: u8 = 0;
/// A step failed (`run`), or `check` found errors.
pub const FAILURE: u8 = 1;
/// Usage or input error: bad flags, unreadable file, missing variable, no terminal.
pub const USAGE: u8 = 2;
/// Interrupted with Ctrl-C; state was saved.
pub const INTERRUPTED: u8 = 130;

pub fn code(value: u8) -> ExitCode {
    ExitCode::from(value)
}
