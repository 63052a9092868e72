//! `cargo xtask bench`: runs the selected benchmarks, each side by side with its baseline, then
//! prints a summary table of ratios and peak memory.

use crate::child_measurement::{MeasuredCommand, Measurement};
use crate::summary_table::{self, SummaryRow};
use crate::workspace_root;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct BenchOptions {
    pub filter: Option<String>,
    pub binary: Option<PathBuf>,
    pub rounds: usize,
}

/// What every benchmark that runs the `runbook` binary needs.
pub struct BenchContext {
    pub binary: PathBuf,
    /// Generated inputs (`target/bench-data`).
    pub data_dir: PathBuf,
    /// Run state on disk (`target/bench-state`), removed after each run.
    pub disk_state_dir: PathBuf,
    pub rounds: usize,
}

pub const BENCHMARKS: [&str; 4] = ["parse", "steps", "output", "check"];

pub fn run(options: &BenchOptions) -> Result<(), String> {
    let selected: Vec<&str> = BENCHMARKS
        .into_iter()
        .filter(|name| {
            options.filter.as_deref().is_none_or(|filter| {
                filter
                    .split(',')
                    .any(|wanted| !wanted.is_empty() && name.contains(wanted.trim()))
            })
        })
        .collect();
    if selected.is_empty() {
        return Err(format!(
            "no benchmark matches the filter; there are: {}",
            BENCHMARKS.join(", ")
        ));
    }
    let mut rows: Vec<SummaryRow> = Vec::new();
    let needs_binary = selected.iter().any(|name| *name != "parse");
    let context = if needs_binary {
        Some(context(options)?)
    } else {
        None
    };
    for name in selected {
        let result = match (name, &context) {
            ("parse", _) => crate::bench_parse::run(options.binary.as_deref()),
            ("steps", Some(context)) => crate::bench_steps::run(context),
            ("output", Some(context)) => crate::bench_output::run(context),
            ("check", Some(context)) => crate::bench_check::run(context),
            _ => Ok(Vec::new()),
        };
        match result {
            Ok(new_rows) => rows.extend(new_rows),
            // One broken benchmark should not hide the others' numbers.
            Err(message) => {
                eprintln!("xtask: benchmark `{name}` failed: {message}");
                rows.push(SummaryRow {
                    ours: "FAILED".into(),
                    ..SummaryRow::new(name)
                });
            }
        }
    }
    summary_table::print(&rows);
    Ok(())
}

fn context(options: &BenchOptions) -> Result<BenchContext, String> {
    let binary = match &options.binary {
        Some(binary) => std::path::absolute(binary)
            .map_err(|e| format!("bad --binary {}: {e}", binary.display()))?,
        None => {
            cargo(&["build", "--release", "-q", "-p", "runbook-cli"])?;
            workspace_root().join("target/release/runbook")
        }
    };
    if !binary.is_file() {
        return Err(format!("no runbook binary at {}", binary.display()));
    }
    let data_dir = workspace_root().join("target/bench-data");
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let disk_state_dir = workspace_root().join("target/bench-state");
    Ok(BenchContext {
        binary,
        data_dir,
        disk_state_dir,
        rounds: options.rounds,
    })
}

pub fn cargo(args: &[&str]) -> Result<(), String> {
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed", args.join(" ")))
    }
}

/// Removes a directory tree if it exists.
pub fn remove_dir(path: &std::path::Path) -> Result<(), String> {
    match std::fs::remove_dir_all(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {error}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Measures `runbook run RUNBOOK --yes --state-dir STATE_DIR` (plus what `extra` adds) from a
/// fresh state directory, in the data directory; an error unless it exits 0. The state is left
/// for the caller to inspect and remove.
pub fn measure_runbook_run(
    context: &BenchContext,
    runbook: &Path,
    state_dir: &Path,
    extra: impl FnOnce(MeasuredCommand) -> MeasuredCommand,
) -> Result<Measurement, String> {
    remove_dir(state_dir)?;
    let command = MeasuredCommand::new(&context.binary)
        .arg("run")
        .arg(runbook)
        .arg("--yes")
        .arg("--state-dir")
        .arg(state_dir)
        .current_dir(&context.data_dir);
    let measured = extra(command).run()?;
    if measured.exit_code != 0 {
        return Err(format!("`runbook run` exited with {}", measured.exit_code));
    }
    Ok(measured)
}
