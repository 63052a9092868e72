//! `steps`: 1,000 trivial steps through the real binary (`runbook run --yes`) vs 1,000
//! `bash -c true` spawns, per-step cost.
//!
//! A runbook step costs a fork of the session's long-lived bash plus the session state carried
//! in and dumped out, the events, the step log and the durable (fsynced) timeline. The run state
//! is measured both on disk (`target/bench-state`), where the timeline's fsync costs most, and on
//! a memory file system (`/dev/shm`), in alternating rounds with the baseline.

use crate::bench::{BenchContext, measure_runbook_run, remove_dir};
use crate::child_measurement::{Measurement, median};
use crate::summary_table::SummaryRow;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const STEPS: usize = 1000;
const RATIO_TARGET: f64 = 1.2;
const PEAK_TARGET_MIB: f64 = 10.0;

/// Where a run keeps its state.
struct StateLocation {
    label: &'static str,
    dir: PathBuf,
}

pub fn run(context: &BenchContext) -> Result<Vec<SummaryRow>, String> {
    println!(
        "== steps: {STEPS} trivial steps via `runbook run --yes` vs {STEPS} x `bash -c true` ({} rounds)",
        context.rounds
    );
    let runbook = context.data_dir.join("steps-1000.md");
    std::fs::write(&runbook, trivial_steps_runbook(STEPS))
        .map_err(|e| format!("cannot write {}: {e}", runbook.display()))?;
    let mut locations = vec![StateLocation {
        label: "disk",
        dir: context.disk_state_dir.join("steps"),
    }];
    if Path::new("/dev/shm").is_dir() {
        locations.push(StateLocation {
            label: "tmpfs",
            dir: PathBuf::from(format!("/dev/shm/runbook-bench-{}", std::process::id())),
        });
    }

    let mut baseline_rounds: Vec<f64> = Vec::new();
    // Per location: (per-step seconds per round, ratio per round, peak KiB per round).
    let mut ours_rounds: Vec<(Vec<f64>, Vec<f64>, Vec<u64>)> =
        locations.iter().map(|_| Default::default()).collect();
    for round in 0..context.rounds {
        // Alternate the order so drift in machine load hits both sides alike.
        let baseline_first = round % 2 == 0;
        let mut baseline = None;
        if baseline_first {
            baseline = Some(bash_spawns(STEPS)?);
        }
        let mut ours = Vec::new();
        for location in &locations {
            ours.push(runbook_run(context, &runbook, &location.dir)?);
        }
        if !baseline_first {
            baseline = Some(bash_spawns(STEPS)?);
        }
        let baseline = baseline.unwrap_or_default().as_secs_f64() / STEPS as f64;
        baseline_rounds.push(baseline);
        let mut line = format!(
            "  round {}: bash -c true {:.0} µs/step",
            round + 1,
            baseline * 1e6
        );
        for ((location, measured), rounds) in locations.iter().zip(&ours).zip(&mut ours_rounds) {
            let per_step = measured.elapsed.as_secs_f64() / STEPS as f64;
            rounds.0.push(per_step);
            rounds.1.push(per_step / baseline);
            rounds.2.push(measured.peak_kib);
            line.push_str(&format!(
                " · runbook ({}) {:.0} µs/step {:.2}x",
                location.label,
                per_step * 1e6,
                per_step / baseline
            ));
        }
        println!("{line}");
    }
    for location in &locations {
        remove_dir(&location.dir)?;
    }

    let baseline = median(&baseline_rounds);
    let mut rows = Vec::new();
    for (location, (per_step, ratios, peaks)) in locations.iter().zip(ours_rounds) {
        let ours = median(&per_step);
        let ratio = median(&ratios);
        let peak_mib = peaks.iter().copied().max().unwrap_or(0) as f64 / 1024.0;
        println!(
            "runbook, state on {:<5}  {:>6.0} µs/step vs bash -c true {:>6.0} µs/step: {:.2}x (median of per-round ratios; target <= {RATIO_TARGET}x), peak RSS {peak_mib:.1} MiB",
            location.label,
            ours * 1e6,
            baseline * 1e6,
            ratio
        );
        rows.push(SummaryRow {
            ours: format!("{:.0} µs/step", ours * 1e6),
            baseline: format!("{:.0} µs/step", baseline * 1e6),
            ratio: Some(ratio),
            ratio_target: Some(RATIO_TARGET),
            peak_mib: Some(peak_mib),
            peak_target_mib: Some(PEAK_TARGET_MIB),
            ..SummaryRow::new(format!("steps x{STEPS} (state on {})", location.label))
        });
    }
    Ok(rows)
}

/// A runbook of `steps` trivial steps. The first exports a variable, so every later step sources
/// a non-empty carried state, as in a real runbook.
pub fn trivial_steps_runbook(steps: usize) -> String {
    let mut text =
        String::from("# Steps benchmark\n\n## Step 1\n\n```bash\nexport BENCH_CARRIED=1\n```\n\n");
    for index in 2..=steps {
        text.push_str(&format!("## Step {index}\n\n```bash\ntrue\n```\n\n"));
    }
    text
}

/// Wall time of `count` sequential `bash -c true` spawns.
fn bash_spawns(count: usize) -> Result<Duration, String> {
    let started = Instant::now();
    for _ in 0..count {
        let status = Command::new("bash")
            .args(["-c", "true"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run bash: {e}"))?;
        if !status.success() {
            return Err(format!("bash -c true failed: {status}"));
        }
    }
    Ok(started.elapsed())
}

fn runbook_run(
    context: &BenchContext,
    runbook: &Path,
    state_dir: &Path,
) -> Result<Measurement, String> {
    let measured = measure_runbook_run(context, runbook, state_dir, |command| command)?;
    remove_dir(state_dir)?;
    Ok(measured)
}

#[cfg(test)]
mod tests {
    use super::trivial_steps_runbook;

    #[test]
    fn the_generated_runbook_has_one_block_per_step() {
        let text = trivial_steps_runbook(3);
        assert_eq!(text.matches("```bash\n").count(), 3);
        assert!(text.contains("export BENCH_CARRIED=1"));
    }
}
