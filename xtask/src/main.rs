//! Development tasks: `cargo xtask bench`.
//!
//! Benchmarks compare us with a baseline measured side by side in the same
//! run (a bare pulldown-cmark walk, plain `bash -c true`, `cat`), alternating
//! rounds and taking medians, because absolute numbers on shared machines are
//! noise.

mod bench;
mod bench_check;
mod bench_output;
mod bench_parse;
mod bench_steps;
mod child_measurement;
mod summary_table;
#[cfg(test)]
mod tidy;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Development tasks for runbook")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run the benchmarks (parse, steps, output, check) and print ratios against their
    /// baselines and peak memory
    Bench {
        /// Only run benchmarks whose name contains this (several: comma-separated)
        #[arg(long)]
        filter: Option<String>,
        /// Benchmark this `runbook` binary instead of building the release one
        /// (e.g. a copy saved before a change)
        #[arg(long)]
        binary: Option<PathBuf>,
        /// Alternating rounds of ours and the baseline; medians are reported
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// Write man pages for `runbook` and each subcommand (generated from the clap definitions)
    Man {
        /// Output directory
        #[arg(long, default_value = "target/man")]
        dir: PathBuf,
    },
    /// Runs PROGRAM ARGS... and prints `<wall ns> <peak RSS KiB> <exit code>`. Internal: a fresh
    /// process per measurement, so the peak RSS is that of the measured process tree alone.
    #[command(hide = true)]
    MeasureChild {
        program: PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Bench {
            filter,
            binary,
            rounds,
        } => bench::run(&bench::BenchOptions {
            filter,
            binary,
            rounds: rounds.max(1),
        }),
        Task::Man { dir } => man(&dir),
        Task::MeasureChild { program, args } => {
            child_measurement::measure_child_main(&program, &args)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The man pages come from the CLI's own clap definitions (`runbook __man DIR`).
fn man(dir: &std::path::Path) -> Result<(), String> {
    let dir = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        workspace_root().join(dir)
    };
    let status = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "-p", "runbook-cli", "--", "__man"])
        .arg(&dir)
        .current_dir(workspace_root())
        .status()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("writing man pages failed: {status}"))
    }
}

/// The workspace root, from xtask's own manifest directory.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}
