//! `check`: `runbook check DIR --fast` (in-process lints only) over 1,000 runbooks, which must
//! take well under a second; then, for reference, with `bash -n` (`--no-shellcheck`) and with
//! ShellCheck (the default, when it is installed).
//!
//! The corpus is half copies of the bundled runbooks (`runbooks/`), half small generated ones.

use crate::bench::{BenchContext, remove_dir};
use crate::child_measurement::{MeasuredCommand, Measurement, median};
use crate::summary_table::SummaryRow;
use crate::workspace_root;
use std::path::{Path, PathBuf};

const RUNBOOKS: usize = 1000;
const FAST_TARGET_SECONDS: f64 = 1.0;

pub fn run(context: &BenchContext) -> Result<Vec<SummaryRow>, String> {
    println!(
        "== check: `runbook check DIR` over {RUNBOOKS} runbooks ({} rounds for --fast)",
        context.rounds
    );
    let corpus = context.data_dir.join("check-1000");
    write_corpus(&corpus)?;
    let mut seconds = Vec::new();
    let mut peak_kib = 0;
    for round in 0..context.rounds {
        let measured = check(context, &corpus, &["--fast"])?;
        seconds.push(measured.elapsed.as_secs_f64());
        peak_kib = peak_kib.max(measured.peak_kib);
        println!(
            "  round {}: --fast {:.0} ms, peak RSS {:.1} MiB",
            round + 1,
            measured.elapsed.as_secs_f64() * 1e3,
            measured.peak_mib()
        );
    }
    let fast = median(&seconds);
    let peak_mib = peak_kib as f64 / 1024.0;
    println!(
        "check --fast: {:.0} ms for {RUNBOOKS} runbooks (target < {FAST_TARGET_SECONDS} s), peak RSS {peak_mib:.1} MiB",
        fast * 1e3
    );
    let mut rows = vec![SummaryRow {
        ours: format!("{:.0} ms", fast * 1e3),
        baseline: "-".into(),
        seconds: Some(fast),
        seconds_target: Some(FAST_TARGET_SECONDS),
        peak_mib: Some(peak_mib),
        ..SummaryRow::new(format!("check --fast x{RUNBOOKS}"))
    }];

    let bash_n = check(context, &corpus, &["--no-shellcheck"])?;
    rows.push(timed_row(
        "check with bash -n",
        format!("check + bash -n x{RUNBOOKS}"),
        &bash_n,
    ));
    if program_on_path("shellcheck") {
        let full = check(context, &corpus, &[])?;
        rows.push(timed_row(
            "check with bash -n and ShellCheck",
            format!("check + ShellCheck x{RUNBOOKS}"),
            &full,
        ));
    } else {
        println!("check with ShellCheck: skipped, shellcheck is not installed");
    }
    Ok(rows)
}

fn check(context: &BenchContext, corpus: &Path, flags: &[&str]) -> Result<Measurement, String> {
    let mut command = MeasuredCommand::new(&context.binary)
        .arg("check")
        .arg(corpus)
        .current_dir(&context.data_dir);
    for flag in flags {
        command = command.arg(*flag);
    }
    let measured = command.run()?;
    // 1 means "found errors", which a corpus of real runbooks may; anything else is a failure.
    if !matches!(measured.exit_code, 0 | 1) {
        return Err(format!(
            "`{}` exited with {}",
            command.describe(),
            measured.exit_code
        ));
    }
    Ok(measured)
}

/// Writes the corpus afresh: copies of the bundled runbooks, cycled, and generated ones of
/// 2–16 KB with 4–32 code blocks.
fn write_corpus(dir: &Path) -> Result<(), String> {
    remove_dir(dir)?;
    let mut bundled = Vec::new();
    collect_markdown(&workspace_root().join("runbooks"), &mut bundled)?;
    bundled.retain(|path| path.file_name().is_none_or(|name| name != "README.md"));
    bundled.sort();
    let copies = if bundled.is_empty() { 0 } else { RUNBOOKS / 2 };
    for index in 0..RUNBOOKS {
        let shard = dir.join(format!("shard-{:02}", index % 20));
        std::fs::create_dir_all(&shard)
            .map_err(|e| format!("cannot create {}: {e}", shard.display()))?;
        let target = shard.join(format!("runbook-{index:04}.md"));
        if index < copies {
            let source = &bundled[index % bundled.len()];
            std::fs::copy(source, &target)
                .map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
        } else {
            let size = 2048 + (index * 7919) % (14 * 1024);
            let blocks = 4 + index % 29;
            std::fs::write(&target, runbook_graph::generate_runbook(size, blocks))
                .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        }
    }
    Ok(())
}

fn collect_markdown(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_markdown(&path, found)?;
        } else if path.extension().is_some_and(|ext| ext == "md") {
            found.push(path);
        }
    }
    Ok(())
}

fn program_on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
}

/// Prints one timed `check` variant and returns its summary row (no baseline).
fn timed_row(what: &str, label: String, measured: &Measurement) -> SummaryRow {
    let millis = measured.elapsed.as_secs_f64() * 1e3;
    println!(
        "{what}: {millis:.0} ms, peak RSS {:.1} MiB",
        measured.peak_mib()
    );
    SummaryRow {
        ours: format!("{millis:.0} ms"),
        baseline: "-".into(),
        peak_mib: Some(measured.peak_mib()),
        ..SummaryRow::new(label)
    }
}
